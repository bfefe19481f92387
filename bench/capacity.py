"""DynamoDB capacity units of a call, computed by DynamoDB's documented rules from what was sent and read.

moto's ``ConsumedCapacity`` is a placeholder (the same number whatever the item size; ``roundtrips``
checks and reports it), so the units are computed here instead:

* item size = the UTF-8 length of each attribute name plus its value (a string's UTF-8 length, a
  number's ~1 byte per 2 significant digits + 1, 1 byte for a boolean or null, 3 bytes of overhead for a
  map or list plus its elements);
* reads: 4 KB per unit, half a unit when eventually consistent; a Query rounds the *sum* of the items it
  read up to 4 KB once, GetItem and each key of BatchGetItem round per item, with a minimum of one read
  even when nothing is found;
* writes: 1 KB per unit, each item rounded up; in ``TransactWriteItems`` every item costs twice; a write
  that adds, replaces or removes an entry of the local secondary index (sparse: datasets only) writes that
  index too (a replace whose index key changes is a delete plus a put there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

INDEX_KEY = "update_sk"


def value_size(value: dict[str, Any]) -> int:  # noqa: PLR0911 - one return per type
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        digits = str(inner).lstrip("-").replace(".", "").lstrip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(inner)
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) for k, v in inner.items())
    if kind == "L":
        return 3 + sum(value_size(v) for v in inner)
    if kind in {"SS", "NS", "BS"}:
        return sum(len(str(v).encode()) for v in inner)
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


@dataclass
class Units:
    read: float = 0.0
    write: float = 0.0

    def __iadd__(self, other: Units) -> Units:
        self.read += other.read
        self.write += other.write
        return self


def _reads(size: int, consistent: bool) -> float:
    return max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5)


def _writes(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def call_units(  # noqa: PLR0911 - one return per operation
    operation: str, params: dict[str, Any], parsed: dict[str, Any], dataset_bytes: int
) -> Units:
    """Units one call consumed; ``dataset_bytes`` is the size of a stored dataset (for deletes, whose
    item the request does not carry)."""
    consistent = bool(params.get("ConsistentRead"))
    if operation == "GetItem":
        item = parsed.get("Item")
        return Units(read=_reads(item_size(item) if item else 0, consistent))
    if operation == "BatchGetItem":
        units = Units()
        for table, request in params.get("RequestItems", {}).items():
            found = {item_size(i) for i in parsed.get("Responses", {}).get(table, [])}
            sizes = sorted(found) + [0] * (len(request["Keys"]) - len(found))
            units.read += sum(_reads(size, bool(request.get("ConsistentRead"))) for size in sizes)
        return units
    if operation in {"Query", "Scan"}:
        return Units(read=_reads(sum(item_size(i) for i in parsed.get("Items", [])), consistent))
    if operation == "TransactWriteItems":
        units = Units()
        for entry in params["TransactItems"]:
            units.write += 2 * _write_units(entry, dataset_bytes)
        return units
    if operation in {"PutItem", "UpdateItem", "DeleteItem"}:
        kind = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete"}[operation]
        return Units(write=_write_units({kind: params}, dataset_bytes))
    if operation == "BatchWriteItem":
        units = Units()
        for requests in params.get("RequestItems", {}).values():
            for request in requests:
                if "PutRequest" in request:
                    units.write += _write_units({"Put": request["PutRequest"]}, dataset_bytes)
                else:
                    units.write += _write_units({"Delete": request["DeleteRequest"]}, dataset_bytes)
        return units
    return Units()


def _write_units(entry: dict[str, Any], dataset_bytes: int) -> int:
    """One item's write units, plus its local secondary index's, outside the transaction factor."""
    ((kind, body),) = entry.items()
    if kind == "Put":
        size = item_size(body["Item"])
        units = _writes(size)
        if INDEX_KEY in body["Item"]:
            replaces = "version" in str(body.get("ConditionExpression", ""))
            units += _writes(size) * (2 if replaces else 1)  # the index: put (and delete the old entry)
        return units
    if kind == "Delete":
        sk = str(body["Key"].get("sk", {}).get("S", ""))
        if sk.startswith("DATASET#"):
            return _writes(dataset_bytes) * 2  # the item and its index entry
        return 1
    if kind in {"Update", "ConditionCheck"}:
        return 1  # the counter and key items are a few dozen bytes
    return 0

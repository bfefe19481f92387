"""DynamoDB's read and write units of one request, computed from its calls by the rules of DynamoDB's developer
guide ("Item sizes and formats", "Read/write capacity mode", "Local secondary indexes"): moto's
``ReturnConsumedCapacity`` answers a placeholder whatever the item size.

Reads: 4 KB per unit, half when eventually consistent, at least one; a Query or Scan rounds the sum of its items
once, GetItem and BatchGetItem each item; the whole item counts even when a ``ProjectionExpression`` returns less
(such reads are fetched again, unprojected). Writes: 1 KB per unit per item, the larger of old and new when an
item is replaced, twice in a transaction, plus each secondary index entry written or deleted (both when its key
changes). The old item is known when the same request read it; a blind delete or update counts 1 unit, no index.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from bench.harness import Call
from tools import template

Item = dict[str, Any]
Refetch = Callable[[str, dict[str, Any]], dict[str, Any]]


def value_size(value: dict[str, Any]) -> int:  # noqa: PLR0911 - one return per type
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        return math.ceil(len(str(inner).lstrip("-").replace(".", "").strip("0") or "0") / 2) + 1
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in inner)
    if kind in {"SS", "NS"}:
        return sum(len(str(v).encode()) for v in inner)
    return len(inner) if kind == "B" else sum(len(v) for v in inner)  # B, BS: the raw bytes


def item_size(item: Item | None) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in (item or {}).items())


@cache
def _schema() -> tuple[list[str], list[tuple[list[str], dict[str, Any]]]]:
    """The table's key attributes, and each secondary index's key attributes and projection."""
    definition = template.table_definition("any")
    indexes = definition.get("LocalSecondaryIndexes", []) + definition.get("GlobalSecondaryIndexes", [])
    keys = [k["AttributeName"] for k in definition["KeySchema"]]
    return keys, [([k["AttributeName"] for k in i["KeySchema"]], i["Projection"]) for i in indexes]


def _key(item: Item) -> str:
    return json.dumps([item.get(name) for name in _schema()[0]])


def _entry_size(item: Item, index_keys: list[str], projection: dict[str, Any]) -> int:
    if projection["ProjectionType"] == "ALL":
        return item_size(item)
    kept = {*_schema()[0], *index_keys, *projection.get("NonKeyAttributes", [])}
    return item_size({k: v for k, v in item.items() if k in kept})


def _units(size: int, per: int) -> int:
    return max(1, math.ceil(size / per))


def _write_units(kind: str, body: dict[str, Any], seen: dict[str, Item]) -> int:
    if kind == "ConditionCheck":
        return 1
    new: Item = body["Item"] if kind == "Put" else {}
    old: Item = seen.get(_key(new or body["Key"]), {})
    units = _units(max(item_size(new), item_size(old)), 1024)
    for keys, projection in _schema()[1]:
        had, has = all(k in old for k in keys), all(k in new for k in keys)
        was, now = _entry_size(old, keys, projection), _entry_size(new, keys, projection)
        if had and has and all(old[k] == new[k] for k in keys):
            units += _units(max(was, now), 1024)  # the entry rewritten in place
        else:  # deleted from the index, added to it, or both when its key changed
            units += (_units(was, 1024) if had else 0) + (_units(now, 1024) if has else 0)
    return units


def _unprojected(params: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in params.items() if k not in {"ProjectionExpression", "Select"}}
    expressions = " ".join(str(out.get(k, "")) for k in ("KeyConditionExpression", "FilterExpression"))
    used = set(re.findall(r"#\w+", expressions))
    names = {k: v for k, v in out.pop("ExpressionAttributeNames", {}).items() if k in used}
    return out | ({"ExpressionAttributeNames": names} if names else {})


def _read_items(call: Call, refetch: Refetch) -> dict[str, list[Item | None]]:
    """The whole items a read call read, per table (``None`` for a key not found)."""
    params, answer = call.params, call.answer
    if call.operation == "BatchGetItem":
        out: dict[str, list[Item | None]] = {}
        for table_name, request in params["RequestItems"].items():
            found = answer.get("Responses", {}).get(table_name, [])
            if "ProjectionExpression" in request:
                again = refetch("BatchGetItem", {"RequestItems": {table_name: _unprojected(request)}})
                found = again.get("Responses", {}).get(table_name, [])
            out[table_name] = [*found, *[None] * (len(request["Keys"]) - len(found))]
        return out
    if "ProjectionExpression" in params and "Error" not in answer:
        answer = refetch(call.operation, _unprojected(params))
    found = answer.get("Items", [answer.get("Item")] if call.operation == "GetItem" else [])
    return {str(params.get("TableName")): list(found)}


def request_units(calls: list[Call], refetch: Refetch) -> tuple[float, float]:
    """(read units, write units) of one request's DynamoDB calls."""
    seen: dict[str, Item] = {}
    reads = writes = 0.0
    for call in calls:
        op, params = call.operation, call.params
        if op in {"GetItem", "BatchGetItem", "Query", "Scan"}:
            for table_name, items in _read_items(call, refetch).items():
                request = params["RequestItems"][table_name] if op == "BatchGetItem" else params
                factor = 1.0 if request.get("ConsistentRead") else 0.5
                seen |= {_key(i): i for i in items if i}
                if op in {"Query", "Scan"}:
                    reads += _units(sum(item_size(i) for i in items), 4096) * factor
                else:
                    reads += sum(_units(item_size(i), 4096) for i in items) * factor
        elif op == "TransactWriteItems":
            for entry in params["TransactItems"]:
                ((kind, body),) = entry.items()
                writes += 2 * _write_units(kind, body, seen)
        elif op in {"PutItem", "UpdateItem", "DeleteItem"}:
            writes += _write_units(op.removesuffix("Item"), params, seen)
        elif op == "BatchWriteItem":
            for requests in params["RequestItems"].values():
                for request in requests:
                    ((kind, body),) = request.items()  # PutRequest or DeleteRequest
                    kind = kind.removesuffix("Request")
                    writes += _write_units(kind, body, seen)
    return reads, writes

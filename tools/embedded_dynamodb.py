"""moto as an embedded DynamoDB that is as atomic as the real one, and no more.

moto dispatches concurrent requests without a lock, so two ``TransactWriteItems`` can interleave inside
moto and both pass their conditions. Real DynamoDB runs each request atomically. One lock around moto's
request dispatch restores that, while races *between* requests stay as real as on AWS.

Two opt-in speed-ups for the long-lived embedded database of the local API, which holds far more items
than a test: item answers serialized with ``json.dumps`` instead of moto's generic serializer, and
transactions that back up only the items they touch instead of deep-copying whole tables. Both change
cost, not behaviour; ``tests/test_embedded_dynamodb.py`` compares them with moto's own.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.core.botocore_stubber import BotocoreStubber
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoResult

_dispatch_lock = threading.RLock()


def serialize_requests() -> None:
    """Make each in-process moto request atomic (idempotent)."""
    if getattr(BotocoreStubber.__call__, "_serialized", False):
        return
    original = BotocoreStubber.__call__

    def serialized(self: BotocoreStubber, *args: Any, **kwargs: Any) -> Any:
        with _dispatch_lock:
            return original(self, *args, **kwargs)

    serialized._serialized = True  # type: ignore[attr-defined]
    BotocoreStubber.__call__ = serialized  # type: ignore[method-assign]


@contextmanager
def exclusive() -> Iterator[None]:
    """Run several requests as one atomic step: no other thread's request runs inside the block.

    The local API's state file is a snapshot of the whole table taken with a paginated Scan; holding
    the dispatch lock across its pages keeps a concurrent transaction from landing half in it. The lock
    is re-entrant, so the block's own requests pass. Needs ``serialize_requests()`` to mean anything.
    """
    with _dispatch_lock:
        yield


# DynamoDB's JSON protocol answers an item operation with exactly the dict moto computes: for these,
# json.dumps gives the same bytes' meaning as moto's generic, shape-walking serializer at a fraction of
# its cost (about 1.5 ms per returned item, most of a local list request). Other operations keep it.
_ITEM_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)


_enabled = {"fast_item_responses": False, "cheap_transactions": False}


def fast_item_responses(on: bool = True) -> None:
    """Serialize moto's item-operation answers with ``json.dumps`` (the local API turns it on).

    ``tests/test_embedded_dynamodb.py`` turns it off and on to check that botocore parses both the same.
    """
    _enabled["fast_item_responses"] = on
    original = DynamoResult.execute_result
    if getattr(original, "_patched", False):
        return

    def execute_result(self: DynamoResult, context: Any) -> Any:
        if _enabled["fast_item_responses"] and context.operation_model.name in _ITEM_OPERATIONS:
            try:
                body = json.dumps(self.result)
            except TypeError:  # something JSON cannot hold (binary): the generic serializer knows how
                return original(self, context)
            return 200, {"Content-Type": "application/x-amz-json-1.0"}, body
        return original(self, context)

    execute_result._patched = True  # type: ignore[attr-defined]
    DynamoResult.execute_result = execute_result  # type: ignore[method-assign,assignment]


class _TableCopies:
    """Stands in for the ``copy`` module inside moto's DynamoDB backend: while a transaction runs, a
    "deep copy" of a whole table is the table itself (``cheap_transactions`` keeps its own backup)."""

    active = False

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        if _TableCopies.active and isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


def cheap_transactions(on: bool = True) -> None:
    """Make a moto transaction back up the items it touches, not whole tables (the local API turns it on).

    moto deep-copies every table a ``TransactWriteItems`` names before running it, to roll back on
    failure: O(table size) per create, so a local API holding a few thousand datasets spends most of a
    create copying. Here the backup is the touched items only, restored the same way on any failure.
    Requests are serialized (``serialize_requests``), so nothing else runs meanwhile. Checked against
    moto's own behaviour by ``tests/test_embedded_dynamodb.py``.
    """
    _enabled["cheap_transactions"] = on
    original = DynamoDBBackend.transact_write_items
    if getattr(original, "_patched", False):
        return
    dynamodb_models.copy = _TableCopies  # type: ignore[attr-defined,assignment]

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        if not _enabled["cheap_transactions"]:
            return original(self, transact_items)
        saved = [_save(self, entry) for entry in transact_items]
        _TableCopies.active = True
        try:
            original(self, transact_items)
        except Exception:
            for backup in reversed(saved):
                if backup is not None:
                    _restore(*backup)
            raise
        finally:
            _TableCopies.active = False

    transact_write_items._patched = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _save(backend: DynamoDBBackend, entry: dict[str, Any]) -> tuple[Table, Any, Any, Any] | None:
    """The table, key and a copy of the item (or None) one transaction entry may change."""
    op = next(iter(entry.values()), None)
    if not isinstance(op, dict):
        return None
    table = backend.tables.get(str(op.get("TableName")))
    if table is None:
        return None
    attrs = op.get("Item") or op.get("Key") or {}
    if table.hash_key_attr not in attrs or (table.range_key_attr and table.range_key_attr not in attrs):
        return None  # moto refuses it before changing anything
    hash_value = DynamoType(attrs[table.hash_key_attr])
    range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
    return table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))


def _restore(table: Table, hash_value: Any, range_value: Any, item: Any) -> None:
    if range_value is None:
        if item is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = item
    elif item is None:
        table.items[hash_value].pop(range_value, None)
    else:
        table.items[hash_value][range_value] = item

"""moto as an embedded DynamoDB that is as atomic as the real one, and no more, and whose writes can be recorded.

moto dispatches concurrent requests without a lock, so two ``TransactWriteItems`` can interleave inside
moto and both pass their conditions. Real DynamoDB runs each request atomically. One lock around moto's
request dispatch restores that, while races *between* requests stay as real as on AWS.

moto also takes items DynamoDB refuses: an item whose size with its local-secondary-index entries exceeds
400 KB (moto counts the item alone), or nested deeper than 32 levels. ``serialize_requests`` makes it refuse
them as DynamoDB does, with a ``ValidationException``.

moto keeps tables in memory. The local API makes them durable (``tools.local_state``): under the same lock,
right after a write request succeeds, a ``Recorder`` is handed the whole new item (or its absence) of every
key the request touched, and the request returns only once the recorder says that is on disk. Any request
that could change a table some other way (PartiQL, table changes) is refused while a recorder listens.

Two opt-in speed-ups for the long-lived embedded database of the local API, which holds far more items
than a test: item answers serialized with ``json.dumps`` instead of moto's generic serializer, and
transactions that back up only the items they touch instead of deep-copying whole tables. The local API
needs both, not only its benchmarks: moto's serializer is most of the cost of every read, and its
whole-table copy makes every create (a transaction) slower as the table grows. Both change cost, not
behaviour; ``tests/test_embedded_dynamodb.py`` compares them with moto's own.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from moto.core.botocore_stubber import BotocoreStubber
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.exceptions import ItemSizeTooLarge, MockValidationException, ResourceNotFoundException
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoResult

_dispatch_lock = threading.RLock()

READ_OPERATIONS = frozenset(
    {
        "GetItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "TransactGetItems",
        "DescribeTable",
        "ListTables",
        "DescribeTimeToLive",
    }
)
WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


@dataclass(frozen=True)
class Change:
    """One item as a write request left it: ``item`` is the whole item, or None if there is none (deleted)."""

    table: str
    key: dict[str, Any]
    item: dict[str, Any] | None


class Recorder(Protocol):
    """Where the writes go (``tools.local_state``). ``record`` and ``position`` run under the dispatch lock, so
    records are in the order the writes took effect; ``wait`` runs after it, so that one disk flush can cover
    the writes of many threads."""

    def record(self, changes: list[Change]) -> int:
        """Keep the changes; a ticket for ``wait``."""
        ...

    def position(self) -> int:
        """A ticket covering every change recorded so far."""
        ...

    def wait(self, ticket: int) -> None:
        """Return once the ticket's changes are durable."""
        ...


class UnrecordedOperationError(Exception):
    """A request the recorder could not replay (PartiQL, table changes): refused, the table stays unchanged."""


_recorder: Recorder | None = None
_deferred = threading.local()  # .ticket: the writes this thread's requests saw, inside durable_before_exit()


def record_writes(recorder: Recorder | None) -> None:
    """Hand every later write to ``recorder`` (None: stop). Needs ``serialize_requests()``."""
    global _recorder
    _recorder = recorder


def serialize_requests() -> None:
    """Make each in-process moto request atomic (idempotent), and recorded if ``record_writes`` asked for it.

    A read waits until every write it could see is durable too: no client sees what a crash could undo.
    """
    if getattr(BotocoreStubber.__call__, "_serialized", False):
        return
    original = BotocoreStubber.__call__

    def serialized(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
        recorder = _recorder
        if recorder is None:
            with _dispatch_lock:
                return original(self, event_name, request, **kwargs)
        _, service, operation = [*event_name.split("."), "", ""][:3]
        with _dispatch_lock:
            if service != "dynamodb" or operation in READ_OPERATIONS:
                response = original(self, event_name, request, **kwargs)
                ticket = recorder.position()
            elif operation in WRITE_OPERATIONS:
                backend = _backend(request.url)
                touched = _touched(backend, operation, json.loads(request.body or b"{}"))
                try:
                    response = original(self, event_name, request, **kwargs)
                except BaseException:
                    recorder.record([_now(backend, table, key) for table, key in touched])  # whatever it did
                    raise
                ok = response is not None and response.status_code == 200 and touched  # an error changes nothing
                ticket = recorder.record([_now(backend, t, k) for t, k in touched]) if ok else recorder.position()
            else:
                raise UnrecordedOperationError(f"the local API's embedded DynamoDB does not support {operation}")
        deferred = getattr(_deferred, "ticket", None)
        if deferred is None:
            recorder.wait(ticket)
        else:
            _deferred.ticket = max(deferred, ticket)
        return response

    serialized._serialized = True  # type: ignore[attr-defined]
    BotocoreStubber.__call__ = serialized  # type: ignore[method-assign]
    _enforce_item_limits()


MAX_ITEM_BYTES = 400 * 1024
MAX_NESTING = 32


def _enforce_item_limits() -> None:
    """DynamoDB's item rules that moto leaves out (AWS, "Constraints in Amazon DynamoDB"): for a table with
    local secondary indexes, the item and its entry in every LSI share 400 KB; documents nest at most 32 deep."""
    original = Table.put_item

    def put_item(self: Table, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        sizes = {name: len(name.encode()) + DynamoType(value).size() for name, value in item_attrs.items()}
        total = sum(sizes.values())
        for index in self.indexes:  # an item is in an LSI only if it has the index's keys
            if all(k["AttributeName"] in item_attrs for k in index.schema):
                projected = _projected(index, item_attrs)
                total += sum(size for name, size in sizes.items() if name in projected)
        if total > MAX_ITEM_BYTES:
            raise ItemSizeTooLarge
        if any(_depth(value) > MAX_NESTING for value in item_attrs.values()):
            raise MockValidationException("Nesting Levels have exceeded supported limits")
        return original(self, item_attrs, *args, **kwargs)

    Table.put_item = put_item  # type: ignore[method-assign]


def _projected(index: Any, item_attrs: dict[str, Any]) -> set[str]:
    projection = index.projection or {}
    if projection.get("ProjectionType", "ALL") == "ALL":
        return set(item_attrs)
    keys = {*index.table_key_attrs, *(k["AttributeName"] for k in index.schema)}
    return keys | set(projection.get("NonKeyAttributes") or [])


def _depth(value: dict[str, Any]) -> int:
    """How deep a typed attribute value nests maps and lists (a scalar is 0)."""
    ((kind, inner),) = value.items()
    if kind == "M":
        return 1 + max((_depth(v) for v in inner.values()), default=0)
    if kind == "L":
        return 1 + max((_depth(v) for v in inner), default=0)
    return 0


@contextmanager
def durable_before_exit() -> Iterator[None]:
    """Let this thread's requests return before the writes they made or saw are durable; wait for all of them
    when the block ends (even by an exception).

    The local API runs each HTTP request in such a block and answers after it: the client still hears of
    nothing that is not on disk, but the function's one instance is free for the next request while the
    disk flushes, and the writes of concurrent requests share one flush.
    """
    outer = getattr(_deferred, "ticket", None)
    _deferred.ticket = 0
    try:
        yield
    finally:
        ticket, _deferred.ticket = _deferred.ticket, outer
        recorder = _recorder
        if ticket and recorder is not None:
            recorder.wait(ticket)


def _backend(url: str) -> DynamoDBBackend:
    """moto's DynamoDB of the request's region (``https://dynamodb.<region>.amazonaws.com/``)."""
    region = url.split("//", 1)[-1].split(".")[1]
    backend: DynamoDBBackend = dynamodb_backends[DEFAULT_ACCOUNT_ID][region]
    return backend


def _touched(backend: DynamoDBBackend, operation: str, params: dict[str, Any]) -> list[tuple[Table, dict[str, Any]]]:
    """The table and key of every item a write request names; a request moto will refuse may name none."""
    named: list[tuple[Any, Any]] = []
    if operation == "PutItem":
        named.append((params.get("TableName"), params.get("Item")))
    elif operation in {"UpdateItem", "DeleteItem"}:
        named.append((params.get("TableName"), params.get("Key")))
    elif operation == "BatchWriteItem":
        for table, requests in (params.get("RequestItems") or {}).items():
            for request in requests or []:
                put, delete = request.get("PutRequest") or {}, request.get("DeleteRequest") or {}
                named.append((table, put.get("Item") or delete.get("Key")))
    else:  # TransactWriteItems
        for entry in params.get("TransactItems") or []:
            for kind, op in entry.items():
                if kind != "ConditionCheck" and isinstance(op, dict):
                    named.append((op.get("TableName"), op.get("Item") or op.get("Key")))
    touched = []
    for table_name, attrs in named:
        try:
            table = backend.get_table(str(table_name))  # a name or an ARN
        except ResourceNotFoundException:  # moto refuses the request
            continue
        names = [n for n in (table.hash_key_attr, table.range_key_attr) if n is not None]
        if isinstance(attrs, dict) and all(n in attrs for n in names):
            touched.append((table, {n: attrs[n] for n in names}))
    return touched


def _now(backend: DynamoDBBackend, table: Table, key: dict[str, Any]) -> Change:
    hash_key = DynamoType(key[table.hash_key_attr])
    range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    item = table.get_item(hash_key, range_key)
    return Change(table.name, _wire(key), _wire(item.to_json()["Attributes"]) if item is not None else None)


def table_items(region: str, table_name: str) -> list[dict[str, Any]]:
    """Every item of a table, in DynamoDB's JSON form, read from moto directly (call it under ``exclusive()``
    for a consistent copy): a Scan through the API would cost a serialization and a parse per item."""
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].get_table(table_name)
    return [_wire(item.to_json()["Attributes"]) for item in table.all_items()]


def _wire(value: Any) -> Any:
    """Typed attribute values as on DynamoDB's wire: binaries base64-encoded, so that JSON can hold them."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def from_wire(item: dict[str, Any]) -> dict[str, Any]:
    """An item of ``table_items`` or a ``Change`` as botocore takes it (binaries as bytes)."""

    def value(typed: dict[str, Any]) -> dict[str, Any]:
        kind, inner = next(iter(typed.items()))
        if kind == "B":
            return {kind: base64.b64decode(inner)}
        if kind == "BS":
            return {kind: [base64.b64decode(v) for v in inner]}
        if kind == "M":
            return {kind: {k: value(v) for k, v in inner.items()}}
        if kind == "L":
            return {kind: [value(v) for v in inner]}
        return typed

    return {name: value(typed) for name, typed in item.items()}


@contextmanager
def exclusive() -> Iterator[None]:
    """Run several requests as one atomic step: no other thread's request runs inside the block.

    The local API copies the whole table into its snapshot and switches journal files inside one such
    block, so that no write lands half in the old state and half in the new. The lock is re-entrant, so
    the block's own requests pass. Needs ``serialize_requests()`` to mean anything.
    """
    with _dispatch_lock:
        yield


# DynamoDB's JSON protocol answers an item operation with exactly the dict moto computes: for these,
# json.dumps gives the same bytes' meaning as moto's generic, shape-walking serializer at a fraction of
# its cost, which grows with every returned item (most of a local list request). Other operations keep it.
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

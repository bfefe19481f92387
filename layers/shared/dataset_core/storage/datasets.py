"""Datasets, their name locks and the tenant counter: writing them, and reading them by key.

Every multi-item change is one ``TransactWriteItems``, so a name, its dataset and the counter change together
or not at all, whatever runs concurrently. Reading them in order is ``listings``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import parser_config
from ..dataset import Dataset
from ..errors import DuplicateName, QuotaExceeded, StorageUnavailable
from .client import client, table
from .codec import item, plain
from .limits import check_fits, check_storable
from .requests import RequestRecord, RequestSeen, put_request
from .transact import ConditionFailedError, Translate, delete, put, transact, update

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

UPDATE_TIME_INDEX = "by_update_time"
PARSER_CONFIG_DELTA = "parser_config_delta"
PARSER_DEFAULTS = "parser_defaults"
"""A dataset's ``parser_config`` is stored as what differs from its chunk method's defaults, and which
defaults (``parser_config.compact``), wherever that says all of it."""
DATASET_PREFIX = "DATASET#"
META_SK = "META"
NAME_PREFIX = "NAME#"
MAX_TRANSACTION_DATASETS = 49
"""Datasets one delete transaction removes: each with its lock, plus the counter, within DynamoDB's 100 actions."""

# DynamoDB caps a sort key at 1024 bytes. Names whose lower-cased UTF-8 form would not fit after the
# "NAME#" prefix are locked under their SHA-256 instead, behind a prefix no literal lock can have.
_LITERAL_LOCK_MAX_BYTES = 1000


def tenant_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def dataset_sk(dataset_id: str) -> str:
    return DATASET_PREFIX + dataset_id


def update_sort_key(update_time: int, dataset_id: str) -> str:
    return f"{update_time:015d}#{dataset_id}"


def name_lock_key(name: str) -> str:
    """Sort key of the item that holds a name; case-insensitive, so ``KB`` and ``kb`` collide."""
    folded = name.lower()
    if len(folded.encode()) <= _LITERAL_LOCK_MAX_BYTES:
        return NAME_PREFIX + folded
    return "NAMEHASH#" + hashlib.sha256(folded.encode()).hexdigest()


def dataset_attrs(ds: Dataset) -> dict[str, Any]:
    """The item of a dataset, as plain values: its keys (table and index) and every field, its
    ``parser_config`` as what differs from its chunk method's defaults where that says all of it."""
    attrs = {
        "pk": tenant_pk(ds.tenant_id),
        "sk": dataset_sk(ds.id),
        "update_sk": update_sort_key(ds.update_time, ds.id),
        **ds.model_dump(),
    }
    delta = parser_config.compact(ds.parser_id, ds.parser_config)
    if delta is not None:
        del attrs["parser_config"]
        attrs |= {PARSER_CONFIG_DELTA: delta, PARSER_DEFAULTS: parser_config.DEFAULTS_VERSION}
    return attrs


def _storable(ds: Dataset) -> dict[str, Any]:
    """The dataset's item, checked against DynamoDB's rules: the item and its ``by_update_time`` entry
    (all attributes projected) share one 400 KB, and every number must be storable."""
    attrs = dataset_attrs(ds)
    check_storable(attrs)
    check_fits(attrs, copies=2, names={PARSER_CONFIG_DELTA: "parser_config"})
    return attrs


def _dataset(typed: Mapping[str, Any]) -> Dataset:
    """A stored dataset; an item stored before configs were compacted (a whole ``parser_config``) reads the same."""
    attrs = plain(typed)
    if PARSER_CONFIG_DELTA in attrs:
        delta, version = attrs.pop(PARSER_CONFIG_DELTA), attrs.pop(PARSER_DEFAULTS)
        attrs["parser_config"] = parser_config.expand(attrs["parser_id"], delta, version)
    return Dataset.model_validate(attrs)


def _lock_key(ds: Dataset | DatasetRef) -> dict[str, str]:
    return {"pk": tenant_pk(ds.tenant_id), "sk": name_lock_key(ds.name)}


def _dataset_key(ds: Dataset | DatasetRef) -> dict[str, str]:
    return {"pk": tenant_pk(ds.tenant_id), "sk": dataset_sk(ds.id)}


def _counter_key(tenant_id: str) -> dict[str, str]:
    return {"pk": tenant_pk(tenant_id), "sk": META_SK}


# ---- writes -----------------------------------------------------------------------------------------------


def create_dataset(ds: Dataset, quota: int, request: RequestRecord | None = None) -> None:
    """Store a new dataset, its name lock, the incremented counter and, for a create with an idempotency key,
    the record of the request, in one transaction. ``RequestSeen`` if the key's record is there already (it
    comes first: a retry also finds the name taken, by its own first attempt)."""
    items = [
        put(_storable(ds), "attribute_not_exists(pk)"),
        put(_lock_key(ds) | {"dataset_id": ds.id}, "attribute_not_exists(pk)"),
        update(
            _counter_key(ds.tenant_id),
            "ADD dataset_count :one",
            "attribute_not_exists(dataset_count) OR dataset_count < :quota",
            {":one": 1, ":quota": quota},
        ),
    ]
    reasons: dict[int, Exception] = {1: DuplicateName(ds.name), 2: QuotaExceeded(quota)}
    if request is not None:
        items.insert(0, put_request(request))
        reasons = {0: RequestSeen(), **{index + 1: error for index, error in reasons.items()}}
    transact(items, reasons)


def update_dataset(old: Dataset, new: Dataset) -> bool:
    """Replace ``old`` by ``new`` (same id) in one transaction, moving the name lock if the name changed.

    The write is conditional on ``old.version``: returns False if someone else wrote the dataset since
    ``old`` was read (the caller re-reads and re-applies), so no update is ever lost.
    """
    items = [put(_storable(new), "version = :v", {":v": old.version})]
    if name_lock_key(old.name) != name_lock_key(new.name):
        items += [
            put(_lock_key(new) | {"dataset_id": new.id}, "attribute_not_exists(pk)"),
            delete(_lock_key(old), "dataset_id = :id", {":id": old.id}),
        ]
    try:
        transact(items, {1: DuplicateName(new.name)})
    except ConditionFailedError:
        return False
    return True


class DatasetRef(NamedTuple):
    """What deleting a dataset needs: its keys, its name (for the lock) and the version it was read at."""

    tenant_id: str
    id: str
    name: str
    version: int


def ref(ds: Dataset) -> DatasetRef:
    return DatasetRef(ds.tenant_id, ds.id, ds.name, ds.version)


def delete_chunk(refs: Sequence[DatasetRef]) -> bool:
    """Delete up to ``MAX_TRANSACTION_DATASETS`` datasets of one tenant, each with its lock, and count them off
    the counter, in one transaction. False, with nothing deleted, if any of them changed since it was read."""
    items: list[TransactWriteItemTypeDef] = []
    for ds in refs:
        items += [
            delete(_dataset_key(ds), "version = :v", {":v": ds.version}),
            delete(_lock_key(ds), "dataset_id = :id", {":id": ds.id}),
        ]
    items.append(
        update(
            _counter_key(refs[0].tenant_id),
            "ADD dataset_count :minus",
            "dataset_count >= :n",
            {":minus": -len(refs), ":n": len(refs)},
        )
    )
    try:
        transact(items)
    except ConditionFailedError:
        return False
    return True


# ---- reads ------------------------------------------------------------------------------------------------


def get_dataset(tenant_id: str, dataset_id: str) -> Dataset | None:
    with Translate():
        key = item({"pk": tenant_pk(tenant_id), "sk": dataset_sk(dataset_id)})
        response = client().get_item(TableName=table(), Key=key, ConsistentRead=True)
    found = response.get("Item")
    return _dataset(found) if found else None


def get_datasets(tenant_id: str, dataset_ids: list[str]) -> dict[str, Dataset]:
    """The tenant's datasets among ``dataset_ids`` (absent ones are simply missing from the result)."""
    found: dict[str, Dataset] = {}
    pk = tenant_pk(tenant_id)
    for start in range(0, len(dataset_ids), 100):
        keys = [item({"pk": pk, "sk": dataset_sk(i)}) for i in dataset_ids[start : start + 100]]
        request: dict[str, Any] = {table(): {"Keys": keys, "ConsistentRead": True}}
        for _ in range(8):  # BatchGetItem may hand back keys it did not get to under load
            with Translate():
                response = client().batch_get_item(RequestItems=request)
            for typed in response.get("Responses", {}).get(table(), []):
                ds = _dataset(typed)
                found[ds.id] = ds
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise StorageUnavailable
    return found


def dataset_count(tenant_id: str) -> int:
    with Translate():
        response = client().get_item(TableName=table(), Key=item(_counter_key(tenant_id)), ConsistentRead=True)
    return int(plain(response.get("Item", {})).get("dataset_count", 0))


def name_lock_owner(tenant_id: str, name: str) -> str | None:
    """The id of the dataset holding ``name`` in this tenant, if any."""
    with Translate():
        key = item({"pk": tenant_pk(tenant_id), "sk": name_lock_key(name)})
        response = client().get_item(TableName=table(), Key=key, ConsistentRead=True)
    found = response.get("Item")
    return str(plain(found)["dataset_id"]) if found else None


def names_with_prefix(tenant_id: str, name: str) -> list[str]:
    """Lower-cased names of the tenant that start with ``name`` (for auto-renaming ``name(1)``...)."""
    query: dict[str, Any] = {
        "TableName": table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": item({":pk": tenant_pk(tenant_id), ":prefix": NAME_PREFIX + name.lower()}),
        "ProjectionExpression": "sk",
    }
    names: list[str] = []
    while True:
        with Translate():
            response = client().query(**query)
        names += [typed["sk"]["S"][len(NAME_PREFIX) :] for typed in response.get("Items", [])]
        if not response.get("LastEvaluatedKey"):
            return names
        query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

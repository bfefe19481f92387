"""Datasets, their name locks and the tenant counter: every item of a tenant's partition but its keys' index.

Every multi-item change is one ``TransactWriteItems``, so a name, its dataset and the counter change together
or not at all, whatever runs concurrently.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from ..dataset import Dataset, Order
from ..errors import DuplicateName, QuotaExceeded, StorageUnavailable
from .client import client, table
from .codec import item, plain
from .limits import check_fits, check_storable
from .transact import ConditionFailedError, Translate, delete, put, transact, update

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

UPDATE_TIME_INDEX = "by_update_time"
DATASET_PREFIX = "DATASET#"
META_SK = "META"
NAME_PREFIX = "NAME#"
MAX_TRANSACTION_DATASETS = 49
"""Datasets one delete transaction removes: each with its lock, plus the counter, within DynamoDB's 100 actions."""
REFS_PER_PAGE = MAX_TRANSACTION_DATASETS * 10
"""Dataset references one Query of ``dataset_refs`` reads: what bounds the memory of deleting them all."""

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
    """The item of a dataset, as plain values: its keys (table and index) and every field."""
    return {
        "pk": tenant_pk(ds.tenant_id),
        "sk": dataset_sk(ds.id),
        "update_sk": update_sort_key(ds.update_time, ds.id),
        **ds.model_dump(),
    }


def _storable(ds: Dataset) -> dict[str, Any]:
    """The dataset's item, checked against DynamoDB's rules: the item and its ``by_update_time`` entry
    (all attributes projected) share one 400 KB, and every number must be storable."""
    attrs = dataset_attrs(ds)
    check_storable(attrs)
    check_fits(attrs, copies=2)
    return attrs


def _dataset(typed: Mapping[str, Any]) -> Dataset:
    return Dataset.model_validate(plain(typed))


def _lock_key(ds: Dataset | DatasetRef) -> dict[str, str]:
    return {"pk": tenant_pk(ds.tenant_id), "sk": name_lock_key(ds.name)}


def _dataset_key(ds: Dataset | DatasetRef) -> dict[str, str]:
    return {"pk": tenant_pk(ds.tenant_id), "sk": dataset_sk(ds.id)}


def _counter_key(tenant_id: str) -> dict[str, str]:
    return {"pk": tenant_pk(tenant_id), "sk": META_SK}


# ---- writes -----------------------------------------------------------------------------------------------


def create_dataset(ds: Dataset, quota: int) -> None:
    """Store a new dataset, its name lock and the incremented counter in one transaction."""
    transact(
        [
            put(_storable(ds), "attribute_not_exists(pk)"),
            put(_lock_key(ds) | {"dataset_id": ds.id}, "attribute_not_exists(pk)"),
            update(
                _counter_key(ds.tenant_id),
                "ADD dataset_count :one",
                "attribute_not_exists(dataset_count) OR dataset_count < :quota",
                {":one": 1, ":quota": quota},
            ),
        ],
        {1: DuplicateName(ds.name), 2: QuotaExceeded(quota)},
    )


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


def dataset_refs(tenant_id: str) -> Iterator[list[DatasetRef]]:
    """The tenant's datasets, oldest first, a page of references at a time: every dataset, in bounded memory,
    reading a few bytes of each."""
    for page in _projected(tenant_id, "sk, #name, version"):
        yield [DatasetRef(tenant_id, p["sk"][len(DATASET_PREFIX) :], p["name"], p["version"]) for p in page]


class DatasetSummary(NamedTuple):
    """What a filter over all of a tenant's datasets reads of each: enough to match, order and page them."""

    id: str
    name: str
    parser_id: str
    create_time: int
    update_time: int


def dataset_summaries(tenant_id: str) -> Iterator[DatasetSummary]:
    """Every dataset of the tenant, reading only what ``DatasetSummary`` holds of each."""
    for page in _projected(tenant_id, "sk, #name, parser_id, create_time, update_time"):
        for p in page:
            yield DatasetSummary(
                p["sk"][len(DATASET_PREFIX) :], p["name"], p["parser_id"], p["create_time"], p["update_time"]
            )


def _projected(tenant_id: str, projection: str) -> Iterator[list[dict[str, Any]]]:
    query: dict[str, Any] = {
        "TableName": table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": item({":pk": tenant_pk(tenant_id), ":prefix": DATASET_PREFIX}),
        "ProjectionExpression": projection,
        "ExpressionAttributeNames": {"#name": "name"},
        "Limit": REFS_PER_PAGE,
        "ConsistentRead": True,
    }
    while True:
        with Translate():
            response = client().query(**query)
        page = [plain(typed) for typed in response.get("Items", [])]
        if page:
            yield page
        if not response.get("LastEvaluatedKey") or not page:
            return
        query["ExclusiveStartKey"] = response["LastEvaluatedKey"]


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


# ---- listings ---------------------------------------------------------------------------------------------


@dataclass
class Listing:
    datasets: list[Dataset]
    total: int | None  # the tenant's dataset count, when asked for
    more: bool  # at least one more dataset follows the last one


def list_datasets(
    tenant_id: str,
    *,
    orderby: Order,
    descending: bool,
    skip: int,
    limit: int,
    after: tuple[str, int] | None = None,
    with_total: bool = False,
) -> Listing:
    """``limit`` datasets in order after skipping ``skip``, starting after ``after`` = (id, update_time).

    The default order (newest first) reads the tenant counter in the same Query: the counter's sort key
    ``META`` sorts right after every ``DATASET#`` key, so ``sk BETWEEN "DATASET#" AND "META"`` read
    backwards returns it first. A first page with its total is then one round trip.
    """
    meta_in_band = with_total and descending and orderby == "create_time" and after is None
    query = _list_query(tenant_id, orderby=orderby, descending=descending, after=after, meta_in_band=meta_in_band)
    wanted = skip + limit + 1  # one more than the page tells whether another page follows
    query["Limit"] = min(wanted + (1 if meta_in_band else 0), 1000)
    page: list[Dataset] = []
    seen = 0  # datasets read so far, skipped ones included (they are counted, never parsed)
    total: int | None = None
    while seen < wanted:
        # A call that reads only skipped datasets asks for their keys: the same read units, but DynamoDB
        # sends (and botocore parses) a few bytes per item instead of the whole dataset. The call that
        # reaches the page reads whole items, so a deep offset costs no extra round trip.
        if seen + query["Limit"] <= skip:
            query["ProjectionExpression"] = "pk, sk, dataset_count"
        else:
            query.pop("ProjectionExpression", None)
        with Translate():
            response = client().query(**query)
        for typed in response.get("Items", []):
            if typed["sk"]["S"] == META_SK:
                total = int(typed["dataset_count"]["N"])
                continue
            if skip <= seen < skip + limit:
                page.append(_dataset(typed))
            seen += 1
        last_key = response.get("LastEvaluatedKey")
        if not last_key or not response.get("Items"):  # moto omits the key on an exact fit; AWS may not
            break
        query["ExclusiveStartKey"] = last_key
        query["Limit"] = min(wanted - seen, 1000)  # only what is still needed
    if meta_in_band and total is None:
        total = 0  # no counter item yet: the tenant never created a dataset
    if with_total and total is None:
        total = dataset_count(tenant_id)
    return Listing(page, total, more=seen > skip + limit)


def _list_query(
    tenant_id: str, *, orderby: Order, descending: bool, after: tuple[str, int] | None, meta_in_band: bool
) -> dict[str, Any]:
    """The Query of a listing, without its ``Limit``: the key condition for ``orderby``, started after
    ``after``, reaching the counter item ``META`` if ``meta_in_band``."""
    pk = tenant_pk(tenant_id)
    query: dict[str, Any] = {"TableName": table(), "ScanIndexForward": not descending}
    values: dict[str, Any] = {":pk": pk}
    if orderby == "update_time":
        query["IndexName"] = UPDATE_TIME_INDEX
        query["KeyConditionExpression"] = "pk = :pk"  # sparse index: only datasets carry update_sk
    elif meta_in_band:
        query["KeyConditionExpression"] = "pk = :pk AND sk BETWEEN :first AND :meta"
        values |= {":first": DATASET_PREFIX, ":meta": META_SK}
    else:
        query["KeyConditionExpression"] = "pk = :pk AND begins_with(sk, :prefix)"
        values[":prefix"] = DATASET_PREFIX
    query["ExpressionAttributeValues"] = item(values)
    if after is not None:
        after_id, after_update_time = after
        start = {"pk": pk, "sk": dataset_sk(after_id)}
        if orderby == "update_time":
            start["update_sk"] = update_sort_key(after_update_time, after_id)
        query["ExclusiveStartKey"] = item(start)
    return query

"""The only module that talks to DynamoDB.

Item layout, one table:

    TENANT#<tenant>  DATASET#<id>       a dataset (ids are time-ordered: sort key order = creation order)
    TENANT#<tenant>  NAME#<lower name>  name lock, holds the dataset id (NAMEHASH#<sha256> for huge names)
    TENANT#<tenant>  META               dataset_count: O(1) totals and the quota
    TENANT#<tenant>  APIKEY#<key id>    key index: lets an operator list and revoke a tenant's keys
    APIKEY#<sha256>  APIKEY             an API key's digest, tenant and status

Every multi-item change is one ``TransactWriteItems``, so a name, its dataset and the counter change
together or not at all, whatever runs concurrently. botocore is imported on first use, not at import time,
and its client is created once per execution environment with the SDK's standard retry mode.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, cast

from .config import settings
from .errors import ApiError, DuplicateName, PartiallyDeleted, QuotaExceeded, StorageUnavailable
from .names import name_lock_key

if TYPE_CHECKING:  # pydantic stays out of the authorizer's cold start: models load on first dataset read
    from botocore.session import Session
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

    from .models import Dataset

# The worst case of one call - every attempt timing out, plus standard mode's backoff of at most
# 1 s + 2 s between them - must end well inside the functions' 15 s timeout, so that a client whose
# DynamoDB stops answering hears 503/105 from us, not a gateway timeout.
MAX_ATTEMPTS = 3
CONNECT_TIMEOUT = 1
READ_TIMEOUT = 2
CONFLICT_RETRIES = 3
"""Extra tries of a transaction DynamoDB cancelled only for a conflict with another transaction."""

SERVICE = "dynamodb"
UPDATE_TIME_INDEX = "by_update_time"
DATASET_PREFIX = "DATASET#"
META_SK = "META"

_client: DynamoDBClient | None = None
_client_lock = threading.Lock()


def client() -> DynamoDBClient:
    """The DynamoDB client of this execution environment, created on first use.

    Made with botocore itself, as boto3 would make it: ``import boto3`` also imports s3transfer (and with it
    ``multiprocessing``, ``concurrent.futures``...) for S3 helpers this code never uses, ~12 ms of every
    cold start (``make bench``)."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                from botocore.config import Config

                config = Config(
                    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
                    connect_timeout=CONNECT_TIMEOUT,
                    read_timeout=READ_TIMEOUT,
                )
                made = _session().create_client(SERVICE, endpoint_url=settings().dynamodb_endpoint, config=config)
                _client = cast("DynamoDBClient", made)
    return _client


def _session() -> Session:
    """A botocore session whose model loader knows only DynamoDB.

    Before loading a service's model, botocore's loader lists every service folder it ships, to check the
    name: ~440 folders and ~2 800 ``stat`` calls, twice (the model and its endpoint rules), ~20 ms of a cold
    start (``make bench``). This process only ever loads DynamoDB's model, which the loader still finds
    where botocore keeps it."""
    from botocore.loaders import Loader
    from botocore.session import get_session

    class DynamoDBOnlyLoader(Loader):
        def list_available_services(self, type_name: str) -> list[str]:
            return [SERVICE]

    session = get_session()
    session.register_component("data_loader", DynamoDBOnlyLoader())
    return session


def reset_client() -> None:
    """Forget the client (tests and the local API switch endpoints or credentials)."""
    global _client
    _client = None


# ---- keys and (de)serialisation ---------------------------------------------------------------------------


def tenant_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def dataset_sk(dataset_id: str) -> str:
    return DATASET_PREFIX + dataset_id


def update_sort_key(update_time: int, dataset_id: str) -> str:
    return f"{update_time:015d}#{dataset_id}"


def _to_attr(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float, Decimal)):
        return {"N": str(value) if not isinstance(value, float) else repr(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, Mapping):
        return {"M": {str(k): _to_attr(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [_to_attr(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__}")


def _from_attr(attr: Mapping[str, Any]) -> Any:
    ((kind, value),) = attr.items()
    if kind in {"S", "BOOL"}:
        return value
    if kind == "N":
        return int(value) if value.lstrip("-").isdigit() else float(value)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: _from_attr(v) for k, v in value.items()}
    if kind == "L":
        return [_from_attr(v) for v in value]
    raise TypeError(f"unexpected attribute type {kind}")


def _item(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _to_attr(v) for k, v in attrs.items()}


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _from_attr(v) for k, v in item.items()}


def _dataset_item(ds: Dataset) -> dict[str, Any]:
    return _item(
        {
            "pk": tenant_pk(ds.tenant_id),
            "sk": dataset_sk(ds.id),
            "update_sk": update_sort_key(ds.update_time, ds.id),
            **ds.model_dump(),
        }
    )


def _dataset(item: Mapping[str, Any]) -> Dataset:
    from .models import Dataset

    return Dataset.model_validate(_plain(item))


# ---- error translation -----------------------------------------------------------------------------------


class _Translate:
    """Turn what botocore raises into our errors; ``reasons`` maps a cancelled transaction's item index to
    the domain error its failed condition means."""

    def __init__(self, reasons: Mapping[int, ApiError] | None = None) -> None:
        self.reasons = reasons or {}

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is None or isinstance(exc, ApiError):
            return
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            if error.get("Code") == "TransactionCanceledException":
                reasons = exc.response.get("CancellationReasons", [])
                for index, reason in enumerate(reasons):
                    if reason.get("Code") == "ConditionalCheckFailed" and index in self.reasons:
                        raise self.reasons[index] from None
                if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                    raise ConditionFailedError from None
                raise StorageUnavailable from exc  # conflicts or throttling inside the transaction
            if error.get("Code") == "ConditionalCheckFailedException":
                raise ConditionFailedError from None
            if _is_transient(exc):
                raise StorageUnavailable from exc
            return
        if isinstance(exc, BotoCoreError):  # connection errors, timeouts
            raise StorageUnavailable from exc


class ConditionFailedError(Exception):
    """A write's condition no longer held: someone else changed the item first."""


def _transact(items: list[TransactWriteItemTypeDef], reasons: Mapping[int, ApiError] | None = None) -> None:
    """One ``TransactWriteItems``, retried a few times if DynamoDB cancelled it *only* because another
    transaction touched one of its items at that moment (``TransactionConflict``: every create of a
    tenant touches its counter). The SDK's retry modes do not retry cancelled transactions."""
    from botocore.exceptions import ClientError

    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            with _Translate(reasons):
                client().transact_write_items(TransactItems=items)
            return
        except StorageUnavailable as unavailable:
            cause = unavailable.__cause__
            codes = (
                {r.get("Code") for r in cause.response.get("CancellationReasons", [])}
                if isinstance(cause, ClientError)
                else set()
            )
            conflict = "TransactionConflict" in codes and codes <= {"None", "TransactionConflict"}
            if not conflict or attempt == CONFLICT_RETRIES:
                raise
            time.sleep(random.uniform(0.01, 0.05) * 2**attempt)  # noqa: S311 - jitter, not a secret


def _is_transient(exc: Any) -> bool:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    code = exc.response.get("Error", {}).get("Code", "")
    return (
        status >= 500
        or "Throttl" in code
        or code
        in {
            "ProvisionedThroughputExceededException",
            "RequestLimitExceeded",
            "LimitExceededException",
            "InternalServerError",
            "ServiceUnavailable",
        }
    )


# ---- datasets ---------------------------------------------------------------------------------------------


def create_dataset(ds: Dataset, quota: int) -> None:
    """Store a new dataset, its name lock and the incremented counter in one transaction."""
    pk = tenant_pk(ds.tenant_id)
    _transact(
        [
            {
                "Put": {
                    "TableName": settings().table_name,
                    "Item": _dataset_item(ds),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": settings().table_name,
                    "Item": _item({"pk": pk, "sk": name_lock_key(ds.name), "dataset_id": ds.id}),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": settings().table_name,
                    "Key": _item({"pk": pk, "sk": META_SK}),
                    "UpdateExpression": "ADD dataset_count :one",
                    "ConditionExpression": "attribute_not_exists(dataset_count) OR dataset_count < :quota",
                    "ExpressionAttributeValues": _item({":one": 1, ":quota": quota}),
                }
            },
        ],
        {1: DuplicateName(ds.name), 2: QuotaExceeded(quota)},
    )


def get_dataset(tenant_id: str, dataset_id: str) -> Dataset | None:
    with _Translate():
        response = client().get_item(
            TableName=settings().table_name,
            Key=_item({"pk": tenant_pk(tenant_id), "sk": dataset_sk(dataset_id)}),
            ConsistentRead=True,
        )
    item = response.get("Item")
    return _dataset(item) if item else None


def update_dataset(old: Dataset, new: Dataset) -> bool:
    """Replace ``old`` by ``new`` (same id) in one transaction, moving the name lock if the name changed.

    The write is conditional on ``old.version``: returns False if someone else wrote the dataset since
    ``old`` was read (the caller re-reads and re-applies), so no update is ever lost.
    """
    pk = tenant_pk(old.tenant_id)
    table = settings().table_name
    items: list[TransactWriteItemTypeDef] = [
        {
            "Put": {
                "TableName": table,
                "Item": _dataset_item(new),
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": _item({":v": old.version}),
            }
        }
    ]
    if name_lock_key(old.name) != name_lock_key(new.name):
        items += [
            {
                "Put": {
                    "TableName": table,
                    "Item": _item({"pk": pk, "sk": name_lock_key(new.name), "dataset_id": new.id}),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Delete": {
                    "TableName": table,
                    "Key": _item({"pk": pk, "sk": name_lock_key(old.name)}),
                    "ConditionExpression": "dataset_id = :id",
                    "ExpressionAttributeValues": _item({":id": old.id}),
                }
            },
        ]
    try:
        _transact(items, {1: DuplicateName(new.name)})
    except ConditionFailedError:
        return False
    return True


def get_datasets(tenant_id: str, dataset_ids: list[str]) -> dict[str, Dataset]:
    """The tenant's datasets among ``dataset_ids`` (absent ones are simply missing from the result)."""
    found: dict[str, Dataset] = {}
    pk = tenant_pk(tenant_id)
    for start in range(0, len(dataset_ids), 100):
        keys = [_item({"pk": pk, "sk": dataset_sk(i)}) for i in dataset_ids[start : start + 100]]
        request: dict[str, Any] = {settings().table_name: {"Keys": keys, "ConsistentRead": True}}
        for _ in range(8):  # BatchGetItem may hand back keys it did not get to under load
            with _Translate():
                response = client().batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(settings().table_name, []):
                ds = _dataset(item)
                found[ds.id] = ds
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise StorageUnavailable
    return found


def delete_datasets(datasets: list[Dataset]) -> int:
    """Delete datasets of one tenant, each with its lock, in transactions of up to 49 datasets plus the
    counter (a transaction holds 100 items). Returns how many were deleted; a chunk whose datasets changed
    meanwhile is skipped whole, never half-applied."""
    deleted = 0
    table = settings().table_name
    for start in range(0, len(datasets), 49):
        chunk = datasets[start : start + 49]
        pk = tenant_pk(chunk[0].tenant_id)
        items: list[TransactWriteItemTypeDef] = []
        for ds in chunk:
            items += [
                {
                    "Delete": {
                        "TableName": table,
                        "Key": _item({"pk": pk, "sk": dataset_sk(ds.id)}),
                        "ConditionExpression": "version = :v",
                        "ExpressionAttributeValues": _item({":v": ds.version}),
                    }
                },
                {
                    "Delete": {
                        "TableName": table,
                        "Key": _item({"pk": pk, "sk": name_lock_key(ds.name)}),
                        "ConditionExpression": "dataset_id = :id",
                        "ExpressionAttributeValues": _item({":id": ds.id}),
                    }
                },
            ]
        items.append(
            {
                "Update": {
                    "TableName": table,
                    "Key": _item({"pk": pk, "sk": META_SK}),
                    "UpdateExpression": "ADD dataset_count :minus",
                    "ConditionExpression": "dataset_count >= :n",
                    "ExpressionAttributeValues": _item({":minus": -len(chunk), ":n": len(chunk)}),
                }
            }
        )
        try:
            _transact(items)
        except ConditionFailedError:
            continue
        except StorageUnavailable as unavailable:
            if deleted:  # earlier chunks are gone: say so, rather than "nothing was changed"
                raise PartiallyDeleted(deleted, len(datasets)) from unavailable
            raise
        deleted += len(chunk)
    return deleted


def names_with_prefix(tenant_id: str, name: str) -> list[str]:
    """Lower-cased names of the tenant that start with ``name`` (for auto-renaming ``name(1)``...)."""
    query: dict[str, Any] = {
        "TableName": settings().table_name,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": _item({":pk": tenant_pk(tenant_id), ":prefix": "NAME#" + name.lower()}),
        "ProjectionExpression": "sk",
    }
    names: list[str] = []
    while True:
        with _Translate():
            response = client().query(**query)
        names += [item["sk"]["S"][len("NAME#") :] for item in response.get("Items", [])]
        if not response.get("LastEvaluatedKey"):
            return names
        query["ExclusiveStartKey"] = response["LastEvaluatedKey"]


Order = Literal["create_time", "update_time"]


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
        with _Translate():
            response = client().query(**query)
        for item in response.get("Items", []):
            if item["sk"]["S"] == META_SK:
                total = int(item["dataset_count"]["N"])
                continue
            if skip <= seen < skip + limit:
                page.append(_dataset(item))
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
    query: dict[str, Any] = {"TableName": settings().table_name, "ScanIndexForward": not descending}
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
    query["ExpressionAttributeValues"] = _item(values)
    if after is not None:
        after_id, after_update_time = after
        start = {"pk": pk, "sk": dataset_sk(after_id)}
        if orderby == "update_time":
            start["update_sk"] = update_sort_key(after_update_time, after_id)
        query["ExclusiveStartKey"] = _item(start)
    return query


def dataset_count(tenant_id: str) -> int:
    with _Translate():
        response = client().get_item(
            TableName=settings().table_name,
            Key=_item({"pk": tenant_pk(tenant_id), "sk": META_SK}),
            ConsistentRead=True,
        )
    return int(_plain(response.get("Item", {})).get("dataset_count", 0))


def name_lock_owner(tenant_id: str, name: str) -> str | None:
    """The id of the dataset holding ``name`` in this tenant, if any."""
    with _Translate():
        response = client().get_item(
            TableName=settings().table_name,
            Key=_item({"pk": tenant_pk(tenant_id), "sk": name_lock_key(name)}),
            ConsistentRead=True,
        )
    item = response.get("Item")
    return str(_plain(item)["dataset_id"]) if item else None


# ---- API keys ---------------------------------------------------------------------------------------------


def apikey_pk(digest: str) -> str:
    return f"APIKEY#{digest}"


def put_api_key(*, digest: str, tenant_id: str, key_id: str, label: str, created_at: int) -> None:
    record = {"tenant_id": tenant_id, "key_id": key_id, "label": label, "created_at": created_at, "status": "active"}
    _transact(
        [
            {
                "Put": {
                    "TableName": settings().table_name,
                    "Item": _item({"pk": apikey_pk(digest), "sk": "APIKEY", **record}),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": settings().table_name,
                    "Item": _item({"pk": tenant_pk(tenant_id), "sk": f"APIKEY#{key_id}", "digest": digest, **record}),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
    )


def get_api_key(digest: str) -> dict[str, Any] | None:
    with _Translate():
        response = client().get_item(
            TableName=settings().table_name, Key=_item({"pk": apikey_pk(digest), "sk": "APIKEY"})
        )
    item = response.get("Item")
    return _plain(item) if item else None


def list_api_keys(tenant_id: str) -> list[dict[str, Any]]:
    query: dict[str, Any] = {
        "TableName": settings().table_name,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": _item({":pk": tenant_pk(tenant_id), ":prefix": "APIKEY#"}),
    }
    keys: list[dict[str, Any]] = []
    while True:
        with _Translate():
            response = client().query(**query)
        keys.extend(_plain(item) for item in response.get("Items", []))
        if not response.get("LastEvaluatedKey"):
            return keys
        query["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def find_api_key(key_id: str) -> dict[str, Any] | None:
    """A key's index item by its id alone, for an operator's ``revoke KEY_ID``.

    This is the one Scan in the code base, and no request path calls it: only the operator CLI does.
    """
    scan: dict[str, Any] = {
        "TableName": settings().table_name,
        "FilterExpression": "sk = :sk",
        "ExpressionAttributeValues": _item({":sk": f"APIKEY#{key_id}"}),
    }
    while True:
        with _Translate():
            response = client().scan(**scan)
        for item in response.get("Items", []):
            return _plain(item)
        if not response.get("LastEvaluatedKey"):
            return None
        scan["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def revoke_api_key(tenant_id: str, key_id: str, digest: str) -> None:
    status = {":revoked": "revoked"}
    _transact(
        [
            {
                "Update": {
                    "TableName": settings().table_name,
                    "Key": _item({"pk": apikey_pk(digest), "sk": "APIKEY"}),
                    "UpdateExpression": "SET #s = :revoked",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": _item(status),
                }
            },
            {
                "Update": {
                    "TableName": settings().table_name,
                    "Key": _item({"pk": tenant_pk(tenant_id), "sk": f"APIKEY#{key_id}"}),
                    "UpdateExpression": "SET #s = :revoked",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": _item(status),
                }
            },
        ]
    )

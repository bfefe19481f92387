"""Reading a tenant's datasets in order: pages (with the tenant's total), and every dataset's reference.

Queries over the tenant's partition, on the table (creation order) or on the ``by_update_time`` index.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, TypeVar

from ..dataset import Dataset, Order
from .client import client, table
from .codec import item, plain
from .datasets import (
    DATASET_PREFIX,
    MAX_TRANSACTION_DATASETS,
    META_SK,
    UPDATE_TIME_INDEX,
    DatasetRef,
    dataset_count,
    dataset_sk,
    tenant_pk,
    update_sort_key,
)
from .datasets import _dataset as dataset_of_item
from .transact import Translate

REFS_PER_PAGE = MAX_TRANSACTION_DATASETS * 10
"""Dataset references one Query of ``dataset_refs`` reads: what bounds the memory of deleting them all."""


# ---- listings ---------------------------------------------------------------------------------------------


class Listing(NamedTuple):
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
    backwards returns it first. A first page with its total is then one round trip. Any other page that needs
    the total (a cursor page, another order) reads the counter at the same time as the page, on a second
    connection: two calls, one round trip of latency.
    """
    meta_in_band = with_total and descending and orderby == "create_time" and after is None
    counted = _meanwhile(dataset_count, tenant_id) if with_total and not meta_in_band else None
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
                page.append(dataset_of_item(typed))
            seen += 1
        last_key = response.get("LastEvaluatedKey")
        if not last_key or not response.get("Items"):  # moto omits the key on an exact fit; AWS may not
            break
        query["ExclusiveStartKey"] = last_key
        query["Limit"] = min(wanted - seen, 1000)  # only what is still needed
    if meta_in_band and total is None:
        total = 0  # no counter item yet: the tenant never created a dataset
    if counted is not None:
        total = counted()
    return Listing(page, total, more=seen > skip + limit)


T = TypeVar("T")


def _meanwhile(call: Callable[..., T], *args: Any) -> Callable[[], T]:
    """Start ``call(*args)`` on a thread of its own (botocore clients are thread-safe); the returned function
    waits for its result, or raises what it raised."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, call(*args)))
        except BaseException as error:
            outcome.append((False, error))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def result() -> T:
        thread.join()
        ok, value = outcome[0]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    return result


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
    """The tenant's datasets, oldest first, a page at a time, each as the attributes ``projection`` names."""
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

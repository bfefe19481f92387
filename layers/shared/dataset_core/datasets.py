"""Dataset operations shared by both API generations: the rules of the domain, on top of ``storage``.

Each function takes the caller's tenant first; nothing here can reach another tenant's partition,
because every storage call is keyed by that tenant.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from . import contention, idempotency
from .config import settings
from .dataset import Dataset, Order
from .errors import DomainError, PartiallyDeleted, StorageUnavailable
from .ids import new_id
from .observability import metrics
from .storage import datasets as storage
from .storage import listings
from .storage.requests import RequestSeen

MAX_PAGE = 1000
"""Most datasets one response carries; clients page with ``offset`` (or a page token)."""
DELETE_SECONDS = 20.0
"""How long a delete of many datasets keeps starting transactions: inside the delete function's timeout and API
Gateway's 29 s integration limit, with room for the transaction under way."""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def create(
    tenant_id: str,
    name: str,
    *,
    render: Callable[[Dataset], dict[str, Any]],
    request: idempotency.RequestKey | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Create a dataset named ``name`` (already validated) and answer with ``render`` of it; ``DuplicateName``
    if the tenant has the name. With a ``request`` key, a request made before gets its first answer instead.

    ``fields`` are further ``Dataset`` attributes (``parser_config`` among them); the rest take their defaults.
    """
    created = now_ms()
    ds = Dataset.model_validate(
        {
            "embd_id": settings().default_embedding_model,
            **fields,
            "id": new_id(),
            "tenant_id": tenant_id,
            "created_by": tenant_id,
            "name": name,
            "create_time": created,
            "update_time": created,
        }
    )
    answer = render(ds)
    record = idempotency.record(request, answer) if request is not None else None
    try:
        storage.create_dataset(ds, settings().dataset_quota, record)
    except RequestSeen:
        assert request is not None  # only a create with a key writes (and so meets) a record
        return dict(idempotency.replay(request))
    metrics().add_metric(name="DatasetsCreated", unit=MetricUnit.Count, value=1)
    return answer


def get(tenant_id: str, dataset_id: str, *, missing: DomainError) -> Dataset:
    ds = storage.get_dataset(tenant_id, dataset_id)
    if ds is None:
        raise missing
    return ds


def update(
    tenant_id: str,
    dataset_id: str,
    change: Callable[[Dataset], Dataset],
    *,
    missing: DomainError,
    read: Dataset | None = None,
) -> Dataset:
    """Apply ``change`` to the stored dataset (``read``, if the caller has just read it) and write it back,
    conditional on its version.

    If another request wrote the dataset in between, read it again and re-apply: no update is lost, and a
    rename moves the name lock in the same transaction (or fails with ``DuplicateName``, changing nothing).
    """
    for attempt in contention.attempts():
        current = read if read is not None and attempt == 0 else get(tenant_id, dataset_id, missing=missing)
        proposed = change(current.model_copy(deep=True))
        updated = proposed.model_copy(update={"version": current.version + 1, "update_time": now_ms()})
        if storage.update_dataset(current, updated):
            return updated
    raise StorageUnavailable  # other writers kept winning for the whole budget: let the client retry


def delete(tenant_id: str, dataset_id: str, *, missing: DomainError) -> None:
    """Delete a dataset with its name lock and counter; retried if a concurrent write moved it first."""
    for _ in contention.attempts():
        ds = get(tenant_id, dataset_id, missing=missing)
        if storage.delete_chunk([storage.ref(ds)]):
            _count_deleted(1)
            return
    raise StorageUnavailable  # other writers kept changing it for the whole budget: let the client retry


def delete_many(tenant_id: str, found: Sequence[Dataset]) -> int:
    """Delete every one of ``found`` (the caller checked they are the tenant's), or say what is left.

    A transaction whose datasets changed since they were read is retried on what they are now; one that
    someone else deleted meanwhile is done. Success means all of them are gone; anything less is
    ``PartiallyDeleted``, with what was deleted and the ids left, never a success.
    """
    deadline = time.monotonic() + DELETE_SECONDS
    refs = [storage.ref(ds) for ds in found]
    return _delete_refs(tenant_id, refs, deleted_before=0, requested=len(found), deadline=deadline)


def delete_all(tenant_id: str) -> int:
    """Delete every dataset of the tenant, a page of references at a time (bounded memory whatever its size)."""
    deadline = time.monotonic() + DELETE_SECONDS
    deleted = 0
    for page in listings.dataset_refs(tenant_id):
        deleted = _delete_refs(tenant_id, page, deleted_before=deleted, requested=None, deadline=deadline)
    return deleted


def _delete_refs(
    tenant_id: str, refs: list[storage.DatasetRef], *, deleted_before: int, requested: int | None, deadline: float
) -> int:
    """Once ``deadline`` has passed, no transaction starts and the answer is ``PartiallyDeleted``: the function's
    timeout must never cut a delete off unanswered. A request deletes at least one transaction's worth, so that
    retries finish what it started."""
    left = {r.id: r for r in refs}
    deleted = deleted_before
    for _ in contention.attempts():
        refs_left, size = list(left.values()), storage.MAX_TRANSACTION_DATASETS
        chunks = [refs_left[i : i + size] for i in range(0, len(refs_left), size)]
        for chunk in chunks:
            if deleted and time.monotonic() > deadline:
                raise PartiallyDeleted(deleted, requested, list(left))
            try:
                done = storage.delete_chunk(chunk)
            except StorageUnavailable as unavailable:
                if deleted:  # earlier transactions committed: say so, rather than "nothing was changed"
                    raise PartiallyDeleted(deleted, requested, list(left)) from unavailable
                raise
            if done:
                deleted += len(chunk)
                _count_deleted(len(chunk))
                for r in chunk:
                    del left[r.id]
        if not left:
            return deleted
        current = storage.get_datasets(tenant_id, list(left))  # what the failed transactions found changed
        for dataset_id in [i for i in left if i not in current]:
            del left[dataset_id]  # deleted by someone else meanwhile: gone, as asked
            deleted += 1
        left = {i: storage.ref(current[i]) for i in left}
        if not left:
            return deleted
    raise PartiallyDeleted(deleted, requested, list(left))


def _count_deleted(count: int) -> None:
    metrics().add_metric(name="DatasetsDeleted", unit=MetricUnit.Count, value=count)


def page(
    tenant_id: str,
    *,
    orderby: Order,
    descending: bool,
    offset: int,
    limit: int,
    after: tuple[str, int] | None = None,
    with_total: bool = False,
) -> listings.Listing:
    """``limit`` datasets (at most ``MAX_PAGE``) after skipping ``offset``: offset paging costs O(offset)."""
    limit = min(limit, MAX_PAGE)
    if limit <= 0:
        total = storage.dataset_count(tenant_id) if with_total else None
        return listings.Listing([], total, more=False)
    return listings.list_datasets(
        tenant_id, orderby=orderby, descending=descending, skip=offset, limit=limit, after=after, with_total=with_total
    )

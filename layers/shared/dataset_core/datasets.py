"""Dataset operations shared by both API generations: the rules of the domain, on top of ``storage``.

Each function takes the caller's tenant first; nothing here can reach another tenant's partition,
because every storage call is keyed by that tenant.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from .config import settings
from .dataset import Dataset, Order
from .errors import DomainError, StorageUnavailable
from .ids import new_id
from .observability import metrics
from .storage import datasets as storage

MAX_PAGE = 1000
"""Most datasets one response carries; clients page with ``offset`` (or a page token)."""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def create(tenant_id: str, name: str, **fields: Any) -> Dataset:
    """Create a dataset named ``name`` (already validated); ``DuplicateName`` if the tenant has the name.

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
    storage.create_dataset(ds, settings().dataset_quota)
    metrics().add_metric(name="DatasetsCreated", unit=MetricUnit.Count, value=1)
    return ds


def get(tenant_id: str, dataset_id: str, *, missing: DomainError) -> Dataset:
    ds = storage.get_dataset(tenant_id, dataset_id)
    if ds is None:
        raise missing
    return ds


def update(tenant_id: str, dataset_id: str, change: Callable[[Dataset], Dataset], *, missing: DomainError) -> Dataset:
    """Apply ``change`` to the stored dataset and write it back, conditional on its version.

    If another request wrote the dataset in between, read it again and re-apply: no update is lost, and a
    rename moves the name lock in the same transaction (or fails with ``DuplicateName``, changing nothing).
    """
    for _ in range(5):
        current = get(tenant_id, dataset_id, missing=missing)
        proposed = change(current.model_copy(deep=True))
        updated = proposed.model_copy(update={"version": current.version + 1, "update_time": now_ms()})
        if storage.update_dataset(current, updated):
            return updated
    raise StorageUnavailable  # five writers in a row beat us to it: let the client retry


def delete(tenant_id: str, dataset_id: str, *, missing: DomainError) -> None:
    """Delete a dataset with its name lock and counter; retried if a concurrent write moved it first."""
    for _ in range(5):
        ds = get(tenant_id, dataset_id, missing=missing)
        if storage.delete_datasets([ds]) == 1:
            metrics().add_metric(name="DatasetsDeleted", unit=MetricUnit.Count, value=1)
            return
    raise missing  # still changing under us after several tries: someone else deleted or keeps renaming it


def page(
    tenant_id: str,
    *,
    orderby: Order,
    descending: bool,
    offset: int,
    limit: int,
    after: tuple[str, int] | None = None,
    with_total: bool = False,
) -> storage.Listing:
    """``limit`` datasets (at most ``MAX_PAGE``) after skipping ``offset``: offset paging costs O(offset)."""
    limit = min(limit, MAX_PAGE)
    if limit <= 0:
        total = storage.dataset_count(tenant_id) if with_total else None
        return storage.Listing([], total, more=False)
    return storage.list_datasets(
        tenant_id, orderby=orderby, descending=descending, skip=offset, limit=limit, after=after, with_total=with_total
    )

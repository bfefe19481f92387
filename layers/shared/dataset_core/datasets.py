"""Dataset operations shared by both API generations: the rules of the domain, on top of ``storage``.

Each function takes the caller's tenant first; nothing here can reach another tenant's partition,
because every storage call is keyed by that tenant.
"""

from __future__ import annotations

import itertools
import time

from aws_lambda_powertools.metrics import MetricUnit

from . import storage
from .config import settings
from .errors import ApiError, BadRequest
from .ids import new_id, normalize_id
from .models import DEFAULT_PARSER_CONFIG, Dataset
from .observability import metrics

MAX_PAGE = 1000
"""Most datasets one response carries; clients page with ``offset`` (or a page token)."""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def dataset_id(raw: str) -> str:
    """A path id as stored (32 lowercase hex), or 400/101 if it is not a UUID at all."""
    normalized = normalize_id(raw)
    if normalized is None:
        raise BadRequest(f"Invalid dataset id '{raw[:64]}': expected a UUID (32 hex characters)")
    return normalized


def create(tenant_id: str, name: str) -> Dataset:
    """Create a dataset named ``name`` (already validated); 409 if the tenant has the name already."""
    created = now_ms()
    ds = Dataset(
        id=new_id(),
        tenant_id=tenant_id,
        created_by=tenant_id,
        name=name,
        embd_id=settings().default_embedding_model,
        parser_config=DEFAULT_PARSER_CONFIG,
        create_time=created,
        update_time=created,
    )
    storage.create_dataset(ds, settings().dataset_quota)
    metrics.add_metric(name="DatasetsCreated", unit=MetricUnit.Count, value=1)
    return ds


def get(tenant_id: str, dataset_id: str, *, missing: ApiError) -> Dataset:
    ds = storage.get_dataset(tenant_id, dataset_id)
    if ds is None:
        raise missing
    return ds


def delete(tenant_id: str, dataset_id: str, *, missing: ApiError) -> None:
    """Delete a dataset with its name lock and counter; retried if a concurrent write moved it first."""
    for _ in range(5):
        ds = get(tenant_id, dataset_id, missing=missing)
        if storage.delete_dataset(ds):
            metrics.add_metric(name="DatasetsDeleted", unit=MetricUnit.Count, value=1)
            return
    raise missing  # still changing under us after several tries: someone else deleted or keeps renaming it


def page(tenant_id: str, *, orderby: storage.Order, descending: bool, offset: int, limit: int) -> list[Dataset]:
    """``limit`` datasets after skipping ``offset`` (offset paging costs O(offset) reads)."""
    limit = min(limit, MAX_PAGE)
    if limit <= 0:
        return []
    rows = storage.iter_datasets(
        tenant_id, orderby=orderby, descending=descending, page_size=min(offset + limit, MAX_PAGE)
    )
    return list(itertools.islice(rows, offset, offset + limit))

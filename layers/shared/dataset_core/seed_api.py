"""The seed API (``/api/v1/dataset``, DESIGN §3): its words, codes and shapes over ``datasets``."""

from __future__ import annotations

from . import datasets, storage
from .errors import DATA_ERROR, OPERATING_ERROR, DatasetNotFound
from .models import SeedCreated, SeedCreateRequest, SeedDataset
from .names import seed_name


def _missing_on_get() -> DatasetNotFound:
    return DatasetNotFound("Can't find this dataset!", DATA_ERROR)


def _missing_on_delete() -> DatasetNotFound:
    return DatasetNotFound(
        "The dataset cannot be found for your current account.", OPERATING_ERROR, extra={"success": False}
    )


def create(tenant_id: str, request: SeedCreateRequest) -> SeedCreated:
    ds = datasets.create(tenant_id, seed_name(request.requested_name))
    return SeedCreated(dataset_name=ds.name, dataset_id=ds.id, id=ds.id)


def list_datasets(tenant_id: str, *, offset: int, count: int, orderby: storage.Order, desc: bool) -> list[SeedDataset]:
    limit = datasets.MAX_PAGE if count == -1 else count
    rows = datasets.page(tenant_id, orderby=orderby, descending=desc, offset=offset, limit=limit)
    return [SeedDataset.of(ds) for ds in rows]


def get(tenant_id: str, raw_id: str) -> SeedDataset:
    ds = datasets.get(tenant_id, datasets.dataset_id(raw_id), missing=_missing_on_get())
    return SeedDataset.of(ds)


def delete(tenant_id: str, raw_id: str) -> None:
    datasets.delete(tenant_id, datasets.dataset_id(raw_id), missing=_missing_on_delete())

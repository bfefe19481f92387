"""The seed API (``/api/v1/dataset``): its words, codes and shapes over ``datasets``."""

from __future__ import annotations

from . import current_api, datasets
from .errors import DATA_ERROR, OPERATING_ERROR, DatasetNotFound, NothingToUpdate
from .models import Dataset, SeedCreated, SeedCreateRequest, SeedDataset, SeedListQuery, SeedUpdateRequest
from .names import seed_name


def _missing_on_get() -> DatasetNotFound:
    return DatasetNotFound("Can't find this dataset!", DATA_ERROR)


def _missing_on_delete() -> DatasetNotFound:
    return DatasetNotFound(
        "The dataset cannot be found for your current account.", OPERATING_ERROR, extra={"success": False}
    )


def _missing_on_update() -> DatasetNotFound:
    return DatasetNotFound("Only the owner of knowledgebase is authorized for this operation!", OPERATING_ERROR)


def create(tenant_id: str, request: SeedCreateRequest) -> SeedCreated:
    ds = datasets.create(tenant_id, seed_name(request.requested_name))
    return SeedCreated(dataset_name=ds.name, dataset_id=ds.id, id=ds.id)


def list_datasets(tenant_id: str, query: SeedListQuery) -> list[SeedDataset]:
    limit = datasets.MAX_PAGE if query.count == -1 else query.count
    listing = datasets.page(tenant_id, orderby=query.orderby, descending=query.desc, offset=query.offset, limit=limit)
    return [SeedDataset.of(ds) for ds in listing.datasets]


def get(tenant_id: str, raw_id: str) -> SeedDataset:
    ds = datasets.get(tenant_id, datasets.dataset_id(raw_id), missing=_missing_on_get())
    return SeedDataset.of(ds)


def delete(tenant_id: str, raw_id: str) -> None:
    datasets.delete(tenant_id, datasets.dataset_id(raw_id), missing=_missing_on_delete())


def update(tenant_id: str, raw_id: str, request: SeedUpdateRequest) -> SeedDataset:
    """Apply the fields sent (a null is "not sent"); a new name follows the create rules."""
    sent = {field: value for field, value in request.model_dump(exclude_unset=True).items() if value is not None}
    if not sent:
        raise NothingToUpdate("Please input at least one parameter that you want to update!")
    name = seed_name(sent["name"]) if "name" in sent else None
    embd_id = current_api.embedding_model(sent["embedding_model_id"]) if "embedding_model_id" in sent else None

    def change(ds: Dataset) -> Dataset:
        ds.name = name or ds.name
        ds.description = sent.get("description", ds.description)
        ds.permission = sent.get("permission", ds.permission)
        ds.language = sent.get("language", ds.language)
        ds.parser_id = sent.get("chunk_method", ds.parser_id)
        ds.embd_id = embd_id or ds.embd_id
        ds.avatar = sent.get("photo", ds.avatar)
        if "layout_recognize" in sent:
            ds.parser_config = {**ds.parser_config, "layout_recognize": sent["layout_recognize"]}
        return ds

    dataset_id = datasets.dataset_id(raw_id)
    return SeedDataset.of(datasets.update(tenant_id, dataset_id, change, missing=_missing_on_update()))

"""The legacy API's operations: its words, codes and shapes over ``dataset_core.datasets``."""

from __future__ import annotations

from typing import Any

from .. import datasets, embedding, idempotency, payload
from ..config import settings
from ..dataset import Dataset
from ..errors import BadRequest, DatasetNotFound, DatasetNotOwned, NothingToUpdate
from ..ids import normalize_id
from ..names import legacy_name
from .models import LegacyCreated, LegacyCreateRequest, LegacyDataset, LegacyListQuery, LegacyUpdateRequest

DEFAULT_PARSER_CONFIG: dict[str, Any] = {"pages": [[1, 1000000]]}


def _dataset_id(raw: str) -> str:
    """A path id as stored (32 lowercase hex), or 400/101 if it is not a UUID at all."""
    normalized = normalize_id(raw)
    if normalized is None:
        raise BadRequest(f"Invalid dataset id '{raw[:64]}': expected a UUID (32 hex characters)")
    return normalized


def _missing_on_get() -> DatasetNotFound:
    return DatasetNotFound("Can't find this dataset!")


def _missing_on_delete() -> DatasetNotOwned:
    return DatasetNotOwned("The dataset cannot be found for your current account.", extra={"success": False})


def _missing_on_update() -> DatasetNotOwned:
    return DatasetNotOwned("Only the owner of knowledgebase is authorized for this operation!")


def create(tenant_id: str, request: LegacyCreateRequest, idempotency_key: str | None = None) -> dict[str, Any]:
    return datasets.create(
        tenant_id,
        legacy_name(request.requested_name),
        render=lambda ds: LegacyCreated(dataset_name=ds.name, dataset_id=ds.id, id=ds.id).model_dump(),
        request=idempotency.request_key(tenant_id, idempotency_key, "POST /api/v1/dataset", request),
        parser_config=DEFAULT_PARSER_CONFIG,
    )


def list_datasets(tenant_id: str, query: LegacyListQuery) -> payload.Encoded:
    """Up to ``count`` datasets from ``offset``, fewer if more would not fit in one Lambda response: the
    legacy API's clients page by the number of datasets they received."""
    limit = datasets.MAX_PAGE if query.count == -1 else query.count
    listing = datasets.page(tenant_id, orderby=query.orderby, descending=query.desc, offset=query.offset, limit=limit)
    views = [LegacyDataset.of(ds).model_dump(mode="json") for ds in listing.datasets]
    return payload.fitted(views).json


def get(tenant_id: str, raw_id: str) -> LegacyDataset:
    return LegacyDataset.of(datasets.get(tenant_id, _dataset_id(raw_id), missing=_missing_on_get()))


def delete(tenant_id: str, raw_id: str) -> None:
    datasets.delete(tenant_id, _dataset_id(raw_id), missing=_missing_on_delete())


def update(tenant_id: str, raw_id: str, request: LegacyUpdateRequest) -> LegacyDataset:
    """Apply the fields sent (a null is "not sent"); a new name follows the create rules."""
    sent = {field: value for field, value in request.model_dump(exclude_unset=True).items() if value is not None}
    if not sent:
        raise NothingToUpdate("Please input at least one parameter that you want to update!")
    name = legacy_name(sent["name"]) if "name" in sent else None
    models = settings().embedding_models
    embd_id = embedding.resolve(sent["embedding_model_id"], models) if "embedding_model_id" in sent else None

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

    dataset_id = _dataset_id(raw_id)
    return LegacyDataset.of(datasets.update(tenant_id, dataset_id, change, missing=_missing_on_update()))

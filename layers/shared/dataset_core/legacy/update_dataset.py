"""PUT /dataset/{dataset_id}: the fields sent, applied with the legacy API's name rules."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .. import datasets, embedding
from ..config import settings
from ..dataset import ChunkMethod, Dataset, Permission
from ..errors import DatasetNotOwned, NothingToUpdate
from ..names import legacy_name
from .dataset import LegacyDataset, dataset_id


class LegacyUpdateRequest(BaseModel):
    """The fields RAGFlow's PUT /dataset/{id} took, each with the column it sets."""

    model_config = ConfigDict(strict=True, extra="forbid", defer_build=True)

    name: str | None = None
    description: str | None = Field(default=None, max_length=65535)
    permission: Permission | None = None
    language: str | None = Field(default=None, max_length=32)
    chunk_method: ChunkMethod | None = None  # -> parser_id
    embedding_model_id: str | None = Field(default=None, max_length=255)  # -> embd_id
    photo: str | None = Field(default=None, max_length=65535)  # -> avatar
    layout_recognize: bool | None = None  # -> parser_config.layout_recognize


def update(tenant_id: str, raw_id: str, request: LegacyUpdateRequest) -> dict[str, Any]:
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

    missing = DatasetNotOwned("Only the owner of knowledgebase is authorized for this operation!")
    return LegacyDataset.shown(datasets.update(tenant_id, dataset_id(raw_id), change, missing=missing))

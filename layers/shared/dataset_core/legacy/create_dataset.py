"""POST /dataset: a dataset by name, with the legacy API's name rules and default config."""

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, model_validator

from .. import datasets, idempotency
from ..names import legacy_name

DEFAULT_PARSER_CONFIG: dict[str, Any] = {"pages": [[1, 1000000]]}


class LegacyCreateRequest(BaseModel):
    """``{"dataset_name": ...}``; RAGFlow's own client of the time sent ``{"name": ...}``, so both work."""

    model_config = ConfigDict(strict=True, extra="forbid", defer_build=True)

    dataset_name: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _one_name(self) -> Self:
        if self.dataset_name is None and self.name is None:
            raise ValueError("dataset_name is required")
        if self.dataset_name is not None and self.name is not None and self.dataset_name != self.name:
            raise ValueError("dataset_name and name differ; send only dataset_name")
        return self

    @property
    def requested_name(self) -> str:
        return self.dataset_name if self.dataset_name is not None else str(self.name)


class LegacyCreated(BaseModel):
    """The new dataset's name and id (both ``dataset_id`` and ``id``)."""

    model_config = ConfigDict(defer_build=True)

    dataset_name: str
    dataset_id: str
    id: str


def create(tenant_id: str, request: LegacyCreateRequest, idempotency_key: str | None = None) -> dict[str, Any]:
    return datasets.create(
        tenant_id,
        legacy_name(request.requested_name),
        render=lambda ds: {"dataset_name": ds.name, "dataset_id": ds.id, "id": ds.id},  # LegacyCreated, as a dict
        request=idempotency.request_key(tenant_id, idempotency_key, "POST /api/v1/dataset", request),
        parser_config=DEFAULT_PARSER_CONFIG,
    )

"""Request and response shapes of the legacy API, with its field names."""

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..dataset import ChunkMethod, Dataset, Order, Permission, http_date


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


class LegacyListQuery(BaseModel):
    """GET /dataset's query, as RAGFlow's server of the time read it. Lax: query values are strings."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    offset: int = Field(default=0, ge=0, description="Datasets to skip")
    count: int = Field(default=-1, ge=-1, description="Datasets to return; -1 = all (at most 1000)")
    orderby: Order = "create_time"
    desc: bool = Field(default=True, description="Newest first")


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


class LegacyCreated(BaseModel):
    """The new dataset's name and id (both ``dataset_id`` and ``id``)."""

    model_config = ConfigDict(defer_build=True)

    dataset_name: str
    dataset_id: str
    id: str


class LegacyDataset(BaseModel):
    """Exactly the 21 keys of the legacy reference's list example."""

    model_config = ConfigDict(defer_build=True)

    avatar: str | None
    chunk_num: int
    create_date: str
    create_time: int
    created_by: str
    description: str | None
    doc_num: int
    embd_id: str
    id: str
    language: str | None
    name: str
    parser_config: dict[str, Any]
    parser_id: str
    permission: str
    similarity_threshold: float
    status: str
    tenant_id: str
    token_num: int
    update_date: str
    update_time: int
    vector_similarity_weight: float

    @classmethod
    def of(cls, ds: Dataset) -> Self:
        return cls(
            create_date=http_date(ds.create_time),
            update_date=http_date(ds.update_time),
            **ds.model_dump(include=_STORED_KEYS),
        )


_STORED_KEYS = set(LegacyDataset.model_fields) - {"create_date", "update_date"}


class LegacyDeleted(BaseModel):
    """The legacy delete's envelope key beside ``code``, ``message`` and ``data`` (null)."""

    model_config = ConfigDict(defer_build=True)

    success: Literal[True]

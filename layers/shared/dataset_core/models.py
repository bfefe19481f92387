"""Request and response shapes, with the contract's field names, and the stored dataset record.

``Dataset`` keeps RAGFlow's own column names (``embd_id``, ``parser_id``, ``doc_num`` ...), which are also
the keys of the seed API's dataset object; each API generation is a view of it.
"""

from __future__ import annotations

from email.utils import formatdate
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .storage import Order

DEFAULT_PARSER_CONFIG: dict[str, Any] = {"pages": [[1, 1000000]]}

Permission = Literal["me", "team"]
ChunkMethod = Literal[
    "naive", "book", "email", "laws", "manual", "one", "paper", "picture", "presentation", "qa", "table", "tag",
    "resume",
]  # fmt: skip


class Dataset(BaseModel):
    """One dataset as stored; ``version`` grows with every write and guards against lost updates."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    id: str
    tenant_id: str
    created_by: str
    name: str
    avatar: str | None = None
    description: str | None = None
    language: str = "English"
    embd_id: str
    permission: Permission = "me"
    parser_id: str = "naive"
    parser_config: dict[str, Any]
    similarity_threshold: float = 0.2
    vector_similarity_weight: float = 0.3
    status: str = "1"
    doc_num: int = 0
    chunk_num: int = 0
    token_num: int = 0
    pagerank: int = 0
    create_time: int
    update_time: int
    version: int = 1


def http_date(epoch_ms: int) -> str:
    """RFC 1123 in GMT, as RAGFlow's rows carry it: ``Mon, 17 Jun 2024 16:00:05 GMT``."""
    return formatdate(epoch_ms / 1000, usegmt=True)


# ---- seed API (/api/v1/dataset) -------------------------------------------------------------------------


class SeedCreateRequest(BaseModel):
    """``{"dataset_name": ...}``; RAGFlow's own client of the time sent ``{"name": ...}``, so both work."""

    model_config = ConfigDict(strict=True, extra="forbid", defer_build=True)

    dataset_name: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _one_name(self) -> SeedCreateRequest:
        if self.dataset_name is None and self.name is None:
            raise ValueError("dataset_name is required")
        if self.dataset_name is not None and self.name is not None and self.dataset_name != self.name:
            raise ValueError("dataset_name and name differ; send only dataset_name")
        return self

    @property
    def requested_name(self) -> str:
        return self.dataset_name if self.dataset_name is not None else str(self.name)


class SeedListQuery(BaseModel):
    """GET /dataset's query, as RAGFlow's server of the time read it. Lax: query values are strings."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    offset: int = Field(default=0, ge=0, description="Datasets to skip")
    count: int = Field(default=-1, ge=-1, description="Datasets to return; -1 = all (at most 1000)")
    orderby: Order = "create_time"
    desc: bool = Field(default=True, description="Newest first")


class SeedUpdateRequest(BaseModel):
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


class SeedCreated(BaseModel):
    model_config = ConfigDict(defer_build=True)

    dataset_name: str
    dataset_id: str
    id: str


class SeedDataset(BaseModel):
    """Exactly the 21 keys of the seed reference's list example."""

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
    language: str
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
    def of(cls, ds: Dataset) -> SeedDataset:
        return cls(
            create_date=http_date(ds.create_time),
            update_date=http_date(ds.update_time),
            **ds.model_dump(include=_SEED_STORED_KEYS),
        )


_SEED_STORED_KEYS = set(SeedDataset.model_fields) - {"create_date", "update_date"}

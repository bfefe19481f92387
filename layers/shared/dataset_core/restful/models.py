"""Request and response shapes of the RESTful API (v0.27 rules).

Strict models: unknown fields, wrong types and out-of-range values are refused with pydantic's message,
which ``http.responses.validation_message`` words as RAGFlow does (``Field: <loc> - Message: <msg> - Value: <v>``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from .. import embedding
from ..dataset import ChunkMethod, Dataset, Order, http_date
from ..parser_config import ParserConfig

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _printable(value: str) -> str:
    """Names are shown in UIs and logs: no NUL, no newlines, no terminal escapes (RAGFlow allows them)."""
    if _CONTROL.search(value):
        raise PydanticCustomError("name_control_chars", "Name must not contain control characters")
    return value


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), AfterValidator(_printable)
]
LongText = Annotated[str, StringConstraints(max_length=65535)]
_IMAGE_TYPES = ["image/jpeg", "image/png"]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", defer_build=True)


def _check_avatar(value: str | None) -> str | None:
    if not value:
        return value
    if "," not in value:
        raise PydanticCustomError("format_invalid", "Missing MIME prefix. Expected format: data:<mime>;base64,<data>")
    prefix = value.split(",", 1)[0]
    if not prefix.startswith("data:"):
        raise PydanticCustomError("format_invalid", "Invalid MIME prefix format. Must start with 'data:'")
    if prefix[5:].split(";", 1)[0] not in _IMAGE_TYPES:
        raise PydanticCustomError("format_invalid", f"Unsupported MIME type. Allowed: {_IMAGE_TYPES}")
    return value


class _DatasetFields(_Strict):
    avatar: Annotated[str, StringConstraints(max_length=65535)] | None = None
    description: LongText | None = None
    embedding_model: Annotated[str, StringConstraints(max_length=255)] | None = None
    permission: Literal["me", "team"] = "me"
    chunk_method: ChunkMethod = "naive"
    parser_config: ParserConfig | None = None

    _avatar = field_validator("avatar")(_check_avatar)
    _embedding = field_validator("embedding_model")(embedding.check_format)


class CreateDatasetRequest(_DatasetFields):
    name: Name


def _without_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class UpdateDatasetRequest(_DatasetFields):
    """Every field optional; only the fields sent are applied (``model_fields_set``)."""

    # Optional, yet null is refused like any non-string: the "" default only marks "not sent" and is
    # kept out of the schema (it would break the field's own minLength there).
    name: Name = Field(default="", json_schema_extra=_without_default)
    permission: Literal["me", "team"] = "me"
    chunk_method: ChunkMethod = "naive"
    pagerank: int = Field(default=0, ge=0, le=100)
    language: Annotated[str, StringConstraints(max_length=32)] = "English"


class DeleteDatasetsRequest(_Strict):
    ids: list[str] | None = Field(default=None, max_length=1000)
    delete_all: bool = False


class ListDatasetsQuery(BaseModel):
    """GET /datasets's query. Lax, unlike the bodies: query values arrive as strings (``page=2``,
    ``desc=false``); unknown parameters are refused all the same."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=30, ge=1, le=100)
    orderby: Order = "create_time"
    desc: bool = True
    name: str | None = Field(default=None, max_length=1024, description="Exact name (case-insensitive)")
    id: str | None = Field(default=None, max_length=64, description="A dataset id")
    ids: list[str] | None = Field(default=None, description="Dataset ids, repeated or comma-separated")
    include_parsing_status: bool = False
    page_token: str | None = Field(default=None, max_length=1024, description="next_page_token of a page")

    @field_validator("ids")
    @classmethod
    def _split(cls, ids: list[str] | None) -> list[str] | None:
        return [i for value in ids for i in value.split(",") if i] if ids else None


# ---- responses -----------------------------------------------------------------------------------------------


class RestfulDataset(BaseModel):
    """The dataset as RAGFlow v0.27 returns it, less the fields of features we do not have."""

    model_config = ConfigDict(defer_build=True)  # every model is built on first use, in the function using it

    avatar: str | None
    chunk_count: int
    chunk_method: str
    create_date: str
    create_time: int
    created_by: str
    description: str | None
    document_count: int
    embedding_model: str
    id: str
    language: str
    name: str
    pagerank: int
    parser_config: dict[str, Any]
    permission: str
    pipeline_id: str | None
    similarity_threshold: float
    status: str
    tenant_id: str
    token_num: int
    update_date: str
    update_time: int
    vector_similarity_weight: float

    @classmethod
    def of(cls, ds: Dataset) -> RestfulDataset:
        return cls(
            avatar=ds.avatar,
            chunk_count=ds.chunk_num,
            chunk_method=ds.parser_id,
            create_date=http_date(ds.create_time),
            create_time=ds.create_time,
            created_by=ds.created_by,
            description=ds.description,
            document_count=ds.doc_num,
            embedding_model=ds.embd_id,
            id=ds.id,
            language=ds.language,
            name=ds.name,
            pagerank=ds.pagerank,
            parser_config=ds.parser_config,
            permission=ds.permission,
            pipeline_id=None,
            similarity_threshold=ds.similarity_threshold,
            status=ds.status,
            tenant_id=ds.tenant_id,
            token_num=ds.token_num,
            update_date=http_date(ds.update_time),
            update_time=ds.update_time,
            vector_similarity_weight=ds.vector_similarity_weight,
        )


class ParsingStatus(BaseModel):
    """Only with ``include_parsing_status=true``; all 0 (documents are out of scope)."""

    model_config = ConfigDict(defer_build=True)

    unstart_count: Literal[0] = 0
    running_count: Literal[0] = 0
    cancel_count: Literal[0] = 0
    done_count: Literal[0] = 0
    fail_count: Literal[0] = 0


class ListedDataset(RestfulDataset):
    """A dataset in a listing: with ``parsing_status`` when asked for."""

    parsing_status: ParsingStatus | None = Field(default=None, json_schema_extra=_without_default)


class PageInfo(BaseModel):
    """The list's envelope keys beside ``code``, ``message`` and ``data``."""

    model_config = ConfigDict(defer_build=True)

    total_datasets: int = Field(ge=0, description="All the caller's datasets")
    next_page_token: str | None = Field(
        description="Pass as page_token for the next page; null on the last page (beyond RAGFlow)"
    )


class DeleteResult(BaseModel):
    """How many datasets were deleted (all or none of the ids given)."""

    model_config = ConfigDict(defer_build=True)

    success_count: int = Field(ge=0)

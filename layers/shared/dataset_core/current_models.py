"""Request and response shapes of the current RAGFlow API (``/api/v1/datasets``, v0.27 rules).

Strict models: unknown fields, wrong types and out-of-range values are refused with pydantic's message,
which ``http.validation_message`` words as RAGFlow does (``Field: <loc> - Message: <msg> - Value: <v>``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .config import settings
from .models import ChunkMethod, Dataset, http_date
from .storage import Order

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
MAX_COUNT = 1_000_000_000
"""Upper bound of counts RAGFlow leaves open: every number must stay storable (DynamoDB: 38 digits)."""
PageNumber = Annotated[int, Field(ge=0, le=MAX_COUNT)]
MAX_PARSER_CONFIG_CHARS = 65535  # RAGFlow's limit; also keeps a dataset far below DynamoDB's 400 KB item cap


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", defer_build=True)


# ---- parser_config -----------------------------------------------------------------------------------------


class GraphragConfig(_Strict):
    use_graphrag: bool = False
    entity_types: list[Annotated[str, StringConstraints(max_length=128)]] = Field(
        default_factory=lambda: ["organization", "person", "geo", "event", "category"], max_length=64
    )
    method: Literal["light", "general", "ner"] = "light"
    community: bool = False
    resolution: bool = False
    batch_chunk_token_size: int = Field(default=4096, ge=512, le=8196)


class RaptorConfig(_Strict):
    use_raptor: bool = False
    prompt: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=65535)] = (
        "Please summarize the following paragraphs. Be careful with the numbers, do not make things up. "
        "Paragraphs as following:\n      {cluster_content}\nThe above is the content you need to summarize."
    )
    max_token: int = Field(default=512, ge=1, le=2048)
    clustering_threshold: float = Field(default=0.3, ge=0.0, le=1.0)
    max_cluster: int = Field(default=64, ge=1, le=1024)
    random_seed: int = Field(default=0, ge=0, le=2**32 - 1)
    scope: Literal["file", "dataset"] = "file"

    @field_validator("max_token")
    @classmethod
    def _at_least_512(cls, value: int) -> int:
        return max(value, 512)  # RAGFlow raises smaller values silently


class ParentChildConfig(_Strict):
    use_parent_child: bool = False
    children_delimiter: Annotated[str, StringConstraints(min_length=1, max_length=255)] = "\n"


class ParserConfig(_Strict):
    auto_keywords: int = Field(default=0, ge=0, le=32)
    auto_questions: int = Field(default=0, ge=0, le=10)
    chunk_token_num: int = Field(default=512, ge=1, le=2048)
    delimiter: Annotated[str, StringConstraints(min_length=1, max_length=255)] = "\n"
    graphrag: GraphragConfig = Field(default_factory=GraphragConfig)
    html4excel: bool = False
    layout_recognize: Annotated[str, StringConstraints(max_length=255)] = "DeepDOC"
    raptor: RaptorConfig = Field(default_factory=RaptorConfig)
    tag_kb_ids: list[Annotated[str, StringConstraints(max_length=64)]] = Field(default_factory=list, max_length=100)
    topn_tags: int = Field(default=1, ge=1, le=10)
    filename_embd_weight: float | None = Field(default=0.1, ge=0.0, le=1.0)
    task_page_size: int | None = Field(default=None, ge=1, le=MAX_COUNT)
    pages: list[Annotated[list[PageNumber], Field(min_length=2, max_length=2)]] | None = Field(
        default=None, max_length=1000
    )
    parent_child: ParentChildConfig = Field(default_factory=ParentChildConfig)
    children_delimiter: Annotated[str, StringConstraints(max_length=255)] = ""
    enable_children: bool = False
    image_context_size: int = Field(default=0, ge=0, le=MAX_COUNT)
    table_context_size: int = Field(default=0, ge=0, le=MAX_COUNT)

    @model_validator(mode="after")
    def _fits(self) -> ParserConfig:
        if len(self.model_dump_json()) > MAX_PARSER_CONFIG_CHARS:
            raise PydanticCustomError(
                "too_long", "Parser config exceeds size limit (max 65,535 characters in its JSON form)"
            )
        return self


_NAIVE_DEFAULTS: dict[str, Any] = {
    "layout_recognize": "DeepDOC",
    "chunk_token_num": 512,
    "delimiter": "\n",
    "auto_keywords": 0,
    "auto_questions": 0,
    "html4excel": False,
    "topn_tags": 3,
    "raptor": {**RaptorConfig().model_dump(), "use_raptor": True},
    "graphrag": {**GraphragConfig().model_dump(), "use_graphrag": True},
    "parent_child": ParentChildConfig().model_dump(),
    "children_delimiter": "",
    "image_context_size": 0,
    "table_context_size": 0,
}
_NO_RAPTOR_METHODS = {"qa", "manual", "paper", "book", "laws", "presentation"}


def default_parser_config(chunk_method: str) -> dict[str, Any]:
    """What RAGFlow stores for a chunk method when no ``parser_config`` is given."""
    if chunk_method == "naive":
        return deep_merge({}, _NAIVE_DEFAULTS)
    base: dict[str, Any] = {"image_context_size": 0, "table_context_size": 0}
    if chunk_method in _NO_RAPTOR_METHODS:
        base |= {"raptor": {"use_raptor": False}, "graphrag": {"use_graphrag": False}}
    return base


def deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """``update`` over ``base``, recursing into objects; neither input is modified."""
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# ---- requests ------------------------------------------------------------------------------------------------


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


def _check_embedding_model(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if value == settings().default_embedding_model:
        return value  # what new datasets get must be accepted back as it is shown
    if len(value) == 32 and all(c in "0123456789abcdef" for c in value):
        return value  # a tenant model id, as RAGFlow accepts
    if "@" not in value:
        raise PydanticCustomError(
            "format_invalid", "Embedding model identifier must follow <model_name>@<provider> format"
        )
    model, provider = value.rsplit("@", 1)
    if not model.strip() or not provider.strip():
        raise PydanticCustomError("format_invalid", "Both model_name and provider must be non-empty strings")
    return value


class _DatasetFields(_Strict):
    avatar: Annotated[str, StringConstraints(max_length=65535)] | None = None
    description: LongText | None = None
    embedding_model: Annotated[str, StringConstraints(max_length=255)] | None = None
    permission: Literal["me", "team"] = "me"
    chunk_method: ChunkMethod = "naive"
    parser_config: ParserConfig | None = None

    _avatar = field_validator("avatar")(_check_avatar)
    _embedding = field_validator("embedding_model")(_check_embedding_model)


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


# ---- response ------------------------------------------------------------------------------------------------


class CurrentDataset(BaseModel):
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
    def of(cls, ds: Dataset) -> CurrentDataset:
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

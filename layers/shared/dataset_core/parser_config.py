"""``parser_config``: RAGFlow v0.27's schema of it, its defaults per chunk method, and how updates merge.

The schema is strict (unknown keys and wrong types are refused) and bounded: every number stays storable in
DynamoDB and the whole config within RAGFlow's size limit.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

MAX_COUNT = 1_000_000_000
"""Upper bound of counts RAGFlow leaves open: every number must stay storable (DynamoDB: 38 digits)."""
PageNumber = Annotated[int, Field(ge=0, le=MAX_COUNT)]
MAX_PARSER_CONFIG_CHARS = 65535  # RAGFlow's limit; also keeps a dataset far below DynamoDB's 400 KB item cap


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", defer_build=True)


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


def for_create(chunk_method: str, given: ParserConfig | None) -> dict[str, Any]:
    """The config a new dataset stores: the method's defaults, under what the client sent."""
    defaults = default_parser_config(chunk_method)
    if given is None or not given.model_fields_set:  # absent, null or {}: the method's defaults
        return defaults
    return deep_merge(defaults, given.model_dump())


def deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """``update`` over ``base``, recursing into objects; neither input is modified."""
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged

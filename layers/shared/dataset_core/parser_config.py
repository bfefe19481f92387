"""``parser_config``: RAGFlow v0.27's schema of it, its defaults per chunk method, and how create and update
build the stored config from what a client sent.

The schema is v0.27.0's ``ParserConfig`` (api/utils/validation_utils.py): strict, unknown keys refused at every
level, and no length limit of its own on the free-text and list fields: the one limit is the whole config's
size as RAGFlow measures it. What DynamoDB cannot hold (a dataset past 400 KB, numbers past 38 digits, nesting
past 32 levels) is refused by ``storage.limits`` before any write.
"""

import json
from functools import cache
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

MAX_PARSER_CONFIG_CHARS = 65535


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", defer_build=True)


class GraphragConfig(_Strict):
    use_graphrag: bool = False
    entity_types: list[str] = Field(default_factory=lambda: ["organization", "person", "geo", "event", "category"])
    method: Literal["light", "general", "ner"] = "light"
    community: bool = False
    resolution: bool = False
    batch_chunk_token_size: int = Field(default=4096, ge=512, le=8196)
    retry_attempts: int = Field(default=2, ge=1, le=10)
    retry_backoff_seconds: float = Field(default=2.0, ge=0, le=600)
    retry_backoff_max_seconds: float = Field(default=60.0, ge=0, le=3600)
    build_subgraph_timeout_per_chunk_seconds: int = Field(default=300, ge=1, le=86400)
    build_subgraph_min_timeout_seconds: int = Field(default=600, ge=1, le=86400)
    merge_timeout_seconds: int = Field(default=180, ge=0, le=86400)
    resolution_timeout_seconds: int = Field(default=1800, ge=0, le=86400)
    community_timeout_seconds: int = Field(default=1800, ge=0, le=86400)
    lock_acquire_timeout_seconds: int = Field(default=600, ge=0, le=86400)


RAPTOR_PROMPT = (
    "Summarize the paragraphs below without inventing facts or changing numbers.\n"
    "Output exactly two parts in the same language as the source:\n"
    "1. First line: a concise title only.\n"
    "2. Following lines: a concise summary of the content.\n"
    "Do not output labels, Markdown headings, bullet points, or any other commentary.\n\n"
    "Paragraphs:\n{cluster_content}"
)
_RAPTOR_LEGACY_KEYS = ("threshold", "clustering_method", "tree_builder", "ext")


class RaptorConfig(_Strict):
    use_raptor: bool = False
    prompt: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = RAPTOR_PROMPT
    max_token: int = Field(default=512, ge=512, le=2048)
    clustering_threshold: float = Field(default=0.3, ge=0, le=1)
    clustering_ratio: float = Field(default=0.5, ge=0, le=1)
    max_cluster: int = Field(default=64, ge=1, le=1024)
    random_seed: int = Field(default=0, ge=0)
    scope: Literal["file", "dataset"] = "file"
    auto_disable_for_structured_data: bool = True

    @model_validator(mode="before")
    @classmethod
    def _drop_legacy_keys(cls, data: Any) -> Any:
        """Older RAGFlow's keys are dropped silently; ``ext.clustering_threshold`` stands in for a missing
        top-level one."""
        if not isinstance(data, dict) or not any(key in data for key in _RAPTOR_LEGACY_KEYS):
            return data
        ext = data.get("ext")
        data = {key: value for key, value in data.items() if key not in _RAPTOR_LEGACY_KEYS}
        if isinstance(ext, dict) and "clustering_threshold" in ext and "clustering_threshold" not in data:
            data["clustering_threshold"] = ext["clustering_threshold"]
        return data

    @field_validator("max_token", mode="before")
    @classmethod
    def _at_least_512(cls, value: Any) -> Any:
        """A number below 512 is raised to 512 silently (a float only then: strict otherwise)."""
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 512:
            return 512
        return value


class ParentChildConfig(_Strict):
    use_parent_child: bool = False
    children_delimiter: Annotated[str, StringConstraints(min_length=1)] = "\n"


ColumnRole = Literal["indexing", "metadata", "both"]


class ParserConfig(_Strict):
    auto_keywords: int = Field(default=0, ge=0, le=32)
    auto_questions: int = Field(default=0, ge=0, le=10)
    chunk_token_num: int = Field(default=512, ge=1, le=2048)
    delimiter: Annotated[str, StringConstraints(min_length=1)] = "\n"
    graphrag: GraphragConfig = Field(default_factory=GraphragConfig)
    html4excel: bool = False
    layout_recognize: str = "DeepDOC"
    raptor: RaptorConfig = Field(default_factory=RaptorConfig)
    tag_kb_ids: list[str] = Field(default_factory=list)
    topn_tags: int = Field(default=1, ge=1, le=10)
    filename_embd_weight: float | None = Field(default=0.1, ge=0, le=1)
    task_page_size: int | None = Field(default=None, ge=1)
    pages: list[list[int]] | None = None
    parent_child: ParentChildConfig = Field(default_factory=ParentChildConfig)
    children_delimiter: str = ""
    enable_children: bool = False
    compilation_template_group_id: list[str] = Field(default_factory=list)
    ext: dict[str, Any] = Field(default_factory=dict)
    table_column_mode: Literal["auto", "manual"] | None = None
    table_column_roles: dict[str, ColumnRole] | None = None
    table_column_names: list[str] | None = None

    @field_validator("compilation_template_group_id", mode="before")
    @classmethod
    def _template_groups(cls, value: Any) -> list[str]:
        """Lenient: a string is one group, anything but a list none; items stripped, empty and repeated ones
        and non-strings dropped."""
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        groups: list[str] = []
        for item in items:
            if isinstance(item, str) and item.strip() and item.strip() not in groups:
                groups.append(item.strip())
        return groups

    @field_validator("table_column_roles", mode="before")
    @classmethod
    def _legacy_roles(cls, value: Any) -> Any:
        """The legacy role ``vectorize`` is ``indexing``."""
        if isinstance(value, dict):
            return {column: "indexing" if role == "vectorize" else role for column, role in value.items()}
        return value

    @model_validator(mode="after")
    def _fits(self) -> Self:
        """v0.27.0's one size limit, measured as it measures it (api/utils/validation_utils.py:
        CreateDatasetReq.validate_parser_config_json_length): the characters of the complete config, every
        default included, as compact JSON with non-ASCII characters unescaped."""
        size = len(json.dumps(self.model_dump(), ensure_ascii=False, separators=(",", ":")))
        if size > MAX_PARSER_CONFIG_CHARS:
            raise PydanticCustomError(
                "too_long",
                "Parser config exceeds size limit (max 65,535 characters). Current size: {size}",
                {"size": size},
            )
        return self


# ---- defaults and what create and update store (api/utils/api_utils.py: get_parser_config, deep_merge) ----------

BASE_DEFAULTS: dict[str, Any] = {"table_context_size": 0, "image_context_size": 0}
_NO_RAPTOR: dict[str, Any] = {"raptor": {"use_raptor": False}, "graphrag": {"use_graphrag": False}}
METHOD_DEFAULTS: dict[str, dict[str, Any]] = {
    "naive": {
        "layout_recognize": "DeepDOC",
        "chunk_token_num": 512,
        "delimiter": "\n",
        "auto_keywords": 0,
        "auto_questions": 0,
        "html4excel": False,
        "topn_tags": 3,
        "raptor": {
            "use_raptor": True,
            "prompt": RAPTOR_PROMPT,
            "max_token": 512,
            "clustering_threshold": 0.3,
            "clustering_ratio": 0.5,
            "max_cluster": 64,
            "random_seed": 0,
        },
        "graphrag": {
            "use_graphrag": True,
            **{
                name: field.get_default(call_default_factory=True)
                for name, field in GraphragConfig.model_fields.items()
                if name not in {"use_graphrag", "community", "resolution"}
            },  # the fields' defaults, without building the model's validator at import
        },
        "parent_child": {"use_parent_child": False, "children_delimiter": "\n"},
        "children_delimiter": "",
    },
    **dict.fromkeys(("qa", "manual", "paper", "book", "laws", "presentation"), _NO_RAPTOR),
}
"""Each chunk method's defaults over ``BASE_DEFAULTS``; the other methods (email, one, picture, table, tag,
resume) have none."""


def method_defaults(chunk_method: str) -> dict[str, Any]:
    """What RAGFlow stores for a chunk method when no ``parser_config`` is given (no ``llm_id``: create adds it)."""
    copied: dict[str, Any] = _copied(_method_defaults(chunk_method))
    return copied


@cache
def _method_defaults(chunk_method: str) -> dict[str, Any]:
    """Shared by every dataset read (each list page expands dozens): never modified, only copied."""
    return _flattened(deep_merge(BASE_DEFAULTS, METHOD_DEFAULTS.get(chunk_method, {})))


def for_create(chunk_method: str, given: ParserConfig | None, chat_model: str | None) -> dict[str, Any]:
    """The config a new dataset stores (knowledgebase_service.py: KnowledgebaseService.create_with_name):
    without a config, the method's defaults; with one, every model default under what was sent, over the
    method's defaults (so all methods store the same); ``children_delimiter`` flattened from ``parent_child``;
    then the tenant's chat model as ``llm_id``, if the deployment names one."""
    config = method_defaults(chunk_method)
    if given is not None and given.model_fields_set:
        config = _flattened(deep_merge(config, given.model_dump()))
    if chat_model is not None:
        config["llm_id"] = chat_model
    return config


def _flattened(config: dict[str, Any]) -> dict[str, Any]:
    parent_child = config.get("parent_child")
    if isinstance(parent_child, dict) and parent_child.get("use_parent_child"):
        config["children_delimiter"] = parent_child.get("children_delimiter", "\n")
    elif parent_child:
        config["children_delimiter"] = ""
    return config


def for_update(stored: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """The stored config after an update that sent a non-empty config (dataset_api_service.py:
    update_dataset): the parent-child flags are always set from this request - without ``use_parent_child``
    they are reset and the sent ``parent_child`` counts as ``{}`` - the sent ``ext`` moves to the top level,
    then what was sent is merged over what is stored."""
    sent = dict(sent)
    parent_child = sent.get("parent_child") or {}
    if parent_child.get("use_parent_child"):
        sent["children_delimiter"] = parent_child.get("children_delimiter", "\n")
        sent["enable_children"] = True
    else:
        sent |= {"children_delimiter": "", "enable_children": False, "parent_child": {}}
    sent |= sent.pop("ext", None) or {}
    return deep_merge(stored, sent)


DEFAULTS_VERSION = "ragflow-v0.27.0"
"""Names the defaults ``compact`` leaves out. Were they ever to change, items stored against these would still
have to read the same: the old table would stay, under this name."""


def compact(chunk_method: str, config: dict[str, Any]) -> dict[str, Any] | None:
    """What ``config`` holds beyond its chunk method's defaults, if that much says all of it (defaults merged
    under it give ``config`` back exactly); else None. Storing only this keeps a dataset created with defaults
    within one write unit (1 KB), where RAGFlow's default config alone is about 1 KB."""
    defaults = _method_defaults(chunk_method)
    delta = _difference(defaults, config)
    return delta if deep_merge(defaults, delta) == config else None


def expand(chunk_method: str, delta: dict[str, Any], version: str) -> dict[str, Any]:
    """The whole config ``compact`` took apart."""
    if version != DEFAULTS_VERSION:
        raise ValueError(f"parser_config stored against unknown defaults {version!r}")
    return deep_merge(_method_defaults(chunk_method), delta)


def _difference(base: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    for key, value in config.items():
        if key not in base or base[key] != value:
            inner = base.get(key)
            delta[key] = _difference(inner, value) if isinstance(inner, dict) and isinstance(value, dict) else value
    return delta


def deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """``update`` over ``base``, recursing where both hold an object, in ``base``'s key order then the new keys';
    the result shares nothing with either, and neither is modified."""
    merged: dict[str, Any] = {}
    for key, value in base.items():
        new = update.get(key, value)
        both = key in update and isinstance(new, dict) and isinstance(value, dict)
        merged[key] = deep_merge(value, new) if both else _copied(new)
    for key, value in update.items():
        if key not in base:
            merged[key] = _copied(value)
    return merged


def _copied(value: Any) -> Any:
    """A deep copy of JSON-like data (objects, arrays, scalars): ``copy.deepcopy`` here was the largest part of
    our code's CPU in a warm list request (``bench/REPORT.md``, warm requests)."""
    if isinstance(value, dict):
        return {key: _copied(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_copied(inner) for inner in value]
    return value

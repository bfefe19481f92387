"""What clients send to the RESTful API: RAGFlow v0.27.0's request models (api/utils/validation_utils.py:
CreateDatasetReq, UpdateDatasetReq, DeleteDatasetReq, ListDatasetReq). What it answers is ``views``.

Fields are declared in v0.27.0's order, because that is the order of the lines of a validation message
(``errors.validation_line``). Bodies are strict (no coercion, unknown keys refused); the list query is lax, as
query values arrive as strings.
"""

import contextlib
import json
import re
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .. import embedding
from ..dataset import ChunkMethod, Order
from ..http import without_default
from ..ids import normalize_id
from ..parser_config import ParserConfig

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
LongText = Annotated[str, StringConstraints(max_length=65535)]
_IMAGE_TYPES = ["image/jpeg", "image/png"]
_HEX = re.compile(r"[0-9a-fA-F]+")
_METHODS = get_args(ChunkMethod)
METHODS_MESSAGE = "Input should be " + ", ".join(f"'{m}'" for m in _METHODS[:-1]) + f" or '{_METHODS[-1]}'"


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", defer_build=True)


def _check_avatar(value: str | None) -> str | None:
    """CreateDatasetReq.validate_avatar_base64: a ``data:`` URI of a JPEG or PNG, only its prefix checked."""
    if not value:
        return value
    if "," not in value:
        raise PydanticCustomError("format_invalid", "missing MIME prefix. Expected format: data:<mime>;base64,<data>")
    prefix = value.split(",", 1)[0]
    if not prefix.startswith("data:"):
        raise PydanticCustomError("format_invalid", "invalid MIME prefix format. Must start with 'data:'")
    if prefix[5:].split(";", 1)[0] not in _IMAGE_TYPES:
        raise PydanticCustomError("format_invalid", f"Unsupported MIME type. Allowed: {_IMAGE_TYPES}")
    return value


def _uuid(value: str) -> str:
    normalized = normalize_id(value)
    if normalized is None:
        raise PydanticCustomError("format_invalid", "Invalid UUID format")
    return normalized


def _duplicates(ids: list[str]) -> None:
    """``Duplicate ids: '<a, b>'``: each repeated id once, in the order of its first appearance."""
    repeated = [i for n, i in enumerate(ids) if ids.count(i) > 1 and i not in ids[:n]]
    if repeated:
        raise PydanticCustomError("duplicate", "Duplicate ids: '{ids}'", {"ids": ", ".join(repeated)})


class MetadataField(_Strict):
    key: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    type: Literal["string", "list", "time", "number"]
    description: LongText | None = None
    enum: list[str] | None = None


class AutoMetadataConfig(_Strict):
    """Any value (even ``{}``) turns metadata extraction on (dataset_api_service.py: create_dataset)."""

    metadata: list[MetadataField] = Field(default_factory=list)
    built_in_metadata: list[MetadataField] = Field(default_factory=list)


class _DatasetFields(_Strict):
    """The fields create and update share, in v0.27.0's order (``name`` is declared by each)."""

    name: Name
    avatar: LongText | None = None
    description: LongText | None = None
    embedding_model: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = None
    permission: Literal["me", "team"] = "me"
    parse_type: int | None = Field(default=None, ge=0, le=64)
    pipeline_id: Annotated[str, StringConstraints(min_length=32, max_length=32)] | None = None
    chunk_method: ChunkMethod | None = None
    parser_config: ParserConfig | None = None
    auto_metadata_config: AutoMetadataConfig | None = None
    ext: dict[str, Any] = Field(
        default_factory=dict, description="Further fields of this request, as if sent at the top level"
    )

    _avatar = field_validator("avatar")(_check_avatar)
    _embedding = field_validator("embedding_model")(embedding.check_format)

    @model_validator(mode="before")
    @classmethod
    def _ext_fields(cls, data: Any) -> Any:
        """RAGFlow merges ``ext``'s keys into the request unvalidated, so they can set any column; here they
        can set this request's own fields, validated as those fields, and nothing else."""
        if not isinstance(data, dict) or not isinstance(data.get("ext"), dict) or not data["ext"]:
            return data
        own = {k: v for k, v in data["ext"].items() if k in cls.model_fields and k not in {"ext", "dataset_id"}}
        return {**data, **own, "ext": {k: v for k, v in data["ext"].items() if k not in own}}

    @field_validator("ext")
    @classmethod
    def _only_own_fields(cls, ext: dict[str, Any]) -> dict[str, Any]:
        if ext:
            raise PydanticCustomError("extra_forbidden", "Extra inputs are not permitted")
        return ext

    @field_validator("pipeline_id")
    @classmethod
    def _hexadecimal(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _HEX.fullmatch(value):
            raise PydanticCustomError("format_invalid", "pipeline_id must be hexadecimal")
        return value.lower()

    @field_validator("chunk_method", mode="wrap")
    @classmethod
    def _method_or_pipeline(cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        """A chunk method, or - only beside a ``pipeline_id`` - null or ``""`` (pipeline mode decides)."""
        if value in (None, "") and info.data.get("pipeline_id") is not None:
            return value
        if value is None:
            raise PydanticCustomError("literal_error", METHODS_MESSAGE)
        return handler(value)

    @model_validator(mode="after")
    def _parser_dependency(self) -> Self:
        """CreateDatasetReq.validate_parser_dependency: a chunk method, or an ingestion pipeline
        (``parse_type`` and ``pipeline_id``), not both; ``parse_type: 1`` drops the ``pipeline_id``."""
        if self.parse_type == 1:
            self.pipeline_id = None
        if "chunk_method" not in self.model_fields_set:
            missing = [name for name in ("parse_type", "pipeline_id") if getattr(self, name) is None]
            if len(missing) == 1:
                raise PydanticCustomError(
                    "dependency", "parser_id omitted → required fields missing: {fields}", {"fields": missing[0]}
                )
        elif self.chunk_method is not None:
            present = [name for name in ("parse_type", "pipeline_id") if getattr(self, name) not in (None, 1)]
            if present:
                raise PydanticCustomError(
                    "dependency",
                    "parser_id provided → disallowed fields present: {fields}",
                    {"fields": ", ".join(present)},
                )
        return self


class CreateDatasetRequest(_DatasetFields):
    """POST /datasets. ``chunk_method`` omitted is ``naive``, unless a pipeline is given."""


class UpdateDatasetRequest(_DatasetFields):
    """Every field optional; only the fields sent are applied (``model_fields_set``). ``dataset_id`` is the
    path's, validated with the body as RAGFlow does (a ``dataset_id`` in the body is overwritten)."""

    # Optional, yet null is refused like any non-string: the "" default only marks "not sent" and is
    # kept out of the schema (it would break the field's own minLength there).
    name: Name = Field(default="", json_schema_extra=without_default)
    dataset_id: str = Field(default="", json_schema_extra=without_default, description="Set from the path")
    pagerank: int = Field(default=0, ge=0, le=100)
    language: Annotated[str, StringConstraints(max_length=32)] | None = "English"
    connectors: list[dict[str, Any]] = Field(
        default_factory=list, description="Accepted and echoed: there are no data-source connectors here"
    )

    _dataset_id = field_validator("dataset_id")(_uuid)


class DeleteDatasetsRequest(_Strict):
    """DELETE /datasets: the ids given (all must be the caller's), or with none, every dataset if
    ``delete_all``. No maximum number of ids, as in RAGFlow: the body size limit bounds them."""

    ids: list[str] | None = None
    delete_all: bool = False

    @field_validator("ids")
    @classmethod
    def _normalized(cls, ids: list[str] | None) -> list[str] | None:
        """DeleteReq.validate_ids: every id a UUID (the first that is not stops the check), no id twice."""
        if ids is None:
            return None
        normalized = [_uuid(i) for i in ids]
        _duplicates(normalized)
        return normalized


MAX_LIST_IDS = 100


class ListDatasetsQuery(BaseModel):
    """GET /datasets's query (ListDatasetReq). Lax, unlike the bodies: query values arrive as strings
    (``page=2``, ``desc=false``); unknown parameters are refused all the same. ``type=filter`` asks for the
    owners' counts instead, whatever else is given."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    id: str | None = Field(default=None, description="A dataset id")
    name: str | None = Field(default=None, description="Exact name, case-insensitively; empty: no filter")
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=30, ge=1)
    orderby: Order = "create_time"
    desc: bool = True
    ids: list[str] | None = Field(default=None, description="Dataset ids, repeated or comma-separated")
    include_parsing_status: bool = False
    ext: dict[str, Any] = Field(
        default_factory=dict,
        description='A JSON object: "keywords" (part of the name, any case), "parser_id" (a chunk method), '
        '"owner_ids" (tenant ids)',
    )
    page_token: str | None = Field(default=None, max_length=1024, description="next_page_token of a page")
    type: Literal["filter"] | None = Field(default=None, description="filter: the datasets per owner instead")

    @model_validator(mode="before")
    @classmethod
    def _filter_type_first(cls, data: Any) -> Any:
        """``type=filter`` is answered before anything else is read (dataset_api.py: list_datasets)."""
        if isinstance(data, dict) and data.get("type") == "filter":
            return {"type": "filter"}
        return data

    @field_validator("type", mode="before")
    @classmethod
    def _only_filter(cls, value: Any) -> Any:
        if value is not None and value != "filter":
            raise PydanticCustomError("extra_forbidden", "Extra inputs are not permitted")
        return value

    @field_validator("id")
    @classmethod
    def _id(cls, value: str | None) -> str | None:
        return None if value is None else _uuid(value)

    @field_validator("page_size")
    @classmethod
    def _at_most_100(cls, value: int) -> int:
        if value > 100:
            raise ValueError("page_size must be less than or equal to 100")
        return value

    @field_validator("ids", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            return [i for item in value for i in str(item).split(",") if i] or None
        return value

    @field_validator("ids")
    @classmethod
    def _normalized(cls, ids: list[str] | None) -> list[str] | None:
        if ids is None:
            return None
        normalized = [_uuid(i) for i in ids]
        if len(normalized) > MAX_LIST_IDS:
            raise PydanticCustomError(
                "too_long",
                "List should have at most {max} items after validation, not {n}",
                {"max": MAX_LIST_IDS, "n": len(normalized)},
            )
        _duplicates(normalized)
        return normalized

    @field_validator("ext", mode="before")
    @classmethod
    def _json_object(cls, value: Any) -> Any:
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        if not isinstance(value, dict):
            raise PydanticCustomError("dict_type", "Input should be a valid dictionary")
        return value

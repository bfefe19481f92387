"""What the RESTful API's requests share (RAGFlow v0.27.0's api/utils/validation_utils.py): the fields create
and update both take, strict bodies (no coercion, unknown keys refused), and the id checks. Each request model
lives in its operation's module.

Fields are declared in v0.27.0's order, because that is the order of the lines of a validation message
(``errors.validation_line``).
"""

import re
from collections import Counter
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
from ..dataset import ChunkMethod
from ..ids import normalize_id
from ..parser_config import ParserConfig

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
LongText = Annotated[str, StringConstraints(max_length=65535)]
_IMAGE_TYPES = ["image/jpeg", "image/png"]
_HEX = re.compile(r"[0-9a-fA-F]+")
_METHODS = get_args(ChunkMethod)
METHODS_MESSAGE = "Input should be " + ", ".join(f"'{m}'" for m in _METHODS[:-1]) + f" or '{_METHODS[-1]}'"


class Strict(BaseModel):
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


def uuid(value: str) -> str:
    normalized = normalize_id(value)
    if normalized is None:
        raise PydanticCustomError("format_invalid", "Invalid UUID format")
    return normalized


def unique_ids(ids: list[str], most: int | None = None) -> list[str]:
    """Every id a UUID (the first that is not stops the check), at most ``most`` of them, none twice: ``Duplicate
    ids: '<a, b>'`` names each repeated id once, in the order of its first appearance (DeleteReq.validate_ids)."""
    normalized = [uuid(i) for i in ids]
    if most is not None and len(normalized) > most:
        raise PydanticCustomError(
            "too_long",
            "List should have at most {max} items after validation, not {n}",
            {"max": most, "n": len(normalized)},
        )
    repeated = [i for i, times in Counter(normalized).items() if times > 1]  # a Counter keeps first appearances
    if repeated:
        raise PydanticCustomError("duplicate", "Duplicate ids: '{ids}'", {"ids": ", ".join(repeated)})
    return normalized


class MetadataField(Strict):
    key: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    type: Literal["string", "list", "time", "number"]
    description: LongText | None = None
    enum: list[str] | None = None


class AutoMetadataConfig(Strict):
    """Any value (even ``{}``) turns metadata extraction on (dataset_api_service.py: create_dataset)."""

    metadata: list[MetadataField] = Field(default_factory=list)
    built_in_metadata: list[MetadataField] = Field(default_factory=list)


class DatasetFields(Strict):
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


METADATA_ON: dict[str, Any] = {"metadata": [], "enable_metadata": True}
"""What any ``auto_metadata_config`` adds to the config (dataset_api_service.py: create_dataset)."""

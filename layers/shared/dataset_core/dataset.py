"""The stored dataset record, shared by both API generations, and the vocabulary of its fields.

``Dataset`` keeps RAGFlow's own column names (``embd_id``, ``parser_id``, ``doc_num`` ...), which are also the
keys of the legacy API's dataset object; each API generation is a view of it.
"""

from email.utils import formatdate
from functools import lru_cache
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, field_validator

from .parser_config import ParserConfig

Order = Literal["create_time", "update_time"]
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
    language: str | None = "English"
    embd_id: str
    permission: Permission = "me"
    parser_id: str = "naive"
    pipeline_id: str | None = None
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

    @field_validator("parser_config")
    @classmethod
    def _floats(cls, config: dict[str, Any]) -> dict[str, Any]:
        return with_floats(config)


@lru_cache(maxsize=4096)
def http_date(epoch_ms: int) -> str:
    """RFC 1123 in GMT, as RAGFlow's rows carry it: ``Mon, 17 Jun 2024 16:00:05 GMT``. Remembered: a listing
    shows two per dataset, the same ones request after request, and formatting them was a visible share of its
    CPU (``bench/REPORT.md``, warm requests)."""
    return formatdate(epoch_ms / 1000, usegmt=True)


# ---- a config's numbers as DynamoDB returns them ----------------------------------------------------------------


def _float_paths(model: type[BaseModel]) -> dict[str, Any]:
    """The float fields of a config model, as a tree: ``{"filename_embd_weight": None, "raptor": {...}}``."""
    tree: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        kinds = get_args(field.annotation) or (field.annotation,)
        if float in kinds:
            tree[name] = None
        for kind in kinds:
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                tree[name] = _float_paths(kind)
    return tree


_FLOATS = _float_paths(ParserConfig)


def with_floats(config: dict[str, Any], floats: dict[str, Any] = _FLOATS) -> dict[str, Any]:
    """``config`` with its float fields as floats again. DynamoDB stores numbers without trailing zeros and
    returns ``2`` for ``2.0``; RAGFlow answers ``2.0``, and so do we."""
    restored = dict(config)
    for name, inner in floats.items():
        value = restored.get(name)
        if inner is None and isinstance(value, int) and not isinstance(value, bool):
            restored[name] = float(value)
        elif inner is not None and isinstance(value, dict):
            restored[name] = with_floats(value, inner)
    return restored

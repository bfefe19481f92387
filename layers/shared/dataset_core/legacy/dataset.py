"""The dataset as the legacy API shows it, and its id as the legacy paths give it."""

from typing import Any, Self

from pydantic import BaseModel, ConfigDict

from ..dataset import Dataset, http_date
from ..errors import BadRequest
from ..ids import normalize_id


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


def dataset_id(raw: str) -> str:
    """A path id as stored (32 lowercase hex), or 400/101 if it is not a UUID at all."""
    normalized = normalize_id(raw)
    if normalized is None:
        raise BadRequest(f"Invalid dataset id '{raw[:64]}': expected a UUID (32 hex characters)")
    return normalized

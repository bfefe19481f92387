"""The dataset as the legacy API shows it, and its id as the legacy paths give it."""

from typing import Any

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
    def shown(cls, ds: Dataset) -> dict[str, Any]:
        """The JSON object of ``ds`` in this view, made without a model instance, as ``RestfulDataset.shown``
        (``tests/unit/test_views.py`` checks that it is what the model dumps)."""
        return {
            "avatar": ds.avatar,
            "chunk_num": ds.chunk_num,
            "create_date": http_date(ds.create_time),
            "create_time": ds.create_time,
            "created_by": ds.created_by,
            "description": ds.description,
            "doc_num": ds.doc_num,
            "embd_id": ds.embd_id,
            "id": ds.id,
            "language": ds.language,
            "name": ds.name,
            "parser_config": ds.parser_config,
            "parser_id": ds.parser_id,
            "permission": ds.permission,
            "similarity_threshold": ds.similarity_threshold,
            "status": ds.status,
            "tenant_id": ds.tenant_id,
            "token_num": ds.token_num,
            "update_date": http_date(ds.update_time),
            "update_time": ds.update_time,
            "vector_similarity_weight": ds.vector_similarity_weight,
        }


def dataset_id(raw: str) -> str:
    """A path id as stored (32 lowercase hex), or 400/101 if it is not a UUID at all."""
    normalized = normalize_id(raw)
    if normalized is None:
        raise BadRequest(f"Invalid dataset id '{raw[:64]}': expected a UUID (32 hex characters)")
    return normalized

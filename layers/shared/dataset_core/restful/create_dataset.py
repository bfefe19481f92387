"""POST /datasets: RAGFlow v0.27.0's CreateDatasetReq and its rules (dataset_api_service.py: create_dataset)."""

from typing import Any

from .. import datasets, embedding, idempotency, parser_config
from ..config import settings
from ..dataset import Dataset
from ..errors import DuplicateName, InvalidName, StorageUnavailable
from ..names import free_name, split_name
from ..storage import datasets as storage
from .dataset import RestfulDataset
from .fields import METADATA_ON, DatasetFields

MAX_NAME_BYTES = 128
"""knowledgebase_service.py: KnowledgebaseService.create_with_name measures a new name in UTF-8 bytes."""
MAX_RENAMES = 100
"""Free names one create tries: as many concurrent creates of one name as any tenant sends get one each."""


class CreateDatasetRequest(DatasetFields):
    """POST /datasets. ``chunk_method`` omitted is ``naive``, unless a pipeline is given."""


def create(tenant_id: str, request: CreateDatasetRequest, idempotency_key: str | None = None) -> dict[str, Any]:
    """Create: the name (stripped again, at most 128 UTF-8 bytes), a taken name renamed as RAGFlow's
    ``duplicate_name`` does (``kb`` -> ``kb(1)``), then the embedding model (omitted: the default, unverified;
    given: resolved against the set-up)."""
    retry = idempotency.request_key(tenant_id, idempotency_key, "POST /api/v1/datasets", request)
    name = request.name.strip()  # Python's strip, which also takes \x1c-\x1f that the model's strip leaves
    if not name:
        raise InvalidName("dataset name can't be empty")
    if len(name.encode()) > MAX_NAME_BYTES:
        raise InvalidName(f"Dataset name length is {len(name)} which is large than {MAX_NAME_BYTES}")
    chunk_method = request.chunk_method or "naive"  # omitted, or an ingestion pipeline's
    config = parser_config.for_create(chunk_method, request.parser_config, settings().default_chat_model)
    if request.auto_metadata_config is not None:
        config |= METADATA_ON
    embd_id = settings().default_embedding_model
    if request.embedding_model is not None:
        embd_id = embedding.resolve(request.embedding_model, settings().embedding_models)
    fields = {
        "avatar": request.avatar,
        "description": request.description,
        "embd_id": embd_id,
        "permission": request.permission,
        "parser_id": chunk_method,
        "pipeline_id": request.pipeline_id,
        "parser_config": config,
    }
    taken = None
    for _ in range(MAX_RENAMES):  # each loss names another candidate: no waiting, unlike a retry of the same write
        try:
            return datasets.create(tenant_id, name, render=_render, request=retry, **fields)
        except DuplicateName:
            if taken is None:  # one read of the names like it; later losses add the name just lost
                taken = set(storage.names_with_prefix(tenant_id, split_name(name)[0]))
            taken.add(name.lower())
            name = free_name(name, taken)
    raise StorageUnavailable  # other creates took every free name first, MAX_RENAMES times over


def _render(ds: Dataset) -> dict[str, Any]:
    return RestfulDataset.shown(ds)

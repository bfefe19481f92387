"""PUT /datasets/{dataset_id}: RAGFlow v0.27.0's UpdateDatasetReq and its rules
(dataset_api_service.py: update_dataset)."""

from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from .. import datasets, embedding, parser_config
from ..config import settings
from ..dataset import Dataset
from ..errors import DuplicateName, NothingToUpdate
from ..http import without_default
from ..storage import datasets as storage
from .dataset import RestfulDataset, lacks_permission
from .fields import METADATA_ON, DatasetFields, Name, uuid


class UpdateDatasetRequest(DatasetFields):
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

    _dataset_id = field_validator("dataset_id")(uuid)


class UpdatedDataset(RestfulDataset):
    """The dataset after an update, with the ``connectors`` the request sent (``[]`` if none)."""

    connectors: list[dict[str, Any]]


def update(tenant_id: str, raw_id: str, request: UpdateDatasetRequest) -> dict[str, Any]:
    """Update, checking in RAGFlow's order: something to change, the dataset, a name clash (no renaming on
    update), the embedding model; then the fields sent."""
    sent = request.model_fields_set - {"dataset_id"}
    if not sent:
        raise NothingToUpdate("no properties were modified")
    missing = lacks_permission(tenant_id, raw_id)
    current = datasets.get(tenant_id, request.dataset_id, missing=missing)
    embd_id = None
    if "embedding_model" in sent:  # null: the current model, checked again
        renamed = "name" in sent and request.name.lower() != current.name.lower()
        if renamed and storage.name_lock_owner(tenant_id, request.name) not in (None, current.id):
            raise DuplicateName(request.name)  # the write would refuse it too: here, before the model is checked
        embd_id = embedding.resolve(request.embedding_model or current.embd_id, settings().embedding_models)
    sent_config = request.parser_config.model_dump(exclude_unset=True) if request.parser_config is not None else {}
    if request.auto_metadata_config is not None:
        sent_config |= METADATA_ON

    def change(ds: Dataset) -> Dataset:
        for field in ("name", "avatar", "description", "permission", "language", "pagerank", "pipeline_id"):
            if field in sent:
                setattr(ds, field, getattr(request, field))
        if embd_id is not None:
            ds.embd_id = embd_id
        if sent_config:
            ds.parser_config = parser_config.for_update(ds.parser_config, sent_config)
        if request.chunk_method and request.chunk_method != ds.parser_id:
            if not sent_config:  # a new method without a config: that method's defaults
                ds.parser_config = parser_config.method_defaults(request.chunk_method)
            ds.parser_id = request.chunk_method
        if request.chunk_method and ds.pipeline_id and not request.pipeline_id:
            ds.pipeline_id = ""  # back from an ingestion pipeline to a chunk method
        return ds

    updated = datasets.update(tenant_id, current.id, change, missing=missing, read=current)
    connectors = request.connectors if "connectors" in sent else []
    return UpdatedDataset.shown(updated, connectors=connectors)

"""The dataset as the RESTful API shows it (RAGFlow v0.27.0), the base of each route's view; and how it refuses a
dataset the caller cannot see."""

from functools import cache
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from ..dataset import Dataset, http_date
from ..errors import DatasetNotFound


class RestfulDataset(BaseModel):
    """The dataset as RAGFlow v0.27 returns it: a knowledgebase row (api/db/db_models.py: Knowledgebase) with
    four keys renamed (api/utils/api_utils.py: remap_dictionary_keys). The task ids and times are null: none
    of those features runs here; ``tenant_embd_id`` too: there are no tenant-model records."""

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
    language: str | None
    name: str
    pagerank: int
    parser_config: dict[str, Any]
    permission: str
    pipeline_id: str | None
    similarity_threshold: float
    status: str
    tenant_embd_id: None = None
    tenant_id: str
    token_num: int
    update_date: str
    update_time: int
    vector_similarity_weight: float
    graphrag_task_id: None = None
    graphrag_task_finish_at: None = None
    raptor_task_id: None = None
    raptor_task_finish_at: None = None
    mindmap_task_id: None = None
    mindmap_task_finish_at: None = None
    wiki_task_id: None = None
    wiki_task_finish_at: None = None
    skill_task_id: None = None
    skill_task_finish_at: None = None
    structure_graph_task_id: None = None
    structure_graph_task_finish_at: None = None
    structure_mindmap_task_id: None = None
    structure_mindmap_task_finish_at: None = None
    timeline_task_id: None = None
    timeline_task_finish_at: None = None
    session_graph_task_id: None = None
    session_graph_task_finish_at: None = None
    session_essence_task_id: None = None
    session_essence_task_finish_at: None = None
    structure_task_id: None = None
    structure_task_finish_at: None = None

    @classmethod
    def fields_of(cls, ds: Dataset) -> dict[str, Any]:
        return {
            "avatar": ds.avatar,
            "chunk_count": ds.chunk_num,
            "chunk_method": ds.parser_id,
            "create_date": http_date(ds.create_time),
            "create_time": ds.create_time,
            "created_by": ds.created_by,
            "description": ds.description,
            "document_count": ds.doc_num,
            "embedding_model": ds.embd_id,
            "id": ds.id,
            "language": ds.language,
            "name": ds.name,
            "pagerank": ds.pagerank,
            "parser_config": ds.parser_config,
            "permission": ds.permission,
            "pipeline_id": ds.pipeline_id,
            "similarity_threshold": ds.similarity_threshold,
            "status": ds.status,
            "tenant_id": ds.tenant_id,
            "token_num": ds.token_num,
            "update_date": http_date(ds.update_time),
            "update_time": ds.update_time,
            "vector_similarity_weight": ds.vector_similarity_weight,
        }

    on_request: ClassVar[tuple[str, ...]] = ()
    """Fields shown only when the request asks for them (a caller adds them to ``shown``)."""

    @classmethod
    def shown(cls, ds: Dataset, **given: Any) -> dict[str, Any]:
        """The JSON object of ``ds`` in this view: the view's defaults, then the dataset's fields (already
        validated when it was read), then ``given`` (fields the view has and the dataset does not). No model
        instance is made and dumped: that was a large part of a warm get's CPU, and of a warm list page's, per
        item (``bench/REPORT.md``, warm requests). ``tests/unit/test_views.py`` checks that both agree."""
        return _defaults(cls) | cls.fields_of(ds) | given


@cache
def _defaults(view: type[RestfulDataset]) -> dict[str, Any]:
    """A view's plain defaults; a default made per instance (``default_factory``) is the caller's to give."""
    return {
        name: field.default
        for name, field in view.model_fields.items()
        if not field.is_required() and field.default_factory is None and name not in view.on_request
    }


def lacks_permission(tenant_id: str, what: str) -> DatasetNotFound:
    """Any id or name that is not one of the caller's datasets, named as sent (dataset_api_service.py)."""
    return DatasetNotFound(f"User '{tenant_id}' lacks permission for dataset '{what}'")

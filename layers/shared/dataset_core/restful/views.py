"""What the RESTful API answers: the dataset as RAGFlow v0.27.0 shows it, by route, and the list's extra keys."""

from functools import cache
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..dataset import Dataset, http_date
from ..http import without_default


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


class UpdatedDataset(RestfulDataset):
    """The dataset after an update, with the ``connectors`` the request sent (``[]`` if none)."""

    connectors: list[dict[str, Any]]


class FetchedDataset(RestfulDataset):
    """One dataset: with the bytes of its documents (none here) and its connectors (none here)."""

    size: int = 0
    connectors: list[dict[str, Any]] = Field(default_factory=list)


class ParsingStatus(BaseModel):
    """Only with ``include_parsing_status=true``; all 0 (documents are out of scope)."""

    model_config = ConfigDict(defer_build=True)

    unstart_count: Literal[0] = 0
    running_count: Literal[0] = 0
    cancel_count: Literal[0] = 0
    done_count: Literal[0] = 0
    fail_count: Literal[0] = 0


class ListedDataset(RestfulDataset):
    """A dataset in a listing: with its owner's nickname and avatar (tenants have neither here) and the name of
    a tenant-model id (none here); ``parsing_status`` when asked for."""

    nickname: str = ""
    tenant_avatar: str = ""
    embedding_model_name: str = ""
    parsing_status: ParsingStatus | None = Field(default=None, json_schema_extra=without_default)
    on_request = ("parsing_status",)


@cache
def _defaults(view: type[RestfulDataset]) -> dict[str, Any]:
    """A view's plain defaults; a default made per instance (``default_factory``) is the caller's to give."""
    return {
        name: field.default
        for name, field in view.model_fields.items()
        if not field.is_required() and field.default_factory is None and name not in view.on_request
    }


class OwnerCount(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str = Field(description="The owner's tenant id")
    label: str = Field(description="The owner's nickname (tenants have none here)")
    count: int = Field(ge=0)


class OwnerFilter(BaseModel):
    """``type=filter``: how many datasets each owner the caller can see holds (only the caller, here)."""

    model_config = ConfigDict(defer_build=True)

    filter: dict[Literal["owner"], list[OwnerCount]]
    total: int = Field(ge=0)


class PageInfo(BaseModel):
    """The list's envelope keys beside ``code``, ``message`` and ``data`` (not with ``type=filter``)."""

    model_config = ConfigDict(defer_build=True)

    total_datasets: int = Field(ge=0, description="All the datasets that match, before paging")
    next_page_token: str | None = Field(
        description="Pass as page_token for the next page; null on the last page (beyond RAGFlow)"
    )


class DeleteResult(BaseModel):
    """How many datasets were deleted (all or none of the ids given)."""

    model_config = ConfigDict(defer_build=True)

    success_count: int = Field(ge=0)

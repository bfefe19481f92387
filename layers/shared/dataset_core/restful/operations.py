"""The RESTful API's operations: RAGFlow v0.27.0's rules (api/apps/services/dataset_api_service.py) over
``dataset_core.datasets``, in its order of checks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import datasets, embedding, idempotency, page_tokens, parser_config, payload
from ..config import settings
from ..dataset import Dataset
from ..errors import (
    BadRequest,
    ConflictingFilters,
    DatasetNotFound,
    DuplicateName,
    InvalidName,
    NothingToUpdate,
    ResponseTooLarge,
    StorageUnavailable,
)
from ..ids import normalize_id
from ..names import free_name, split_name
from ..storage import datasets as storage
from ..storage import listings
from .views import (
    FetchedDataset,
    ListedDataset,
    OwnerCount,
    OwnerFilter,
    ParsingStatus,
    RestfulDataset,
    UpdatedDataset,
)

if TYPE_CHECKING:  # each function imports the request models its own routes declare (cold start)
    from .models import CreateDatasetRequest, DeleteDatasetsRequest, ListDatasetsQuery, UpdateDatasetRequest

MAX_NAME_BYTES = 128
MAX_RENAMES = 100
"""Free names one create tries: as many concurrent creates of one name as any tenant sends get one each."""
"""knowledgebase_service.py: KnowledgebaseService.create_with_name measures a new name in UTF-8 bytes."""
METADATA_ON: dict[str, Any] = {"metadata": [], "enable_metadata": True}
"""What any ``auto_metadata_config`` adds to the config (dataset_api_service.py: create_dataset)."""


def _lacks_permission(tenant_id: str, what: str) -> DatasetNotFound:
    return DatasetNotFound(f"User '{tenant_id}' lacks permission for dataset '{what}'")


# ---- create -------------------------------------------------------------------------------------------------


def create(tenant_id: str, request: CreateDatasetRequest, idempotency_key: str | None = None) -> dict[str, Any]:
    """Create (dataset_api_service.py: create_dataset): the name (stripped again, at most 128 UTF-8 bytes), a
    taken name renamed as RAGFlow's ``duplicate_name`` does (``kb`` -> ``kb(1)``), then the embedding model
    (omitted: the default, unverified; given: resolved against the set-up)."""
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


# ---- read ---------------------------------------------------------------------------------------------------


def get(tenant_id: str, raw_id: str) -> dict[str, Any]:
    """One dataset (dataset_api_service.py: get_dataset); the path is not validated: anything that is not the
    id of one of the caller's datasets lacks permission, named as sent."""
    dataset_id = normalize_id(raw_id)
    found = storage.get_dataset(tenant_id, dataset_id) if dataset_id is not None else None
    if found is None:
        raise _lacks_permission(tenant_id, raw_id)
    return FetchedDataset.shown(found, connectors=[])


class DatasetPage(NamedTuple):
    data: payload.Encoded  # the page's datasets, as a JSON array
    total: int
    next_page_token: str | None


def list_datasets(tenant_id: str, query: ListDatasetsQuery) -> DatasetPage | OwnerFilter:
    """A page of the tenant's datasets (dataset_api_service.py: list_datasets), filtered by ``id``, ``name``,
    ``ids`` and ``ext``; or, with ``type=filter``, the count per owner.

    A page must fit in one Lambda response (``payload``). A cursor page is cut to what fits and continues
    exactly where it was cut; an offset page cannot be cut (its client asks for the next page by number and
    would skip what was left out), so one that does not fit is refused, saying how many would.
    """
    if query.type == "filter":
        count = storage.dataset_count(tenant_id)
        owners = [OwnerCount(id=tenant_id, label="", count=count)] if count else []
        return OwnerFilter(filter={"owner": owners}, total=count)
    if query.id is not None and query.ids:
        raise ConflictingFilters(f"Should not provide both 'id':{query.id} and 'ids'{query.ids}")
    if query.id is not None or query.name or query.ids or _ext_filters(query):
        if query.page_token is not None:
            raise BadRequest("page_token continues a listing without filters: give it without id, name, ids or ext")
        return _filtered_page(tenant_id, query)
    after = None
    if query.page_token is not None:
        if query.page != 1:
            raise BadRequest("Give either page or page_token, not both")
        after = page_tokens.decode(query.page_token, tenant_id, query.orderby, query.desc)
    listing = datasets.page(
        tenant_id,
        orderby=query.orderby,
        descending=query.desc,
        offset=0 if after else (query.page - 1) * query.page_size,
        limit=query.page_size,
        after=after,
        with_total=True,
    )
    views = [_view(ds, query) for ds in listing.datasets]
    fit = payload.fitted(views)
    if fit.kept < len(views) and after is None:
        raise _too_large(len(views), fit.kept)
    kept = listing.datasets[: fit.kept]
    token = None
    if (listing.more or fit.kept < len(views)) and kept:
        token = page_tokens.encode(tenant_id, query.orderby, query.desc, kept[-1].id, kept[-1].update_time)
    return DatasetPage(fit.json, listing.total or 0, token)


def _ext_filters(query: ListDatasetsQuery) -> dict[str, Any]:
    """The ``ext`` filters given: ``keywords`` (part of the name, any case), ``parser_id``, ``owner_ids``."""
    return {key: query.ext[key] for key in ("keywords", "parser_id", "owner_ids") if query.ext.get(key)}


def _filtered_page(tenant_id: str, query: ListDatasetsQuery) -> DatasetPage:
    """The matches of every filter given (AND), ordered and paged like a listing; ``total_datasets`` counts
    them all. An ``id`` or a ``name`` that is none of the caller's datasets lacks permission (the id is
    checked first); ``ids`` that are not the caller's are left out."""
    lookups = [query.id] if query.id is not None else list(query.ids or ())
    pool = storage.get_datasets(tenant_id, lookups) if lookups else {}
    if query.id is not None and query.id not in pool:
        raise _lacks_permission(tenant_id, query.id)
    if query.name:
        owner = storage.name_lock_owner(tenant_id, query.name)
        if owner is None:
            raise _lacks_permission(tenant_id, query.name)
        if not lookups:
            pool = storage.get_datasets(tenant_id, [owner])
    start = (query.page - 1) * query.page_size
    if lookups or query.name:
        matches: list[Any] = _ordered(pool.values(), tenant_id, query)
        page = matches[start : start + query.page_size]
    else:  # ext filters only: every dataset is read, a few bytes of each, and only the page whole
        matches = _ordered(listings.dataset_summaries(tenant_id), tenant_id, query)
        page_ids = [summary.id for summary in matches[start : start + query.page_size]]
        found = storage.get_datasets(tenant_id, page_ids)
        page = [found[i] for i in page_ids if i in found]
    views = [_view(ds, query) for ds in page]
    fit = payload.fitted(views)
    if fit.kept < len(views):
        raise _too_large(len(views), fit.kept)
    return DatasetPage(fit.json, len(matches), None)


def _ordered(candidates: Iterable[Any], tenant_id: str, query: ListDatasetsQuery) -> list[Any]:
    matches = [c for c in candidates if _matches(c, tenant_id, query)]
    return sorted(matches, key=lambda c: (getattr(c, query.orderby), c.id), reverse=query.desc)


def _matches(candidate: Dataset | listings.DatasetSummary, tenant_id: str, query: ListDatasetsQuery) -> bool:
    ext = _ext_filters(query)
    owners = ext.get("owner_ids")
    return (
        (query.id is None or candidate.id == query.id)
        and (not query.ids or candidate.id in query.ids)
        and (not query.name or candidate.name.lower() == query.name.lower())
        and str(ext.get("keywords", "")).lower() in candidate.name.lower()
        and ("parser_id" not in ext or candidate.parser_id == ext["parser_id"])
        and (not isinstance(owners, list) or tenant_id in owners)
    )


def _too_large(count: int, fit: int) -> ResponseTooLarge:
    return ResponseTooLarge(
        f"This page of {count} datasets exceeds what one response may carry: lower page_size to {fit} or less"
        " (without filters, next_page_token then continues the listing)"
    )


def _view(ds: Dataset, query: ListDatasetsQuery) -> dict[str, Any]:
    view = ListedDataset.shown(ds)
    if query.include_parsing_status:  # no documents here yet, so every count is 0
        view["parsing_status"] = ParsingStatus().model_dump()
    return view


# ---- update -------------------------------------------------------------------------------------------------


def update(tenant_id: str, raw_id: str, request: UpdateDatasetRequest) -> dict[str, Any]:
    """Update (dataset_api_service.py: update_dataset), checking in its order: something to change, the
    dataset, a name clash (no renaming on update), the embedding model; then the fields sent."""
    sent = request.model_fields_set - {"dataset_id"}
    if not sent:
        raise NothingToUpdate("no properties were modified")
    missing = _lacks_permission(tenant_id, raw_id)
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


# ---- delete -------------------------------------------------------------------------------------------------


def delete(tenant_id: str, request: DeleteDatasetsRequest) -> dict[str, int]:
    """Delete the ids given (all must be the caller's, else nothing is deleted; ``delete_all`` is then
    ignored) or, with none given and ``delete_all``, every dataset of the caller
    (dataset_api_service.py: _delete_datasets_sync)."""
    if not request.ids:
        return {"success_count": datasets.delete_all(tenant_id) if request.delete_all else 0}
    found = storage.get_datasets(tenant_id, request.ids)
    missing = [i for i in request.ids if i not in found]
    if missing:
        raise DatasetNotFound(f"User '{tenant_id}' lacks permission for datasets: '{', '.join(missing)}'")
    return {"success_count": datasets.delete_many(tenant_id, [found[i] for i in request.ids])}

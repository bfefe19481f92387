"""The RESTful API's operations: RAGFlow v0.27's rules over ``dataset_core.datasets``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import contention, datasets, embedding, idempotency, page_tokens, parser_config, payload
from ..dataset import Dataset
from ..errors import (
    BadRequest,
    DatasetNotFound,
    DuplicateName,
    NothingToUpdate,
    ResponseTooLarge,
    StorageUnavailable,
)
from ..ids import normalize_id
from ..names import free_name, split_name
from ..storage import datasets as storage
from .models import (
    CreateDatasetRequest,
    DeleteDatasetsRequest,
    ListDatasetsQuery,
    ParsingStatus,
    RestfulDataset,
    UpdateDatasetRequest,
)

MAX_LIST_IDS = 100  # as RAGFlow v0.27


def _lacks_permission(tenant_id: str, what: str) -> DatasetNotFound:
    return DatasetNotFound(f"User '{tenant_id}' lacks permission for dataset '{what}'")


def _uuid(raw: str) -> str:
    normalized = normalize_id(raw)
    if normalized is None:
        raise BadRequest("Invalid UUID format")
    return normalized


# ---- create -------------------------------------------------------------------------------------------------


def create(tenant_id: str, request: CreateDatasetRequest, idempotency_key: str | None = None) -> dict[str, Any]:
    """Create; a taken name is renamed as RAGFlow's ``duplicate_name`` does (``kb`` -> ``kb(1)``)."""
    retry = idempotency.request_key(tenant_id, idempotency_key, "POST /api/v1/datasets", request)
    fields = {
        "avatar": request.avatar,
        "description": request.description,
        "embd_id": embedding.resolve(request.embedding_model),
        "permission": request.permission,
        "parser_id": request.chunk_method,
        "parser_config": parser_config.for_create(request.chunk_method, request.parser_config),
    }
    name, taken = request.name, None
    for _ in contention.attempts():
        try:
            return datasets.create(tenant_id, name, render=_render, request=retry, **fields)
        except DuplicateName:
            if taken is None:  # one read of the names like it; later losses add the name just lost
                taken = set(storage.names_with_prefix(tenant_id, split_name(name)[0]))
            taken.add(name.lower())
            name = free_name(name, taken)
    raise StorageUnavailable  # other creates kept taking each free name first for the whole budget


def _render(ds: Dataset) -> dict[str, Any]:
    return RestfulDataset.of(ds).model_dump(mode="json")


# ---- read ---------------------------------------------------------------------------------------------------


def get(tenant_id: str, raw_id: str) -> RestfulDataset:
    dataset_id = _uuid(raw_id)
    return RestfulDataset.of(datasets.get(tenant_id, dataset_id, missing=_lacks_permission(tenant_id, raw_id)))


@dataclass(frozen=True)
class DatasetPage:
    data: list[dict[str, Any]]
    total: int
    next_page_token: str | None


def list_datasets(tenant_id: str, query: ListDatasetsQuery) -> DatasetPage:
    """A page of the tenant's datasets; ``name``/``id``/``ids`` filter, ``page_token`` continues a listing.

    A page must fit in one Lambda response (``payload``). A cursor page is cut to what fits and continues
    exactly where it was cut; an offset page cannot be cut (its client asks for the next page by number and
    would skip what was left out), so one that does not fit is refused, saying how many would.
    """
    if query.id is not None or query.name or query.ids:
        found = [_view(ds, query) for ds in _filtered(tenant_id, query)]
        if payload.fitting(found) < len(found):
            raise ResponseTooLarge(f"These {len(found)} datasets exceed what one response may carry: ask for fewer ids")
        return DatasetPage(found, len(found), None)
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
    fit = payload.fitting(views)
    if fit < len(views) and after is None:
        raise ResponseTooLarge(
            f"This page of {len(views)} datasets exceeds what one response may carry: lower page_size to {fit} "
            "or less (next_page_token then continues the listing)"
        )
    kept = listing.datasets[:fit]
    token = None
    if (listing.more or fit < len(views)) and kept:
        token = page_tokens.encode(tenant_id, query.orderby, query.desc, kept[-1].id, kept[-1].update_time)
    return DatasetPage(views[:fit], listing.total or 0, token)


def _filtered(tenant_id: str, query: ListDatasetsQuery) -> list[Dataset]:
    """Exact lookups: by id, by name (case-insensitive, like RAGFlow's MySQL collation) or by ids."""
    if query.ids:
        if len(query.ids) > MAX_LIST_IDS:
            raise BadRequest(f"Field: ids - Message: List should have at most {MAX_LIST_IDS} items")
        wanted = [_uuid(i) for i in query.ids]
        if len(set(wanted)) != len(wanted):
            raise BadRequest("Duplicate ids in 'ids'")
        found = storage.get_datasets(tenant_id, wanted)
        missing = [i for i in wanted if i not in found]
        if missing:
            raise _lacks_permission(tenant_id, ",".join(missing))
        return [found[i] for i in wanted]
    dataset_id = _uuid(query.id) if query.id is not None else None
    if query.name:
        owner = storage.name_lock_owner(tenant_id, query.name)
        if owner is None or (dataset_id is not None and owner != dataset_id):
            raise _lacks_permission(tenant_id, query.name)
        dataset_id = owner
    assert dataset_id is not None
    return [datasets.get(tenant_id, dataset_id, missing=_lacks_permission(tenant_id, query.id or str(query.name)))]


def _view(ds: Dataset, query: ListDatasetsQuery) -> dict[str, Any]:
    view = RestfulDataset.of(ds).model_dump(mode="json")
    if query.include_parsing_status:  # no documents here yet, so every count is 0
        view["parsing_status"] = ParsingStatus().model_dump()
    return view


# ---- update -------------------------------------------------------------------------------------------------


def update(tenant_id: str, raw_id: str, request: UpdateDatasetRequest) -> RestfulDataset:
    dataset_id = _uuid(raw_id)
    sent = request.model_fields_set
    if not sent:
        raise NothingToUpdate("no properties were modified")
    embd_id = embedding.resolve(request.embedding_model) if request.embedding_model is not None else None

    def change(ds: Dataset) -> Dataset:
        for field in ("name", "avatar", "description", "permission", "language", "pagerank"):
            if field in sent:
                setattr(ds, field, getattr(request, field))
        if embd_id is not None:
            ds.embd_id = embd_id
        if "chunk_method" in sent and request.chunk_method != ds.parser_id:
            ds.parser_id = request.chunk_method
            if "parser_config" not in sent:
                ds.parser_config = parser_config.default_parser_config(request.chunk_method)
        if request.parser_config is not None and request.parser_config.model_fields_set:
            ds.parser_config = parser_config.deep_merge(
                ds.parser_config, request.parser_config.model_dump(exclude_unset=True)
            )
        return ds

    updated = datasets.update(tenant_id, dataset_id, change, missing=_lacks_permission(tenant_id, raw_id))
    return RestfulDataset.of(updated)


# ---- delete -------------------------------------------------------------------------------------------------


def delete(tenant_id: str, request: DeleteDatasetsRequest) -> dict[str, int]:
    """Delete the ids given (all must be the caller's, else nothing is deleted) or, with none given and
    ``delete_all``, every dataset of the caller."""
    if not request.ids:
        return {"success_count": datasets.delete_all(tenant_id) if request.delete_all else 0}
    wanted = [_uuid(i) for i in request.ids]
    duplicates = sorted({i for i in wanted if wanted.count(i) > 1})
    if duplicates:
        raise BadRequest(f"Duplicate ids: '{', '.join(duplicates)}'")
    found = storage.get_datasets(tenant_id, wanted)
    missing = [i for i in wanted if i not in found]
    if missing:
        raise DatasetNotFound(f"User '{tenant_id}' lacks permission for datasets: '{', '.join(missing)}'")
    return {"success_count": datasets.delete_many(tenant_id, [found[i] for i in wanted])}

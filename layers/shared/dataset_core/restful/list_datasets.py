"""GET /datasets: RAGFlow v0.27.0's ListDatasetReq and its rules (dataset_api_service.py: list_datasets), and
what a listing answers: its datasets, its envelope keys, or with ``type=filter`` the owners' counts."""

import contextlib
import json
from collections.abc import Iterable
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .. import datasets, page_tokens, payload
from ..dataset import Dataset, Order
from ..errors import BadRequest, ConflictingFilters, ResponseTooLarge
from ..http import without_default
from ..storage import datasets as storage
from ..storage import listings
from .dataset import RestfulDataset, lacks_permission
from .fields import unique_ids, uuid

MAX_LIST_IDS = 100


class ListDatasetsQuery(BaseModel):
    """GET /datasets's query (ListDatasetReq). Lax, unlike the bodies: query values arrive as strings
    (``page=2``, ``desc=false``); unknown parameters are refused all the same. ``type=filter`` asks for the
    owners' counts instead, whatever else is given."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    id: str | None = Field(default=None, description="A dataset id")
    name: str | None = Field(default=None, description="Exact name, case-insensitively; empty: no filter")
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=30, ge=1)
    orderby: Order = "create_time"
    desc: bool = True
    ids: list[str] | None = Field(default=None, description="Dataset ids, repeated or comma-separated")
    include_parsing_status: bool = False
    ext: dict[str, Any] = Field(
        default_factory=dict,
        description='A JSON object: "keywords" (part of the name, any case), "parser_id" (a chunk method), '
        '"owner_ids" (tenant ids)',
    )
    page_token: str | None = Field(default=None, max_length=1024, description="next_page_token of a page")
    type: Literal["filter"] | None = Field(default=None, description="filter: the datasets per owner instead")

    @model_validator(mode="before")
    @classmethod
    def _filter_type_first(cls, data: Any) -> Any:
        """``type=filter`` is answered before anything else is read (dataset_api.py: list_datasets)."""
        if isinstance(data, dict) and data.get("type") == "filter":
            return {"type": "filter"}
        return data

    @field_validator("type", mode="before")
    @classmethod
    def _only_filter(cls, value: Any) -> Any:
        if value is not None and value != "filter":
            raise PydanticCustomError("extra_forbidden", "Extra inputs are not permitted")
        return value

    @field_validator("id")
    @classmethod
    def _id(cls, value: str | None) -> str | None:
        return None if value is None else uuid(value)

    @field_validator("page_size")
    @classmethod
    def _at_most_100(cls, value: int) -> int:
        if value > 100:
            raise ValueError("page_size must be less than or equal to 100")
        return value

    @field_validator("ids", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            return [i for item in value for i in str(item).split(",") if i] or None
        return value

    @field_validator("ids")
    @classmethod
    def _normalized(cls, ids: list[str] | None) -> list[str] | None:
        return None if ids is None else unique_ids(ids, MAX_LIST_IDS)

    @field_validator("ext", mode="before")
    @classmethod
    def _json_object(cls, value: Any) -> Any:
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        if not isinstance(value, dict):
            raise PydanticCustomError("dict_type", "Input should be a valid dictionary")
        return value


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


class DatasetPage(NamedTuple):
    data: payload.Encoded  # the page's datasets, as a JSON array
    total: int
    next_page_token: str | None


def list_datasets(tenant_id: str, query: ListDatasetsQuery) -> DatasetPage | OwnerFilter:
    """A page of the tenant's datasets, filtered by ``id``, ``name``, ``ids`` and ``ext``; or, with
    ``type=filter``, the count per owner.

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
        raise lacks_permission(tenant_id, query.id)
    if query.name:
        owner = storage.name_lock_owner(tenant_id, query.name)
        if owner is None:
            raise lacks_permission(tenant_id, query.name)
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

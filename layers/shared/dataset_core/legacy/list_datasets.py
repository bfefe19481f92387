"""GET /dataset: the caller's datasets, by offset and count."""

from pydantic import BaseModel, ConfigDict, Field

from .. import datasets, payload
from ..dataset import Order
from .dataset import LegacyDataset


class LegacyListQuery(BaseModel):
    """GET /dataset's query, as RAGFlow's server of the time read it. Lax: query values are strings."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    offset: int = Field(default=0, ge=0, description="Datasets to skip")
    count: int = Field(default=-1, ge=-1, description="Datasets to return; -1 = all (at most 1000)")
    orderby: Order = "create_time"
    desc: bool = Field(default=True, description="Newest first")


def list_datasets(tenant_id: str, query: LegacyListQuery) -> payload.Encoded:
    """Up to ``count`` datasets from ``offset``, fewer if more would not fit in one Lambda response: the
    legacy API's clients page by the number of datasets they received."""
    limit = datasets.MAX_PAGE if query.count == -1 else query.count
    listing = datasets.page(tenant_id, orderby=query.orderby, descending=query.desc, offset=query.offset, limit=limit)
    views = [LegacyDataset.shown(ds) for ds in listing.datasets]
    return payload.fitted(views).json

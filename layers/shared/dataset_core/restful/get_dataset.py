"""GET /datasets/{dataset_id}: one dataset (dataset_api_service.py: get_dataset)."""

from typing import Any

from pydantic import Field

from ..ids import normalize_id
from ..storage import datasets as storage
from .dataset import RestfulDataset, lacks_permission


class FetchedDataset(RestfulDataset):
    """One dataset: with the bytes of its documents (none here) and its connectors (none here)."""

    size: int = 0
    connectors: list[dict[str, Any]] = Field(default_factory=list)


def get(tenant_id: str, raw_id: str) -> dict[str, Any]:
    """The path is not validated: anything that is not the id of one of the caller's datasets lacks permission,
    named as sent."""
    dataset_id = normalize_id(raw_id)
    found = storage.get_dataset(tenant_id, dataset_id) if dataset_id is not None else None
    if found is None:
        raise lacks_permission(tenant_id, raw_id)
    return FetchedDataset.shown(found, connectors=[])

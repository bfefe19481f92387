"""GET /dataset/{dataset_id}: one dataset."""

from typing import Any

from .. import datasets
from ..errors import DatasetNotFound
from .dataset import LegacyDataset, dataset_id


def get(tenant_id: str, raw_id: str) -> dict[str, Any]:
    missing = DatasetNotFound("Can't find this dataset!")
    return LegacyDataset.shown(datasets.get(tenant_id, dataset_id(raw_id), missing=missing))

"""GET /dataset/{dataset_id}: one dataset."""

from .. import datasets
from ..errors import DatasetNotFound
from .dataset import LegacyDataset, dataset_id


def get(tenant_id: str, raw_id: str) -> LegacyDataset:
    missing = DatasetNotFound("Can't find this dataset!")
    return LegacyDataset.of(datasets.get(tenant_id, dataset_id(raw_id), missing=missing))

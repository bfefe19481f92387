"""DELETE /dataset/{dataset_id}: one dataset; its name is free again."""

from typing import Literal

from pydantic import BaseModel, ConfigDict

from .. import datasets
from ..errors import DatasetNotOwned
from .dataset import dataset_id


class LegacyDeleted(BaseModel):
    """The legacy delete's envelope key beside ``code``, ``message`` and ``data`` (null)."""

    model_config = ConfigDict(defer_build=True)

    success: Literal[True]


def delete(tenant_id: str, raw_id: str) -> None:
    missing = DatasetNotOwned("The dataset cannot be found for your current account.", extra={"success": False})
    datasets.delete(tenant_id, dataset_id(raw_id), missing=missing)

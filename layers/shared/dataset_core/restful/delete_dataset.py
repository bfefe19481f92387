"""DELETE /datasets: RAGFlow v0.27.0's DeleteDatasetReq and its rules
(dataset_api_service.py: _delete_datasets_sync)."""

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .. import datasets
from ..errors import DatasetNotFound
from ..storage import datasets as storage
from .fields import Strict, unique_ids


class DeleteDatasetsRequest(Strict):
    """DELETE /datasets: the ids given (all must be the caller's), or with none, every dataset if
    ``delete_all``. No maximum number of ids, as in RAGFlow: the body size limit bounds them."""

    ids: list[str] | None = None
    delete_all: bool = False

    @field_validator("ids")
    @classmethod
    def _normalized(cls, ids: list[str] | None) -> list[str] | None:
        return None if ids is None else unique_ids(ids)


class DeleteResult(BaseModel):
    """How many datasets were deleted (all or none of the ids given)."""

    model_config = ConfigDict(defer_build=True)

    success_count: int = Field(ge=0)


def delete(tenant_id: str, request: DeleteDatasetsRequest) -> dict[str, int]:
    """Delete the ids given (all must be the caller's, else nothing is deleted; ``delete_all`` is then
    ignored) or, with none given and ``delete_all``, every dataset of the caller."""
    if not request.ids:
        return {"success_count": datasets.delete_all(tenant_id) if request.delete_all else 0}
    found = storage.get_datasets(tenant_id, request.ids)
    missing = [i for i in request.ids if i not in found]
    if missing:
        raise DatasetNotFound(f"User '{tenant_id}' lacks permission for datasets: '{', '.join(missing)}'")
    return {"success_count": datasets.delete_many(tenant_id, [found[i] for i in request.ids])}

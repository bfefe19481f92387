"""PUT /api/v1/dataset/{dataset_id} (legacy) and PUT /api/v1/datasets/{dataset_id} (RESTful): update."""

from dataset_core import errors
from dataset_core.http import App, Success, lambda_handler_for, ok
from dataset_core.legacy import update_dataset as legacy
from dataset_core.legacy.dataset import LegacyDataset
from dataset_core.legacy.update_dataset import LegacyUpdateRequest
from dataset_core.restful import update_dataset as restful
from dataset_core.restful.update_dataset import UpdateDatasetRequest, UpdatedDataset

app = App()


@app.put(
    "/api/v1/dataset/{dataset_id}",
    summary="Update a dataset (legacy API)",
    body=LegacyUpdateRequest,
    response=LegacyDataset,
    errors=(errors.InvalidName, errors.NothingToUpdate, errors.UnsupportedModel, errors.DatasetNotOwned,
            errors.DuplicateName),
)  # fmt: skip
def update_legacy(tenant_id: str, dataset_id: str, body: LegacyUpdateRequest) -> Success:
    return ok(legacy.update(tenant_id, dataset_id, body))


@app.put(
    "/api/v1/datasets/{dataset_id}",
    summary="Update a dataset",
    body=UpdateDatasetRequest,
    path_in_body=("dataset_id",),
    response=UpdatedDataset,
    errors=(errors.NothingToUpdate, errors.UnsupportedModel, errors.DatasetNotFound, errors.DuplicateName),
)
def update_restful(tenant_id: str, dataset_id: str, body: UpdateDatasetRequest) -> Success:
    return ok(restful.update(tenant_id, dataset_id, body))


lambda_handler = lambda_handler_for(app)

"""DELETE /api/v1/dataset/{dataset_id} (legacy) and DELETE /api/v1/datasets (RESTful): delete datasets."""

from dataset_core import errors
from dataset_core.http import App, Success, lambda_handler_for, ok
from dataset_core.legacy import delete_dataset as legacy
from dataset_core.legacy.delete_dataset import LegacyDeleted
from dataset_core.restful import delete_dataset as restful
from dataset_core.restful.delete_dataset import DeleteDatasetsRequest, DeleteResult

app = App()


@app.delete(
    "/api/v1/dataset/{dataset_id}",
    summary="Delete a dataset (legacy API); its name is free again",
    extra=LegacyDeleted,
    message="Dataset deleted successfully!",
    errors=(errors.DatasetNotOwned,),
)
def delete_legacy(tenant_id: str, dataset_id: str) -> Success:
    legacy.delete(tenant_id, dataset_id)
    return ok(None, success=True)


@app.delete(
    "/api/v1/datasets",
    summary="Delete datasets by id (all or none), or all of them",
    body=DeleteDatasetsRequest,
    response=DeleteResult,
    errors=(errors.DatasetNotFound, errors.PartiallyDeleted),
)
def delete_restful(tenant_id: str, body: DeleteDatasetsRequest) -> Success:
    return ok(restful.delete(tenant_id, body))


lambda_handler = lambda_handler_for(app)

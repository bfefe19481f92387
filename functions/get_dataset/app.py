"""GET /api/v1/dataset/{dataset_id} (legacy) and GET /api/v1/datasets/{dataset_id} (RESTful): one dataset."""

from dataset_core import errors
from dataset_core.http import App, Success, lambda_handler_for, ok
from dataset_core.legacy import get_dataset as legacy
from dataset_core.legacy.dataset import LegacyDataset
from dataset_core.restful import get_dataset as restful
from dataset_core.restful.get_dataset import FetchedDataset

app = App()


@app.get(
    "/api/v1/dataset/{dataset_id}",
    summary="Get a dataset (legacy API)",
    response=LegacyDataset,
    errors=(errors.DatasetNotFound,),
)
def get_legacy(tenant_id: str, dataset_id: str) -> Success:
    return ok(legacy.get(tenant_id, dataset_id))


@app.get(
    "/api/v1/datasets/{dataset_id}", summary="Get a dataset", response=FetchedDataset, errors=(errors.DatasetNotFound,)
)
def get_restful(tenant_id: str, dataset_id: str) -> Success:
    return ok(restful.get(tenant_id, dataset_id))


lambda_handler = lambda_handler_for(app)

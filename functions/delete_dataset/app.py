"""DELETE /api/v1/dataset/{dataset_id} (seed) and DELETE /api/v1/datasets (current): delete datasets."""

from dataset_core import current_api, seed_api
from dataset_core.current_models import DeleteDatasetsRequest
from dataset_core.http import App, ProxyResponse, lambda_handler_for, ok

app = App()


@app.delete("/api/v1/dataset/{dataset_id}", summary="Delete a dataset (seed API)")
def delete_seed(tenant_id: str, dataset_id: str) -> ProxyResponse:
    seed_api.delete(tenant_id, dataset_id)
    return ok(None, message="Dataset deleted successfully!", success=True)


@app.delete("/api/v1/datasets", summary="Delete datasets by id, or all of them", body=DeleteDatasetsRequest)
def delete_current(tenant_id: str, body: DeleteDatasetsRequest) -> ProxyResponse:
    return ok(current_api.delete(tenant_id, body))


lambda_handler = lambda_handler_for(app)

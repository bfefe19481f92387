"""GET /api/v1/dataset/{dataset_id} (seed) and GET /api/v1/datasets/{dataset_id} (current): one dataset."""

from dataset_core import current_api, seed_api
from dataset_core.http import App, ProxyResponse, lambda_handler_for, ok

app = App()


@app.get("/api/v1/dataset/{dataset_id}", summary="Get a dataset (seed API)")
def get_seed(tenant_id: str, dataset_id: str) -> ProxyResponse:
    return ok(seed_api.get(tenant_id, dataset_id))


@app.get("/api/v1/datasets/{dataset_id}", summary="Get a dataset")
def get_current(tenant_id: str, dataset_id: str) -> ProxyResponse:
    return ok(current_api.get(tenant_id, dataset_id))


lambda_handler = lambda_handler_for(app)

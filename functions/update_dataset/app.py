"""PUT /api/v1/dataset/{dataset_id} (seed) and PUT /api/v1/datasets/{dataset_id} (current): update."""

from dataset_core import current_api, seed_api
from dataset_core.current_models import UpdateDatasetRequest
from dataset_core.http import App, ProxyResponse, lambda_handler_for, ok
from dataset_core.models import SeedUpdateRequest

app = App()


@app.put("/api/v1/dataset/{dataset_id}", summary="Update a dataset (seed API)", body=SeedUpdateRequest)
def update_seed(tenant_id: str, dataset_id: str, body: SeedUpdateRequest) -> ProxyResponse:
    return ok(seed_api.update(tenant_id, dataset_id, body))


@app.put("/api/v1/datasets/{dataset_id}", summary="Update a dataset", body=UpdateDatasetRequest)
def update_current(tenant_id: str, dataset_id: str, body: UpdateDatasetRequest) -> ProxyResponse:
    return ok(current_api.update(tenant_id, dataset_id, body))


lambda_handler = lambda_handler_for(app)

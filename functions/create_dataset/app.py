"""POST /api/v1/dataset (seed) and POST /api/v1/datasets (current RAGFlow): create a dataset."""

from dataset_core import current_api, seed_api
from dataset_core.current_models import CreateDatasetRequest
from dataset_core.http import App, ProxyResponse, lambda_handler_for, ok
from dataset_core.models import SeedCreateRequest

app = App()


@app.post("/api/v1/dataset", summary="Create a dataset (seed API)", body=SeedCreateRequest)
def create_seed(tenant_id: str, body: SeedCreateRequest) -> ProxyResponse:
    return ok(seed_api.create(tenant_id, body))


@app.post("/api/v1/datasets", summary="Create a dataset", body=CreateDatasetRequest)
def create_current(tenant_id: str, body: CreateDatasetRequest) -> ProxyResponse:
    return ok(current_api.create(tenant_id, body))


lambda_handler = lambda_handler_for(app)

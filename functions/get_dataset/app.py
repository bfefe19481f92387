"""GET /api/v1/dataset/{dataset_id} (seed) and GET /api/v1/datasets/{dataset_id} (current): one dataset."""

from aws_lambda_powertools.event_handler import Response

from dataset_core import current_api, seed_api
from dataset_core.http import create_app, lambda_handler_for, ok, tenant_id

app = create_app()


@app.get("/api/v1/dataset/<dataset_id>", summary="Get a dataset (seed API)")
def get_seed(dataset_id: str) -> Response[str]:
    return ok(seed_api.get(tenant_id(app), dataset_id))


@app.get("/api/v1/datasets/<dataset_id>", summary="Get a dataset")
def get_current(dataset_id: str) -> Response[str]:
    return ok(current_api.get(tenant_id(app), dataset_id))


lambda_handler = lambda_handler_for(app)

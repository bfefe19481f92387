"""GET /api/v1/dataset/{dataset_id}: one of the caller's datasets."""

from aws_lambda_powertools.event_handler import Response

from dataset_core import seed_api
from dataset_core.http import create_app, lambda_handler_for, ok, tenant_id

app = create_app()


@app.get("/api/v1/dataset/<dataset_id>")
def get_seed(dataset_id: str) -> Response[str]:
    return ok(seed_api.get(tenant_id(app), dataset_id))


lambda_handler = lambda_handler_for(app)

"""DELETE /api/v1/dataset/{dataset_id}: delete one of the caller's datasets."""

from aws_lambda_powertools.event_handler import Response

from dataset_core import seed_api
from dataset_core.http import create_app, lambda_handler_for, ok, tenant_id

app = create_app()


@app.delete("/api/v1/dataset/<dataset_id>")
def delete_seed(dataset_id: str) -> Response[str]:
    seed_api.delete(tenant_id(app), dataset_id)
    return ok(None, message="Dataset deleted successfully!", success=True)


lambda_handler = lambda_handler_for(app)

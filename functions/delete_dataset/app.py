"""DELETE /api/v1/dataset/{dataset_id} (seed) and DELETE /api/v1/datasets (current): delete datasets."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from dataset_core import current_api, seed_api
from dataset_core.current_models import DeleteDatasetsRequest
from dataset_core.http import create_app, lambda_handler_for, ok, tenant_id

app = create_app()


@app.delete("/api/v1/dataset/<dataset_id>", summary="Delete a dataset (seed API)")
def delete_seed(dataset_id: str) -> Response[str]:
    seed_api.delete(tenant_id(app), dataset_id)
    return ok(None, message="Dataset deleted successfully!", success=True)


@app.delete("/api/v1/datasets", summary="Delete datasets by id, or all of them")
def delete_current(request: Annotated[DeleteDatasetsRequest, Body()]) -> Response[str]:
    return ok(current_api.delete(tenant_id(app), request))


lambda_handler = lambda_handler_for(app)

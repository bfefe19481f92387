"""PUT /api/v1/dataset/{dataset_id} (seed) and PUT /api/v1/datasets/{dataset_id} (current): update."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from dataset_core import current_api, seed_api
from dataset_core.current_models import UpdateDatasetRequest
from dataset_core.http import create_app, lambda_handler_for, ok, tenant_id
from dataset_core.models import SeedUpdateRequest

app = create_app()


@app.put("/api/v1/dataset/<dataset_id>", summary="Update a dataset (seed API)")
def update_seed(dataset_id: str, request: Annotated[SeedUpdateRequest, Body()]) -> Response[str]:
    return ok(seed_api.update(tenant_id(app), dataset_id, request))


@app.put("/api/v1/datasets/<dataset_id>", summary="Update a dataset")
def update_current(dataset_id: str, request: Annotated[UpdateDatasetRequest, Body()]) -> Response[str]:
    return ok(current_api.update(tenant_id(app), dataset_id, request))


lambda_handler = lambda_handler_for(app)

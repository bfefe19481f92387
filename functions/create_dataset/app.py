"""POST /api/v1/dataset (seed) and POST /api/v1/datasets (current RAGFlow): create a dataset."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from dataset_core import current_api, seed_api
from dataset_core.current_models import CreateDatasetRequest
from dataset_core.http import create_app, lambda_handler_for, ok, tenant_id
from dataset_core.models import SeedCreateRequest

app = create_app()


@app.post("/api/v1/dataset", summary="Create a dataset (seed API)")
def create_seed(request: Annotated[SeedCreateRequest, Body()]) -> Response[str]:
    return ok(seed_api.create(tenant_id(app), request))


@app.post("/api/v1/datasets", summary="Create a dataset")
def create_current(request: Annotated[CreateDatasetRequest, Body()]) -> Response[str]:
    return ok(current_api.create(tenant_id(app), request))


lambda_handler = lambda_handler_for(app)

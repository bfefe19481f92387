"""POST /api/v1/dataset: create a dataset."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from dataset_core import seed_api
from dataset_core.http import create_app, lambda_handler_for, ok, tenant_id
from dataset_core.models import SeedCreateRequest

app = create_app()


@app.post("/api/v1/dataset")
def create_seed(request: Annotated[SeedCreateRequest, Body()]) -> Response[str]:
    return ok(seed_api.create(tenant_id(app), request))


lambda_handler = lambda_handler_for(app)

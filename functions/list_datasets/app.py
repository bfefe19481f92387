"""GET /api/v1/dataset: list the caller's datasets."""

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from dataset_core import seed_api
from dataset_core.http import create_app, lambda_handler_for, ok, tenant_id

app = create_app()


@app.get("/api/v1/dataset")
def list_seed(
    offset: Annotated[int, Query(ge=0, description="Datasets to skip")] = 0,
    count: Annotated[int, Query(ge=-1, description="Datasets to return; -1 = all (at most 1000)")] = -1,
    orderby: Annotated[Literal["create_time", "update_time"], Query()] = "create_time",
    desc: Annotated[bool, Query(description="Newest first")] = True,
) -> Response[str]:
    return ok(seed_api.list_datasets(tenant_id(app), offset=offset, count=count, orderby=orderby, desc=desc))


lambda_handler = lambda_handler_for(app)

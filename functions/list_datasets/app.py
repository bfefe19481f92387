"""GET /api/v1/dataset (seed) and GET /api/v1/datasets (current): list the caller's datasets."""

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from dataset_core import current_api, seed_api
from dataset_core.http import create_app, lambda_handler_for, ok, tenant_id

app = create_app()
Order = Literal["create_time", "update_time"]


@app.get("/api/v1/dataset", summary="List datasets (seed API)")
def list_seed(
    offset: Annotated[int, Query(ge=0, description="Datasets to skip")] = 0,
    count: Annotated[int, Query(ge=-1, description="Datasets to return; -1 = all (at most 1000)")] = -1,
    orderby: Annotated[Order, Query()] = "create_time",
    desc: Annotated[bool, Query(description="Newest first")] = True,
) -> Response[str]:
    return ok(seed_api.list_datasets(tenant_id(app), offset=offset, count=count, orderby=orderby, desc=desc))


@app.get("/api/v1/datasets", summary="List datasets")
def list_current(
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 30,
    orderby: Annotated[Order, Query()] = "create_time",
    desc: Annotated[bool, Query()] = True,
    name: Annotated[str | None, Query(max_length=1024, description="Exact name (case-insensitive)")] = None,
    id: Annotated[str | None, Query(max_length=64, description="A dataset id")] = None,
    ids: Annotated[list[str] | None, Query(description="Dataset ids, repeated or comma-separated")] = None,
    include_parsing_status: Annotated[bool, Query()] = False,
    page_token: Annotated[str | None, Query(max_length=1024, description="next_page_token of a page")] = None,
) -> Response[str]:
    query = current_api.ListQuery(
        page=page,
        page_size=page_size,
        orderby=orderby,
        desc=desc,
        name=name,
        id=id,
        ids=[i for value in ids for i in value.split(",") if i] if ids else None,
        include_parsing_status=include_parsing_status,
        page_token=page_token,
    )
    result = current_api.list_datasets(tenant_id(app), query)
    return ok(result.data, total_datasets=result.total, next_page_token=result.next_page_token)


lambda_handler = lambda_handler_for(app)

"""GET /api/v1/dataset (seed) and GET /api/v1/datasets (current): list the caller's datasets."""

from dataset_core import current_api, seed_api
from dataset_core.current_models import ListDatasetsQuery
from dataset_core.http import App, ProxyResponse, lambda_handler_for, ok
from dataset_core.models import SeedListQuery

app = App()


@app.get("/api/v1/dataset", summary="List datasets (seed API)", query=SeedListQuery)
def list_seed(tenant_id: str, query: SeedListQuery) -> ProxyResponse:
    return ok(seed_api.list_datasets(tenant_id, query))


@app.get("/api/v1/datasets", summary="List datasets", query=ListDatasetsQuery)
def list_current(tenant_id: str, query: ListDatasetsQuery) -> ProxyResponse:
    page = current_api.list_datasets(tenant_id, query)
    return ok(page.data, total_datasets=page.total, next_page_token=page.next_page_token)


lambda_handler = lambda_handler_for(app)

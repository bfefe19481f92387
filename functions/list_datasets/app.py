"""GET /api/v1/dataset (legacy) and GET /api/v1/datasets (RESTful): list the caller's datasets."""

from dataset_core import errors
from dataset_core.http import App, Success, lambda_handler_for, ok
from dataset_core.legacy import list_datasets as legacy
from dataset_core.legacy.dataset import LegacyDataset
from dataset_core.legacy.list_datasets import LegacyListQuery
from dataset_core.restful import list_datasets as restful
from dataset_core.restful.list_datasets import ListDatasetsQuery, ListedDataset, OwnerFilter, PageInfo

app = App()


@app.get(
    "/api/v1/dataset",
    summary="List datasets (legacy API), at most 1000 per response",
    query=LegacyListQuery,
    response=list[LegacyDataset],
)
def list_legacy(tenant_id: str, query: LegacyListQuery) -> Success:
    return ok(legacy.list_datasets(tenant_id, query))


@app.get(
    "/api/v1/datasets",
    summary="List datasets: a page, with the total and a cursor to the next page (type=filter: the counts per owner)",
    query=ListDatasetsQuery,
    response=list[ListedDataset] | OwnerFilter,
    extra=PageInfo,
    errors=(errors.DatasetNotFound, errors.ConflictingFilters),
)
def list_restful(tenant_id: str, query: ListDatasetsQuery) -> Success:
    page = restful.list_datasets(tenant_id, query)
    if isinstance(page, OwnerFilter):
        return ok(page)
    return ok(page.data, total_datasets=page.total, next_page_token=page.next_page_token)


lambda_handler = lambda_handler_for(app)

"""POST /api/v1/dataset (legacy) and POST /api/v1/datasets (RESTful): create a dataset."""

from dataset_core import errors
from dataset_core.http import App, Success, lambda_handler_for, ok
from dataset_core.legacy import create_dataset as legacy
from dataset_core.legacy.create_dataset import LegacyCreated, LegacyCreateRequest
from dataset_core.restful import create_dataset as restful
from dataset_core.restful.create_dataset import CreateDatasetRequest
from dataset_core.restful.dataset import RestfulDataset

app = App()


@app.post(
    "/api/v1/dataset",
    summary="Create a dataset (legacy API)",
    body=LegacyCreateRequest,
    response=LegacyCreated,
    errors=(errors.InvalidName, errors.DuplicateName, errors.QuotaExceeded, errors.IdempotencyKeyReused),
    idempotent=True,
)
def create_legacy(tenant_id: str, body: LegacyCreateRequest, idempotency_key: str | None) -> Success:
    return ok(legacy.create(tenant_id, body, idempotency_key))


@app.post(
    "/api/v1/datasets",
    summary="Create a dataset (a taken name becomes `name(1)`, `name(2)` ...)",
    body=CreateDatasetRequest,
    response=RestfulDataset,
    errors=(errors.UnsupportedModel, errors.DuplicateName, errors.QuotaExceeded, errors.IdempotencyKeyReused),
    idempotent=True,
)
def create_restful(tenant_id: str, body: CreateDatasetRequest, idempotency_key: str | None) -> Success:
    return ok(restful.create(tenant_id, body, idempotency_key))


lambda_handler = lambda_handler_for(app)

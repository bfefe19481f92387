"""The one table of error answers (``dataset_core.http.responses.ERRORS``), every row in both conventions.

``ERROR_STATUSES=http`` (the default) answers with the row's HTTP status; ``ERROR_STATUSES=ragflow`` answers an
application error with HTTP 200 and the same code, as RAGFlow v0.27 does (api/utils/api_utils.py:
get_error_data_result, get_error_argument_result), while authentication (its 401 too), an unknown route (its
404 too), a body over the transport limit and an unavailable database keep their statuses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from dataset_core import config, errors
from dataset_core.http import App, Success
from dataset_core.http.responses import ERRORS

KEEP_THEIR_STATUS = {errors.Unauthorized, errors.RouteNotFound, errors.PayloadTooLarge, errors.StorageUnavailable}


@pytest.fixture(params=["http", "ragflow"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("ERROR_STATUSES", request.param)
    config.settings.cache_clear()
    yield request.param
    monkeypatch.delenv("ERROR_STATUSES")
    config.settings.cache_clear()


def answer_to(error_class: type[errors.DomainError]) -> dict[str, Any]:
    """What a route that raises ``error_class`` answers."""
    error = error_class.__new__(error_class)
    errors.DomainError.__init__(error, "refused")
    app = App()

    @app.get("/api/v1/anything", summary="raises")
    def handler(tenant_id: str) -> Success:
        raise error

    event = {"httpMethod": "GET", "resource": "/api/v1/anything", "requestContext": {"authorizer": {"tenant_id": "t"}}}
    return app.resolve(event)


@pytest.mark.parametrize("error_class", list(ERRORS), ids=[cls.__name__ for cls in ERRORS])
def test_every_error_answers_its_code_with_the_status_of_the_deployments_convention(
    error_class: type[errors.DomainError], mode: str
) -> None:
    answer = ERRORS[error_class]
    response = answer_to(error_class)
    expected_status = answer.status if mode == "http" or not answer.application else 200
    assert response["statusCode"] == expected_status
    assert json.loads(response["body"]) == {"code": answer.code, "message": "refused", "data": None}


def test_only_authentication_unknown_routes_the_body_limit_and_the_database_keep_their_status() -> None:
    """The issue's list: auth 401, unknown routes 404, body too large, 5xx; the rest are application errors."""
    assert {cls for cls, answer in ERRORS.items() if not answer.application} == KEEP_THEIR_STATUS
    assert all(ERRORS[cls].status in {401, 404, 413, 503} for cls in KEEP_THEIR_STATUS)

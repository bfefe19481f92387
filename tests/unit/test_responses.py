"""The envelope and the one table from domain errors to HTTP status and RAGFlow code (``http.responses``)."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from dataset_core import config, errors
from dataset_core.http import App, Success, responses
from dataset_core.http.responses import ERRORS as TABLE


def envelope(code: int, message: str, data: Any = None, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "data": data, **extra}


ERRORS: list[Any] = [
    pytest.param(errors.BadRequest("bad"), 400, envelope(101, "bad"), id="BadRequest"),
    pytest.param(errors.InvalidName("Empty dataset name"), 400, envelope(102, "Empty dataset name"), id="InvalidName"),
    pytest.param(errors.NothingToUpdate("nothing"), 400, envelope(102, "nothing"), id="NothingToUpdate"),
    pytest.param(
        errors.UnsupportedModel("Provider p not found for model m@p."), 400,
        envelope(102, "Provider p not found for model m@p."), id="UnsupportedModel",
    ),
    pytest.param(
        errors.ConflictingFilters("Should not provide both 'id':a and 'ids'['b']"), 400,
        envelope(102, "Should not provide both 'id':a and 'ids'['b']"), id="ConflictingFilters",
    ),
    pytest.param(errors.Unauthorized(), 401, envelope(401, errors.AUTH_MESSAGE), id="Unauthorized"),
    pytest.param(errors.KeyIsReadOnly(), 403, envelope(403, errors.READ_ONLY_MESSAGE), id="KeyIsReadOnly"),
    pytest.param(errors.DatasetNotFound("Can't find this dataset!"), 404, envelope(102, "Can't find this dataset!"), id="DatasetNotFound"),
    pytest.param(
        errors.DatasetNotOwned("not yours", extra={"success": False}), 404, envelope(103, "not yours", success=False),
        id="DatasetNotOwned-with-extra-keys",
    ),
    pytest.param(errors.RouteNotFound("/api/v1/x"), 404, envelope(404, "Not Found: /api/v1/x"), id="RouteNotFound"),
    pytest.param(errors.DuplicateName("kb"), 409, envelope(102, "Dataset name 'kb' already exists"), id="DuplicateName"),
    pytest.param(
        errors.QuotaExceeded(2), 409, envelope(102, "Dataset quota reached: a tenant may hold at most 2 datasets"),
        id="QuotaExceeded",
    ),
    pytest.param(
        errors.IdempotencyKeyReused("Idempotency-Key 'k' was used with another request"), 422,
        envelope(101, "Idempotency-Key 'k' was used with another request"), id="IdempotencyKeyReused",
    ),
    pytest.param(
        errors.PayloadTooLarge(1048576), 413, envelope(101, "Request body too large: the limit is 1048576 bytes"),
        id="PayloadTooLarge",
    ),
    pytest.param(
        errors.UnsupportedMediaType("text/plain"), 415,
        envelope(101, "Unsupported content type: Expected application/json, got text/plain"), id="UnsupportedMediaType",
    ),
    pytest.param(
        errors.StorageUnavailable(), 503,
        envelope(105, "The database is temporarily unavailable, nothing was changed; please retry later"),
        id="StorageUnavailable",
    ),
    pytest.param(
        errors.ItemTooLarge("description", 300000, 200000), 413,
        envelope(
            101,
            "Dataset too large to store: its fields take more than the 200000 bytes a dataset may hold; "
            "the largest is 'description' (300000 bytes, UTF-8)",
        ),
        id="ItemTooLarge",
    ),
    pytest.param(
        errors.ResponseTooLarge("ask for fewer ids"), 400, envelope(101, "ask for fewer ids"), id="ResponseTooLarge",
    ),
    pytest.param(
        errors.PartiallyDeleted(1, 3, ["a" * 32]), 503,
        envelope(
            105,
            "Only part of the delete could be done: 1 of 3 datasets were deleted; please retry to delete the rest",
            {"success_count": 1, "ids_left": ["a" * 32]},
        ),
        id="PartiallyDeleted-answers-as-its-base",
    ),
    pytest.param(
        errors.PartiallyDeleted(0, None, [f"{n:032x}" for n in range(150)]), 503,
        envelope(
            105,
            "Only part of the delete could be done: 0 datasets were deleted; please retry to delete the rest",
            {"success_count": 0, "ids_left": [f"{n:032x}" for n in range(100)]},
        ),
        id="PartiallyDeleted-of-an-unknown-number-names-the-first-hundred-left",
    ),
]  # fmt: skip
"""Each domain error with its HTTP status and envelope; RAGFlow's codes: 101 argument, 102 data, 103 operating,
105 connection, 401 unauthorized, 403 forbidden, 404 not found."""


@pytest.mark.parametrize(("error", "status", "body"), ERRORS)
def test_each_domain_error_answers_its_status_and_ragflow_code_in_the_envelope(
    error: errors.DomainError, status: int, body: dict[str, Any]
) -> None:
    response = responses.error_response(error)
    assert (response["statusCode"], response["headers"]) == (status, {"Content-Type": "application/json"})
    assert json.loads(response["body"]) == body
    assert response["isBase64Encoded"] is False


def test_every_domain_error_the_layer_defines_has_a_status() -> None:
    """A class missing from the table (and from its bases') would escape the envelope."""
    defined = [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.DomainError) and cls is not errors.DomainError
    ]
    assert set(defined) == {type(param.values[0]) for param in ERRORS}
    for cls in defined:
        status, code = responses.status_and_code(cls)
        assert 400 <= status < 600
        assert code in {101, 102, 103, 105, 401, 403, 404}


PROBLEMS = {
    "none": ([], "Invalid request"),
    "one": ([{"loc": ("name",), "msg": "Field required", "input": {}}], "Field: <name> - Message: <Field required> - Value: <{}>"),
    "nested-location": (
        [{"loc": ("parser_config", "pages", 0, 1), "msg": "Input should be a valid integer", "input": "2"}],
        "Field: <parser_config.pages.0.1> - Message: <Input should be a valid integer> - Value: <2>",
    ),
    "model-level-has-no-location": ([{"loc": (), "msg": "m", "input": {"a": 1}}], "Field: <> - Message: <m> - Value: <{'a': 1}>"),
    "no-location-no-message": ([{}], "Field: <> - Message: <Invalid value> - Value: <None>"),
    "python-str-of-the-value": (
        [{"loc": ("x",), "msg": "m", "input": v} for v in (True, None, 3.0, ["x"])],
        "\n".join(f"Field: <x> - Message: <m> - Value: <{v}>" for v in ("True", "None", "3.0", "['x']")),
    ),
    "value-of-128-is-whole": ([{"loc": ("name",), "msg": "m", "input": "n" * 128}], f"Field: <name> - Message: <m> - Value: <{'n' * 128}>"),
    "longer-value-cut-to-125-and-dots": (
        [{"loc": ("name",), "msg": "m", "input": "n" * 129}], f"Field: <name> - Message: <m> - Value: <{'n' * 125}...>"
    ),
    "value-not-stripped": ([{"loc": ("name",), "msg": "m", "input": " "}], "Field: <name> - Message: <m> - Value: < >"),
    "one-line-each": (
        [{"loc": ("name",), "msg": "a", "input": 1}, {"loc": ("permission",), "msg": "b", "input": "x"}],
        "Field: <name> - Message: <a> - Value: <1>\nField: <permission> - Message: <b> - Value: <x>",
    ),
    "long-location-cut-at-128": (
        [{"loc": ("l" * 500,), "msg": "m", "input": 1}], f"Field: <{'l' * 128}> - Message: <m> - Value: <1>"
    ),
    "long-message-cut-at-256": (
        [{"loc": ("name",), "msg": "m" * 500, "input": 1}], f"Field: <name> - Message: <{'m' * 256}> - Value: <1>"
    ),
    "ten-problems-named-the-rest-counted": (
        [{"loc": (f"f{i}",), "msg": "m", "input": i} for i in range(12)],
        "\n".join(f"Field: <f{i}> - Message: <m> - Value: <{i}>" for i in range(10)) + "\n... and 2 more problems",
    ),
}  # fmt: skip
"""RAGFlow v0.27.0's line (api/utils/validation_utils.py: format_validation_error_message): the value as Python's
``str()``, cut to 125 characters and ``...`` past 128. Beyond RAGFlow: at most ten lines, bounded locations and
messages, so that an error body stays small."""


@pytest.mark.parametrize(("problems", "expected"), list(PROBLEMS.values()), ids=list(PROBLEMS))
def test_validation_problems_are_worded_as_ragflow_words_them(problems: list[dict[str, Any]], expected: str) -> None:
    assert responses.validation_message(problems) == expected


class _Shown(BaseModel):
    name: str


@pytest.mark.parametrize(
    ("data", "extra", "expected"),
    [
        (None, {}, '{"code":0,"data":null,"message":"ok"}'),
        (_Shown(name="r\u00e9seau \U0001f600"), {}, '{"code":0,"data":{"name":"r\u00e9seau \U0001f600"},"message":"ok"}'),
        ("\ud800", {}, '{"code":0,"data":"\\ud800","message":"ok"}'),
        ([_Shown(name="a")], {"total_datasets": 1}, '{"code":0,"data":[{"name":"a"}],"message":"ok","total_datasets":1}'),
    ],
    ids=["null", "model-in-utf8", "what-utf8-cannot-carry-escaped", "list-of-models-with-extra-keys"],
)  # fmt: skip
def test_success_is_compact_sorted_utf8_json_with_models_dumped(
    data: Any, extra: dict[str, Any], expected: str
) -> None:
    response = responses.success(data, "ok", extra)
    assert (response["statusCode"], response["body"]) == (200, expected)


@pytest.mark.parametrize(
    "message",
    ["x" * 100_000, "\u00e9" * 100_000, "\U0001f600" * 100_000, "\n" * 100_000],
    ids=["ascii", "two-byte", "four-byte", "escaped-in-json"],
)
def test_an_error_echoing_a_huge_input_is_cut_to_fit_the_error_body_limit(message: str) -> None:
    """Messages echo input (a name, an id): the body stays within ``MAX_ERROR_BODY_BYTES`` and says it was cut."""
    response = responses.error_response(errors.BadRequest(message))
    assert len(response["body"].encode()) <= responses.MAX_ERROR_BODY_BYTES
    shown = json.loads(response["body"])["message"]
    assert shown.endswith(" [...]")
    assert message.startswith(shown.removesuffix(" [...]"))


def test_an_error_message_within_the_limit_is_whole() -> None:
    message = "m" * (responses.MAX_ERROR_BODY_BYTES // 2 - 2)  # its JSON string: exactly half the limit
    assert json.loads(responses.error_response(errors.BadRequest(message))["body"])["message"] == message


def test_a_500_names_only_the_request_id() -> None:
    assert responses.internal_error_body("r-1") == {
        "code": 100,
        "message": "Internal server error (request id r-1)",
        "data": None,
    }


def test_a_domain_error_nobody_mapped_is_a_500_in_the_envelope_not_an_escape() -> None:
    class Unmapped(errors.DomainError):
        pass

    assert responses.status_and_code(Unmapped) == (500, 100)
    assert responses.status_and_code(errors.DomainError) == (500, 100)


# ---- ERROR_STATUSES: every row of the table in both conventions -------------------------------------------------
# ``http`` (the default) answers with the row's status; ``ragflow`` answers an application error with HTTP 200
# and the same code, as RAGFlow v0.27 does (api/utils/api_utils.py: get_error_data_result,
# get_error_argument_result).

KEEP_THEIR_STATUS = {
    errors.Unauthorized, errors.KeyIsReadOnly, errors.RouteNotFound, errors.PayloadTooLarge, errors.StorageUnavailable,
}  # fmt: skip


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


@pytest.mark.parametrize("error_class", list(TABLE), ids=[cls.__name__ for cls in TABLE])
def test_every_error_answers_its_code_with_the_status_of_the_deployments_convention(
    error_class: type[errors.DomainError], mode: str
) -> None:
    answer = TABLE[error_class]
    response = answer_to(error_class)
    expected_status = answer.status if mode == "http" or not answer.application else 200
    assert response["statusCode"] == expected_status
    assert json.loads(response["body"]) == {"code": answer.code, "message": "refused", "data": None}


def test_only_authentication_unknown_routes_the_body_limit_and_the_database_keep_their_status() -> None:
    """Authentication (401, and 403 for a read-only key's write, which API Gateway itself denies first), unknown
    routes (404), a body over the transport limit (413) and 5xx keep their status; the rest are application
    errors."""
    assert {cls for cls, answer in TABLE.items() if not answer.application} == KEEP_THEIR_STATUS
    assert all(TABLE[cls].status in {401, 403, 404, 413, 503} for cls in KEEP_THEIR_STATUS)

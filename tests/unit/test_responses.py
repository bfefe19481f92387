"""The envelope and the one table from domain errors to HTTP status and RAGFlow code (``http.responses``)."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from pydantic import BaseModel

from dataset_core import errors
from dataset_core.http import responses


def envelope(code: int, message: str, data: Any = None, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "data": data, **extra}


ERRORS: list[Any] = [
    pytest.param(errors.BadRequest("bad"), 400, envelope(101, "bad"), id="BadRequest"),
    pytest.param(errors.InvalidName("Empty dataset name"), 400, envelope(102, "Empty dataset name"), id="InvalidName"),
    pytest.param(errors.NothingToUpdate("nothing"), 400, envelope(102, "nothing"), id="NothingToUpdate"),
    pytest.param(errors.UnsupportedModel("Unsupported model: m@p"), 400, envelope(102, "Unsupported model: m@p"), id="UnsupportedModel"),
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
    "one": ([{"loc": ("name",), "msg": "Field required", "input": None}], "Field: name - Message: Field required - Value: None"),
    "nested-location": (
        [{"loc": ("parser_config", "pages", 0), "msg": "List should have at most 2 items", "input": [1, 2, 3]}],
        "Field: parser_config.pages.0 - Message: List should have at most 2 items - Value: [1, 2, 3]",
    ),
    "no-location-no-message": ([{}], "Field: body - Message: Invalid value - Value: None"),
    "long-value-cut-at-128": (
        [{"loc": ("name",), "msg": "m", "input": "n" * 500}], f"Field: name - Message: m - Value: {'n' * 128}"
    ),
    "one-line-each": (
        [{"loc": ("name",), "msg": "a", "input": 1}, {"loc": ("permission",), "msg": "b", "input": "x"}],
        "Field: name - Message: a - Value: 1\nField: permission - Message: b - Value: x",
    ),
    "long-location-cut-at-128": (
        [{"loc": ("l" * 500,), "msg": "m", "input": 1}], f"Field: {'l' * 128} - Message: m - Value: 1"
    ),
    "long-message-cut-at-256": (
        [{"loc": ("name",), "msg": "m" * 500, "input": 1}], f"Field: name - Message: {'m' * 256} - Value: 1"
    ),
    "ten-problems-named-the-rest-counted": (
        [{"loc": (f"f{i}",), "msg": "m", "input": i} for i in range(12)],
        "\n".join(f"Field: f{i} - Message: m - Value: {i}" for i in range(10)) + "\n... and 2 more problems",
    ),
}  # fmt: skip


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

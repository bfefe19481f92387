"""The envelope, and the one table that turns each domain error into its HTTP status and RAGFlow code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from .. import errors
from ..payload import dumps

# RAGFlow's RetCode numbers (api/settings.py, common/constants.py).
SUCCESS = 0
EXCEPTION_ERROR = 100
ARGUMENT_ERROR = 101
DATA_ERROR = 102
OPERATING_ERROR = 103
CONNECTION_ERROR = 105
UNAUTHORIZED = 401
FORBIDDEN = 403
NOT_FOUND = 404

ERRORS: dict[type[errors.DomainError], tuple[int, int]] = {
    errors.BadRequest: (400, ARGUMENT_ERROR),
    errors.InvalidName: (400, DATA_ERROR),
    errors.NothingToUpdate: (400, DATA_ERROR),
    errors.UnsupportedModel: (400, DATA_ERROR),
    errors.Unauthorized: (401, UNAUTHORIZED),
    errors.KeyIsReadOnly: (403, FORBIDDEN),
    errors.DatasetNotFound: (404, DATA_ERROR),
    errors.DatasetNotOwned: (404, OPERATING_ERROR),
    errors.RouteNotFound: (404, NOT_FOUND),
    errors.DuplicateName: (409, DATA_ERROR),
    errors.QuotaExceeded: (409, DATA_ERROR),
    errors.IdempotencyKeyReused: (422, ARGUMENT_ERROR),
    errors.PayloadTooLarge: (413, ARGUMENT_ERROR),
    errors.ItemTooLarge: (413, ARGUMENT_ERROR),
    errors.ResponseTooLarge: (400, ARGUMENT_ERROR),
    errors.UnsupportedMediaType: (415, ARGUMENT_ERROR),
    errors.StorageUnavailable: (503, CONNECTION_ERROR),
}
"""Domain error -> (HTTP status, RAGFlow code). A subclass not listed answers as its nearest listed base."""

ProxyResponse = dict[str, Any]
"""What a Lambda proxy integration returns to API Gateway: statusCode, headers, body."""


def status_and_code(error_class: type[errors.DomainError]) -> tuple[int, int]:
    """The nearest listed class's answer; a class nobody listed is a bug of ours: 500, still in the envelope."""
    return next((ERRORS[cls] for cls in error_class.__mro__ if cls in ERRORS), (500, EXCEPTION_ERROR))


def json_response(status: int, body: Mapping[str, Any]) -> ProxyResponse:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": dumps(body),
        "isBase64Encoded": False,
    }


def success(data: Any, message: str, extra: Mapping[str, Any]) -> ProxyResponse:
    return json_response(200, {"code": SUCCESS, "message": message, "data": plain(data), **extra})


def plain(data: Any) -> Any:
    """JSON-ready ``data``: models dumped, lists of models too."""
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, list):
        return [plain(item) for item in data]
    return data


def error_body(error: errors.DomainError) -> dict[str, Any]:
    _, code = status_and_code(type(error))
    return {"code": code, "message": _capped(error.message), "data": error.data, **error.extra}


def _capped(message: str) -> str:
    """``message``, cut so that an error body stays within ``MAX_ERROR_BODY_BYTES`` (messages echo input)."""
    budget = MAX_ERROR_BODY_BYTES // 2  # room for the rest of the body and for escapes
    if len(dumps(message).encode()) <= budget:
        return message
    while len(dumps(message).encode()) > budget:
        message = message[: len(message) * 3 // 4]
    return message + " [...]"


def error_response(error: errors.DomainError) -> ProxyResponse:
    status, _ = status_and_code(type(error))
    return json_response(status, error_body(error))


def internal_error_body(request_id: str) -> dict[str, Any]:
    """The 500 body: never a stack trace or internals, only what lets an operator find the log line."""
    return {"code": EXCEPTION_ERROR, "message": f"Internal server error (request id {request_id})", "data": None}


MAX_PROBLEMS = 10
"""Validation problems named in one message; a body with thousands of bad fields gets a count of the rest."""
MAX_ERROR_BODY_BYTES = 16 * 1024
"""No error body is larger, whatever the request held: an error must not amplify what the client sent."""


def validation_message(problems: Any) -> str:
    """RAGFlow's wording for pydantic errors: ``Field: <loc> - Message: <msg> - Value: <input>`` lines."""
    lines = []
    for problem in problems[:MAX_PROBLEMS]:
        loc = ".".join(str(part) for part in problem.get("loc", ()))[:128] or "body"
        msg = str(problem.get("msg", "Invalid value"))[:256]
        lines.append(f"Field: {loc} - Message: {msg} - Value: {str(problem.get('input'))[:128]}")
    if len(problems) > MAX_PROBLEMS:
        lines.append(f"... and {len(problems) - MAX_PROBLEMS} more problems")
    return "\n".join(lines) or "Invalid request"

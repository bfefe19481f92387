"""The envelope, and the one table that turns each domain error into its HTTP status and RAGFlow code."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from .. import errors

# RAGFlow's RetCode numbers (api/settings.py, common/constants.py).
SUCCESS = 0
EXCEPTION_ERROR = 100
ARGUMENT_ERROR = 101
DATA_ERROR = 102
OPERATING_ERROR = 103
CONNECTION_ERROR = 105
UNAUTHORIZED = 401
NOT_FOUND = 404

ERRORS: dict[type[errors.DomainError], tuple[int, int]] = {
    errors.BadRequest: (400, ARGUMENT_ERROR),
    errors.InvalidName: (400, DATA_ERROR),
    errors.NothingToUpdate: (400, DATA_ERROR),
    errors.UnsupportedModel: (400, DATA_ERROR),
    errors.Unauthorized: (401, UNAUTHORIZED),
    errors.DatasetNotFound: (404, DATA_ERROR),
    errors.DatasetNotOwned: (404, OPERATING_ERROR),
    errors.RouteNotFound: (404, NOT_FOUND),
    errors.DuplicateName: (409, DATA_ERROR),
    errors.QuotaExceeded: (409, DATA_ERROR),
    errors.PayloadTooLarge: (413, ARGUMENT_ERROR),
    errors.UnsupportedMediaType: (415, ARGUMENT_ERROR),
    errors.StorageUnavailable: (503, CONNECTION_ERROR),
}
"""Domain error -> (HTTP status, RAGFlow code). A subclass not listed answers as its nearest listed base."""

ProxyResponse = dict[str, Any]
"""What a Lambda proxy integration returns to API Gateway: statusCode, headers, body."""


def status_and_code(error_class: type[errors.DomainError]) -> tuple[int, int]:
    return next(ERRORS[cls] for cls in error_class.__mro__ if cls in ERRORS)


def dumps(body: Any) -> str:
    """Compact ASCII JSON with sorted keys, as RAGFlow's Flask server wrote it."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


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
    return {"code": code, "message": error.message, "data": error.data, **error.extra}


def error_response(error: errors.DomainError) -> ProxyResponse:
    status, _ = status_and_code(type(error))
    return json_response(status, error_body(error))


def internal_error_body(request_id: str) -> dict[str, Any]:
    """The 500 body: never a stack trace or internals, only what lets an operator find the log line."""
    return {"code": EXCEPTION_ERROR, "message": f"Internal server error (request id {request_id})", "data": None}


def validation_message(problems: Any) -> str:
    """RAGFlow's wording for pydantic errors: ``Field: <loc> - Message: <msg> - Value: <input>`` lines."""
    lines = []
    for problem in problems:
        loc = ".".join(str(part) for part in problem.get("loc", ())) or "body"
        msg = str(problem.get("msg", "Invalid value"))
        lines.append(f"Field: {loc} - Message: {msg} - Value: {str(problem.get('input'))[:128]}")
    return "\n".join(lines) or "Invalid request"

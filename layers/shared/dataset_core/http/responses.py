"""The envelope, and the one table that turns each domain error into its HTTP status and RAGFlow code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from pydantic import BaseModel

from .. import errors
from ..config import ErrorStatuses, settings
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


class Answer(NamedTuple):
    """How a domain error is answered."""

    status: int
    """The HTTP status (``ERROR_STATUSES=http``, the default)."""
    code: int
    """RAGFlow's code, in either convention."""
    application: bool = True
    """An application error: HTTP 200 under ``ERROR_STATUSES=ragflow``, as RAGFlow answers every error of its
    own (api/utils/api_utils.py: get_error_data_result, get_error_argument_result). The others keep their status
    in both conventions: authentication and a read-only key's refusal (RAGFlow's 401 too; API Gateway's 403 for
    the read-only key), an unknown route (its 404 too), a body over the transport limit (API Gateway's 413 for
    its own limit), and an unavailable database (5xx, what retrying clients and alarms watch)."""


ERRORS: dict[type[errors.DomainError], Answer] = {
    errors.BadRequest: Answer(400, ARGUMENT_ERROR),
    errors.InvalidName: Answer(400, DATA_ERROR),
    errors.NothingToUpdate: Answer(400, DATA_ERROR),
    errors.UnsupportedModel: Answer(400, DATA_ERROR),
    errors.ConflictingFilters: Answer(400, DATA_ERROR),
    errors.Unauthorized: Answer(401, UNAUTHORIZED, application=False),
    errors.KeyIsReadOnly: Answer(403, FORBIDDEN, application=False),
    errors.DatasetNotFound: Answer(404, DATA_ERROR),
    errors.DatasetNotOwned: Answer(404, OPERATING_ERROR),
    errors.RouteNotFound: Answer(404, NOT_FOUND, application=False),
    errors.DuplicateName: Answer(409, DATA_ERROR),
    errors.QuotaExceeded: Answer(409, DATA_ERROR),
    errors.IdempotencyKeyReused: Answer(422, ARGUMENT_ERROR),
    errors.PayloadTooLarge: Answer(413, ARGUMENT_ERROR, application=False),
    errors.ItemTooLarge: Answer(413, ARGUMENT_ERROR),
    errors.ResponseTooLarge: Answer(400, ARGUMENT_ERROR),
    errors.UnsupportedMediaType: Answer(415, ARGUMENT_ERROR),
    errors.StorageUnavailable: Answer(503, CONNECTION_ERROR, application=False),
}
"""Domain error -> how it is answered. A subclass not listed answers as its nearest listed base."""

ProxyResponse = dict[str, Any]
"""What a Lambda proxy integration returns to API Gateway: statusCode, headers, body."""


def status_and_code(error_class: type[errors.DomainError], mode: ErrorStatuses | None = None) -> tuple[int, int]:
    """The HTTP status and code of an error, in the deployment's convention (``mode`` overrides it), from the
    nearest listed class's answer; a class nobody listed is a bug of ours: 500, still in the envelope."""
    answer = next((ERRORS[cls] for cls in error_class.__mro__ if cls in ERRORS), Answer(500, EXCEPTION_ERROR, False))
    if answer.application and (mode or settings().error_statuses) == "ragflow":
        return 200, answer.code
    return answer.status, answer.code


def json_response(status: int, body: Mapping[str, Any]) -> ProxyResponse:
    """Every answer of every route function, success or error, is made here: its headers are set here only."""
    headers = {"Content-Type": "application/json"}
    origin = settings().allowed_origin
    if origin is not None:  # API Gateway's own answers (preflight, 401, 429...) carry the same (template.yaml)
        headers["Access-Control-Allow-Origin"] = origin
    return {"statusCode": status, "headers": headers, "body": dumps(body), "isBase64Encoded": False}


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
    """RAGFlow's wording for pydantic errors: one ``errors.validation_line`` each, a model-level error with an
    empty location. Beyond RAGFlow: at most ``MAX_PROBLEMS`` lines and a count of the rest, bounded locations
    and messages."""
    lines = []
    for problem in problems[:MAX_PROBLEMS]:
        loc = ".".join(str(part) for part in problem.get("loc", ()))[:128]
        msg = str(problem.get("msg", "Invalid value"))[:256]
        lines.append(errors.validation_line(loc, msg, problem.get("input")))
    if len(problems) > MAX_PROBLEMS:
        lines.append(f"... and {len(problems) - MAX_PROBLEMS} more problems")
    return "\n".join(lines) or "Invalid request"

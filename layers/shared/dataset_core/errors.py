"""Domain errors and the one place that turns them into the error envelope.

The layer raises these; ``dataset_core.http`` is the only code that catches them and writes a response.
Each error knows its HTTP status, its RAGFlow ``code`` and its message, so a route never builds an error
body by hand.
"""

from __future__ import annotations

from typing import Any

# RAGFlow's RetCode numbers (api/settings.py, common/constants.py).
SUCCESS = 0
EXCEPTION_ERROR = 100
ARGUMENT_ERROR = 101
DATA_ERROR = 102
OPERATING_ERROR = 103
CONNECTION_ERROR = 105
UNAUTHORIZED = 401
NOT_FOUND = 404

AUTH_MESSAGE = "Authentication error: API key is invalid or missing."


class ApiError(Exception):
    """An error the client caused or must know about, with its place in the README's table of errors."""

    status: int = 400
    code: int = ARGUMENT_ERROR

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": None, **self.extra}


class BadRequest(ApiError):
    """Malformed input: bad JSON, wrong types, unknown fields, bad query or path values."""


class InvalidName(ApiError):
    """A name rule of the seed API is broken (code 102, as RAGFlow's server answered)."""

    code = DATA_ERROR


class NothingToUpdate(ApiError):
    code = DATA_ERROR


class UnsupportedModel(ApiError):
    """An embedding model that is not among the configured ones (RAGFlow checks the tenant's models)."""

    code = DATA_ERROR


class DuplicateName(ApiError):
    status = 409
    code = DATA_ERROR

    def __init__(self, name: str) -> None:
        super().__init__(f"Dataset name '{name}' already exists")


class QuotaExceeded(ApiError):
    status = 409
    code = DATA_ERROR

    def __init__(self, quota: int) -> None:
        super().__init__(f"Dataset quota reached: a tenant may hold at most {quota} datasets")


class DatasetNotFound(ApiError):
    """Absent, or owned by another tenant: the two are indistinguishable by design."""

    status = 404

    def __init__(self, message: str, code: int, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message, extra=extra)
        self.code = code


class PayloadTooLarge(ApiError):
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body too large: the limit is {limit} bytes")


class UnsupportedMediaType(ApiError):
    status = 415

    def __init__(self, content_type: str) -> None:
        super().__init__(f"Unsupported content type: Expected application/json, got {content_type}")


class RouteNotFound(ApiError):
    status = 404
    code = NOT_FOUND

    def __init__(self, path: str) -> None:
        super().__init__(f"Not Found: {path}")


class Unauthorized(ApiError):
    status = 401
    code = UNAUTHORIZED

    def __init__(self) -> None:
        super().__init__(AUTH_MESSAGE)


class StorageUnavailable(ApiError):
    """DynamoDB kept failing after the SDK's own retries; nothing was written."""

    status = 503
    code = CONNECTION_ERROR

    def __init__(self) -> None:
        super().__init__("The database is temporarily unavailable, nothing was changed; please retry later")


class PartiallyDeleted(StorageUnavailable):
    """A bulk delete spans several transactions; DynamoDB failed after some of them had committed."""

    def __init__(self, deleted: int, requested: int) -> None:
        ApiError.__init__(
            self,
            f"The database became unavailable during the delete: {deleted} of {requested} datasets were "
            "deleted; please retry to delete the rest",
            extra={"data": {"success_count": deleted}},
        )


def internal_error_body(request_id: str) -> dict[str, Any]:
    """The 500 body: never a stack trace or internals, only what lets an operator find the log line."""
    return {"code": EXCEPTION_ERROR, "message": f"Internal server error (request id {request_id})", "data": None}

"""Domain errors: what went wrong, in the words the client reads. They know nothing of HTTP.

The layer raises these; ``dataset_core.http.responses`` is the one place that catches them and maps each class
to its HTTP status and RAGFlow ``code``.
"""

from __future__ import annotations

from typing import Any

AUTH_MESSAGE = "Authentication error: API key is invalid or missing."
READ_ONLY_MESSAGE = "Forbidden: this API key is read-only; it may only call GET routes."


class DomainError(Exception):
    """An error the client caused or must know about. ``data`` is the envelope's ``data``; ``extra`` adds
    envelope keys a route's contract names (the legacy delete's ``success``)."""

    def __init__(self, message: str, *, data: Any = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data
        self.extra = extra or {}


class BadRequest(DomainError):
    """Malformed input: bad JSON, wrong types, unknown fields, bad query or path values."""

    @classmethod
    def field(cls, loc: str, msg: str, value: Any) -> BadRequest:
        """One field's problem, as a validation line."""
        return cls(validation_line(loc, msg, value))


def validation_line(loc: str, msg: str, value: Any) -> str:
    """RAGFlow's line for a field's problem (api/utils/validation_utils.py: format_validation_error_message):
    the value as Python's ``str()``, cut to 125 characters and ``...`` when longer than 128."""
    text = str(value)
    shown = text[:125] + "..." if len(text) > 128 else text
    return f"Field: <{loc}> - Message: <{msg}> - Value: <{shown}>"


class InvalidName(DomainError):
    """A name rule of the legacy API is broken."""


class NothingToUpdate(DomainError):
    pass


class UnsupportedModel(DomainError):
    """An embedding model that is not among the configured ones (RAGFlow checks the tenant's models)."""


class ConflictingFilters(DomainError):
    """Query parameters that exclude each other (RAGFlow refuses them as a data error)."""


class DuplicateName(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__(f"Dataset name '{name}' already exists")


class QuotaExceeded(DomainError):
    def __init__(self, quota: int) -> None:
        super().__init__(f"Dataset quota reached: a tenant may hold at most {quota} datasets")


class IdempotencyKeyReused(DomainError):
    """An ``Idempotency-Key`` sent again with a different request: neither is done twice, nor mixed up."""


class DatasetNotFound(DomainError):
    """Absent, or owned by another tenant: the two are indistinguishable by design."""


class DatasetNotOwned(DatasetNotFound):
    """The same, where RAGFlow refuses the operation as for a non-owner (its OPERATING_ERROR)."""


class PayloadTooLarge(DomainError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body too large: the limit is {limit} bytes")


class ItemTooLarge(DomainError):
    """What would be stored exceeds what DynamoDB holds in one item (its bytes, not its characters)."""

    def __init__(self, field: str, field_bytes: int, limit: int) -> None:
        super().__init__(
            f"Dataset too large to store: its fields take more than the {limit} bytes a dataset may hold; "
            f"the largest is '{field}' ({field_bytes} bytes, UTF-8)"
        )


class ResponseTooLarge(DomainError):
    """The answer would exceed what Lambda may return; the message says how to ask for less."""


class UnsupportedMediaType(DomainError):
    def __init__(self, content_type: str) -> None:
        super().__init__(f"Unsupported content type: Expected application/json, got {content_type}")


class RouteNotFound(DomainError):
    def __init__(self, path: str) -> None:
        super().__init__(f"Not Found: {path}")


class Unauthorized(DomainError):
    def __init__(self) -> None:
        super().__init__(AUTH_MESSAGE)


class KeyIsReadOnly(DomainError):
    def __init__(self) -> None:
        super().__init__(READ_ONLY_MESSAGE)


class StorageUnavailable(DomainError):
    """DynamoDB kept failing after the SDK's own retries; nothing was written."""

    def __init__(self, message: str = "", *, data: Any = None) -> None:
        super().__init__(
            message or "The database is temporarily unavailable, nothing was changed; please retry later", data=data
        )


class PartiallyDeleted(StorageUnavailable):
    """A delete of many datasets spans several transactions, and not all of them could be done: some datasets
    were deleted, ``ids_left`` were not (the first hundred of them, for a bounded answer)."""

    def __init__(self, deleted: int, requested: int | None, ids_left: list[str]) -> None:
        of = f" of {requested}" if requested is not None else ""
        super().__init__(
            f"Only part of the delete could be done: {deleted}{of} datasets were deleted; please retry to delete "
            "the rest",
            data={"success_count": deleted, "ids_left": ids_left[:100]},
        )

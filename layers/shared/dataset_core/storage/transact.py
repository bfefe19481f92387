"""What DynamoDB's failures mean to us, and transactions retried on conflict.

botocore's errors become our domain errors here, and only here: a failed condition of a transaction becomes
the error its caller said it means (a taken name, a full quota), throttling and outages become
``StorageUnavailable`` (nothing was written), and anything else is left to surface as a bug.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from .. import contention
from ..errors import DomainError, StorageUnavailable
from .client import client, table
from .codec import item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

_TRANSIENT_REASONS = {"None", "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", None}
"""Why DynamoDB may cancel a transaction that a retry can complete (``CancellationReasons`` codes)."""
_TRANSIENT_CODES = {
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "InternalServerError",
    "ServiceUnavailable",
}


class ConditionFailedError(Exception):
    """A write's condition no longer held: someone else changed the item first."""


class Translate:
    """A block whose botocore errors become ours; ``reasons`` maps a cancelled transaction's item index to
    what its failed condition means (a domain error, or a signal such as a request seen before)."""

    def __init__(self, reasons: Mapping[int, Exception] | None = None) -> None:
        self.reasons = reasons or {}

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is None or isinstance(exc, DomainError):
            return
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            if error.get("Code") == "TransactionCanceledException":
                reasons = exc.response.get("CancellationReasons", [])
                for index, reason in enumerate(reasons):
                    if reason.get("Code") == "ConditionalCheckFailed" and index in self.reasons:
                        raise self.reasons[index] from None
                codes = {r.get("Code") for r in reasons}
                if "ConditionalCheckFailed" in codes:
                    raise ConditionFailedError from None
                if codes <= _TRANSIENT_REASONS:  # conflicts or throttling inside the transaction
                    raise StorageUnavailable from exc
                return  # a ValidationError: a bug of ours, never "retry later"
            if error.get("Code") == "ConditionalCheckFailedException":
                raise ConditionFailedError from None
            if _is_transient(exc):
                raise StorageUnavailable from exc
            return
        if isinstance(exc, BotoCoreError):  # connection errors, timeouts
            raise StorageUnavailable from exc


def put(
    attrs: Mapping[str, Any],
    condition: str,
    values: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
) -> TransactWriteItemTypeDef:
    """A transaction's conditional Put of ``attrs`` (plain values)."""
    action = _action(Item=item(attrs), condition=condition, values=values)
    if names:
        action["ExpressionAttributeNames"] = dict(names)
    return cast("TransactWriteItemTypeDef", {"Put": action})


def delete(key: Mapping[str, Any], condition: str, values: Mapping[str, Any] | None = None) -> TransactWriteItemTypeDef:
    """A transaction's conditional Delete of the item at ``key``."""
    return cast("TransactWriteItemTypeDef", {"Delete": _action(Key=item(key), condition=condition, values=values)})


def update(
    key: Mapping[str, Any],
    expression: str,
    condition: str,
    values: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
) -> TransactWriteItemTypeDef:
    """A transaction's conditional Update of the item at ``key``."""
    action = _action(Key=item(key), UpdateExpression=expression, condition=condition, values=values)
    if names:
        action["ExpressionAttributeNames"] = dict(names)
    return cast("TransactWriteItemTypeDef", {"Update": action})


def check(key: Mapping[str, Any], condition: str, values: Mapping[str, Any] | None = None) -> TransactWriteItemTypeDef:
    """A transaction's ConditionCheck of the item at ``key``: the transaction happens only while it holds."""
    return cast(
        "TransactWriteItemTypeDef", {"ConditionCheck": _action(Key=item(key), condition=condition, values=values)}
    )


def _action(*, condition: str, values: Mapping[str, Any] | None, **fields: Any) -> dict[str, Any]:
    action = {"TableName": table(), "ConditionExpression": condition, **fields}
    if values:
        action["ExpressionAttributeValues"] = item(values)
    return action


def transact(items: list[TransactWriteItemTypeDef], reasons: Mapping[int, Exception] | None = None) -> None:
    """One ``TransactWriteItems``, retried while DynamoDB cancels it *only* because another transaction touched
    one of its items at that moment (``TransactionConflict``: every create of a tenant touches its counter),
    within ``contention``'s budget. The SDK's retry modes do not retry cancelled transactions."""
    from botocore.exceptions import ClientError

    for _ in contention.attempts():
        try:
            with Translate(reasons):
                client().transact_write_items(TransactItems=items)
            return
        except StorageUnavailable as unavailable:
            cause = unavailable.__cause__
            codes = (
                {r.get("Code") for r in cause.response.get("CancellationReasons", [])}
                if isinstance(cause, ClientError)
                else set()
            )
            if not ("TransactionConflict" in codes and codes <= {"None", "TransactionConflict"}):
                raise
            last = unavailable
    raise last


def _is_transient(exc: Any) -> bool:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    code = exc.response.get("Error", {}).get("Code", "")
    return status >= 500 or "Throttl" in code or code in _TRANSIENT_CODES

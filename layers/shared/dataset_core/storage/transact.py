"""What DynamoDB's failures mean to us, and transactions retried on conflict.

botocore's errors become our domain errors here, and only here: a failed condition of a transaction becomes
the error its caller said it means (a taken name, a full quota), throttling and outages become
``StorageUnavailable`` (nothing was written), and anything else is left to surface as a bug.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from ..errors import DomainError, StorageUnavailable
from .client import client, table
from .codec import item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

CONFLICT_RETRIES = 3
"""Extra tries of a transaction DynamoDB cancelled only for a conflict with another transaction."""

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
    the domain error its failed condition means."""

    def __init__(self, reasons: Mapping[int, DomainError] | None = None) -> None:
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
                if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                    raise ConditionFailedError from None
                raise StorageUnavailable from exc  # conflicts or throttling inside the transaction
            if error.get("Code") == "ConditionalCheckFailedException":
                raise ConditionFailedError from None
            if _is_transient(exc):
                raise StorageUnavailable from exc
            return
        if isinstance(exc, BotoCoreError):  # connection errors, timeouts
            raise StorageUnavailable from exc


def put(attrs: Mapping[str, Any], condition: str, values: Mapping[str, Any] | None = None) -> TransactWriteItemTypeDef:
    """A transaction's conditional Put of ``attrs`` (plain values)."""
    return cast("TransactWriteItemTypeDef", {"Put": _action(Item=item(attrs), condition=condition, values=values)})


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


def _action(*, condition: str, values: Mapping[str, Any] | None, **fields: Any) -> dict[str, Any]:
    action = {"TableName": table(), "ConditionExpression": condition, **fields}
    if values:
        action["ExpressionAttributeValues"] = item(values)
    return action


def transact(items: list[TransactWriteItemTypeDef], reasons: Mapping[int, DomainError] | None = None) -> None:
    """One ``TransactWriteItems``, retried a few times if DynamoDB cancelled it *only* because another
    transaction touched one of its items at that moment (``TransactionConflict``: every create of a
    tenant touches its counter). The SDK's retry modes do not retry cancelled transactions."""
    from botocore.exceptions import ClientError

    for attempt in range(CONFLICT_RETRIES + 1):
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
            conflict = "TransactionConflict" in codes and codes <= {"None", "TransactionConflict"}
            if not conflict or attempt == CONFLICT_RETRIES:
                raise
            time.sleep(random.uniform(0.01, 0.05) * 2**attempt)  # noqa: S311 - jitter, not a secret


def _is_transient(exc: Any) -> bool:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    code = exc.response.get("Error", {}).get("Code", "")
    return status >= 500 or "Throttl" in code or code in _TRANSIENT_CODES

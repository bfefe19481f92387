"""Idempotency records: one per ``Idempotency-Key`` a tenant sent, in the tenant's partition.

``REQUEST#<sha256 of the key>`` sorts after ``META``, so no listing's key range ever reaches a record. The
``ttl`` attribute (epoch seconds) is the table's TTL attribute; a record past it counts as absent even before
DynamoDB removes it.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, NamedTuple

from .client import client, table
from .codec import item, plain
from .transact import Translate, put

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

PREFIX = "REQUEST#"


class RequestRecord(NamedTuple):
    tenant_id: str
    key: str
    fingerprint: str
    response: str
    created_at: int
    expires_at: int


class RequestSeen(Exception):  # noqa: N818 - what happened, not an error of the client's
    """A create's transaction found the record of its key: this request, or another, was made before."""


def _key(tenant_id: str, key: str) -> dict[str, str]:
    return {"pk": f"TENANT#{tenant_id}", "sk": PREFIX + hashlib.sha256(key.encode()).hexdigest()}


def put_request(record: RequestRecord) -> TransactWriteItemTypeDef:
    """The record's Put for the create's transaction: only where no live record of the key is."""
    attrs = {
        **_key(record.tenant_id, record.key),
        "fingerprint": record.fingerprint,
        "response": record.response,
        "ttl": record.expires_at,
    }
    return put(attrs, "attribute_not_exists(pk) OR #ttl < :now", {":now": record.created_at}, {"#ttl": "ttl"})


def get_request(tenant_id: str, key: str, now: int) -> RequestRecord | None:
    with Translate():
        response = client().get_item(TableName=table(), Key=item(_key(tenant_id, key)), ConsistentRead=True)
    found = plain(response.get("Item") or {})
    if not found or found["ttl"] <= now:
        return None
    return RequestRecord(tenant_id, key, found["fingerprint"], found["response"], now, found["ttl"])

"""Idempotent creates: a retry with the same ``Idempotency-Key`` and the same request gets the first answer.

The record of a request is written in the same transaction as the dataset it created, so a first request costs
no extra round trip, and a dataset never exists without its record or the other way round. Only a request
whose key was seen reads the record: one GetItem, then the stored answer, or 422 if the key came with another
request. Records live in the tenant's partition (one tenant's key never meets another's) for
``RETENTION_SECONDS``; DynamoDB's TTL removes them later, and until it does an expired record counts as absent.

Powertools' idempotency utility was the alternative: it writes its record before the handler runs and
updates it after, two round trips more on every first request, and its import adds to every cold start.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any, NamedTuple

from pydantic import BaseModel

from .errors import BadRequest, IdempotencyKeyReused
from .storage import requests as storage

HEADER = "Idempotency-Key"
RETENTION_SECONDS = 24 * 3600
_KEY_CHARS = frozenset(chr(c) for c in range(0x21, 0x7F))


class RequestKey(NamedTuple):
    """One request as an idempotency key names it: the tenant, the key, and a fingerprint of what was asked."""

    tenant_id: str
    key: str
    fingerprint: str


def request_key(tenant_id: str, key: str | None, operation: str, body: BaseModel) -> RequestKey | None:
    """The key of a create, if the client sent one (1 to 255 visible ASCII characters)."""
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not set(key) <= _KEY_CHARS:
        raise BadRequest(f"Invalid {HEADER}: 1 to 255 visible ASCII characters")
    canonical = json.dumps([operation, body.model_dump(mode="json")], sort_keys=True, separators=(",", ":"))
    return RequestKey(tenant_id, key, hashlib.sha256(canonical.encode()).hexdigest())


def record(key: RequestKey, response: Any) -> storage.RequestRecord:
    """What the create's transaction writes beside the dataset."""
    now = int(time.time())
    return storage.RequestRecord(
        key.tenant_id, key.key, key.fingerprint, json.dumps(response), now, now + RETENTION_SECONDS
    )


def replay(key: RequestKey) -> Any:
    """The first answer to this request; ``IdempotencyKeyReused`` if the key came with another request."""
    stored = storage.get_request(key.tenant_id, key.key, int(time.time()))
    if stored is None:  # expired between the write that failed and this read: a retry is a new request
        raise IdempotencyKeyReused(f"{HEADER} expired while in use: retry with a new key")
    if stored.fingerprint != key.fingerprint:
        raise IdempotencyKeyReused(
            f"{HEADER} '{key.key[:64]}' was used with another request in the last {RETENTION_SECONDS // 3600} hours"
        )
    return json.loads(stored.response)

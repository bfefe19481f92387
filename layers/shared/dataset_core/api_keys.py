"""API keys: minting, hashing, parsing the ``Authorization`` header, and lookup.

A key is shown once, when minted; the table only ever holds its SHA-256 digest. A key is long and random
(256 bits), so an unsalted fast hash is the right tool: there is nothing to brute-force.

A key has a scope (``read-write``, or ``read-only``: GET routes only) and may have an expiry (epoch seconds).
Keys stored before either existed read as read-write without expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import uuid
from dataclasses import dataclass

from .storage import api_keys as storage

KEY_PREFIX = "ragflow-"
_KEY_FORMAT = re.compile(r"ragflow-[A-Za-z0-9_\-]{32,128}")


READ_WRITE = "read-write"
READ_ONLY = "read-only"
SCOPES = (READ_WRITE, READ_ONLY)


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    tenant_id: str
    label: str
    created_at: int
    status: str
    scope: str = READ_WRITE
    expires_at: int | None = None

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a key gets no access, as a reason code a metric can count: ``malformed`` (not a key at all),
    ``unknown``, ``revoked`` or ``expired``."""

    reason: str


def mint_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_from_header(header: str | None) -> str | None:
    """The key in ``Bearer <key>`` or a bare ``<key>`` (RAGFlow's old client), if well-formed."""
    if not header:
        return None
    value = header.strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    return value if _KEY_FORMAT.fullmatch(value) else None


def authenticate(header: str | None) -> ApiKey | None:
    """The active, unexpired key behind an ``Authorization`` header, if there is one."""
    found = check(header, time.time())
    return None if isinstance(found, Refused) else found


def check(header: str | None, now: float) -> ApiKey | Refused:
    """The active, unexpired key behind an ``Authorization`` header, or why not; one GetItem, none if malformed."""
    key = key_from_header(header)
    if key is None:
        return Refused("malformed")
    key_digest = digest(key)
    record = storage.get_api_key(key_digest)
    if record is None or not hmac.compare_digest(str(record.get("pk", "")), storage.apikey_pk(key_digest)):
        return Refused("unknown")
    found = _api_key(record)
    if found.status != "active":
        return Refused("revoked")
    if found.expired(now):
        return Refused("expired")
    return found


def create_key(
    tenant_id: str | None = None,
    label: str = "",
    key: str | None = None,
    *,
    scope: str = READ_WRITE,
    expires_at: int | None = None,
) -> tuple[str, ApiKey]:
    """Register a key for ``tenant_id`` (a new tenant if None) and return it with its record.

    The key is minted here unless given (the local API's stable dev key); the raw key leaves this
    function once and is never stored.
    """
    key = key or mint_key()
    if not _KEY_FORMAT.fullmatch(key):
        raise ValueError("an API key is 'ragflow-' followed by 32 to 128 URL-safe characters")
    if scope not in SCOPES:
        raise ValueError(f"a key's scope is one of {', '.join(SCOPES)}")
    record = ApiKey(
        key_id=secrets.token_hex(8),
        tenant_id=tenant_id or uuid.uuid4().hex,
        label=label,
        created_at=int(time.time()),
        status="active",
        scope=scope,
        expires_at=expires_at,
    )
    storage.put_api_key(
        digest=digest(key),
        tenant_id=record.tenant_id,
        key_id=record.key_id,
        label=label,
        created_at=record.created_at,
        scope=scope,
        expires_at=expires_at,
    )
    return key, record


def list_keys(tenant_id: str) -> list[ApiKey]:
    return [_api_key(item) for item in storage.list_api_keys(tenant_id)]


def revoke(key_id: str) -> ApiKey | None:
    """Revoke a key by id; the authorizer's cache may honour it for up to its TTL."""
    item = storage.find_api_key(key_id)
    if item is None:
        return None
    storage.revoke_api_key(item["tenant_id"], key_id, item["digest"])
    return _api_key({**item, "status": "revoked"})


def set_expiry(key_id: str, expires_at: int | None) -> ApiKey | None:
    """Give a key an expiry (or take it away, with None); None if there is no such key."""
    item = storage.find_api_key(key_id)
    if item is None:
        return None
    storage.set_api_key_expiry(item["tenant_id"], key_id, item["digest"], expires_at)
    return _api_key({**item, "expires_at": expires_at})


def _api_key(record: dict[str, object]) -> ApiKey:
    expires_at = record.get("expires_at")
    return ApiKey(
        key_id=str(record["key_id"]),
        tenant_id=str(record["tenant_id"]),
        label=str(record.get("label", "")),
        created_at=int(str(record.get("created_at", 0))),
        status=str(record.get("status", "")),
        scope=str(record.get("scope") or READ_WRITE),
        expires_at=int(str(expires_at)) if expires_at is not None else None,
    )

"""API keys: minting, hashing, parsing the ``Authorization`` header, and lookup.

A key is shown once, when minted; the table only ever holds its SHA-256 digest. A key is long and random
(256 bits), so an unsalted fast hash is the right tool: there is nothing to brute-force.
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


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    tenant_id: str
    label: str
    created_at: int
    status: str


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
    """The active key behind an ``Authorization`` header, or None; one GetItem, none if malformed."""
    key = key_from_header(header)
    if key is None:
        return None
    key_digest = digest(key)
    record = storage.get_api_key(key_digest)
    if record is None or record.get("status") != "active":
        return None
    if not hmac.compare_digest(str(record.get("pk", "")), storage.apikey_pk(key_digest)):
        return None
    return _api_key(record)


def create_key(tenant_id: str | None = None, label: str = "", key: str | None = None) -> tuple[str, ApiKey]:
    """Register a key for ``tenant_id`` (a new tenant if None) and return it with its record.

    The key is minted here unless given (the local API's stable dev key); the raw key leaves this
    function once and is never stored.
    """
    key = key or mint_key()
    if not _KEY_FORMAT.fullmatch(key):
        raise ValueError("an API key is 'ragflow-' followed by 32 to 128 URL-safe characters")
    record = ApiKey(
        key_id=secrets.token_hex(8),
        tenant_id=tenant_id or uuid.uuid4().hex,
        label=label,
        created_at=int(time.time()),
        status="active",
    )
    storage.put_api_key(
        digest=digest(key),
        tenant_id=record.tenant_id,
        key_id=record.key_id,
        label=label,
        created_at=record.created_at,
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


def _api_key(record: dict[str, object]) -> ApiKey:
    return ApiKey(
        key_id=str(record["key_id"]),
        tenant_id=str(record["tenant_id"]),
        label=str(record.get("label", "")),
        created_at=int(str(record.get("created_at", 0))),
        status=str(record.get("status", "")),
    )

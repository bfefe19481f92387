"""API keys: minting, hashing, parsing the ``Authorization`` header, and lookup.

A key is shown once, when minted; the table only ever holds its SHA-256 digest. A key is long and random
(256 bits), so an unsalted fast hash is the right tool: there is nothing to brute-force.

A key has a scope (``read-write``, or ``read-only``: GET routes only) and may have an expiry (epoch seconds).
Keys stored before either existed read as read-write without expiry.

A tenant is on a usage tier: an API Gateway usage plan holds the tenant's API Gateway API key (its *usage
key*), which meters and throttles every request of the tenant. API Gateway learns the usage key from the
authorizer, which reads only the key's own item: so every key item of the tenant carries it, those minted
later included (``create_key`` copies it, ``set_usage_tier`` brings the existing ones up to date).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import uuid
from typing import NamedTuple

from .scopes import READ_WRITE, SCOPES
from .storage import api_keys as storage

KEY_PREFIX = "ragflow-"
_KEY_FORMAT = re.compile(r"ragflow-[A-Za-z0-9_\-]{32,128}")


class ApiKey(NamedTuple):
    key_id: str
    tenant_id: str
    label: str
    created_at: int
    status: str
    scope: str = READ_WRITE
    expires_at: int | None = None
    usage_key: str | None = None
    """The tenant's usage key as this key carries it (None: the tenant was on no tier when it was minted)."""

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at


class UsageTier(NamedTuple):
    """Which usage plan meters a tenant, and the API Gateway API key (id and value) it meters it by."""

    tier: str
    usage_key_id: str
    usage_key: str


USAGE_KEY_ATTEMPTS = 3
"""Times ``create_key`` reads the tenant's usage key again when an operator changed it meanwhile."""


class Refused(NamedTuple):
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
    tenant_id = tenant_id or uuid.uuid4().hex
    for attempt in range(USAGE_KEY_ATTEMPTS):
        tier = usage_tier(tenant_id)
        record = ApiKey(
            key_id=secrets.token_hex(8),
            tenant_id=tenant_id,
            label=label,
            created_at=int(time.time()),
            status="active",
            scope=scope,
            expires_at=expires_at,
            usage_key=tier.usage_key if tier else None,
        )
        try:
            storage.put_api_key(
                digest=digest(key),
                tenant_id=record.tenant_id,
                key_id=record.key_id,
                label=label,
                created_at=record.created_at,
                scope=scope,
                expires_at=expires_at,
                usage_key=record.usage_key,
            )
        except storage.UsageKeyChangedError:
            if attempt + 1 == USAGE_KEY_ATTEMPTS:
                raise
            continue
        return key, record
    raise AssertionError("unreachable")


def usage_tier(tenant_id: str) -> UsageTier | None:
    """The tenant's tier and usage key, as the operator CLI recorded them; None: on no tier."""
    found = storage.get_usage_plan(tenant_id)
    if found is None:
        return None
    return UsageTier(str(found["tier"]), str(found["usage_key_id"]), str(found["usage_key"]))


def set_usage_tier(tenant_id: str, tier: UsageTier) -> int:
    """Record the tenant's tier and usage key, then give the usage key to each of its keys that lacks it (how
    many: the return value). Recorded first: a key minted meanwhile either sees the new usage key or fails its
    transaction and reads it again (``create_key``), so no key is left behind."""
    storage.put_usage_plan(
        tenant_id,
        tier=tier.tier,
        usage_key_id=tier.usage_key_id,
        usage_key=tier.usage_key,
        updated_at=int(time.time()),
    )
    updated = 0
    for item in storage.list_api_keys(tenant_id):
        if item.get("usage_key") != tier.usage_key:
            storage.set_api_key_usage_key(tenant_id, str(item["key_id"]), str(item["digest"]), tier.usage_key)
            updated += 1
    return updated


def list_keys(tenant_id: str) -> list[ApiKey]:
    return [_api_key(item) for item in storage.list_api_keys(tenant_id)]


def list_all_keys() -> list[ApiKey]:
    """Every tenant's keys (the operator's view; a Scan of the table)."""
    return [_api_key(item) for item in storage.list_all_api_keys()]


def find(key_id: str) -> ApiKey | None:
    """A key by its id, whoever's it is."""
    item = storage.find_api_key(key_id)
    return None if item is None else _api_key(item)


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
        usage_key=str(record["usage_key"]) if record.get("usage_key") is not None else None,
    )

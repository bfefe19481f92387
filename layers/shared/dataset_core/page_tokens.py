"""Opaque cursor tokens for ``GET /datasets`` (beyond RAGFlow).

A token names the last dataset of a page, the order it was listed in and the tenant it belongs to,
signed with HMAC-SHA256. Cursor paging then costs O(page) whatever the depth. A token from another
tenant, for another order, or altered in any byte is refused with 400/101, and even a valid token is only
ever used inside the caller's own partition.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from functools import cache

from . import aws
from .config import settings
from .errors import BadRequest

_MAC_BYTES = 16
_CANONICAL = re.compile(r"[A-Za-z0-9_-]+")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """The bytes of ``text`` if it is their canonical encoding (URL-safe, unpadded, no other character), so that
    one token has one spelling: Python's decoder alone also takes padding, ``+``/``/``, newlines and junk."""
    if not _CANONICAL.fullmatch(text):
        raise ValueError("not canonical base64")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("not canonical base64")
    return data


@cache
def _key() -> bytes:
    """The signing key: from Secrets Manager when deployed (not readable from the function's configuration),
    fetched once per execution environment, on the first page token it signs or checks."""
    arn = settings().page_token_secret_arn
    return aws.secret_string(arn).encode() if arn else settings().page_token_secret


def _mac(payload: bytes) -> bytes:
    return hmac.new(_key(), payload, hashlib.sha256).digest()[:_MAC_BYTES]


def encode(tenant_id: str, orderby: str, desc: bool, last_id: str, last_update_time: int) -> str:
    payload = json.dumps(
        {"t": tenant_id, "o": orderby, "d": desc, "i": last_id, "u": last_update_time}, separators=(",", ":")
    ).encode()
    return f"{_b64(payload)}.{_b64(_mac(payload))}"


def decode(token: str, tenant_id: str, orderby: str, desc: bool) -> tuple[str, int]:
    """The (id, update_time) a page ends with, if ``token`` was issued to this tenant for this order."""
    try:
        payload_part, mac_part = token.split(".")
        payload, mac = _unb64(payload_part), _unb64(mac_part)
    except (ValueError, binascii.Error):
        raise BadRequest("Invalid page_token: not a token this API issued") from None
    if not hmac.compare_digest(mac, _mac(payload)):
        raise BadRequest("Invalid page_token: not a token this API issued")
    fields = json.loads(payload)  # signed by us: well-formed
    if fields["t"] != tenant_id:
        raise BadRequest("Invalid page_token: not a token this API issued")
    if (fields["o"], fields["d"]) != (orderby, desc):
        raise BadRequest("Invalid page_token: it belongs to a listing with another orderby or desc")
    return str(fields["i"]), int(fields["u"])

"""Signed cursor tokens of ``GET /datasets`` (``dataset_core.page_tokens``): bound to a tenant and an order, and
spelled one way only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable

import pytest

from dataset_core.errors import BadRequest
from dataset_core.page_tokens import decode, encode

TENANT = "0f3c8a1e6d2b4f5a9c7e1b3d5f7a9c0e"
OTHER_TENANT = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
LAST = "0193a1b2c3d47e8f9a0b1c2d3e4f5a6b"
NOT_ISSUED = "Invalid page_token: not a token this API issued"
OTHER_LISTING = "Invalid page_token: it belongs to a listing with another orderby or desc"


@pytest.mark.parametrize("orderby", ["create_time", "update_time"])
@pytest.mark.parametrize("desc", [True, False])
def test_a_token_reads_back_as_the_last_dataset_of_its_page(orderby: str, desc: bool) -> None:
    token = encode(TENANT, orderby, desc, LAST, 1_750_000_000_123)
    assert token.isascii()
    assert "=" not in token  # URL-safe, unpadded: it travels in a query string
    assert decode(token, TENANT, orderby, desc) == (LAST, 1_750_000_000_123)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signed_elsewhere() -> str:
    """A well-formed token, signed with another deployment's secret."""
    payload = json.dumps({"t": TENANT, "o": "create_time", "d": True, "i": LAST, "u": 1}).encode()
    return f"{_b64(payload)}.{_b64(hmac.new(b'another secret', payload, hashlib.sha256).digest()[:16])}"


@pytest.fixture
def token() -> str:
    """Issued when the test runs, under the signing key of that moment."""
    return encode(TENANT, "create_time", True, LAST, 1)


def _other_tenants_payload(token: str) -> str:
    payload, mac = token.split(".")
    return _b64(base64.urlsafe_b64decode(payload + "==").replace(TENANT.encode(), OTHER_TENANT.encode())) + "." + mac


FORGED: dict[str, Callable[[str], str]] = {
    "last-characters-altered": lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
    "mac-reversed": lambda t: t.split(".")[0] + "." + t.split(".")[1][::-1],
    "payload-altered": lambda t: "x" + t,
    "payload-of-another-tenant": _other_tenants_payload,
    "signed-with-another-secret": lambda _: _signed_elsewhere(),
    "payload-only": lambda t: t.split(".")[0],
    "three-parts": lambda t: t + ".x",
    "garbage": lambda _: "garbage",
    "not-base64": lambda _: "a.b",
    "non-ascii": lambda _: "\u00e9.\u00e9",
    "empty": lambda _: "",
    # One token, one spelling: the canonical URL-safe, unpadded base64 of what was signed, nothing else.
    "padding": lambda t: t.replace(".", "=."),
    "padding-on-the-mac": lambda t: t + "==",
    "standard-alphabet": lambda t: t.replace("-", "+").replace("_", "/") if ("-" in t or "_" in t) else "+" + t,
    "newline": lambda t: t.replace(".", "\n."),
    "trailing-newline": lambda t: t + "\n",
    "space": lambda t: t.replace(".", " ."),
    "junk": lambda _: "!!!",
    "non-canonical-trailing-bits": lambda t: t[:-1] + chr(ord(t[-1]) ^ 1),
}


@pytest.mark.parametrize("forge", list(FORGED.values()), ids=list(FORGED))
def test_a_token_altered_in_any_byte_or_not_issued_here_is_refused(forge: Callable[[str], str], token: str) -> None:
    assert decode(token, TENANT, "create_time", True) == (LAST, 1)
    with pytest.raises(BadRequest) as raised:
        decode(forge(token), TENANT, "create_time", True)
    assert raised.value.message == NOT_ISSUED


def test_a_token_of_another_tenant_is_refused_as_not_issued(token: str) -> None:
    """Indistinguishable from a forged one: nothing tells the caller the token is real."""
    with pytest.raises(BadRequest) as raised:
        decode(token, OTHER_TENANT, "create_time", True)
    assert raised.value.message == NOT_ISSUED


@pytest.mark.parametrize(("orderby", "desc"), [("update_time", True), ("create_time", False), ("update_time", False)])
def test_a_token_of_another_order_is_refused_naming_the_order(orderby: str, desc: bool, token: str) -> None:
    with pytest.raises(BadRequest) as raised:
        decode(token, TENANT, orderby, desc)
    assert raised.value.message == OTHER_LISTING

"""A page token has exactly one spelling: the canonical URL-safe, unpadded base64 of what was signed."""

from __future__ import annotations

import pytest

from dataset_core import page_tokens
from dataset_core.errors import BadRequest

TENANT = "0f3c8a1e6d2b4f5a9c7e1b3d5f7a9c0e"
TOKEN = page_tokens.encode(TENANT, "create_time", True, "a" * 32, 1795630209995)
PAYLOAD, MAC = TOKEN.split(".")

RESPELLINGS = {
    "padding": f"{PAYLOAD}=.{MAC}",
    "padding-on-the-mac": f"{PAYLOAD}.{MAC}==",
    "standard-alphabet": TOKEN.replace("-", "+").replace("_", "/") if ("-" in TOKEN or "_" in TOKEN) else "+" + TOKEN,
    "newline": f"{PAYLOAD}\n.{MAC}",
    "trailing-newline": TOKEN + "\n",
    "space": f"{PAYLOAD} .{MAC}",
    "junk": "!!!",
    "non-canonical-trailing-bits": f"{PAYLOAD}.{MAC[:-1]}{chr(ord(MAC[-1]) ^ 1)}",
}


def test_the_token_as_issued_decodes() -> None:
    assert page_tokens.decode(TOKEN, TENANT, "create_time", True) == ("a" * 32, 1795630209995)


@pytest.mark.parametrize("token", list(RESPELLINGS.values()), ids=list(RESPELLINGS))
def test_another_spelling_of_a_token_is_refused(token: str) -> None:
    with pytest.raises(BadRequest, match="Invalid page_token"):
        page_tokens.decode(token, TENANT, "create_time", True)

"""What a request carries, read from API Gateway's REST proxy event, and the checks that come before any model.

Size, content type and encoding are checked here, before a body is parsed: a body that is not a JSON object
never reaches a route's models.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from ..config import settings
from ..errors import BadRequest, KeyIsReadOnly, PayloadTooLarge, Unauthorized, UnsupportedMediaType
from ..scopes import READ_ONLY

MULTI_VALUED_QUERY = {"ids"}
"""Query parameters a client may repeat (``?ids=a&ids=b``); of any other, the first occurrence counts."""
MALFORMED_JSON = "Malformed JSON syntax: Missing commas/brackets or invalid encoding"


def tenant_id(event: Mapping[str, Any], now: float) -> str:
    """The tenant the authorizer put in the request context (never taken from the client's input), if the key
    may make this request now.

    API Gateway serves a cached policy for the authorizer's whole TTL, so the key's expiry and scope travel in
    the context and are checked here on every request: an expired key is refused like an unknown one, and a
    read-only key may only GET, whatever was cached (API Gateway denies the other methods first).
    """
    authorizer = event.get("requestContext", {}).get("authorizer") or {}
    tenant = authorizer.get("tenant_id")
    if not tenant:
        raise Unauthorized
    expires_at = authorizer.get("expires_at")
    if expires_at not in (None, "") and now >= float(expires_at):
        raise Unauthorized
    if authorizer.get("scope") == READ_ONLY and event.get("httpMethod") != "GET":
        raise KeyIsReadOnly
    return str(tenant)


def request_id(event: Mapping[str, Any]) -> str:
    return str(event.get("requestContext", {}).get("requestId", "unknown"))


def query(event: Mapping[str, Any]) -> dict[str, Any]:
    """Repeatable parameters as lists, the others as their first value, as RAGFlow reads them (API Gateway's
    ``queryStringParameters`` would hold the last)."""
    multi = event.get("multiValueQueryStringParameters")
    if multi is None:
        multi = {name: [value] for name, value in (event.get("queryStringParameters") or {}).items()}
    return {name: values if name in MULTI_VALUED_QUERY else values[0] for name, values in multi.items()}


def check_encoding(event: Mapping[str, Any]) -> None:
    """Query and path values must be text a response can carry (UTF-8: no lone surrogates)."""
    for name, values in (event.get("multiValueQueryStringParameters") or {}).items():
        if not _encodable(name, *values):
            raise BadRequest(f"Invalid query parameter encoding: {name.encode('utf-8', 'replace')[:64]!r}")
    if not _encodable(*(event.get("pathParameters") or {}).values()):
        raise BadRequest("Invalid path encoding")


def raw_body(event: Mapping[str, Any]) -> bytes:
    """The body's bytes (empty without one), within ``MAX_BODY_BYTES``."""
    raw_text = event.get("body") or ""
    raw = raw_text.encode() if not event.get("isBase64Encoded") else _b64(raw_text)
    if len(raw) > settings().max_body_bytes:
        raise PayloadTooLarge(settings().max_body_bytes)
    return raw


def json_object(event: Mapping[str, Any]) -> dict[str, Any]:
    """The body of a route that takes one, checked as RAGFlow v0.27 checks it, in its order
    (api/utils/validation_utils.py: validate_and_parse_json_request): the content type (the raw header in the
    message, ``None`` when absent), the JSON syntax (an empty body is malformed; ``NaN`` and ``Infinity`` parse as
    floats, as Python's parser takes them), a falsy value (``null``, ``false``, ``0``, ``""``, ``[]``) counted as
    ``{}``, then an object, naming Python's type of anything else. Beyond RAGFlow: the size limit first, and
    invalid UTF-8 or lone surrogates are malformed JSON (RAGFlow answers code 100 with the exception)."""
    raw = raw_body(event)
    content_type = header(event, "Content-Type")
    if content_type is None or content_type.split(";", maxsplit=1)[0].strip().lower() != "application/json":
        raise UnsupportedMediaType(str(content_type))
    try:
        payload = json.loads(raw.decode("utf-8"))
        json.dumps(payload, ensure_ascii=False).encode("utf-8")  # "\ud800" escapes decode to lone surrogates
    except (ValueError, RecursionError):  # invalid UTF-8 or JSON, lone surrogates, absurd nesting
        raise BadRequest(MALFORMED_JSON) from None
    if not payload:
        return {}
    if not isinstance(payload, dict):
        raise BadRequest(f"Invalid request payload: expected object, got {type(payload).__name__}")
    return payload


def _encodable(*texts: str) -> bool:
    try:
        for text in texts:
            text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _b64(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(MALFORMED_JSON) from None


def header(event: Mapping[str, Any], name: str) -> str | None:
    """A request header's value (header names are case-insensitive), or None."""
    wanted = name.lower()
    return next((str(v) for k, v in (event.get("headers") or {}).items() if k.lower() == wanted), None)

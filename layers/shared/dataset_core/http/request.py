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

from ..api_keys import READ_ONLY
from ..config import settings
from ..errors import BadRequest, KeyIsReadOnly, PayloadTooLarge, Unauthorized, UnsupportedMediaType

MULTI_VALUED_QUERY = {"ids"}
"""Query parameters a client may repeat (``?ids=a&ids=b``); any other repeat is refused."""
MALFORMED_JSON = "Malformed JSON syntax: Missing commas/brackets or invalid encoding"
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


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
    """Repeatable parameters as lists, the others as their one value (``body`` refused repeats)."""
    multi = event.get("multiValueQueryStringParameters")
    if multi is None:
        multi = {name: [value] for name, value in (event.get("queryStringParameters") or {}).items()}
    return {name: values if name in MULTI_VALUED_QUERY else values[-1] for name, values in multi.items()}


def body(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """Reject what must not reach the models; returns the body's JSON object, or None without a body."""
    for name, values in (event.get("multiValueQueryStringParameters") or {}).items():
        if not _encodable(name, *values):
            raise BadRequest(f"Invalid query parameter encoding: {name.encode('utf-8', 'replace')[:64]!r}")
        if len(values) > 1 and name not in MULTI_VALUED_QUERY:  # the last one would silently win
            raise BadRequest(f"Field: {name} - Message: Given more than once - Value: {values[:4]}")
    if not _encodable(*(event.get("pathParameters") or {}).values()):
        raise BadRequest("Invalid path encoding")
    raw_body = event.get("body")
    if raw_body is None or raw_body == "":
        if event.get("httpMethod") in {"POST", "PUT", "PATCH"}:
            _require_json(event)
        return None
    raw = raw_body.encode() if not event.get("isBase64Encoded") else _b64(raw_body)
    if len(raw) > settings().max_body_bytes:
        raise PayloadTooLarge(settings().max_body_bytes)
    if event.get("httpMethod") in _BODY_METHODS:
        _require_json(event)
    try:
        payload = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
        json.dumps(payload, ensure_ascii=False).encode("utf-8")  # "\ud800" escapes decode to lone surrogates
    except (ValueError, RecursionError):  # invalid UTF-8 or JSON, lone surrogates, absurd nesting
        raise BadRequest(MALFORMED_JSON) from None
    if not isinstance(payload, dict):
        raise BadRequest(f"Invalid request payload: expected object, got {_JSON_TYPES.get(type(payload), 'null')}")
    return payload


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's parser would take NaN and Infinity


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


def _require_json(event: Mapping[str, Any]) -> None:
    """415 unless the body is declared JSON (media types are case-insensitive)."""
    content_type = header(event, "Content-Type") or ""
    if content_type.split(";", maxsplit=1)[0].strip().lower() != "application/json":
        raise UnsupportedMediaType(content_type or "nothing")

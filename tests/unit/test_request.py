"""What a request carries and the checks before any model (``dataset_core.http.request``), one row per input.

Every route reads its body, query and tenant through these functions, so each hostile input is pinned here once;
``tests/handlers/test_hostile_requests.py`` proves, one case per route, that the route applies them.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from dataset_core.errors import (
    AUTH_MESSAGE,
    READ_ONLY_MESSAGE,
    BadRequest,
    DomainError,
    KeyIsReadOnly,
    PayloadTooLarge,
    Unauthorized,
)
from dataset_core.errors import UnsupportedMediaType as MediaType
from dataset_core.http import request
from dataset_core.http.request import MALFORMED_JSON

MIB = 1024 * 1024
JSON = {"Content-Type": "application/json"}
TENANT = "0f3c8a1e6d2b4f5a9c7e1b3d5f7a9c0e"
TOO_LARGE = f"Request body too large: the limit is {MIB} bytes"  # the default MAX_BODY_BYTES


def event(
    body: str | None = "{}",
    *,
    method: str = "POST",
    headers: dict[str, str] | None = JSON,
    base64_encoded: bool = False,
    query: dict[str, list[str]] | None = None,
    path: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The parts of an API Gateway REST proxy event these functions read."""
    return {
        "httpMethod": method,
        "headers": headers,
        "body": body,
        "isBase64Encoded": base64_encoded,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": query,
        "pathParameters": path,
    }


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def nested(depth: int, kind: str) -> str:
    return ('{"a":' * depth + "1" + "}" * depth) if kind == "object" else ("[" * depth + "]" * depth)


def expected_object(got: str) -> str:
    return f"Invalid request payload: expected object, got {got}"


def unsupported(content_type: str) -> str:
    return f"Unsupported content type: Expected application/json, got {content_type}"


# ---- json_object(): what is refused, and why --------------------------------------------------------------
# RAGFlow v0.27.0's checks, in its order (api/utils/validation_utils.py: validate_and_parse_json_request), after
# our size limit: the content type, the JSON, a falsy value as {}, an object.

MALFORMED = {
    "empty": "",
    "unclosed-object": "{",
    "unclosed-string": '{"dataset_name": "x',
    "not-json": "definitely not json",
    "bad-json": "{bad json",
    "single-quotes": "{'name': 'x'}",
    "trailing-comma": '{"name": "x",}',
    "trailing-garbage": '{"name": "x"} trailing',
    "two-documents": '{"name": "x"}{"name": "y"}',
    "utf8-bom": '\ufeff{"name": "x"}',
    "nul-byte": "\x00",
    "lone-surrogate-escape": '{"name": "\\ud800"}',
    "lone-low-surrogate-escape": '{"name": "x", "description": "\\udfff"}',
    "whitespace-only": " \t\r\n ",
    "nested-arrays-10000": nested(10_000, "array"),
    "nested-objects-10000": nested(10_000, "object"),
    "nested-arrays-100000": nested(100_000, "array"),
}
"""Not JSON (an empty body neither), lone surrogates no UTF-8 answer could carry, or nesting deep enough to
exhaust a recursive parser."""
NOT_OBJECTS = {
    "array-of-numbers": ("[1, 2]", "list"),
    "array-of-object": ('[{"name": "x"}]', "list"),
    "number": ("1", "int"),
    "float": ("1.5", "float"),
    "huge-exponent": ("1e999", "float"),
    "nan-literal": ("NaN", "float"),
    "minus-infinity": ("-Infinity", "float"),
    "string": ('"kb1"', "str"),
    "true": ("true", "bool"),
}
"""Python's type names: RAGFlow parses with Python's ``json``, which also takes NaN and Infinity."""
BAD_BASE64 = {
    "not-base64": ("!!!not base64!!!", MALFORMED_JSON),
    "only-padding": ("====", MALFORMED_JSON),
    "missing-padding": (b64(b'{"name": "x"}').rstrip("="), MALFORMED_JSON),
    "not-utf8": (b64(b"\xff\xfe\xfd{"), MALFORMED_JSON),
    "not-utf8-in-a-string": (b64(b'{"dataset_name": "\xff"}'), MALFORMED_JSON),
    "base64-of-array": (b64(b"[1]"), expected_object("list")),
    "base64-of-deep-nesting": (b64(nested(10_000, "array").encode()), MALFORMED_JSON),
}
WRONG_CONTENT_TYPES = {
    "text-plain": "text/plain",
    "form": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data; boundary=xyz",
    "xml": "application/xml",
    "json-suffix-lookalike": "application/jsonx",
    "json-patch": "application/json-patch+json",
    "two-types": "application/json, text/plain",
    "empty": "",
}


def _oversized(size: int) -> str:
    raw = '{"name": "' + "a" * (size - 12) + '"}'
    assert len(raw) >= size
    return raw


REFUSED: list[Any] = [
    *[pytest.param(event(raw), BadRequest, MALFORMED_JSON, id=label) for label, raw in MALFORMED.items()],
    pytest.param(event(None, method="PUT"), BadRequest, MALFORMED_JSON, id="json-without-a-body"),
    *[
        pytest.param(event(raw), BadRequest, expected_object(got), id=f"not-an-object-{label}")
        for label, (raw, got) in NOT_OBJECTS.items()
    ],
    *[
        pytest.param(event(raw, base64_encoded=True), BadRequest, message, id=label)
        for label, (raw, message) in BAD_BASE64.items()
    ],
    pytest.param(event(_oversized(MIB + 1)), PayloadTooLarge, TOO_LARGE, id="1MiB+1"),
    pytest.param(event(_oversized(10 * MIB)), PayloadTooLarge, TOO_LARGE, id="10MB"),
    pytest.param(
        event(b64(b'{"name": "' + b"a" * (10 * MIB) + b'"}'), base64_encoded=True),
        PayloadTooLarge,
        TOO_LARGE,
        id="10MB-decoded-from-base64",
    ),
    pytest.param(
        event(_oversized(MIB + 1), headers={"Content-Type": "text/plain"}),
        PayloadTooLarge,
        TOO_LARGE,
        id="size-before-content-type",
    ),
    *[
        pytest.param(event('{"name": "valid"}', headers={"Content-Type": ct}), MediaType, unsupported(ct), id=label)
        for label, ct in WRONG_CONTENT_TYPES.items()
    ],
    pytest.param(event('{"name": "valid"}', headers=None), MediaType, unsupported("None"), id="headers-null"),
    pytest.param(event("{}", headers={}), MediaType, unsupported("None"), id="no-header"),
    pytest.param(
        event("{}", headers={"Authorization": "Bearer x"}), MediaType, unsupported("None"), id="no-content-type"
    ),
    pytest.param(event("", method="PUT", headers=None), MediaType, unsupported("None"), id="content-type-first"),
    pytest.param(event(None, method="DELETE", headers=None), MediaType, unsupported("None"), id="delete-bare"),
    pytest.param(
        event(None, method="DELETE", headers={"Content-Type": "text/xml"}),
        MediaType,
        unsupported("text/xml"),
        id="delete-without-a-body",
    ),
]


@pytest.mark.parametrize(("given", "error", "message"), REFUSED)
def test_a_body_that_must_not_reach_a_model_is_refused_naming_the_problem(
    given: dict[str, Any], error: type[DomainError], message: str
) -> None:
    """Oversized (checked before parsing, on the decoded bytes), undeclared, broken, undecodable or non-object
    bodies: each a domain error in RAGFlow's words."""
    with pytest.raises(error) as raised:
        request.json_object(given)
    assert type(raised.value) is error
    assert raised.value.message == message


# ---- json_object(): what gets through, and as what -----------------------------------------------------------


def _exactly(size: int) -> str:
    raw = '{"name": "' + "a" * (size - 12) + '"}'
    assert len(raw) == size
    return raw


FALSY = {"array": "[]", "null": "null", "false": "false", "zero": "0", "negative-zero": "-0", "zero-point": "0.0",
         "empty-string": '""', "empty-object": "{}"}  # fmt: skip
ACCEPTED: list[Any] = [
    pytest.param(event('{"name": "kb"}'), {"name": "kb"}, id="object"),
    pytest.param(event('{"name": "x1", "name": "x2"}'), {"name": "x2"}, id="duplicate-keys-last-wins"),
    pytest.param(event(b64(b'{"dataset_name": "b64"}'), base64_encoded=True), {"dataset_name": "b64"}, id="base64"),
    pytest.param(event(_exactly(MIB)), {"name": "a" * (MIB - 12)}, id="exactly-1MiB"),
    pytest.param(event('{"name": "\\u00e9"}'), {"name": "\u00e9"}, id="unicode-escape"),
    *[pytest.param(event(raw), {}, id=f"falsy-{label}") for label, raw in FALSY.items()],
    *[
        pytest.param(event("{}", headers={"Content-Type": ct}), {}, id=f"content-type-{ct}")
        for ct in (
            "application/json",
            "Application/JSON; charset=UTF-8",
            "application/json; charset=utf-8",
            "application/json;charset=UTF-8",
            " application/json ",
        )
    ],
    pytest.param(
        event("{}", headers={"content-type": "application/json; charset=utf-8"}), {}, id="header-name-in-lower-case"
    ),
]


@pytest.mark.parametrize(("given", "expected"), ACCEPTED)
def test_a_json_object_declared_as_json_is_returned_and_a_falsy_value_counts_as_an_empty_object(
    given: dict[str, Any], expected: dict[str, Any]
) -> None:
    """Media types are case-insensitive and may carry parameters; the body limit is inclusive; ``null``,
    ``false``, ``0``, ``""`` and ``[]`` are ``{}``."""
    assert request.json_object(given) == expected


def test_numbers_json_forbids_are_parsed_as_python_does_for_the_models_and_storage_to_refuse() -> None:
    payload = request.json_object(event('{"name": "x", "pagerank": NaN, "v": -Infinity}'))
    assert str(payload) == "{'name': 'x', 'pagerank': nan, 'v': -inf}"


def test_a_deeply_nested_but_parsable_value_in_an_object_is_returned_for_the_model_to_refuse() -> None:
    """500 levels are valid JSON: the precheck lets them through; the routes' models refuse the unknown key."""
    payload = request.json_object(event('{"nested": ' + nested(500, "array") + "}"))
    assert list(payload) == ["nested"]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (event(query={"name\ud800": ["x"]}), "Invalid query parameter encoding: b'name?'"),
        (event(query={"name": ["x\udfff"]}), "Invalid query parameter encoding: b'name'"),
        (event(path={"dataset_id": "\ud800" * 32}), "Invalid path encoding"),
    ],
    ids=["lone-surrogate-in-a-query-name", "lone-surrogate-in-a-query-value", "lone-surrogate-in-the-path"],
)
def test_query_and_path_values_must_be_utf8(given: dict[str, Any], message: str) -> None:
    with pytest.raises(BadRequest) as raised:
        request.check_encoding(given)
    assert raised.value.message == message


def test_a_bodyless_routes_body_is_unread_but_held_to_the_size_limit() -> None:
    assert request.raw_body(event(None, method="GET", headers=None)) == b""
    with pytest.raises(PayloadTooLarge):
        request.raw_body(event(_oversized(MIB + 1), method="GET"))


# ---- query() ------------------------------------------------------------------------------------------------

QUERIES = {
    "none": (None, None, {}),
    "single-valued-only": ({"page": "2"}, None, {"page": "2"}),
    "ids-single-valued-only": ({"ids": "a,b"}, None, {"ids": ["a,b"]}),
    "multi-valued-wins": ({"ids": "b"}, {"ids": ["a", "b"]}, {"ids": ["a", "b"]}),
    "first-of-a-repeat": ({"page": "2"}, {"page": ["1", "2"]}, {"page": "1"}),
    "ids-all-of-a-repeat": ({"ids": "b"}, {"ids": ["a", "b", "a"]}, {"ids": ["a", "b", "a"]}),
    "several": ({"page": "1", "desc": "false"}, {"page": ["1"], "desc": ["false"]}, {"page": "1", "desc": "false"}),
}


@pytest.mark.parametrize(("single", "multi", "expected"), list(QUERIES.values()), ids=list(QUERIES))
def test_query_keeps_ids_as_a_list_and_the_first_of_every_other_parameter(
    single: dict[str, str] | None, multi: dict[str, list[str]] | None, expected: dict[str, Any]
) -> None:
    """As RAGFlow reads a query (api/utils/validation_utils.py: validate_and_parse_request_args); API Gateway's
    ``queryStringParameters`` holds the last of a repeat, its ``multiValueQueryStringParameters`` all of them."""
    given = {"queryStringParameters": single, "multiValueQueryStringParameters": multi}
    assert request.query(given) == expected


# ---- tenant_id() ---------------------------------------------------------------------------------------------

NOW = 1_750_000_000.0


def authorized(method: str = "POST", **context: Any) -> dict[str, Any]:
    return {"httpMethod": method, "requestContext": {"authorizer": {"tenant_id": TENANT, **context}}}


NO_TENANT = {
    "no-request-context": {"httpMethod": "GET"},
    "no-authorizer": {"httpMethod": "GET", "requestContext": {}},
    "authorizer-null": {"httpMethod": "GET", "requestContext": {"authorizer": None}},
    "authorizer-empty": {"httpMethod": "GET", "requestContext": {"authorizer": {}}},
    "tenant-empty": {"httpMethod": "GET", "requestContext": {"authorizer": {"tenant_id": ""}}},
    "principal-only": {"httpMethod": "GET", "requestContext": {"authorizer": {"principalId": TENANT}}},
    "expired-now": authorized(expires_at=str(int(NOW))),
    "expired-before": authorized("GET", expires_at=NOW - 1),
}


@pytest.mark.parametrize("given", list(NO_TENANT.values()), ids=list(NO_TENANT))
def test_without_the_authorizers_tenant_id_or_past_the_keys_expiry_the_request_is_unauthorized(
    given: dict[str, Any],
) -> None:
    """Only the authorizer's ``tenant_id`` names the tenant: not its ``principalId``, never the client's input.
    API Gateway may serve a cached allow past the key's expiry, so the expiry is checked on every request."""
    with pytest.raises(Unauthorized) as raised:
        request.tenant_id(given, NOW)
    assert raised.value.message == AUTH_MESSAGE


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_a_read_only_key_may_only_get(method: str) -> None:
    with pytest.raises(KeyIsReadOnly) as raised:
        request.tenant_id(authorized(method, scope="read-only"), NOW)
    assert raised.value.message == READ_ONLY_MESSAGE


AUTHORIZED = {
    "no-scope-no-expiry": authorized(principalId="someone-else"),
    "read-write": authorized(scope="read-write"),
    "read-only-get": authorized("GET", scope="read-only"),
    "expiry-ahead": authorized(expires_at=str(int(NOW) + 1)),
    "expiry-empty": authorized(expires_at=""),
    "expiry-null": authorized(expires_at=None),
}


@pytest.mark.parametrize("given", list(AUTHORIZED.values()), ids=list(AUTHORIZED))
def test_the_tenant_is_the_authorizers_tenant_id_while_the_key_may_make_the_request(given: dict[str, Any]) -> None:
    assert request.tenant_id(given, NOW) == TENANT


@pytest.mark.parametrize(
    ("given", "expected"),
    [({"requestContext": {"requestId": "r-1"}}, "r-1"), ({"requestContext": {}}, "unknown"), ({}, "unknown")],
)
def test_the_request_id_is_api_gateways_or_unknown(given: dict[str, Any], expected: str) -> None:
    assert request.request_id(given) == expected

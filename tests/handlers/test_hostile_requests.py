"""Hostile requests through the real handlers: every one is answered in the §2 envelope, never with a 5xx.

A table of requests a careless or malicious client can send — broken, absurd or tricky JSON, bodies of
the wrong type, encoding or size, names and ids built to look like something else or to smuggle
syntax, numbers no field can hold, unknown query parameters — each with the status and
``code`` the contract (README, docs/COMPATIBILITY.md) gives it. For each: the status is below 500, the body is
``{"code": int, "message": str, "data": ...}``, and a refused request wrote nothing (the whole table is
compared before and after). Cases that apply to both API generations run against both.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from conftest import (
    DEV_KEY,
    TENANT_A,
    TENANT_B,
    LambdaContext,
    Reply,
    create,
    function,
    invoke,
    load_event,
    route_event,
    scan,
)
from dataset_core import api_keys
from dataset_core.storage import client as storage
from dataset_core.storage import datasets as stored
from tools import template
from tools.embedded_dynamodb import serialize_requests

MIB = 1024 * 1024
ABSENT = "0193a1b2c3d47e8f9a0b1c2d3e4f5a6b"


# ---- fixtures: moto started once, the table rebuilt when a case wrote --------------------------------------------------


@pytest.fixture(scope="module")
def _moto() -> Iterator[None]:
    global _baseline
    serialize_requests()
    with mock_aws():
        storage.reset_client()
        yield
    storage.reset_client()
    _baseline = None


@dataclass
class Existing:
    """Tenant A's dataset ``kb1`` and tenant B's ``theirs``: the targets hostile requests aim at."""

    mine: str
    theirs: str


_baseline: tuple[list[dict[str, Any]], Existing] | None = None


@pytest.fixture
def existing(_moto: None) -> Existing:
    """A table holding exactly tenant A's ``kb1`` and tenant B's ``theirs``.

    Most requests here must be refused without writing, so the table is checked rather than rebuilt:
    if it is item-for-item the last baseline it is reused, otherwise (a case wrote, as some must) it is
    dropped, recreated from the template and filled again. Hundreds of cases then cost seconds.
    """
    global _baseline
    if _baseline is not None and scan() == _baseline[0]:
        return _baseline[1]
    storage.reset_client()  # also drops any event handler a case registered on the client
    client = storage.client()
    if os.environ["TABLE_NAME"] in client.list_tables()["TableNames"]:
        client.delete_table(TableName=os.environ["TABLE_NAME"])
    client.create_table(**template.table_definition(os.environ["TABLE_NAME"]))
    mine, theirs = create("kb1"), create("theirs", TENANT_B)
    assert mine.status == theirs.status == 200
    _baseline = (scan(), Existing(mine.body["data"]["id"], theirs.body["data"]["id"]))
    return _baseline[1]


def assert_envelope(reply: Reply) -> None:
    """§2: a real status below 500 and ``{"code": int, "message": str, "data": ...}``, nothing internal."""
    assert reply.status < 500, reply.raw[:500]
    assert isinstance(reply.body, dict)
    assert type(reply.body.get("code")) is int, reply.raw[:500]
    assert isinstance(reply.body.get("message"), str)
    assert "data" in reply.body
    assert "Traceback" not in reply.raw


def refused(function: str, event: dict[str, Any], status: int, code: int) -> Reply:
    """Send ``event``; it must be refused with (status, code) in the envelope and change no item at all."""
    before = scan()
    reply = invoke(function, event)
    assert_envelope(reply)
    assert (reply.status, reply.body["code"]) == (status, code), reply.raw[:500]
    assert reply.body["data"] is None
    assert scan() == before
    return reply


# ---- the routes ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BodyRoute:
    """A route that takes a JSON body; update routes aim at tenant A's existing dataset."""

    id: str
    function: str
    event_name: str
    on_dataset: bool = False

    def event(self, existing: Existing, **kwargs: Any) -> dict[str, Any]:
        if self.on_dataset:
            kwargs["dataset_id"] = existing.mine
        return route_event(self.event_name, **kwargs)


BODY_ROUTES = [
    BodyRoute("seed-create", "create_dataset", "create_dataset"),
    BodyRoute("current-create", "create_dataset", "create_datasets"),
    BodyRoute("seed-update", "update_dataset", "update_dataset", on_dataset=True),
    BodyRoute("current-update", "update_dataset", "update_datasets_current", on_dataset=True),
    BodyRoute("current-bulk-delete", "delete_dataset", "delete_datasets"),
]
SEED_BODY = [r for r in BODY_ROUTES if r.id.startswith("seed")]


def _route_id(route: BodyRoute) -> str:
    return route.id


def _nested(depth: int, kind: str) -> str:
    return ('{"a":' * depth + "1" + "}" * depth) if kind == "object" else ("[" * depth + "]" * depth)


# ---- malformed bodies: 400/101 on every body route of both generations ----------------------------------

MALFORMED_BODIES = {
    "unclosed-object": "{",
    "unclosed-string": '{"dataset_name": "x',
    "not-json": "definitely not json",
    "single-quotes": "{'name': 'x'}",
    "trailing-comma": '{"name": "x",}',
    "trailing-garbage": '{"name": "x"} trailing',
    "two-documents": '{"name": "x"}{"name": "y"}',
    "utf8-bom": '\ufeff{"name": "x"}',
    "nul-byte": "\x00",
    "lone-surrogate-escape": '{"name": "\\ud800"}',
    "whitespace-only": " \t\r\n ",
    "nested-arrays-10000": _nested(10_000, "array"),
    "nested-objects-10000": _nested(10_000, "object"),
    "nested-arrays-100000": _nested(100_000, "array"),
}
NOT_OBJECT_BODIES = {
    "array-of-object": '[{"name": "x"}]',
    "number": "1",
    "huge-exponent": "1e999",
    "nan-literal": "NaN",
    "string": '"kb1"',
    "true": "true",
}
FALSY_BODIES = {"array": "[]", "negative-zero": "-0", "null": "null", "false": "false", "empty-string": '""'}
"""Counted as ``{}`` (RAGFlow v0.27: api/utils/validation_utils.py: validate_and_parse_json_request)."""
FALSY_ANSWERS = {"create": (400, 101), "update": (400, 102), "delete": (200, 0)}


@pytest.mark.parametrize("raw", list(MALFORMED_BODIES.values()), ids=list(MALFORMED_BODIES))
@pytest.mark.parametrize("route", BODY_ROUTES, ids=_route_id)
def test_a_malformed_json_body_is_400_101_and_writes_nothing(route: BodyRoute, raw: str, existing: Existing) -> None:
    """Broken JSON, including nesting deep enough to exhaust a recursive parser, is the client's error."""
    refused(route.function, route.event(existing, raw_body=raw), 400, 101)


@pytest.mark.parametrize("raw", list(NOT_OBJECT_BODIES.values()), ids=list(NOT_OBJECT_BODIES))
@pytest.mark.parametrize("route", BODY_ROUTES, ids=_route_id)
def test_json_that_is_not_an_object_is_400_101(route: BodyRoute, raw: str, existing: Existing) -> None:
    refused(route.function, route.event(existing, raw_body=raw), 400, 101)


@pytest.mark.parametrize("raw", list(FALSY_BODIES.values()), ids=list(FALSY_BODIES))
@pytest.mark.parametrize("route", BODY_ROUTES, ids=_route_id)
def test_a_falsy_json_body_counts_as_an_empty_object_and_writes_nothing(
    route: BodyRoute, raw: str, existing: Existing
) -> None:
    """Create: a required field is missing (400/101); update: nothing to change (400/102); delete: nothing
    selected, nothing deleted (200, success_count 0)."""
    status, code = FALSY_ANSWERS[route.function.split("_")[0]]
    if status != 200:
        refused(route.function, route.event(existing, raw_body=raw), status, code)
        return
    before = scan()
    reply = invoke(route.function, route.event(existing, raw_body=raw))
    assert (reply.status, reply.body) == (200, {"code": 0, "message": "success", "data": {"success_count": 0}})
    assert scan() == before


@pytest.mark.parametrize("route", BODY_ROUTES, ids=_route_id)
def test_an_empty_body_is_400_101(route: BodyRoute, existing: Existing) -> None:
    """No body at all, or an empty string: the body is required (RAGFlow's strict models), not a crash."""
    refused(route.function, route.event(existing, raw_body=""), 400, 101)
    event = route.event(existing)
    event["body"] = None
    refused(route.function, event, 400, 101)


@pytest.mark.parametrize("route", BODY_ROUTES, ids=_route_id)
def test_a_deeply_nested_but_parsable_value_in_an_object_is_400_101(route: BodyRoute, existing: Existing) -> None:
    """Valid JSON, 500 levels deep, under a key no model has: refused as an unknown field, never stored
    (DynamoDB itself refuses documents nested deeper than 32 levels)."""
    raw = '{"nested": ' + _nested(500, "array") + "}"
    refused(route.function, route.event(existing, raw_body=raw), 400, 101)


@pytest.mark.parametrize("size", [MIB + 1, 10 * MIB], ids=["1MiB+1", "10MB"])
@pytest.mark.parametrize("route", BODY_ROUTES, ids=_route_id)
def test_a_body_over_one_mebibyte_is_413_101(route: BodyRoute, size: int, existing: Existing) -> None:
    """The size is checked before anything parses the body, whatever it holds."""
    raw = '{"name": "' + "a" * (size - 12) + '"}'
    assert len(raw) >= size
    reply = refused(route.function, route.event(existing, raw_body=raw), 413, 101)
    assert str(MIB) in reply.body["message"]


@pytest.mark.parametrize("route", BODY_ROUTES, ids=_route_id)
def test_a_base64_body_over_one_mebibyte_is_413_101(route: BodyRoute, existing: Existing) -> None:
    """The limit applies to the decoded body; an encoded 10 MB body is refused the same way."""
    event = route.event(existing, raw_body=base64.b64encode(b'{"name": "' + b"a" * (10 * MIB) + b'"}').decode())
    event["isBase64Encoded"] = True
    refused(route.function, event, 413, 101)


BAD_BASE64 = {
    "not-base64": "!!!not base64!!!",
    "only-padding": "====",
    "missing-padding": base64.b64encode(b'{"name": "x"}').decode().rstrip("="),
    "not-utf8": base64.b64encode(b"\xff\xfe\xfd{").decode(),
    "base64-of-array": base64.b64encode(b"[1]").decode(),
    "base64-of-deep-nesting": base64.b64encode(_nested(10_000, "array").encode()).decode(),
}


@pytest.mark.parametrize("raw", list(BAD_BASE64.values()), ids=list(BAD_BASE64))
@pytest.mark.parametrize("route", BODY_ROUTES, ids=_route_id)
def test_a_base64_body_that_does_not_decode_to_a_json_object_is_400_101(
    route: BodyRoute, raw: str, existing: Existing
) -> None:
    event = route.event(existing, raw_body=raw)
    event["isBase64Encoded"] = True
    refused(route.function, event, 400, 101)


# ---- content types ---------------------------------------------------------------------------------------

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


@pytest.mark.parametrize("content_type", list(WRONG_CONTENT_TYPES.values()), ids=list(WRONG_CONTENT_TYPES))
@pytest.mark.parametrize("route", BODY_ROUTES, ids=_route_id)
def test_a_body_with_a_content_type_that_is_not_json_is_415_101(
    route: BodyRoute, content_type: str, existing: Existing
) -> None:
    """Even when the body itself is valid JSON: §2 says 415 and names what was sent."""
    event = route.event(existing, body={"name": "valid"}, headers={"Content-Type": content_type})
    reply = refused(route.function, event, 415, 101)
    assert reply.body["message"] == f"Unsupported content type: Expected application/json, got {content_type}"


@pytest.mark.parametrize("route", BODY_ROUTES, ids=_route_id)
def test_a_body_without_any_headers_is_415_101(route: BodyRoute, existing: Existing) -> None:
    """API Gateway sends ``headers: null`` when a request has none."""
    event = route.event(existing, body={"name": "valid"})
    event["headers"] = event["multiValueHeaders"] = None
    refused(route.function, event, 415, 101)


@pytest.mark.parametrize("route", BODY_ROUTES, ids=_route_id)
def test_a_json_content_type_in_upper_case_is_accepted(route: BodyRoute, existing: Existing) -> None:
    """``Application/JSON; charset=UTF-8`` is ``application/json``: the request is served like any other."""
    body: dict[str, Any] = {"name": "upper"} if route.id != "current-bulk-delete" else {"ids": []}
    if route.id == "seed-create":
        body = {"dataset_name": "upper"}
    event = route.event(existing, body=body, headers={"Content-Type": "Application/JSON; charset=UTF-8"})
    reply = invoke(route.function, event)
    assert_envelope(reply)
    assert (reply.status, reply.body["code"]) == (200, 0), reply.raw


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/json;charset=UTF-8"])
def test_json_with_a_charset_parameter_is_accepted(content_type: str, existing: Existing) -> None:
    reply = invoke(
        "create_dataset",
        route_event("create_dataset", body={"dataset_name": "cs"}, headers={"Content-Type": content_type}),
    )
    assert (reply.status, reply.body["code"]) == (200, 0)


# ---- wrong types, unknown fields, tenant smuggling: 400/101 -----------------------------------------------

WRONG_FIELDS: list[tuple[str, BodyRoute, Any]] = [
    *[
        (label, BODY_ROUTES[0], body)
        for label, body in {
            "name-bool": {"dataset_name": True},
            "name-int": {"dataset_name": 123},
            "name-float": {"dataset_name": 1.5},
            "name-list": {"dataset_name": ["kb"]},
            "name-operator-object": {"dataset_name": {"$ne": None}},
            "name-null": {"dataset_name": None},
            "no-name": {},
            "alias-differs": {"dataset_name": "a", "name": "b"},
            "tenant-smuggled": {"dataset_name": "x", "tenant_id": TENANT_B},
            "id-smuggled": {"dataset_name": "x", "id": ABSENT},
            "unknown-field": {"dataset_name": "x", "pk": f"TENANT#{TENANT_B}"},
        }.items()
    ],
    *[
        (label, BODY_ROUTES[1], body)
        for label, body in {
            "name-bool": {"name": True},
            "name-int": {"name": 123},
            "name-list": {"name": ["kb"]},
            "name-null": {"name": None},
            "name-empty": {"name": ""},
            "name-whitespace": {"name": "   "},
            "name-129-chars": {"name": "a" * 129},
            "name-half-mebibyte": {"name": "a" * (MIB // 2)},
            "permission-unknown": {"name": "x", "permission": "admin"},
            "chunk-method-unknown": {"name": "x", "chunk_method": "../naive"},
            "number-as-string": {"name": "x", "parser_config": {"chunk_token_num": "512"}},
            "float-for-int": {"name": "x", "parser_config": {"chunk_token_num": 512.0}},
            "bool-for-int": {"name": "x", "parser_config": {"chunk_token_num": True}},
            "string-for-bool": {"name": "x", "parser_config": {"html4excel": "true"}},
            "int-for-bool": {"name": "x", "parser_config": {"html4excel": 1}},
            "nan-for-float": {"name": "x", "parser_config": {"filename_embd_weight": float("nan")}},
            "infinity-for-float": {"name": "x", "parser_config": {"raptor": {"clustering_threshold": float("inf")}}},
            "parser-config-list": {"name": "x", "parser_config": []},
            "parser-config-unknown-key": {"name": "x", "parser_config": {"$where": "1"}},
            "tenant-smuggled": {"name": "x", "tenant_id": TENANT_B},
            "created-by-smuggled": {"name": "x", "created_by": TENANT_B},
            "counters-smuggled": {"name": "x", "document_count": 5},
        }.items()
    ],
    *[
        (label, BODY_ROUTES[2], body)
        for label, body in {
            "name-int": {"name": 1},
            "layout-string-bool": {"layout_recognize": "true"},
            "layout-int-bool": {"layout_recognize": 1},
            "permission-unknown": {"permission": "root"},
            "description-too-long": {"description": "x" * 65536},
            "language-too-long": {"language": "x" * 33},
            "tenant-smuggled": {"tenant_id": TENANT_B},
            "id-smuggled": {"id": ABSENT},
            "version-smuggled": {"version": 99},
        }.items()
    ],
    *[
        (label, BODY_ROUTES[3], body)
        for label, body in {
            "pagerank-string": {"pagerank": "5"},
            "pagerank-float": {"pagerank": 5.0},
            "pagerank-bool": {"pagerank": True},
            "pagerank-negative": {"pagerank": -1},
            "pagerank-huge": {"pagerank": 10**30},
            "name-null": {"name": None},
            "name-half-mebibyte": {"name": "a" * (MIB // 2)},
            "tenant-smuggled": {"tenant_id": TENANT_B},
            "created-by-smuggled": {"created_by": TENANT_B},
            "id-smuggled": {"id": ABSENT},
            "counters-smuggled": {"document_count": 5},
            "update-time-smuggled": {"update_time": 0},
        }.items()
    ],
    *[
        (label, BODY_ROUTES[4], body)
        for label, body in {
            "ids-string": {"ids": "abc"},
            "ids-object": {"ids": {"$in": [ABSENT]}},
            "ids-int": {"ids": [1]},
            "ids-null-item": {"ids": [None]},
            "ids-duplicate": {"ids": [ABSENT, ABSENT.upper()]},
            "delete-all-string": {"delete_all": "true"},
            "delete-all-int": {"delete_all": 1},
            "tenant-smuggled": {"ids": [], "tenant_id": TENANT_B},
        }.items()
    ],
]


@pytest.mark.parametrize(("route", "body"), [pytest.param(r, b, id=f"{r.id}-{label}") for label, r, b in WRONG_FIELDS])
def test_wrong_types_unknown_fields_and_smuggled_fields_are_400_101(
    route: BodyRoute, body: Any, existing: Existing
) -> None:
    """Strict models: no coercion of numbers-as-strings or booleans-as-ints, no unknown field — in
    particular none that would pick a tenant, an id, a counter or a version — and values out of range.
    (Python's ``json.dumps`` writes NaN/Infinity as bare literals, which Python's parser accepts.)"""
    refused(route.function, route.event(existing, raw_body=json.dumps(body)), 400, 101)


@pytest.mark.parametrize("raw", ['{"name": "x", "pagerank": NaN}', '{"name": "x", "pagerank": 1e999}'])
def test_non_finite_numbers_are_400_101(raw: str, existing: Existing) -> None:
    refused("update_dataset", route_event("update_datasets_current", raw_body=raw, dataset_id=existing.mine), 400, 101)


UNSTORABLE_NUMBERS = {
    "39-significant-digits": 123456789012345678901234567890123456789,
    "magnitude-1e126": 10**126,
    "magnitude-1e130": 10**130,
}
"""DynamoDB numbers hold at most 38 significant digits and magnitudes below 1e126: anything else is a
``ValidationException``, which reaches the client as 500 (or as 503 if the error looks transient)."""


@pytest.mark.parametrize("number", list(UNSTORABLE_NUMBERS.values()), ids=list(UNSTORABLE_NUMBERS))
@pytest.mark.parametrize(
    "parser_config",
    [
        lambda n: {"task_page_size": n},
        lambda n: {"image_context_size": n},
        lambda n: {"table_context_size": n},
        lambda n: {"raptor": {"random_seed": n}},
        lambda n: {"pages": [[1, n]]},
    ],
    ids=["task_page_size", "image_context_size", "table_context_size", "raptor.random_seed", "pages"],
)
def test_a_number_dynamodb_cannot_store_is_400_101(
    parser_config: Callable[[int], dict[str, Any]], number: int, existing: Existing
) -> None:
    """Bad input is never a 5xx, and a number the database cannot hold must not be accepted either."""
    body = {"name": "big", "parser_config": parser_config(number)}
    refused("create_dataset", route_event("create_datasets", raw_body=json.dumps(body)), 400, 101)


# ---- names: rules, lookalikes and injection strings --------------------------------------------------------

SEED_NAME_ERRORS = {
    "nul": "a\x00b",
    "newline-inside": "k\nb",
    "tab-inside": "k\tb",
    "escape-sequence": "\x1b[2J",
    "cyrillic-a": "kb\u0430",
    "fullwidth": "\uff4b\uff42",
    "kelvin-sign": "\u212ab",
    "zero-width-space": "k\u200bb",
    "right-to-left-override": "a\u202eb",
    "sql-injection": "' OR 1=1 --",
    "expression-name-placeholder": "#name",
    "expression-value-placeholder": ":val",
    "expression-function": "attribute_exists(pk)",
    "path-traversal": "../../etc/passwd",
    "sort-key-prefix": "NAME#kb1",
    "length-1024": "a" * 1024,
    "length-half-mebibyte": "a" * (MIB // 2),
    "empty": "",
    "spaces-only": "   ",
}


@pytest.mark.parametrize("name", list(SEED_NAME_ERRORS.values()), ids=list(SEED_NAME_ERRORS))
@pytest.mark.parametrize("route", SEED_BODY, ids=_route_id)
def test_the_seed_api_refuses_names_outside_its_rules_with_400_102(
    route: BodyRoute, name: str, existing: Existing
) -> None:
    """§3: only ``a-z A-Z 0-9 _ - .``, under 1024 characters, not empty — so every lookalike, control
    character and bit of query syntax is refused, on create and on rename alike."""
    key = "dataset_name" if route.id == "seed-create" else "name"
    refused(route.function, route.event(existing, raw_body=json.dumps({key: name})), 400, 102)


INJECTION_NAMES = {
    "sql-injection": "' OR 1=1 --",
    "sql-drop": "x'); DROP TABLE datasets; --",
    "expression-name-placeholder": "#name",
    "expression-value-placeholder": ":val",
    "expression-function": "attribute_exists(pk)",
    "expression-update": "SET dataset_count = :zero",
    "sort-key-of-a-dataset": "DATASET#" + ABSENT,
    "sort-key-of-the-counter": "META",
    "partition-of-another-tenant": f"TENANT#{TENANT_B}",
    "nosql-operator": '{"$ne": null}',
    "path-traversal": "../../etc/passwd",
    "percent-encoded": "%2e%2e%2f",
    "html": "<script>alert(1)</script>",
    "emoji-32": "\U0001f600" * 32,  # 128 bytes: RAGFlow's limit of a new name is 128 UTF-8 bytes
    "nul": "a\x00b",  # control characters too are plain text to RAGFlow (it strips only the surrounding ones)
    "newline": "a\nb",
    "escape-sequence": "\x1b[31mred",
    "c1-control": "a\x9bb",
    "del": "a\x7fb",
}


@pytest.mark.parametrize("name", list(INJECTION_NAMES.values()), ids=list(INJECTION_NAMES))
def test_syntax_in_a_current_api_name_is_stored_as_plain_text(name: str, existing: Existing) -> None:
    """The current API allows any printable name (RAGFlow does): query or expression syntax in it is
    data, not code. Exactly one dataset is added, under exactly that name, and it is found by that
    name and by nothing else; the other tenant's partition and the counter are untouched."""
    before = {item["sk"]["S"] for item in scan() if item["pk"]["S"] == f"TENANT#{TENANT_B}"}
    reply = invoke("create_dataset", route_event("create_datasets", body={"name": name}))
    assert_envelope(reply)
    assert (reply.status, reply.body["data"]["name"]) == (200, name)
    assert stored.dataset_count(TENANT_A) == 2
    found = invoke("list_datasets", route_event("list_datasets_current", query={"name": name}))
    assert [d["id"] for d in found.body["data"]] == [reply.body["data"]["id"]]
    assert {item["sk"]["S"] for item in scan() if item["pk"]["S"] == f"TENANT#{TENANT_B}"} == before
    assert stored.dataset_count(TENANT_B) == 1


LOOKALIKES = {
    "cyrillic-a": ("data", "d\u0430t\u0430"),
    "cyrillic-k": ("kb1", "\u043ab1"),
    "fullwidth": ("kb1", "\uff4b\uff42\uff11"),
    "mathematical-bold": ("kb1", "\U0001d424\U0001d41b1"),
    "zero-width-space": ("kb1", "k\u200bb1"),
    "combining-acute": ("kb1", "kb1\u0301"),
}
"""(a Latin name, a name that renders like it but is made of other characters)"""


@pytest.mark.parametrize(("original", "lookalike"), list(LOOKALIKES.values()), ids=list(LOOKALIKES))
def test_a_lookalike_of_an_existing_name_is_another_name_in_the_current_api(
    original: str, lookalike: str, existing: Existing
) -> None:
    """Uniqueness is case-insensitive (docs/COMPATIBILITY.md) and nothing more: a Cyrillic or fullwidth letter is
    a different letter, not a case of a Latin one. So a lookalike is a new dataset under its own name —
    not auto-renamed to ``kb1(1)``, not a 409 — the original is left alone, and the lookalike's own
    case variants are then taken (409 on a rename to its upper case)."""
    if original != "kb1":
        assert invoke("create_dataset", route_event("create_datasets", body={"name": original})).status == 200
    reply = invoke("create_dataset", route_event("create_datasets", body={"name": lookalike}))
    assert (reply.status, reply.body["data"]["name"]) == (200, lookalike)
    listed = invoke("list_datasets", route_event("list_datasets_current")).body["data"]
    assert sorted(d["name"] for d in listed) == sorted({"kb1", original, lookalike})
    rename = route_event("update_datasets_current", body={"name": lookalike.upper()}, dataset_id=existing.mine)
    refused("update_dataset", rename, 409, 102)


def test_a_case_variant_through_unicode_case_mapping_is_the_same_name(existing: Existing) -> None:
    """The KELVIN SIGN lower-cases to a Latin ``k``: Unicode calls it a case variant, so renaming another
    dataset to ``\u212ab1`` collides with ``kb1`` (409, nothing changed) like ``KB1`` would."""
    other = invoke("create_dataset", route_event("create_datasets", body={"name": "other"}))
    refused(
        "update_dataset",
        route_event("update_datasets_current", body={"name": "\u212ab1"}, dataset_id=other.body["data"]["id"]),
        409,
        102,
    )


def test_duplicate_keys_in_a_body_never_write_more_than_one_dataset(existing: Existing) -> None:
    """JSON leaves duplicate keys to the parser; ours keeps the last one, and the size/content-type checks
    and the model see the same parse, so a body cannot smuggle a second name past the rules."""
    raw = '{"dataset_name": "first", "dataset_name": "../bad"}'
    refused("create_dataset", route_event("create_dataset", raw_body=raw), 400, 102)
    reply = invoke(
        "create_dataset", route_event("create_dataset", raw_body='{"dataset_name": "x1", "dataset_name": "x2"}')
    )
    assert (reply.status, reply.body["data"]["dataset_name"]) == (200, "x2")
    assert stored.dataset_count(TENANT_A) == 2


# ---- ids in paths and bodies -------------------------------------------------------------------------------

BAD_IDS = {
    "sql-injection": "' OR 1=1 --",
    "expression-value-placeholder": ":val",
    "expression-function": "attribute_exists(pk)",
    "counter-sort-key": "META",
    "dot-dot": "..",
    "percent-encoded-dots": "%2e%2e",
    "percent-encoded-traversal": "%2e%2e%2f%2e%2e%2fetc",
    "31-hex": ABSENT[:31],
    "33-hex": ABSENT + "0",
    "not-hex": "g" * 32,
    "wildcard": "*",
    "very-long": "a" * 100_000,
    # API Gateway never routes a slash into {dataset_id}; in an event, it is refused like any other non-id.
    "traversal": "../../etc/passwd",
    "traversal-between-ids": f"{ABSENT}/../{ABSENT}",
    "form-feed": "a\x0cb",
    "nul-in-id": ABSENT[:16] + "\x00" + ABSENT[17:],
    "nul-only": "\x00" * 32,
    "expression-name-placeholder": "#name",
    "sort-key-prefix": "DATASET#" + ABSENT,
    "emoji": "\U0001f600" * 32,
    "trailing-newline": ABSENT + "\n",
}
"""Ids that reach the handler (API Gateway routes on the resource and passes ``pathParameters`` decoded)
and are refused there: 400/101."""
PATH_ROUTES = {
    "seed-get": ("get_dataset", "get_dataset"),
    "current-get": ("get_dataset", "get_datasets_current"),
    "seed-update": ("update_dataset", "update_dataset"),
    "current-update": ("update_dataset", "update_datasets_current"),
    "seed-delete": ("delete_dataset", "delete_dataset"),
}


def _path_event(event_name: str, dataset_id: str) -> dict[str, Any]:
    body = {"description": "changed"} if "update" in event_name else ...
    return route_event(event_name, dataset_id=dataset_id, body=body)


@pytest.mark.parametrize("dataset_id", list(BAD_IDS.values()), ids=list(BAD_IDS))
@pytest.mark.parametrize("route", list(PATH_ROUTES.values()), ids=list(PATH_ROUTES))
def test_a_malformed_path_id_is_400_101_and_writes_nothing(
    route: tuple[str, str], dataset_id: str, existing: Existing
) -> None:
    """An id is a UUID or nothing: query syntax, dot-segments, encoded traversal and wrong lengths never
    reach a key. The RESTful get checks no id (RAGFlow v0.27: api/apps/services/dataset_api_service.py:
    get_dataset): what is no dataset of the caller's lacks permission, 404/102."""
    status, code = (404, 102) if route == PATH_ROUTES["current-get"] else (400, 101)
    refused(route[0], _path_event(route[1], dataset_id), status, code)


ABSENT_CODES = {"seed-get": 102, "current-get": 102, "seed-update": 103, "current-update": 102, "seed-delete": 103}


@pytest.mark.parametrize("whose", ["absent", "other-tenant"])
@pytest.mark.parametrize("route_id", list(PATH_ROUTES))
def test_an_absent_or_foreign_id_is_404_and_indistinguishable(route_id: str, whose: str, existing: Existing) -> None:
    """Another tenant's real id gets exactly the answer of an id that never existed (§2)."""
    function, event_name = PATH_ROUTES[route_id]
    reply = refused(
        function,
        _path_event(event_name, existing.theirs if whose == "other-tenant" else ABSENT),
        404,
        ABSENT_CODES[route_id],
    )
    absent_reply = invoke(function, _path_event(event_name, ABSENT))
    target = existing.theirs if whose == "other-tenant" else ABSENT
    assert reply.raw.replace(target, "<id>") == absent_reply.raw.replace(ABSENT, "<id>")


BODY_BAD_IDS = BAD_IDS


@pytest.mark.parametrize("dataset_id", list(BODY_BAD_IDS.values()), ids=list(BODY_BAD_IDS))
def test_a_malformed_id_in_a_bulk_delete_is_400_101_and_deletes_nothing(dataset_id: str, existing: Existing) -> None:
    """All-or-nothing: one bad id next to a good one and nothing is deleted."""
    body = {"ids": [existing.mine, dataset_id]}
    refused("delete_dataset", route_event("delete_datasets", body=body), 400, 101)


@pytest.mark.parametrize("whose", ["absent", "other-tenant"])
def test_an_absent_or_foreign_id_in_a_bulk_delete_is_404_102_and_deletes_nothing(
    whose: str, existing: Existing
) -> None:
    body = {"ids": [existing.mine, existing.theirs if whose == "other-tenant" else ABSENT]}
    refused("delete_dataset", route_event("delete_datasets", body=body), 404, 102)


LOOKALIKE_IDS: dict[str, Callable[[str], str]] = {
    "fullwidth-digit": lambda i: "\uff10" + i[1:],
    "leading-plus": lambda i: "+" + i[1:],
    "leading-space": lambda i: " " + i[1:],
    "arabic-indic-digit": lambda i: "\u0660" + i[1:],
}


@pytest.mark.parametrize("spelling", list(LOOKALIKE_IDS.values()), ids=list(LOOKALIKE_IDS))
@pytest.mark.parametrize("route", ["seed-get", "current-get"])
def test_a_lookalike_spelling_of_a_real_id_is_400_101(
    route: str, spelling: Callable[[str], str], existing: Existing
) -> None:
    """§3: ids are 32 hex characters (hyphens and braces are standard UUID spellings). A fullwidth or
    Arabic-Indic digit, a sign or a space is not a hex digit, and such an id must not resolve to a
    dataset whose id merely has the same numeric value. (RAGFlow's own uuid.UUID() check shares the hole.)"""
    mine = existing.mine
    if not mine.startswith("0"):
        pytest.skip("the spellings replace a leading 0")
    function, event_name = PATH_ROUTES[route]
    status, code = (404, 102) if route == "current-get" else (400, 101)  # the RESTful get checks no id
    refused(function, _path_event(event_name, spelling(mine)), status, code)


# ---- query strings ---------------------------------------------------------------------------------------


def _list(generation: str, query: dict[str, list[str]]) -> dict[str, Any]:
    event = route_event("list_datasets" if generation == "seed" else "list_datasets_current")
    event["queryStringParameters"] = {k: v[-1] for k, v in query.items()} or None
    event["multiValueQueryStringParameters"] = query or None
    return event


BAD_QUERIES: dict[str, tuple[str, dict[str, list[str]]]] = {
    "seed-offset-negative": ("seed", {"offset": ["-1"]}),
    "seed-offset-float": ("seed", {"offset": ["1.5"]}),
    "seed-offset-exponent": ("seed", {"offset": ["1e3"]}),
    "seed-offset-hex": ("seed", {"offset": ["0x10"]}),
    "seed-offset-bool": ("seed", {"offset": ["true"]}),
    "seed-offset-nan": ("seed", {"offset": ["NaN"]}),
    "seed-offset-infinity": ("seed", {"offset": ["Infinity"]}),
    "seed-offset-empty": ("seed", {"offset": [""]}),
    "seed-offset-fullwidth-digit": ("seed", {"offset": ["\uff11"]}),
    "seed-count-minus-two": ("seed", {"count": ["-2"]}),
    "seed-count-float": ("seed", {"count": ["2.5"]}),
    "seed-desc-not-bool": ("seed", {"desc": ["maybe"]}),
    "seed-desc-two": ("seed", {"desc": ["2"]}),
    "seed-orderby-unknown": ("seed", {"orderby": ["name"]}),
    "seed-orderby-injection": ("seed", {"orderby": ["create_time; DROP TABLE datasets"]}),
    "seed-orderby-upper-case": ("seed", {"orderby": ["CREATE_TIME"]}),
    "seed-unknown-tenant": ("seed", {"tenant_id": [TENANT_B]}),
    "seed-unknown-key": ("seed", {"pk": [f"TENANT#{TENANT_B}"]}),
    "seed-current-param": ("seed", {"page": ["1"]}),
    "current-page-zero": ("current", {"page": ["0"]}),
    "current-page-negative": ("current", {"page": ["-1"]}),
    "current-page-float": ("current", {"page": ["1.5"]}),
    "current-page-huge-float": ("current", {"page": ["1e30"]}),
    "current-page-size-zero": ("current", {"page_size": ["0"]}),
    "current-page-size-negative": ("current", {"page_size": ["-5"]}),
    "current-page-size-101": ("current", {"page_size": ["101"]}),
    "current-page-size-1e30": ("current", {"page_size": [str(10**30)]}),
    "current-page-size-float": ("current", {"page_size": ["10.5"]}),
    "current-desc-not-bool": ("current", {"desc": ["perhaps"]}),
    "current-orderby-unknown": ("current", {"orderby": ["pk"]}),
    "current-unknown-tenant": ("current", {"tenant_id": [TENANT_B]}),
    "current-unknown-exclusive-start-key": ("current", {"ExclusiveStartKey": ["x"]}),
    "current-seed-param": ("current", {"offset": ["0"]}),
    "current-id-sql": ("current", {"id": ["' OR 1=1 --"]}),
    "current-id-expression": ("current", {"id": ["attribute_exists(pk)"]}),
    "current-id-empty": ("current", {"id": [""]}),
    "current-id-nul": ("current", {"id": ["\x00" * 32]}),
    "current-ids-sql": ("current", {"ids": [f"{ABSENT},' OR 1=1 --"]}),
    "current-ids-placeholder": ("current", {"ids": [":val"]}),
    "current-ids-duplicate": ("current", {"ids": [ABSENT, ABSENT]}),
    "current-page-token-garbage": ("current", {"page_token": ["garbage"]}),
    "current-page-token-non-ascii": ("current", {"page_token": ["\u00e9.\u00e9"]}),
    "current-page-token-three-parts": ("current", {"page_token": ["a.b.c"]}),
    "current-page-token-too-long": ("current", {"page_token": ["a" * 1025]}),
    "current-page-token-with-page": ("current", {"page_token": ["a.b"], "page": ["2"]}),
}


@pytest.mark.parametrize(("generation", "query"), list(BAD_QUERIES.values()), ids=list(BAD_QUERIES))
def test_a_bad_query_value_is_400_101(generation: str, query: dict[str, list[str]], existing: Existing) -> None:
    """Negative, fractional, non-numeric, non-boolean, unknown or injected query values: 400/101
    naming the problem, never a coerced guess."""
    refused("list_datasets", _list(generation, query), 400, 101)


@pytest.mark.parametrize(
    "name", ["' OR 1=1 --", "#name", ":val", "attribute_exists(pk)", "a\x00b", "NAME#kb1", "theirs", "KB1\u0430"]
)
def test_a_name_filter_matching_nothing_of_the_callers_is_404_102(name: str, existing: Existing) -> None:
    """The name filter is an exact (case-insensitive) lookup: syntax matches nothing, and another
    tenant's name is as absent as a name that never existed."""
    reply = refused("list_datasets", _list("current", {"name": [name]}), 404, 102)
    assert existing.theirs not in reply.raw


def test_more_than_one_hundred_ids_in_a_list_query_is_400_101(existing: Existing) -> None:
    refused("list_datasets", _list("current", {"ids": [",".join(f"{n:032x}" for n in range(101))]}), 400, 101)


HUGE = str(10**30)


@pytest.mark.parametrize(
    ("generation", "query", "expected"),
    [
        ("seed", {"offset": [HUGE]}, []),
        ("seed", {"count": [HUGE]}, ["kb1"]),
        ("seed", {"offset": [HUGE], "count": [HUGE]}, []),
        ("seed", {"count": ["0"]}, []),
        ("current", {"page": [HUGE]}, []),
        ("current", {"page": [HUGE], "page_size": ["100"]}, []),
    ],
    ids=[
        "seed-offset-1e30",
        "seed-count-1e30",
        "seed-both-1e30",
        "seed-count-0",
        "current-page-1e30",
        "current-page-1e30-size-100",
    ],
)
def test_huge_offsets_and_counts_are_an_ordinary_page(
    generation: str, query: dict[str, list[str]], expected: list[str], existing: Existing
) -> None:
    """§3: an offset past the end is an empty list, a count over the data is all of it (at most 1000):
    10**30 is neither an overflow nor a scan of 10**30 items."""
    reply = invoke("list_datasets", _list(generation, query))
    assert_envelope(reply)
    assert (reply.status, reply.body["code"]) == (200, 0)
    assert [d["name"] for d in reply.body["data"]] == expected
    if generation == "current":
        assert reply.body["total_datasets"] == 1


# ---- no tenant, no service ------------------------------------------------------------------------------

PATH_EVENTS = {event_name for _, event_name in PATH_ROUTES.values()}
ALL_ROUTES = [
    ("create_dataset", "create_dataset"),
    ("create_dataset", "create_datasets"),
    ("list_datasets", "list_datasets"),
    ("list_datasets", "list_datasets_current"),
    ("get_dataset", "get_dataset"),
    ("get_dataset", "get_datasets_current"),
    ("update_dataset", "update_dataset"),
    ("update_dataset", "update_datasets_current"),
    ("delete_dataset", "delete_dataset"),
    ("delete_dataset", "delete_datasets"),
]


@pytest.mark.parametrize("context", [None, {}, {"tenant_id": ""}, {"principalId": TENANT_A}])
@pytest.mark.parametrize(("function", "event_name"), ALL_ROUTES, ids=[e for _, e in ALL_ROUTES])
def test_a_request_without_a_tenant_from_the_authorizer_is_401_401(
    function: str, event_name: str, context: dict[str, str] | None, existing: Existing
) -> None:
    """Only the authorizer's ``tenant_id`` names the tenant; without it nothing is read or written."""
    event = route_event(event_name, dataset_id=existing.mine if event_name in PATH_EVENTS else None)
    if context is None:
        event["requestContext"].pop("authorizer")
    else:
        event["requestContext"]["authorizer"] = context
    refused(function, event, 401, 401)


# ---- the authorizer --------------------------------------------------------------------------------------

HOSTILE_HEADERS = {
    "nul-inside": DEV_KEY[:20] + "\x00" + DEV_KEY[20:],
    "nul-after": DEV_KEY + "\x00",
    "cyrillic-a-in-prefix": "r\u0430gflow-" + DEV_KEY.removeprefix("ragflow-"),
    "fullwidth-digit-in-key": DEV_KEY[:-1] + "\uff10",
    "upper-case-prefix": DEV_KEY.replace("ragflow-", "RAGFLOW-"),
    "tab-after-bearer": "Bearer\t" + DEV_KEY,
    "bearer-twice": "Bearer Bearer " + DEV_KEY,
    "two-keys": DEV_KEY + "," + DEV_KEY,
    "one-mebibyte": "Bearer ragflow-" + "a" * MIB,
    "sql-injection": "Bearer ' OR 1=1 --",
    "expression": "Bearer attribute_exists(pk)",
    "sort-key": "APIKEY#" + "0" * 64,
}


@pytest.mark.parametrize("header", list(HOSTILE_HEADERS.values()), ids=list(HOSTILE_HEADERS))
def test_the_authorizer_denies_hostile_headers_without_reading_the_table(header: str, existing: Existing) -> None:
    """A header that is not exactly ``[Bearer ]ragflow-<32..128 URL-safe characters>`` is denied with the
    bare ``Unauthorized`` API Gateway turns into its 401, before any DynamoDB call: lookalikes, NULs,
    injected syntax and a mebibyte of key cost nothing and match no key."""
    api_keys.create_key(TENANT_A, "dev", key=DEV_KEY)
    calls: list[str] = []
    storage.client().meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    event = load_event("authorizer_bearer") | {"authorizationToken": header}
    with pytest.raises(Exception) as raised:  # noqa: PT011 - API Gateway needs exactly this bare Exception
        function("authorizer").lambda_handler(event, LambdaContext(function_name="authorizer"))
    storage.reset_client()
    assert (type(raised.value), str(raised.value)) == (Exception, "Unauthorized")
    assert calls == []

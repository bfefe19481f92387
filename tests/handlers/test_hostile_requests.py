"""Hostile requests through the real handlers: every one is answered in the envelope, never with a 5xx.

Requests a careless or malicious client can send — broken, absurd or tricky JSON, bodies of the wrong type,
encoding or size, names and ids built to look like something else or to smuggle syntax, numbers no field can
hold, unknown query parameters — each with the status and ``code`` the contract (README,
docs/COMPATIBILITY.md) gives it. For each: the status is below 500, the body is ``{"code": int, "message": str,
"data": ...}``, and a refused request wrote nothing (the whole table is compared before and after).

The checks every route shares are pure functions, tested one row per input in ``tests/unit`` (``test_request``:
body, content type, size, encoding, query repeats, tenant; ``test_ids``: ids; ``test_names``: the legacy name
rules). Here, one case per route and kind of input proves the route applies them; what depends on the route or
the storage (its models, ids that exist or belong to another tenant, names stored as plain text, lookalikes,
unstorable numbers, listings) is tested here, as tables where the cases are a table.
"""

from __future__ import annotations

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
from dataset_core.errors import AUTH_MESSAGE
from dataset_core.http.request import MALFORMED_JSON
from dataset_core.names import LEGACY_MAX_NAME_LENGTH
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
    """A real status below 500 and ``{"code": int, "message": str, "data": ...}``, nothing internal."""
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
    valid_body: dict[str, Any]
    """A body the route serves (200/0)."""
    on_dataset: bool = False

    def event(self, existing: Existing, **kwargs: Any) -> dict[str, Any]:
        if self.on_dataset:
            kwargs["dataset_id"] = existing.mine
        return route_event(self.event_name, **kwargs)


BODY_ROUTES = [
    BodyRoute("legacy-create", "create_dataset", "create_dataset_legacy", {"dataset_name": "upper"}),
    BodyRoute("restful-create", "create_dataset", "create_dataset_restful", {"name": "upper"}),
    BodyRoute("legacy-update", "update_dataset", "update_dataset_legacy", {"name": "upper"}, on_dataset=True),
    BodyRoute("restful-update", "update_dataset", "update_dataset_restful", {"name": "upper"}, on_dataset=True),
    BodyRoute("restful-bulk-delete", "delete_dataset", "delete_dataset_restful", {"ids": []}),
]
LEGACY_BODY = [r for r in BODY_ROUTES if r.id.startswith("legacy")]


def _route_id(route: BodyRoute) -> str:
    return route.id


def _nested(depth: int, kind: str) -> str:
    return ('{"a":' * depth + "1" + "}" * depth) if kind == "object" else ("[" * depth + "]" * depth)


# ---- the request prechecks, on every body route ------------------------------------------------------------


def _oversized() -> str:
    raw = '{"name": "' + "a" * (MIB + 1 - 12) + '"}'
    assert len(raw) > MIB
    return raw


UNSUPPORTED = "Unsupported content type: Expected application/json, got "
PRECHECKS: dict[str, tuple[dict[str, Any], int, str]] = {
    "malformed-json": ({"body": "{"}, 400, MALFORMED_JSON),
    "not-an-object": ({"body": "[1]"}, 400, "Invalid request payload: expected object, got list"),
    "too-large": ({"body": _oversized()}, 413, f"Request body too large: the limit is {MIB} bytes"),
    "bad-base64": ({"body": "!!!not base64!!!", "isBase64Encoded": True}, 400, MALFORMED_JSON),
    "wrong-content-type": (
        {"headers": {"Content-Type": "text/plain"}, "multiValueHeaders": {"Content-Type": ["text/plain"]}},
        415,
        UNSUPPORTED + "text/plain",
    ),
    "no-headers": ({"headers": None, "multiValueHeaders": None}, 415, UNSUPPORTED + "None"),
}
"""One input of each kind ``request.json_object`` refuses (every input: ``tests/unit/test_request.py``), with the
status and message the client gets; the code is 101. API Gateway sends ``headers: null`` when there are none."""
FALSY_ANSWERS = {"create": (400, 101), "update": (400, 102), "delete": (200, 0)}
"""A falsy body (``null``, ``[]``, ``0`` ...) counts as ``{}`` (RAGFlow v0.27: api/utils/validation_utils.py:
validate_and_parse_json_request): a create misses its name, an update has nothing to change, a delete selects
nothing."""


@pytest.mark.parametrize("precheck", list(PRECHECKS), ids=list(PRECHECKS))
@pytest.mark.parametrize("route", BODY_ROUTES, ids=_route_id)
def test_each_body_route_refuses_what_the_prechecks_refuse_and_writes_nothing(
    route: BodyRoute, precheck: str, existing: Existing
) -> None:
    """Even when the body itself is a valid request: the check comes before any model."""
    changes, status, message = PRECHECKS[precheck]
    event = route.event(existing, body=route.valid_body) | changes
    reply = refused(route.function, event, status, 101)
    assert reply.body["message"] == message


@pytest.mark.parametrize("route", BODY_ROUTES, ids=_route_id)
def test_a_falsy_body_counts_as_an_empty_object_and_writes_nothing(route: BodyRoute, existing: Existing) -> None:
    status, code = FALSY_ANSWERS[route.function.split("_")[0]]
    if status != 200:
        refused(route.function, route.event(existing, raw_body="[]"), status, code)
        return
    before = scan()
    reply = invoke(route.function, route.event(existing, raw_body="[]"))
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


@pytest.mark.parametrize("route", BODY_ROUTES, ids=_route_id)
def test_a_json_content_type_in_upper_case_is_accepted(route: BodyRoute, existing: Existing) -> None:
    """``Application/JSON; charset=UTF-8`` is ``application/json``: the request is served like any other."""
    event = route.event(existing, body=route.valid_body, headers={"Content-Type": "Application/JSON; charset=UTF-8"})
    reply = invoke(route.function, event)
    assert_envelope(reply)
    assert (reply.status, reply.body["code"]) == (200, 0), reply.raw


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
    refused("update_dataset", route_event("update_dataset_restful", raw_body=raw, dataset_id=existing.mine), 400, 101)


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
    refused("create_dataset", route_event("create_dataset_restful", raw_body=json.dumps(body)), 400, 101)


# ---- names: rules, lookalikes and injection strings --------------------------------------------------------

LEGACY_NAME_RULES = {
    "charset": ("a\x00b", "Dataset name can only contain the characters a-z, A-Z, 0-9, '_', '-' and '.': 'a\\x00b'"),
    "empty": ("   ", "Empty dataset name"),
    "length": ("k" * (LEGACY_MAX_NAME_LENGTH + 1), f"Dataset name: {'k' * 1024} with length 1024 exceeds 1023!"),
}
"""One name against each rule of the legacy API (every rule and lookalike: ``tests/unit/test_names.py``)."""


@pytest.mark.parametrize(("name", "message"), list(LEGACY_NAME_RULES.values()), ids=list(LEGACY_NAME_RULES))
@pytest.mark.parametrize("route", LEGACY_BODY, ids=_route_id)
def test_the_legacy_api_refuses_names_outside_its_rules_with_400_102(
    route: BodyRoute, name: str, message: str, existing: Existing
) -> None:
    """Only ``a-z A-Z 0-9 _ - .``, under 1024 characters, not empty: on create and on rename alike."""
    key = "dataset_name" if route.id == "legacy-create" else "name"
    reply = refused(route.function, route.event(existing, raw_body=json.dumps({key: name})), 400, 102)
    assert reply.body["message"] == message


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
def test_syntax_in_a_restful_api_name_is_stored_as_plain_text(name: str, existing: Existing) -> None:
    """The RESTful API allows any printable name (RAGFlow does): query or expression syntax in it is
    data, not code. Exactly one dataset is added, under exactly that name, and it is found by that
    name and by nothing else; the other tenant's partition and the counter are untouched."""
    before = {item["sk"]["S"] for item in scan() if item["pk"]["S"] == f"TENANT#{TENANT_B}"}
    reply = invoke("create_dataset", route_event("create_dataset_restful", body={"name": name}))
    assert_envelope(reply)
    assert (reply.status, reply.body["data"]["name"]) == (200, name)
    assert stored.dataset_count(TENANT_A) == 2
    found = invoke("list_datasets", route_event("list_datasets_restful", query={"name": name}))
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
def test_a_lookalike_of_an_existing_name_is_another_name_in_the_restful_api(
    original: str, lookalike: str, existing: Existing
) -> None:
    """Uniqueness is case-insensitive (docs/COMPATIBILITY.md) and nothing more: a Cyrillic or fullwidth letter is
    a different letter, not a case of a Latin one. So a lookalike is a new dataset under its own name —
    not auto-renamed to ``kb1(1)``, not a 409 — the original is left alone, and the lookalike's own
    case variants are then taken (409 on a rename to its upper case)."""
    if original != "kb1":
        assert invoke("create_dataset", route_event("create_dataset_restful", body={"name": original})).status == 200
    reply = invoke("create_dataset", route_event("create_dataset_restful", body={"name": lookalike}))
    assert (reply.status, reply.body["data"]["name"]) == (200, lookalike)
    listed = invoke("list_datasets", route_event("list_datasets_restful")).body["data"]
    assert sorted(d["name"] for d in listed) == sorted({"kb1", original, lookalike})
    rename = route_event("update_dataset_restful", body={"name": lookalike.upper()}, dataset_id=existing.mine)
    refused("update_dataset", rename, 409, 102)


def test_a_case_variant_through_unicode_case_mapping_is_the_same_name(existing: Existing) -> None:
    """The KELVIN SIGN lower-cases to a Latin ``k``: Unicode calls it a case variant, so renaming another
    dataset to ``\u212ab1`` collides with ``kb1`` (409, nothing changed) like ``KB1`` would."""
    other = invoke("create_dataset", route_event("create_dataset_restful", body={"name": "other"}))
    refused(
        "update_dataset",
        route_event("update_dataset_restful", body={"name": "\u212ab1"}, dataset_id=other.body["data"]["id"]),
        409,
        102,
    )


def test_duplicate_keys_in_a_body_never_write_more_than_one_dataset(existing: Existing) -> None:
    """JSON leaves duplicate keys to the parser; ours keeps the last one, and the size/content-type checks
    and the model see the same parse, so a body cannot smuggle a second name past the rules."""
    raw = '{"dataset_name": "first", "dataset_name": "../bad"}'
    refused("create_dataset", route_event("create_dataset_legacy", raw_body=raw), 400, 102)
    reply = invoke(
        "create_dataset", route_event("create_dataset_legacy", raw_body='{"dataset_name": "x1", "dataset_name": "x2"}')
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
"""Ids no route may take, in a bulk delete's body (in a path, every one is a row of ``tests/unit/test_ids.py``)."""
PATH_ROUTES = {
    "legacy-get": ("get_dataset", "get_dataset_legacy"),
    "restful-get": ("get_dataset", "get_dataset_restful"),
    "legacy-update": ("update_dataset", "update_dataset_legacy"),
    "restful-update": ("update_dataset", "update_dataset_restful"),
    "legacy-delete": ("delete_dataset", "delete_dataset_legacy"),
}
KEY_SYNTAX_ID = "DATASET#" + ABSENT
LEGACY_INVALID_ID = f"Invalid dataset id '{KEY_SYNTAX_ID}': expected a UUID (32 hex characters)"
INVALID_ID_MESSAGES = {
    "legacy-get": LEGACY_INVALID_ID,
    "restful-get": f"User '{TENANT_A}' lacks permission for dataset '{KEY_SYNTAX_ID}'",
    "legacy-update": LEGACY_INVALID_ID,
    "restful-update": f"Field: <dataset_id> - Message: <Invalid UUID format> - Value: <{KEY_SYNTAX_ID}>",
    "legacy-delete": LEGACY_INVALID_ID,
}


def _path_event(event_name: str, dataset_id: str) -> dict[str, Any]:
    body = {"description": "changed"} if "update" in event_name else ...
    return route_event(event_name, dataset_id=dataset_id, body=body)


@pytest.mark.parametrize("route_id", list(PATH_ROUTES))
def test_a_malformed_path_id_is_400_101_and_writes_nothing(route_id: str, existing: Existing) -> None:
    """An id is a UUID or nothing: here, a sort key's syntax never reaches a key. API Gateway passes
    ``pathParameters`` decoded, so anything can arrive (every input: ``tests/unit/test_ids.py``). The RESTful get
    checks no id (RAGFlow v0.27: api/apps/services/dataset_api_service.py: get_dataset): what is no dataset of
    the caller's lacks permission, 404/102."""
    function, event_name = PATH_ROUTES[route_id]
    status, code = (404, 102) if route_id == "restful-get" else (400, 101)
    reply = refused(function, _path_event(event_name, KEY_SYNTAX_ID), status, code)
    assert reply.body["message"] == INVALID_ID_MESSAGES[route_id]


ABSENT_CODES = {
    "legacy-get": 102,
    "restful-get": 102,
    "legacy-update": 103,
    "restful-update": 102,
    "legacy-delete": 103,
}


@pytest.mark.parametrize("whose", ["absent", "other-tenant"])
@pytest.mark.parametrize("route_id", list(PATH_ROUTES))
def test_an_absent_or_foreign_id_is_404_and_indistinguishable(route_id: str, whose: str, existing: Existing) -> None:
    """Another tenant's real id gets exactly the answer of an id that never existed."""
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


@pytest.mark.parametrize("dataset_id", list(BAD_IDS.values()), ids=list(BAD_IDS))
def test_a_malformed_id_in_a_bulk_delete_is_400_101_and_deletes_nothing(dataset_id: str, existing: Existing) -> None:
    """All-or-nothing: one bad id next to a good one and nothing is deleted."""
    body = {"ids": [existing.mine, dataset_id]}
    refused("delete_dataset", route_event("delete_dataset_restful", body=body), 400, 101)


@pytest.mark.parametrize("whose", ["absent", "other-tenant"])
def test_an_absent_or_foreign_id_in_a_bulk_delete_is_404_102_and_deletes_nothing(
    whose: str, existing: Existing
) -> None:
    body = {"ids": [existing.mine, existing.theirs if whose == "other-tenant" else ABSENT]}
    refused("delete_dataset", route_event("delete_dataset_restful", body=body), 404, 102)


LOOKALIKE_IDS: dict[str, Callable[[str], str]] = {
    "fullwidth-digit": lambda i: "\uff10" + i[1:],
    "leading-plus": lambda i: "+" + i[1:],
    "leading-space": lambda i: " " + i[1:],
    "arabic-indic-digit": lambda i: "\u0660" + i[1:],
}


@pytest.mark.parametrize("spelling", list(LOOKALIKE_IDS.values()), ids=list(LOOKALIKE_IDS))
@pytest.mark.parametrize("route", ["legacy-get", "restful-get"])
def test_a_lookalike_spelling_of_a_real_id_is_400_101(
    route: str, spelling: Callable[[str], str], existing: Existing
) -> None:
    """Ids are 32 hex characters (the dashed UUID form is the one other spelling). A fullwidth or
    Arabic-Indic digit, a sign or a space is not a hex digit, and such an id must not resolve to a
    dataset whose id merely has the same numeric value. (RAGFlow's own uuid.UUID() check shares the hole.)"""
    mine = existing.mine
    assert mine.startswith("0")  # UUIDv7: a millisecond timestamp under 2**44 (until the year 2527)
    function, event_name = PATH_ROUTES[route]
    status, code = (404, 102) if route == "restful-get" else (400, 101)  # the RESTful get checks no id
    refused(function, _path_event(event_name, spelling(mine)), status, code)


# ---- query strings ---------------------------------------------------------------------------------------


def _list(generation: str, query: dict[str, list[str]]) -> dict[str, Any]:
    event = route_event("list_datasets_legacy" if generation == "legacy" else "list_datasets_restful")
    event["queryStringParameters"] = {k: v[-1] for k, v in query.items()} or None
    event["multiValueQueryStringParameters"] = query or None
    return event


BAD_QUERIES: dict[str, tuple[str, dict[str, list[str]]]] = {
    "legacy-offset-negative": ("legacy", {"offset": ["-1"]}),
    "legacy-offset-float": ("legacy", {"offset": ["1.5"]}),
    "legacy-offset-exponent": ("legacy", {"offset": ["1e3"]}),
    "legacy-offset-hex": ("legacy", {"offset": ["0x10"]}),
    "legacy-offset-bool": ("legacy", {"offset": ["true"]}),
    "legacy-offset-nan": ("legacy", {"offset": ["NaN"]}),
    "legacy-offset-infinity": ("legacy", {"offset": ["Infinity"]}),
    "legacy-offset-empty": ("legacy", {"offset": [""]}),
    "legacy-offset-fullwidth-digit": ("legacy", {"offset": ["\uff11"]}),
    "legacy-count-minus-two": ("legacy", {"count": ["-2"]}),
    "legacy-count-float": ("legacy", {"count": ["2.5"]}),
    "legacy-desc-not-bool": ("legacy", {"desc": ["maybe"]}),
    "legacy-desc-two": ("legacy", {"desc": ["2"]}),
    "legacy-orderby-unknown": ("legacy", {"orderby": ["name"]}),
    "legacy-orderby-injection": ("legacy", {"orderby": ["create_time; DROP TABLE datasets"]}),
    "legacy-orderby-upper-case": ("legacy", {"orderby": ["CREATE_TIME"]}),
    "legacy-unknown-tenant": ("legacy", {"tenant_id": [TENANT_B]}),
    "legacy-unknown-key": ("legacy", {"pk": [f"TENANT#{TENANT_B}"]}),
    "legacy-restful-param": ("legacy", {"page": ["1"]}),
    "restful-page-zero": ("restful", {"page": ["0"]}),
    "restful-page-negative": ("restful", {"page": ["-1"]}),
    "restful-page-float": ("restful", {"page": ["1.5"]}),
    "restful-page-huge-float": ("restful", {"page": ["1e30"]}),
    "restful-page-size-zero": ("restful", {"page_size": ["0"]}),
    "restful-page-size-negative": ("restful", {"page_size": ["-5"]}),
    "restful-page-size-101": ("restful", {"page_size": ["101"]}),
    "restful-page-size-1e30": ("restful", {"page_size": [str(10**30)]}),
    "restful-page-size-float": ("restful", {"page_size": ["10.5"]}),
    "restful-desc-not-bool": ("restful", {"desc": ["perhaps"]}),
    "restful-orderby-unknown": ("restful", {"orderby": ["pk"]}),
    "restful-unknown-tenant": ("restful", {"tenant_id": [TENANT_B]}),
    "restful-unknown-exclusive-start-key": ("restful", {"ExclusiveStartKey": ["x"]}),
    "restful-legacy-param": ("restful", {"offset": ["0"]}),
    "restful-id-sql": ("restful", {"id": ["' OR 1=1 --"]}),
    "restful-id-expression": ("restful", {"id": ["attribute_exists(pk)"]}),
    "restful-id-empty": ("restful", {"id": [""]}),
    "restful-id-nul": ("restful", {"id": ["\x00" * 32]}),
    "restful-ids-sql": ("restful", {"ids": [f"{ABSENT},' OR 1=1 --"]}),
    "restful-ids-placeholder": ("restful", {"ids": [":val"]}),
    "restful-ids-duplicate": ("restful", {"ids": [ABSENT, ABSENT]}),
    "restful-page-token-garbage": ("restful", {"page_token": ["garbage"]}),
    "restful-page-token-non-ascii": ("restful", {"page_token": ["\u00e9.\u00e9"]}),
    "restful-page-token-three-parts": ("restful", {"page_token": ["a.b.c"]}),
    "restful-page-token-too-long": ("restful", {"page_token": ["a" * 1025]}),
    "restful-page-token-with-page": ("restful", {"page_token": ["a.b"], "page": ["2"]}),
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
    reply = refused("list_datasets", _list("restful", {"name": [name]}), 404, 102)
    assert existing.theirs not in reply.raw


def test_more_than_one_hundred_ids_in_a_list_query_is_400_101(existing: Existing) -> None:
    refused("list_datasets", _list("restful", {"ids": [",".join(f"{n:032x}" for n in range(101))]}), 400, 101)


HUGE = str(10**30)


@pytest.mark.parametrize(
    ("generation", "query", "expected"),
    [
        ("legacy", {"offset": [HUGE]}, []),
        ("legacy", {"count": [HUGE]}, ["kb1"]),
        ("legacy", {"offset": [HUGE], "count": [HUGE]}, []),
        ("legacy", {"count": ["0"]}, []),
        ("restful", {"page": [HUGE]}, []),
        ("restful", {"page": [HUGE], "page_size": ["100"]}, []),
    ],
    ids=[
        "legacy-offset-1e30",
        "legacy-count-1e30",
        "legacy-both-1e30",
        "legacy-count-0",
        "restful-page-1e30",
        "restful-page-1e30-size-100",
    ],
)
def test_huge_offsets_and_counts_are_an_ordinary_page(
    generation: str, query: dict[str, list[str]], expected: list[str], existing: Existing
) -> None:
    """An offset past the end is an empty list, a count over the data is all of it (at most 1000):
    10**30 is neither an overflow nor a scan of 10**30 items."""
    reply = invoke("list_datasets", _list(generation, query))
    assert_envelope(reply)
    assert (reply.status, reply.body["code"]) == (200, 0)
    assert [d["name"] for d in reply.body["data"]] == expected
    if generation == "restful":
        assert reply.body["total_datasets"] == 1


# ---- no tenant, no service ------------------------------------------------------------------------------

PATH_EVENTS = {event_name for _, event_name in PATH_ROUTES.values()}
ALL_ROUTES = {
    "legacy-create": ("create_dataset", "create_dataset_legacy"),
    "restful-create": ("create_dataset", "create_dataset_restful"),
    "legacy-list": ("list_datasets", "list_datasets_legacy"),
    "restful-list": ("list_datasets", "list_datasets_restful"),
    "legacy-get": ("get_dataset", "get_dataset_legacy"),
    "restful-get": ("get_dataset", "get_dataset_restful"),
    "legacy-update": ("update_dataset", "update_dataset_legacy"),
    "restful-update": ("update_dataset", "update_dataset_restful"),
    "legacy-delete": ("delete_dataset", "delete_dataset_legacy"),
    "restful-bulk-delete": ("delete_dataset", "delete_dataset_restful"),
}


@pytest.mark.parametrize(("function", "event_name"), list(ALL_ROUTES.values()), ids=list(ALL_ROUTES))
def test_a_request_without_a_tenant_from_the_authorizer_is_401_401(
    function: str, event_name: str, existing: Existing
) -> None:
    """Only the authorizer's ``tenant_id`` names the tenant — not its ``principalId`` — and without it nothing is
    read or written (every context that lacks it: ``tests/unit/test_request.py``)."""
    event = route_event(event_name, dataset_id=existing.mine if event_name in PATH_EVENTS else None)
    event["requestContext"]["authorizer"] = {"principalId": TENANT_A}
    reply = refused(function, event, 401, 401)
    assert reply.body["message"] == AUTH_MESSAGE


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

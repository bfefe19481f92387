"""The legacy API (``/api/v1/dataset``) through the real handlers, fed the events/ files, on moto.

The checks every route shares before its models (body, content type, size, encoding, tenant) are pinned in
``tests/unit/test_request.py`` and, route by route, in ``tests/handlers/test_hostile_requests.py``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from conftest import TENANT_A, TENANT_B, counter, create, invoke, items, route_event, seed_datasets
from dataset_core.dataset import http_date
from dataset_core.storage import client as storage
from dataset_core.storage import datasets as stored

LEGACY_KEYS = {
    "avatar", "chunk_num", "create_date", "create_time", "created_by", "description", "doc_num", "embd_id", "id",
    "language", "name", "parser_config", "parser_id", "permission", "similarity_threshold", "status", "tenant_id",
    "token_num", "update_date", "update_time", "vector_similarity_weight",
}  # fmt: skip
HEX32 = re.compile(r"[0-9a-f]{32}")
ABSENT = "0193a1b2c3d47e8f9a0b1c2d3e4f5a6b"

pytestmark = pytest.mark.usefixtures("table")


def list_legacy(tenant: str = TENANT_A, **query: str) -> Any:
    return invoke("list_datasets", route_event("list_datasets_legacy", tenant=tenant, query=query))


# ---- create ---------------------------------------------------------------------------------------------


def test_create_answers_exactly_the_documented_body() -> None:
    reply = create("kb1")
    assert reply.status == 200
    dataset_id = reply.body["data"]["id"]
    assert HEX32.fullmatch(dataset_id)
    expected = {"code": 0, "data": {"dataset_id": dataset_id, "dataset_name": "kb1", "id": dataset_id}}
    expected["message"] = "success"
    assert reply.raw == json.dumps(expected, sort_keys=True, separators=(",", ":"))
    assert reply.headers["Content-Type"] == ["application/json"] or reply.headers["Content-Type"] == "application/json"


def test_ids_are_uuid7_and_time_ordered() -> None:
    ids = [create(f"kb{i}").body["data"]["id"] for i in range(5)]
    assert ids == sorted(ids)
    assert all(i[12] == "7" and i[16] in "89ab" for i in ids)  # version 7, RFC 9562 variant


def test_name_alias_from_ragflows_old_client_is_accepted() -> None:
    reply = invoke("create_dataset", route_event("create_dataset_legacy", body={"name": "old_client"}))
    assert (reply.status, reply.body["data"]["dataset_name"]) == (200, "old_client")
    same = invoke("create_dataset", route_event("create_dataset_legacy", body={"name": "both", "dataset_name": "both"}))
    assert same.status == 200


def test_surrounding_whitespace_is_stripped_from_names() -> None:
    reply = create("  spaced.name-1_x \t")
    assert reply.body["data"]["dataset_name"] == "spaced.name-1_x"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"dataset_name": ""}, "Empty dataset name"),
        ({"dataset_name": "   "}, "Empty dataset name"),
        ({"name": "\n"}, "Empty dataset name"),
        ({"dataset_name": "k" * 1024}, f"Dataset name: {'k' * 1024} with length 1024 exceeds 1023!"),
    ],
)
def test_name_rules_answer_400_102_with_ragflows_message(body: dict[str, str], message: str) -> None:
    reply = invoke("create_dataset", route_event("create_dataset_legacy", body=body))
    assert (reply.status, reply.body) == (400, {"code": 102, "message": message, "data": None})


@pytest.mark.parametrize("name", ["k b", "kb/1", "kb\x00", "réseau", "kb;drop", "kb(1)", "\uff4b\uff42"])
def test_names_outside_the_legacy_charset_are_refused_naming_the_allowed_set(name: str) -> None:
    reply = invoke("create_dataset", route_event("create_dataset_legacy", body={"dataset_name": name}))
    assert (reply.status, reply.body["code"]) == (400, 102)
    assert "a-z, A-Z, 0-9, '_', '-' and '.'" in reply.body["message"]


def test_longest_allowed_name_is_stored_and_locked() -> None:
    reply = create("k" * 1023)
    assert reply.status == 200
    again = create("K" * 1023)
    assert (again.status, again.body["code"]) == (409, 102)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "dataset_name is required"),
        ({"dataset_name": "kb", "extra": 1}, "Field: <extra> - Message: <Extra inputs are not permitted>"),
        ({"dataset_name": 5}, "Field: <dataset_name> - Message: <Input should be a valid string>"),
        ({"dataset_name": ["kb"]}, "Field: <dataset_name> - Message: <Input should be a valid string>"),
        ({"dataset_name": None}, "dataset_name is required"),
        ({"dataset_name": "a", "name": "b"}, "dataset_name and name differ"),
    ],
)
def test_bad_create_bodies_answer_400_101_naming_the_problem(body: dict[str, Any], field: str) -> None:
    reply = invoke("create_dataset", route_event("create_dataset_legacy", body=body))
    assert (reply.status, reply.body["code"], reply.body["data"]) == (400, 101, None)
    assert field in reply.body["message"]


def test_duplicate_name_is_rejected_case_insensitively_with_409() -> None:
    assert create("Reports").status == 200
    reply = create("reports")
    assert (reply.status, reply.body) == (
        409,
        {"code": 102, "message": "Dataset name 'reports' already exists", "data": None},
    )


def test_create_writes_dataset_lock_and_counter_together(table: Any) -> None:
    dataset_id = create("kb1").body["data"]["id"]
    (lock,) = items(table, TENANT_A, "NAME#")
    assert lock["sk"]["S"] == "NAME#kb1"
    assert lock["dataset_id"]["S"] == dataset_id
    assert counter(table, TENANT_A) == 1


def test_quota_is_enforced_with_the_counter(monkeypatch: pytest.MonkeyPatch, table: Any) -> None:
    from dataset_core import config

    monkeypatch.setenv("DATASET_QUOTA", "2")
    config.settings.cache_clear()
    try:
        assert create("q1").status == 200
        assert create("q2").status == 200
        reply = create("q3")
        assert (reply.status, reply.body["code"]) == (409, 102)
        assert "at most 2 datasets" in reply.body["message"]
        assert counter(table, TENANT_A) == 2
        assert len(items(table, TENANT_A, "DATASET#")) == 2
        assert len(items(table, TENANT_A, "NAME#")) == 2
    finally:
        monkeypatch.delenv("DATASET_QUOTA")
        config.settings.cache_clear()


# ---- list -----------------------------------------------------------------------------------------------


def test_list_returns_legacy_objects_with_exactly_the_21_documented_keys_and_defaults() -> None:
    dataset_id = create("kb1").body["data"]["id"]
    reply = list_legacy()
    assert (reply.status, reply.body["code"], reply.body["message"]) == (200, 0, "success")
    (ds,) = reply.body["data"]
    assert set(ds) == LEGACY_KEYS
    assert ds == {
        "avatar": None,
        "chunk_num": 0,
        "create_date": http_date(ds["create_time"]),
        "create_time": ds["create_time"],
        "created_by": TENANT_A,
        "description": None,
        "doc_num": 0,
        "embd_id": "BAAI/bge-small-en-v1.5@Builtin",  # DEFAULT_EMBEDDING_MODEL's default
        "id": dataset_id,
        "language": "English",
        "name": "kb1",
        "parser_config": {"pages": [[1, 1000000]]},
        "parser_id": "naive",
        "permission": "me",
        "similarity_threshold": 0.2,
        "status": "1",
        "tenant_id": TENANT_A,
        "token_num": 0,
        "update_date": http_date(ds["update_time"]),
        "update_time": ds["create_time"],
        "vector_similarity_weight": 0.3,
    }
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", ds["create_date"])
    assert ds["create_time"] > 1_700_000_000_000  # epoch milliseconds


def test_a_legacy_dataset_gets_the_default_embedding_model_that_both_apis_take_back() -> None:
    """One setting, DEFAULT_EMBEDDING_MODEL, gives both generations' new datasets their model (the legacy reference
    shows ``BAAI/bge-large-zh-v1.5``, its server's configuration of the time). Being one of EMBEDDING_MODELS, in
    the ``<model_name>@<provider>`` form, it is taken back by either API's update."""
    dataset_id = create("kb1").body["data"]["id"]
    model = list_legacy().body["data"][0]["embd_id"]
    assert model == "BAAI/bge-small-en-v1.5@Builtin"
    legacy_put = invoke(
        "update_dataset",
        route_event("update_dataset_legacy", body={"embedding_model_id": model}, dataset_id=dataset_id),
    )
    assert (legacy_put.status, legacy_put.body["data"]["embd_id"]) == (200, model)
    body = {"embedding_model": model}
    put = invoke("update_dataset", route_event("update_dataset_restful", body=body, dataset_id=dataset_id))
    assert (put.status, put.body["data"]["embedding_model"]) == (200, model)


def test_list_is_newest_first_by_default_and_oldest_first_when_desc_is_false() -> None:
    names = [f"kb{i}" for i in range(4)]
    for name in names:
        create(name)
    assert [d["name"] for d in list_legacy().body["data"]] == names[::-1]
    for falsy in ("false", "0", "no", "False"):
        assert [d["name"] for d in list_legacy(desc=falsy).body["data"]] == names
    for truthy in ("true", "1", "yes"):
        assert [d["name"] for d in list_legacy(desc=truthy).body["data"]] == names[::-1]


def test_list_orders_by_update_time_through_the_index() -> None:
    for name in ("a1", "a2", "a3"):
        create(name)
    got = list_legacy(orderby="update_time", desc="false").body["data"]
    assert [d["name"] for d in got] == ["a1", "a2", "a3"]
    assert [d["update_time"] for d in got] == sorted(d["update_time"] for d in got)


def test_offset_and_count_page_through_the_list() -> None:
    for i in range(7):
        create(f"p{i}")
    everything = [d["name"] for d in list_legacy(desc="false").body["data"]]
    assert everything == [f"p{i}" for i in range(7)]
    assert [d["name"] for d in list_legacy(desc="false", offset="2", count="3").body["data"]] == ["p2", "p3", "p4"]
    assert [d["name"] for d in list_legacy(desc="false", offset="5", count="-1").body["data"]] == ["p5", "p6"]
    assert list_legacy(offset="7").body["data"] == []
    assert list_legacy(offset="100").body["data"] == []
    assert list_legacy(count="0").body["data"] == []


def test_one_response_holds_at_most_1000_datasets(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataset_core import datasets

    assert datasets.MAX_PAGE == 1000  # the documented cap; exercised below at a size moto serves quickly
    monkeypatch.setattr(datasets, "MAX_PAGE", 10)
    seed_datasets(table, TENANT_A, 15)
    assert len(list_legacy().body["data"]) == 10
    assert len(list_legacy(count="5000").body["data"]) == 10
    rest = list_legacy(offset="10").body["data"]
    assert [d["name"] for d in rest] == [f"bulk{i}" for i in range(4, -1, -1)]


@pytest.mark.parametrize("orderby", ["create_time", "update_time"])
def test_a_deep_offset_reads_the_skipped_datasets_keys_only_and_the_page_whole(table: Any, orderby: str) -> None:
    """Skipped datasets cost read units but are never parsed: the calls that read only skipped items ask
    for their keys; the call that reaches the page reads whole items. No extra round trip."""
    seed_datasets(table, TENANT_A, 2100)
    projections: list[str | None] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        projections.append(params.get("ProjectionExpression"))

    events = storage.client().meta.events
    events.register("before-parameter-build.dynamodb.Query", record)
    try:
        page = list_legacy(offset="2050", count="30", orderby=orderby).body["data"]
    finally:
        events.unregister("before-parameter-build.dynamodb.Query", record)
    assert [d["name"] for d in page] == [f"bulk{i}" for i in range(49, 19, -1)]
    assert all(set(d) >= {"id", "name", "parser_config", "create_date"} for d in page)
    # As many calls as whole items would take (1000 + 1000 + the rest), the first two keys only.
    assert projections == ["pk, sk, dataset_count", "pk, sk, dataset_count", None]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"offset": "-1"}, "offset"),
        ({"offset": "abc"}, "offset"),
        ({"offset": "1.5"}, "offset"),
        ({"count": "-2"}, "count"),
        ({"count": "ten"}, "count"),
        ({"orderby": "name"}, "orderby"),
        ({"orderby": "CREATE_TIME"}, "orderby"),
        ({"desc": "maybe"}, "desc"),
    ],
)
def test_bad_list_query_values_answer_400_101_naming_the_field(query: dict[str, str], field: str) -> None:
    reply = list_legacy(**query)
    assert (reply.status, reply.body["code"]) == (400, 101)
    assert reply.body["message"].startswith(f"Field: <{field}> - ")


def test_a_new_tenant_lists_nothing() -> None:
    reply = list_legacy(tenant=TENANT_B)
    assert (reply.status, reply.body) == (200, {"code": 0, "message": "success", "data": []})


# ---- get ------------------------------------------------------------------------------------------------


def test_get_returns_the_legacy_object() -> None:
    dataset_id = create("kb1").body["data"]["id"]
    reply = invoke("get_dataset", route_event("get_dataset_legacy", dataset_id=dataset_id))
    assert reply.status == 200
    assert set(reply.body["data"]) == LEGACY_KEYS
    assert reply.body["data"] == list_legacy().body["data"][0]


def test_get_accepts_the_dashed_uuid_spelling_of_an_id() -> None:
    dataset_id = create("kb1").body["data"]["id"]
    dashed = f"{dataset_id[:8]}-{dataset_id[8:12]}-{dataset_id[12:16]}-{dataset_id[16:20]}-{dataset_id[20:]}"
    assert (
        invoke("get_dataset", route_event("get_dataset_legacy", dataset_id=dashed.upper())).body["data"]["id"]
        == dataset_id
    )


def test_get_of_an_absent_id_answers_404_102() -> None:
    reply = invoke("get_dataset", route_event("get_dataset_legacy", dataset_id=ABSENT))
    assert (reply.status, reply.body) == (404, {"code": 102, "message": "Can't find this dataset!", "data": None})


@pytest.mark.parametrize("bad", ["zzz", "1234", "..", "%2e%2e%2fetc", "g" * 32, "0193a1b2c3d47e8f9a0b1c2d3e4f5a6bff"])
def test_get_of_a_malformed_id_answers_400_101(bad: str) -> None:
    reply = invoke("get_dataset", route_event("get_dataset_legacy", dataset_id=bad))
    assert (reply.status, reply.body["code"]) == (400, 101)
    assert "Invalid dataset id" in reply.body["message"]


def test_a_custom_domain_base_path_in_front_of_the_route_is_served() -> None:
    """Behind a custom domain with a base-path mapping, API Gateway's ``path`` starts with that base path."""
    dataset_id = create("kb1").body["data"]["id"]
    event = route_event("get_dataset_legacy", dataset_id=dataset_id)
    event["path"] = "/datasets-api" + event["path"]
    reply = invoke("get_dataset", event)
    assert (reply.status, reply.body["data"]["id"]) == (200, dataset_id)


def test_an_event_for_a_resource_the_function_does_not_serve_answers_404_404() -> None:
    """Routes are looked up by API Gateway's ``(httpMethod, resource)``; another function's resource is no route."""
    event = route_event("get_dataset_legacy")
    event.update(resource="/api/v1/datasets", path="/api/v1/datasets")
    reply = invoke("get_dataset", event)
    assert (reply.status, reply.body) == (404, {"code": 404, "message": "Not Found: /api/v1/datasets", "data": None})


# ---- delete ---------------------------------------------------------------------------------------------


def test_delete_answers_the_documented_body_and_frees_the_name(table: Any) -> None:
    dataset_id = create("kb1").body["data"]["id"]
    reply = invoke("delete_dataset", route_event("delete_dataset_legacy", dataset_id=dataset_id))
    assert reply.status == 200
    assert reply.raw == '{"code":0,"data":null,"message":"Dataset deleted successfully!","success":true}'
    assert items(table, TENANT_A, "") == [
        {"pk": {"S": f"TENANT#{TENANT_A}"}, "sk": {"S": "META"}, "dataset_count": {"N": "0"}}
    ]
    assert create("KB1").status == 200


def test_delete_of_an_absent_id_answers_404_103_with_success_false() -> None:
    reply = invoke("delete_dataset", route_event("delete_dataset_legacy", dataset_id=ABSENT))
    assert reply.status == 404
    assert reply.body == {
        "code": 103,
        "success": False,
        "message": "The dataset cannot be found for your current account.",
        "data": None,
    }


def test_deleting_twice_answers_404_the_second_time(table: Any) -> None:
    dataset_id = create("kb1").body["data"]["id"]
    assert invoke("delete_dataset", route_event("delete_dataset_legacy", dataset_id=dataset_id)).status == 200
    assert invoke("delete_dataset", route_event("delete_dataset_legacy", dataset_id=dataset_id)).status == 404
    assert counter(table, TENANT_A) == 0


def test_delete_of_a_malformed_id_answers_400_101() -> None:
    reply = invoke("delete_dataset", route_event("delete_dataset_legacy", dataset_id="not-an-id"))
    assert (reply.status, reply.body["code"]) == (400, 101)


def test_delete_of_a_huge_name_removes_its_hashed_lock(table: Any) -> None:
    dataset_id = create("h" * 1023).body["data"]["id"]
    assert [i["sk"]["S"].split("#")[0] for i in items(table, TENANT_A, "NAME")] == ["NAMEHASH"]
    assert invoke("delete_dataset", route_event("delete_dataset_legacy", dataset_id=dataset_id)).status == 200
    assert items(table, TENANT_A, "NAME") == []


# ---- tenant isolation -----------------------------------------------------------------------------------


def test_other_tenants_cannot_see_get_or_delete_a_dataset_and_learn_nothing_of_it(table: Any) -> None:
    dataset_id = create("private").body["data"]["id"]
    assert list_legacy(tenant=TENANT_B).body["data"] == []

    theirs = invoke("get_dataset", route_event("get_dataset_legacy", tenant=TENANT_B, dataset_id=dataset_id))
    absent = invoke("get_dataset", route_event("get_dataset_legacy", tenant=TENANT_B, dataset_id=ABSENT))
    assert (theirs.status, theirs.body) == (absent.status, absent.body)

    theirs = invoke("delete_dataset", route_event("delete_dataset_legacy", tenant=TENANT_B, dataset_id=dataset_id))
    absent = invoke("delete_dataset", route_event("delete_dataset_legacy", tenant=TENANT_B, dataset_id=ABSENT))
    assert (theirs.status, theirs.body) == (absent.status, absent.body) == (404, theirs.body)
    assert stored.get_dataset(TENANT_A, dataset_id) is not None
    assert counter(table, TENANT_A) == 1


def test_the_same_name_in_two_tenants_is_two_datasets() -> None:
    assert create("shared", TENANT_A).status == 200
    assert create("shared", TENANT_B).status == 200
    assert [d["name"] for d in list_legacy(tenant=TENANT_B).body["data"]] == ["shared"]

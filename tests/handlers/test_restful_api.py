"""The RESTful API (``/api/v1/datasets``) through the handlers: RAGFlow v0.27's rules."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import TENANT_A, TENANT_B, Reply, counter, create, invoke, items, route_event, seed_datasets
from dataset_core.parser_config import method_defaults

pytestmark = pytest.mark.usefixtures("table")

TASK_KEYS = {
    f"{kind}_task_{part}"
    for kind in (
        "graphrag", "raptor", "mindmap", "wiki", "skill", "structure_graph", "structure_mindmap", "timeline",
        "session_graph", "session_essence", "structure",
    )
    for part in ("id", "finish_at")
}  # fmt: skip
RESTFUL_KEYS = {
    "avatar", "chunk_count", "chunk_method", "create_date", "create_time", "created_by", "description",
    "document_count", "embedding_model", "id", "language", "name", "pagerank", "parser_config", "permission",
    "pipeline_id", "similarity_threshold", "status", "tenant_embd_id", "tenant_id", "token_num", "update_date",
    "update_time", "vector_similarity_weight", *TASK_KEYS,
}  # fmt: skip
"""The 46 keys of RAGFlow v0.27's dataset object (api/db/db_models.py: Knowledgebase, four keys renamed)."""
PNG = "data:image/png;base64,iVBORw0KGgo="
ABSENT = "0193a1b2c3d47e8f9a0b1c2d3e4f5a6b"


def post(body: Any, tenant: str = TENANT_A) -> Reply:
    return invoke("create_dataset", route_event("create_dataset_restful", tenant=tenant, body=body))


def put(dataset_id: str, body: Any, tenant: str = TENANT_A) -> Reply:
    return invoke(
        "update_dataset", route_event("update_dataset_restful", tenant=tenant, body=body, dataset_id=dataset_id)
    )


def legacy_put(dataset_id: str, body: Any, tenant: str = TENANT_A) -> Reply:
    return invoke(
        "update_dataset", route_event("update_dataset_legacy", tenant=tenant, body=body, dataset_id=dataset_id)
    )


def get(dataset_id: str, tenant: str = TENANT_A) -> Reply:
    return invoke("get_dataset", route_event("get_dataset_restful", tenant=tenant, dataset_id=dataset_id))


def listing(tenant: str = TENANT_A, **query: str) -> Reply:
    return invoke("list_datasets", route_event("list_datasets_restful", tenant=tenant, query=query))


def delete(body: Any, tenant: str = TENANT_A) -> Reply:
    return invoke("delete_dataset", route_event("delete_dataset_restful", tenant=tenant, body=body))


def new(name: str, **fields: Any) -> dict[str, Any]:
    reply = post({"name": name, **fields})
    assert reply.status == 200, reply.body
    return dict(reply.body["data"])


# ---- create -----------------------------------------------------------------------------------------------


def test_create_as_the_sdk_sends_it_returns_the_restful_dataset_object() -> None:
    reply = invoke("create_dataset", route_event("create_dataset_restful"))  # the SDK's explicit nulls
    assert (reply.status, reply.body["code"], reply.body["message"]) == (200, 0, "success")
    ds = reply.body["data"]
    assert set(ds) == RESTFUL_KEYS
    assert ds["name"] == "kb1"
    assert ds["embedding_model"] == "BAAI/bge-small-en-v1.5@Builtin"
    assert (ds["chunk_method"], ds["permission"], ds["pagerank"]) == ("naive", "me", 0)
    assert (ds["document_count"], ds["chunk_count"], ds["token_num"]) == (0, 0, 0)
    assert ds["parser_config"] == method_defaults("naive")
    assert ds["tenant_id"] == ds["created_by"] == TENANT_A


def test_create_takes_every_optional_field() -> None:
    ds = new(
        "full",
        avatar=PNG,
        description="all fields",
        embedding_model="BAAI/bge-m3@Builtin",
        permission="team",
        chunk_method="qa",
        parser_config={"chunk_token_num": 1024, "raptor": {"use_raptor": True}},
    )
    assert (ds["avatar"], ds["description"], ds["embedding_model"]) == (PNG, "all fields", "BAAI/bge-m3@Builtin")
    assert (ds["permission"], ds["chunk_method"]) == ("team", "qa")
    assert ds["parser_config"]["chunk_token_num"] == 1024
    assert ds["parser_config"]["raptor"]["use_raptor"] is True
    assert ds["parser_config"]["raptor"]["max_cluster"] == 64  # filled with the model's defaults
    assert ds["parser_config"]["image_context_size"] == 0  # from qa's method defaults


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("qa", {"raptor": {"use_raptor": False}, "graphrag": {"use_graphrag": False}}),
        ("table", {}),
        ("picture", {}),
    ],
)
def test_parser_config_defaults_depend_on_the_chunk_method(method: str, expected: dict[str, Any]) -> None:
    ds = new(f"m_{method}", chunk_method=method, parser_config={})
    assert ds["parser_config"] == {"image_context_size": 0, "table_context_size": 0, **expected}


def test_duplicate_names_are_auto_renamed_like_ragflow() -> None:
    assert new("Dup")["name"] == "Dup"
    assert new("dup")["name"] == "dup(1)"
    assert new("Dup")["name"] == "Dup(2)"
    assert new("  Dup ")["name"] == "Dup(3)"
    assert new("Dup(1)")["name"] == "Dup(4)"  # the counter is counted up to the first free number
    assert new("notes.v2")["name"] == "notes.v2"
    assert new("notes.v2")["name"] == "notes(1).v2"  # the suffix stays at the end


def test_names_are_stripped() -> None:
    assert new("  spaced name  ")["name"] == "spaced name"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Field: <name> - Message: <Field required"),
        ({"name": ""}, "Field: <name> - Message: <String should have at least 1 character"),
        ({"name": "   "}, "Field: <name> - Message: <String should have at least 1 character"),
        ({"name": "a" * 129}, "Field: <name> - Message: <String should have at most 128 characters"),
        ({"name": 0}, "Field: <name> - Message: <Input should be a valid string"),
        ({"name": None}, "Field: <name> - Message: <Input should be a valid string"),
        ({"name": "x", "id": "abc"}, "Field: <id> - Message: <Extra inputs are not permitted"),
        ({"name": "x", "tenant_id": "t"}, "Field: <tenant_id> - Message: <Extra inputs are not permitted"),
        ({"name": "x", "avatar": "iVBORw0KGgo="}, "missing MIME prefix. Expected format: data:<mime>;base64,<data>"),
        ({"name": "x", "avatar": "image/png;base64,abc"}, "invalid MIME prefix format. Must start with 'data:'"),
        ({"name": "x", "avatar": "img:image/png;base64,abc"}, "invalid MIME prefix format. Must start with 'data:'"),
        ({"name": "x", "avatar": "data:image/gif;base64,R0lG"}, "Unsupported MIME type. Allowed: ['image/jpeg', 'image/png']"),
        ({"name": "x", "avatar": "d" * 65536}, "Field: <avatar> - Message: <String should have at most 65535 characters"),
        ({"name": "x", "description": "d" * 65536}, "Field: <description> - Message: <String should have at most 65535"),
        ({"name": "x", "embedding_model": "bge"}, "embedding model identifier must follow <model_name>@<provider> format"),
        ({"name": "x", "embedding_model": "@BAAI"}, "both model_name and provider must be non-empty strings"),
        ({"name": "x", "embedding_model": "bge@ "}, "both model_name and provider must be non-empty strings"),
        ({"name": "x", "embedding_model": "e" * 256}, "String should have at most 255 characters"),
        ({"name": "x", "permission": "ME"}, "Field: <permission> - Message: <Input should be 'me' or 'team'"),
        ({"name": "x", "permission": None}, "Field: <permission> - Message: <Input should be 'me' or 'team'"),
        ({"name": "x", "chunk_method": ""}, "Input should be 'naive', 'book', 'email', 'laws', 'manual', 'one', 'paper', 'picture', 'presentation', 'qa', 'table', 'tag' or 'resume'"),
        ({"name": "x", "chunk_method": "invalid"}, "Field: <chunk_method> - Message: <Input should be 'naive'"),
        ({"name": "x", "parser_config": []}, "Field: <parser_config> - Message: <Input should be a valid dictionary"),
        ({"name": "x", "parser_config": {"unknown": 1}}, "Field: <parser_config.unknown> - Message: <Extra inputs are not permitted"),
        ({"name": "x", "parser_config": {"chunk_token_num": 0}}, "Field: <parser_config.chunk_token_num> - Message: <Input should be greater than or equal to 1"),
        ({"name": "x", "parser_config": {"chunk_token_num": 2049}}, "Input should be less than or equal to 2048"),
        ({"name": "x", "parser_config": {"chunk_token_num": 3.14}}, "Input should be a valid integer"),
        ({"name": "x", "parser_config": {"chunk_token_num": "512"}}, "Input should be a valid integer"),
        ({"name": "x", "parser_config": {"auto_keywords": 33}}, "Field: <parser_config.auto_keywords> - Message: <Input should be less than or equal to 32"),
        ({"name": "x", "parser_config": {"auto_questions": 11}}, "Field: <parser_config.auto_questions> - Message: <Input should be less than or equal to 10"),
        ({"name": "x", "parser_config": {"delimiter": ""}}, "Field: <parser_config.delimiter> - Message: <String should have at least 1 character"),
        ({"name": "x", "parser_config": {"topn_tags": 11}}, "Field: <parser_config.topn_tags> - Message: <Input should be less than or equal to 10"),
        ({"name": "x", "parser_config": {"filename_embd_weight": 1.5}}, "Input should be less than or equal to 1"),
        ({"name": "x", "parser_config": {"html4excel": "true"}}, "Field: <parser_config.html4excel> - Message: <Input should be a valid boolean"),
        ({"name": "x", "parser_config": {"task_page_size": 0}}, "Field: <parser_config.task_page_size> - Message: <Input should be greater than or equal to 1"),
        ({"name": "x", "parser_config": {"raptor": {"max_token": 4096}}}, "Field: <parser_config.raptor.max_token> - Message: <Input should be less than or equal to 2048"),
        ({"name": "x", "parser_config": {"raptor": {"clustering_threshold": 2}}}, "Input should be less than or equal to 1"),
        ({"name": "x", "parser_config": {"raptor": {"max_cluster": 0}}}, "Field: <parser_config.raptor.max_cluster> - Message: <Input should be greater than or equal to 1"),
        ({"name": "x", "parser_config": {"raptor": {"prompt": "  "}}}, "Field: <parser_config.raptor.prompt> - Message: <String should have at least 1 character"),
        ({"name": "x", "parser_config": {"raptor": {"scope": "all"}}}, "Field: <parser_config.raptor.scope> - Message: <Input should be 'file' or 'dataset'"),
        ({"name": "x", "parser_config": {"graphrag": {"method": "fast"}}}, "Field: <parser_config.graphrag.method> - Message: <Input should be 'light', 'general' or 'ner'"),
        ({"name": "x", "parser_config": {"graphrag": {"batch_chunk_token_size": 100}}}, "Input should be greater than or equal to 512"),
    ],
)  # fmt: skip
def test_create_field_rules_answer_400_101_with_ragflows_message(body: dict[str, Any], message: str) -> None:
    reply = post(body)
    assert (reply.status, reply.body["code"], reply.body["data"]) == (400, 101, None), reply.body
    assert message in reply.body["message"]


def test_raptor_max_token_below_512_is_raised_silently() -> None:
    assert new("rt", parser_config={"raptor": {"max_token": 100}})["parser_config"]["raptor"]["max_token"] == 512


def test_an_embedding_model_that_is_not_configured_answers_102() -> None:
    """api/db/joint_services/tenant_model_service.py: resolve_model_config: the providers set up are the
    configured ones (EMBEDDING_MODELS), and so are their models."""
    reply = post({"name": "x", "embedding_model": "nope@Nowhere"})
    expected = (400, 102, "Provider Nowhere not found for model nope@Nowhere.")
    assert (reply.status, reply.body["code"], reply.body["message"]) == expected
    reply = post({"name": "x", "embedding_model": "nope@Builtin"})
    assert (reply.status, reply.body["code"], reply.body["message"]) == (
        400,
        102,
        "Model nope@Builtin not found for model embedding",
    )


def test_validation_errors_list_every_field_one_per_line() -> None:
    lines = post({"name": "", "permission": "x"}).body["message"].splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Field: <name>", "Field: <permission>"]


# ---- list -------------------------------------------------------------------------------------------------


def test_list_pages_orders_and_counts_with_total_datasets() -> None:
    names = [new(f"l{i}")["name"] for i in range(5)]
    reply = listing()
    assert (reply.status, reply.body["code"], reply.body["total_datasets"]) == (200, 0, 5)
    assert [d["name"] for d in reply.body["data"]] == names[::-1]
    assert set(reply.body["data"][0]) == RESTFUL_KEYS | {"nickname", "tenant_avatar", "embedding_model_name"}
    assert [d["name"] for d in listing(page="2", page_size="2").body["data"]] == names[2:0:-1]
    assert [d["name"] for d in listing(page="1", page_size="2", desc="false").body["data"]] == names[:2]
    assert listing(page="9", page_size="2").body == {
        "code": 0, "message": "success", "data": [], "total_datasets": 5, "next_page_token": None,
    }  # fmt: skip


def test_list_orders_by_update_time() -> None:
    first, second = new("u1"), new("u2")
    put(first["id"], {"description": "touched"})
    assert [d["name"] for d in listing(orderby="update_time").body["data"]] == ["u1", "u2"]
    assert [d["name"] for d in listing(orderby="create_time").body["data"]] == ["u2", "u1"]
    assert second["update_time"] <= get(first["id"]).body["data"]["update_time"]


def test_name_and_id_filters_find_one_dataset_or_answer_lacks_permission() -> None:
    ds = new("Findable")
    new("other")
    for query in ({"name": "Findable"}, {"name": "findable"}, {"id": ds["id"]}, {"id": ds["id"], "name": "Findable"}):
        reply = listing(**query)
        assert ([d["id"] for d in reply.body["data"]], reply.body["total_datasets"]) == ([ds["id"]], 1)
    for query, shown in (({"name": "missing"}, "missing"), ({"id": ABSENT}, ABSENT)):
        reply = listing(**query)
        assert (reply.status, reply.body["code"]) == (404, 102)
        assert reply.body["message"] == f"User '{TENANT_A}' lacks permission for dataset '{shown}'"
    assert listing(name="").body["total_datasets"] == 2  # "" means no filter
    assert listing(id="").body["message"] == "Field: <id> - Message: <Invalid UUID format> - Value: <>"


def test_ids_filter_takes_repeated_and_comma_separated_ids() -> None:
    a, b = new("i1")["id"], new("i2")["id"]
    event = route_event("list_datasets_restful", query={})
    event["queryStringParameters"] = {"ids": b}
    event["multiValueQueryStringParameters"] = {"ids": [a, b]}
    assert [d["id"] for d in invoke("list_datasets", event).body["data"]] == [b, a]  # in the listing's order
    assert [d["id"] for d in listing(ids=f"{a},{b}", desc="false").body["data"]] == [a, b]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"page": "0"}, "Field: <page> - Message: <Input should be greater than or equal to 1"),
        (
            {"page": "x"},
            "Field: <page> - Message: <Input should be a valid integer, unable to parse string as an integer",
        ),
        (
            {"page_size": "101"},
            "Field: <page_size> - Message: <Value error, page_size must be less than or equal to 100",
        ),
        ({"page_size": "0"}, "Field: <page_size> - Message: <Input should be greater than or equal to 1"),
        ({"orderby": "name"}, "Field: <orderby> - Message: <Input should be 'create_time' or 'update_time'"),
        ({"desc": "sure"}, "Field: <desc> - Message: <Input should be a valid boolean, unable to interpret input"),
        ({"id": "not-a-uuid"}, "Field: <id> - Message: <Invalid UUID format"),
        ({"unknown": "1"}, "Field: <unknown> - Message: <Extra inputs are not permitted"),
    ],
)
def test_bad_list_queries_answer_400_101(query: dict[str, str], message: str) -> None:
    reply = listing(**query)
    assert (reply.status, reply.body["code"]) == (400, 101)
    assert reply.body["message"].startswith(message)


@pytest.mark.parametrize(
    ("param", "values", "names"),
    [("page", ["1", "2"], ["b", "a"]), ("name", ["a", "b"], ["a"]), ("orderby", ["update_time", "x"], ["b", "a"])],
)
def test_of_a_repeated_single_valued_query_parameter_the_first_counts(
    param: str, values: list[str], names: list[str]
) -> None:
    """As RAGFlow reads a query (api/utils/validation_utils.py: validate_and_parse_request_args), where API
    Gateway's ``queryStringParameters`` would hold the last."""
    new("a")
    new("b")
    event = route_event("list_datasets_restful", query={})
    event["queryStringParameters"] = {param: values[-1]}
    event["multiValueQueryStringParameters"] = {param: values}
    reply = invoke("list_datasets", event)
    assert (reply.status, [d["name"] for d in reply.body["data"]]) == (200, names)


def test_total_datasets_comes_from_the_counter(table: Any) -> None:
    seed_datasets(table, TENANT_A, 130)
    reply = listing(page_size="100")
    assert (len(reply.body["data"]), reply.body["total_datasets"]) == (100, 130)
    assert listing(desc="false", page_size="1").body["total_datasets"] == 130


def test_include_parsing_status_adds_zero_counts() -> None:
    new("p")
    (ds,) = listing(include_parsing_status="true").body["data"]
    assert ds["parsing_status"] == {
        "unstart_count": 0, "running_count": 0, "cancel_count": 0, "done_count": 0, "fail_count": 0,
    }  # fmt: skip


# ---- cursor paging ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("orderby", "desc"), [("create_time", "true"), ("create_time", "false"), ("update_time", "true")]
)
def test_page_tokens_walk_the_whole_listing_once(table: Any, orderby: str, desc: str) -> None:
    seed_datasets(table, TENANT_A, 25)
    seen: list[str] = []
    query = {"page_size": "10", "orderby": orderby, "desc": desc}
    while True:
        reply = listing(**query)
        assert reply.status == 200, reply.body
        seen += [d["name"] for d in reply.body["data"]]
        if reply.body["next_page_token"] is None:
            break
        query["page_token"] = reply.body["next_page_token"]
    expected = [f"bulk{i}" for i in range(25)]
    assert seen == (expected[::-1] if desc == "true" else expected)


def test_page_tokens_are_bound_to_the_tenant_and_the_order_and_cannot_be_forged(table: Any) -> None:
    seed_datasets(table, TENANT_A, 3)
    seed_datasets(table, TENANT_B, 3, prefix="theirs")
    token = listing(page_size="1").body["next_page_token"]
    assert listing(page_size="1", page_token=token).status == 200
    payload, mac = token.split(".")
    tampered = [
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        payload + "." + mac[::-1],
        "x" + token,
        "not-a-token",
        "",
        payload,
    ]
    for bad in tampered:
        reply = listing(page_size="1", page_token=bad)
        assert (reply.status, reply.body["code"]) == (400, 101), bad
    stolen = listing(tenant=TENANT_B, page_size="1", page_token=token)
    assert (stolen.status, stolen.body["message"]) == (400, "Invalid page_token: not a token this API issued")
    other_order = listing(page_size="1", page_token=token, desc="false")
    assert (other_order.status, other_order.body["code"]) == (400, 101)
    both = listing(page_size="1", page="2", page_token=token)
    assert (both.status, both.body["code"]) == (400, 101)


# ---- get --------------------------------------------------------------------------------------------------


def test_get_returns_the_dataset_or_lacks_permission() -> None:
    ds = new("g")
    assert get(ds["id"]).body["data"] == {**ds, "size": 0, "connectors": []}  # get adds size and connectors
    reply = get(ABSENT)
    assert (reply.status, reply.body) == (
        404, {"code": 102, "message": f"User '{TENANT_A}' lacks permission for dataset '{ABSENT}'", "data": None},
    )  # fmt: skip
    reply = get("nope")  # no id check: any other path lacks permission (dataset_api_service.py: get_dataset)
    assert (reply.status, reply.body["message"]) == (404, f"User '{TENANT_A}' lacks permission for dataset 'nope'")


# ---- update -----------------------------------------------------------------------------------------------


def test_update_applies_only_the_fields_sent() -> None:
    ds = new("before", description="keep me", avatar=PNG)
    reply = put(ds["id"], {"name": "after", "permission": "team", "pagerank": 50, "language": "Chinese"})
    assert reply.status == 200
    updated = reply.body["data"]
    assert (updated["name"], updated["permission"], updated["pagerank"]) == ("after", "team", 50)
    assert (updated["description"], updated["avatar"], updated["language"]) == ("keep me", PNG, "Chinese")
    assert updated["update_time"] >= ds["update_time"]
    assert get(ds["id"]).body["data"] == {**updated, "size": 0}  # update adds the connectors sent, get its own


def test_update_deep_merges_parser_config_and_resets_it_on_a_chunk_method_change() -> None:
    ds = new("pc", parser_config={"chunk_token_num": 700, "raptor": {"use_raptor": True, "max_cluster": 10}})
    merged = put(ds["id"], {"parser_config": {"raptor": {"max_cluster": 20}}}).body["data"]["parser_config"]
    assert (merged["chunk_token_num"], merged["raptor"]["use_raptor"], merged["raptor"]["max_cluster"]) == (
        700,
        True,
        20,
    )
    unchanged = put(ds["id"], {"parser_config": {}}).body["data"]["parser_config"]
    assert unchanged == merged
    reset = put(ds["id"], {"chunk_method": "table"}).body["data"]
    assert (reset["chunk_method"], reset["parser_config"]) == ("table", method_defaults("table"))


def test_update_embedding_model_null_keeps_it_and_unknown_is_refused() -> None:
    ds = new("em", embedding_model="BAAI/bge-m3@Builtin")
    assert (
        put(ds["id"], {"embedding_model": None, "description": "x"}).body["data"]["embedding_model"]
        == "BAAI/bge-m3@Builtin"
    )
    assert put(ds["id"], {"embedding_model": "Qwen/Qwen3-Embedding-0.6B@Builtin"}).body["data"]["embedding_model"] == (
        "Qwen/Qwen3-Embedding-0.6B@Builtin"
    )
    reply = put(ds["id"], {"embedding_model": "nope@Nowhere"})
    assert (reply.status, reply.body["code"]) == (400, 102)


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        ({}, 400, 102, "no properties were modified"),
        ({"id": ABSENT}, 400, 101, "Field: <id> - Message: <Extra inputs are not permitted"),
        ({"document_count": 1}, 400, 101, "Field: <document_count> - Message: <Extra inputs are not permitted"),
        ({"pagerank": 101}, 400, 101, "Field: <pagerank> - Message: <Input should be less than or equal to 100"),
        ({"pagerank": None}, 400, 101, "Field: <pagerank> - Message: <Input should be a valid integer"),
        ({"language": "l" * 33}, 400, 101, "Field: <language> - Message: <String should have at most 32 characters"),
        ({"name": " "}, 400, 101, "Field: <name> - Message: <String should have at least 1 character"),
    ],
)
def test_update_rules(body: dict[str, Any], status: int, code: int, message: str) -> None:
    ds = new("rules")
    reply = put(ds["id"], body)
    assert (reply.status, reply.body["code"]) == (status, code)
    assert message in reply.body["message"]


def test_update_to_a_taken_name_is_409_and_never_auto_renamed(table: Any) -> None:
    new("taken")
    ds = new("mine")
    reply = put(ds["id"], {"name": "TAKEN"})
    assert (reply.status, reply.body) == (
        409,
        {"code": 102, "message": "Dataset name 'TAKEN' already exists", "data": None},
    )
    assert get(ds["id"]).body["data"]["name"] == "mine"
    assert sorted(i["sk"]["S"] for i in items(table, TENANT_A, "NAME#")) == ["NAME#mine", "NAME#taken"]


def test_rename_moves_the_lock_and_frees_the_old_name(table: Any) -> None:
    ds = new("old")
    assert put(ds["id"], {"name": "new"}).status == 200
    assert [i["sk"]["S"] for i in items(table, TENANT_A, "NAME#")] == ["NAME#new"]
    assert new("old")["name"] == "old"
    assert put(ds["id"], {"name": "NEW"}).body["data"]["name"] == "NEW"  # a change of case keeps its lock
    assert counter(table, TENANT_A) == 2


def test_update_of_absent_or_malformed_ids() -> None:
    assert put(ABSENT, {"description": "x"}).body == {
        "code": 102, "message": f"User '{TENANT_A}' lacks permission for dataset '{ABSENT}'", "data": None,
    }  # fmt: skip
    assert put(ABSENT, {"description": "x"}).status == 404
    expected = "Field: <dataset_id> - Message: <Invalid UUID format> - Value: <bad-id>"
    assert put("bad-id", {"description": "x"}).body["message"] == expected


# ---- legacy PUT -------------------------------------------------------------------------------------------


def test_legacy_update_maps_its_fields_and_returns_the_legacy_object() -> None:
    dataset_id = create("legacykb").body["data"]["id"]
    reply = legacy_put(
        dataset_id,
        {
            "name": "renamed",
            "description": "d",
            "permission": "team",
            "language": "Chinese",
            "chunk_method": "qa",
            "embedding_model_id": "BAAI/bge-m3@Builtin",
            "photo": PNG,
            "layout_recognize": False,
        },
    )
    assert reply.status == 200
    ds = reply.body["data"]
    assert (ds["name"], ds["description"], ds["permission"], ds["language"]) == ("renamed", "d", "team", "Chinese")
    assert (ds["parser_id"], ds["embd_id"], ds["avatar"]) == ("qa", "BAAI/bge-m3@Builtin", PNG)
    assert ds["parser_config"] == {"pages": [[1, 1000000]], "layout_recognize": False}
    assert "chunk_method" not in ds
    assert len(ds) == 21


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        ({}, 400, 102, "Please input at least one parameter that you want to update!"),
        ({"name": ""}, 400, 102, "Empty dataset name"),
        ({"name": "bad name"}, 400, 102, "Dataset name can only contain"),
        ({"permission": "all"}, 400, 101, "Field: <permission>"),
        (
            {"layout_recognize": "yes"},
            400,
            101,
            "Field: <layout_recognize> - Message: <Input should be a valid boolean",
        ),
        ({"dataset_name": "x"}, 400, 101, "Field: <dataset_name> - Message: <Extra inputs are not permitted"),
    ],
)
def test_legacy_update_rules(body: dict[str, Any], status: int, code: int, message: str) -> None:
    dataset_id = create("legacyrules").body["data"]["id"]
    reply = legacy_put(dataset_id, body)
    assert (reply.status, reply.body["code"]) == (status, code)
    assert message in reply.body["message"]


def test_legacy_update_of_an_absent_dataset_answers_404_103_and_a_taken_name_409() -> None:
    reply = legacy_put(ABSENT, {"description": "x"})
    assert (reply.status, reply.body) == (
        404, {"code": 103, "message": "Only the owner of knowledgebase is authorized for this operation!", "data": None},
    )  # fmt: skip
    create("first")
    second = create("second").body["data"]["id"]
    assert legacy_put(second, {"name": "FIRST"}).status == 409


# ---- delete -----------------------------------------------------------------------------------------------


def test_delete_by_ids_removes_exactly_those(table: Any) -> None:
    a, b, c = (new(n)["id"] for n in ("d1", "d2", "d3"))
    reply = delete({"ids": [a, c]})
    assert (reply.status, reply.body) == (200, {"code": 0, "message": "success", "data": {"success_count": 2}})
    assert [d["id"] for d in listing().body["data"]] == [b]
    assert counter(table, TENANT_A) == 1
    assert [i["sk"]["S"] for i in items(table, TENANT_A, "NAME#")] == ["NAME#d2"]


def test_delete_is_all_or_nothing_when_an_id_is_not_the_callers(table: Any) -> None:
    mine = new("mine")["id"]
    theirs = post({"name": "theirs"}, tenant=TENANT_B).body["data"]["id"]
    reply = delete({"ids": [mine, theirs]})
    assert (reply.status, reply.body["code"]) == (404, 102)
    assert reply.body["message"] == f"User '{TENANT_A}' lacks permission for datasets: '{theirs}'"
    assert counter(table, TENANT_A) == counter(table, TENANT_B) == 1
    assert get(mine).status == 200


def test_delete_with_no_selection_deletes_nothing_and_delete_all_deletes_everything(table: Any) -> None:
    seed_datasets(table, TENANT_A, 60)
    new("extra")
    bodies: list[dict[str, Any]] = [{}, {"ids": None}, {"ids": []}, {"ids": [], "delete_all": False}]
    for body in bodies:
        assert delete(body).body["data"] == {"success_count": 0}
    assert delete({"delete_all": True}).body["data"] == {"success_count": 61}
    assert counter(table, TENANT_A) == 0
    assert items(table, TENANT_A, "NAME") == []
    assert items(table, TENANT_A, "DATASET#") == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"ids": ["nope"]}, "Field: <ids> - Message: <Invalid UUID format> - Value: <['nope']>"),
        ({"ids": [ABSENT, ABSENT]}, f"Field: <ids> - Message: <Duplicate ids: '{ABSENT}'>"),
        ({"ids": "abc"}, "Field: <ids> - Message: <Input should be a valid list"),
        ({"delete_all": "yes"}, "Field: <delete_all> - Message: <Input should be a valid boolean"),
        ({"ids": [], "extra": 1}, "Field: <extra> - Message: <Extra inputs are not permitted"),
    ],
)
def test_bad_delete_bodies_answer_400_101(body: dict[str, Any], message: str) -> None:
    reply = delete(body)
    assert (reply.status, reply.body["code"]) == (400, 101)
    assert reply.body["message"].startswith(message)


# ---- both generations on one storage ------------------------------------------------------------------------


def test_a_dataset_created_by_either_generation_is_listed_updated_and_deleted_by_the_other(table: Any) -> None:
    legacy_id = create("from_legacy").body["data"]["id"]
    restful_id = new("from_restful")["id"]

    assert {d["name"] for d in listing().body["data"]} == {"from_legacy", "from_restful"}
    legacy_list = invoke("list_datasets", route_event("list_datasets_legacy", query={})).body["data"]
    assert {d["name"] for d in legacy_list} == {"from_legacy", "from_restful"}

    assert put(legacy_id, {"description": "via restful"}).body["data"]["description"] == "via restful"
    assert legacy_put(restful_id, {"description": "via legacy"}).body["data"]["description"] == "via legacy"
    legacy_view = invoke("get_dataset", route_event("get_dataset_legacy", dataset_id=legacy_id)).body["data"]
    assert legacy_view["description"] == "via restful"

    assert delete({"ids": [legacy_id]}).body["data"] == {"success_count": 1}
    assert invoke("delete_dataset", route_event("delete_dataset_legacy", dataset_id=restful_id)).status == 200
    assert counter(table, TENANT_A) == 0
    assert items(table, TENANT_A, "NAME") == []


@pytest.mark.parametrize(
    ("parser_config", "stored"),
    [
        ({"pages": [[1, 2, 3]]}, ("pages", [[1, 2, 3]])),
        ({"pages": [[1, 5]] * 1001}, ("pages", [[1, 5]] * 1001)),
        ({"tag_kb_ids": ["k" * 64] * 101}, ("tag_kb_ids", ["k" * 64] * 101)),
        ({"delimiter": "d" * 256}, ("delimiter", "d" * 256)),
    ],
)
def test_parser_config_fields_have_no_caps_of_their_own(parser_config: dict[str, Any], stored: tuple[str, Any]) -> None:
    """api/utils/validation_utils.py: ParserConfig: the size limit of the whole config is the only length limit
    of its lists and texts."""
    key, value = stored
    assert new("uncapped", parser_config=parser_config)["parser_config"][key] == value


def test_the_config_size_limit_counts_characters_and_the_item_limit_bytes(table: Any) -> None:
    """api/utils/validation_utils.py: CreateDatasetReq.validate_parser_config_json_length counts characters; a
    config within it can still hold more bytes than a DynamoDB item (400 KB, a dataset half of it with its
    index entry): that is refused before the write, naming the field, not answered with a 500."""
    reply = post({"name": "big", "parser_config": {"raptor": {"prompt": "p" * 65530}}})
    assert (reply.status, reply.body["code"]) == (400, 101)
    assert "Parser config exceeds size limit (max 65,535 characters). Current size: 66662" in reply.body["message"]
    reply = post({"name": "wide", "parser_config": {"delimiter": "\U0001f600" * 60000}})  # 60000 chars, 240 KB
    assert (reply.status, reply.body["code"]) == (413, 101)
    assert "'parser_config'" in reply.body["message"]
    assert items(table, TENANT_A, "DATASET#") == []


@pytest.mark.parametrize("name", ["a\x00b", "line\nbreak", "tab\there", "esc\x1b[31m", "del\x7fx", "c1\x85c1"])
def test_names_keep_control_characters_as_ragflow_does(name: str) -> None:
    """api/utils/validation_utils.py: CreateDatasetReq strips only surrounding whitespace; a name is stored, and
    answered in JSON, as sent."""
    assert new(name)["name"] == name


@pytest.mark.parametrize("raw", ['{"name": "\\ud800"}', '{"name": "x", "description": "\\udfff"}'])
def test_lone_surrogates_are_malformed_input_not_a_server_error(raw: str) -> None:
    reply = invoke("create_dataset", route_event("create_dataset_restful", raw_body=raw))
    assert (reply.status, reply.body["code"]) == (400, 101)
    assert reply.raw.isascii()


def test_a_null_name_on_update_is_a_type_error_not_a_server_error() -> None:
    ds = new("nullname")
    reply = put(ds["id"], {"name": None})
    assert (reply.status, reply.body["code"]) == (400, 101)
    assert reply.body["message"].startswith("Field: <name> - Message: <Input should be a valid string")


def test_the_default_embedding_model_a_dataset_shows_can_be_sent_back() -> None:
    ds = new("roundtrip")
    assert put(ds["id"], {"embedding_model": ds["embedding_model"]}).status == 200
    assert new("explicit", embedding_model=ds["embedding_model"])["embedding_model"] == ds["embedding_model"]


@pytest.mark.parametrize(
    ("body", "code"), [({"chunk_method": "zzz"}, 101), ({"embedding_model_id": "nope@Nowhere"}, 102)]
)
def test_legacy_update_cannot_store_what_the_restful_api_calls_invalid(body: dict[str, Any], code: int) -> None:
    dataset_id = create("legacyvalid").body["data"]["id"]
    reply = legacy_put(dataset_id, body)
    assert (reply.status, reply.body["code"]) == (400, code)


def test_floats_come_back_as_floats_though_dynamodb_drops_their_trailing_zeros(table: Any) -> None:
    """DynamoDB keeps numbers without trailing zeros (``2.0`` is read back as ``2``), and so does the codec
    here, so moto behaves as AWS does; RAGFlow answers ``2.0`` (its JSON keeps a float's point), and so do we."""
    ds = new("floats", parser_config={"filename_embd_weight": 1, "raptor": {"clustering_ratio": 0}})
    (item,) = items(table, TENANT_A, "DATASET#")
    stored = item["parser_config_delta"]["M"]  # what differs from the defaults (retry_backoff_seconds does not)
    assert stored["filename_embd_weight"] == {"N": "1"}
    assert stored["raptor"]["M"]["clustering_ratio"] == {"N": "0"}
    raw = get(ds["id"]).raw
    for text in ('"retry_backoff_seconds":2.0', '"filename_embd_weight":1.0', '"clustering_ratio":0.0'):
        assert text in raw

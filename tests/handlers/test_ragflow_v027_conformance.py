"""RAGFlow v0.27.0's dataset API to the letter: messages, defaults, check order and edge semantics.

Every case is a request through a real handler (``functions/<name>``, fed an ``events/`` file) and the answer
RAGFlow v0.27.0 gives, with the place in v0.27.0's source it comes from (``path: function``). The HTTP
status is ours: real statuses by default (400 for argument errors, 404 for a dataset the caller cannot see,
409 for a name clash, 415 for a content type), and HTTP 200 for every application error when the deployment
chooses RAGFlow's convention (``ERROR_STATUSES=ragflow``).

The deployment is configured like the tenant RAGFlow's own test suites run as: the built-in
``BAAI/bge-small-en-v1.5`` and ZHIPU-AI's embedding models set up, ZHIPU-AI's ``glm-4-flash`` as the default
chat model. Our configured embedding models play the part of RAGFlow's tenant set-up: their providers are the
providers the tenant has set up.

Nothing here names a module of the shared layer except the two helpers that switch settings
(``deployment_settings``, ``load_settings``): the settings loader is the one internal these tests need.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import TENANT_B, Reply, fresh_table, invoke, route_event
from local_server import start
from tools import template


@pytest.fixture(scope="module", autouse=True)
def one_table() -> Iterator[None]:
    """One table for the module and a fresh tenant for each case: a new table per case cost most of its time."""
    with fresh_table():
        yield


# ---- the deployment: configured like RAGFlow's CI tenant -------------------------------------------------------------

DEFAULT_MODEL = "BAAI/bge-small-en-v1.5@Builtin"
CHAT_MODEL = "glm-4-flash@CI@ZHIPU-AI"
RAGFLOW_CI = {
    "EMBEDDING_MODELS": "BAAI/bge-small-en-v1.5@Builtin,embedding-2@ZHIPU-AI,embedding-3@ZHIPU-AI",
    "DEFAULT_EMBEDDING_MODEL": DEFAULT_MODEL,
    "DEFAULT_CHAT_MODEL": CHAT_MODEL,
}


@contextmanager
def deployment_settings(monkeypatch: pytest.MonkeyPatch, **env: str | None) -> Iterator[None]:
    """Run with these environment variables as the functions' settings (None: unset).

    The one place that knows settings are read once per process and cached by the loader: it clears that
    cache on the way in and out. If the loader moves, only this function and ``load_settings`` change.
    """
    from dataset_core import config

    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    config.settings.cache_clear()
    try:
        yield
    finally:
        config.settings.cache_clear()


def load_settings(monkeypatch: pytest.MonkeyPatch, **env: str | None) -> Any:
    """What the settings loader makes of these environment variables (it raises when it refuses them)."""
    from dataset_core import config

    with deployment_settings(monkeypatch, **env):
        return config.settings()


@pytest.fixture(autouse=True)
def ragflow_ci_tenant(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with deployment_settings(monkeypatch, **RAGFLOW_CI, ERROR_STATUSES=None):
        yield


# ---- v0.27.0's defaults (api/utils/api_utils.py: get_parser_config; validation_utils.py: ParserConfig) ---------------

RAPTOR_PROMPT = (
    "Summarize the paragraphs below without inventing facts or changing numbers.\n"
    "Output exactly two parts in the same language as the source:\n"
    "1. First line: a concise title only.\n"
    "2. Following lines: a concise summary of the content.\n"
    "Do not output labels, Markdown headings, bullet points, or any other commentary.\n\n"
    "Paragraphs:\n{cluster_content}"
)
ENTITY_TYPES = ["organization", "person", "geo", "event", "category"]
GRAPHRAG_RUNTIME: dict[str, Any] = {
    "batch_chunk_token_size": 4096, "retry_attempts": 2, "retry_backoff_seconds": 2.0,
    "retry_backoff_max_seconds": 60.0, "build_subgraph_timeout_per_chunk_seconds": 300,
    "build_subgraph_min_timeout_seconds": 600, "merge_timeout_seconds": 180, "resolution_timeout_seconds": 1800,
    "community_timeout_seconds": 1800, "lock_acquire_timeout_seconds": 600,
}  # fmt: skip
BASE: dict[str, Any] = {"table_context_size": 0, "image_context_size": 0}
NAIVE: dict[str, Any] = {
    **BASE, "layout_recognize": "DeepDOC", "chunk_token_num": 512, "delimiter": "\n", "auto_keywords": 0,
    "auto_questions": 0, "html4excel": False, "topn_tags": 3,
    "raptor": {
        "use_raptor": True, "prompt": RAPTOR_PROMPT, "max_token": 512, "clustering_threshold": 0.3,
        "clustering_ratio": 0.5, "max_cluster": 64, "random_seed": 0,
    },
    "graphrag": {"use_graphrag": True, "entity_types": ENTITY_TYPES, "method": "light", **GRAPHRAG_RUNTIME},
    "parent_child": {"use_parent_child": False, "children_delimiter": "\n"},
    "children_delimiter": "",
}  # fmt: skip
"""The naive defaults without ``llm_id``: what a method change to ``naive`` stores on update."""
NO_RAPTOR: dict[str, Any] = {**BASE, "raptor": {"use_raptor": False}, "graphrag": {"use_graphrag": False}}
"""The defaults of qa, manual, paper, book, laws and presentation (without ``llm_id``)."""
MODEL_DEFAULTS: dict[str, Any] = {
    "auto_keywords": 0, "auto_questions": 0, "chunk_token_num": 512, "delimiter": "\n", "html4excel": False,
    "layout_recognize": "DeepDOC", "tag_kb_ids": [], "topn_tags": 1, "filename_embd_weight": 0.1,
    "task_page_size": None, "pages": None, "enable_children": False, "children_delimiter": "",
    "compilation_template_group_id": [], "ext": {}, "table_column_mode": None, "table_column_roles": None,
    "table_column_names": None,
    "parent_child": {"use_parent_child": False, "children_delimiter": "\n"},
    "raptor": {
        "use_raptor": False, "prompt": RAPTOR_PROMPT, "max_token": 512, "clustering_threshold": 0.3,
        "clustering_ratio": 0.5, "max_cluster": 64, "random_seed": 0, "scope": "file",
        "auto_disable_for_structured_data": True,
    },
    "graphrag": {
        "use_graphrag": False, "entity_types": ENTITY_TYPES, "method": "light", "community": False,
        "resolution": False, **GRAPHRAG_RUNTIME,
    },
}  # fmt: skip
"""The 21 keys of the parser-config model at their defaults (they serialise to 1478 characters)."""


def partial(**sent: Any) -> dict[str, Any]:
    """What create stores for a non-empty parser_config, whatever the chunk method (24 keys)."""
    return {**BASE, **MODEL_DEFAULTS, **sent, "llm_id": CHAT_MODEL}


TASK_KEYS = [
    f"{kind}_task_{part}"
    for kind in (
        "graphrag", "raptor", "mindmap", "wiki", "skill", "structure_graph", "structure_mindmap", "timeline",
        "session_graph", "session_essence", "structure",
    )
    for part in ("id", "finish_at")
]  # fmt: skip
DATASET_KEYS = {
    "id", "create_time", "create_date", "update_time", "update_date", "avatar", "tenant_id", "created_by", "name",
    "language", "description", "embedding_model", "tenant_embd_id", "permission", "document_count", "chunk_count",
    "token_num", "similarity_threshold", "vector_similarity_weight", "chunk_method", "pipeline_id",
    "parser_config", "pagerank", "status", *TASK_KEYS,
}  # fmt: skip
"""The 46 keys of a dataset (a knowledgebase row with four keys renamed)."""

# ---- messages --------------------------------------------------------------------------------------------------------

MALFORMED = "Malformed JSON syntax: Missing commas/brackets or invalid encoding"
METHODS = (
    "Input should be 'naive', 'book', 'email', 'laws', 'manual', 'one', 'paper', 'picture', 'presentation', "
    "'qa', 'table', 'tag' or 'resume'"
)
NO_MIME = "missing MIME prefix. Expected format: data:<mime>;base64,<data>"
BAD_MIME_PREFIX = "invalid MIME prefix format. Must start with 'data:'"
BAD_MIME = "Unsupported MIME type. Allowed: ['image/jpeg', 'image/png']"
NO_AT = "embedding model identifier must follow <model_name>@<provider> format"
EMPTY_PART = "both model_name and provider must be non-empty strings"
ABSENT = "0193a1b2c3d47e8f9a0b1c2d3e4f5a6b"
OTHER_ABSENT = "ffffffffffffffffffffffffffffffff"


def value(raw: Any) -> str:
    """The Python ``str()`` of the input, cut to 125 characters and ``...`` when over 128."""
    text = str(raw)
    return text[:125] + "..." if len(text) > 128 else text


def line(loc: str, msg: str, raw: Any) -> str:
    """One line of ``validation_utils.py: format_validation_error_message``."""
    return f"Field: <{loc}> - Message: <{msg}> - Value: <{value(raw)}>"


def lacks(what: str) -> str:
    return f"User '$TENANT' lacks permission for dataset '{what}'"


def size_limit(size: int) -> str:
    return f"Parser config exceeds size limit (max 65,535 characters). Current size: {size}"


# ---- requests and cases ----------------------------------------------------------------------------------------------

_ROUTES = {
    "POST": ("create_dataset", "create_dataset_restful"),
    "LIST": ("list_datasets", "list_datasets_restful"),
    "GET": ("get_dataset", "get_dataset_restful"),
    "PUT": ("update_dataset", "update_dataset_restful"),
    "DELETE": ("delete_dataset", "delete_dataset_restful"),
}
JSON = {"Content-Type": "application/json"}
NO_CONTENT_TYPE = {"Accept": "application/json"}


@dataclass(frozen=True)
class Req:
    """One request. ``LIST`` is ``GET /datasets``, ``GET`` is ``GET /datasets/{path}``. Strings may hold
    ``$A``, ``$B`` ... (the id of the dataset of that name made first), ``$A_DASHED``, ``$A_UPPER``."""

    method: str
    body: Any = ...
    raw: str | None = None
    no_body: bool = False
    headers: dict[str, str] | None = None
    query: dict[str, str] | None = None
    multi_query: dict[str, list[str]] | None = None
    path: str | None = None


def post(body: Any = ..., **kw: Any) -> Req:
    return Req("POST", body, **kw)


def put(body: Any = ..., path: str = "$A", **kw: Any) -> Req:
    return Req("PUT", body, path=path, **kw)


def delete(body: Any = ..., **kw: Any) -> Req:
    return Req("DELETE", body, **kw)


def listing(**query: str) -> Req:
    return Req("LIST", query=query)


def get(path: str) -> Req:
    return Req("GET", path=path)


UNCHECKED: Any = object()


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    """Where v0.27.0 decides it: ``path: function`` as the reference cites it."""
    request: Req
    status: int
    code: int
    message: str | None = None
    """Exact (after ``$`` placeholders are filled), unless ``prefix``."""
    prefix: bool = False
    data: Any = UNCHECKED
    check: Callable[[Reply, dict[str, str]], None] | None = None
    given: tuple[str | dict[str, Any], ...] = ()
    """Datasets made first, in order: a name, or a whole create body."""
    ragflow_status: int | None = 200
    """The status under ``ERROR_STATUSES=ragflow`` for an error row (None: not an application error)."""


def fill(obj: Any, ids: dict[str, str]) -> Any:
    if isinstance(obj, str):
        for token in sorted(ids, key=len, reverse=True):
            obj = obj.replace(token, ids[token])
        return obj
    if isinstance(obj, list):
        return [fill(item, ids) for item in obj]
    if isinstance(obj, tuple):
        return tuple(fill(item, ids) for item in obj)
    if isinstance(obj, dict):
        return {fill(k, ids): fill(v, ids) for k, v in obj.items()}
    return obj


def send(req: Req, ids: dict[str, str], tenant: str | None = None) -> Reply:
    """``req`` as the tenant of ``ids`` (or ``tenant``)."""
    function, event_name = _ROUTES[req.method]
    query = fill(req.query, ids) if req.query is not None else ({} if req.method == "LIST" else None)
    event = route_event(
        event_name,
        tenant=tenant or ids["$TENANT"],
        body=fill(req.body, ids),
        raw_body=fill(req.raw, ids),
        dataset_id=fill(req.path, ids),
        query=query,
        headers=req.headers,
    )
    if req.multi_query is not None:
        multi = fill(req.multi_query, ids)
        event["multiValueQueryStringParameters"] = multi
        event["queryStringParameters"] = {k: v[-1] for k, v in multi.items()}  # API Gateway keeps the last
    if req.no_body:
        event["body"] = None
    return invoke(function, event)


def make(given: tuple[str | dict[str, Any], ...] = ()) -> dict[str, str]:
    """A new tenant with the given datasets: the placeholders their ids fill."""
    ids = {"$TENANT": uuid.uuid4().hex, "$ABSENT": ABSENT}
    for item in given:
        body = {"name": item} if isinstance(item, str) else item
        reply = send(post(body), ids)
        assert reply.status == 200, reply.body
        dataset_id = reply.body["data"]["id"]
        key = "$" + body["name"]
        ids |= {key: dataset_id, f"{key}_UPPER": dataset_id.upper(), f"{key}_DASHED": str(uuid.UUID(dataset_id))}
    return ids


def run(case: Case, status: int) -> None:
    ids = make(case.given)
    reply = send(case.request, ids)
    where = f"v0.27.0 {case.source}\nreply: {reply.status} {reply.raw[:3000]}"
    assert (reply.status, reply.body.get("code")) == (status, case.code), where
    if case.message is not None:
        expected = fill(case.message, ids)
        if case.prefix:
            assert reply.body.get("message", "").startswith(expected), where
        else:
            assert reply.body.get("message") == expected, where
    if case.data is not UNCHECKED:
        assert reply.body.get("data") == fill(case.data, ids), where
    if case.check is not None:
        case.check(reply, ids)


# ---- case checks -----------------------------------------------------------------------------------------------------


def parser_config_is(expected: dict[str, Any]) -> Callable[[Reply, dict[str, str]], None]:
    def check(reply: Reply, ids: dict[str, str]) -> None:
        assert reply.body["data"]["parser_config"] == expected, reply.body["data"]["parser_config"]

    return check


def field_is(name: str, expected: Any) -> Callable[[Reply, dict[str, str]], None]:
    def check(reply: Reply, ids: dict[str, str]) -> None:
        assert reply.body["data"][name] == fill(expected, ids), reply.body["data"]

    return check


def names_listed(*names: str, total: int | None = None) -> Callable[[Reply, dict[str, str]], None]:
    def check(reply: Reply, ids: dict[str, str]) -> None:
        assert [d["name"] for d in reply.body["data"]] == list(names), reply.body
        assert reply.body["total_datasets"] == (len(names) if total is None else total), reply.body

    return check


def stored_parser_config(key: str, expected: Any) -> Callable[[Reply, dict[str, str]], None]:
    def check(reply: Reply, ids: dict[str, str]) -> None:
        config = reply.body["data"]["parser_config"]
        assert config.get(key, "<absent>") == expected, config

    return check


def raw_contains(text: str) -> Callable[[Reply, dict[str, str]], None]:
    def check(reply: Reply, ids: dict[str, str]) -> None:
        assert text in reply.raw, reply.raw[:3000]

    return check


def remaining(*names: str) -> Callable[[Reply, dict[str, str]], None]:
    def check(reply: Reply, ids: dict[str, str]) -> None:
        left = send(listing(), ids).body["data"]
        assert sorted(d["name"] for d in left) == sorted(names), left

    return check


def both(*checks: Callable[[Reply, dict[str, str]], None]) -> Callable[[Reply, dict[str, str]], None]:
    def check(reply: Reply, ids: dict[str, str]) -> None:
        for each in checks:
            each(reply, ids)

    return check


def nothing_created(reply: Reply, ids: dict[str, str]) -> None:
    assert send(listing(), ids).body["total_datasets"] == len([k for k in ids if k.endswith("_UPPER")])


# ---- request parsing -------------------------------------------------------------------------------------------------

PARSE = "api/utils/validation_utils.py: validate_and_parse_json_request"
NAME_REQUIRED = line("name", "Field required", {})

CASES: list[Case] = [
    # 4. a non-object payload: Python's type name
    *(
        Case(f"create_{raw}_is_not_an_object", PARSE, post(raw=raw), 400, 101,
             f"Invalid request payload: expected object, got {kind}")
        for raw, kind in [('"a"', "str"), ("[1]", "list"), ("1", "int"), ("1.5", "float"), ("true", "bool"),
                          ("NaN", "float"), ("-Infinity", "float")]
    ),
    Case("update_str_is_not_an_object", PARSE, put(raw='"a"'), 400, 101,
         "Invalid request payload: expected object, got str", given=("A",)),
    Case("delete_list_is_not_an_object", PARSE, delete(raw="[1]"), 400, 101,
         "Invalid request payload: expected object, got list"),
    # 3. falsy values count as {}
    *(
        Case(f"create_{raw or 'empty_string'}_counts_as_an_empty_object", PARSE, post(raw=raw), 400, 101,
             NAME_REQUIRED)
        for raw in ["[]", "0", "0.0", '""', "false", "null", "{}"]
    ),
    *(
        Case(f"update_{raw}_counts_as_an_empty_object", "api/apps/services/dataset_api_service.py: update_dataset",
             put(raw=raw), 400, 102, "no properties were modified", given=("A",))
        for raw in ["[]", "0", '""', "false", "null"]
    ),
    *(
        Case(f"delete_{raw}_counts_as_an_empty_object_and_deletes_nothing",
             "api/apps/services/dataset_api_service.py: _delete_datasets_sync", delete(raw=raw), 200, 0,
             data={"success_count": 0}, given=("A",), check=remaining("A"))
        for raw in ["[]", "0", '""', "false", "null"]
    ),
    # 2. JSON syntax
    *(
        Case(f"create_body_{label}_is_malformed", PARSE, post(raw=raw), 400, 101, MALFORMED)
        for label, raw in [("empty", ""), ("blank", " "), ("with_bom", "\ufeff{}"), ("trailing_comma", '{"name":"x",}')]
    ),
    Case("update_json_without_body_is_malformed", PARSE, put(raw="", headers=JSON), 400, 101, MALFORMED, given=("A",)),
    Case("delete_json_without_body_is_malformed", PARSE, delete(no_body=True, headers=JSON), 400, 101, MALFORMED),
    # 1. content type: the raw header, None when absent
    Case("create_without_content_type", PARSE, post({"name": "x"}, headers=NO_CONTENT_TYPE), 415, 101,
         "Unsupported content type: Expected application/json, got None"),
    Case("create_with_empty_content_type", PARSE, post({"name": "x"}, headers={"Content-Type": ""}), 415, 101,
         "Unsupported content type: Expected application/json, got "),
    Case("create_with_text_xml", PARSE, post({"name": "x"}, headers={"Content-Type": "text/xml"}), 415, 101,
         "Unsupported content type: Expected application/json, got text/xml"),
    Case("create_with_multipart", PARSE, post({"name": "x"}, headers={"Content-Type": "multipart/form-data; boundary=x"}),
         415, 101, "Unsupported content type: Expected application/json, got multipart/form-data; boundary=x"),
    Case("create_with_json_patch", PARSE, post({"name": "x"}, headers={"Content-Type": "application/json-patch+json"}),
         415, 101, "Unsupported content type: Expected application/json, got application/json-patch+json"),
    Case("create_with_json_and_charset", PARSE, post({"name": "x"}, headers={"Content-Type": "application/json; charset=utf-8"}),
         200, 0, check=field_is("name", "x")),
    Case("create_with_upper_case_json", PARSE, post({"name": "x"}, headers={"Content-Type": "APPLICATION/JSON"}),
         200, 0, check=field_is("name", "x")),
    Case("update_without_body_or_content_type", PARSE, put(no_body=True, headers=NO_CONTENT_TYPE), 415, 101,
         "Unsupported content type: Expected application/json, got None", given=("A",)),
    Case("delete_without_body_or_content_type", PARSE, delete(no_body=True, headers=NO_CONTENT_TYPE), 415, 101,
         "Unsupported content type: Expected application/json, got None"),
    Case("delete_with_text_xml_and_no_body", PARSE, delete(no_body=True, headers={"Content-Type": "text/xml"}), 415, 101,
         "Unsupported content type: Expected application/json, got text/xml"),
    # 5. the path id is validated with the body, and overwrites a dataset_id in it
    Case("update_path_uuid_is_checked_before_the_empty_body", "api/utils/validation_utils.py: UpdateDatasetReq.validate_dataset_id",
         put({}, path="not_uuid"), 400, 101, line("dataset_id", "Invalid UUID format", "not_uuid")),
    Case("update_dataset_id_in_the_body_is_ignored", PARSE, put({"dataset_id": "$B"}), 400, 102,
         "no properties were modified", given=("A", "B")),
]  # fmt: skip

# ---- the validation line ---------------------------------------------------------------------------------------------

FORMAT = "api/utils/validation_utils.py: format_validation_error_message"
CASES += [
    Case("lines_follow_declaration_order_then_unknown_keys", FORMAT,
         post({"zzz": 1, "permission": "x", "name": 1}), 400, 101,
         "\n".join([line("name", "Input should be a valid string", 1),
                    line("permission", "Input should be 'me' or 'team'", "x"),
                    line("zzz", "Extra inputs are not permitted", 1)])),
    Case("value_is_cut_to_125_characters_and_dots", FORMAT, post({"name": "a" * 129}), 400, 101,
         line("name", "String should have at most 128 characters", "a" * 129)),
    Case("value_is_not_stripped", FORMAT, post({"name": " "}), 400, 101,
         "Field: <name> - Message: <String should have at least 1 character> - Value: < >"),
    Case("value_is_python_str_of_true", FORMAT, post({"name": True}), 400, 101,
         "Field: <name> - Message: <Input should be a valid string> - Value: <True>"),
    Case("value_is_python_str_of_a_list", FORMAT, post({"name": ["x"]}), 400, 101,
         "Field: <name> - Message: <Input should be a valid string> - Value: <['x']>"),
    Case("value_of_null_is_None", FORMAT, post({"name": None}), 400, 101,
         "Field: <name> - Message: <Input should be a valid string> - Value: <None>"),
    Case("value_of_a_float_keeps_its_point", FORMAT, post({"name": "x", "parser_config": {"raptor": {"max_cluster": 3.0}}}),
         400, 101, "Field: <parser_config.raptor.max_cluster> - Message: <Input should be a valid integer> - Value: <3.0>"),
    *(
        Case(f"create_refuses_update_only_{key}", "api/utils/validation_utils.py: CreateDatasetReq", post({"name": "x", key: raw}),
             400, 101, line(key, "Extra inputs are not permitted", raw))
        for key, raw in [("pagerank", 50), ("language", "English"), ("connectors", []), ("dataset_id", ABSENT)]
    ),
]  # fmt: skip

# ---- create fields ---------------------------------------------------------------------------------------------------

CREATE_REQ = "api/utils/validation_utils.py: CreateDatasetReq"
AVATAR = "api/utils/validation_utils.py: CreateDatasetReq.validate_avatar_base64"
EMBEDDING_FORMAT = "api/utils/validation_utils.py: CreateDatasetReq.validate_embedding_model"
PIPELINE = "api/utils/validation_utils.py: CreateDatasetReq.validate_parser_dependency"
CASES += [
    Case("name_of_129_utf8_bytes_is_refused_by_create_with_name",
         "api/db/services/knowledgebase_service.py: KnowledgebaseService.create_with_name",
         post({"name": "数" * 43}), 400, 102, "Dataset name length is 43 which is large than 128", check=nothing_created),
    Case("name_of_128_ascii_characters_is_taken", CREATE_REQ, post({"name": "n" * 128}), 200, 0,
         check=field_is("name", "n" * 128)),
    Case("name_keeps_control_characters", CREATE_REQ, post({"name": "line\nbreak"}), 200, 0,
         check=field_is("name", "line\nbreak")),
    Case("name_empty_after_str_strip_is_refused_by_create_with_name",
         "api/db/services/knowledgebase_service.py: KnowledgebaseService.create_with_name",
         post({"name": "\x1c\x1f"}), 400, 102, "dataset name can't be empty", check=nothing_created),
    Case("name_is_stripped_again_by_str_strip", "api/db/services/knowledgebase_service.py: KnowledgebaseService.create_with_name",
         post({"name": "\x1ckb\x1f"}), 200, 0, check=field_is("name", "kb")),
    *(
        Case(f"avatar_{label}", AVATAR, post({"name": "x", "avatar": raw}), 400, 101, line("avatar", msg, raw))
        for label, raw, msg in [
            ("without_comma", "abc", NO_MIME),
            ("without_data_part", "data:image/png;base64", NO_MIME),
            ("without_data_prefix", "image/png;base64,abc", BAD_MIME_PREFIX),
            ("gif", "data:image/gif;base64,R0lG", BAD_MIME),
            ("upper_case_mime", "data:image/PNG;base64,AAA", BAD_MIME),
            ("too_long_before_anything_else", "x" * 65536, "String should have at most 65535 characters"),
            ("not_a_string", 1, "Input should be a valid string"),
        ]
    ),
    *(
        Case(f"avatar_{label}_is_taken_as_sent", AVATAR, post({"name": "x", "avatar": raw}), 200, 0,
             check=field_is("avatar", raw))
        for label, raw in [("without_base64_marker", "data:image/png,AAA"), ("with_empty_data", "data:image/jpeg;base64,"),
                           ("empty", "")]
    ),
    Case("description_too_long", CREATE_REQ, post({"name": "x", "description": "d" * 65536}), 400, 101,
         line("description", "String should have at most 65535 characters", "d" * 65536)),
    *(
        Case(f"embedding_model_{label}", EMBEDDING_FORMAT, post({"name": "x", "embedding_model": raw}), 400, 101,
             line("embedding_model", msg, raw))
        for label, raw, msg in [
            ("empty", "", NO_AT),
            ("blank", " ", NO_AT),
            ("without_at", "BAAI/bge-small-en-v1.5Builtin", NO_AT),
            ("without_model", "@Builtin", EMPTY_PART),
            ("without_provider", "BAAI/bge-small-en-v1.5@", EMPTY_PART),
            ("blank_model", " @Builtin", EMPTY_PART),
            ("blank_provider", "BAAI/bge-small-en-v1.5@ ", EMPTY_PART),
            ("too_long", "e" * 256, "String should have at most 255 characters"),
            ("not_a_string", 123, "Input should be a valid string"),
        ]
    ),
    *(
        Case(f"permission_{label}", CREATE_REQ, post({"name": "x", "permission": raw}), 400, 101,
             line("permission", "Input should be 'me' or 'team'", raw))
        for label, raw in list[tuple[str, Any]]([("null", None), ("empty", ""), ("upper_case", "ME"), ("padded", " ME "), ("list", []), ("int", 5)])
    ),
    *(
        Case(f"chunk_method_{label}", CREATE_REQ, post({"name": "x", "chunk_method": raw}), 400, 101,
             line("chunk_method", METHODS, raw))
        for label, raw in [("knowledge_graph", "knowledge_graph"), ("capitalised", "Naive"), ("empty", ""),
                           ("null", None), ("int", 5)]
    ),
    *(
        Case(f"parser_config_{label}_is_not_an_object", CREATE_REQ, post({"name": "x", "parser_config": raw}), 400, 101,
             line("parser_config", "Input should be a valid dictionary or instance of ParserConfig", raw))
        for label, raw in [("list", []), ("string", "x"), ("int", 1)]
    ),
    # pipeline mode: model-level errors have an empty location and the whole input as value
    Case("parse_type_without_pipeline_id", PIPELINE, post({"name": "x", "parse_type": 1}), 400, 101,
         line("", "parser_id omitted → required fields missing: pipeline_id", {"name": "x", "parse_type": 1})),
    Case("pipeline_id_without_parse_type", PIPELINE, post({"name": "x", "pipeline_id": "a" * 32}), 400, 101,
         line("", "parser_id omitted → required fields missing: parse_type", {"name": "x", "pipeline_id": "a" * 32})),
    Case("parse_type_1_drops_the_pipeline_id", PIPELINE, post({"name": "x", "parse_type": 1, "pipeline_id": "a" * 32}),
         400, 101, "Field: <> - Message: <parser_id omitted → required fields missing: pipeline_id> - Value: <", prefix=True),
    Case("chunk_method_with_pipeline_id", PIPELINE, post({"name": "x", "chunk_method": "qa", "pipeline_id": "a" * 32}),
         400, 101, "Field: <> - Message: <parser_id provided → disallowed fields present: pipeline_id> - Value: <", prefix=True),
    Case("chunk_method_with_parse_type_2", PIPELINE, post({"name": "x", "chunk_method": "qa", "parse_type": 2}),
         400, 101, "Field: <> - Message: <parser_id provided → disallowed fields present: parse_type> - Value: <", prefix=True),
    Case("pipeline_id_empty", CREATE_REQ, post({"name": "x", "parse_type": 2, "pipeline_id": ""}), 400, 101,
         line("pipeline_id", "String should have at least 32 characters", "")),
    Case("pipeline_id_not_hex", CREATE_REQ, post({"name": "x", "parse_type": 2, "pipeline_id": "g" * 32}), 400, 101,
         line("pipeline_id", "pipeline_id must be hexadecimal", "g" * 32)),
    Case("parse_type_over_64", CREATE_REQ, post({"name": "x", "parse_type": 65, "pipeline_id": "a" * 32}), 400, 101,
         line("parse_type", "Input should be less than or equal to 64", 65)),
    Case("pipeline_mode_stores_naive_and_the_lower_case_pipeline_id", PIPELINE,
         post({"name": "x", "parse_type": 2, "pipeline_id": "AB" * 16}), 200, 0,
         check=both(field_is("chunk_method", "naive"), field_is("pipeline_id", "ab" * 16), parser_config_is({**NAIVE, "llm_id": CHAT_MODEL}))),
    Case("null_chunk_method_with_a_pipeline_id_is_pipeline_mode", PIPELINE,
         post({"name": "x", "chunk_method": None, "pipeline_id": "a" * 32}), 200, 0,
         check=both(field_is("chunk_method", "naive"), field_is("pipeline_id", "a" * 32))),
    # auto_metadata_config and ext
    Case("auto_metadata_config_turns_metadata_on", "api/apps/services/dataset_api_service.py: create_dataset",
         post({"name": "x", "chunk_method": "qa", "auto_metadata_config": {}}), 200, 0,
         check=parser_config_is({**NO_RAPTOR, "llm_id": CHAT_MODEL, "metadata": [], "enable_metadata": True})),
    Case("auto_metadata_config_field_types", CREATE_REQ,
         post({"name": "x", "auto_metadata_config": {"metadata": [{"key": "k", "type": "date"}]}}), 400, 101,
         line("auto_metadata_config.metadata.0.type", "Input should be 'string', 'list', 'time' or 'number'", "date")),
    Case("ext_empty_is_taken", CREATE_REQ, post({"name": "x", "ext": {}}), 200, 0, check=field_is("name", "x")),
    Case("ext_sets_a_field_of_the_request", "deliberate deviation: api/apps/services/dataset_api_service.py: "
         "create_dataset merges ext's keys into the row unvalidated; here only the request's own fields, validated",
         post({"name": "x", "description": "top", "ext": {"description": "from ext"}}), 200, 0,
         check=field_is("description", "from ext")),
    Case("ext_field_is_validated_as_that_field", "deliberate deviation (see ext_sets_a_field_of_the_request)",
         post({"name": "x", "ext": {"permission": "all"}}), 400, 101,
         line("permission", "Input should be 'me' or 'team'", "all")),
    Case("ext_key_that_is_no_field_is_refused", "deliberate deviation (see ext_sets_a_field_of_the_request)",
         post({"name": "x", "ext": {"tenant_id": "t"}}), 400, 101,
         line("ext", "Extra inputs are not permitted", {"tenant_id": "t"}), check=nothing_created),
    Case("ext_null_is_refused", CREATE_REQ, post({"name": "x", "ext": None}), 400, 101,
         line("ext", "Input should be a valid dictionary", None)),
]  # fmt: skip

# ---- embedding-model resolution: the configured models are the tenant's set-up ---------------------------------------

RESOLVE = "api/db/joint_services/tenant_model_service.py: resolve_model_config"
CASES += [
    *(
        Case(f"create_resolves_{label}", RESOLVE, post({"name": "x", "embedding_model": raw}), 400, 102, msg,
             check=nothing_created)
        for label, raw, msg in [
            ("unknown_model_of_a_set_up_provider", "unknown@ZHIPU-AI", "Model unknown@ZHIPU-AI not found for model embedding"),
            ("unknown_provider", "embedding-3@unknown", "Provider unknown not found for model embedding-3@unknown."),
            ("catalogued_model_of_a_provider_not_set_up", "text-embedding-v3@Tongyi-Qianwen",
             "Provider Tongyi-Qianwen not found for model text-embedding-v3@Tongyi-Qianwen."),
            ("openai_not_set_up", "text-embedding-3-small@OpenAI",
             "Provider OpenAI not found for model text-embedding-3-small@OpenAI."),
            ("provider_after_the_last_at", "a@b@c", "Provider c not found for model a@b@c."),
            ("a_32_hex_id_that_is_no_tenant_model", "0123456789abcdef0123456789ABCDEF",
             "Provider  not found for model 0123456789abcdef0123456789ABCDEF."),
        ]
    ),
    *(
        Case(f"create_takes_{label}", RESOLVE, post({"name": "x", "embedding_model": raw}), 200, 0,
             check=field_is("embedding_model", stored))
        for label, raw, stored in [
            ("the_builtin_model", "BAAI/bge-small-en-v1.5@Builtin", "BAAI/bge-small-en-v1.5@Builtin"),
            ("a_set_up_model", "embedding-3@ZHIPU-AI", "embedding-3@ZHIPU-AI"),
            ("a_set_up_model_stripped", " embedding-2@ZHIPU-AI ", "embedding-2@ZHIPU-AI"),
        ]
    ),
    *(
        Case(f"create_with_{label}_embedding_model_takes_the_default", "api/apps/services/dataset_api_service.py: create_dataset",
             post(body), 200, 0, check=field_is("embedding_model", DEFAULT_MODEL))
        for label, body in [("omitted", {"name": "x"}), ("null", {"name": "x", "embedding_model": None})]
    ),
    Case("update_resolves_like_create", "api/apps/services/dataset_api_service.py: update_dataset",
         put({"embedding_model": "unknown@ZHIPU-AI"}), 400, 102, "Model unknown@ZHIPU-AI not found for model embedding",
         given=("A",)),
    Case("update_to_a_provider_not_set_up", "api/apps/services/dataset_api_service.py: update_dataset",
         put({"embedding_model": "text-embedding-3-small@OpenAI"}), 400, 102,
         "Provider OpenAI not found for model text-embedding-3-small@OpenAI.", given=("A",)),
    Case("update_to_a_set_up_model", "api/apps/services/dataset_api_service.py: update_dataset",
         put({"embedding_model": "embedding-3@ZHIPU-AI"}), 200, 0, given=("A",),
         check=field_is("embedding_model", "embedding-3@ZHIPU-AI")),
]  # fmt: skip

# ---- parser_config fields and the size limit -------------------------------------------------------------------------

PARSER = "api/utils/validation_utils.py: ParserConfig"
LENGTH = "api/utils/validation_utils.py: CreateDatasetReq.validate_parser_config_json_length"


def pc(**config: Any) -> Req:
    return post({"name": "x", "parser_config": config})


CASES += [
    Case("delimiter_has_no_cap_of_its_own", PARSER, pc(delimiter="a" * 300), 200, 0,
         check=stored_parser_config("delimiter", "a" * 300)),
    Case("delimiter_up_to_the_config_limit", LENGTH, pc(delimiter="a" * 64059), 200, 0,
         check=stored_parser_config("delimiter", "a" * 64059)),
    Case("delimiter_one_past_the_config_limit", LENGTH, pc(delimiter="a" * 64060), 400, 101,
         line("parser_config", size_limit(65536), {"delimiter": "a" * 64060})),
    Case("delimiter_of_65536_characters", LENGTH, pc(delimiter="a" * 65536), 400, 101,
         line("parser_config", size_limit(67012), {"delimiter": "a" * 65536})),
    Case("limit_counts_characters_not_bytes", LENGTH, pc(delimiter="数" * 64059), 200, 0,
         check=stored_parser_config("delimiter", "数" * 64059)),
    Case("limit_counts_an_escaped_quote_twice", LENGTH, pc(delimiter='"' * 32030), 400, 101,
         line("parser_config", size_limit(65536), {"delimiter": '"' * 32030})),
    Case("limit_counts_every_default", LENGTH, pc(raptor={"prompt": "p" * 65000}), 400, 101,
         line("parser_config", size_limit(1478 - len(json.dumps(RAPTOR_PROMPT)) + 2 + 65000), {"raptor": {"prompt": "p" * 65000}})),
    Case("parser_config_takes_an_int_for_a_float_and_stores_a_float", PARSER, pc(filename_embd_weight=1), 200, 0,
         check=raw_contains('"filename_embd_weight":1.0')),
    Case("delimiter_empty", PARSER, pc(delimiter=""), 400, 101,
         line("parser_config.delimiter", "String should have at least 1 character", "")),
    *(
        Case(f"{key}_is_no_parser_config_field", PARSER, pc(**{key: 1}), 400, 101,
             line(f"parser_config.{key}", "Extra inputs are not permitted", 1))
        for key in ["image_context_size", "table_context_size", "llm_id"]
    ),
    *(
        Case(f"parser_config_{label}", PARSER, pc(**config), 400, 101, line(loc, msg, raw))
        for label, config, loc, msg, raw in list[tuple[str, dict[str, Any], str, str, Any]]([
            ("raptor_null", {"raptor": None}, "parser_config.raptor",
             "Input should be a valid dictionary or instance of RaptorConfig", None),
            ("graphrag_list", {"graphrag": []}, "parser_config.graphrag",
             "Input should be a valid dictionary or instance of GraphragConfig", []),
            ("parent_child_string", {"parent_child": "x"}, "parser_config.parent_child",
             "Input should be a valid dictionary or instance of ParentChildConfig", "x"),
            ("clustering_ratio_over_1", {"raptor": {"clustering_ratio": 1.5}}, "parser_config.raptor.clustering_ratio",
             "Input should be less than or equal to 1", 1.5),
            ("auto_disable_not_bool", {"raptor": {"auto_disable_for_structured_data": "x"}},
             "parser_config.raptor.auto_disable_for_structured_data", "Input should be a valid boolean", "x"),
            ("max_token_float", {"raptor": {"max_token": 600.0}}, "parser_config.raptor.max_token",
             "Input should be a valid integer", 600.0),
            ("retry_attempts_over_10", {"graphrag": {"retry_attempts": 11}}, "parser_config.graphrag.retry_attempts",
             "Input should be less than or equal to 10", 11),
            ("retry_backoff_over_600", {"graphrag": {"retry_backoff_seconds": 601}},
             "parser_config.graphrag.retry_backoff_seconds", "Input should be less than or equal to 600", 601),
            ("retry_backoff_max_over_3600", {"graphrag": {"retry_backoff_max_seconds": 3601}},
             "parser_config.graphrag.retry_backoff_max_seconds", "Input should be less than or equal to 3600", 3601),
            ("subgraph_timeout_0", {"graphrag": {"build_subgraph_timeout_per_chunk_seconds": 0}},
             "parser_config.graphrag.build_subgraph_timeout_per_chunk_seconds",
             "Input should be greater than or equal to 1", 0),
            ("merge_timeout_over_a_day", {"graphrag": {"merge_timeout_seconds": 86401}},
             "parser_config.graphrag.merge_timeout_seconds", "Input should be less than or equal to 86400", 86401),
            ("graphrag_method_null", {"graphrag": {"method": None}}, "parser_config.graphrag.method",
             "Input should be 'light', 'general' or 'ner'", None),
            ("batch_chunk_token_size_over_8196", {"graphrag": {"batch_chunk_token_size": 8197}},
             "parser_config.graphrag.batch_chunk_token_size", "Input should be less than or equal to 8196", 8197),
            ("table_column_mode", {"table_column_mode": "x"}, "parser_config.table_column_mode",
             "Input should be 'auto' or 'manual'", "x"),
            ("table_column_roles", {"table_column_roles": {"c": "x"}}, "parser_config.table_column_roles.c",
             "Input should be 'indexing', 'metadata' or 'both'", "x"),
            ("tag_kb_ids_null", {"tag_kb_ids": None}, "parser_config.tag_kb_ids", "Input should be a valid list", None),
            ("ext_null", {"ext": None}, "parser_config.ext", "Input should be a valid dictionary", None),
            ("task_page_size_0", {"task_page_size": 0}, "parser_config.task_page_size",
             "Input should be greater than or equal to 1", 0),
            ("parent_child_delimiter_empty", {"parent_child": {"children_delimiter": ""}},
             "parser_config.parent_child.children_delimiter", "String should have at least 1 character", ""),
            ("pages_item_not_int", {"pages": [[1, "2"]]}, "parser_config.pages.0.1", "Input should be a valid integer", "2"),
            ("chunk_token_num_as_string", {"chunk_token_num": "512"}, "parser_config.chunk_token_num",
             "Input should be a valid integer", "512"),
        ])
    ),
    *(
        Case(f"parser_config_takes_{label}", PARSER, pc(**config), 200, 0, check=stored_parser_config(key, stored))
        for label, config, key, stored in list[tuple[str, dict[str, Any], str, Any]]([
            ("pages_of_any_shape", {"pages": [[1], [3, 2, 1], []]}, "pages", [[1], [3, 2, 1], []]),
            ("more_than_100_tag_kb_ids", {"tag_kb_ids": ["t"] * 101}, "tag_kb_ids", ["t"] * 101),
            ("no_entity_types", {"graphrag": {"entity_types": []}}, "graphrag",
             {**MODEL_DEFAULTS["graphrag"], "entity_types": []}),
            ("a_long_layout_recognize", {"layout_recognize": "L" * 300}, "layout_recognize", "L" * 300),
            ("an_empty_layout_recognize", {"layout_recognize": ""}, "layout_recognize", ""),
            ("a_random_seed_past_32_bits", {"raptor": {"random_seed": 2**32}}, "raptor",
             {**MODEL_DEFAULTS["raptor"], "random_seed": 2**32}),
            ("clustering_ratio", {"raptor": {"clustering_ratio": 0.7}}, "raptor",
             {**MODEL_DEFAULTS["raptor"], "clustering_ratio": 0.7}),
            ("graphrag_retries", {"graphrag": {"retry_attempts": 10, "lock_acquire_timeout_seconds": 0}}, "graphrag",
             {**MODEL_DEFAULTS["graphrag"], "retry_attempts": 10, "lock_acquire_timeout_seconds": 0}),
            ("and_drops_raptor_legacy_keys", {"raptor": {"threshold": 0.2, "clustering_method": "x", "tree_builder": "y"}},
             "raptor", MODEL_DEFAULTS["raptor"]),
            ("the_legacy_raptor_ext_threshold", {"raptor": {"ext": {"clustering_threshold": 0.7}}}, "raptor",
             {**MODEL_DEFAULTS["raptor"], "clustering_threshold": 0.7}),
            ("a_template_group_as_a_string", {"compilation_template_group_id": "g1"}, "compilation_template_group_id", ["g1"]),
            ("template_groups_cleaned", {"compilation_template_group_id": [" g1 ", "g1", "", 1, "g2"]},
             "compilation_template_group_id", ["g1", "g2"]),
            ("template_groups_of_another_type_as_none", {"compilation_template_group_id": 5},
             "compilation_template_group_id", []),
            ("the_legacy_vectorize_role_as_indexing", {"table_column_roles": {"c": "vectorize"}}, "table_column_roles",
             {"c": "indexing"}),
            ("table_column_names", {"table_column_names": ["a", "b"]}, "table_column_names", ["a", "b"]),
            ("a_max_token_below_512_raised", {"raptor": {"max_token": 100}}, "raptor",
             {**MODEL_DEFAULTS["raptor"], "max_token": 512}),
        ])
    ),
]  # fmt: skip

# ---- names: the duplicate rename (api/db/services/__init__.py: duplicate_name) ---------------------------------------

RENAME = "api/db/services/__init__.py: duplicate_name"
CASES += [
    Case(f"rename_{requested}", RENAME, post({"name": requested}), 200, 0, given=tuple(existing),
         check=field_is("name", renamed))
    for requested, existing, renamed in [
        ("kb", ["kb"], "kb(1)"),
        ("kb_twice", ["kb_twice", "kb_twice(1)"], "kb_twice(2)"),
        ("kb(1)", ["kb(1)"], "kb(2)"),
        ("kb (3)", ["kb (3)"], "kb(4)"),
        ("kb(0)", ["kb(0)"], "kb(1)"),
        ("a.b", ["a.b"], "a(1).b"),
        ("a.tar.gz", ["a.tar.gz"], "a.tar(1).gz"),
        ("report v2.0", ["report v2.0"], "report v2(1).0"),
        ("v1.", ["v1."], "v1.(1)"),
        (".hidden", [".hidden"], ".hidden(1)"),
        ("x/y", ["x/y"], "y(1)"),
        ("a/b.c", ["a/b.c"], "b(1).c"),
        ("caseinsensitive", ["CASEINSENSITIVE"], "caseinsensitive(1)"),
    ]
]  # fmt: skip

# ---- default parser_config on create ---------------------------------------------------------------------------------

DEFAULTS = "api/utils/api_utils.py: get_parser_config"
CASES += [
    *(
        Case(f"create_{method}_with_parser_config_{label}", DEFAULTS, post({"name": "x", "chunk_method": method, **extra}),
             200, 0, check=parser_config_is({**expected, "llm_id": CHAT_MODEL}))
        for method, expected in [("naive", NAIVE), ("qa", NO_RAPTOR), ("manual", NO_RAPTOR), ("table", BASE),
                                 ("picture", BASE), ("resume", BASE)]
        for label, extra in list[tuple[str, dict[str, Any]]](
            [("unset", {}), ("empty", {"parser_config": {}}), ("null", {"parser_config": None})]
        )
    ),
    Case("create_without_chunk_method_is_naive", DEFAULTS, post({"name": "x"}), 200, 0,
         check=both(field_is("chunk_method", "naive"), parser_config_is({**NAIVE, "llm_id": CHAT_MODEL}))),
    *(
        Case(f"create_{method}_with_a_partial_parser_config", DEFAULTS,
             post({"name": "x", "chunk_method": method, "parser_config": {"chunk_token_num": 1024}}), 200, 0,
             check=parser_config_is(partial(chunk_token_num=1024)))
        for method in ["naive", "qa", "table"]
    ),
    Case("create_partial_parser_config_keeps_raptor_on_when_sent", DEFAULTS,
         pc(raptor={"use_raptor": True}), 200, 0,
         check=parser_config_is(partial(raptor={**MODEL_DEFAULTS["raptor"], "use_raptor": True}))),
    Case("create_parent_child_sets_children_delimiter_but_not_enable_children", DEFAULTS,
         pc(parent_child={"use_parent_child": True, "children_delimiter": "##"}), 200, 0,
         check=parser_config_is(partial(parent_child={"use_parent_child": True, "children_delimiter": "##"},
                                        children_delimiter="##", enable_children=False))),
    Case("create_partial_parser_config_keeps_ext_nested", DEFAULTS, pc(ext={"k": 1}), 200, 0,
         check=parser_config_is(partial(ext={"k": 1}))),
]  # fmt: skip

# ---- update ----------------------------------------------------------------------------------------------------------

UPDATE = "api/apps/services/dataset_api_service.py: update_dataset"
UPDATE_REQ = "api/utils/validation_utils.py: UpdateDatasetReq"
CASES += [
    *(
        Case(f"update_to_qa_with_parser_config_{label}_resets_to_qa_defaults", UPDATE,
             put({"chunk_method": "qa", **extra}), 200, 0, given=("A",), check=parser_config_is(NO_RAPTOR))
        for label, extra in list[tuple[str, dict[str, Any]]](
            [("unset", {}), ("empty", {"parser_config": {}}), ("null", {"parser_config": None})]
        )
    ),
    Case("update_to_naive_resets_to_naive_defaults_without_llm_id", UPDATE, put({"chunk_method": "naive"}), 200, 0,
         given=({"name": "A", "chunk_method": "qa"},), check=parser_config_is(NAIVE)),
    Case("update_to_another_method_with_a_config_merges", UPDATE,
         put({"chunk_method": "qa", "parser_config": {"chunk_token_num": 100}}), 200, 0, given=("A",),
         check=parser_config_is({**NAIVE, "llm_id": CHAT_MODEL, "chunk_token_num": 100, "enable_children": False})),
    Case("update_parser_config_adds_enable_children", UPDATE, put({"parser_config": {"chunk_token_num": 1024}}),
         200, 0, given=("A",),
         check=parser_config_is({**NAIVE, "llm_id": CHAT_MODEL, "chunk_token_num": 1024, "enable_children": False})),
    Case("update_enable_children_alone_is_overruled", UPDATE, put({"parser_config": {"enable_children": True}}),
         200, 0, given=("A",), check=stored_parser_config("enable_children", False)),
    Case("update_parent_child_on_sets_children_delimiter_and_enable_children", UPDATE,
         put({"parser_config": {"parent_child": {"use_parent_child": True, "children_delimiter": "##"}}}), 200, 0,
         given=("A",),
         check=parser_config_is({**NAIVE, "llm_id": CHAT_MODEL, "enable_children": True, "children_delimiter": "##",
                                 "parent_child": {"use_parent_child": True, "children_delimiter": "##"}})),
    Case("update_parser_config_ext_goes_to_the_top_level", UPDATE, put({"parser_config": {"ext": {"foo": 1}}}),
         200, 0, given=("A",), check=both(stored_parser_config("foo", 1), stored_parser_config("ext", "<absent>"))),
    Case("update_language_null_is_stored", UPDATE_REQ, put({"language": None}), 200, 0, given=("A",),
         check=field_is("language", None)),
    Case("update_connectors_are_echoed", "api/apps/services/dataset_api_service.py: update_dataset",
         put({"language": "English", "connectors": []}), 200, 0, given=("A",),
         check=both(field_is("connectors", []), field_is("language", "English"))),
    Case("update_answers_connectors_when_none_are_sent", UPDATE, put({"description": "d"}), 200, 0, given=("A",),
         check=field_is("connectors", [])),
    Case("update_connectors_null", UPDATE_REQ, put({"connectors": None}), 400, 101,
         line("connectors", "Input should be a valid list", None), given=("A",)),
    Case("update_connectors_item_not_an_object", UPDATE_REQ, put({"connectors": [1]}), 400, 101,
         line("connectors.0", "Input should be a valid dictionary", 1), given=("A",)),
    *(
        Case(f"update_with_only_{label}_succeeds_and_changes_nothing", UPDATE, put(body), 200, 0, given=("A",),
             check=parser_config_is({**NAIVE, "llm_id": CHAT_MODEL}))
        for label, body in [("an_empty_parser_config", {"parser_config": {}}), ("a_null_parser_config", {"parser_config": None}),
                            ("an_empty_ext", {"ext": {}}), ("a_null_auto_metadata_config", {"auto_metadata_config": None})]
    ),
    Case("update_parse_type_alone", "api/utils/validation_utils.py: CreateDatasetReq.validate_parser_dependency",
         put({"parse_type": 1}), 400, 101,
         line("", "parser_id omitted → required fields missing: pipeline_id", {"parse_type": 1, "dataset_id": "$A"}),
         given=("A",)),
    Case("update_bad_path_id_is_reported_between_create_fields_and_update_fields", UPDATE_REQ,
         put({"pagerank": "x", "name": 1}, path="not_uuid"), 400, 101,
         "\n".join([line("name", "Input should be a valid string", 1),
                    line("dataset_id", "Invalid UUID format", "not_uuid"),
                    line("pagerank", "Input should be a valid integer", "x")])),
    Case("update_checks_access_before_the_embedding_model", UPDATE,
         put({"embedding_model": "unknown@ZHIPU-AI"}, path=ABSENT), 404, 102, lacks(ABSENT)),
    Case("update_checks_the_name_before_the_embedding_model", UPDATE,
         put({"name": "B", "embedding_model": "unknown@ZHIPU-AI"}), 409, 102, "Dataset name 'B' already exists",
         given=("A", "B")),
    Case("update_pagerank_float", UPDATE_REQ, put({"pagerank": 5.0}), 400, 101,
         line("pagerank", "Input should be a valid integer", 5.0), given=("A",)),
    Case("update_embedding_model_empty", UPDATE_REQ, put({"embedding_model": ""}), 400, 101,
         line("embedding_model", NO_AT, ""), given=("A",)),
    Case("update_name_null", UPDATE_REQ, put({"name": None}), 400, 101,
         line("name", "Input should be a valid string", None), given=("A",)),
    Case("update_language_too_long", UPDATE_REQ, put({"language": "l" * 33}), 400, 101,
         line("language", "String should have at most 32 characters", "l" * 33), given=("A",)),
    Case("update_read_only_field", UPDATE_REQ, put({"document_count": 1}), 400, 101,
         line("document_count", "Extra inputs are not permitted", 1), given=("A",)),
]  # fmt: skip

# ---- list ------------------------------------------------------------------------------------------------------------

LIST_SERVICE = "api/apps/services/dataset_api_service.py: list_datasets"
LIST_REQ = "api/utils/validation_utils.py: ListDatasetReq"
CASES += [
    Case("list_id_and_name_of_different_datasets_is_an_empty_success", LIST_SERVICE, listing(id="$A", name="B"),
         200, 0, data=[], check=names_listed(total=0), given=("A", "B")),
    Case("list_id_and_name_of_the_same_dataset", LIST_SERVICE, listing(id="$A", name="A"), 200, 0,
         check=names_listed("A"), given=("A", "B")),
    Case("list_checks_the_id_before_the_name", LIST_SERVICE, listing(id=ABSENT, name="A"), 404, 102, lacks(ABSENT),
         given=("A",)),
    Case("list_valid_id_and_unknown_name", LIST_SERVICE, listing(id="$A", name="wrong"), 404, 102, lacks("wrong"),
         given=("A",)),
    Case("list_id_and_ids_together", LIST_SERVICE, listing(id="$A", ids="$B"), 400, 102,
         "Should not provide both 'id':$A and 'ids'['$B']", given=("A", "B")),
    Case("list_ids_drops_the_inaccessible", LIST_SERVICE, Req("LIST", multi_query={"ids": ["$A", ABSENT]}), 200, 0,
         check=names_listed("A"), given=("A", "B")),
    Case("list_ids_of_none_accessible_is_an_empty_success", LIST_SERVICE, listing(ids=ABSENT), 200, 0, data=[],
         check=names_listed(total=0), given=("A",)),
    Case("list_ids_duplicates_after_normalisation", LIST_REQ, Req("LIST", multi_query={"ids": ["$A", "$A_UPPER"]}),
         400, 101, "Field: <ids> - Message: <Duplicate ids: '$A'> - Value: <", prefix=True, given=("A",)),
    Case("list_ids_at_most_100", LIST_REQ, listing(ids=",".join(f"{i:032x}" for i in range(1, 102))), 400, 101,
         "Field: <ids> - Message: <List should have at most 100 items after validation, not 101> - Value: <",
         prefix=True),
    Case("list_ids_invalid", LIST_REQ, listing(ids="zz"), 400, 101, "Field: <ids> - Message: <Invalid UUID format>",
         prefix=True),
    Case("list_id_empty", LIST_REQ, listing(id=""), 400, 101, line("id", "Invalid UUID format", "")),
    Case("list_id_not_a_uuid", LIST_REQ, listing(id="nope"), 400, 101, line("id", "Invalid UUID format", "nope")),
    Case("list_page_size_over_100", LIST_REQ, listing(page_size="101"), 400, 101,
         line("page_size", "Value error, page_size must be less than or equal to 100", "101")),
    Case("list_page_0", LIST_REQ, listing(page="0"), 400, 101,
         line("page", "Input should be greater than or equal to 1", "0")),
    Case("list_page_empty", LIST_REQ, listing(page=""), 400, 101,
         line("page", "Input should be a valid integer, unable to parse string as an integer", "")),
    Case("list_orderby_empty", LIST_REQ, listing(orderby=""), 400, 101,
         line("orderby", "Input should be 'create_time' or 'update_time'", "")),
    Case("list_desc_padded", LIST_REQ, listing(desc=" true "), 400, 101,
         line("desc", "Input should be a valid boolean, unable to interpret input", " true ")),
    Case("list_errors_together_in_field_order", LIST_REQ, listing(orderby="x", page="0", zzz="1"), 400, 101,
         "\n".join([line("page", "Input should be greater than or equal to 1", "0"),
                    line("orderby", "Input should be 'create_time' or 'update_time'", "x"),
                    line("zzz", "Extra inputs are not permitted", "1")])),
    Case("list_ext_empty", LIST_REQ, listing(ext="{}"), 200, 0, check=names_listed("B", "A"), given=("A", "B")),
    Case("list_ext_owner_ids_of_others_match_nothing", LIST_SERVICE, listing(ext=f'{{"owner_ids": ["{ABSENT}"]}}'),
         200, 0, data=[], check=names_listed(total=0), given=("A",)),
    Case("list_ext_owner_ids_with_the_caller", LIST_SERVICE, listing(ext='{"owner_ids": ["$TENANT"]}'), 200, 0,
         check=names_listed("A"), given=("A",)),
    Case("list_type_other_than_filter_is_unknown", LIST_REQ, listing(type="x"), 400, 101,
         line("type", "Extra inputs are not permitted", "x")),
    Case("list_ext_not_an_object", LIST_REQ, listing(ext="x"), 400, 101,
         line("ext", "Input should be a valid dictionary", "x")),
    Case("list_ext_keywords_match_part_of_the_name_in_any_case", LIST_SERVICE, listing(ext='{"keywords": "AN"}'),
         200, 0, check=names_listed("Banana"), given=("apple", "Banana", "cherry")),
    Case("list_ext_parser_id_filters_the_chunk_method", LIST_SERVICE, listing(ext='{"parser_id": "qa"}'), 200, 0,
         check=names_listed("apple"), given=({"name": "apple", "chunk_method": "qa"}, "Banana")),
    Case("list_filters_are_paged_too", LIST_SERVICE, listing(name="A", page="2", page_size="1"), 200, 0, data=[],
         check=names_listed(total=1), given=("A",)),
    Case("list_takes_the_first_of_a_repeated_parameter", LIST_REQ, Req("LIST", multi_query={"name": ["A", "B"]}),
         200, 0, check=names_listed("A"), given=("A", "B")),
]  # fmt: skip


def owner_counts(reply: Reply, ids: dict[str, str]) -> None:
    assert "total_datasets" not in reply.body, reply.body
    assert reply.body["data"]["total"] == 2, reply.body
    (owner,) = reply.body["data"]["filter"]["owner"]
    assert (owner["id"], owner["count"], type(owner["label"])) == (ids["$TENANT"], 2, str), owner


CASES += [
    Case("list_type_filter_counts_datasets_per_owner", "api/apps/restful_apis/dataset_api.py: list_datasets",
         listing(type="filter"), 200, 0, check=owner_counts, given=("A", "B")),
]  # fmt: skip

# ---- get one ---------------------------------------------------------------------------------------------------------

GET = "api/apps/services/dataset_api_service.py: get_dataset"
CASES += [
    Case("get_of_a_non_uuid_lacks_permission", GET, get("invalid_dataset_id"), 404, 102, lacks("invalid_dataset_id")),
    Case("get_of_an_absent_id_lacks_permission", GET, get("0" * 32), 404, 102, lacks("0" * 32)),
    Case("get_adds_size_and_connectors", GET, get("$A"), 200, 0, given=("A",),
         check=both(field_is("size", 0), field_is("connectors", []))),
]  # fmt: skip

# ---- delete ----------------------------------------------------------------------------------------------------------

DELETE = "api/apps/services/dataset_api_service.py: _delete_datasets_sync"
DELETE_REQ = "api/utils/validation_utils.py: DeleteReq.validate_ids"
CASES += [
    Case("delete_ids_wins_over_delete_all", DELETE, delete({"ids": ["$A"], "delete_all": True}), 200, 0,
         data={"success_count": 1}, given=("A", "B"), check=remaining("B")),
    Case("delete_normalises_dashed_and_upper_case_ids", DELETE, delete({"ids": ["$A_DASHED", "$B_UPPER"]}), 200, 0,
         data={"success_count": 2}, given=("A", "B", "C"), check=remaining("C")),
    Case("delete_duplicates_after_normalisation", DELETE_REQ, delete({"ids": ["$A", "$A_UPPER"]}), 400, 101,
         line("ids", "Duplicate ids: '$A'", ["$A", "$A_UPPER"]), given=("A",)),
    Case("delete_lists_duplicates_once_in_order_of_first_appearance", DELETE_REQ,
         delete({"ids": [OTHER_ABSENT, ABSENT, OTHER_ABSENT, ABSENT]}), 400, 101,
         line("ids", f"Duplicate ids: '{OTHER_ABSENT}, {ABSENT}'", [OTHER_ABSENT, ABSENT, OTHER_ABSENT, ABSENT])),
    Case("delete_invalid_uuid", DELETE_REQ, delete({"ids": ["$A", "nope"]}), 400, 101,
         line("ids", "Invalid UUID format", ["$A", "nope"]), given=("A",)),
    Case("delete_item_not_a_string", DELETE_REQ, delete({"ids": ["x", 1]}), 400, 101,
         line("ids.1", "Input should be a valid string", 1)),
    Case("delete_ids_not_a_list", DELETE_REQ, delete({"ids": "abc"}), 400, 101,
         line("ids", "Input should be a valid list", "abc")),
    Case("delete_all_not_a_boolean", DELETE_REQ, delete({"delete_all": "true"}), 400, 101,
         line("delete_all", "Input should be a valid boolean", "true")),
    Case("delete_all_null", DELETE_REQ, delete({"delete_all": None}), 400, 101,
         line("delete_all", "Input should be a valid boolean", None)),
    Case("delete_is_all_or_nothing_and_lists_every_failing_id_in_request_order", DELETE,
         delete({"ids": [OTHER_ABSENT, "$A", ABSENT]}), 404, 102,
         f"User '$TENANT' lacks permission for datasets: '{OTHER_ABSENT}, {ABSENT}'", given=("A",),
         check=remaining("A")),
    Case("delete_has_no_maximum_of_ids", DELETE, delete({"ids": [f"{i:032x}" for i in range(1, 1002)]}), 404, 102,
         f"User '$TENANT' lacks permission for datasets: '{1:032x}, {2:032x}", prefix=True),
    Case("delete_with_no_selection_deletes_nothing", DELETE, delete({"ids": [], "delete_all": False}), 200, 0,
         data={"success_count": 0}, given=("A",), check=remaining("A")),
]  # fmt: skip

# ---- the dataset object ----------------------------------------------------------------------------------------------

OBJECT = "api/db/db_models.py: Knowledgebase; api/utils/api_utils.py: remap_dictionary_keys"


def keys_are(extra: set[str], *, listed: bool = False) -> Callable[[Reply, dict[str, str]], None]:
    def check(reply: Reply, ids: dict[str, str]) -> None:
        data = reply.body["data"][0] if listed else reply.body["data"]
        assert set(data) == DATASET_KEYS | extra, sorted(set(data) ^ (DATASET_KEYS | extra))
        assert all(data[key] is None for key in TASK_KEYS)
        assert data["tenant_embd_id"] is None

    return check


def list_item_extras(reply: Reply, ids: dict[str, str]) -> None:
    (item,) = reply.body["data"]
    assert (item["nickname"], item["tenant_avatar"], item["embedding_model_name"]) == ("", "", ""), item


CASES += [
    Case("create_answers_the_46_keys", OBJECT, post({"name": "x"}), 200, 0, check=keys_are(set())),
    Case("update_answers_the_46_keys_and_connectors", OBJECT, put({"description": "d"}), 200, 0, given=("A",),
         check=keys_are({"connectors"})),
    Case("get_answers_the_46_keys_size_and_connectors", OBJECT, get("$A"), 200, 0, given=("A",),
         check=keys_are({"size", "connectors"})),
    Case("list_items_add_owner_and_model_name", OBJECT, listing(), 200, 0, given=("A",),
         check=both(keys_are({"nickname", "tenant_avatar", "embedding_model_name"}, listed=True), list_item_extras)),
]  # fmt: skip

# ---- platform limits: where v0.27.0 accepts and DynamoDB cannot store ------------------------------------------------

CASES += [
    Case("an_item_past_400_kb_is_refused_before_the_write_not_a_server_error",
         "deliberate deviation: DynamoDB items hold at most 400 KB (MySQL's longtext columns hold more)",
         post(raw=json.dumps({"name": "big", "description": "\U0001f600" * 65535,
                              "avatar": "data:image/png;base64," + "\U0001f600" * 65500}, ensure_ascii=False)),
         413, 101, check=nothing_created, ragflow_status=None),
    Case("a_map_nested_deeper_than_dynamodb_stores_is_refused_not_a_server_error",
         "deliberate deviation: DynamoDB nests maps and lists at most 32 levels deep",
         pc(ext=json.loads('{"a":' * 40 + "1" + "}" * 40)), 400, 101, check=nothing_created),
    Case("a_number_dynamodb_cannot_store_is_refused_not_a_server_error",
         "deliberate deviation: DynamoDB numbers are finite (v0.27.0's JSON parser takes NaN)",
         post(raw='{"name": "x", "parser_config": {"ext": {"v": NaN}}}'), 400, 101, check=nothing_created),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_v027_behaviour(case: Case) -> None:
    run(case, case.status)


ERROR_CASES = [c for c in CASES if c.status != 200 and c.ragflow_status is not None]


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c.name for c in ERROR_CASES])
def test_ragflow_status_mode_answers_every_application_error_with_http_200(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RAGFlow answers application errors with HTTP 200 and the error in ``code`` (api/utils/api_utils.py:
    get_result, get_error_data_result, get_error_argument_result); ``ERROR_STATUSES=ragflow`` does the same."""
    with deployment_settings(monkeypatch, ERROR_STATUSES="ragflow"):
        run(case, case.ragflow_status or 200)


@pytest.mark.parametrize("mode", ["http", "ragflow"])
def test_unauthenticated_and_unknown_routes_keep_their_statuses_in_both_modes(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v0.27.0 answers auth failures with 401 (api/apps/__init__.py: unauthorized_quart_auth) and unknown routes
    with 404 (api/apps/__init__.py: not_found) whatever the error convention."""
    with deployment_settings(monkeypatch, ERROR_STATUSES=mode):
        reply = invoke("create_dataset", route_event("create_dataset_restful", tenant=None, body={"name": "x"}))
        assert (reply.status, reply.body["code"]) == (401, 401)
        event = route_event("create_dataset_restful", body={"name": "x"})
        event["path"] = event["resource"] = "/api/v1/nowhere"  # functions route on API Gateway's resource
        reply = invoke("create_dataset", event)
        assert (reply.status, reply.body["code"], reply.body["message"]) == (404, 404, "Not Found: /api/v1/nowhere")
        assert send(post({"name": "fine"}), make()).status == 200


# ---- multi-step rules ------------------------------------------------------------------------------------------------


def test_update_parent_child_off_leaves_the_stored_parent_child_alone() -> None:
    """api/apps/services/dataset_api_service.py: update_dataset — without ``use_parent_child`` in the
    request the sent parent_child becomes ``{}``, so a stored one is kept; the flags are reset."""
    ids = make(("A",))
    on = {"parser_config": {"parent_child": {"use_parent_child": True, "children_delimiter": "##"}}}
    assert send(put(on), ids).status == 200
    off = {"parser_config": {"parent_child": {"use_parent_child": False, "children_delimiter": "y"}}}
    config = send(put(off), ids).body["data"]["parser_config"]
    assert config["parent_child"] == {"use_parent_child": True, "children_delimiter": "##"}
    assert (config["children_delimiter"], config["enable_children"]) == ("", False)


def test_update_clears_the_pipeline_id_when_a_chunk_method_is_sent() -> None:
    """api/apps/services/dataset_api_service.py: update_dataset — a chunk_method without pipeline_id empties pipeline_id."""
    ids = make(({"name": "A", "parse_type": 2, "pipeline_id": "a" * 32},))
    data = send(put({"chunk_method": "qa"}), ids).body["data"]
    assert (data["chunk_method"], data["pipeline_id"]) == ("qa", "")


def test_rename_to_a_different_casing_of_its_own_name_is_allowed() -> None:
    """api/apps/services/dataset_api_service.py: update_dataset — the clash check compares lower-case forms."""
    ids = make(("A",))
    assert send(put({"name": "a"}), ids).body["data"]["name"] == "a"


def test_without_a_default_chat_model_no_llm_id_is_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    """api/db/services/knowledgebase_service.py: KnowledgebaseService.create_with_name sets ``llm_id`` to the tenant's chat model;
    a deployment without ``DEFAULT_CHAT_MODEL`` has none, and stores no ``llm_id`` key."""
    ids = make()
    with deployment_settings(monkeypatch, DEFAULT_CHAT_MODEL=None):
        assert send(post({"name": "x"}), ids).body["data"]["parser_config"] == NAIVE
        assert send(post({"name": "y", "chunk_method": "qa"}), ids).body["data"]["parser_config"] == NO_RAPTOR


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("e1@ZHIPU-AI", None),  # the "default" instance: the provider's only instance
        ("e1@CI@ZHIPU-AI", None),
        ("E1@ci@zhipu-ai", None),  # names compare as MySQL's case-insensitive collation compares them
        ("e1@X@ZHIPU-AI", "Instance X not found for model e1@X@ZHIPU-AI."),
        ("e2@OpenAI", "Instance default not found for model e2@OpenAI."),  # two instances: none is the default
        ("e2@A@OpenAI", None),
        ("e3@A@OpenAI", "Model e3@A@OpenAI not found for model embedding"),
        ("e3@B@OpenAI", None),
    ],
)
def test_a_model_of_a_provider_instance_resolves_as_ragflow_resolves_it(
    value: str, message: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """api/db/joint_services/tenant_model_service.py: resolve_model_config — ``model@instance@provider``; a
    ``model@provider`` names the instance ``default``, which falls back to a provider's only instance.
    Configured entries may name an instance (a tenant's set-up of one provider under several keys)."""
    models = "BAAI/bge-small-en-v1.5@Builtin,e1@CI@ZHIPU-AI,e2@A@OpenAI,e3@B@OpenAI"
    ids = make()
    with deployment_settings(monkeypatch, EMBEDDING_MODELS=models):
        reply = send(post({"name": "x", "embedding_model": value}), ids)
    if message is None:
        assert (reply.status, reply.body["data"]["embedding_model"]) == (200, value)
    else:
        assert (reply.status, reply.body["code"], reply.body["message"]) == (400, 102, message)


def test_renaming_keeps_going_past_taken_candidates() -> None:
    """api/db/services/__init__.py: duplicate_name — each candidate is derived from the last."""
    ids = make(("kb (3)", "kb(4)"))
    assert send(post({"name": "kb (3)"}), ids).body["data"]["name"] == "kb(5)"


# ---- configuration that refuses to start -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEFAULT_EMBEDDING_MODEL": "foo@bar"}, "DEFAULT_EMBEDDING_MODEL"),
        ({"DEFAULT_EMBEDDING_MODEL": "BAAI/bge-large-zh-v1.5"}, "DEFAULT_EMBEDDING_MODEL"),
        ({"EMBEDDING_MODELS": "bge-without-provider", "DEFAULT_EMBEDDING_MODEL": "bge-without-provider"}, "EMBEDDING_MODELS"),
        ({"EMBEDDING_MODELS": "a@b,@c", "DEFAULT_EMBEDDING_MODEL": "a@b"}, "EMBEDDING_MODELS"),
        ({"EMBEDDING_MODELS": "", "DEFAULT_EMBEDDING_MODEL": "a@b"}, "EMBEDDING_MODELS"),
        ({"EMBEDDING_MODELS": "a@@c", "DEFAULT_EMBEDDING_MODEL": "a@@c"}, "EMBEDDING_MODELS"),
        ({"EMBEDDING_MODELS": "a@b", "DEFAULT_EMBEDDING_MODEL": " @b"}, "DEFAULT_EMBEDDING_MODEL"),
        ({"DATASET_QUOTA": "0"}, "DATASET_QUOTA"),
        ({"ERROR_STATUSES": "bogus"}, "ERROR_STATUSES"),
        ({"DATASET_QUOTA": "abc"}, "DATASET_QUOTA"),
        ({"MAX_BODY_BYTES": "0"}, "MAX_BODY_BYTES"),
        ({"XRAY_SDK_TRACING": "yes"}, "XRAY_SDK_TRACING"),
    ],
)  # fmt: skip
def test_an_inconsistent_configuration_is_refused_naming_the_setting(
    env: dict[str, str], named: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(Exception, match=named):  # any error, as long as it names the setting
        load_settings(monkeypatch, **env)


def test_the_default_configuration_is_consistent(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every default loads; the default embedding model is one of the configured models, in the format the API
    itself accepts (``<model_name>@<provider>``), so what new datasets get can be sent back."""
    defaults: dict[str, str | None] = dict.fromkeys(
        ["EMBEDDING_MODELS", "DEFAULT_EMBEDDING_MODEL", "DEFAULT_CHAT_MODEL", "ERROR_STATUSES"]
    )
    load_settings(monkeypatch, **defaults)
    ids = make()
    with deployment_settings(monkeypatch, **defaults):
        created = send(post({"name": "x"}), ids).body["data"]
        model = created["embedding_model"]
        assert "@" in model, model
        assert send(put({"embedding_model": model}), ids | {"$A": created["id"]}).status == 200
        assert send(post({"name": "y", "embedding_model": model}), ids).status == 200


def test_make_run_refuses_an_inconsistent_configuration(tmp_path: Path) -> None:
    """``make run`` (python -m tools.local_api) with a default model outside the configured models exits with a
    message naming the setting instead of serving datasets no request could create again."""
    refused = ""
    try:
        api = start(tmp_path / "state", env={"DEFAULT_EMBEDDING_MODEL": "foo@bar"})
    except AssertionError as error:
        refused = str(error)
    else:
        api.stop()
    assert "DEFAULT_EMBEDDING_MODEL" in refused, "the local API started with DEFAULT_EMBEDDING_MODEL=foo@bar"


def test_the_template_lets_a_deployment_set_every_new_setting() -> None:
    """``EmbeddingModels``, ``DefaultChatModel`` and ``ErrorStatuses`` are template parameters passed to every
    function; ``ErrorStatuses`` allows ``http`` (the default) and ``ragflow``; ``DefaultChatModel`` is empty."""
    parameters = template.load()["Parameters"]
    variables = template.load()["Globals"]["Function"]["Environment"]["Variables"]
    assert parameters["ErrorStatuses"]["Default"] == "http"
    assert sorted(parameters["ErrorStatuses"]["AllowedValues"]) == ["http", "ragflow"]
    assert parameters["DefaultChatModel"]["Default"] == ""
    assert variables["ERROR_STATUSES"] == {"Ref": "ErrorStatuses"}
    assert variables["DEFAULT_CHAT_MODEL"] == {"Ref": "DefaultChatModel"}
    assert "EMBEDDING_MODELS" in variables
    assert "EmbeddingModels" in json.dumps(variables["EMBEDDING_MODELS"])
    configured = parameters["EmbeddingModels"]["Default"]
    models = configured if isinstance(configured, list) else configured.split(",")
    assert parameters["DefaultEmbeddingModel"]["Default"] in [m.strip() for m in models]


# ---- the tenant's view: another tenant's datasets stay invisible -----------------------------------------------------


def test_list_ids_of_another_tenants_dataset_is_an_empty_success_not_a_leak() -> None:
    """api/apps/services/dataset_api_service.py: list_datasets — inaccessible ids are dropped silently."""
    ids = make()
    theirs = send(post({"name": "theirs"}), ids, tenant=TENANT_B).body["data"]["id"]
    reply = send(listing(ids=theirs), ids)
    assert (reply.status, reply.body["code"], reply.body["data"], reply.body["total_datasets"]) == (200, 0, [], 0)

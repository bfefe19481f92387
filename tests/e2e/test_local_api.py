"""The local API end to end, over real HTTP: the seed contract, API Gateway's behaviour, persistence.

A local API runs as a subprocess (``tests.local_server``) on a free port with a temporary state folder.
"Which function ran" is read from Lambda's ``START RequestId`` lines, one per invocation, so a test can
prove that a refused request never reached the authorizer or a dataset handler.

The last group drives ``tools.local_gateway.Gateway`` in-process with stand-in functions, for what the real
handlers never do (crash, answer malformed responses, return a narrow policy).
"""

from __future__ import annotations

import json
import re
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from dataset_core import api_keys, config, errors
from dataset_core.storage import client as storage
from gateway_stubs import OK_RESPONSE, allow, request, stub_gateway
from local_server import AUTH_MESSAGE, DEV_KEY, DEV_TENANT, LocalApi, running, start
from tools import apikeys, local_api, local_lambda, local_state, template

AUTH_TTL = 1.0
SEED_KEYS = {
    "avatar",
    "chunk_num",
    "create_date",
    "create_time",
    "created_by",
    "description",
    "doc_num",
    "embd_id",
    "id",
    "language",
    "name",
    "parser_config",
    "parser_id",
    "permission",
    "similarity_threshold",
    "status",
    "tenant_id",
    "token_num",
    "update_date",
    "update_time",
    "vector_similarity_weight",
}
ACCESS_DENIED = {"code": 403, "message": errors.READ_ONLY_MESSAGE, "data": None}
UNAUTHORIZED = {"code": 401, "message": AUTH_MESSAGE, "data": None}
SOME_ID = "0190f5a2c3d44e7f8a9b0c1d2e3f4a5b"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    with running(tmp_path_factory.mktemp("local_api") / "state", "--auth-cache-ttl", str(AUTH_TTL)) as server:
        yield server


@pytest.fixture
def tenant_key(api: LocalApi) -> tuple[str, str, str]:
    """A key of a brand-new tenant, minted while the local API runs: (key, key id, tenant).

    This is the CLI's own path (``tools.apikeys.run_local``: the running server carries the command out),
    called in-process to save a second per test; ``test_apikeys_cli.py`` runs the CLI itself.
    """
    tenant = uuid.uuid4().hex
    made = apikeys.run_local(
        local_state.StateDir(api.state_dir), {"action": "create", "tenant": tenant, "label": "e2e"}
    )
    return made["key"], made["key_id"], tenant


# ---- the seed reference's calls ----------------------------------------------------------------------------


def test_seed_reference_create_list_delete(api: LocalApi, tenant_key: tuple[str, str, str]) -> None:
    key, _, tenant = tenant_key
    created = api.request("POST", "/api/v1/dataset", auth=f"Bearer {key}", json_body={"dataset_name": "kb1"})
    assert created.status == 200
    dataset_id = created.body["data"]["id"]
    assert re.fullmatch(r"[0-9a-f]{32}", dataset_id)
    assert created.body == {
        "code": 0,
        "message": "success",
        "data": {"dataset_name": "kb1", "dataset_id": dataset_id, "id": dataset_id},
    }
    assert created.headers["content-type"] == "application/json"

    listed = api.request("GET", "/api/v1/dataset", auth=f"Bearer {key}")
    assert listed.status == 200
    assert listed.body["code"] == 0
    assert listed.body["message"] == "success"
    (dataset,) = listed.body["data"]
    assert set(dataset) == SEED_KEYS
    assert dataset["id"] == dataset_id
    assert dataset["name"] == "kb1"
    assert dataset["tenant_id"] == dataset["created_by"] == tenant

    deleted = api.request("DELETE", f"/api/v1/dataset/{dataset_id}", auth=f"Bearer {key}")
    assert deleted.status == 200
    assert deleted.body == {"code": 0, "success": True, "message": "Dataset deleted successfully!", "data": None}
    assert api.request("GET", "/api/v1/dataset", auth=f"Bearer {key}").body["data"] == []

    again = api.request("DELETE", f"/api/v1/dataset/{dataset_id}", auth=f"Bearer {key}")
    assert again.status == 404
    assert again.body == {
        "code": 103,
        "success": False,
        "message": "The dataset cannot be found for your current account.",
        "data": None,
    }


def test_old_client_style_bare_key_and_name(api: LocalApi, tenant_key: tuple[str, str, str]) -> None:
    key = tenant_key[0]
    created = api.request("POST", "/api/v1/dataset", auth=key, json_body={"name": "kb2"})
    assert created.status == 200
    assert created.body["data"]["dataset_name"] == "kb2"
    listed = api.request("GET", "/api/v1/dataset", auth=key)
    assert [d["name"] for d in listed.body["data"]] == ["kb2"]
    deleted = api.request("DELETE", f"/api/v1/dataset/{created.body['data']['id']}", auth=key)
    assert deleted.body["success"] is True


def test_the_dev_key_belongs_to_the_dev_tenant(api: LocalApi) -> None:
    assert api.key == DEV_KEY
    created = api.bearer("POST", "/api/v1/dataset", json_body={"dataset_name": f"dev-{uuid.uuid4().hex[:8]}"})
    assert created.status == 200
    got = api.bearer("GET", f"/api/v1/dataset/{created.body['data']['id']}")
    assert got.body["data"]["tenant_id"] == DEV_TENANT
    api.bearer("DELETE", f"/api/v1/dataset/{created.body['data']['id']}")


def test_query_parameters_reach_the_handler(api: LocalApi, tenant_key: tuple[str, str, str]) -> None:
    key = tenant_key[0]
    for name in ("q1", "q2", "q3"):
        assert api.bearer("POST", "/api/v1/dataset", key, json_body={"dataset_name": name}).status == 200
    newest_first = api.bearer("GET", "/api/v1/dataset?offset=0&count=2", key).body["data"]
    assert [d["name"] for d in newest_first] == ["q3", "q2"]
    oldest_first = api.bearer("GET", "/api/v1/dataset?desc=false&count=-1", key).body["data"]
    assert [d["name"] for d in oldest_first] == ["q1", "q2", "q3"]
    bad = api.bearer("GET", "/api/v1/dataset?count=lots", key)
    assert bad.status == 400
    assert bad.body["code"] == 101


# ---- API Gateway: keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/dataset", None),
        ("POST", "/api/v1/dataset", {"dataset_name": "sneaky"}),
        ("GET", f"/api/v1/dataset/{SOME_ID}", None),
        ("DELETE", f"/api/v1/dataset/{SOME_ID}", None),
    ],
)
def test_no_authorization_header_is_refused_without_running_anything(
    api: LocalApi, method: str, path: str, body: Any
) -> None:
    before = api.all_invocations()
    reply = api.request(method, path, json_body=body)
    assert reply.status == 401
    assert reply.body == UNAUTHORIZED
    assert reply.headers["content-type"] == "application/json"
    assert api.all_invocations() == before  # neither the authorizer nor a dataset function ran


def test_an_empty_authorization_header_counts_as_missing(api: LocalApi) -> None:
    before = api.all_invocations()
    reply = api.request("GET", "/api/v1/dataset", auth="")
    assert (reply.status, reply.body) == (401, UNAUTHORIZED)
    assert api.all_invocations() == before


@pytest.mark.parametrize(("style", "calls"), [("Bearer {}", 1), ("{}", 1), ("Basic {}", 0), ("Bearer {}x!", 0)])
def test_unknown_key_is_refused_by_the_authorizer_alone(api: LocalApi, style: str, calls: int) -> None:
    """A well-formed unknown key is the authorizer's to refuse; what the template's ``ValidationExpression``
    refuses (not a bare or ``Bearer`` key) never invokes it, as on API Gateway."""
    unknown = "ragflow-" + uuid.uuid4().hex + uuid.uuid4().hex  # never minted, never cached
    authorizer, lister = api.invocations("AuthorizerFunction"), api.invocations("ListDatasetsFunction")
    reply = api.request("GET", "/api/v1/dataset", auth=style.format(unknown))
    assert (reply.status, reply.body) == (401, UNAUTHORIZED)
    assert api.invocations("AuthorizerFunction") == authorizer + calls
    assert api.invocations("ListDatasetsFunction") == lister


def test_a_refused_create_writes_nothing(api: LocalApi, tenant_key: tuple[str, str, str]) -> None:
    key = tenant_key[0]
    creates = api.invocations("CreateDatasetFunction")
    refused = api.request("POST", "/api/v1/dataset", auth="Bearer ragflow-" + "x" * 40, json_body={"name": "kbx"})
    assert refused.status == 401
    assert api.invocations("CreateDatasetFunction") == creates
    assert api.bearer("GET", "/api/v1/dataset", key).body["data"] == []


def test_authorizer_runs_only_when_its_cache_misses(api: LocalApi, tenant_key: tuple[str, str, str]) -> None:
    key = tenant_key[0]
    before = api.invocations("AuthorizerFunction")
    for _ in range(3):
        assert api.bearer("GET", "/api/v1/dataset", key).status == 200
    assert api.bearer("POST", "/api/v1/dataset", key, json_body={"name": "cached"}).status == 200
    assert api.invocations("AuthorizerFunction") == before + 1  # one policy, cached, covers every route
    assert api.request("GET", "/api/v1/dataset", auth=key).status == 200  # another header value: another entry
    assert api.invocations("AuthorizerFunction") == before + 2
    time.sleep(AUTH_TTL + 0.2)
    assert api.bearer("GET", "/api/v1/dataset", key).status == 200
    assert api.invocations("AuthorizerFunction") == before + 3  # the entry expired after the TTL


def test_a_revoked_key_is_refused_once_the_cache_ttl_has_passed(
    api: LocalApi, tenant_key: tuple[str, str, str]
) -> None:
    key, key_id, _ = tenant_key
    assert api.bearer("GET", "/api/v1/dataset", key).status == 200
    cached_at = time.monotonic()
    revoked = apikeys.run_local(local_state.StateDir(api.state_dir), {"action": "revoke", "key_id": key_id})
    assert revoked["key"]["status"] == "revoked"
    if time.monotonic() - cached_at < AUTH_TTL - 0.3:
        # As on API Gateway, the cached Allow outlives the revocation until the TTL ends.
        assert api.bearer("GET", "/api/v1/dataset", key).status == 200
    time.sleep(max(0.0, cached_at + AUTH_TTL + 0.2 - time.monotonic()))
    lister = api.invocations("ListDatasetsFunction")
    reply = api.bearer("GET", "/api/v1/dataset", key)
    assert (reply.status, reply.body) == (401, UNAUTHORIZED)
    assert api.invocations("ListDatasetsFunction") == lister


# ---- API Gateway: routes and sizes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/nope"),
        ("GET", "/"),
        ("GET", "/api/v1/dataset/"),  # a trailing slash is another path on a REST API
        ("GET", f"/api/v1/dataset/{SOME_ID}/extra"),
        ("PATCH", "/api/v1/dataset"),
        ("PUT", "/api/v1/dataset"),
        ("POST", f"/api/v1/dataset/{SOME_ID}"),
        ("DELETE", "/api/v1/dataset"),
    ],
)
@pytest.mark.parametrize("with_key", [False, True])
def test_unknown_route_or_method_is_404_before_any_auth(
    api: LocalApi, tenant_key: tuple[str, str, str], method: str, path: str, with_key: bool
) -> None:
    """Even a valid key (fresh, so not in the authorizer's cache) is never looked at."""
    before = api.all_invocations()
    reply = api.request(method, path, auth=f"Bearer {tenant_key[0]}" if with_key else None)
    assert reply.status == 404
    assert reply.body == {"code": 404, "message": f"Not Found: {path}", "data": None}
    assert reply.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert api.all_invocations() == before


def test_a_2_mib_body_reaches_the_handler_which_answers_413(api: LocalApi) -> None:
    creates = api.invocations("CreateDatasetFunction")
    body = json.dumps({"dataset_name": "x" * (2 * 1024 * 1024)}).encode()
    reply = api.bearer("POST", "/api/v1/dataset", raw_body=body, headers={"Content-Type": "application/json"})
    assert reply.status == 413
    assert reply.body["code"] == 101
    assert "1048576" in reply.body["message"]
    assert api.invocations("CreateDatasetFunction") == creates + 1  # the handler's own limit, as on AWS


def test_a_body_over_10_mb_is_refused_by_the_gateway(api: LocalApi) -> None:
    before = api.all_invocations()
    reply = api.bearer(
        "POST", "/api/v1/dataset", raw_body=b"x" * (10 * 1024 * 1024 + 1), headers={"Content-Type": "application/json"}
    )
    assert reply.status == 413
    assert reply.body == {
        "code": 101,
        "message": "Request too large: API Gateway takes a body of at most 10485760 bytes, and Lambda an event of at most 6291456 bytes (the body is limited to 1048576 bytes in any case)",
        "data": None,
    }
    assert api.all_invocations() == before


@pytest.mark.parametrize("size", [7 * 1024 * 1024, 10 * 1024 * 1024])
def test_a_body_within_10_mb_but_past_lambdas_6_mb_never_reaches_the_function(api: LocalApi, size: int) -> None:
    """API Gateway takes 10 MB, but Lambda's invocation payload is 6 MB: Lambda refuses the invoke, and API
    Gateway answers REQUEST_TOO_LARGE (413) without the function running (the template renders the body).
    https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (invocation payload, 6 MB)."""
    creates = api.invocations("CreateDatasetFunction")
    reply = api.bearer("POST", "/api/v1/dataset", raw_body=b" " * size, headers={"Content-Type": "application/json"})
    assert reply.status == 413
    assert reply.body == {
        "code": 101,
        "message": "Request too large: API Gateway takes a body of at most 10485760 bytes, and Lambda an event of at most 6291456 bytes (the body is limited to 1048576 bytes in any case)",
        "data": None,
    }
    assert api.invocations("CreateDatasetFunction") == creates


def test_every_route_of_the_template_reaches_its_function(api: LocalApi) -> None:
    """Read from template.yaml: no route answers the gateway's 404, each runs its own function."""
    for route in template.routes():
        before = api.invocations(route.function)
        path = route.path.replace("{dataset_id}", SOME_ID)
        reply = api.bearer(route.method, path, json_body={} if route.method in {"POST", "PUT", "DELETE"} else None)
        assert reply.headers.get("x-amzn-errortype") != "MissingAuthenticationTokenException", route
        assert api.invocations(route.function) == before + 1, route


def test_every_response_carries_a_request_id(api: LocalApi) -> None:
    ok = api.bearer("GET", "/api/v1/dataset")
    refused = api.request("GET", "/api/v1/dataset")
    ids = {ok.headers["x-amzn-requestid"], refused.headers["x-amzn-requestid"]}
    assert len(ids) == 2
    assert all(re.fullmatch(r"[0-9a-f-]{36}", i) for i in ids)


def test_no_api_key_is_ever_logged(api: LocalApi, tenant_key: tuple[str, str, str]) -> None:
    key = tenant_key[0]
    api.bearer("GET", "/api/v1/dataset", key)
    api.request("GET", "/api/v1/dataset", auth="Bearer ragflow-" + "y" * 40)
    output = api.output()
    assert key not in output
    assert "y" * 40 not in output
    assert output.count(DEV_KEY) == 1  # printed once, at start


# ---- state: restarts, kill -9, --reset ------------------------------------------------------------------------


def _names(server: LocalApi, key: str | None = None) -> list[str]:
    reply = server.bearer("GET", "/api/v1/dataset?desc=false", key)
    assert reply.status == 200
    return [d["name"] for d in reply.body["data"]]


def test_data_survives_restarts_and_kill_9_and_reset_empties_it(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = start(state)
    try:
        assert first.bearer("POST", "/api/v1/dataset", json_body={"dataset_name": "kept"}).status == 200
    finally:
        assert first.stop(signal.SIGTERM) == 0
    assert "data saved" in first.output()

    second = start(state)
    try:
        assert _names(second) == ["kept"]
        assert second.bearer("POST", "/api/v1/dataset", json_body={"dataset_name": "after-kill"}).status == 200
    finally:
        second.stop(signal.SIGKILL)  # at once: acknowledged means on disk (tests/test_local_crash.py)
    snapshot = json.loads((state / "dynamodb.json").read_text())  # whole, never torn
    assert not any(item["sk"]["S"].startswith("NAME#after-kill") for item in snapshot["items"])  # in the journal

    own_key = "ragflow-" + "k" * 40
    third = start(state, env={"RAGFLOW_API_KEY": own_key})
    try:
        assert third.key == own_key
        assert _names(third, own_key) == ["kept", "after-kill"]  # registered for the dev tenant
        assert _names(third, DEV_KEY) == ["kept", "after-kill"]
    finally:
        assert third.stop(signal.SIGINT) == 0

    fourth = start(state, "--reset")
    try:
        assert _names(fourth) == []
        assert fourth.request("GET", "/api/v1/dataset", auth=f"Bearer {own_key}").status == 401
    finally:
        fourth.stop()


def test_two_local_apis_cannot_share_one_state(tmp_path: Path) -> None:
    with running(tmp_path / "state"), pytest.raises(AssertionError, match="another local API"):
        start(tmp_path / "state")


# ---- the public dev key and tables on --dynamodb-endpoint -------------------------------------------------------

DEPLOYED = "ragflow-prod-DatasetsTable-1A2B3C"
ENDPOINT = "https://dynamodb.us-east-1.amazonaws.com"  # DynamoDB's own: moto answers it in-process


@pytest.fixture
def deployed_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A table as ``sam deploy`` makes it, reached the way ``--dynamodb-endpoint --table`` reaches it."""
    monkeypatch.setenv("TABLE_NAME", "datasets-test")
    monkeypatch.delenv("RAGFLOW_API_KEY", raising=False)
    with mock_aws():
        local_state.use_table(DEPLOYED, ENDPOINT)
        local_state.ensure_table(DEPLOYED)
        yield
    monkeypatch.delenv("DYNAMODB_ENDPOINT", raising=False)
    config.settings.cache_clear()
    storage.reset_client()


@pytest.mark.usefixtures("deployed_table")
@pytest.mark.parametrize("own_key", [None, "ragflow-" + "o" * 40])
def test_no_key_is_registered_in_a_table_on_an_endpoint_unless_asked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], own_key: str | None
) -> None:
    """The dev key is published: registered in a deployed table, it would make anyone that table's dev tenant."""
    if own_key:
        monkeypatch.setenv("RAGFLOW_API_KEY", own_key)
    args = local_api.parse_args(["--dynamodb-endpoint", ENDPOINT, "--table", DEPLOYED])
    assert local_api.register_dev_key(args, local_lambda.Output()) is None
    assert api_keys.authenticate(f"Bearer {own_key or DEV_KEY}") is None
    assert api_keys.list_keys(DEV_TENANT) == []
    assert "WARNING" not in capsys.readouterr().out


@pytest.mark.usefixtures("deployed_table")
def test_register_dev_key_registers_it_there_with_a_warning_naming_the_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = local_api.parse_args(["--dynamodb-endpoint", ENDPOINT, "--table", DEPLOYED, "--register-dev-key"])
    assert local_api.register_dev_key(args, local_lambda.Output()) == DEV_KEY
    found = api_keys.authenticate(f"Bearer {DEV_KEY}")
    assert found is not None
    assert found.tenant_id == DEV_TENANT
    out = capsys.readouterr().out
    assert f"WARNING: registered the public dev key for tenant {DEV_TENANT} in table {DEPLOYED} on {ENDPOINT}" in out


def test_register_dev_key_is_only_for_an_endpoint() -> None:
    with pytest.raises(SystemExit):
        local_api.parse_args(["--register-dev-key"])


# ---- the gateway in-process, with stand-in functions -----------------------------------------------------------


def test_the_proxy_event_has_the_shape_of_events_files() -> None:
    gateway, stubs = stub_gateway()
    reply = gateway.handle(request(target=f"/api/v1/dataset/{SOME_ID}?a=1&a=2&b=&c=x%20y"))
    assert reply.status == 200
    (event,) = stubs["GetDatasetFunction"].events
    sample = json.loads((template.ROOT / "events" / "get_dataset_legacy.json").read_text())
    assert set(event) == set(sample)
    assert set(event["requestContext"]) >= set(sample["requestContext"])
    assert set(event["requestContext"]["identity"]) >= set(sample["requestContext"]["identity"])
    assert event["resource"] == "/api/v1/dataset/{dataset_id}"
    assert event["path"] == f"/api/v1/dataset/{SOME_ID}"
    assert event["pathParameters"] == {"dataset_id": SOME_ID}
    assert event["queryStringParameters"] == {"a": "2", "b": "", "c": "x y"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""], "c": ["x y"]}
    assert event["headers"]["X-Multi"] == "b"
    assert event["multiValueHeaders"]["X-Multi"] == ["a", "b"]
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["requestId"] == dict(reply.headers)["x-amzn-RequestId"]
    assert context["stage"] == template.parameter_default("StageName")
    assert context["path"] == f"/{context['stage']}/api/v1/dataset/{SOME_ID}"
    assert context["authorizer"]["principalId"] == "t1"
    assert context["authorizer"]["tenant_id"] == "t1"
    assert (context["authorizer"]["n"], context["authorizer"]["flag"]) == ("3", "true")


def test_bodies_are_text_or_base64() -> None:
    gateway, stubs = stub_gateway()
    gateway.handle(request("POST", body='{"name":"é"}'.encode()))
    gateway.handle(request("POST", body=b"\xff\xfe"))
    text, binary = stubs["CreateDatasetFunction"].events
    assert (text["body"], text["isBase64Encoded"]) == ('{"name":"é"}', False)
    assert (binary["body"], binary["isBase64Encoded"]) == ("//4=", True)


def test_response_headers_and_base64_bodies_are_honoured() -> None:
    answer = {
        "statusCode": 201,
        "headers": {"X-One": "1", "X-Both": "from-headers"},
        "multiValueHeaders": {"X-Both": ["m1", "m2"]},
        "body": "aGk=",
        "isBase64Encoded": True,
    }
    reply = stub_gateway(answer)[0].handle(request())
    assert (reply.status, reply.body) == (201, b"hi")
    assert ("X-One", "1") in reply.headers
    assert [v for k, v in reply.headers if k == "X-Both"] == ["m1", "m2"]
    assert ("Content-Type", "application/json") in reply.headers


@pytest.mark.parametrize(
    "answer",
    [
        RuntimeError("boom"),
        {"body": "no status"},
        {**OK_RESPONSE, "extra": 1},
        "not a dict",
        {"statusCode": 200, "body": "!", "isBase64Encoded": True},
    ],
)
def test_a_crash_or_malformed_response_is_the_gateways_5xx(answer: Any) -> None:
    reply = stub_gateway(answer)[0].handle(request())
    request_id = dict(reply.headers)["x-amzn-RequestId"]
    assert reply.status == 502
    assert json.loads(reply.body) == {
        "code": 100,
        "message": f"Internal server error (request id {request_id})",
        "data": None,
    }


def test_authorizer_failures() -> None:
    failing = stub_gateway(authorizer=RuntimeError("table unreachable"))[0].handle(request())
    assert failing.status == 503
    assert json.loads(failing.body)["code"] == 105
    unauthorized = stub_gateway(authorizer=Exception("Unauthorized"))[0].handle(request())
    assert (unauthorized.status, json.loads(unauthorized.body)) == (401, UNAUTHORIZED)
    malformed = stub_gateway(authorizer={"principalId": "t1"})[0].handle(request())
    assert malformed.status == 500
    assert json.loads(malformed.body)["code"] == 100


def test_a_cached_policy_must_cover_the_next_route() -> None:
    def first_route_only(event: dict[str, Any]) -> dict[str, Any]:
        policy = allow(event)
        policy["policyDocument"]["Statement"][0]["Resource"] = event["methodArn"]
        return policy

    gateway, _ = stub_gateway(authorizer=first_route_only)
    assert gateway.handle(request()).status == 200
    denied = gateway.handle(request(target=f"/api/v1/dataset/{SOME_ID}"))  # served from the cache: denied
    assert (denied.status, json.loads(denied.body)) == (403, ACCESS_DENIED)
    explicit_deny = stub_gateway(
        authorizer=lambda e: {
            **allow(e),
            "policyDocument": {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]},
        }
    )
    assert explicit_deny[0].handle(request()).status == 403

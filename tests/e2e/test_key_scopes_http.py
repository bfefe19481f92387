"""Read-only and expiring keys over HTTP, against the local API (the authorizer behind its cache, the template's
gateway responses, the route functions), with keys minted by the key CLI as an operator mints them.

* A read-only key lists and gets on both generations; its create, update and delete of both generations are 403
  in the envelope (API Gateway's ACCESS_DENIED, the template's message), and nothing changes, whichever route it
  called first (the cached policy is the one the first call got).
* An expiring key works until its expiry and is refused (401, like an unknown key) from then on: never served
  past it even while the authorizer's cached allow lives (a long TTL), and refused by the authorizer itself once
  that cache entry is gone (a short TTL).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dataset_core import errors
from local_server import AUTH_MESSAGE, LocalApi, cli, running

READ_ONLY_REFUSAL = {"code": 403, "message": errors.READ_ONLY_MESSAGE, "data": None}
UNAUTHORIZED = {"code": 401, "message": AUTH_MESSAGE, "data": None}


def mint(api: LocalApi, tenant: str, *options: str) -> str:
    done = cli("create", "--tenant", tenant, *options, "--quiet", state_dir=api.state_dir)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def everything(api: LocalApi, key: str) -> Any:
    """The tenant's datasets as the read-write key sees them, in full."""
    reply = api.bearer("GET", "/api/v1/datasets?page_size=100", key)
    assert reply.status == 200, reply.body
    return reply.body["data"]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    with running(tmp_path_factory.mktemp("scopes") / "state", "--auth-cache-ttl", "30", "--quiet") as server:
        yield server


def writes(dataset_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Create, update and delete of both generations, each aimed at ``dataset_id`` where it names one."""
    return [
        ("POST", "/api/v1/dataset", {"dataset_name": "ro_legacy"}),
        ("POST", "/api/v1/datasets", {"name": "ro restful"}),
        ("PUT", f"/api/v1/dataset/{dataset_id}", {"description": "changed"}),
        ("PUT", f"/api/v1/datasets/{dataset_id}", {"name": "renamed"}),
        ("DELETE", f"/api/v1/dataset/{dataset_id}", {}),
        ("DELETE", "/api/v1/datasets", {"ids": [dataset_id]}),
    ]


@pytest.mark.parametrize("first", ["a read", "a write"])
def test_a_read_only_key_reads_both_generations_and_every_write_is_403_changing_nothing(
    api: LocalApi, first: str
) -> None:
    tenant = uuid.uuid4().hex
    writer = mint(api, tenant)
    reader = mint(api, tenant, "--read-only")
    dataset_id = api.bearer("POST", "/api/v1/datasets", writer, json_body={"name": "kept"}).body["data"]["id"]
    before = everything(api, writer)
    if first == "a write":  # the authorizer's first answer for this key comes from a write: the same policy
        method, path, body = writes(dataset_id)[0]
        refused = api.bearer(method, path, reader, json_body=body)
        assert (refused.status, refused.body) == (403, READ_ONLY_REFUSAL)
    for path in (
        "/api/v1/dataset",
        "/api/v1/datasets",
        f"/api/v1/dataset/{dataset_id}",
        f"/api/v1/datasets/{dataset_id}",
    ):
        reply = api.bearer("GET", path, reader)
        assert (reply.status, reply.body["code"]) == (200, 0), (path, reply.body)
    assert api.bearer("GET", f"/api/v1/datasets/{dataset_id}", reader).body["data"]["name"] == "kept"
    for method, path, body in writes(dataset_id):
        refused = api.bearer(method, path, reader, json_body=body)
        assert (refused.status, refused.body) == (403, READ_ONLY_REFUSAL), (method, path)
        assert refused.headers["x-amzn-errortype"] == "AccessDeniedException"
    assert everything(api, writer) == before
    assert api.bearer("PUT", f"/api/v1/datasets/{dataset_id}", writer, json_body={"name": "mine"}).status == 200


def _wait_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))


def test_a_key_whose_expiry_falls_inside_the_cache_ttl_is_never_served_past_it(api: LocalApi) -> None:
    """TTL 30 s, expiry 3 s away: the allow cached by the first request outlives the key, and is not honoured."""
    tenant = uuid.uuid4().hex
    key = mint(api, tenant, "--expires-in", "3s")
    expires = time.time() + 3
    assert api.bearer("GET", "/api/v1/datasets", key).status == 200  # the authorizer's allow is now cached
    assert api.bearer("POST", "/api/v1/datasets", key, json_body={"name": "before expiry"}).status == 200
    authorizer_runs = api.invocations("AuthorizerFunction")
    _wait_until(expires + 0.2)
    for method, path, body in [("GET", "/api/v1/datasets", None), ("GET", "/api/v1/dataset", None),
                               ("POST", "/api/v1/datasets", {"name": "after expiry"})]:  # fmt: skip
        reply = api.bearer(method, path, key, json_body=body)
        assert (reply.status, reply.body) == (401, UNAUTHORIZED), (method, path, reply.body)
    assert api.invocations("AuthorizerFunction") == authorizer_runs, "refused by the functions, the cache still held"
    writer = mint(api, tenant)
    assert [d["name"] for d in everything(api, writer)] == ["before expiry"]


def test_an_expired_key_is_refused_by_the_authorizer_once_its_cache_entry_is_gone(tmp_path: Path) -> None:
    with running(tmp_path / "state", "--auth-cache-ttl", "2", "--quiet") as api:
        tenant = uuid.uuid4().hex
        key = mint(api, tenant, "--expires-in", "3s")
        expires = time.time() + 3
        assert api.bearer("GET", "/api/v1/datasets", key).status == 200
        _wait_until(expires + 2.5)  # past the expiry and past the cached allow's 2 s
        reply = api.bearer("GET", "/api/v1/datasets", key)
        assert (reply.status, reply.body) == (401, UNAUTHORIZED)
        assert reply.headers["x-amzn-errortype"] == "UnauthorizedException"  # API Gateway's own 401: the authorizer


def test_an_expiry_set_or_removed_with_the_cli_takes_effect_on_a_running_local_api(tmp_path: Path) -> None:
    """``set-expiry`` on a live key: it stops within the TTL at most; ``--never`` on an expired one revives it."""
    with running(tmp_path / "state", "--auth-cache-ttl", "1", "--quiet") as api:
        tenant = uuid.uuid4().hex
        key = mint(api, tenant, "--expires-in", "2s")
        listed = cli("list", "--tenant", tenant, state_dir=api.state_dir)
        key_id = next(row.split()[0] for row in listed.stdout.splitlines() if row.endswith(" active"))
        time.sleep(3.2)
        assert api.bearer("GET", "/api/v1/datasets", key).status == 401
        assert cli("set-expiry", key_id, "--never", state_dir=api.state_dir).returncode == 0
        assert api.bearer("GET", "/api/v1/datasets", key).status == 200  # refusals are never cached
        assert cli("set-expiry", key_id, "--in", "1s", state_dir=api.state_dir).returncode == 0
        time.sleep(2.5)  # past the new expiry and the 1 s cache
        assert api.bearer("GET", "/api/v1/datasets", key).status == 401

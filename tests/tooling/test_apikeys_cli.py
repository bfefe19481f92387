"""The API-key CLI (``python -m tools.apikeys``): on the local state, stopped or running, and on a deployed table.

Keys minted here are then used over HTTP against a local API, so the tests prove what an operator cares
about: a minted key works, only for its tenant, and a revoked one stops working.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from dataset_core import api_keys, config, scopes
from dataset_core.storage import client as storage
from local_server import cli, mint, running
from tools import apikeys, template
from tools.embedded_dynamodb import serialize_requests

KEY = re.compile(r"ragflow-[A-Za-z0-9_-]{32,}")


def _cli_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in {"RAGFLOW_API_KEY", "DYNAMODB_ENDPOINT", "TABLE_NAME"}}


def _field(output: str, name: str) -> str:
    found = re.search(rf"^\s*{name}\s+(\S+)", output, flags=re.MULTILINE)
    assert found is not None, output
    return found.group(1)


def test_create_list_revoke_on_the_local_state(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    created = cli("create", "--tenant", "acme", "--label", "ci runner", state_dir=state)
    assert created.returncode == 0, created.stderr
    key = _field(created.stdout, "api key")
    key_id = _field(created.stdout, "key id")
    assert KEY.fullmatch(key)
    assert created.stdout.count(key) == 1  # shown once
    assert "tenant acme" in created.stdout

    listed = cli("list", "--tenant", "acme", state_dir=state)
    assert listed.returncode == 0, listed.stderr
    when = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    assert re.search(rf"^{key_id}\s+ci runner\s+{when}\s+read-write\s+never\s+active$", listed.stdout, re.M)
    assert not KEY.search(listed.stdout)  # never a key, not even another one

    revoked = cli("revoke", key_id, state_dir=state)
    assert revoked.returncode == 0, revoked.stderr
    assert f"Revoked key {key_id} of tenant acme" in revoked.stdout
    assert re.search(rf"^{key_id}\s.*\srevoked$", cli("list", "--tenant", "acme", state_dir=state).stdout, re.M)

    state_file = (state / "dynamodb.json").read_text()
    assert key not in state_file  # only its SHA-256 digest is stored
    assert api_keys.digest(key) in state_file


def test_create_for_a_new_tenant_and_quiet_output(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    created = cli("create", "--label", "new", state_dir=tmp_path / "state")
    assert re.fullmatch(r"[0-9a-f]{32}", _field(created.stdout, "Created an API key for tenant"))
    quiet = cli("create", "--tenant", "t2", "-q", state_dir=tmp_path / "state")
    assert quiet.returncode == 0
    assert KEY.fullmatch(quiet.stdout.strip())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["revoke", "0123456789abcdef"], "no API key has the id 0123456789abcdef"),
        (["list", "--tenant", "bad#tenant"], "--tenant is 1 to 64 characters"),
        (["create", "--expires-in", "90 days"], "not a duration: '90 days'"),
        (["create", "--expires-at", "2027-01-31T00:00:00"], "has no time zone"),
        (["create", "--expires-at", "2020-01-01T00:00:00Z"], "the expiry 2020-01-01T00:00:00Z has already passed"),
        (["set-expiry", "0123456789abcdef", "--in", "1d"], "no API key has the id 0123456789abcdef"),
        (["create", "--tenant", "x" * 65], "a tenant id is 1 to 64 characters"),
    ],
)
def test_errors_are_one_line_and_exit_1(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "state").mkdir()
    result = cli(*args, state_dir=tmp_path / "state")
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {message}" or message in result.stderr
    assert "Traceback" not in result.stderr


def test_two_tenants_minted_with_the_cli_see_only_their_own_datasets(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    key_a = mint(state, "tenant-a")  # minted while no local API runs: straight into the state folder
    key_b = mint(state, "tenant-b")
    with running(state) as api:
        ids = {}
        for key, names in ((key_a, ["shared", "only-a"]), (key_b, ["shared"])):
            for name in names:
                reply = api.bearer("POST", "/api/v1/dataset", key, json_body={"dataset_name": name})
                assert reply.status == 200, reply.body  # the same name in another tenant is no conflict
                ids[(key, name)] = reply.body["data"]["id"]

        def visible(key: str) -> list[str]:
            return sorted(d["name"] for d in api.bearer("GET", "/api/v1/dataset", key).body["data"])

        assert visible(key_a) == ["only-a", "shared"]
        assert visible(key_b) == ["shared"]
        assert {d["tenant_id"] for d in api.bearer("GET", "/api/v1/dataset", key_b).body["data"]} == {"tenant-b"}

        foreign = ids[(key_a, "only-a")]
        got = api.bearer("GET", f"/api/v1/dataset/{foreign}", key_b)
        assert (got.status, got.body["code"]) == (404, 102)  # absent, as if it did not exist
        deleted = api.bearer("DELETE", f"/api/v1/dataset/{foreign}", key_b)
        assert (deleted.status, deleted.body["code"]) == (404, 103)
        assert visible(key_a) == ["only-a", "shared"]

        # Minted while the local API runs: the CLI hands the command to it, and the key works at once.
        key_c = mint(state, "tenant-c")
        assert api.bearer("GET", "/api/v1/dataset", key_c).body["data"] == []
        listed = cli("list", "--tenant", "tenant-c", state_dir=state)
        assert listed.returncode == 0
        assert "active" in listed.stdout
        assert key_c not in api.output()

    with running(state) as api:  # and the server saved what the CLI asked of it
        assert api.bearer("GET", "/api/v1/dataset", key_c).status == 200


def test_parallel_cli_runs_without_a_local_api_take_turns(tmp_path: Path) -> None:
    """Each run holds the state for its command; the others wait for it (they used to report the holder, another
    CLI, as "a local API (pid N) [that] does not answer")."""
    state = tmp_path / "state"
    state.mkdir()
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "tools.apikeys", "--state-dir", str(state), "create", "--tenant", f"t{n}", "-q"],
            cwd=template.ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_cli_env(),
        )
        for n in range(4)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, [err for _, err in outputs]
    keys = [out.strip() for out, _ in outputs]
    assert all(KEY.fullmatch(key) for key in keys)
    with running(state) as api:  # every one of them was kept
        assert [api.bearer("GET", "/api/v1/datasets", key).status for key in keys] == [200] * 4


def test_a_state_folder_that_does_not_exist_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    """A mistyped --state-dir used to create an empty state and answer "no keys"."""
    missing = tmp_path / "no-such-state"
    for args in (["list", "--tenant", "x"], ["list"], ["create", "--tenant", "x"], ["revoke", "0123456789abcdef"]):
        result = cli(*args, state_dir=missing)
        assert result.returncode == 1, (args, result.stdout)
        assert f"error: {missing} is not a local API state folder (it does not exist)" in result.stderr
        assert not missing.exists()


def test_revoking_a_revoked_key_says_so_and_fails(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    key_id = _field(cli("create", "--tenant", "acme", state_dir=state).stdout, "key id")
    assert cli("revoke", key_id, state_dir=state).returncode == 0
    again = cli("revoke", key_id, state_dir=state)
    assert again.returncode == 1
    assert again.stderr.strip() == f"error: key {key_id} of tenant acme is already revoked"
    assert "Revoked" not in again.stdout


def test_list_without_a_tenant_shows_every_tenants_keys(tmp_path: Path) -> None:
    """The operator's view: which tenants exist, and their keys (still never a key)."""
    state = tmp_path / "state"
    state.mkdir()
    ids = {
        t: _field(cli("create", "--tenant", t, "--label", f"{t} key", state_dir=state).stdout, "key id")
        for t in ("acme", "beta")
    }
    listed = cli("list", state_dir=state)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0].split() == [
        "KEY",
        "ID",
        "TENANT",
        "TIER",
        "LABEL",
        "CREATED",
        "(UTC)",
        "SCOPE",
        "EXPIRES",
        "(UTC)",
        "STATUS",
    ]
    for tenant, key_id in ids.items():
        assert re.search(rf"^{key_id}\s+{tenant}\s+standard\s+{tenant} key\s", listed.stdout, re.M), listed.stdout
    assert not KEY.search(listed.stdout)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("list", state_dir=empty).stdout.strip() == "no API keys"


def test_read_only_and_expiring_keys_are_minted_listed_and_redated(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    ro = cli(
        "create",
        "--tenant",
        "acme",
        "--label",
        "dashboard",
        "--read-only",
        "--expires-at",
        "2031-01-31T00:00:00Z",
        state_dir=state,
    )
    assert ro.returncode == 0, ro.stderr
    assert _field(ro.stdout, "scope") == "read-only"
    assert _field(ro.stdout, "expires") == "2031-01-31T00:00:00Z"
    ro_id = _field(ro.stdout, "key id")
    soon = cli("create", "--tenant", "acme", "--label", "contractor", "--expires-in", "90d", state_dir=state)
    soon_id = _field(soon.stdout, "key id")
    expected = time.time() + 90 * 86400
    listed = cli("list", "--tenant", "acme", state_dir=state).stdout
    assert re.search(rf"^{ro_id}\s+dashboard\s+\S+\s+read-only\s+2031-01-31T00:00:00Z\s+active$", listed, re.M), listed
    soon_expiry = re.search(rf"^{soon_id}\s+contractor\s+\S+\s+read-write\s+(\S+)\s+active$", listed, re.M)
    assert soon_expiry is not None, listed
    shown = datetime.strptime(soon_expiry.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    assert abs(shown - expected) < 120

    redated = cli("set-expiry", soon_id, "--at", "2030-06-01T12:00:00+02:00", state_dir=state)
    assert redated.returncode == 0, redated.stderr
    assert f"Key {soon_id} of tenant acme now expires: 2030-06-01T10:00:00Z." in redated.stdout
    assert cli("set-expiry", ro_id, "--never", state_dir=state).returncode == 0
    listed = cli("list", "--tenant", "acme", state_dir=state).stdout
    assert re.search(rf"^{ro_id}\s.*\sread-only\s+never\s+active$", listed, re.M), listed
    assert re.search(rf"^{soon_id}\s.*\s2030-06-01T10:00:00Z\s+active$", listed, re.M), listed
    in_a_day = cli("set-expiry", ro_id, "--in", "1d", state_dir=state)
    assert in_a_day.returncode == 0, in_a_day.stderr


def test_a_key_past_its_expiry_is_listed_as_expired(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    key_id = _field(cli("create", "--tenant", "acme", "--expires-in", "2s", state_dir=state).stdout, "key id")
    time.sleep(2.2)
    listed = cli("list", "--tenant", "acme", state_dir=state).stdout
    assert re.search(rf"^{key_id}\s.*\sread-write\s+\S+Z\s+expired$", listed, re.M), listed


# ---- a deployed table: --table and --stack, on moto, in-process ----------------------------------------------


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto with a table named like a deployed one; the CLI's environment changes are undone afterwards."""
    monkeypatch.setenv("TABLE_NAME", "datasets-test")
    monkeypatch.delenv("DYNAMODB_ENDPOINT", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    serialize_requests()
    with mock_aws():
        storage.reset_client()
        boto3.client("dynamodb").create_table(**template.table_definition("stack-datasets-1A2B3C"))
        yield
    config.settings.cache_clear()
    storage.reset_client()


def _keys_of(tenant: str) -> list[api_keys.ApiKey]:
    return api_keys.list_keys(tenant)


@pytest.mark.usefixtures("deployed")
def test_table_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert apikeys.main(["--table", "stack-datasets-1A2B3C", "create", "--tenant", "prod-t", "-q"]) == 0
    key = capsys.readouterr().out.strip()
    assert config.settings().table_name == "stack-datasets-1A2B3C"
    found = api_keys.authenticate(f"Bearer {key}")
    assert found is not None
    assert found.tenant_id == "prod-t"
    assert apikeys.main(["--table", "stack-datasets-1A2B3C", "list", "--tenant", "prod-t"]) == 0
    assert found.key_id in capsys.readouterr().out


@pytest.mark.usefixtures("deployed")
def test_stack_target_reads_the_table_name_output(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    stubber = Stubber(cloudformation)
    outputs = [
        {"OutputKey": "ApiUrl", "OutputValue": "https://x.execute-api.us-east-1.amazonaws.com/prod/api/v1"},
        {"OutputKey": "TableName", "OutputValue": "stack-datasets-1A2B3C"},
    ]
    stack = {"StackName": "ragflow", "CreationTime": "2026-01-01T00:00:00Z", "StackStatus": "CREATE_COMPLETE"}
    stubber.add_response("describe_stacks", {"Stacks": [{**stack, "Outputs": outputs}]}, {"StackName": "ragflow"})
    plans = {tier: boto3.client("apigateway").create_usage_plan(name=tier)["id"] for tier in template.usage_plans()}
    resources = [
        {
            "LogicalResourceId": plan.logical_id,
            "PhysicalResourceId": plans[tier],
            "ResourceType": "AWS::ApiGateway::UsagePlan",
            "Timestamp": "2026-01-01T00:00:00Z",
            "ResourceStatus": "CREATE_COMPLETE",
        }
        for tier, plan in template.usage_plans().items()
    ]
    stubber.add_response("describe_stack_resources", {"StackResources": resources}, {"StackName": "ragflow"})
    stubber.activate()
    real_client: Callable[..., Any] = boto3.client

    def client(service: str, *args: Any, **kwargs: Any) -> Any:
        return cloudformation if service == "cloudformation" else real_client(service, *args, **kwargs)

    monkeypatch.setattr(apikeys, "boto3", types.SimpleNamespace(client=client))
    assert apikeys.main(["--stack", "ragflow", "create", "--tenant", "stack-t", "--label", "ops"]) == 0
    out = capsys.readouterr().out
    stubber.assert_no_pending_responses()
    assert [k.label for k in _keys_of("stack-t")] == ["ops"]
    assert _field(out, "key id") == _keys_of("stack-t")[0].key_id
    # its first key put the tenant on the default tier: its API Gateway key is in that usage plan
    (usage_key,) = boto3.client("apigateway").get_api_keys(nameQuery="ragflow-tenant-stack-t", includeValues=True)[
        "items"
    ]
    assert [p["id"] for p in boto3.client("apigateway").get_usage_plans(keyId=usage_key["id"])["items"]] == [
        plans["standard"]
    ]
    assert _keys_of("stack-t")[0].usage_key == usage_key["value"]


def test_remote_errors_are_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TABLE_NAME", "datasets-test")
    with mock_aws():
        storage.reset_client()
        try:
            assert apikeys.main(["--table", "no-such-table", "list", "--tenant", "t"]) == 1
        finally:
            config.settings.cache_clear()
            storage.reset_client()
    assert capsys.readouterr().err.startswith("error: ")


def test_the_state_file_is_plain_json_of_dynamodb_items(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    mint(tmp_path / "state", "json-t")
    snapshot = json.loads((tmp_path / "state" / "dynamodb.json").read_text())
    assert snapshot["format"] == "ragflow-local-dynamodb/1"
    assert {item["sk"]["S"].split("#")[0] for item in snapshot["items"]} == {"APIKEY", "USAGEPLAN"}


@pytest.mark.usefixtures("deployed")
def test_scope_and_expiry_on_a_deployed_table(capsys: pytest.CaptureFixture[str]) -> None:
    target = ["--table", "stack-datasets-1A2B3C"]
    assert apikeys.main([*target, "create", "--tenant", "prod-t", "--read-only", "--expires-in", "30d", "-q"]) == 0
    key = capsys.readouterr().out.strip()
    found = api_keys.authenticate(f"Bearer {key}")
    assert found is not None
    assert found.scope == scopes.READ_ONLY
    assert found.expires_at is not None
    assert abs(found.expires_at - (time.time() + 30 * 86400)) < 60
    assert apikeys.main([*target, "set-expiry", found.key_id, "--never"]) == 0
    again = api_keys.authenticate(f"Bearer {key}")
    assert again is not None
    assert again.expires_at is None
    assert apikeys.main([*target, "list"]) == 0
    assert re.search(
        rf"^{found.key_id}\s+prod-t\s+-\s+-\s+\S+\s+read-only\s+never\s+active$", capsys.readouterr().out, re.M
    )

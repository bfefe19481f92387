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
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from dataset_core import api_keys, config
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
    created = cli("create", "--tenant", "acme", "--label", "ci runner", state_dir=state)
    assert created.returncode == 0, created.stderr
    key = _field(created.stdout, "api key")
    key_id = _field(created.stdout, "key id")
    assert KEY.fullmatch(key)
    assert created.stdout.count(key) == 1  # shown once
    assert "tenant acme" in created.stdout

    listed = cli("list", "--tenant", "acme", state_dir=state)
    assert listed.returncode == 0, listed.stderr
    assert re.search(rf"^{key_id}\s+ci runner\s+\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+active$", listed.stdout, re.M)
    assert not KEY.search(listed.stdout)  # never a key, not even another one

    revoked = cli("revoke", key_id, state_dir=state)
    assert revoked.returncode == 0, revoked.stderr
    assert f"Revoked key {key_id} of tenant acme" in revoked.stdout
    assert re.search(rf"^{key_id}\s.*\srevoked$", cli("list", "--tenant", "acme", state_dir=state).stdout, re.M)

    state_file = (state / "dynamodb.json").read_text()
    assert key not in state_file  # only its SHA-256 digest is stored
    assert api_keys.digest(key) in state_file


def test_create_for_a_new_tenant_and_quiet_output(tmp_path: Path) -> None:
    created = cli("create", "--label", "new", state_dir=tmp_path / "state")
    assert re.fullmatch(r"[0-9a-f]{32}", _field(created.stdout, "Created an API key for tenant"))
    quiet = cli("create", "--tenant", "t2", "-q", state_dir=tmp_path / "state")
    assert quiet.returncode == 0
    assert KEY.fullmatch(quiet.stdout.strip())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["revoke", "0123456789abcdef"], "no API key has the id 0123456789abcdef"),
        (["list", "--tenant", "bad#tenant"], "list needs --tenant"),
        (["create", "--tenant", "x" * 65], "a tenant id is 1 to 64 characters"),
    ],
)
def test_errors_are_one_line_and_exit_1(tmp_path: Path, args: list[str], message: str) -> None:
    result = cli(*args, state_dir=tmp_path / "state")
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {message}" or message in result.stderr
    assert "Traceback" not in result.stderr


def test_two_tenants_minted_with_the_cli_see_only_their_own_datasets(tmp_path: Path) -> None:
    state = tmp_path / "state"
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
    mint(tmp_path / "state", "json-t")
    snapshot = json.loads((tmp_path / "state" / "dynamodb.json").read_text())
    assert snapshot["format"] == "ragflow-local-dynamodb/1"
    assert {item["sk"]["S"].split("#")[0] for item in snapshot["items"]} == {"APIKEY", "USAGEPLAN"}

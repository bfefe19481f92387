"""Putting a tenant on a usage tier with the API-key CLI (``tier``), locally and on a stack's API Gateway.

On AWS a tenant's API Gateway API key must be in exactly one usage plan of the stage ("a key cannot be in two
usage plans of one API stage": API Gateway answers ConflictException), and a tenant whose key is in none is
refused (403): so its first key puts it on the default tier, and a move takes the key out of the old plan first.
moto plays API Gateway's API keys and usage plans here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from conftest import TENANT_A
from dataset_core import api_keys, config
from dataset_core.storage import client as storage
from local_server import cli
from tools import apikeys, template
from tools.embedded_dynamodb import serialize_requests
from tools.usage_plans import DEFAULT_TIER, AwsUsagePlans, UsageKey, put_on_tier

TABLE = "stack-datasets-1A2B3C"


def test_the_local_cli_puts_a_new_tenant_on_the_default_tier_and_moves_it(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()  # a local API made it (the CLI refuses a state folder that does not exist)
    created = cli("create", "--tenant", "acme", state_dir=state)
    assert created.returncode == 0, created.stderr
    assert f"tier     {DEFAULT_TIER}" in created.stdout
    moved = cli("tier", "--tenant", "acme", "large", state_dir=state)
    assert moved.returncode == 0, moved.stderr
    assert "Tenant acme is on tier large (the local API)." in moved.stdout
    shown = cli("tier", "--tenant", "acme", state_dir=state)
    assert "Tenant acme is on tier large" in shown.stdout
    assert "tier: large" in cli("list", "--tenant", "acme", state_dir=state).stdout
    unknown = cli("tier", "--tenant", "acme", "platinum", state_dir=state)
    assert unknown.returncode == 2
    assert "invalid choice: 'platinum'" in unknown.stderr


# ---- a deployed stack: API Gateway on moto ------------------------------------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """moto with a table named like a deployed one and the stack's usage plans: tier -> plan id."""
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.delenv("DYNAMODB_ENDPOINT", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    serialize_requests()
    with mock_aws():
        config.settings.cache_clear()
        storage.reset_client()
        boto3.client("dynamodb").create_table(**template.table_definition(TABLE))
        gateway = boto3.client("apigateway")
        yield {tier: gateway.create_usage_plan(name=f"stack-{tier}")["id"] for tier in template.usage_plans()}
    config.settings.cache_clear()
    storage.reset_client()


def plans_holding(key_id: str) -> list[str]:
    return [p["id"] for p in boto3.client("apigateway").get_usage_plans(keyId=key_id)["items"]]


def test_a_tenant_moves_from_plan_to_plan_with_one_api_gateway_key(aws: dict[str, str]) -> None:
    plans = AwsUsagePlans("stack", aws, boto3.client("apigateway"))
    api_keys.create_key(TENANT_A, "first")
    standard, updated = put_on_tier(TENANT_A, "standard", plans)
    assert updated == 1
    assert plans_holding(standard.usage_key_id) == [aws["standard"]]
    large, updated = put_on_tier(TENANT_A, "large", plans)
    assert (large.usage_key_id, large.usage_key) == (standard.usage_key_id, standard.usage_key)  # the same key
    assert updated == 0
    assert plans_holding(large.usage_key_id) == [aws["large"]]  # and out of the standard plan
    put_on_tier(TENANT_A, "large", plans)  # again: nothing changes
    assert plans_holding(large.usage_key_id) == [aws["large"]]
    (made,) = boto3.client("apigateway").get_api_keys(includeValues=True)["items"]
    assert (made["name"], made["customerId"], made["value"]) == (f"stack-tenant-{TENANT_A}", TENANT_A, large.usage_key)
    assert api_keys.list_keys(TENANT_A)[0].usage_key == large.usage_key


def test_a_usage_key_deleted_in_api_gateway_is_made_again_and_reaches_every_key(aws: dict[str, str]) -> None:
    plans = AwsUsagePlans("stack", aws, boto3.client("apigateway"))
    api_keys.create_key(TENANT_A, "a")
    api_keys.create_key(TENANT_A, "b")
    first, _ = put_on_tier(TENANT_A, "standard", plans)
    boto3.client("apigateway").delete_api_key(apiKey=first.usage_key_id)
    second, updated = put_on_tier(TENANT_A, "standard", plans)
    assert second.usage_key != first.usage_key
    assert updated == 2
    assert {k.usage_key for k in api_keys.list_keys(TENANT_A)} == {second.usage_key}
    assert plans_holding(second.usage_key_id) == [aws["standard"]]


def test_a_key_made_by_a_command_that_stopped_before_recording_it_is_found_by_name(aws: dict[str, str]) -> None:
    plans = AwsUsagePlans("stack", aws, boto3.client("apigateway"))
    orphan = boto3.client("apigateway").create_api_key(name=plans.key_name(TENANT_A), enabled=True)
    assert plans.ensure_key(TENANT_A, None) == UsageKey(orphan["id"], orphan["value"])


def test_a_stack_without_the_templates_usage_plans_is_refused() -> None:
    class Stack:
        def describe_stack_resources(self, StackName: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
            return {"StackResources": []}

    with pytest.raises(LookupError, match="StandardUsagePlan"):
        AwsUsagePlans.for_stack("old-stack", Stack(), None)


@pytest.mark.usefixtures("aws")
def test_a_table_named_alone_has_no_usage_plans_we_know(capsys: pytest.CaptureFixture[str]) -> None:
    assert apikeys.main(["--table", TABLE, "create", "--tenant", "t", "-q"]) == 0
    captured = capsys.readouterr()
    assert "warning: tenant t is on no usage tier: API Gateway refuses its requests (403)" in captured.err
    assert api_keys.usage_tier("t") is None
    assert apikeys.main(["--table", TABLE, "tier", "--tenant", "t", "large"]) == 1
    assert "give --stack NAME instead" in capsys.readouterr().err
    assert apikeys.main(["--table", TABLE, "tier", "--tenant", "t"]) == 0  # showing it needs no usage plan
    assert "tenant t is on no usage tier" in capsys.readouterr().out

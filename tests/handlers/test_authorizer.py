"""The TOKEN authorizer: which headers get in, what they are told, and what is stored and logged."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest

from conftest import DEV_KEY, TENANT_A, LambdaContext, function, load_event, log_lines
from dataset_core import api_keys
from dataset_core.errors import StorageUnavailable
from dataset_core.storage import api_keys as stored_keys
from dataset_core.storage import client as storage

WHOLE_API = "arn:aws:execute-api:us-east-1:123456789012:1234567890/prod/*/*"


def authorize(event: dict[str, Any]) -> dict[str, Any]:
    return dict(function("authorizer").lambda_handler(event, LambdaContext(function_name="authorizer")))


def denied(event: dict[str, Any]) -> bool:
    with pytest.raises(Exception) as raised:  # noqa: PT011 - API Gateway needs exactly this bare Exception
        authorize(event)
    return type(raised.value) is Exception and str(raised.value) == "Unauthorized"


@pytest.fixture
def dev_key(table: Any) -> api_keys.ApiKey:
    _, record = api_keys.create_key(TENANT_A, "dev", key=DEV_KEY)
    return record


def count_dynamodb_calls() -> list[str]:
    calls: list[str] = []
    storage.client().meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    return calls


@pytest.mark.parametrize("event_name", ["authorizer_bearer", "authorizer_bare"])
def test_bearer_and_bare_keys_are_allowed_with_the_tenant_in_the_context(
    event_name: str, dev_key: api_keys.ApiKey
) -> None:
    result = authorize(load_event(event_name))
    assert result == {
        "principalId": TENANT_A,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": WHOLE_API}],
        },
        "context": {"tenant_id": TENANT_A, "key_id": dev_key.key_id, "scope": "read-write"},
    }


@pytest.mark.parametrize("prefix", ["bearer ", "BEARER ", "Bearer  ", " Bearer "])
def test_the_bearer_scheme_is_case_insensitive(prefix: str, dev_key: api_keys.ApiKey) -> None:
    event = load_event("authorizer_bearer") | {"authorizationToken": prefix + DEV_KEY}
    assert authorize(event)["principalId"] == TENANT_A


def test_the_policy_covers_the_whole_api_whatever_route_was_called(dev_key: api_keys.ApiKey) -> None:
    event = load_event("authorizer_bearer")
    event["methodArn"] = "arn:aws:execute-api:eu-west-1:111122223333:abcdef/v2/DELETE/api/v1/dataset/123"
    statement = authorize(event)["policyDocument"]["Statement"][0]
    assert statement["Resource"] == "arn:aws:execute-api:eu-west-1:111122223333:abcdef/v2/*/*"


def test_unknown_and_missing_keys_are_denied(dev_key: api_keys.ApiKey) -> None:
    assert denied(load_event("authorizer_unknown"))
    assert denied(load_event("authorizer_missing"))


def test_a_revoked_key_is_denied(dev_key: api_keys.ApiKey) -> None:
    assert api_keys.revoke(dev_key.key_id) is not None
    assert denied(load_event("authorizer_bearer"))
    assert [k.status for k in api_keys.list_keys(TENANT_A)] == ["revoked"]


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Basic " + DEV_KEY, "ragflow-short", DEV_KEY + "!", "Bearer " + DEV_KEY + " x",
     "ragflow-" + "a" * 200, "Token " + DEV_KEY],
)  # fmt: skip
def test_malformed_keys_are_denied_without_reading_the_table(header: str, dev_key: api_keys.ApiKey) -> None:
    calls = count_dynamodb_calls()
    assert denied(load_event("authorizer_bearer") | {"authorizationToken": header})
    assert calls == []


def test_a_valid_key_costs_one_get_item(dev_key: api_keys.ApiKey) -> None:
    calls = count_dynamodb_calls()
    authorize(load_event("authorizer_bearer"))
    assert calls == ["GetItem"]


def test_only_the_sha256_of_a_key_is_stored(table: Any) -> None:
    key, record = api_keys.create_key(TENANT_A, "audit")
    everything = repr(table.scan(TableName=os.environ["TABLE_NAME"])["Items"])
    assert key not in everything
    assert key[len("ragflow-") :] not in everything
    assert f"APIKEY#{hashlib.sha256(key.encode()).hexdigest()}" in everything
    assert record.key_id in everything


def test_minted_keys_have_the_documented_format_and_are_unique() -> None:
    keys = {api_keys.mint_key() for _ in range(200)}
    assert len(keys) == 200
    assert all(k.startswith("ragflow-") and len(k) >= len("ragflow-") + 32 for k in keys)


def test_the_authorizer_fails_closed_when_the_table_cannot_be_read(
    dev_key: api_keys.ApiKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(_: str) -> None:
        raise StorageUnavailable

    monkeypatch.setattr(stored_keys, "get_api_key", unavailable)
    with pytest.raises(StorageUnavailable):  # API Gateway answers AUTHORIZER_FAILURE: nobody gets in
        authorize(load_event("authorizer_bearer"))


def test_authorizer_logs_name_the_tenant_never_the_key(dev_key: api_keys.ApiKey) -> None:
    before = len(log_lines())
    authorize(load_event("authorizer_bearer"))
    denied(load_event("authorizer_unknown"))
    lines = log_lines()[before:]
    assert any(TENANT_A in line for line in lines)
    assert not any(DEV_KEY in line or "ragflow-xxxx" in line for line in lines)

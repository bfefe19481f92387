"""Read-only and expiring keys, through the authorizer and the route functions.

API Gateway caches the authorizer's policy per ``Authorization`` value for its TTL and evaluates it for every
route that value calls next; so the policy must be right for all of them, and what a cache cannot know (that an
expiry passed) is checked by the route functions from the context the authorizer returned.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from conftest import TENANT_A, LambdaContext, function, invoke, load_event, log_lines, route_event, scan
from dataset_core import api_keys, scopes
from tools.local_gateway import _allows

ARN = "arn:aws:execute-api:us-east-1:123456789012:1234567890/prod"
ROUTES = [  # (function, event, method, resource as API Gateway names it)
    ("create_dataset", "create_dataset_legacy", "POST", "/api/v1/dataset"),
    ("create_dataset", "create_dataset_restful", "POST", "/api/v1/datasets"),
    ("list_datasets", "list_datasets_legacy", "GET", "/api/v1/dataset"),
    ("list_datasets", "list_datasets_restful", "GET", "/api/v1/datasets"),
    ("get_dataset", "get_dataset_legacy", "GET", "/api/v1/dataset/{dataset_id}"),
    ("get_dataset", "get_dataset_restful", "GET", "/api/v1/datasets/{dataset_id}"),
    ("update_dataset", "update_dataset_legacy", "PUT", "/api/v1/dataset/{dataset_id}"),
    ("update_dataset", "update_dataset_restful", "PUT", "/api/v1/datasets/{dataset_id}"),
    ("delete_dataset", "delete_dataset_legacy", "DELETE", "/api/v1/dataset/{dataset_id}"),
    ("delete_dataset", "delete_dataset_restful", "DELETE", "/api/v1/datasets"),
]


def authorize(key: str, method: str = "GET", path: str = "/api/v1/datasets") -> dict[str, Any]:
    event = load_event("authorizer_bearer") | {
        "authorizationToken": f"Bearer {key}",
        "methodArn": f"{ARN}/{method}{path}",
    }
    return dict(function("authorizer").lambda_handler(event, LambdaContext(function_name="authorizer")))


def refused(key: str) -> bool:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(key)
    return True


def request_arn(method: str, resource: str) -> str:
    return f"{ARN}/{method}{resource.replace('{dataset_id}', '0' * 32)}"


@pytest.mark.parametrize("scope", scopes.SCOPES)
def test_one_cached_policy_is_right_for_every_route_and_scope(table: Any, scope: str) -> None:
    """The policy issued for the first call (a GET) decides every later call of the same key."""
    key, _ = api_keys.create_key(TENANT_A, scope=scope)
    cached = authorize(key, "GET", "/api/v1/datasets")["policyDocument"]["Statement"]
    for _, _, method, resource in ROUTES:
        allowed = _allows(cached, request_arn(method, resource))
        assert allowed is (scope == scopes.READ_WRITE or method == "GET"), (method, resource)


@pytest.mark.parametrize(("function_name", "event_name", "method", "resource"), ROUTES, ids=[r[1] for r in ROUTES])
def test_a_read_only_context_reaches_only_get_routes_and_changes_nothing(
    table: Any, function_name: str, event_name: str, method: str, resource: str
) -> None:
    """Behind API Gateway's deny, the function refuses too: 403 in the envelope, nothing written."""
    mine = invoke("create_dataset", route_event("create_dataset_restful", body={"name": "mine"})).body["data"]["id"]
    before = scan()
    event = route_event(event_name, dataset_id=mine if "{" in resource else None)
    event["requestContext"]["authorizer"]["scope"] = scopes.READ_ONLY
    reply = invoke(function_name, event)
    if method == "GET":
        assert (reply.status, reply.body["code"]) == (200, 0), reply.body
    else:
        assert (reply.status, reply.body) == (
            403,
            {
                "code": 403,
                "message": "Forbidden: this API key is read-only; it may only call GET routes.",
                "data": None,
            },
        )
    assert scan() == before


def test_an_expired_key_is_refused_like_an_unknown_one_and_the_reason_is_logged(table: Any) -> None:
    key, _record = api_keys.create_key(TENANT_A, expires_at=int(time.time()) - 1)
    assert refused(key)
    assert any("API key refused" in line and "'reason': 'expired'" in line for line in log_lines())


def test_a_key_expiring_later_is_allowed_and_carries_its_expiry_to_the_functions(table: Any) -> None:
    expires_at = int(time.time()) + 3600
    key, _ = api_keys.create_key(TENANT_A, expires_at=expires_at)
    assert authorize(key)["context"]["expires_at"] == expires_at


def test_a_cached_allow_is_never_served_past_the_keys_expiry(table: Any) -> None:
    """The policy API Gateway cached still allows; the function sees the expiry in the context and answers 401."""
    event = route_event("list_datasets_restful", query={})
    event["requestContext"]["authorizer"]["expires_at"] = int(time.time()) - 1
    reply = invoke("list_datasets", event)
    assert (reply.status, reply.body["code"]) == (401, 401)
    event["requestContext"]["authorizer"]["expires_at"] = int(time.time()) + 60
    assert invoke("list_datasets", event).status == 200


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: "not-a-key", "malformed"),
        (api_keys.mint_key, "unknown"),
        (lambda: api_keys.create_key(TENANT_A, expires_at=1)[0], "expired"),
    ],
    ids=["malformed", "unknown", "expired"],
)
def test_each_refusal_logs_its_reason_and_never_the_key(table: Any, make: Any, reason: str) -> None:
    key = make()
    assert refused(key)
    refusals = [line for line in log_lines() if "API key refused" in line]
    assert f"'reason': '{reason}'" in refusals[-1]
    assert key not in "".join(log_lines())


def test_a_revoked_key_is_refused_as_revoked(table: Any) -> None:
    key, record = api_keys.create_key(TENANT_A)
    api_keys.revoke(record.key_id)
    assert refused(key)
    assert "'reason': 'revoked'" in [line for line in log_lines() if "API key refused" in line][-1]


def test_the_granted_scope_is_logged(table: Any) -> None:
    key, _ = api_keys.create_key(TENANT_A, scope=scopes.READ_ONLY)
    authorize(key)
    assert "'scope': 'read-only'" in [line for line in log_lines() if "API key accepted" in line][-1]


def test_keys_stored_before_scopes_and_expiry_read_as_read_write_without_expiry(table: Any) -> None:
    key, _record = api_keys.create_key(TENANT_A)
    for item in scan():
        if item["sk"]["S"].startswith("APIKEY"):
            item.pop("scope")
            table.put_item(TableName=item_table(), Item=item)
    (listed,) = api_keys.list_keys(TENANT_A)
    assert (listed.scope, listed.expires_at) == (scopes.READ_WRITE, None)
    assert authorize(key)["context"]["scope"] == scopes.READ_WRITE


def test_an_expiry_can_be_set_and_taken_away(table: Any) -> None:
    key, record = api_keys.create_key(TENANT_A)
    api_keys.set_expiry(record.key_id, 1)
    assert refused(key)
    api_keys.set_expiry(record.key_id, None)
    assert authorize(key)["principalId"] == TENANT_A


def item_table() -> str:
    import os

    return os.environ["TABLE_NAME"]

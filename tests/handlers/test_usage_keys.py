"""A tenant's usage key reaches API Gateway through the authorizer, from every key of the tenant; and the route
functions' answers carry the CORS header a deployment configures.

API Gateway meters a request by the ``usageIdentifierKey`` the authorizer returns ("Choose an API key source",
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html). The authorizer
reads only the key's own item (IAM confines it to ``APIKEY#`` partitions), so each key item carries the usage key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from conftest import DEV_KEY, TENANT_A, TENANT_B, LambdaContext, create, function, invoke, load_event, route_event
from dataset_core import api_keys, config
from dataset_core.storage import api_keys as stored_keys

STANDARD = api_keys.UsageTier("standard", "k1", "usage-key-one-0000000000000000000000000000")
LARGE = api_keys.UsageTier("large", "k2", "usage-key-two-0000000000000000000000000000")


def authorize(key: str) -> dict[str, Any]:
    event = {**load_event("authorizer_bearer"), "authorizationToken": f"Bearer {key}"}
    return dict(function("authorizer").lambda_handler(event, LambdaContext(function_name="authorizer")))


@pytest.mark.usefixtures("table")
def test_keys_minted_before_and_after_the_tenant_got_its_tier_all_return_its_usage_key() -> None:
    before, _ = api_keys.create_key(TENANT_A, "before")
    assert "usageIdentifierKey" not in authorize(before)  # API Gateway would answer 403: no usage plan
    assert api_keys.set_usage_tier(TENANT_A, STANDARD) == 1
    after, _ = api_keys.create_key(TENANT_A, "after")
    assert authorize(before)["usageIdentifierKey"] == STANDARD.usage_key
    assert authorize(after)["usageIdentifierKey"] == STANDARD.usage_key
    assert api_keys.usage_tier(TENANT_A) == STANDARD


@pytest.mark.usefixtures("table")
def test_a_new_usage_key_reaches_every_key_of_the_tenant_and_no_other_tenants() -> None:
    keys = [api_keys.create_key(TENANT_A, f"k{n}")[0] for n in range(3)]
    other, _ = api_keys.create_key(TENANT_B, "other")
    api_keys.set_usage_tier(TENANT_A, STANDARD)
    assert api_keys.set_usage_tier(TENANT_A, LARGE) == 3
    assert api_keys.set_usage_tier(TENANT_A, LARGE) == 0  # again: nothing left to update
    assert {authorize(k)["usageIdentifierKey"] for k in keys} == {LARGE.usage_key}
    assert "usageIdentifierKey" not in authorize(other)


@pytest.mark.usefixtures("table")
def test_a_revoked_key_keeps_its_usage_key_but_gets_no_policy() -> None:
    key, record = api_keys.create_key(TENANT_A, "k")
    api_keys.revoke(record.key_id)
    api_keys.set_usage_tier(TENANT_A, STANDARD)
    (listed,) = api_keys.list_keys(TENANT_A)
    assert (listed.status, listed.usage_key) == ("revoked", STANDARD.usage_key)
    with pytest.raises(Exception, match="Unauthorized"):
        authorize(key)


@pytest.mark.usefixtures("table")
def test_a_key_minted_while_the_usage_key_changes_carries_the_new_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The race: ``create_key`` read the tenant's usage key, then an operator changed it and updated the keys
    there were, then the new key was written. Its transaction checks the usage key it copied: it fails, and the
    key is written again with the new one."""
    api_keys.set_usage_tier(TENANT_A, STANDARD)
    real_put = stored_keys.put_api_key
    calls: list[str | None] = []

    def put_after_a_change(**kwargs: Any) -> None:
        calls.append(kwargs["usage_key"])
        if len(calls) == 1:
            api_keys.set_usage_tier(TENANT_A, LARGE)  # between the read and the write
        real_put(**kwargs)

    monkeypatch.setattr(stored_keys, "put_api_key", put_after_a_change)
    key, record = api_keys.create_key(TENANT_A, "racing")
    assert calls == [STANDARD.usage_key, LARGE.usage_key]
    assert record.usage_key == LARGE.usage_key
    assert authorize(key)["usageIdentifierKey"] == LARGE.usage_key
    assert len(api_keys.list_keys(TENANT_A)) == 1  # the failed attempt wrote nothing


@pytest.mark.usefixtures("table")
def test_minting_for_a_tenant_on_no_tier_fails_if_one_is_recorded_meanwhile(monkeypatch: pytest.MonkeyPatch) -> None:
    real_put = stored_keys.put_api_key
    calls: list[str | None] = []

    def put_after_a_change(**kwargs: Any) -> None:
        calls.append(kwargs["usage_key"])
        if len(calls) == 1:
            api_keys.set_usage_tier(TENANT_A, STANDARD)
        real_put(**kwargs)

    monkeypatch.setattr(stored_keys, "put_api_key", put_after_a_change)
    key, _ = api_keys.create_key(TENANT_A, "racing", key=DEV_KEY)
    assert calls == [None, STANDARD.usage_key]
    assert authorize(key)["usageIdentifierKey"] == STANDARD.usage_key


# ---- CORS on the functions' own answers -------------------------------------------------------------------


@pytest.fixture
def allowed_origin(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    origin = "https://app.example.com"
    monkeypatch.setenv("ALLOWED_ORIGIN", origin)
    config.settings.cache_clear()
    yield origin
    monkeypatch.delenv("ALLOWED_ORIGIN")
    config.settings.cache_clear()


@pytest.mark.usefixtures("table")
def test_every_answer_of_a_route_function_carries_the_allowed_origin(allowed_origin: str) -> None:
    made = create("cors")
    missing = invoke("get_dataset", route_event("get_dataset_restful", dataset_id="0" * 32))
    bad = invoke("create_dataset", route_event("create_dataset_restful", raw_body="{"))
    assert (made.status, missing.status, bad.status) == (200, 404, 400)
    for reply in (made, missing, bad):
        assert reply.headers["Access-Control-Allow-Origin"] == allowed_origin


@pytest.mark.usefixtures("table")
def test_no_answer_carries_a_cors_header_by_default() -> None:
    config.settings.cache_clear()
    assert not any(k.lower().startswith("access-control-") for k in create("plain").headers)


def test_a_function_refuses_to_start_with_an_origin_browsers_could_not_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_ORIGIN", "https://a.example.com, https://b.example.com")
    config.settings.cache_clear()
    try:
        with pytest.raises(ValueError, match="ALLOWED_ORIGIN"):
            config.settings()
    finally:
        monkeypatch.delenv("ALLOWED_ORIGIN")
        config.settings.cache_clear()

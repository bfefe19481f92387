"""Idempotent creates: a create retried with its ``Idempotency-Key`` gets the first answer and creates nothing.

A client whose create timed out cannot know whether it was done; retrying it with the same key must not leave a
second dataset (``kb(1)``) or answer 409 for its own first attempt.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import pytest

from conftest import TENANT_A, TENANT_B, counter, invoke, items, race, route_event, scan
from dataset_core import idempotency
from dataset_core.storage import client as storage

ROUTES = {
    "legacy": ("create_dataset_legacy", {"dataset_name": "kb"}),
    "restful": ("create_dataset_restful", {"name": "kb"}),
}


def create(generation: str, key: str | None, tenant: str = TENANT_A, **body: Any) -> tuple[int, dict[str, Any]]:
    event_name, default = ROUTES[generation]
    headers = {"Content-Type": "application/json"} | ({"Idempotency-Key": key} if key else {})
    reply = invoke("create_dataset", route_event(event_name, tenant=tenant, body={**default, **body}, headers=headers))
    return reply.status, reply.body


@pytest.mark.parametrize("generation", ROUTES)
def test_a_retried_create_gets_the_first_answer_and_creates_nothing(table: Any, generation: str) -> None:
    first = create(generation, "retry-1")
    assert first[0] == 200
    for _ in range(3):
        assert create(generation, "retry-1") == first
    assert counter(table, TENANT_A) == 1
    assert len(items(table, TENANT_A, "NAME#")) == 1


@pytest.mark.parametrize("generation", ROUTES)
def test_ten_concurrent_creates_with_one_key_make_one_dataset_and_one_answer(table: Any, generation: str) -> None:
    event_name, body = ROUTES[generation]
    headers = {"Content-Type": "application/json", "Idempotency-Key": "together"}
    results = race([("create_dataset", route_event(event_name, body=body, headers=headers))] * 10)
    assert Counter(r["statusCode"] for r in results) == {200: 10}, [r["body"][:200] for r in results]
    assert len({json.loads(r["body"])["data"]["id"] for r in results}) == 1
    assert counter(table, TENANT_A) == 1


def test_the_same_key_with_another_body_is_422_and_changes_nothing(table: Any) -> None:
    assert create("restful", "k")[0] == 200
    before = scan()
    status, body = create("restful", "k", description="something else")
    assert (status, body["code"]) == (422, 101)
    assert "Idempotency-Key" in body["message"]
    assert scan() == before


def test_the_same_key_on_the_other_create_route_is_another_request(table: Any) -> None:
    assert create("restful", "k")[0] == 200
    assert create("legacy", "k")[0] == 422


def test_another_tenants_same_key_is_its_own(table: Any) -> None:
    mine, theirs = create("restful", "shared-key"), create("restful", "shared-key", tenant=TENANT_B)
    assert mine[0] == theirs[0] == 200
    assert mine[1]["data"]["id"] != theirs[1]["data"]["id"]
    assert theirs[1]["data"]["tenant_id"] == TENANT_B
    assert counter(table, TENANT_A) == counter(table, TENANT_B) == 1


def test_without_a_key_a_second_create_is_a_second_dataset(table: Any) -> None:
    assert create("restful", None)[1]["data"]["name"] == "kb"
    assert create("restful", None)[1]["data"]["name"] == "kb(1)"


def test_after_the_retention_a_key_names_a_new_request(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    first = create("restful", "old")
    monkeypatch.setattr(
        time, "time", lambda: first[1]["data"]["create_time"] / 1000 + idempotency.RETENTION_SECONDS + 1
    )
    later = create("restful", "old")
    assert later[0] == 200
    assert later[1]["data"]["name"] == "kb(1)"


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "é"], ids=["empty", "256-chars", "control", "non-ascii"])
def test_a_malformed_key_is_400_and_creates_nothing(table: Any, key: str) -> None:
    event = route_event(
        "create_dataset_restful",
        body={"name": "kb"},
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
    )
    reply = invoke("create_dataset", event)
    assert (reply.status, reply.body["code"]) == (400, 101)
    assert scan() == []


def test_a_first_create_with_a_key_is_still_one_round_trip_and_the_record_stays_out_of_listings(table: Any) -> None:
    calls: list[str] = []
    storage.client().meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    assert create("restful", "one-call")[0] == 200
    assert calls == ["TransactWriteItems"]
    listing = invoke("list_datasets", route_event("list_datasets_restful", query={}))
    assert (listing.body["total_datasets"], len(listing.body["data"])) == (1, 1)
    assert [i["sk"]["S"][:8] for i in items(table, TENANT_A, "REQUEST#")] == ["REQUEST#"]

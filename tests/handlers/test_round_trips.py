"""Round trips of latency: what a request waits for, not only how many calls it makes.

A cursor page and a listing by ``update_time`` need the page (a Query) and the tenant's total (the counter item,
which such a Query never reaches): two calls, issued at the same time, so the request waits for one round trip.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from conftest import TENANT_A, invoke, route_event, seed_datasets
from dataset_core.storage import client as storage

DELAY = 0.3
"""A network round trip, made long enough to tell one from two on a noisy machine."""


def slow_dynamodb(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float, float]]:
    """Every DynamoDB call takes ``DELAY`` before it reaches moto; returns (operation, start, end) per call."""
    calls: list[tuple[str, float, float]] = []
    starts: dict[int, tuple[str, float]] = {}

    def before(model: Any, **_: Any) -> None:
        starts[threading.get_ident()] = (model.name, time.monotonic())
        time.sleep(DELAY)

    def after(model: Any, **_: Any) -> None:
        name, started = starts.pop(threading.get_ident())
        calls.append((name, started, time.monotonic()))

    events = storage.client().meta.events
    events.register_first("before-call.dynamodb", before)
    events.register("after-call.dynamodb", after)
    return calls


@pytest.mark.parametrize(
    "query",
    [{"orderby": "update_time"}, {"desc": "false"}, "cursor"],
    ids=["by-update-time", "oldest-first", "cursor-page"],
)
def test_a_page_and_its_total_are_read_at_the_same_time(
    table: Any, monkeypatch: pytest.MonkeyPatch, query: Any
) -> None:
    seed_datasets(table, TENANT_A, 5)
    if query == "cursor":
        first = invoke("list_datasets", route_event("list_datasets_restful", query={"page_size": "2"}))
        query = {"page_token": first.body["next_page_token"], "page_size": "2"}
    calls = slow_dynamodb(monkeypatch)
    reply = invoke("list_datasets", route_event("list_datasets_restful", query=query))
    assert (reply.status, reply.body["total_datasets"]) == (200, 5)
    assert sorted(name for name, _, _ in calls) == ["GetItem", "Query"]
    (_, start_a, end_a), (_, start_b, end_b) = calls
    assert start_b < end_a  # each call started before the other ended: in flight together
    assert start_a < end_b


def test_the_default_first_page_is_one_call(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_datasets(table, TENANT_A, 5)
    calls = slow_dynamodb(monkeypatch)
    reply = invoke("list_datasets", route_event("list_datasets_restful", query={}))
    assert reply.body["total_datasets"] == 5
    assert [name for name, _, _ in calls] == ["Query"]

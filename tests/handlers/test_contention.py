"""Contention: many requests on one dataset, one name or one tenant's counter all succeed, each exactly once.

DynamoDB lets one conditional write win at a time; the others must retry on what is there now, within the
function's time, rather than answer 5xx or 409 for work they could have done. Threads each drive their own
import of the handler (one Lambda execution environment each), released together.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

import pytest

from conftest import (
    TENANT_A,
    LambdaContext,
    counter,
    create,
    fresh_function,
    invoke,
    items,
    race,
    route_event,
    seed_datasets,
)
from dataset_core import contention, datasets
from dataset_core.storage import client as storage
from dataset_core.storage import datasets as stored
from dataset_core.storage import listings

CONTENDERS = 20


def _put(dataset_id: str, body: dict[str, Any], event: str = "update_dataset_restful") -> dict[str, Any]:
    return route_event(event, body=body, dataset_id=dataset_id)


def test_twenty_concurrent_updates_of_one_dataset_all_apply_exactly_once(table: Any) -> None:
    dataset_id = create("contended").body["data"]["id"]
    calls = [
        ("update_dataset", _put(dataset_id, {"parser_config": {"tag_kb_ids": [f"{i:032x}"]}, "pagerank": i % 100}))
        for i in range(CONTENDERS // 2)
    ] + [
        ("update_dataset", _put(dataset_id, {"description": f"writer {i}"}, event="update_dataset_legacy"))
        for i in range(CONTENDERS // 2)
    ]
    results = race(calls)
    assert Counter(r["statusCode"] for r in results) == {200: CONTENDERS}, [r["body"][:200] for r in results]
    final = stored.get_dataset(TENANT_A, dataset_id)
    assert final is not None
    assert final.version == 1 + CONTENDERS  # each update written once, none lost, none twice


def test_concurrent_creates_of_one_name_in_any_case_are_all_renamed_not_refused(table: Any) -> None:
    """RESTful creates rename a taken name (``kb(1)``...): under contention every one of them still succeeds."""
    names = ["kb", "KB", "Kb", "kB"] * 6
    calls = [("create_dataset", route_event("create_dataset_restful", body={"name": n})) for n in names]
    results = race(calls)
    assert Counter(r["statusCode"] for r in results) == {200: len(names)}, [r["body"][:200] for r in results]
    created = [json.loads(r["body"])["data"]["name"] for r in results]
    assert len({n.lower() for n in created}) == len(names)
    assert counter(table, TENANT_A) == len(names)
    assert len(items(table, TENANT_A, "NAME#")) == len(names)


@pytest.mark.parametrize("changed", [3, 55], ids=["first-transaction", "second-transaction"])
def test_a_dataset_updated_while_a_bulk_delete_runs_is_deleted_all_the_same(table: Any, changed: int) -> None:
    """The update lands between the delete's read and its transaction (as a concurrent request can): the
    transaction holding that dataset is cancelled, re-read and retried, and code 0 means all 60 are gone."""
    seed_datasets(table, TENANT_A, 60)
    ids = [i["sk"]["S"].removeprefix("DATASET#") for i in items(table, TENANT_A, "DATASET#")]
    updater = fresh_function("update_dataset", "_meanwhile").lambda_handler
    interfered = threading.Event()

    def update_first(**_: Any) -> None:
        if not interfered.is_set():
            interfered.set()
            assert (
                updater(_put(ids[changed], {"description": "changed meanwhile"}), LambdaContext())["statusCode"] == 200
            )

    events = storage.client().meta.events
    events.register("before-call.dynamodb.TransactWriteItems", update_first)
    try:
        reply = invoke("delete_dataset", route_event("delete_dataset_restful", body={"ids": ids}))
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", update_first)
    assert interfered.is_set()
    assert (reply.status, reply.body) == (200, {"code": 0, "message": "success", "data": {"success_count": 60}})
    assert items(table, TENANT_A, "DATASET#") == items(table, TENANT_A, "NAME#") == []
    assert counter(table, TENANT_A) == 0


def test_a_bulk_delete_that_cannot_finish_says_what_it_deleted_and_what_is_left(
    table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dataset that keeps changing for the whole retry budget: the answer is non-zero with the count and the
    ids left, never code 0."""
    monkeypatch.setattr(contention, "BUDGET_SECONDS", 0.2)
    seed_datasets(table, TENANT_A, 60)
    ids = [i["sk"]["S"].removeprefix("DATASET#") for i in items(table, TENANT_A, "DATASET#")]
    real = stored.delete_chunk
    monkeypatch.setattr(stored, "delete_chunk", lambda refs: False if ids[55] in {r.id for r in refs} else real(refs))
    reply = invoke("delete_dataset", route_event("delete_dataset_restful", body={"ids": ids}))
    assert (reply.status, reply.body["code"]) == (503, 105)
    assert reply.body["data"]["success_count"] == 49
    assert sorted(reply.body["data"]["ids_left"]) == sorted(ids[49:])
    assert len(items(table, TENANT_A, "DATASET#")) == 11 == counter(table, TENANT_A)


def test_delete_all_pages_through_references_and_deletes_every_dataset(
    table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bounded memory: references are read a page at a time (a few per page here; moto copies the whole table
    for every transaction, so a big tenant would take minutes in a test)."""
    monkeypatch.setattr(listings, "REFS_PER_PAGE", 60)
    seed_datasets(table, TENANT_A, 150)
    reply = invoke("delete_dataset", route_event("delete_dataset_restful", body={"delete_all": True}))
    assert (reply.status, reply.body["data"]) == (200, {"success_count": 150})
    assert items(table, TENANT_A, "DATASET#") == items(table, TENANT_A, "NAME#") == []
    assert counter(table, TENANT_A) == 0


@pytest.mark.parametrize("by_ids", [True, False], ids=["by-ids", "delete-all"])
def test_a_bulk_delete_out_of_time_stops_after_a_transaction_and_says_what_it_deleted(
    table: Any, monkeypatch: pytest.MonkeyPatch, by_ids: bool
) -> None:
    """Past ``DELETE_SECONDS`` no new transaction starts, so the function's timeout (29 s, API Gateway's limit
    too) never cuts a delete off unanswered; each request still deletes at least one transaction's worth, so
    retries finish the job. 10 000 ids, the default quota, take about 205 transactions."""
    monkeypatch.setattr(datasets, "DELETE_SECONDS", 0.0)
    monkeypatch.setattr(listings, "REFS_PER_PAGE", 60)
    seed_datasets(table, TENANT_A, 60)
    ids = [i["sk"]["S"].removeprefix("DATASET#") for i in items(table, TENANT_A, "DATASET#")]
    body = {"ids": ids} if by_ids else {"delete_all": True}
    reply = invoke("delete_dataset", route_event("delete_dataset_restful", body=body))
    assert (reply.status, reply.body["code"], reply.body["data"]["success_count"]) == (503, 105, 49)
    left = [i["sk"]["S"].removeprefix("DATASET#") for i in items(table, TENANT_A, "DATASET#")]
    assert sorted(reply.body["data"]["ids_left"]) == sorted(left)
    assert len(left) == 11 == counter(table, TENANT_A)


def test_ids_win_over_delete_all(table: Any) -> None:
    """v0.27.0 (``dataset_api_service.py: _delete_datasets_sync``): non-empty ids delete exactly those ids,
    ``delete_all`` is ignored."""
    keep, target = create("keep").body["data"]["id"], create("target").body["data"]["id"]
    reply = invoke("delete_dataset", route_event("delete_dataset_restful", body={"ids": [target], "delete_all": True}))
    assert (reply.status, reply.body["data"]) == (200, {"success_count": 1})
    assert [i["sk"]["S"] for i in items(table, TENANT_A, "DATASET#")] == [f"DATASET#{keep}"]

"""Races between requests: names stay unique and counters exact, as DynamoDB transactions guarantee.

Each thread drives its own import of the handler (one Lambda execution environment each), released
together by a barrier. moto is made atomic per request and no more, so a check-then-write
bug in our code would still let two creates through here.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from conftest import TENANT_A, TENANT_B, counter, items, race, route_event

THREADS = 20


def test_duplicate_name_is_rejected_even_under_concurrent_creates(table: Any) -> None:
    event = route_event("create_dataset_legacy", body={"dataset_name": "contended"})
    results = race([("create_dataset", event)] * THREADS)
    assert Counter(r["statusCode"] for r in results) == {200: 1, 409: THREADS - 1}
    assert all('"code":102' in r["body"] for r in results if r["statusCode"] == 409)
    assert len(items(table, TENANT_A, "NAME#")) == 1
    assert len(items(table, TENANT_A, "DATASET#")) == 1
    assert counter(table, TENANT_A) == 1


def test_names_differing_only_in_case_race_to_one_winner(table: Any) -> None:
    names = ["Mixed", "mixed", "MIXED", "mIxEd"] * 5
    results = race([("create_dataset", route_event("create_dataset_legacy", body={"dataset_name": n})) for n in names])
    assert Counter(r["statusCode"] for r in results) == {200: 1, 409: len(names) - 1}
    assert counter(table, TENANT_A) == 1


def test_the_same_name_in_two_tenants_both_succeed_concurrently(table: Any) -> None:
    calls = [
        ("create_dataset", route_event("create_dataset_legacy", tenant=tenant, body={"dataset_name": "same"}))
        for tenant in (TENANT_A, TENANT_B)
    ]
    assert [r["statusCode"] for r in race(calls)] == [200, 200]
    assert counter(table, TENANT_A) == counter(table, TENANT_B) == 1


def test_concurrent_deletes_of_one_dataset_delete_it_once(table: Any) -> None:
    created = race([("create_dataset", route_event("create_dataset_legacy", body={"dataset_name": "victim"}))])
    dataset_id = created[0]["body"].split('"id":"')[1][:32]
    results = race([("delete_dataset", route_event("delete_dataset_legacy", dataset_id=dataset_id))] * 10)
    assert Counter(r["statusCode"] for r in results) == {200: 1, 404: 9}
    assert counter(table, TENANT_A) == 0
    assert items(table, TENANT_A, "NAME#") == []


def _create(name: str) -> str:
    created = race([("create_dataset", route_event("create_dataset_legacy", body={"dataset_name": name}))])
    return str(created[0]["body"].split('"id":"')[1][:32])


def test_concurrent_renames_to_one_name_let_exactly_one_win(table: Any) -> None:
    ids = [_create(f"r{i}") for i in range(8)]
    calls = [
        ("update_dataset", route_event("update_dataset_restful", body={"name": "winner"}, dataset_id=i)) for i in ids
    ]
    results = race(calls)
    assert Counter(r["statusCode"] for r in results) == {200: 1, 409: 7}
    locks = sorted(i["sk"]["S"] for i in items(table, TENANT_A, "NAME#"))
    assert len(locks) == 8
    assert "NAME#winner" in locks
    assert counter(table, TENANT_A) == 8


def test_concurrent_updates_of_different_fields_lose_nothing(table: Any) -> None:
    dataset_id = _create("shared")
    bodies = [{"description": "d"}, {"language": "Chinese"}, {"pagerank": 7}, {"permission": "team"}, {"name": "x1"}]
    calls = [("update_dataset", route_event("update_dataset_restful", body=b, dataset_id=dataset_id)) for b in bodies]
    assert [r["statusCode"] for r in race(calls)] == [200] * len(bodies)
    (item,) = items(table, TENANT_A, "DATASET#")
    stored = {k: next(iter(v.values())) for k, v in item.items()}
    assert (stored["description"], stored["language"], stored["pagerank"]) == ("d", "Chinese", "7")
    assert (stored["permission"], stored["name"], stored["version"]) == ("team", "x1", str(1 + len(bodies)))
    assert [i["sk"]["S"] for i in items(table, TENANT_A, "NAME#")] == ["NAME#x1"]


def test_create_racing_delete_and_rename_keeps_locks_and_counter_exact(table: Any) -> None:
    victim = _create("victim")
    calls = [
        ("delete_dataset", route_event("delete_dataset_legacy", dataset_id=victim)),
        ("update_dataset", route_event("update_dataset_restful", body={"name": "renamed"}, dataset_id=victim)),
        ("create_dataset", route_event("create_dataset_legacy", body={"dataset_name": "victim"})),
        ("create_dataset", route_event("create_dataset_legacy", body={"dataset_name": "renamed"})),
    ] * 3
    race(calls)
    datasets = items(table, TENANT_A, "DATASET#")
    locks = items(table, TENANT_A, "NAME#")
    assert counter(table, TENANT_A) == len(datasets)
    assert sorted(lock["dataset_id"]["S"] for lock in locks) == sorted(d["id"]["S"] for d in datasets)
    assert sorted(lock["sk"]["S"] for lock in locks) == sorted(f"NAME#{d['name']['S'].lower()}" for d in datasets)

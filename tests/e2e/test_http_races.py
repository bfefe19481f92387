"""Races over HTTP against the local API: whatever interleaves, names stay unique and counters exact.

Requests run on their own connections, released together by a barrier. The local API runs each function
one request at a time (one warm Lambda instance each), so races *between* functions - create against
delete against rename - interleave freely, as on AWS; the in-process tests (test_concurrency.py) cover
many instances of one function.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from local_server import LocalApi, Response, mint, running


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    with running(tmp_path_factory.mktemp("races") / "state") as server:
        yield server


@pytest.fixture
def key(api: LocalApi) -> str:
    """A brand-new tenant per test, so each test sees only its own datasets."""
    return mint(api.state_dir, uuid.uuid4().hex)


def together(api: LocalApi, key: str, calls: list[tuple[str, str, Any]]) -> list[Response]:
    barrier = threading.Barrier(len(calls))
    replies: list[Response | None] = [None] * len(calls)

    def run(i: int) -> None:
        method, path, body = calls[i]
        barrier.wait()
        replies[i] = api.bearer(method, path, key, json_body=body)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(r is not None for r in replies)
    return [r for r in replies if r is not None]


def assert_consistent(api: LocalApi, key: str) -> list[dict[str, Any]]:
    """The counter (total_datasets) matches the datasets, names are unique, both generations agree."""
    current = api.bearer("GET", "/api/v1/datasets?page_size=100", key).body
    seed = api.bearer("GET", "/api/v1/dataset", key).body["data"]
    names = [d["name"].lower() for d in current["data"]]
    assert current["total_datasets"] == len(current["data"]) == len(seed)
    assert len(set(names)) == len(names)
    assert {d["id"] for d in seed} == {d["id"] for d in current["data"]}
    for ds in current["data"]:
        assert api.bearer("GET", f"/api/v1/datasets/{ds['id']}", key).status == 200
    return list(current["data"])


def test_same_name_seed_creates_over_http_let_exactly_one_win(api: LocalApi, key: str) -> None:
    replies = together(api, key, [("POST", "/api/v1/dataset", {"dataset_name": "contended"})] * 10)
    assert Counter(r.status for r in replies) == {200: 1, 409: 9}
    assert [d["name"] for d in assert_consistent(api, key)] == ["contended"]


def test_delete_racing_delete_deletes_once(api: LocalApi, key: str) -> None:
    dataset_id = api.bearer("POST", "/api/v1/dataset", key, json_body={"dataset_name": "victim"}).body["data"]["id"]
    seed = [("DELETE", f"/api/v1/dataset/{dataset_id}", None)] * 4
    current = [("DELETE", "/api/v1/datasets", {"ids": [dataset_id]})] * 4
    replies = together(api, key, seed + current)
    assert Counter(r.status for r in replies) == {200: 1, 404: 7}
    assert assert_consistent(api, key) == []


def test_rename_racing_rename_to_one_name_lets_one_win(api: LocalApi, key: str) -> None:
    ids = [
        api.bearer("POST", "/api/v1/datasets", key, json_body={"name": f"r{i}"}).body["data"]["id"] for i in range(4)
    ]
    calls = [("PUT", f"/api/v1/datasets/{i}", {"name": "winner"}) for i in ids]
    calls += [("PUT", f"/api/v1/dataset/{i}", {"name": "WINNER"}) for i in ids]
    replies = together(api, key, calls)
    assert {r.status for r in replies} <= {200, 409}
    # one dataset wins the name; its own second rename (a change of case) may succeed too
    assert len({r.body["data"]["id"] for r in replies if r.status == 200}) == 1
    names = sorted(d["name"].lower() for d in assert_consistent(api, key))
    assert len(names) == 4
    assert "winner" in names


def test_create_racing_delete_and_rename_keeps_names_and_counter_exact(api: LocalApi, key: str) -> None:
    for round_ in range(3):
        victim = api.bearer("POST", "/api/v1/dataset", key, json_body={"dataset_name": f"v{round_}"}).body
        dataset_id = victim["data"]["id"]
        together(
            api,
            key,
            [
                ("DELETE", f"/api/v1/dataset/{dataset_id}", None),
                ("PUT", f"/api/v1/datasets/{dataset_id}", {"name": f"moved{round_}"}),
                ("POST", "/api/v1/dataset", {"dataset_name": f"v{round_}"}),
                ("POST", "/api/v1/dataset", {"dataset_name": f"moved{round_}"}),
                ("POST", "/api/v1/datasets", {"name": f"v{round_}"}),
                ("DELETE", "/api/v1/datasets", {"ids": [dataset_id]}),
            ],
        )
        assert_consistent(api, key)


def test_a_bulk_delete_racing_updates_over_http_never_reports_less_than_it_was_asked(api: LocalApi, key: str) -> None:
    """Before: a dataset updated while the delete ran was skipped, and the answer was still code 0."""
    for trial in range(6):
        ids = [api.bearer("POST", "/api/v1/datasets", key, json_body={"name": f"r{trial}-{i}"}).body["data"]["id"]
               for i in range(60)]  # fmt: skip
        calls: list[tuple[str, str, Any]] = [("DELETE", "/api/v1/datasets", {"ids": ids})]
        calls += [("PUT", f"/api/v1/datasets/{ids[i]}", {"description": f"t{trial}"}) for i in (3, 30, 55)]
        deleted, *_ = together(api, key, calls)
        left = api.bearer("GET", "/api/v1/datasets?page_size=100", key).body
        if deleted.body["code"] == 0:
            assert deleted.body["data"]["success_count"] == 60
            assert left["total_datasets"] == 0
        else:
            assert deleted.status == 503
            assert deleted.body["data"]["success_count"] + left["total_datasets"] == 60
    assert_consistent(api, key)

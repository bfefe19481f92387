"""Every write the local API acknowledged survives ``kill -9``: crash trials during concurrent writes.

A real local API (a subprocess, ``tests.local_server``) on one state folder for the whole test. In each trial,
concurrent writers create, rename and delete datasets over HTTP, each noting what the server acknowledged
(a 200 with code 0); at a random moment the server gets ``SIGKILL``; a new server starts on the same state
and lists every dataset. Nothing acknowledged may be missing or stale, nothing acknowledged as deleted may be
back, and nothing may appear that no writer asked for. A request in flight at the kill was never
acknowledged: either outcome is right, and the listing decides it for the next trials.

Each operation is one DynamoDB transaction, so it either happened or not; the trial count and the
acknowledged writes per trial are printed at the end.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_server import LocalApi, start

TRIALS = 10
WRITERS = 4
SEED = random.SystemRandom().randrange(1 << 32)


@dataclass
class Ledger:
    """What the clients know: acknowledged state, and the operations whose outcome they never heard."""

    live: dict[str, str] = field(default_factory=dict)  # id -> name, acknowledged
    deleted: set[str] = field(default_factory=set)  # acknowledged deletes
    unsure_creates: set[str] = field(default_factory=set)  # names
    unsure_renames: dict[str, set[str]] = field(default_factory=dict)  # id -> names
    unsure_deletes: set[str] = field(default_factory=set)
    acknowledged: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _call(conn: http.client.HTTPConnection, key: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    reply = conn.getresponse()
    return reply.status, json.loads(reply.read())


def _writer(api: LocalApi, ledger: Ledger, rng: random.Random, stop: threading.Event) -> None:
    """Create, rename and delete (its own datasets) until the server dies; note every acknowledgement."""
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=30)
    own: list[str] = []
    while not stop.is_set():
        roll = rng.random()
        name = f"c{uuid.uuid4().hex[:12]}"
        if roll < 0.6 or not own:
            op, target = "create", ""
            request: tuple[str, str, Any] = ("POST", "/api/v1/datasets", {"name": name})
        elif roll < 0.8:
            op, target = "rename", rng.choice(own)
            request = ("PUT", f"/api/v1/datasets/{target}", {"name": name})
        else:
            op, target = "delete", own.pop(rng.randrange(len(own)))
            request = ("DELETE", "/api/v1/datasets", {"ids": [target]})
        with ledger.lock:  # unsure until acknowledged
            if op == "create":
                ledger.unsure_creates.add(name)
            elif op == "rename":
                ledger.unsure_renames.setdefault(target, set()).add(name)
            else:
                ledger.unsure_deletes.add(target)
        try:
            status, body = _call(conn, api.key, *request)
        except (OSError, http.client.HTTPException):
            return  # the server is gone: this operation stays unsure
        if status != 200 or body.get("code") != 0:
            continue  # refused or failed: not acknowledged, stays unsure
        with ledger.lock:
            ledger.acknowledged += 1
            if op == "create":
                ledger.unsure_creates.discard(name)
                ledger.live[body["data"]["id"]] = name
                own.append(body["data"]["id"])
            elif op == "rename":
                ledger.unsure_renames[target].discard(name)
                ledger.live[target] = name
            else:
                ledger.unsure_deletes.discard(target)
                del ledger.live[target]
                ledger.deleted.add(target)


def _listing(api: LocalApi) -> dict[str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=30)
    found: dict[str, str] = {}
    page = 1
    while True:
        status, body = _call(conn, api.key, "GET", f"/api/v1/datasets?page={page}&page_size=100&desc=false")
        assert (status, body["code"]) == (200, 0), body
        for dataset in body["data"]:
            assert dataset["id"] not in found
            found[dataset["id"]] = dataset["name"]
        if len(body["data"]) < 100:
            return found
        page += 1


def _check(api: LocalApi, ledger: Ledger, trial: int) -> None:
    """The restarted server holds exactly the acknowledged state, give or take the unsure operations;
    then the ledger takes what the server holds as the truth for the unsure ones."""
    found = _listing(api)
    lost = {i: n for i, n in ledger.live.items() if i not in found and i not in ledger.unsure_deletes}
    stale = {
        i: (n, found[i])
        for i, n in ledger.live.items()
        if i in found and found[i] != n and found[i] not in ledger.unsure_renames.get(i, set())
    }
    back = ledger.deleted & set(found)
    unknown = {i: n for i, n in found.items() if i not in ledger.live and n not in ledger.unsure_creates}
    assert not lost, f"trial {trial} (seed {SEED}): acknowledged datasets lost: {lost}"
    assert not stale, f"trial {trial} (seed {SEED}): acknowledged renames lost: {stale}"
    assert not back, f"trial {trial} (seed {SEED}): acknowledged deletes came back: {back}"
    assert not unknown, f"trial {trial} (seed {SEED}): datasets nobody created: {unknown}"
    for dataset_id in set(ledger.live) - set(found):
        ledger.deleted.add(dataset_id)  # its unsure delete happened
    ledger.live = found
    ledger.unsure_creates.clear()
    ledger.unsure_renames.clear()
    ledger.unsure_deletes.clear()


def test_no_acknowledged_write_is_lost_to_kill_9_during_concurrent_writes(tmp_path: Path) -> None:
    rng = random.Random(SEED)  # noqa: S311 - a reproducible schedule, not a secret
    ledger = Ledger()
    state = tmp_path / "state"
    acknowledged: list[int] = []
    for trial in range(TRIALS):
        api = start(state, "--quiet")
        try:
            _check(api, ledger, trial)
            before = ledger.acknowledged
            stop = threading.Event()
            writers = [
                threading.Thread(target=_writer, args=(api, ledger, random.Random(rng.random()), stop))  # noqa: S311
                for _ in range(WRITERS)
            ]
            for writer in writers:
                writer.start()
            time.sleep(rng.uniform(0.3, 1.2))
        finally:
            api.process.kill()  # SIGKILL: no handler runs, nothing is flushed on the way out
            api.process.wait()
        stop.set()
        for writer in writers:
            writer.join(timeout=30)
        acknowledged.append(ledger.acknowledged - before)
    api = start(state, "--quiet")
    try:
        _check(api, ledger, TRIALS)
    finally:
        api.stop()
    print(f"\n{TRIALS} kill -9 trials (seed {SEED}), acknowledged writes per trial: {acknowledged}, all kept")
    assert min(acknowledged) >= 5, "a trial that acknowledged (almost) nothing proves nothing"

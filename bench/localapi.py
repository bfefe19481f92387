"""The local API (``make run``) under load, on its embedded database and on a DynamoDB endpoint, and its
authorizer cache counted at that endpoint."""

from __future__ import annotations

import http.client
import itertools
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import FAKE_AWS, WORK, percentile, progress, table, verdict
from bench.moto_server import MotoServer
from tools import local_api

TITLE = "The local API (`make run`) under load"
ABOUT = (
    "`tools/local_api.py` as `make run` starts it (one warm instance per function), on its embedded database "
    "(moto in its process, each write journaled and fsynced before its answer), the same with *fsync off* "
    "(`os.fsync`/`os.fdatasync` made no-ops: what durability costs), and on a DynamoDB endpoint "
    "(`--dynamodb-endpoint`: moto's server in another process, no state file). Keep-alive clients on 127.0.0.1; "
    "each phase ends after 300 requests or 6 s. Current API, in this order: `GET /datasets/{id}`, "
    "`GET /datasets?page_size=30` (a tenant of 30 datasets), `POST /datasets` with fresh names, each with 1 "
    "then 4 clients (so the 4-client creates follow 300 others). The authorizer cache is counted at the "
    "endpoint: requests that read an API key (`APIKEY#`). Command: `python -m bench.run --only localapi` "
    "(`make bench-local`)."
)
NOSYNC = "embedded, fsync off"
Request = Callable[[http.client.HTTPConnection, int], int]


def call(conn: http.client.HTTPConnection, method: str, path: str, auth: str, body: Any = None) -> tuple[int, bytes]:
    headers = {"Authorization": auth, "Content-Type": "application/json"}
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    reply = conn.getresponse()
    return reply.status, reply.read()


def run_phase(
    port: int, clients: int, requests: int, seconds: float, request: Request
) -> tuple[list[float], int, float]:
    """(latencies in ms, errors, seconds) of ``clients`` threads, each on one kept-alive connection, sending
    ``request(conn, n)`` until ``requests`` were sent or ``seconds`` passed (``next`` and ``append`` are atomic)."""
    latencies, statuses, numbers, stop_at = [], [], iter(range(requests)), time.monotonic() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop_at and (n := next(numbers, None)) is not None:
            started = time.perf_counter()
            statuses.append(request(conn, n))
            latencies.append((time.perf_counter() - started) * 1000)
        conn.close()

    threads, began = [threading.Thread(target=client) for _ in range(clients)], time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, sum(s != 200 for s in statuses), time.perf_counter() - began


def phases(backend: str, port: int, key: str, smoke: bool) -> list[str]:
    requests, seconds = (20, 2.0) if smoke else (300, 6.0)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    made = [call(conn, "POST", "/api/v1/datasets", f"Bearer {key}", {"name": f"listed{i}"})[1] for i in range(30)]
    ids = [json.loads(body)["data"]["id"] for body in made]
    conn.close()
    serial, auth = itertools.count(), f"Bearer {key}"
    operations: dict[str, Request] = {
        "get": lambda c, n: call(c, "GET", f"/api/v1/datasets/{ids[n % len(ids)]}", auth)[0],
        "list": lambda c, n: call(c, "GET", "/api/v1/datasets?page_size=30", auth)[0],
        "create": lambda c, n: call(c, "POST", "/api/v1/datasets", auth, {"name": f"c{next(serial)}"})[0],
    }
    run_phase(port, 1, 30, 5, operations["list"])  # warm-up
    rows = []
    for name, request in operations.items():
        for clients in (1, 4):
            latencies, errors, took = run_phase(port, clients, requests, seconds, request)
            rate = len(latencies) / took
            progress(f"local API, {backend}, {name} x{clients}: {rate:.0f} req/s")
            p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
            rows.append(
                f"{backend} | {name} | {clients} | {len(latencies)} | {errors} | {rate:.0f} | {p50:.1f} | {p99:.1f}"
            )
    return rows


def authorizer_cache(db: MotoServer, port: int, key: str, smoke: bool) -> tuple[list[str], list[str]]:
    """API-key reads per request (rows, targets): API Gateway (and the local API) cache by the header's value, so
    ``Bearer`` and the key with more spaces between them is another entry for the same key."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    made = json.loads(call(conn, "POST", "/api/v1/datasets", f"Bearer {key}", {"name": "cached"})[1])
    rows, targets, n = [], [], 3 if smoke else 10
    for label, headers, want in (
        ("first request with a new header value (miss)", [f"Bearer   {key}"], 1),
        ("the same header again (hits)", [f"Bearer   {key}"] * 2 * n, 0),
        ("distinct header values for the same key (misses)", [f"Bearer{' ' * (4 + i)}{key}" for i in range(n)], 1),
    ):
        db.counts(reset=True)
        ok = sum(call(conn, "GET", f"/api/v1/datasets/{made['data']['id']}", h)[0] == 200 for h in headers)
        reads = sum(v for k, v in db.counts().items() if k.endswith(":apikey"))
        result = verdict(ok == len(headers) and reads == want * len(headers))
        rows.append(f"{label} | {len(headers)} | {ok} | {reads} | {reads / len(headers):g} | {want} | {result}")
        targets.append(f"authorizer key reads per request, {label} | {reads / len(headers):g} | {want} | {result}")
    conn.close()
    return rows, targets


UNTHROTTLED = ["--parameter-overrides"] + [
    f"{name}=100000000" for name in ("ThrottlingRateLimit", "ThrottlingBurstLimit", "StandardTierRateLimit",
                                     "StandardTierBurstLimit", "StandardTierQuota")
]  # fmt: skip
"""What is measured is the local API's speed, not its emulation of the stage's and the tiers' limits."""


def section(smoke: bool) -> dict[str, Any]:
    rows: list[str] = []
    WORK.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "DYNAMODB_ENDPOINT"} | FAKE_AWS
    with MotoServer("bench-local") as db, tempfile.TemporaryDirectory(dir=WORK) as tmp:
        endpoint = ["--dynamodb-endpoint", db.endpoint, "--table", "t", "--register-dev-key"]
        nosync = Path(tmp) / "nosync"
        nosync.mkdir()
        (nosync / "sitecustomize.py").write_text("import os\nos.fsync = os.fdatasync = lambda fd: None\n")
        for name, extra, more_env in (
            ("embedded", [], {}),
            (NOSYNC, [], {"PYTHONPATH": str(nosync)}),
            ("endpoint", endpoint, {}),
        ):
            process, port, key = local_api.spawn(
                Path(tmp) / name, Path(tmp) / "log", "--quiet", *UNTHROTTLED, *extra, env=env | more_env
            )
            assert key is not None
            try:
                rows += phases(name, port, key, smoke)
                cache, targets = authorizer_cache(db, port, key, smoke) if name == "endpoint" else ([], [])
            finally:
                process.terminate()
                process.wait(timeout=30)
    columns = "database | operation | clients | requests | errors | req/s | p50 ms | p99 ms"
    caching = "requests | n | 200s | API-key GetItems | per request | target | result"
    tables = [table("Throughput and latency", columns, rows), table("Authorizer: API-key reads", caching, cache)]
    return {"tables": tables, "targets": targets, "data": {}}

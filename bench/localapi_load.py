"""Issue 6.5 (and the cache half of 6.2): the local API under load, and its authorizer cache.

Throughput reuses ``bench/bench_local_api.py`` (its starter, its bounded phase runner): the local API as
``make run`` serves it (embedded moto, one warm instance per function), on 127.0.0.1 only, each phase
ending after a number of requests or seconds, whichever comes first.

The authorizer cache is counted on a second local API whose DynamoDB is the benchmarks' counting moto
server (``--dynamodb-endpoint``): API-key reads per request, for repeated and for distinct
``Authorization`` values (API Gateway keys its cache by the header value, so ``Bearer  KEY`` with two
spaces is another cache entry for the same valid key).

    python -m bench.localapi_load [--smoke] --out RESULT.json
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import bench_local_api as loader
from bench.common import FAKE_AWS, ROOT, WORK, median, percentile, progress, section_main
from bench.moto_server import MotoServer

CACHE_KEY = "ragflow-bench-authorizer-cache-0000000000000000"


def committed(path: str) -> bool:
    git = shutil.which("git")
    if git is None:
        return False
    done = subprocess.run(  # noqa: S603 - git, on our own repository
        [git, "ls-files", "--error-unmatch", path], cwd=ROOT, capture_output=True, check=False
    )
    return done.returncode == 0


def summary(phase: loader.Phase) -> dict[str, Any]:
    """What the report reads of a phase: its requests, errors, rate and latencies (ms)."""
    latencies = [s * 1000 for s in phase.latencies]
    return {
        "requests": len(latencies),
        "errors": phase.errors,
        "seconds": phase.seconds,
        "rps": phase.rate,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "median_ms": median(latencies),
    }


def throughput(smoke: bool) -> dict[str, Any]:
    """create, list and get with 1 and 4 clients, through ``bench.bench_local_api``'s runner."""
    requests, seconds = (20, 2.0) if smoke else (300, 6.0)
    out: dict[str, Any] = {"requests_cap": requests, "seconds_cap": seconds, "phases": []}
    with tempfile.TemporaryDirectory(prefix="bench-local-", dir=WORK) as scratch:
        process, port = loader.start_local_api(Path(scratch) / "state", Path(scratch) / "local_api.log")
        key = loader.BENCH_KEY
        try:
            setup = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            ids = []
            for i in range(30):
                status, body = _json_call(setup, "POST", "/api/v1/datasets", key, {"name": f"listed{i}"})
                assert status == 200, body
                ids.append(body["data"]["id"])
            setup.close()
            prefix, serial = uuid.uuid4().hex[:8], itertools.count()  # names run on across phases (n restarts)

            def create(conn: http.client.HTTPConnection, n: int) -> int:
                name = f"c{prefix}{next(serial)}"  # a taken name would measure auto-renaming, not a create
                return int(loader.call(conn, "POST", "/api/v1/datasets", key, {"name": name}))

            def listing(conn: http.client.HTTPConnection, n: int) -> int:
                return int(loader.call(conn, "GET", "/api/v1/datasets?page_size=30", key))

            def get(conn: http.client.HTTPConnection, n: int) -> int:
                return int(loader.call(conn, "GET", f"/api/v1/datasets/{ids[n % len(ids)]}", key))

            loader.run_phase("warm-up", port=port, clients=1, requests=30, seconds=5, request=listing)
            loader.run_phase("warm-up", port=port, clients=1, requests=10, seconds=5, request=get)
            for name, request in (("get", get), ("list", listing), ("create", create)):
                for clients in (1, 4):
                    phase = loader.run_phase(
                        f"{name} x{clients}", port=port, clients=clients, requests=requests, seconds=seconds,
                        request=request,
                    )  # fmt: skip
                    out["phases"].append({"operation": name, "clients": clients, **summary(phase)})
                    progress(f"local API {name} x{clients}: {phase.rate:.0f} req/s")
            out["list_tenant_size_at_end"] = 30 + sum(
                p["requests"] for p in out["phases"] if p["operation"] == "create"
            )
        finally:
            process.terminate()
            process.wait(timeout=30)
    return out


def _json_call(conn: http.client.HTTPConnection, method: str, path: str, key: str, body: Any = None) -> Any:
    reply = loader.send(conn, method, path, key, body)
    return reply.status, json.loads(reply.read())


NODELAY = (
    "import runpy, socketserver, sys; socketserver.StreamRequestHandler.disable_nagle_algorithm = True; "
    "sys.argv = ['tools.local_api', *sys.argv[1:]]; runpy.run_module('tools.local_api', run_name='__main__')"
)


def start_local_api(
    tmp: Path, key: str, extra: list[str] | None = None, *, nodelay: bool = False
) -> tuple[subprocess.Popen[bytes], int]:
    """``python -m tools.local_api`` on a free loopback port (``nodelay``: with TCP_NODELAY on its sockets)."""
    log = tmp / "local_api.log"
    env = {**os.environ, **FAKE_AWS, "RAGFLOW_API_KEY": key}
    env.pop("DYNAMODB_ENDPOINT", None)
    module = ["-c", NODELAY] if nodelay else ["-m", "tools.local_api"]
    argv = [sys.executable, *module, "--port", "0", "--quiet", "--state-dir", str(tmp / "state"), *(extra or [])]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
    return process, _wait_port(process, log)


def nagle_experiment(smoke: bool) -> dict[str, Any]:
    """GET /datasets/{id} with one keep-alive client, the local API as committed and with TCP_NODELAY."""
    requests = 20 if smoke else 100
    out: dict[str, Any] = {}
    for nodelay in (False, True):
        with tempfile.TemporaryDirectory(prefix="nagle-", dir=WORK) as tmp:
            process, port = start_local_api(Path(tmp), loader.BENCH_KEY, nodelay=nodelay)
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                _, body = _json_call(conn, "POST", "/api/v1/datasets", loader.BENCH_KEY, {"name": "n"})
                conn.close()
                path = f"/api/v1/datasets/{body['data']['id']}"

                def get(conn: http.client.HTTPConnection, n: int, path: str = path) -> int:
                    return int(loader.call(conn, "GET", path, loader.BENCH_KEY))

                loader.run_phase("warm-up", port=port, clients=1, requests=10, seconds=5, request=get)
                phase = loader.run_phase("get", port=port, clients=1, requests=requests, seconds=10, request=get)
            finally:
                process.terminate()
                process.wait(timeout=30)
        out["nodelay" if nodelay else "as_committed"] = summary(phase)
    return out


def saver_experiment(smoke: bool) -> dict[str, Any]:
    """create with 4 clients: the embedded database (state file saved as it changes) against a DynamoDB
    endpoint (moto's server: no state file), each after the same number of creates from one client."""
    requests, seconds = (20, 2.0) if smoke else (300, 6.0)
    warm = 20 if smoke else 500
    out: dict[str, Any] = {"fill": warm}
    for where in ("embedded", "endpoint"):
        with contextlib.ExitStack() as stack:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="saver-", dir=WORK)))
            extra: list[str] = []
            if where == "endpoint":
                db = stack.enter_context(MotoServer(table="bench-local-saver"))
                extra = ["--dynamodb-endpoint", db.endpoint, "--table", db.table]
            process, port = start_local_api(tmp, loader.BENCH_KEY, extra)
            try:
                serial = itertools.count()  # fresh names across both phases (n restarts with each)

                def create(conn: http.client.HTTPConnection, n: int, serial: Iterator[int] = serial) -> int:
                    name = f"s{next(serial)}"
                    return int(loader.call(conn, "POST", "/api/v1/datasets", loader.BENCH_KEY, {"name": name}))

                loader.run_phase("fill", port=port, clients=1, requests=warm, seconds=8, request=create)
                phase = loader.run_phase(
                    "create x4", port=port, clients=4, requests=requests, seconds=seconds, request=create
                )
            finally:
                process.terminate()
                process.wait(timeout=30)
        out[where] = summary(phase)
    return out


def authorizer_cache(smoke: bool) -> dict[str, Any]:
    """API-key reads per request through the local API's authorizer cache (the template's TTL)."""
    repeats = 5 if smoke else 20
    distinct = 3 if smoke else 10
    with MotoServer(table="bench-local-cache") as db, tempfile.TemporaryDirectory(prefix="cache-", dir=WORK) as tmp:
        extra = ["--dynamodb-endpoint", db.endpoint, "--table", db.table]
        process, port = start_local_api(Path(tmp), CACHE_KEY, extra)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            status, body = _json_call(conn, "POST", "/api/v1/datasets", CACHE_KEY, {"name": "cached"})
            assert status == 200, body
            path = f"/api/v1/datasets/{body['data']['id']}"
            time.sleep(0.1)

            def phase(headers: list[str]) -> dict[str, int]:
                db.reset()
                statuses = []
                for header in headers:
                    conn.request("GET", path, headers={"Authorization": header})
                    reply = conn.getresponse()
                    reply.read()
                    statuses.append(reply.status)
                counts = db.counts()
                return {
                    "requests": len(headers),
                    "ok": sum(s == 200 for s in statuses),
                    "apikey_reads": sum(v for k, v in counts.items() if k.endswith(":apikey")),
                    "data_reads": sum(v for k, v in counts.items() if k.endswith(":data")),
                }

            fresh = f"Bearer   {CACHE_KEY}"  # a header value no request used yet: a cache miss
            first = phase([fresh])
            hits = phase([fresh] * repeats)
            misses = phase([f"Bearer{' ' * (4 + i)}{CACHE_KEY}" for i in range(distinct)])
            conn.close()
        finally:
            process.terminate()
            process.wait(timeout=30)
    return {"first_use": first, "repeated": hits, "distinct_headers": misses}


def _wait_port(process: subprocess.Popen[bytes], log: Path) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"base URL\s+http://127\.0\.0\.1:(\d+)/", log.read_text(errors="replace"))
        if found:
            return int(found.group(1))
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise SystemExit(f"the local API did not start:\n{log.read_text(errors='replace')[-3000:]}")


def measure(smoke: bool) -> dict[str, Any]:
    if not (ROOT / "tools" / "local_api.py").exists():
        return {"skipped": "tools/local_api.py does not exist yet"}
    out: dict[str, Any] = {
        "local_api_committed": committed("tools/local_api.py"),
        "loader_committed": committed("bench/bench_local_api.py"),
    }
    progress("local API: authorizer cache")
    out["cache"] = authorizer_cache(smoke)
    progress("local API: throughput and latency")
    out["throughput"] = throughput(smoke)
    progress("local API: one client, as committed and with TCP_NODELAY")
    out["nagle"] = nagle_experiment(smoke)
    progress("local API: creates with 4 clients, embedded database vs a DynamoDB endpoint")
    out["saver"] = saver_experiment(smoke)
    return out


if __name__ == "__main__":
    section_main(measure)

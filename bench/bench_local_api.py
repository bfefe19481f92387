"""Throughput and latency of the local API (``make run``) for list and create, with concurrent clients.

    python -m bench.bench_local_api [--clients 4] [--requests 2000] [--seconds 15] [--list-size 30]

It starts its own local API (``python -m tools.local_api --port 0 --quiet``) on 127.0.0.1 with an empty,
temporary state folder, so it never touches ``.local/``, and stops it at the end. Each client keeps one
HTTP/1.1 connection alive, as SDKs do. Each phase ends after ``--requests`` requests or ``--seconds``,
whichever comes first. The local API is a development tool: these numbers describe the laptop
experience (one process, one warm "instance" per function, moto as DynamoDB), not AWS, where each
function scales out on its own.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tools import local_api

BENCH_KEY = "ragflow-bench-local-api-00000000000000000000000"


@dataclass
class Phase:
    """One measured operation: every request's latency, and how many did not answer 200."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def percentile(self, pct: float) -> float:
        """Nearest-rank percentile in milliseconds (p99 of 100 samples is the 99th smallest)."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1] * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else math.nan


def start_local_api(state_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """A quiet local API on a free loopback port, its key set to ours; returns the process and the port."""
    process, port, _ = local_api.spawn(state_dir, log, "--quiet", env={**os.environ, "RAGFLOW_API_KEY": BENCH_KEY})
    return process, port


def send(
    conn: http.client.HTTPConnection, method: str, path: str, key: str, body: object = None
) -> http.client.HTTPResponse:
    """One request with the key and, if given, a JSON body; the caller reads the response."""
    headers = {"Authorization": f"Bearer {key}"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=payload, headers=headers)
    return conn.getresponse()


def call(conn: http.client.HTTPConnection, method: str, path: str, key: str, body: object = None) -> int:
    reply = send(conn, method, path, key, body)
    reply.read()
    return reply.status


def run_phase(
    name: str,
    *,
    port: int,
    clients: int,
    requests: int,
    seconds: float,
    request: Callable[[http.client.HTTPConnection, int], int],
) -> Phase:
    """``clients`` threads issue ``request(conn, n)`` until ``requests`` were sent or ``seconds`` passed."""
    phase = Phase(name)
    lock = threading.Lock()
    counter = iter(range(requests))
    stop_at = time.monotonic() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while time.monotonic() < stop_at:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                started = time.perf_counter()
                status = request(conn, n)
                elapsed = time.perf_counter() - started
                with lock:
                    phase.latencies.append(elapsed)
                    phase.errors += status != 200
        finally:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.seconds = time.perf_counter() - began
    return phase


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_local_api", description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--requests", type=int, default=2000, help="most requests per phase (default 2000)")
    parser.add_argument("--seconds", type=float, default=15.0, help="most seconds per phase (default 15)")
    parser.add_argument("--list-size", type=int, default=30, help="datasets the listed tenant holds (default 30)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-local-api-") as scratch:
        process, port = start_local_api(Path(scratch) / "state", Path(scratch) / "local_api.log")
        try:
            setup = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for i in range(args.list_size):  # the listed tenant's datasets (the key's tenant)
                assert call(setup, "POST", "/api/v1/dataset", BENCH_KEY, {"dataset_name": f"listed{i}"}) == 200
            setup.close()
            prefix = uuid.uuid4().hex[:8]

            def list_all(conn: http.client.HTTPConnection, n: int) -> int:
                return call(conn, "GET", "/api/v1/dataset", BENCH_KEY)

            def create(conn: http.client.HTTPConnection, n: int) -> int:
                return call(conn, "POST", "/api/v1/dataset", BENCH_KEY, {"dataset_name": f"b{prefix}{n}"})

            budget = {"port": port, "clients": args.clients, "seconds": args.seconds}
            run_phase("warm-up", **budget, requests=40, request=list_all)
            phases = [
                run_phase(
                    f"GET /api/v1/dataset ({args.list_size} datasets)",
                    **budget,
                    requests=args.requests,
                    request=list_all,
                ),
                run_phase("POST /api/v1/dataset", **budget, requests=args.requests, request=create),
            ]
        finally:
            process.terminate()
            process.wait(timeout=30)

    print(
        f"local API on 127.0.0.1, embedded DynamoDB (moto), {args.clients} clients with keep-alive; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"{'operation':<34} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for phase in phases:
        print(
            f"{phase.name:<34} {len(phase.latencies):>8} {phase.errors:>6} {phase.rate:>8.0f} "
            f"{phase.percentile(50):>8.1f} {phase.percentile(99):>8.1f}"
        )
    return 1 if any(p.errors for p in phases) else 0


if __name__ == "__main__":
    sys.exit(main())

# ruff: noqa: PLC0415 - imports wait until the environment (table, endpoint) is set, or until needed
"""A DynamoDB for the benchmarks: moto's server in its own process on 127.0.0.1, counting requests.

``python -m bench.moto_server`` serves moto on a free loopback port and prints ``PORT <n>``. Each request
is dispatched under one lock (moto is not atomic under concurrent requests, DESIGN §7; real DynamoDB is)
and counted by operation, split into API-key reads (the authorizer's) and the rest, so a benchmark can
count the round trips of a process it cannot hook into (the local API). ``GET /_bench/counts`` answers
the counts, ``POST /_bench/reset`` zeroes them.

``MotoServer`` starts and stops that process and creates the table from the template's definition.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from bench.common import FAKE_AWS, ROOT, WORK

StartResponse = Callable[..., Any]


class CountingApp:
    """WSGI middleware: one request at a time through moto, counted by ``<Operation>:<apikey|data>``."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/_bench/counts":
            start_response("200 OK", [("Content-Type", "application/json")])
            with self.lock:
                return [json.dumps(dict(self.counts)).encode()]
        if path == "/_bench/reset":
            with self.lock:
                self.counts.clear()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b"{}"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        operation = str(environ.get("HTTP_X_AMZ_TARGET", "")).rpartition(".")[2] or "other"
        kind = "apikey" if b'"APIKEY#' in body else "data"
        with self.lock:
            self.counts[f"{operation}:{kind}"] += 1
            result = self.app(environ, start_response)
            try:
                payload = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        return [payload]


def speed_ups() -> None:
    """The local API's two moto speed-ups (``tools.embedded_dynamodb``, checked equal to moto's own
    behaviour by ``tests/test_embedded_dynamodb.py``): item answers serialised with ``json.dumps`` (moto's
    generic serializer spends ~1.5 ms per returned dataset) and transactions that back up the items they
    touch instead of deep-copying the table (which makes each create slower than the last: past ~400
    creates one takes longer than the shared layer's 2-s read timeout). Both rely on requests being
    serialised, which ``CountingApp`` does. ``BENCH_MOTO_EXACT=1`` leaves moto as it is."""
    import os

    if os.environ.get("BENCH_MOTO_EXACT") == "1":
        return
    from tools.embedded_dynamodb import cheap_transactions, fast_item_responses

    fast_item_responses()
    cheap_transactions()


def serve() -> None:
    import logging

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    speed_ups()
    app = CountingApp(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


class MotoServer:
    """``with MotoServer() as db:`` a fresh moto process, its table created; stopped on exit."""

    def __init__(self, table: str = "bench", exact: bool = False) -> None:
        self.table = table
        self.exact = exact
        self.process: subprocess.Popen[str] | None = None
        self.endpoint = ""
        self.log = WORK / "moto_server.log"

    def __enter__(self) -> MotoServer:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.moto_server"],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env={**_base_env(), **FAKE_AWS, "BENCH_MOTO_EXACT": "1" if self.exact else "0"},
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"moto server did not start; see {self.log}")
        self.endpoint = f"http://127.0.0.1:{int(line.split()[1])}"
        self.create_table()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=FAKE_AWS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
        )

    def create_table(self, name: str | None = None) -> None:
        """The template's table, named ``name`` (default: this server's table)."""
        from tools import template

        self.client().create_table(**template.table_definition(name or self.table))

    def counts(self) -> dict[str, int]:
        with urllib.request.urlopen(f"{self.endpoint}/_bench/counts", timeout=10) as reply:  # noqa: S310 - loopback
            return {str(k): int(v) for k, v in json.loads(reply.read()).items()}

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint}/_bench/reset", method="POST", data=b"")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - loopback
            pass


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}}


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    serve()

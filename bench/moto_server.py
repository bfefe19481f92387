# ruff: noqa: PLC0415 - moto loads in the server process only
"""A DynamoDB in another process: moto's server on 127.0.0.1 (``python -m bench.moto_server`` prints its port).

Requests run one at a time (moto is not atomic under concurrent requests; DynamoDB is) and are counted by
operation, reads of API keys (``APIKEY#``) apart, so that a benchmark can count the calls of a process it cannot
hook into (the local API): ``GET /_bench/counts``, ``/_bench/reset``. It has the local API's moto speed-ups
(``tools.embedded_dynamodb``), which change cost, not behaviour.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

import boto3

from bench.common import FAKE_AWS, ROOT, WORK
from tools import template


def serve() -> None:
    import logging

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from tools.embedded_dynamodb import cheap_transactions, fast_item_responses

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    fast_item_responses()
    cheap_transactions()
    moto, lock, counts = DomainDispatcherApplication(create_backend_app), threading.Lock(), Counter[str]()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, body = environ.get("PATH_INFO", ""), environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        with lock:
            if path.startswith("/_bench/"):
                answer = json.dumps(counts).encode()
                if path == "/_bench/reset":
                    counts.clear()
                start_response("200 OK", [("Content-Type", "application/json")])
                return [answer]
            operation = str(environ.get("HTTP_X_AMZ_TARGET", "")).rpartition(".")[2]
            counts[f"{operation}:{'apikey' if b'APIKEY#' in body else 'data'}"] += 1
            environ["wsgi.input"] = io.BytesIO(body)
            result = moto(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                getattr(result, "close", lambda: None)()

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


class MotoServer:
    """``with MotoServer("t") as db:`` a fresh moto process with the template's table ``t``; stopped on exit."""

    def __init__(self, table_name: str) -> None:
        WORK.mkdir(parents=True, exist_ok=True)
        with (WORK / "moto_server.log").open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.moto_server"],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=FAKE_AWS,
            )
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError("moto's server did not start: see bench/.work/moto_server.log")
        self.table_name, self.endpoint = table_name, f"http://127.0.0.1:{int(line.split()[1])}"
        os.environ.update(FAKE_AWS)  # this process's clients too: never credentials for AWS itself
        self.client = boto3.client("dynamodb", endpoint_url=self.endpoint)
        self.create_table(table_name)

    def __enter__(self) -> MotoServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        if self.process.stdout:
            self.process.stdout.close()

    def create_table(self, name: str) -> None:
        self.client.create_table(**template.table_definition(name))

    def counts(self, reset: bool = False) -> dict[str, int]:
        with urllib.request.urlopen(f"{self.endpoint}/_bench/{'reset' if reset else 'counts'}", timeout=10) as reply:  # noqa: S310
            return dict(json.loads(reply.read()))


if __name__ == "__main__":
    serve()

"""Start and stop the local API (``python -m tools.local_api``) as a real subprocess, and talk to it over HTTP.

Used by the end-to-end tests: a free port (``--port 0``), a temporary state folder, and always stopped.
The server's output is read from a file, never a pipe, so a chatty server can never block on a full pipe.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway_stubs import UNTHROTTLED
from tools import local_api

ROOT = Path(__file__).resolve().parent.parent
DEV_KEY = "ragflow-local-development-key-0000000000000"
DEV_TENANT = "0f3c8a1e6d2b4f5a9c7e1b3d5f7a9c0e"
AUTH_MESSAGE = "Authentication error: API key is invalid or missing."
START_TIMEOUT = 60.0


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw)


@dataclass
class LocalApi:
    process: subprocess.Popen[bytes]
    port: int
    key: str
    log: Path
    state_dir: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        *,
        auth: str | None = None,
        json_body: Any = None,
        raw_body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """One request on a fresh connection; ``auth`` is the whole Authorization header value."""
        all_headers = dict(headers or {})
        if auth is not None:
            all_headers["Authorization"] = auth
        body = raw_body
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=all_headers)
            reply = conn.getresponse()
            return Response(reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read())
        finally:
            conn.close()

    def bearer(self, method: str, path: str, key: str | None = None, **kwargs: Any) -> Response:
        return self.request(method, path, auth=f"Bearer {key or self.key}", **kwargs)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def invocations(self, function: str) -> int:
        """How many times the function ran: Lambda's START line, one per invocation."""
        return len(re.findall(rf"^{function} START RequestId: ", self.output(), flags=re.MULTILINE))

    def all_invocations(self) -> int:
        return len(re.findall(r"^\w+Function START RequestId: ", self.output(), flags=re.MULTILINE))

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Stop the server with ``sig`` and return its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"RAGFLOW_API_KEY", "DYNAMODB_ENDPOINT", "TABLE_NAME"}}
    env.update(extra or {})
    return env


FROM_BUILD = os.environ.get("LOCAL_API_FROM_BUILD")
"""``make e2e-built`` sets it to sam build's output: every local API started here then runs the built functions
(``--from-build``), on Python 3.13 with the Powertools layer's packages, instead of the source folders."""


def start(state_dir: Path, *args: str, env: dict[str, str] | None = None) -> LocalApi:
    """Start a local API on a free port and wait until it has printed its URL and key.

    Throttling and quotas are raised out of the way (``UNTHROTTLED``) unless ``args`` override them again: the
    tests that pin them set their own limits, the others test something else at full speed."""
    log = state_dir.parent / f"{state_dir.name}-{time.monotonic_ns()}.log"
    unthrottled = ["--parameter-overrides", *(f"{k}={v}" for k, v in UNTHROTTLED.items())]
    if FROM_BUILD:
        args = (*args, "--from-build", FROM_BUILD)
    try:
        process, port, key = local_api.spawn(state_dir, log, *unthrottled, *args, env=_env(env), timeout=START_TIMEOUT)
    except RuntimeError as error:
        raise AssertionError(str(error)) from None
    assert key is not None, "the embedded database always has a key"
    return LocalApi(process, port, key, log, state_dir)


@contextmanager
def running(state_dir: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[LocalApi]:
    api = start(state_dir, *args, env=env)
    try:
        yield api
    finally:
        api.stop()


def cli(*args: str, state_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the API-key CLI as an operator would."""
    target = ["--state-dir", str(state_dir)] if state_dir is not None else []
    return subprocess.run(
        [sys.executable, "-m", "tools.apikeys", *target, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(None),
        check=False,
    )


def mint(state_dir: Path, tenant: str, label: str = "test") -> str:
    """A new key for ``tenant``, minted by the CLI (``create --quiet`` prints only the key)."""
    result = cli("create", "--tenant", tenant, "--label", label, "--quiet", state_dir=state_dir)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()

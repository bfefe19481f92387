"""The Docker-free local API (``make run``): template.yaml's REST API served over HTTP, in one process.

It plays API Gateway (REST API, Lambda proxy integration, TOKEN authorizer with a result cache, gateway
responses) in front of the very handlers ``sam deploy`` ships, imported from ``functions/*/app.py`` with
the shared layer on ``sys.path``, on an embedded DynamoDB (moto) whose data survives restarts
(``tools.local_state``). Routes, the authorizer's header and cache TTL, and every gateway response come
from ``template.yaml`` through ``tools.template``: there is one source of truth.

Modules: ``tools.local_gateway`` (API Gateway's request path), ``tools.local_lambda`` (Lambda's runtime),
``tools.local_state`` (the embedded DynamoDB and its state file); this one is HTTP and the process.

A request goes through the checks in API Gateway's order: body size (10 MB), route and method, the
authorizer (only when its cache misses), then the function. Each function runs one request at a time
under its own lock, as one warm Lambda instance does (it never runs two events at once). What
this cannot reproduce is listed in the README's "Local API" section.

    python -m tools.local_api [--port 9380] [--state-dir .local] [--reset] [--auth-cache-ttl S]
                              [--dynamodb-endpoint URL [--table NAME]] [--quiet]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socketserver
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from dataset_core import api_keys, config
from dataset_core.storage.transact import ConditionFailedError
from tools import apikeys, local_docs, local_state, template
from tools.local_gateway import HOST, MAX_BODY, Gateway, Reply, Request
from tools.local_lambda import LambdaFunction, Output, code_dir, function_at, function_ids, lambda_environment

DEV_KEY = "ragflow-local-development-key-0000000000000"
"""The stable key of the local API (the key ``events/authorizer_*.json`` carry); never valid on AWS."""
DEV_TENANT = "0f3c8a1e6d2b4f5a9c7e1b3d5f7a9c0e"
KEY_ENV = "RAGFLOW_API_KEY"
"""Set it to use your own key instead of ``DEV_KEY`` (registered for ``DEV_TENANT`` if new)."""
DEFAULT_PORT = 9380


# ---- HTTP ----------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, gateway: Gateway, on_write: Callable[[], None]) -> None:
        super().__init__((HOST, port), _Handler)
        self.gateway = gateway
        self.on_write = on_write
        self.in_flight = 0
        self.idle = threading.Condition()
        self.stopping = False

    def wait_idle(self, timeout: float) -> None:
        """Let requests already inside a function finish (their writes then make the final save)."""
        with self.idle:
            self.idle.wait_for(lambda: self.in_flight == 0, timeout=timeout)


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive; every method goes through the gateway (unknown ones get its 404)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else a kept-alive client waits 40 ms for each small response (bench/)
    server: _Server

    def version_string(self) -> str:
        return "local-api-gateway"

    def __getattr__(self, name: str) -> Any:
        """``do_<METHOD>`` for every method (TRACE, QUERY, made-up ones): API Gateway answers them all, so
        the gateway decides, rather than http.server's HTML 501."""
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def handle_expect_100(self) -> bool:
        if self._too_large():  # answer 413 before the client sends a body API Gateway would refuse
            self.close_connection = True
            reply = self.server.gateway.gateway_reply("REQUEST_TOO_LARGE", self._request(None))
            self._send(reply)
            self._log(reply, 0.0)
            return False
        return super().handle_expect_100()

    def _too_large(self) -> bool:
        length = self.headers.get("Content-Length")
        return bool(length and length.strip().isdigit() and int(length) > MAX_BODY)

    def _serve(self) -> None:
        started = time.perf_counter()
        if self.server.stopping:  # a kept-alive connection after shutdown began: hang up, as a stopped server would
            self.close_connection = True
            return
        with self.server.idle:
            self.server.in_flight += 1
        try:
            body, too_large = self._read_body()
            if too_large:
                self.close_connection = True
                reply = self.server.gateway.gateway_reply("REQUEST_TOO_LARGE", self._request(None))
            else:
                request = self._request(body)
                try:  # /docs and /openapi.json are the local API's own (never deployed); the rest is the gateway's
                    reply = local_docs.serve(request) or self.server.gateway.handle(request)
                except Exception:  # a bug of the local gateway itself: answer as API Gateway's 5xx, say why
                    self.server.gateway.output.line(traceback.format_exc().rstrip(), always=True)
                    reply = self.server.gateway.gateway_reply("DEFAULT_5XX", request)
            self._send(reply)
            if self.command not in {"GET", "HEAD", "OPTIONS"} and not reply.served_by.startswith("gateway:"):
                self.server.on_write()
        finally:
            with self.server.idle:
                self.server.in_flight -= 1
                self.server.idle.notify_all()
        self._log(reply, (time.perf_counter() - started) * 1000)

    def _log(self, reply: Reply, ms: float) -> None:
        """One access-log line: no query string, no header (never a key)."""
        path = self.path.partition("?")[0]
        self.server.gateway.output.line(
            f'{self.client_address[0]} "{self.command} {path}" {reply.status} {reply.served_by} {ms:.1f}ms'
        )

    def _request(self, body: bytes | None) -> Request:
        return Request(self.command, self.path, list(self.headers.items()), body, self.client_address[0])

    def _read_body(self) -> tuple[bytes | None, bool]:
        """The body, or (None, True) past API Gateway's 10 MB (drained, so the client reads the 413)."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        raw = (self.headers.get("Content-Length") or "0").strip()
        length = int(raw) if raw.isdigit() else 0
        if length > MAX_BODY:
            self._drain(length)
            return None, True
        return (self.rfile.read(length) if length else None), False

    def _read_chunked(self) -> tuple[bytes | None, bool]:
        chunks: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024) not in {b"\r\n", b"\n", b""}:  # trailers
                    pass
                return (b"".join(chunks) or None), False
            total += size
            if total > MAX_BODY:
                return None, True  # the connection closes after the 413
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _drain(self, length: int) -> None:
        if length > 8 * MAX_BODY:
            return  # not worth reading: the connection closes after the 413
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 20))
            if not chunk:
                return
            length -= len(chunk)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers:
            if name.lower() not in {"content-length", "connection", "transfer-encoding", "date", "server"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence http.server's own log; ``_serve`` writes one line per request (never a header)."""


# ---- the API-key CLI's door into a running server ------------------------------------------------------------


class _AdminServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """``tools.apikeys`` commands from the same user, over a socket in the state folder (mode 0600)."""

    daemon_threads = True

    def __init__(self, path: Path, save_now: Callable[[], None], output: Output) -> None:
        path.unlink(missing_ok=True)
        super().__init__(str(path), _AdminHandler)
        os.chmod(path, 0o600)
        self.save_now = save_now
        self.output = output


class _AdminHandler(socketserver.StreamRequestHandler):
    server: _AdminServer

    def handle(self) -> None:
        try:
            command = json.loads(self.rfile.readline(65536))
            result = apikeys.execute(command)
            if command.get("action") != "list":
                self.server.save_now()  # a minted key is printed once: it must be on disk first
            reply: dict[str, Any] = {"ok": True, "result": result}
        except apikeys.CommandError as error:
            reply = {"ok": False, "error": str(error)}
        except Exception as error:
            self.server.output.line(f"api-key command failed: {type(error).__name__}: {error}", always=True)
            reply = {"ok": False, "error": "the local API could not run the command; see its output"}
        self.wfile.write(json.dumps(reply).encode() + b"\n")


# ---- start and stop ------------------------------------------------------------------------------------------


class _SigtermError(Exception):
    """SIGTERM: leave ``serve_forever`` the way Ctrl-C does, then shut down cleanly."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _SigtermError


def build_parser() -> argparse.ArgumentParser:
    """The command line (the README's option table is checked against it)."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.local_api",
        description="Serve template.yaml's API locally: the real handlers and authorizer, an embedded DynamoDB.",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port (default 9380)")
    parser.add_argument("--state-dir", type=Path, default=local_state.DEFAULT_STATE_DIR, help="default .local/")
    parser.add_argument("--reset", action="store_true", help="start with an empty table (deletes the state file)")
    parser.add_argument(
        "--auth-cache-ttl",
        type=float,
        default=None,
        help="seconds an authorizer answer is cached per Authorization value (default: the template's)",
    )
    parser.add_argument("--dynamodb-endpoint", help="use this DynamoDB-compatible endpoint instead of the embedded one")
    parser.add_argument("--table", default=local_state.LOCAL_TABLE, help="table name on --dynamodb-endpoint")
    parser.add_argument("--quiet", action="store_true", help="no access log, no Lambda START/END/REPORT lines")
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def _check_configuration() -> None:
    """Read the settings as a function's INIT would: an inconsistent configuration never serves."""
    try:
        config.settings()
    except config.ConfigurationError as error:
        raise SystemExit(f"configuration refused: {error}") from None


def _ensure_dev_key(output: Output) -> str:
    """The key to print: ``$RAGFLOW_API_KEY`` or the stable dev key, registered for the dev tenant."""
    key = os.environ.get(KEY_ENV) or DEV_KEY
    if api_keys.key_from_header(key) != key:
        raise SystemExit(f"{KEY_ENV} is not an API key: 'ragflow-' followed by 32 to 128 URL-safe characters")
    if api_keys.authenticate(key) is None:
        try:
            api_keys.create_key(DEV_TENANT, "local development", key)
        except ConditionFailedError:
            output.line(f"note: this key was revoked; start with --reset or set {KEY_ENV} to another key", always=True)
    return key


@dataclass
class _Storage:
    """Where the data lives, and (embedded only) who saves it and owns the state folder."""

    where: str
    saver: local_state.Saver | None = None
    lock: local_state.StateLock | None = None


def _open_storage(args: argparse.Namespace, state: local_state.StateDir, table: str) -> _Storage:
    if args.dynamodb_endpoint:
        local_state.use_table(table, args.dynamodb_endpoint)
        local_state.ensure_table(table)
        return _Storage(f"table {table} on {args.dynamodb_endpoint}")
    lock = local_state.StateLock(state)
    if not lock.acquire():
        raise SystemExit(f"another local API (pid {lock.holder()}) is using {state.path}; stop it or pass --state-dir")
    if args.reset:
        state.state_file.unlink(missing_ok=True)
    local_state.start_embedded(table)
    try:
        items = local_state.load(state, table)
    except local_state.StateError as error:
        raise SystemExit(str(error)) from None
    saver = local_state.Saver(lambda: local_state.save(state, table))
    loaded = f"{items} items loaded" if items else "empty"
    return _Storage(f"{state.state_file} ({loaded}; --reset empties it)", saver, lock)


def _build_gateway(args: argparse.Namespace, output: Output) -> Gateway:
    authorizer_dir, identity_header, template_ttl = template.authorizer()
    functions = {f: LambdaFunction(f, code_dir(f), output) for f in function_ids()}
    return Gateway(
        functions=functions,
        authorizer=functions[function_at(authorizer_dir)],
        identity_header=identity_header,
        auth_cache_ttl=template_ttl if args.auth_cache_ttl is None else args.auth_cache_ttl,
        output=output,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    output = Output(quiet=args.quiet)
    state = local_state.StateDir(args.state_dir.resolve())
    table = args.table if args.dynamodb_endpoint else local_state.LOCAL_TABLE
    for name, value in lambda_environment(function_ids(), table, state).items():  # before any handler import
        if name == "TABLE_NAME" or name not in os.environ:  # the shell's settings win: DATASET_QUOTA=3 make run
            os.environ[name] = value
    _check_configuration()
    store = _open_storage(args, state, table)
    key = _ensure_dev_key(output)
    if store.saver is not None:
        store.saver.save_now()
    try:
        server = _Server(args.port, _build_gateway(args, output), store.saver.mark_dirty if store.saver else _nothing)
    except OSError as error:
        if store.lock is not None:
            store.lock.release()
        raise SystemExit(f"cannot listen on {HOST}:{args.port}: {error.strerror}; choose another --port") from None
    admin = None
    if store.saver is not None and len(str(state.socket)) < 100:  # AF_UNIX paths are short
        admin = _AdminServer(state.socket, store.saver.save_now, output)
        threading.Thread(target=admin.serve_forever, args=(0.1,), name="admin", daemon=True).start()

    base = f"http://{HOST}:{server.server_address[1]}/api/v1"
    output.line("RAGFlow-compatible dataset API, running locally (Ctrl-C stops it; the data is kept)", always=True)
    output.line(f"  base URL  {base}", always=True)
    output.line(f"  API key   {key}", always=True)
    output.line(f"  storage   {store.where}", always=True)
    output.line(f"  try       curl -H 'Authorization: Bearer <API key>' {base}/datasets", always=True)
    output.line(f"  docs      http://{HOST}:{server.server_address[1]}/docs", always=True)

    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored (`cmd &`)
    try:
        server.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, _SigtermError):
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the final save short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        server.stopping = True
        server.server_close()
        server.wait_idle(timeout=10)
        if admin is not None:
            admin.shutdown()
            admin.server_close()
            state.socket.unlink(missing_ok=True)
        if store.saver is not None:
            store.saver.close()
            output.line(f"stopped; data saved to {state.state_file}", always=True)
        if store.lock is not None:
            store.lock.release()
    return 0


def _nothing() -> None:
    """Nothing to save: a real DynamoDB endpoint keeps its own data."""


def spawn(
    state_dir: Path, log: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> tuple[subprocess.Popen[bytes], int, str]:
    """Start a local API as a subprocess on a free port and wait for its banner: (process, port, key).

    For tests and benchmarks. Output goes to ``log``, a file, so a chatty server never blocks on a full pipe.
    """
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - this interpreter, this module
            [sys.executable, "-m", "tools.local_api", "--port", "0", "--state-dir", str(state_dir), *args],
            cwd=template.ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(os.environ if env is None else env),
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        url = re.search(r"base URL\s+http://127\.0\.0\.1:(\d+)/api/v1", text)
        key = re.search(r"API key\s+(ragflow-\S+)", text)
        if url and key:
            return process, int(url.group(1)), key.group(1)
        if process.poll() is not None:
            raise RuntimeError(f"the local API exited with {process.returncode}:\n{text}")
        time.sleep(0.05)
    process.kill()
    process.wait()
    raise RuntimeError(f"the local API did not start within {timeout:g} s:\n{log.read_text(errors='replace')}")


if __name__ == "__main__":
    sys.exit(main())

"""The Docker-free local API (``make run``): template.yaml's REST API served over HTTP, in one process.

It plays API Gateway (REST API, Lambda proxy integration, TOKEN authorizer with a result cache, gateway
responses) in front of the very handlers ``sam deploy`` ships, imported from ``functions/*/app.py`` with
the shared layer on ``sys.path``, on an embedded DynamoDB (moto) whose every acknowledged write survives a
crash (``tools.local_state``). Routes, the authorizer's header and cache TTL, and every gateway response
come from ``template.yaml`` through ``tools.template``: there is one source of truth.

Modules: ``tools.local_gateway`` (API Gateway's request path), ``tools.local_lambda`` (Lambda's runtime),
``tools.local_state`` (the embedded DynamoDB and its files); this one is HTTP and the process.

The HTTP server is loopback-only, since the dev key is public, and as strict as a real gateway's front door:
a ``Host`` that is not this server is refused (a web page elsewhere cannot reach it through DNS rebinding),
so is any request whose framing is ambiguous (``Content-Length`` and ``Transfer-Encoding``, bad chunk
sizes...), a listen backlog takes bursts of connections, and idle or trickling connections are cut off.
Then a request goes through the checks in API Gateway's order: body size (10 MB), route and method, the
authorizer (only when its cache misses), then the function. Each function runs one request at a time
under its own lock, as one warm Lambda instance does (it never runs two events at once). What
this cannot reproduce is listed in the README's "Local API" section.

    python -m tools.local_api [--port 9380] [--state-dir .local] [--reset] [--auth-cache-ttl S]
                              [--dynamodb-port 9381] [--from-build [DIR]]
                              [--dynamodb-endpoint URL [--table NAME] [--register-dev-key]] [--quiet]
                              [--parameter-overrides Key=Value ...]

The embedded database is also served as a DynamoDB endpoint (``tools.dynamodb_endpoint``, ``--dynamodb-port``),
for ``sam local invoke`` in Docker, ``tools.invoke`` and the built artifact's functions. ``--from-build`` runs the
functions of ``sam build``'s output in Python 3.13 processes of their own, with the packages of AWS's Powertools
layer (``tools.lambda_runtime``), instead of importing the source folders.

``--parameter-overrides`` sets the template's parameters as ``sam deploy --parameter-overrides`` does (checked
against their constraints the same way): what a deployment is configured with, the local API is too.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import re
import shlex
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from dataset_core import api_keys, config
from dataset_core.storage.transact import ConditionFailedError
from tools import apikeys, lambda_artifact, local_docs, local_state, template
from tools.dynamodb_endpoint import DynamoDBEndpoint
from tools.embedded_dynamodb import durable_before_exit
from tools.local_gateway import HOST, MAX_BODY, Gateway, Reply, Request
from tools.local_lambda import (
    Invocable,
    LambdaFunction,
    Output,
    code_dir,
    function_at,
    function_ids,
    lambda_environment,
)
from tools.usage_plans import LocalUsagePlans

DEV_KEY = "ragflow-local-development-key-0000000000000"
"""The stable key of the local API (the key ``events/authorizer_*.json`` carry); never valid on AWS."""
DEV_TENANT = "0f3c8a1e6d2b4f5a9c7e1b3d5f7a9c0e"
KEY_ENV = "RAGFLOW_API_KEY"
"""Set it to use your own key instead of ``DEV_KEY`` (registered for ``DEV_TENANT`` if new)."""
DEFAULT_PORT = 9380
BUILD_DIR = template.ROOT / ".aws-sam" / "build"
LISTEN_BACKLOG = 128
"""Connections the kernel queues before the server accepts them (socketserver's default of 5 drops bursts)."""
IDLE_TIMEOUT = 60.0
"""Seconds a connection may wait for its next request before it is closed."""
REQUEST_TIMEOUT = 30.0
"""Seconds a request has, from its first byte, to arrive whole, and its answer to be taken: a client that
trickles bytes is cut off however steadily it sends them."""
MAX_LINE = 8192
"""Longest chunk-size or trailer line."""
MAX_TRAILERS = 100
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_LENGTH = re.compile(r"[0-9]{1,20}")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


# ---- HTTP ----------------------------------------------------------------------------------------------


class HttpServer(ThreadingHTTPServer):
    """The local API's HTTP/1.1 server on 127.0.0.1: a thread per connection, every request to ``gateway``."""

    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, port: int, gateway: Gateway) -> None:
        super().__init__((HOST, port), _Handler)
        self.gateway = gateway
        self.idle_timeout = IDLE_TIMEOUT
        self.request_timeout = REQUEST_TIMEOUT
        self.in_flight = 0
        self.idle = threading.Condition()
        self.stopping = False

    def wait_idle(self, timeout: float) -> None:
        """Let requests already inside a function finish (before the state is closed)."""
        with self.idle:
            self.idle.wait_for(lambda: self.in_flight == 0, timeout=timeout)


class _BadRequestError(Exception):
    """The request's framing is broken: 400, and the connection closes (where its body ends is unknown)."""


class _TooLargeError(Exception):
    """A body past API Gateway's 10 MB."""


class _ClientGoneError(Exception):
    """The connection ended in the middle of a request: nobody to answer."""


class _DeadlineReader(io.RawIOBase):
    """The connection's bytes; each read may only take the time left until ``deadline``."""

    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection
        self.deadline = math.inf

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request took too long")
        self._connection.settimeout(left)
        return self._connection.recv_into(buffer)


def body_length(headers: Message) -> int | None:
    """How long the body is (None: chunked), from framing headers that leave no doubt; else ``_BadRequestError``.

    Two lengths, a length and ``Transfer-Encoding``, or an encoding other than ``chunked`` could be read two
    ways by two servers (request smuggling): a gateway refuses them.
    """
    encodings = [t.strip().lower() for value in headers.get_all("Transfer-Encoding") or [] for t in value.split(",")]
    lengths = {v.strip() for value in headers.get_all("Content-Length") or [] for v in value.split(",")}
    if encodings:
        if encodings != ["chunked"]:
            raise _BadRequestError("Transfer-Encoding must be chunked")
        if lengths:
            raise _BadRequestError("Content-Length and Transfer-Encoding must not come together")
        return None
    if len(lengths) > 1:
        raise _BadRequestError("conflicting Content-Length values")
    length = lengths.pop() if lengths else "0"
    if not _LENGTH.fullmatch(length):
        raise _BadRequestError("Content-Length must be a number of bytes")
    return int(length)


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive; every method goes through the gateway (unknown ones get its 404)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else a kept-alive client waits 40 ms for each small response (bench/)
    server: HttpServer

    def version_string(self) -> str:
        return "local-api-gateway"

    def __getattr__(self, name: str) -> Any:
        """``do_<METHOD>`` for every method (TRACE, QUERY, made-up ones): API Gateway answers them all, so
        the gateway decides, rather than http.server's HTML 501."""
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def setup(self) -> None:
        super().setup()
        self.rfile.close()
        self._reader = _DeadlineReader(self.connection)
        self.rfile = self._buffered = io.BufferedReader(self._reader, 65536)

    def handle_one_request(self) -> None:
        """One request: wait up to the idle timeout for its first byte, then give it the request timeout."""
        self._reader.deadline = time.monotonic() + self.server.idle_timeout
        self._expecting = False
        try:
            if not self._buffered.peek(1):
                self.close_connection = True  # the client closed the connection
                return
        except OSError:  # idle too long (TimeoutError), or reset
            self.close_connection = True
            return
        self._reader.deadline = time.monotonic() + self.server.request_timeout
        super().handle_one_request()  # a timeout in there closes the connection

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (request line or headers too long, a malformed request line) in the
        gateway's envelope, never its HTML page."""
        self.close_connection = True
        self.request_version = "HTTP/1.1"  # a request line too broken to name its version still gets headers
        phrase = HTTPStatus(code).phrase
        kind = "DEFAULT_5XX" if code >= 500 else "DEFAULT_4XX"
        reply = self.server.gateway.gateway_reply(
            kind, self._request(None), status=code, message=f"{phrase}: {message}" if message else phrase
        )
        self._send(reply)

    def handle_expect_100(self) -> bool:
        """``Expect: 100-continue``: a request refused anyway gets its answer instead, before any upload."""
        self._expecting = True
        if self._refusal() is not None or self._declared_too_large():
            return True  # no 100 Continue: ``_serve`` answers and closes
        return super().handle_expect_100()

    def _serve(self) -> None:
        started = time.perf_counter()
        if self.server.stopping:  # a kept-alive connection after shutdown began: hang up, as a stopped server would
            self.close_connection = True
            return
        with self.server.idle:
            self.server.in_flight += 1
        try:
            reply = self._reply()
            if reply is None:
                self.close_connection = True
                return
            self._send(reply)
        finally:
            with self.server.idle:
                self.server.in_flight -= 1
                self.server.idle.notify_all()
        self._log(reply, (time.perf_counter() - started) * 1000)

    def _reply(self) -> Reply | None:
        """The answer to this request; None if the client went away before sending it whole."""
        gateway = self.server.gateway
        refusal = self._refusal()
        if refusal is not None:
            self.close_connection = True
            return refusal
        try:
            body = self._read_body()
        except _BadRequestError as error:
            self.close_connection = True
            return gateway.gateway_reply(
                "DEFAULT_4XX", self._request(None), status=400, message=f"Bad Request: {error}"
            )
        except _TooLargeError:
            self.close_connection = True
            return gateway.gateway_reply("REQUEST_TOO_LARGE", self._request(None))
        except _ClientGoneError:
            return None
        request = self._request(body)
        try:  # /docs and /openapi.json are the local API's own (never deployed); the rest is the gateway's
            with durable_before_exit():  # what the answer reveals is on disk before it is sent
                return local_docs.serve(request) or gateway.handle(request)
        except Exception:  # a bug of the local gateway, or a journal that failed: API Gateway's 5xx, say why
            gateway.output.line(traceback.format_exc().rstrip(), always=True)
            return gateway.gateway_reply("DEFAULT_5XX", request)

    def _refusal(self) -> Reply | None:
        """What the front door refuses before routing: ambiguous framing, a ``Host`` that is not this server."""
        try:
            body_length(self.headers)
        except _BadRequestError as error:
            return self.server.gateway.gateway_reply(
                "DEFAULT_4XX", self._request(None), status=400, message=f"Bad Request: {error}"
            )
        hosts = self.headers.get_all("Host") or []
        port = self.server.server_address[1]
        allowed = {f"{name}:{port}" for name in _LOCAL_HOSTS} | (set(_LOCAL_HOSTS) if port == 80 else set())
        if len(hosts) != 1:
            return self.server.gateway.gateway_reply(
                "DEFAULT_4XX", self._request(None), status=400, message="Bad Request: one Host header is required"
            )
        if hosts[0].strip().lower() not in allowed:
            return self.server.gateway.gateway_reply(
                "DEFAULT_4XX",
                self._request(None),
                status=403,
                message=f"Forbidden: this local API answers to Host 127.0.0.1:{port}, localhost:{port} or [::1]:{port}",
            )
        return None

    def _declared_too_large(self) -> bool:
        length = body_length(self.headers)
        return length is not None and length > MAX_BODY

    def _log(self, reply: Reply, ms: float) -> None:
        """One access-log line: no query string, no header (never a key)."""
        path = self.path.partition("?")[0]
        self.server.gateway.output.line(
            f'{self.client_address[0]} "{self.command} {path}" {reply.status} {reply.served_by} {ms:.1f}ms'
        )

    def _request(self, body: bytes | None) -> Request:
        headers = getattr(self, "headers", None)
        return Request(
            self.command or "",
            getattr(self, "path", ""),
            list(headers.items()) if headers is not None else [],
            body,
            self.client_address[0],
        )

    def _read_body(self) -> bytes | None:
        """The whole body (API Gateway buffers it), or one of the errors above."""
        length = body_length(self.headers)
        if length is None:
            return self._read_chunked()
        if length > MAX_BODY:
            if not self._expecting:
                self._drain(length)  # so that the client, still sending, reads the 413
            raise _TooLargeError
        if not length:
            return None
        body = self.rfile.read(length)
        if len(body) < length:
            raise _ClientGoneError
        return body

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self._line("chunk-size")
            size_text = size_line.split(b";", 1)[0].strip()  # chunk extensions are ignored
            if not _CHUNK_SIZE.fullmatch(size_text):
                raise _BadRequestError("a chunk size must be hexadecimal digits")
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            if total > MAX_BODY:
                raise _TooLargeError  # not worth reading: the connection closes after the 413
            chunk = self.rfile.read(size)
            if len(chunk) < size:
                raise _ClientGoneError
            chunks.append(chunk)
            if self._line("chunk end") != b"":
                raise _BadRequestError("a chunk must end with CRLF right after its data")
        for _ in range(MAX_TRAILERS):
            if self._line("trailer") == b"":
                return b"".join(chunks) or None
        raise _BadRequestError(f"more than {MAX_TRAILERS} trailer fields")

    def _line(self, what: str) -> bytes:
        """One line of the chunked framing, without its line end."""
        line = self.rfile.readline(MAX_LINE + 1)
        if not line.endswith(b"\n"):
            if len(line) > MAX_LINE:
                raise _BadRequestError(f"a {what} line is longer than {MAX_LINE} bytes")
            raise _ClientGoneError
        return line.rstrip(b"\r\n")

    def _drain(self, length: int) -> None:
        if length > 8 * MAX_BODY:
            return  # not worth reading: the connection closes after the 413
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 20))
            if not chunk:
                return
            length -= len(chunk)

    def _send(self, reply: Reply) -> None:
        self.connection.settimeout(self.server.request_timeout)  # a client that never reads is cut off too
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
    """``tools.apikeys`` commands from the same user, over a socket in the state folder (mode 0600); and, for
    ``tools.invoke``, where this local API serves its DynamoDB (the ``endpoint`` command)."""

    daemon_threads = True

    def __init__(self, path: Path, output: Output, endpoint: dict[str, str]) -> None:
        path.unlink(missing_ok=True)
        super().__init__(str(path), _AdminHandler)
        os.chmod(path, 0o600)
        self.output = output
        self.endpoint = endpoint


ENDPOINT_COMMAND = "endpoint"
"""The admin command that answers ``{"endpoint": URL, "table": NAME}``."""


class _AdminHandler(socketserver.StreamRequestHandler):
    server: _AdminServer

    def handle(self) -> None:
        try:  # a minted key is printed once: its write is durable before the command returns (the journal)
            command = json.loads(self.rfile.readline(65536))
            if isinstance(command, dict) and command.get("action") == ENDPOINT_COMMAND:
                result: dict[str, Any] = dict(self.server.endpoint)
            else:
                result = apikeys.execute(command)
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
    parser.add_argument("--reset", action="store_true", help="start with an empty table (deletes the state files)")
    parser.add_argument(
        "--auth-cache-ttl",
        type=float,
        default=None,
        help="seconds an authorizer answer is cached per Authorization value (default: the template's)",
    )
    parser.add_argument(
        "--dynamodb-port",
        type=int,
        default=None,
        help="port of the embedded database's DynamoDB endpoint (default: --port + 1; 0 picks a free one)",
    )
    parser.add_argument(
        "--from-build",
        nargs="?",
        const=str(BUILD_DIR),
        default=None,
        type=Path,
        metavar="DIR",
        help="run the functions of sam build's output (default DIR .aws-sam/build) in Python 3.13 processes",
    )
    parser.add_argument("--dynamodb-endpoint", help="use this DynamoDB-compatible endpoint instead of the embedded one")
    parser.add_argument("--table", default=local_state.LOCAL_TABLE, help="table name on --dynamodb-endpoint")
    parser.add_argument(
        "--register-dev-key",
        action="store_true",
        help="on --dynamodb-endpoint: register the public dev key (or $RAGFLOW_API_KEY) in that table",
    )
    parser.add_argument("--quiet", action="store_true", help="no access log, no Lambda START/END/REPORT lines")
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        action="extend",
        default=[],
        metavar="Key=Value",
        help="template parameters, as sam deploy takes them (Key=Value, or ParameterKey=K,ParameterValue=V); "
        "given twice, the later value wins",
    )
    return parser


_SAM_FORM = re.compile(r"ParameterKey=([^,=\s]+),ParameterValue=(.*)", re.DOTALL)


def parameter_overrides(tokens: list[str]) -> dict[str, str]:
    """``--parameter-overrides`` as ``sam deploy`` reads it: ``Key=Value`` pairs, several to one argument if
    quoted together (``'A=1 B="x y"'``), or ``ParameterKey=A,ParameterValue=1``; ValueError if one is neither."""
    found: dict[str, str] = {}
    for token in tokens:
        for pair in shlex.split(token) if any(c.isspace() for c in token) else [token]:
            sam_form = _SAM_FORM.fullmatch(pair)
            key, sep, value = (sam_form.group(1), "=", sam_form.group(2)) if sam_form else pair.partition("=")
            if not sep or not key:
                raise ValueError(f"--parameter-overrides takes Key=Value, not {pair!r}")
            found[key] = value
    return found


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.register_dev_key and not args.dynamodb_endpoint:
        parser.error("--register-dev-key is for --dynamodb-endpoint (the embedded database always has the dev key)")
    try:
        overrides = parameter_overrides(args.parameter_overrides)
        if args.auth_cache_ttl is not None:  # a shortcut for one parameter
            overrides["AuthorizerCacheTtl"] = f"{args.auth_cache_ttl:g}"
        args.parameters = template.parameters(overrides)
    except ValueError as error:  # template.ParameterError included
        parser.error(str(error))
    return args


def _set_environment(table: str, state: local_state.StateDir, values: dict[str, str]) -> None:
    """The functions' environment for the template's parameter ``values``, set before any handler is imported,
    then read as a function's INIT reads it: an inconsistent configuration never serves."""
    for name, value in lambda_environment(function_ids(), table, state, values).items():
        if name == "TABLE_NAME" or name not in os.environ:  # the shell's settings win: DATASET_QUOTA=3 make run
            os.environ[name] = value
    try:
        config.settings()
    except config.ConfigurationError as error:
        raise SystemExit(f"configuration refused: {error}") from None


def register_dev_key(args: argparse.Namespace, output: Output) -> str | None:
    """The key to print: ``$RAGFLOW_API_KEY`` or the stable dev key, registered for the dev tenant if new.

    The dev key is published: whoever holds it acts as its tenant wherever it is registered. So it is
    registered in the embedded database only, or in a table on ``--dynamodb-endpoint`` when
    ``--register-dev-key`` asks for it (with a warning naming the table); else nothing is registered there
    and None is returned: that table's own keys apply.
    """
    key = os.environ.get(KEY_ENV) or DEV_KEY
    if api_keys.key_from_header(key) != key:
        raise SystemExit(f"{KEY_ENV} is not an API key: 'ragflow-' followed by 32 to 128 URL-safe characters")
    if args.dynamodb_endpoint and not args.register_dev_key:
        return None
    apikeys.ensure_tier(DEV_TENANT, LocalUsagePlans)  # as minting a tenant's first key does
    if api_keys.authenticate(key) is None:
        try:
            _, record = api_keys.create_key(DEV_TENANT, "local development", key)
        except ConditionFailedError:
            output.line(f"note: this key was revoked; start with --reset or set {KEY_ENV} to another key", always=True)
            return key
        if args.dynamodb_endpoint:
            which = "the public dev key" if key == DEV_KEY else f"the key in ${KEY_ENV}"
            output.line(
                f"WARNING: registered {which} for tenant {DEV_TENANT} in table {args.table} on "
                f"{args.dynamodb_endpoint}: anyone holding it acts as that tenant there; revoke it with "
                f"python -m tools.apikeys --dynamodb-endpoint {args.dynamodb_endpoint} --table {args.table} "
                f"revoke {record.key_id}",
                always=True,
            )
    return key


@dataclass
class _Storage:
    """Where the data lives, and (embedded only) the database and the lock on its state folder."""

    where: str
    database: local_state.EmbeddedDatabase | None = None
    lock: local_state.StateLock | None = None


def _open_storage(args: argparse.Namespace, state: local_state.StateDir, table: str) -> _Storage:
    if args.dynamodb_endpoint:
        local_state.use_table(table, args.dynamodb_endpoint)
        local_state.ensure_table(table)
        return _Storage(f"table {table} on {args.dynamodb_endpoint}")
    lock = local_state.StateLock(state, local_state.StateLock.SERVER)
    if not lock.acquire():
        holder = lock.holder()
        who = f"another {holder.role} (pid {holder.pid})" if holder else "another process"
        raise SystemExit(f"{who} is using {state.path}; stop it or pass --state-dir")
    if args.reset:
        state.reset()
    database = local_state.EmbeddedDatabase(state, table)
    try:
        opened = database.open()
    except local_state.StateError as error:
        database.close()
        lock.release()
        raise SystemExit(str(error)) from None
    loaded = f"{opened.items} items" if opened.items else "empty"
    if opened.replayed:
        loaded += f", {opened.replayed} writes replayed from the journal"
    if opened.dropped:
        loaded += f", an unfinished write of {opened.dropped} bytes left out (it was never acknowledged)"
    return _Storage(f"{state.path}/ ({loaded}; --reset empties it)", database, lock)


def usage_tier(tenant: str, usage_key: str) -> tuple[str, str] | None:
    """The usage plan holding ``usage_key`` (tier, API key id), as the API-key CLI recorded it for the tenant."""
    recorded = api_keys.usage_tier(tenant)
    if recorded is None or recorded.usage_key != usage_key:
        return None
    return recorded.tier, recorded.usage_key_id


def _build_gateway(args: argparse.Namespace, output: Output, functions: Mapping[str, Invocable]) -> Gateway:
    authorizer_dir, identity_header, ttl = template.authorizer(args.parameters)
    return Gateway(
        functions=functions,
        authorizer=functions[function_at(authorizer_dir)],
        identity_header=identity_header,
        auth_cache_ttl=args.auth_cache_ttl if args.auth_cache_ttl is not None else ttl,
        output=output,
        usage_tiers=usage_tier,
        values=args.parameters,
    )


def _functions(
    args: argparse.Namespace,
    output: Output,
    built: lambda_artifact.Artifact | None,
    *,
    table: str,
    state: local_state.StateDir,
    dynamodb_url: str | None,
) -> dict[str, Invocable]:
    """The template's functions: imported from their source folders, or the built artifact's in processes."""
    if built is None:
        return {f: LambdaFunction(f, code_dir(f), output) for f in function_ids()}
    assert dynamodb_url is not None
    return {
        f: lambda_artifact.WorkerFunction(
            f, built, lambda_artifact.worker_environment(f, table, state, dynamodb_url, args.parameters), output
        )
        for f in function_ids()
    }


def _dynamodb_port(args: argparse.Namespace, port: int) -> int:
    if args.dynamodb_port is not None:
        return int(args.dynamodb_port)
    return 0 if args.port == 0 else port + 1


@dataclass
class _Services:
    """Everything a running local API holds, stopped in the reverse order it was started."""

    store: _Storage
    endpoint: DynamoDBEndpoint | None = None
    functions: Mapping[str, Invocable] | None = None
    server: HttpServer | None = None
    admin: _AdminServer | None = None

    def stop(self, state: local_state.StateDir, output: Output) -> None:
        if self.server is not None:
            self.server.stopping = True
            self.server.server_close()
            self.server.wait_idle(timeout=10)
        for function in (self.functions or {}).values():
            if isinstance(function, lambda_artifact.WorkerFunction):
                function.stop()
        if self.admin is not None:
            self.admin.shutdown()
            self.admin.server_close()
            state.socket.unlink(missing_ok=True)
        if self.endpoint is not None:
            self.endpoint.shutdown()
            self.endpoint.server_close()
        if self.store.database is not None:
            self.store.database.close()
            if self.server is not None:
                output.line(f"stopped; data saved to {state.state_file}", always=True)
        if self.store.lock is not None:
            self.store.lock.release()


def _start(
    args: argparse.Namespace,
    output: Output,
    state: local_state.StateDir,
    table: str,
    built: lambda_artifact.Artifact | None,
) -> tuple[_Services, str | None]:
    """Storage, its DynamoDB endpoint, the dev key, the functions and the HTTP server; (services, key)."""
    services = _Services(_open_storage(args, state, table))
    try:
        database = services.store.database
        if database is not None:
            wanted = _dynamodb_port(args, args.port)
            try:
                services.endpoint = DynamoDBEndpoint(wanted, database.region)
            except OSError as error:
                raise SystemExit(
                    f"cannot serve DynamoDB on {HOST}:{wanted}: {error.strerror}; choose another --dynamodb-port"
                ) from None
            services.endpoint.start()
        dynamodb_url = services.endpoint.url if services.endpoint is not None else args.dynamodb_endpoint
        key = register_dev_key(args, output)
        services.functions = _functions(args, output, built, table=table, state=state, dynamodb_url=dynamodb_url)
        try:
            services.server = HttpServer(args.port, _build_gateway(args, output, services.functions))
        except OSError as error:
            raise SystemExit(f"cannot listen on {HOST}:{args.port}: {error.strerror}; choose another --port") from None
    except BaseException:
        services.stop(state, output)
        raise
    if services.endpoint is not None and len(str(state.socket)) < 100:  # AF_UNIX paths are short
        services.admin = _AdminServer(state.socket, output, {"endpoint": services.endpoint.url, "table": table})
        threading.Thread(target=services.admin.serve_forever, args=(0.1,), name="admin", daemon=True).start()
    return services, key


def _banner(
    output: Output, services: _Services, key: str | None, table: str, built: lambda_artifact.Artifact | None
) -> None:
    assert services.server is not None
    port = services.server.server_address[1]
    base = f"http://{HOST}:{port}/api/v1"
    shown_key = key or f"none registered in {table} (--register-dev-key registers the public dev key there)"
    lines = [
        "RAGFlow-compatible dataset API, running locally (Ctrl-C stops it; the data is kept)",
        f"  base URL  {base}",
        f"  API key   {shown_key}",
        f'  SDK       RAGFlow(api_key="<API key>", base_url="http://{HOST}:{port}")',
        f"  storage   {services.store.where}",
    ]
    if services.endpoint is not None:
        lines.append(
            f"  DynamoDB  {services.endpoint.url} (table {table}: tools.invoke, sam local --env-vars events/env.json)"
        )
    if built is not None:
        lines.append(f"  code      {built.build_dir} on Python 3.13, layers from {built.deps_dir}")
    lines += [
        f"  try       curl -H 'Authorization: Bearer <API key>' {base}/datasets",
        f"  docs      http://{HOST}:{port}/docs",
    ]
    for line in lines:
        output.line(line, always=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    output = Output(quiet=args.quiet)
    state = local_state.StateDir(args.state_dir.resolve())
    table = args.table if args.dynamodb_endpoint else local_state.LOCAL_TABLE
    built = lambda_artifact.artifact(args.from_build.resolve()) if args.from_build else None
    _set_environment(table, state, args.parameters)
    services, key = _start(args, output, state, table, built)
    assert services.server is not None
    _banner(output, services, key, table, built)
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored (`cmd &`)
    try:
        services.server.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, _SigtermError):
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the final snapshot short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        services.stop(state, output)
    return 0


def spawn(
    state_dir: Path, log: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> tuple[subprocess.Popen[bytes], int, str | None]:
    """Start a local API as a subprocess on a free port and wait for its banner: (process, port, key or None
    when none is registered, see ``register_dev_key``).

    For tests and benchmarks. Output goes to ``log``, a file, so a chatty server never blocks on a full pipe.
    """
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - this interpreter, this module
            [
                sys.executable,
                "-m",
                "tools.local_api",
                "--port",
                "0",
                "--dynamodb-port",
                "0",
                "--state-dir",
                str(state_dir),
                *args,
            ],
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
        if url and re.search(r"^\s+docs\s+http", text, flags=re.MULTILINE):
            key = re.search(r"API key\s+(ragflow-\S+)", text)
            return process, int(url.group(1)), key.group(1) if key else None
        if process.poll() is not None:
            raise RuntimeError(f"the local API exited with {process.returncode}:\n{text}")
        time.sleep(0.05)
    process.kill()
    process.wait()
    raise RuntimeError(f"the local API did not start within {timeout:g} s:\n{log.read_text(errors='replace')}")


if __name__ == "__main__":
    sys.exit(main())

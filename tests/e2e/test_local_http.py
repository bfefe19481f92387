"""The local API's HTTP server (``tools.local_api.HttpServer``) behaves like a gateway's front door.

In-process: the real server and request handler on 127.0.0.1, over the real gateway with stand-in functions
(``tests.gateway_stubs``), driven with raw bytes on sockets, so that each test can send what no HTTP client
library would: broken framing, a foreign ``Host``, a burst of connections, a client that trickles.

Every refusal is the gateway's JSON envelope; a request whose framing is ambiguous is refused and its
connection closed, so nothing it carries is ever read as the next request (request smuggling).
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from gateway_stubs import STUB_KEY, Stub, stub_gateway
from tools import local_api
from tools.local_gateway import MAX_BODY

BURST = 100


@contextlib.contextmanager
def serving(*, idle_timeout: float = 5.0, request_timeout: float = 5.0) -> Iterator[tuple[int, dict[str, Stub]]]:
    """A local API HTTP server on a free port: (port, the stand-in functions by logical id)."""
    gateway, stubs = stub_gateway()
    server = local_api.HttpServer(0, gateway)
    server.idle_timeout, server.request_timeout = idle_timeout, request_timeout
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], stubs
    finally:
        server.shutdown()
        server.server_close()


def _exchange(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send ``data``, then read until the server closes the connection (or ``timeout`` passes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(data)
        received = b""
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := conn.recv(65536):
                received += chunk
    return received


def _responses(raw: bytes) -> list[tuple[int, dict[str, str], Any]]:
    """Every HTTP response in ``raw``: (status, headers in lower case, JSON body)."""
    found = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        length = int(headers["content-length"])
        found.append((int(status_line.split()[1]), headers, json.loads(rest[:length])))
        raw = rest[length:]
    return found


def _post(port: int, headers: str, body: bytes = b"") -> bytes:
    return (
        f"POST /api/v1/datasets HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {STUB_KEY}\r\n"
        f"Content-Type: application/json\r\n{headers}\r\n"
    ).encode() + body


def _get(port: int, extra: str = "") -> bytes:
    return f"GET /api/v1/datasets HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {STUB_KEY}\r\n{extra}\r\n".encode()


def _ran(stubs: dict[str, Stub]) -> int:
    return sum(len(stub.events) for stub in stubs.values())


# ---- framing -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ("Transfer-Encoding: chunked\r\n", b"-5\r\nhello\r\n0\r\n\r\n"),  # negative chunk size
        ("Transfer-Encoding: chunked\r\n", b"zz\r\nhello\r\n0\r\n\r\n"),  # not hexadecimal
        ("Transfer-Encoding: chunked\r\n", b"+5\r\nhello\r\n0\r\n\r\n"),
        ("Transfer-Encoding: chunked\r\n", b"0x5\r\nhello\r\n0\r\n\r\n"),
        ("Transfer-Encoding: chunked\r\n", b"\r\nhello\r\n0\r\n\r\n"),  # no size at all
        ("Transfer-Encoding: chunked\r\n", b"2\r\nhello\r\n0\r\n\r\n"),  # a chunk longer than its size
        ("Transfer-Encoding: chunked\r\n", b"0" * 9000 + b"5\r\nhello\r\n0\r\n\r\n"),  # an endless size line
        ("Transfer-Encoding: gzip\r\n", b"hello"),
        ("Transfer-Encoding: gzip, chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n"),
        ("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n"),
        ("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n"),
        ("Content-Length: five\r\n", b"hello"),
        ("Content-Length: -5\r\n", b"hello"),
        ("Content-Length: +5\r\n", b"hello"),
        ("Content-Length: 5\r\nContent-Length: 6\r\n", b"hello!"),
        ("Content-Length: 5, 6\r\n", b"hello!"),
    ],
)
def test_ambiguous_framing_is_a_400_envelope_and_nothing_after_it_is_read_as_a_request(
    headers: str, body: bytes
) -> None:
    with serving() as (port, stubs):
        raw = _exchange(port, _post(port, headers, body) + _get(port))  # the GET would be a smuggled request
        ran = _ran(stubs)
    ((status, response_headers, envelope),) = _responses(raw)
    assert status == 400
    assert envelope["code"] == 101
    assert envelope["message"].startswith("Bad Request: ")
    assert envelope["data"] is None
    assert response_headers["connection"] == "close"
    assert ran == 0


def test_chunked_bodies_reach_the_function_whole_and_the_next_request_is_served() -> None:
    body = b"5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
    with serving() as (port, stubs):
        raw = _exchange(port, _post(port, "Transfer-Encoding: chunked\r\n", body) + _get(port, "Connection: close\r\n"))
        (event,) = stubs["CreateDatasetFunction"].events
    assert [status for status, _, _ in _responses(raw)] == [200, 200]
    assert event["body"] == "hello world"


@pytest.mark.parametrize(
    "body",
    [
        b"%x\r\n" % (MAX_BODY + 1),  # refused as soon as the size is read
        b"%x\r\n%s\r\n1\r\nx\r\n0\r\n\r\n" % (MAX_BODY, b"x" * MAX_BODY),  # 10 MB, then one byte more
    ],
)
def test_the_10_mb_limit_applies_to_chunked_bodies(body: bytes) -> None:
    with serving() as (port, stubs):
        raw = _exchange(port, _post(port, "Transfer-Encoding: chunked\r\n", body))
        ran = _ran(stubs)
    ((status, _, envelope),) = _responses(raw)
    assert (status, envelope["code"]) == (413, 101)
    assert ran == 0


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET /api/v1/datasets HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(120)) + b"\r\n", 431),
        (b"GET /api/v1/datasets HTTP/1.1\r\nX: " + b"y" * 70000 + b"\r\n\r\n", 431),
        (b"this is not HTTP\r\n\r\n", 400),
        (b"GET /api/v1/datasets HTTP/2.0\r\n\r\n", 505),
    ],
)
def test_what_http_server_refuses_by_itself_is_enveloped_too(request_bytes: bytes, status: int) -> None:
    with serving() as (port, _):
        ((answered, headers, envelope),) = _responses(_exchange(port, request_bytes))
    assert answered == status
    assert headers["content-type"] == "application/json"
    assert set(envelope) == {"code", "message", "data"}


# ---- Host ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1:{port}", 200),
        ("localhost:{port}", 200),
        ("LocalHost:{port}", 200),
        ("[::1]:{port}", 200),
        ("attacker.example:{port}", 403),  # a page on attacker.example whose name now resolves to 127.0.0.1
        ("attacker.example", 403),
        ("127.0.0.1", 403),  # not this port
        ("127.0.0.1:1", 403),
        ("127.0.0.1:{port}.attacker.example", 403),
        ("", 403),
    ],
)
def test_only_this_servers_own_host_is_answered(host: str, status: int) -> None:
    with serving() as (port, stubs):
        request = (
            f"GET /api/v1/datasets HTTP/1.1\r\nHost: {host.format(port=port)}\r\nAuthorization: Bearer {STUB_KEY}\r\n"
        )
        ((answered, _, envelope),) = _responses(_exchange(port, request.encode() + b"Connection: close\r\n\r\n"))
        ran = _ran(stubs)
    assert answered == status
    if status == 403:
        assert envelope["code"] == 101
        assert envelope["message"].startswith("Forbidden: this local API answers to Host 127.0.0.1:")
        assert ran == 0


@pytest.mark.parametrize("hosts", [[], ["127.0.0.1:{port}", "127.0.0.1:{port}"]])
def test_a_request_without_exactly_one_host_is_400(hosts: list[str]) -> None:
    with serving() as (port, stubs):
        lines = "".join(f"Host: {h.format(port=port)}\r\n" for h in hosts)
        request = f"GET /api/v1/datasets HTTP/1.1\r\n{lines}Authorization: Bearer {STUB_KEY}\r\n\r\n"
        ((answered, _, envelope),) = _responses(_exchange(port, request.encode()))
        ran = _ran(stubs)
    assert (answered, envelope["code"], ran) == (400, 101, 0)


# ---- connections ---------------------------------------------------------------------------------------------


def test_a_burst_of_connections_waits_in_the_backlog_rather_than_being_dropped() -> None:
    """Before the server accepts anything, 100 clients connect at once: the kernel must queue every one."""
    gateway, stubs = stub_gateway()
    server = local_api.HttpServer(0, gateway)  # listening, not yet accepting
    port = server.server_address[1]
    clients = [socket.socket() for _ in range(BURST)]
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    try:
        for client in clients:
            client.setblocking(False)
            client.connect_ex(("127.0.0.1", port))
        pending, deadline = set(clients), time.monotonic() + 2
        while pending and time.monotonic() < deadline:
            _, writable, _ = select.select([], list(pending), [], 0.1)
            pending -= set(writable)
        connected = [c for c in clients if c not in pending and not c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)]
        assert len(connected) == BURST
        serving.start()
        for client in connected:
            client.setblocking(True)
            client.settimeout(10)
            client.sendall(_get(port, "Connection: close\r\n"))
        statuses = []
        for client in connected:
            raw = b""
            while chunk := client.recv(65536):
                raw += chunk
            statuses += [status for status, _, _ in _responses(raw)]
        assert statuses == [200] * BURST
        assert _ran(stubs) == BURST
    finally:
        for client in clients:
            client.close()
        if serving.is_alive():
            server.shutdown()
        server.server_close()


def test_an_idle_connection_is_closed_after_the_idle_timeout() -> None:
    with serving(idle_timeout=0.3) as (port, _):
        for first in (b"", _get(port)):  # a fresh connection, and a kept-alive one after its request
            started = time.monotonic()
            raw = _exchange(port, first, timeout=5)
            assert time.monotonic() - started < 2
            assert len(_responses(raw)) == (1 if first else 0)


def test_a_client_that_trickles_its_request_is_cut_off_after_the_request_timeout() -> None:
    """A byte every 0.1 s never leaves the socket idle, but the whole request has 0.5 s."""
    with serving(request_timeout=0.5) as (port, stubs):
        request = _post(port, "Content-Length: 20\r\n", b'{"name":"slow-loris"}'[:20])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            started = time.monotonic()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                for byte in request:
                    conn.sendall(bytes([byte]))
                    if conn in select.select([conn], [], [], 0.1)[0]:
                        break  # the server closed the connection
            with contextlib.suppress(ConnectionResetError):
                assert conn.recv(65536) == b""
            elapsed = time.monotonic() - started
        ran = _ran(stubs)
    assert 0.4 < elapsed < 3
    assert ran == 0

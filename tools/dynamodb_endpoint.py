"""The local API's embedded DynamoDB, served over HTTP as a DynamoDB endpoint (``make run`` prints its URL).

Three clients need the local API's data from outside its process, while it runs and owns the state folder:
``sam local invoke``/``start-api`` in Docker (``events/env.json`` points the functions here), ``tools.invoke``,
and the functions of the built artifact, which run in Python 3.13 processes of their own (``tools.lambda_runtime``).

moto ships a standalone server, but it would answer from moto's backends directly, past the lock that makes each
request atomic and past the journal that makes each acknowledged write durable (``tools.embedded_dynamodb``). So
each HTTP request here is handed, as it came, to the same in-process dispatch botocore's own requests take:
atomic, journaled, and answered only once what it wrote is on disk. moto's answer goes back byte for byte.

Like the local API, it listens on loopback only and answers only to its own ``Host`` (a web page elsewhere cannot
reach it by pointing a name at 127.0.0.1); ``host.docker.internal`` is also accepted, for containers. It serves the
one region the embedded database lives in, whatever region a client signs its requests for.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from botocore.awsrequest import AWSPreparedRequest
from botocore.compat import HTTPHeaders
from moto.core.models import botocore_stubber

from tools.embedded_dynamodb import UnrecordedOperationError
from tools.local_journal import JournalError

HOST = "127.0.0.1"
HOST_NAMES = ("127.0.0.1", "localhost", "[::1]", "host.docker.internal")
MAX_REQUEST = 16 * 1024 * 1024
"""Refused above this: a BatchWriteItem, DynamoDB's largest request, is at most 16 MB."""
_TARGET_PREFIX = "DynamoDB_20120810."
_FORWARDED = ("Content-Type", "X-Amz-Target", "Content-Encoding")


class DynamoDBEndpoint(ThreadingHTTPServer):
    """DynamoDB's JSON protocol on ``127.0.0.1:port`` for the embedded database of ``region``."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, port: int, region: str) -> None:
        super().__init__((HOST, port), _Handler)
        self.region = region

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}"

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, args=(0.2,), name="dynamodb-endpoint", daemon=True)
        thread.start()
        return thread


def _error(kind: str, message: str) -> bytes:
    return json.dumps({"__type": f"com.amazon.coral.validate#{kind}", "message": message}).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: DynamoDBEndpoint

    def version_string(self) -> str:
        return "local-dynamodb"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the functions' own logs say what they did."""

    def do_GET(self) -> None:
        """DynamoDB answers ``GET /`` with ``healthy: <endpoint>``: a cheap readiness check."""
        if self._foreign_host():
            return
        self._send(200, b"healthy: dynamodb." + self.server.region.encode() + b".amazonaws.com ", "text/plain")

    def do_POST(self) -> None:
        if self._foreign_host():
            return
        target = self.headers.get("X-Amz-Target", "")
        length = self.headers.get("Content-Length", "")
        if not target.startswith(_TARGET_PREFIX) or not length.isdigit():
            self.close_connection = True
            self._send(400, _error("ValidationException", "not a DynamoDB request (X-Amz-Target, Content-Length)"))
            return
        if int(length) > MAX_REQUEST:
            self.close_connection = True
            self._send(413, _error("ValidationException", f"request over {MAX_REQUEST} bytes"))
            return
        body = self.rfile.read(int(length))
        operation = target.removeprefix(_TARGET_PREFIX)
        headers = HTTPHeaders()
        for name in _FORWARDED:  # no Authorization: moto then serves its default account, as the embedded one
            if self.headers.get(name) is not None:
                headers[name] = str(self.headers.get(name))
        request = AWSPreparedRequest(
            method="POST",
            url=f"https://dynamodb.{self.server.region}.amazonaws.com/",
            headers=headers,
            body=body,
            stream_output=False,
        )
        try:
            response = botocore_stubber(f"before-send.dynamodb.{operation}", request)
        except UnrecordedOperationError as error:
            self._send(400, _error("ValidationException", str(error)))
            return
        except JournalError as error:  # nothing more is acknowledged until the local API restarts
            self._send(500, _error("InternalServerError", str(error)))
            return
        if response is None:  # moto is not running: the local API is shutting down
            self._send(503, _error("ServiceUnavailable", "the local API is stopping"))
            return
        content_type = response.headers.get("Content-Type", "application/x-amz-json-1.0")
        extra = [(k, v) for k, v in response.headers.items() if k.lower() in {"x-amz-crc32", "x-amzn-requestid"}]
        self._send(response.status_code, response.content, content_type, extra)

    def _foreign_host(self) -> bool:
        port = self.server.server_address[1]
        host = (self.headers.get("Host") or "").strip().lower()
        if host in {f"{name}:{port}" for name in HOST_NAMES}:
            return False
        self.close_connection = True
        self._send(403, _error("AccessDeniedException", f"this endpoint answers to Host 127.0.0.1:{port}"))
        return True

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/x-amz-json-1.0",
        extra: list[tuple[str, str]] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in extra or []:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

"""The real handlers, called in this process, and every DynamoDB call they make, seen from botocore.

The benchmarks go through the handlers' interface (API Gateway events from ``events/``, Lambda's context), not
through the shared layer's functions, so a restructuring of the layer does not touch them. The calls are seen
where every botocore client passes: ``BaseClient._make_api_call`` (operation, parameters, parsed answer), and
``Endpoint._send`` plus ``convert_to_response_dict`` (request sent to reply read: time waiting for DynamoDB).
``Recorder(fake_writes=True)`` answers writes itself: a handler's writes are captured to be replayed elsewhere
(seeding, the cold-start floor) without changing the table.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from types import ModuleType, SimpleNamespace, TracebackType
from typing import Any

from botocore import endpoint
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from bench.common import BENCH_KEY, ROOT, TENANT
from tools import load_module

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
ORIGINAL = (BaseClient._make_api_call, endpoint.Endpoint._send, endpoint.convert_to_response_dict)  # type: ignore[attr-defined]


@dataclass
class Call:
    operation: str
    params: dict[str, Any]
    answer: dict[str, Any]  # the parsed reply, or the error's
    ms: float  # inside botocore: serialising, waiting, parsing
    wire_ms: float  # request sent to reply read
    start: float = 0.0  # perf_counter at the call's start: calls in flight together wait once

    @property
    def items(self) -> int:
        """Items the call returned."""
        found = self.answer.get("Responses")
        if isinstance(found, dict):
            return sum(len(v) for v in found.values())
        return len(self.answer.get("Items", [])) + ("Item" in self.answer)


@dataclass
class Recorder:
    """``with Recorder() as rec:`` every DynamoDB call this process makes lands in ``rec.calls``."""

    fake_writes: bool = False
    latency: float = 0.0  # seconds each call waits first, the GIL released, as a network wait would (``overlapped``)
    calls: list[Call] = field(default_factory=list)
    spans: list[tuple[float, float]] = field(default_factory=list)  # each send and reply read, of every thread
    _wire: threading.local = field(default_factory=threading.local)  # the wire time of this thread's call

    def __enter__(self) -> Recorder:
        call, send, read = ORIGINAL

        def recorded(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            if client.meta.service_model.service_name != "dynamodb":
                return call(client, operation, params)
            self._wire.ms, started, answer = 0.0, time.perf_counter(), dict[str, Any]()
            time.sleep(self.latency)
            try:
                answer = {} if self.fake_writes and operation in WRITES else call(client, operation, params)
                return answer
            except ClientError as error:
                answer = dict(error.response)
                raise
            finally:
                spent = (time.perf_counter() - started) * 1000
                self.calls.append(Call(operation, params, answer, spent, self._wire.ms, started))

        def timed(original: Any) -> Any:
            def wrapper(*args: Any) -> Any:
                started = time.perf_counter()
                try:
                    return original(*args)
                finally:
                    self.spans.append(span := (started, time.perf_counter()))
                    self._wire.ms += (span[1] - span[0]) * 1000

            return wrapper

        BaseClient._make_api_call = recorded  # type: ignore[attr-defined]
        endpoint.Endpoint._send, endpoint.convert_to_response_dict = timed(send), timed(read)  # type: ignore[attr-defined]
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        BaseClient._make_api_call, endpoint.Endpoint._send, endpoint.convert_to_response_dict = ORIGINAL  # type: ignore[attr-defined]


def overlapped(spans: list[tuple[float, float]]) -> tuple[int, float]:
    """Round trips of latency (spans that overlap, calls issued together, count once) and the ms they cover.
    In-process moto holds the GIL through a call: record with a ``latency`` for calls to overlap as on a network."""
    groups, covered, end = 0, 0.0, float("-inf")
    for start, stop in sorted(spans):
        groups += start >= end
        covered += max(0.0, stop - max(start, end))
        end = max(end, stop)
    return groups, covered * 1000


def raw(client: BaseClient, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """A call no ``Recorder`` sees (the benchmark's own)."""
    return dict(ORIGINAL[0](client, operation, params))


_loaded: dict[str, ModuleType] = {}


def invoke(function: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) of one request to ``functions/<function>/app.py``; the authorizer's Allow is 200."""
    answer = proxy(function, request)
    if function == "authorizer":
        allowed = answer.get("policyDocument", {}).get("Statement", [{}])[0].get("Effect") == "Allow"
        return (200 if allowed and answer.get("principalId") == TENANT else 401), answer
    return int(answer["statusCode"]), json.loads(answer["body"])


def proxy(function: str, request: dict[str, Any]) -> dict[str, Any]:
    """What the handler returns to Lambda (for a route, the proxy response)."""
    if function not in _loaded:
        _loaded[function] = load_module(ROOT / "functions" / function / "app.py", f"bench_fn_{function}")
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function}"
    context = SimpleNamespace(
        function_name=function, memory_limit_in_mb=512, invoked_function_arn=arn, aws_request_id="1"
    )
    return dict(_loaded[function].lambda_handler(request, context))


def event(
    name: str,
    *,
    tenant: str = TENANT,
    body: Any = None,
    dataset_id: str | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``events/<name>.json`` for ``tenant`` (as the authorizer says), with a body, path id or query."""
    found: dict[str, Any] = json.loads((ROOT / "events" / f"{name}.json").read_text())
    if name.startswith("authorizer"):
        return found | {"authorizationToken": f"Bearer {BENCH_KEY}"}
    found["requestContext"]["authorizer"].update(principalId=tenant, tenant_id=tenant)
    if body is not None:
        found["body"] = json.dumps(body)
    if dataset_id is not None:
        found["pathParameters"] = {"dataset_id": dataset_id}
        found["path"] = found["path"].rsplit("/", 1)[0] + "/" + dataset_id
    if query is not None:
        found["queryStringParameters"] = query
        found["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    return found

# ruff: noqa: PLC0415 - moto loads inside the section
"""DynamoDB round trips, capacity units and log bytes per request, both API generations, on in-process moto.

The real handlers are fed ``events/`` files; ``harness.Recorder`` sees each DynamoDB call. Each reply is
checked (status 200; on lists, ``total_datasets`` equal to the tenant's real count), so a count from a
failed request is an ERROR, never a pass. ``tests/test_bench_smoke.py`` runs ``measure()``.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any, NamedTuple

import boto3

from bench import capacity, harness, seed
from bench.common import FAKE_AWS, FUNCTIONS, TENANT, table, template_env, verdict
from bench.harness import event
from tools import template

TITLE = "DynamoDB round trips per request"
ABOUT = (
    "Each request is a real handler fed an `events/` file, in-process on moto (atomic per request, as the tests "
    "run it), a tenant of 150 datasets. Calls are counted where every botocore client passes; read and write "
    "units are computed from the items sent and read by AWS's rules (`bench/capacity.py`), since moto's "
    "`ConsumedCapacity` is a placeholder (second table). Log bytes: what our Powertools logger and Metrics "
    "printed for the request. *Round trips of latency*: calls that overlap in time count once (each call "
    "first waits 2 ms, the GIL released, as on a network). Command: `python -m bench.run --only roundtrips`."
)


MAX_RESPONSE_BYTES = 6 * 1024 * 1024  # Lambda quotas: a synchronous invocation's response payload, 6 MB
NEW, KEEP, FRESH, TAKEN, TOKEN = "<new name>", "<kept id>", "<fresh id>", "<taken name>", "<page 1 token>"


@dataclass
class Fixture:
    datasets: list[tuple[str, str]]  # (id, name), oldest first
    count: int  # the tenant's datasets now
    token: str = ""  # next_page_token of the first page
    serial: int = 0

    def fill(self, value: Any) -> Any:
        """``value`` with each placeholder replaced (a new name, a dataset nobody deletes, one for a delete...)."""
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        self.serial += 1
        middle = self.datasets[len(self.datasets) // 2]
        found = {NEW: f"n{self.serial}", KEEP: middle[0], TAKEN: self.datasets[0][1], TOKEN: self.token}
        return self.datasets.pop()[0] if value == FRESH else found.get(value, value)


class Scenario(NamedTuple):
    api: str  # "seed" (/api/v1/dataset), "current" (/api/v1/datasets) or "auth"
    description: str
    target: int | None  # most round trips allowed; None: reported, no target
    event: str  # the events/ file
    send: dict[str, Any]  # body, dataset_id, query (with placeholders)

    @property
    def function(self) -> str:
        return next(f for f in FUNCTIONS if f.startswith(self.event.split("_")[0]))


@dataclass
class Row:
    api: str
    description: str
    function: str
    target: int | None
    status: str  # "pass", "FAIL", "info" or "ERROR"
    detail: str = ""
    calls: dict[str, int] = field(default_factory=dict)
    total: int = 0
    waits: int = 0
    read_units: float = 0.0
    write_units: float = 0.0
    log_bytes: int = 0


def _query(**query: str) -> dict[str, Any]:
    return {"query": query}


def scenarios() -> list[Scenario]:
    s, lst, get = Scenario, "list_datasets_restful", {"dataset_id": KEEP}
    rename, describe = get | {"body": {"name": NEW}}, get | {"body": {"description": NEW}}
    taken, cursor = {"body": {"name": TAKEN}}, _query(page_size="30", page_token=TOKEN)
    return [
        s("auth", "TOKEN authorizer, valid key", 1, "authorizer_bearer", {}),
        s("seed", "POST /dataset", 1, "create_dataset_legacy", {"body": {"dataset_name": NEW}}),
        s("seed", "GET /dataset?count=100 (one page, default order)", 1, "list_datasets_legacy", _query(count="100")),
        s("seed", "GET /dataset (count=-1: all, at most 1000)", None, "list_datasets_legacy", {}),
        s("seed", "GET /dataset/{id}", 1, "get_dataset_legacy", get),
        s("seed", "PUT /dataset/{id} (description)", 2, "update_dataset_legacy", describe),
        s("seed", "PUT /dataset/{id} (rename)", 2, "update_dataset_legacy", rename),
        s("seed", "DELETE /dataset/{id}", 2, "delete_dataset_legacy", {"dataset_id": FRESH}),
        s("current", "POST /datasets", 1, "create_dataset_restful", {"body": {"name": NEW}}),
        s("current", "POST /datasets, name taken (auto-rename to name(1))", None, "create_dataset_restful", taken),
        s("current", "GET /datasets (page 1, page_size 30, default order)", 1, lst, _query(page="1", page_size="30")),
        s("current", "GET /datasets?page_size=100 (default order)", 1, lst, _query(page_size="100")),
        s("current", "GET /datasets?page=2 (offset paging)", None, lst, _query(page="2", page_size="30")),
        s("current", "GET /datasets?page_token=... (cursor, page 2)", None, lst, cursor),
        s("current", "GET /datasets?orderby=update_time", None, lst, _query(orderby="update_time")),
        s("current", "GET /datasets/{id}", 1, "get_dataset_restful", get),
        s("current", "PUT /datasets/{id} (description)", 2, "update_dataset_restful", describe),
        s("current", "PUT /datasets/{id} (rename)", 2, "update_dataset_restful", rename),
        s("current", "DELETE /datasets {ids: [1 id]}", 2, "delete_dataset_restful", {"body": {"ids": [FRESH]}}),
        s("current", "DELETE /datasets {ids: [3 ids]}", None, "delete_dataset_restful", {"body": {"ids": [FRESH] * 3}}),
    ]


class LogBytes(logging.Handler):
    """Bytes the handlers' Powertools logger writes, formatted by its own formatter."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.logger = logging.getLogger(template_env()["POWERTOOLS_SERVICE_NAME"])
        self.setFormatter(self.logger.handlers[0].formatter)
        self.logger.addHandler(self)
        self.bytes = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.bytes += len(self.format(record).encode()) + 1


@contextlib.contextmanager
def in_process_table(table_name: str = "bench-roundtrips") -> Iterator[Any]:
    """A fresh moto table in this process, each request atomic, that the handlers use; a client on it."""
    from moto import mock_aws

    from tools.embedded_dynamodb import serialize_requests

    saved = dict(os.environ)
    serialize_requests()
    try:
        with mock_aws():
            seed.use_table(None, table_name)
            client = boto3.client("dynamodb", region_name=FAKE_AWS["AWS_DEFAULT_REGION"])
            client.create_table(**template.table_definition(table_name))
            yield client
    finally:
        os.environ.clear()
        os.environ.update(saved)
        seed.forget_table()


def _run(scenario: Scenario, fx: Fixture, client: Any, log: LogBytes) -> Row:
    row = Row(scenario.api, scenario.description, scenario.function, scenario.target, "ERROR")
    send = fx.fill(scenario.send)
    log.bytes, printed = 0, io.StringIO()
    with harness.Recorder(latency=0.002) as recorder, contextlib.redirect_stdout(printed):
        try:
            status, body = harness.invoke(scenario.function, event(scenario.event, **send))
        except Exception as error:
            row.detail = f"{type(error).__name__}: {error}"
            return row
    if status == 200 and scenario.function in {"create_dataset", "delete_dataset"}:
        fx.count += 1 if scenario.function == "create_dataset" else -len(send.get("body", {}).get("ids", [0]))
    if status != 200:
        row.detail = f"HTTP {status}: {body.get('message')}"
    elif body.get("total_datasets", fx.count) != fx.count:
        row.detail = f"total_datasets {body['total_datasets']} != {fx.count}"
    row.calls, row.total = dict(Counter(c.operation for c in recorder.calls)), len(recorder.calls)
    row.waits = harness.overlapped([(c.start, c.start + c.ms / 1000) for c in recorder.calls])[0]
    row.read_units, row.write_units = capacity.request_units(recorder.calls, partial(harness.raw, client))
    row.log_bytes = log.bytes + len(printed.getvalue().encode())
    if not row.detail:
        row.status = "info" if scenario.target is None else ("pass" if row.total <= scenario.target else "FAIL")
    return row


def measure(tenant_size: int = 150) -> list[Row]:
    """Every scenario once, on a tenant holding ``tenant_size`` datasets; one row each."""
    with in_process_table() as client:
        seed.register_key(TENANT)
        fx = Fixture(seed.seed_datasets(client, TENANT, {"bench-roundtrips": tenant_size}), tenant_size)
        fx.token = harness.invoke("list_datasets", event("list_datasets_restful"))[1]["next_page_token"]
        log = LogBytes()
        try:
            return [_run(scenario, fx, client, log) for scenario in scenarios()]
        finally:
            log.logger.removeHandler(log)


def moto_placeholder() -> list[str]:
    """moto's ``ConsumedCapacity`` for a tiny and a 40 KB item, against the units by AWS's rules."""
    rows = []
    with in_process_table("bench-capacity") as client:
        for label, size in (("tiny item", 10), ("40 KB item", 40_000)):
            item = {"pk": {"S": "BENCH#capacity"}, "sk": {"S": label}, "blob": {"S": "x" * size}}
            key = {"pk": item["pk"], "sk": item["sk"]}
            base: dict[str, Any] = {"TableName": "bench-capacity", "ReturnConsumedCapacity": "TOTAL"}
            for op, sent in (("PutItem", {"Item": item}), ("GetItem", {"Key": key, "ConsistentRead": True})):
                params = base | sent
                answer = harness.raw(client, op, params)
                units = capacity.request_units([harness.Call(op, params, answer, 0, 0)], partial(harness.raw, client))
                rows.append(f"{op}, {label} | {answer['ConsumedCapacity']['CapacityUnits']} | {max(units):g}")
    return rows


def largest_listings(count: int) -> tuple[list[str], list[str]]:
    """Every page of each list route for a tenant of ``count`` datasets near the largest storable, in emoji
    (4 bytes stored, 12 in Lambda's ASCII-escaped JSON of the response): (rows, targets)."""
    rows, targets = [], []
    with in_process_table("bench-largest"), contextlib.redirect_stdout(io.StringIO()):  # its metrics
        for i in range(count):
            made = event("create_dataset_restful", body={"name": f"huge{i}", "description": "\U0001f600" * 50000})
            assert harness.invoke("create_dataset", made)[0] == 200
        walks: dict[str, tuple[str, dict[str, str], str]] = {  # label: (event, first query, how it continues)
            "restful, offset page 1": ("list_datasets_restful", {}, ""),
            "restful, page_size=1 then page_token pages (page_size=100)":
                ("list_datasets_restful", {"page_size": "1"}, "t"),
            "legacy, offset by the count received": ("list_datasets_legacy", {}, "o"),
        }  # fmt: skip
        for label, (name, query, walk) in walks.items():
            sizes, statuses, seen, next_query = [], set(), 0, dict(query)
            while True:
                answer = harness.proxy("list_datasets", event(name, query=next_query))
                body = json.loads(answer["body"])
                sizes.append(len(json.dumps(answer).encode()))
                statuses.add(f"{answer['statusCode']}/{body['code']}")
                seen += len(body.get("data") or [])
                if walk == "t" and body.get("next_page_token"):
                    next_query = {"page_token": body["next_page_token"], "page_size": "100"}
                elif walk == "o" and body.get("data"):
                    next_query = {"offset": str(seen)}
                else:
                    break
            fits = max(sizes) <= MAX_RESPONSE_BYTES
            rows.append(f"{label} | {len(sizes)} | {'/'.join(sorted(statuses))} | {seen} | {max(sizes):,} | "
                        f"{verdict(fits)}")  # fmt: skip
            targets.append(f"largest list response, {count} largest datasets, {label} | {max(sizes):,} B | "
                           f"≤ {MAX_RESPONSE_BYTES:,} B (6 MB) | {verdict(fits)}")  # fmt: skip
    return rows, targets


def section(smoke: bool) -> dict[str, Any]:
    rows, marks = measure(), {"info": "-", "ERROR": "**ERROR**", "pass": verdict(True), "FAIL": verdict(False)}
    cells = [
        f"{r.api} | {r.description} | {', '.join(f'{k} {v}' for k, v in sorted(r.calls.items()))} | **{r.total}** | "
        f"{r.waits} | "
        f"{'-' if r.target is None else f'≤ {r.target}'} | {marks[r.status]} | {r.read_units:g} | {r.write_units:g} | "
        f"{r.log_bytes} | {r.detail[:80].replace('|', '/')}"
        for r in rows
    ]
    columns = (
        "API | request | calls | total | round trips of latency | target | result | RRU | WRU | log bytes | problem"
    )
    moto = table("moto's ConsumedCapacity is a placeholder", "call | moto says | by AWS's rules", moto_placeholder())
    targets = [f"round trips: {r.api} {r.description} | {r.total} | ≤ {r.target} | {marks[r.status]}" for r in rows]
    extra = [f"write units: {r.api} {r.description} | {r.write_units:g} | ≤ 8 | {verdict(r.write_units <= 8)}"
             for r in rows if r.description in {"POST /dataset", "POST /datasets"}]  # fmt: skip
    extra += [f"round trips of latency: {r.api} {r.description} | {r.waits} | ≤ 1 | {verdict(r.waits <= 1)}"
              for r in rows if r.function == "list_datasets" and r.status != "ERROR"]  # fmt: skip
    largest, fit = largest_listings(4 if smoke else 16)
    head = "route | responses | status/code | datasets listed | largest Lambda payload, bytes | ≤ 6 MB"
    limits = table("Listings of a tenant filled to every field limit (Lambda's 6 MB response)", head, largest)
    return {
        "tables": [table("Calls, units and log bytes per request", columns, cells), moto, limits],
        "targets": [t for t, r in zip(targets, rows, strict=True) if r.target is not None] + extra + fit,
        "data": {"rows": [asdict(r) for r in rows]},
    }

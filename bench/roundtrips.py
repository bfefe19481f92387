# ruff: noqa: PLC0415 - imports wait until the environment (table, endpoint) is set, or until needed
"""Issue 6.2: DynamoDB round trips per request, both API generations, counted in-process on moto.

Every call the shared layer's boto3 client makes fires botocore's ``before-call.dynamodb`` event; a hook
on it counts the calls of one handler invocation by operation. The handlers are the real
``functions/<name>/app.py``, fed ``events/`` files; the table is built from the template's definition on
in-process moto, with each request made atomic as the tests do (DESIGN §7). Each scenario also checks its
reply, so a count from a failed request is never reported as a pass.

``measure()`` is what ``tests/test_bench_smoke.py`` runs; ``python -m bench.roundtrips --out R.json`` too.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import logging
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from types import ModuleType
from typing import Any

from bench import capacity, seed
from bench.common import BENCH_KEY, FAKE_AWS, ROOT, TENANT, load_event, write_json
from tools import load_module

TABLE = "bench-roundtrips"


@dataclass
class Scenario:
    api: str  # "seed" (/api/v1/dataset), "current" (/api/v1/datasets) or "auth"
    operation: str
    description: str
    function: str
    target: int | None  # most round trips allowed; None: reported, no target
    event: Callable[[Fixture], dict[str, Any]]
    check: Callable[[dict[str, Any]], str | None] = lambda _: None  # a problem with the reply, or None


@dataclass
class Row:
    api: str
    operation: str
    description: str
    function: str
    calls: dict[str, int]
    total: int
    target: int | None
    status: str  # "pass", "FAIL", "info" or "ERROR"
    detail: str = ""
    log_bytes: int = 0
    items: dict[str, int] = field(default_factory=dict)
    read_units: float = 0.0
    write_units: float = 0.0


@dataclass
class Fixture:
    datasets: list[Any]  # the tenant's datasets, oldest first
    serial: int = 0
    first_page_token: str = ""  # next_page_token of the first page of GET /datasets

    def name(self, kind: str) -> str:
        self.serial += 1
        return f"{kind}-{self.serial}-{uuid.uuid4().hex[:6]}"

    def pick(self) -> str:
        """A dataset id nobody deletes (the delete scenarios make their own)."""
        return str(self.datasets[len(self.datasets) // 2].id)

    def fresh(self) -> str:
        return seed.create_dataset(TENANT, self.name("doomed"))


def route(
    name: str, *, body: Any = None, dataset_id: str | None = None, query: dict[str, str] | None = None
) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(load_event(name))
    event["requestContext"]["authorizer"].update(principalId=TENANT, tenant_id=TENANT)
    if body is not None:
        event["body"] = json.dumps(body)
    if dataset_id is not None:
        event["pathParameters"] = {"dataset_id": dataset_id}
        event["path"] = event["path"].rsplit("/", 1)[0] + "/" + dataset_id
    if query is not None:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    return event


def _authorizer_event(_: Fixture) -> dict[str, Any]:
    event = load_event("authorizer_bearer")
    event["authorizationToken"] = f"Bearer {BENCH_KEY}"
    return event


def _total_is_count(body: dict[str, Any]) -> str | None:
    """``total_datasets`` must be the tenant's real count (read after the request was counted)."""
    from dataset_core.storage import datasets as storage

    expected = storage.dataset_count(TENANT)
    if body.get("total_datasets") != expected:
        return f"total_datasets {body.get('total_datasets')} != {expected}"
    return None


def _page_token_event(fx: Fixture) -> dict[str, Any]:
    """The second page, reached through the first page's next_page_token."""
    return route("list_datasets_restful", query={"page_size": "30", "page_token": fx.first_page_token})


def scenarios() -> list[Scenario]:
    return [
        Scenario("auth", "authorize (cache miss)", "TOKEN authorizer, valid key", "authorizer", 1, _authorizer_event),
        # ---- seed API ----
        Scenario(
            "seed", "create", "POST /dataset", "create_dataset", 1,
            lambda fx: route("create_dataset_legacy", body={"dataset_name": fx.name("seed")}),
        ),
        Scenario(
            "seed", "list", "GET /dataset?count=100 (one page, default order)", "list_datasets", 1,
            lambda fx: route("list_datasets_legacy", query={"offset": "0", "count": "100"}),
        ),
        Scenario(
            "seed", "list", "GET /dataset (count=-1: all, at most 1000)", "list_datasets", None,
            lambda fx: route("list_datasets_legacy"),
        ),
        Scenario(
            "seed", "get", "GET /dataset/{id}", "get_dataset", 1,
            lambda fx: route("get_dataset_legacy", dataset_id=fx.pick()),
        ),
        Scenario(
            "seed", "update", "PUT /dataset/{id} (description)", "update_dataset", 2,
            lambda fx: route("update_dataset_legacy", dataset_id=fx.pick(), body={"description": fx.name("d")}),
        ),
        Scenario(
            "seed", "update", "PUT /dataset/{id} (rename)", "update_dataset", 2,
            lambda fx: route("update_dataset_legacy", dataset_id=fx.pick(), body={"name": fx.name("renamed")}),
        ),
        Scenario(
            "seed", "delete", "DELETE /dataset/{id}", "delete_dataset", 2,
            lambda fx: route("delete_dataset_legacy", dataset_id=fx.fresh()),
        ),
        # ---- current API ----
        Scenario(
            "current", "create", "POST /datasets", "create_dataset", 1,
            lambda fx: route("create_dataset_restful", body={"name": fx.name("cur")}),
        ),
        Scenario(
            "current", "create", "POST /datasets, name taken (auto-rename to name(1))", "create_dataset", None,
            lambda fx: route("create_dataset_restful", body={"name": fx.datasets[0].name}),
        ),
        Scenario(
            "current", "list", "GET /datasets (page 1, page_size 30, default order)", "list_datasets", 1,
            lambda fx: route("list_datasets_restful", query={"page": "1", "page_size": "30"}),
            _total_is_count,
        ),
        Scenario(
            "current", "list", "GET /datasets?page_size=100 (default order)", "list_datasets", 1,
            lambda fx: route("list_datasets_restful", query={"page_size": "100"}),
            _total_is_count,
        ),
        Scenario(
            "current", "list", "GET /datasets?page=2 (offset paging)", "list_datasets", None,
            lambda fx: route("list_datasets_restful", query={"page": "2", "page_size": "30"}),
            _total_is_count,
        ),
        Scenario(
            "current", "list", "GET /datasets?page_token=... (cursor, page 2)", "list_datasets", None,
            _page_token_event,
            _total_is_count,
        ),
        Scenario(
            "current", "list", "GET /datasets?orderby=update_time", "list_datasets", None,
            lambda fx: route("list_datasets_restful", query={"orderby": "update_time"}),
            _total_is_count,
        ),
        Scenario(
            "current", "get", "GET /datasets/{id}", "get_dataset", 1,
            lambda fx: route("get_dataset_restful", dataset_id=fx.pick()),
        ),
        Scenario(
            "current", "update", "PUT /datasets/{id} (description)", "update_dataset", 2,
            lambda fx: route("update_dataset_restful", dataset_id=fx.pick(), body={"description": fx.name("d")}),
        ),
        Scenario(
            "current", "update", "PUT /datasets/{id} (rename)", "update_dataset", 2,
            lambda fx: route("update_dataset_restful", dataset_id=fx.pick(), body={"name": fx.name("renamed")}),
        ),
        Scenario(
            "current", "delete", "DELETE /datasets {ids: [1 id]}", "delete_dataset", 2,
            lambda fx: route("delete_dataset_restful", body={"ids": [fx.fresh()]}),
        ),
        Scenario(
            "current", "delete", "DELETE /datasets {ids: [3 ids]}", "delete_dataset", None,
            lambda fx: route("delete_dataset_restful", body={"ids": [fx.fresh(), fx.fresh(), fx.fresh()]}),
        ),
    ]  # fmt: skip


# ---- counting -----------------------------------------------------------------------------------------------


class CallCounter:
    """DynamoDB calls by operation, the items they returned and the capacity units they consumed, from
    the client's own events."""

    def __init__(self, client: Any, dataset_bytes: int) -> None:
        self.calls: Counter[str] = Counter()
        self.items: Counter[str] = Counter()
        self.units = capacity.Units()
        self.dataset_bytes = dataset_bytes
        self._params: dict[str, Any] = {}
        client.meta.events.register("before-call.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def _before(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.calls[str(model.name)] += 1
        self._params = params

    def _after(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        self.units += capacity.call_units(str(model.name), self._wire_params(), parsed, self.dataset_bytes)
        if "Items" in parsed:
            self.items[str(model.name)] += len(parsed["Items"])
        elif "Responses" in parsed and isinstance(parsed["Responses"], dict):
            self.items[str(model.name)] += sum(len(v) for v in parsed["Responses"].values())
        elif "Item" in parsed:
            self.items[str(model.name)] += 1

    def _wire_params(self) -> dict[str, Any]:
        """The request as sent: ``before-call`` hands over the serialized body's parameters."""
        body = self._params.get("body")
        if isinstance(body, bytes | str) and body:
            return dict(json.loads(body))
        return {}

    def take(self) -> tuple[dict[str, int], dict[str, int], capacity.Units]:
        calls, items, units = dict(self.calls), dict(self.items), self.units
        self.calls.clear()
        self.items.clear()
        self.units = capacity.Units()
        return calls, items, units


class LogBytes(logging.Handler):
    """Bytes our Powertools logger would write (formatted by its own formatter), for the logging cost."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(formatter)
        self.bytes = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.bytes += len(self.format(record).encode()) + 1


@dataclass
class _Context:
    function_name: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id: str = "5d0fd0ad-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def load_function(name: str) -> ModuleType:
    return load_module(ROOT / "functions" / name / "app.py", f"bench_fn_{name}")


@contextlib.contextmanager
def in_process_table(table: str = TABLE) -> Iterator[Any]:
    """A fresh moto table (in-process, atomic per request) that ``dataset_core`` uses; all undone after."""
    from moto import mock_aws

    from tools import template
    from tools.embedded_dynamodb import serialize_requests

    saved = {k: os.environ.get(k) for k in [*FAKE_AWS, "TABLE_NAME", "DYNAMODB_ENDPOINT", "POWERTOOLS_TRACE_DISABLED"]}
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"  # in-process, outside Lambda: no X-Ray daemon to talk to
    serialize_requests()
    try:
        with mock_aws():
            seed.use_endpoint(None, table)
            from dataset_core.storage import client as storage

            client = storage.client()
            client.create_table(**template.table_definition(table))
            yield client
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        from dataset_core import config
        from dataset_core.storage import client as storage

        config.settings.cache_clear()
        storage.reset_client()


def moto_capacity_placeholder(client: Any) -> dict[str, float]:
    """What moto answers for ``ReturnConsumedCapacity="TOTAL"`` on a tiny and on a 40 KB item."""
    from dataset_core.config import settings

    table = settings().table_name
    out: dict[str, float] = {}
    for label, size in (("tiny item", 10), ("40 KB item", 40_000)):
        key = {"pk": {"S": "BENCH#capacity"}, "sk": {"S": label}}
        put = client.put_item(TableName=table, Item={**key, "blob": {"S": "x" * size}}, ReturnConsumedCapacity="TOTAL")
        got = client.get_item(TableName=table, Key=key, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
        out[f"PutItem {label}"] = float(put.get("ConsumedCapacity", {}).get("CapacityUnits", float("nan")))
        out[f"GetItem {label}"] = float(got.get("ConsumedCapacity", {}).get("CapacityUnits", float("nan")))
        client.delete_item(TableName=table, Key=key)
    return out


def measure(tenant_size: int = 150) -> list[Row]:
    """Every scenario once, on a tenant holding ``tenant_size`` datasets; one row each."""
    rows: list[Row] = []
    with in_process_table() as client:
        seed.register_key(TENANT)
        fixture = Fixture(seed.seed_datasets(TENANT, tenant_size, prefix="rt"))
        functions = {name: load_function(name) for name in sorted({s.function for s in scenarios()})}
        from dataset_core.storage import codec
        from dataset_core.storage import datasets as storage

        counter = CallCounter(client, capacity.item_size(codec.item(storage.dataset_attrs(fixture.datasets[0]))))
        from dataset_core.observability import logger

        log_bytes = LogBytes(logger.registered_formatter)
        logging.getLogger(logger.name).addHandler(log_bytes)
        first = functions["list_datasets"].lambda_handler(
            route("list_datasets_restful", query={"page_size": "30"}), _Context("list")
        )
        fixture.first_page_token = json.loads(first["body"])["next_page_token"]
        try:
            for scenario in scenarios():
                rows.append(_run(scenario, functions[scenario.function], fixture, counter, log_bytes))
        finally:
            logging.getLogger(logger.name).removeHandler(log_bytes)
    return rows


def _run(
    scenario: Scenario,
    function: ModuleType,
    fixture: Fixture,
    counter: CallCounter,
    log_bytes: LogBytes,
) -> Row:
    event = scenario.event(fixture)
    counter.take()  # the fixture's own writes (fresh datasets to delete) are not the handler's
    log_bytes.bytes = 0
    printed = io.StringIO()
    problem: str | None = None
    result: Any = None
    try:
        with contextlib.redirect_stdout(printed):
            result = function.lambda_handler(event, _Context(scenario.function))
    except Exception as error:
        problem = f"{type(error).__name__}: {error}"
    calls, items, units = counter.take()
    if problem is None and scenario.function == "authorizer":
        problem = None if result.get("principalId") == TENANT else f"authorizer answered {result}"
    elif problem is None:
        body = json.loads(result["body"])
        problem = f"HTTP {result['statusCode']}: {body.get('message')}" if result["statusCode"] != 200 else None
        problem = problem or scenario.check(body)
    total = sum(calls.values())
    if problem is not None:
        status = "ERROR"
    elif scenario.target is None:
        status = "info"
    else:
        status = "pass" if total <= scenario.target else "FAIL"
    return Row(
        api=scenario.api,
        operation=scenario.operation,
        description=scenario.description,
        function=scenario.function,
        calls=calls,
        total=total,
        target=scenario.target,
        status=status,
        detail=problem or "",
        log_bytes=log_bytes.bytes + len(printed.getvalue().encode()),
        items=items,
        read_units=units.read,
        write_units=units.write,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    rows = measure(tenant_size=150)
    with in_process_table() as client:
        placeholder = moto_capacity_placeholder(client)
    from pathlib import Path

    write_json(Path(args.out), {"rows": [asdict(r) for r in rows], "moto_capacity": placeholder})


if __name__ == "__main__":
    main()

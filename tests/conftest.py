"""Shared fixtures: an embedded DynamoDB built from template.yaml, the real handlers, the events/ files.

Tests are organised by layer, one folder each, and marked after it (``pytest -m unit`` ...):

    unit/      pure functions of the shared layer, table-driven
    handlers/  the real handlers fed API Gateway events, on moto (races, faults, hostile input, model-based)
    e2e/       over HTTP against the local API (``make run``'s server), the README, fuzzing, ragflow-sdk
    template/  template.yaml and openapi.json
    tooling/   the operator and developer tools: the key CLI, the embedded DynamoDB, the benchmarks
"""

from __future__ import annotations

import copy
import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": "datasets-test",
        "PAGE_TOKEN_SECRET": "tests-page-token-secret",  # a deployment's key outlives a reload of the settings
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "RagflowDatasetsTest",
    }
)
os.environ.pop("DYNAMODB_ENDPOINT", None)

from moto import mock_aws

from dataset_core import api_keys
from dataset_core.storage import client as storage
from dataset_core.storage import datasets as stored
from tools import load_module, template
from tools.embedded_dynamodb import serialize_requests

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
TENANT_A = "0f3c8a1e6d2b4f5a9c7e1b3d5f7a9c0e"  # the tenant in events/*.json
TENANT_B = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"


@contextmanager
def fresh_table() -> Iterator[Any]:
    """A fresh table, created from the template's own definition, on moto made atomic per request."""
    serialize_requests()
    with mock_aws():
        storage.reset_client()
        client = storage.client()
        client.create_table(**template.table_definition(os.environ["TABLE_NAME"]))
        yield client
    storage.reset_client()


@pytest.fixture
def table() -> Iterator[Any]:
    with fresh_table() as client:
        yield client


_modules: dict[str, ModuleType] = {}


def fresh_function(name: str, instance: str = "") -> ModuleType:
    """A new import of ``functions/<name>/app.py``: what one more Lambda execution environment would load."""
    return load_module(ROOT / "functions" / name / "app.py", f"fn_{name}{instance}")


def function(name: str) -> ModuleType:
    """``functions/<name>/app.py``, imported once under a unique module name (they are all ``app``)."""
    if name not in _modules:
        _modules[name] = fresh_function(name)
    return _modules[name]


@dataclass
class LambdaContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "5d0fd0ad-0000-4000-8000-000000000000"


def load_event(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / f"{name}.json").read_text()))


def route_event(
    name: str,
    *,
    tenant: str | None = TENANT_A,
    body: Any = ...,
    raw_body: str | None = None,
    dataset_id: str | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An events/ file with the parts a test varies replaced."""
    event = copy.deepcopy(load_event(name))
    if tenant is None:
        event["requestContext"].pop("authorizer")
    else:
        event["requestContext"]["authorizer"].update(principalId=tenant, tenant_id=tenant)
    if body is not ...:
        event["body"] = json.dumps(body)
    if raw_body is not None:
        event["body"] = raw_body
    if dataset_id is not None:
        event["pathParameters"] = {"dataset_id": dataset_id}
        event["path"] = event["path"].rsplit("/", 1)[0] + "/" + dataset_id
    if query is not None:
        event["queryStringParameters"] = query or None
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
    if headers is not None:
        event["headers"] = headers
        event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    return event


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    raw: str
    headers: dict[str, Any]


def race(calls: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Run each (function, event) in its own thread and execution environment, all released together."""
    handlers = [fresh_function(name, f"_race{i}").lambda_handler for i, (name, _) in enumerate(calls)]
    barrier = threading.Barrier(len(calls))
    results: list[dict[str, Any]] = [{} for _ in calls]

    def run(i: int) -> None:
        barrier.wait()
        results[i] = handlers[i](calls[i][1], LambdaContext())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def invoke(function_name: str, event: dict[str, Any]) -> Reply:
    result = function(function_name).lambda_handler(event, LambdaContext(function_name=function_name))
    headers = {**(result.get("multiValueHeaders") or {}), **(result.get("headers") or {})}
    return Reply(result["statusCode"], json.loads(result["body"]), result["body"], headers)


def create(name: str, tenant: str = TENANT_A) -> Reply:
    return invoke("create_dataset", route_event("create_dataset_legacy", tenant=tenant, body={"dataset_name": name}))


def items(client: Any, tenant: str, prefix: str) -> list[dict[str, Any]]:
    """Raw items of one tenant's partition whose sort key starts with ``prefix``."""
    condition, values = "pk = :pk", {":pk": {"S": f"TENANT#{tenant}"}}
    if prefix:
        condition, values[":p"] = condition + " AND begins_with(sk, :p)", {"S": prefix}
    response = client.query(
        TableName=os.environ["TABLE_NAME"],
        KeyConditionExpression=condition,
        ExpressionAttributeValues=values,
        ConsistentRead=True,
    )
    return list(response["Items"])


def scan() -> list[dict[str, Any]]:
    """Every item of the table, raw, in a stable order: what the invariants are checked against."""
    client = storage.client()
    found: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": os.environ["TABLE_NAME"], "ConsistentRead": True}
    while True:
        response = client.scan(**request)
        found += response["Items"]
        if not response.get("LastEvaluatedKey"):
            return sorted(found, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def seed_datasets(client: Any, tenant: str, count: int, prefix: str = "bulk") -> None:
    """Write ``count`` consistent datasets (item + lock + counter) in bulk, oldest first.

    moto deep-copies the whole table for every transaction, so thousands of real creates would take
    minutes; batch writes of the very items ``stored.create_dataset`` writes take a second.
    """
    from dataset_core import datasets
    from dataset_core.dataset import Dataset
    from dataset_core.ids import new_id
    from dataset_core.storage.codec import item

    base = datasets.now_ms()
    requests = []
    for i in range(count):
        ds = Dataset(
            id=new_id(), tenant_id=tenant, created_by=tenant, name=f"{prefix}{i}", embd_id="BAAI/x",
            parser_config={}, create_time=base + i, update_time=base + i,
        )  # fmt: skip
        lock = {"pk": {"S": f"TENANT#{tenant}"}, "sk": {"S": stored.name_lock_key(ds.name)}, "dataset_id": {"S": ds.id}}
        requests += [{"PutRequest": {"Item": item(stored.dataset_attrs(ds))}}, {"PutRequest": {"Item": lock}}]
    for start in range(0, len(requests), 25):
        client.batch_write_item(RequestItems={os.environ["TABLE_NAME"]: requests[start : start + 25]})
    client.update_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"pk": {"S": f"TENANT#{tenant}"}, "sk": {"S": "META"}},
        UpdateExpression="ADD dataset_count :n",
        ExpressionAttributeValues={":n": {"N": str(count)}},
    )


def counter(client: Any, tenant: str) -> int:
    return stored.dataset_count(tenant)


DEV_KEY = "ragflow-local-development-key-0000000000000"  # the key in events/authorizer_*.json


# ---- markers by folder ------------------------------------------------------------------------

LAYERS = ("unit", "handlers", "e2e", "template", "tooling")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        layer = item.path.parent.name
        if layer in LAYERS:
            item.add_marker(getattr(pytest.mark, layer))


# ---- no key in any log line of the whole run --------------------------------------------------


_lines: list[str] = []


class _RecordEverything(logging.Handler):
    """Keeps every record. One instance per logger: Powertools filters its service's records out of the
    root logger's handlers, so a handler shared with root would miss them."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines = _lines

    def emit(self, record: logging.LogRecord) -> None:
        # Powertools adds its keys (tenant_id ...) in its formatter: record what it would print, too.
        formatted = [h.format(record) for h in logging.getLogger(record.name).handlers if h.formatter]
        self.lines.append(repr(record.__dict__) + record.getMessage() + "".join(formatted))


_minted_keys: set[str] = {DEV_KEY}
_original_create_key = api_keys.create_key


def _recording_create_key(*args: Any, **kwargs: Any) -> tuple[str, api_keys.ApiKey]:
    key, record = _original_create_key(*args, **kwargs)
    _minted_keys.add(key)
    return key, record


def pytest_configure(config: pytest.Config) -> None:
    api_keys.create_key = _recording_create_key
    for name in ("", "ragflow-datasets", "aws_lambda_powertools", "botocore", "moto"):
        logging.getLogger(name).addHandler(_RecordEverything())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    leaked = [key for key in _minted_keys if any(key in line for line in _lines)]
    if leaked:
        print(f"\nAPI KEY LEAKED INTO LOGS: {len(leaked)} key(s) appear in captured log records")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def log_lines() -> list[str]:
    return _lines

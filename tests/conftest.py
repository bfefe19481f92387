"""Shared fixtures: an embedded DynamoDB built from template.yaml, the real handlers, the events/ files."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
from collections.abc import Iterator
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
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "RagflowDatasetsTest",
    }
)
os.environ.pop("DYNAMODB_ENDPOINT", None)

from moto import mock_aws
from tools import template
from tools.embedded_dynamodb import serialize_requests

from dataset_core import api_keys, storage

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
TENANT_A = "0f3c8a1e6d2b4f5a9c7e1b3d5f7a9c0e"  # the tenant in events/*.json
TENANT_B = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"


@pytest.fixture
def table() -> Iterator[Any]:
    """A fresh table, created from the template's own definition, on moto made atomic per request."""
    serialize_requests()
    with mock_aws():
        storage.reset_client()
        client = storage.client()
        client.create_table(**template.table_definition(os.environ["TABLE_NAME"]))
        yield client
    storage.reset_client()


_modules: dict[str, ModuleType] = {}


def function(name: str) -> ModuleType:
    """``functions/<name>/app.py``, imported once under a unique module name (they are all ``app``)."""
    if name not in _modules:
        path = ROOT / "functions" / name / "app.py"
        spec = importlib.util.spec_from_file_location(f"fn_{name}", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _modules[name] = module
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


def invoke(function_name: str, event: dict[str, Any]) -> Reply:
    result = function(function_name).lambda_handler(event, LambdaContext(function_name=function_name))
    headers = {**(result.get("multiValueHeaders") or {}), **(result.get("headers") or {})}
    return Reply(result["statusCode"], json.loads(result["body"]), result["body"], headers)


def create(name: str, tenant: str = TENANT_A) -> Reply:
    return invoke("create_dataset", route_event("create_dataset", tenant=tenant, body={"dataset_name": name}))


def items(client: Any, tenant: str, prefix: str) -> list[dict[str, Any]]:
    """Raw items of one tenant's partition whose sort key starts with ``prefix``."""
    response = client.query(
        TableName=os.environ["TABLE_NAME"],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
        ExpressionAttributeValues={":pk": {"S": f"TENANT#{tenant}"}, ":p": {"S": prefix}},
        ConsistentRead=True,
    )
    return list(response["Items"])


def counter(client: Any, tenant: str) -> int:
    return storage.dataset_count(tenant)


@pytest.fixture
def api_key(table: Any) -> str:
    key, _ = api_keys.create_key(TENANT_A, "test")
    return key

"""What a cold start does, function by function. Each case is a fresh interpreter laid out as Lambda lays a
function out (its folder first on the path, the shared layer after it) that imports the handler, as Lambda's
INIT does, then serves a first event.

The modules ``make bench`` found costly stay out of the functions that do not need them; garbage collection
is paused from the layer's import until the first invocation has answered (``dataset_core.startup``), in an
execution environment only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from conftest import ROOT

ROUTE_FUNCTIONS = ["create_dataset", "list_datasets", "get_dataset", "update_dataset", "delete_dataset"]
WATCHED = ["aws_xray_sdk.core", "asyncio", "boto3", "s3transfer", "pydantic", "aws_lambda_powertools.event_handler"]


def in_function(function: str, then: str, **env: str) -> Any:
    """What ``then`` prints (JSON, its last line) once ``functions/<function>/app.py`` is imported as ``app``."""
    code = (
        f"import gc, json, sys, runpy, types\napp = runpy.run_path({str(ROOT / 'functions' / function / 'app.py')!r})\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("XRAY_", "POWERTOOLS_TRACE", "AWS_LAMBDA"))}
    environment |= {"PYTHONPATH": str(ROOT / "layers" / "shared"), "AWS_DEFAULT_REGION": "us-east-1", **env}
    done = subprocess.run(
        [sys.executable, "-c", code + then],
        cwd=ROOT / "functions" / function,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def imported_by(function: str, watched: list[str] = WATCHED, **env: str) -> set[str]:
    """The ``watched`` modules in ``sys.modules`` once the function's handler is imported."""
    return set(in_function(function, f"print(json.dumps([m for m in {watched!r} if m in sys.modules]))", **env))


@pytest.mark.parametrize("function", ROUTE_FUNCTIONS)
def test_a_route_function_imports_no_xray_sdk_no_boto3_and_no_powertools_resolver_by_default(function: str) -> None:
    assert imported_by(function) & set(WATCHED) == {"pydantic"}


def test_xray_sdk_tracing_is_there_when_switched_on() -> None:
    assert "aws_xray_sdk.core" in imported_by("create_dataset", XRAY_SDK_TRACING="true")


def test_the_authorizer_imports_neither_pydantic_nor_the_xray_sdk() -> None:
    assert imported_by("authorizer") & set(WATCHED) == set()


# Each function imports only its own operation's modules (model classes cost a cold start even when never used),
# the request fields only if a route of it takes a body, and never the key machinery.
OPERATIONS = [f"dataset_core.{api}.{fn}" for api in ("legacy", "restful") for fn in ROUTE_FUNCTIONS]
LAYER_MODULES = ["dataset_core.api_keys", "dataset_core.restful.fields", *OPERATIONS]
REQUEST_FIELDS = {fn: {"dataset_core.restful.fields"} for fn in ROUTE_FUNCTIONS} | {"get_dataset": set()}


@pytest.mark.parametrize("function", ROUTE_FUNCTIONS)
def test_a_route_function_imports_its_own_operation_and_no_other_nor_the_key_machinery(function: str) -> None:
    own = {f"dataset_core.legacy.{function}", f"dataset_core.restful.{function}"}
    assert imported_by(function, LAYER_MODULES) == own | REQUEST_FIELDS[function]


# A first event each function answers without DynamoDB: a route it does not serve (404), no key (refused).
FIRST_EVENTS = {fn: {"httpMethod": "GET", "resource": "/nowhere", "path": "/nowhere"} for fn in ROUTE_FUNCTIONS}
FIRST_EVENTS["authorizer"] = {"type": "TOKEN", "authorizationToken": "", "methodArn": "arn:x"}
COLLECTOR = """
context = types.SimpleNamespace(function_name="f", memory_limit_in_mb=256, invoked_function_arn="arn:f", aws_request_id="1")
seen = [gc.isenabled()]
try:
    app["lambda_handler"]({event!r}, context)
except Exception:
    pass  # the authorizer refuses by raising
seen += [gc.isenabled(), gc.get_freeze_count() > 0]
print(json.dumps(seen))
"""


@pytest.mark.parametrize("function", [*ROUTE_FUNCTIONS, "authorizer"])
def test_collection_is_paused_in_an_execution_environment_until_the_first_invocation_has_answered(
    function: str,
) -> None:
    then = COLLECTOR.format(event=FIRST_EVENTS[function])
    paused, resumed, frozen = in_function(function, then, AWS_LAMBDA_FUNCTION_NAME=function)
    assert (paused, resumed, frozen) == (False, True, True)


@pytest.mark.parametrize("function", ["get_dataset", "authorizer"])
def test_collection_is_never_paused_outside_an_execution_environment(function: str) -> None:
    assert in_function(function, COLLECTOR.format(event=FIRST_EVENTS[function])) == [True, True, False]

"""What a cold start imports, function by function: the modules ``make bench`` found costly stay out of the
functions that do not need them. Each case is a fresh interpreter laid out as Lambda lays a function out
(its folder first on the path, the shared layer after it) that imports the handler, as Lambda's INIT does."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

ROUTE_FUNCTIONS = ["create_dataset", "list_datasets", "get_dataset", "update_dataset", "delete_dataset"]
WATCHED = ["aws_xray_sdk.core", "asyncio", "boto3", "s3transfer", "pydantic", "aws_lambda_powertools.event_handler"]


def imported_by(function: str, **env: str) -> set[str]:
    """The watched modules in ``sys.modules`` once ``functions/<function>/app.py`` is imported."""
    code = (
        "import json, sys, runpy\n"
        f"runpy.run_path({str(ROOT / 'functions' / function / 'app.py')!r})\n"
        f"print(json.dumps([m for m in {WATCHED!r} if m in sys.modules]))\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("XRAY_", "POWERTOOLS_TRACE"))}
    environment |= {"PYTHONPATH": str(ROOT / "layers" / "shared"), "AWS_DEFAULT_REGION": "us-east-1", **env}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "functions" / function,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("function", ROUTE_FUNCTIONS)
def test_a_route_function_imports_no_xray_sdk_no_boto3_and_no_powertools_resolver_by_default(function: str) -> None:
    assert imported_by(function) & set(WATCHED) == {"pydantic"}


def test_xray_sdk_tracing_is_there_when_switched_on() -> None:
    assert "aws_xray_sdk.core" in imported_by("create_dataset", XRAY_SDK_TRACING="true")


def test_the_authorizer_imports_neither_pydantic_nor_the_xray_sdk() -> None:
    assert imported_by("authorizer") & set(WATCHED) == set()

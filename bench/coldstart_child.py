# ruff: noqa: PLC0415 - what a cold start imports is what is measured: every import is where it is on purpose
"""One cold start in a fresh interpreter: ``python coldstart_child.py JOB.json RESULT.json``.

It runs under each of the benchmark's interpreters, so it imports nothing of ``bench``, and only the standard
library before the clock starts. The job's ``mode``: ``handler`` imports ``app`` from the function's folder (first
on ``sys.path``, the layer on ``PYTHONPATH``, as Lambda lays them out) and serves the first event, then the warm
ones; ``floor`` imports boto3, makes one client and the DynamoDB calls the handler made (recorded by the parent);
``breakdown`` is ``handler`` with the lazy parts of the first request (botocore's import, the layer's client) timed
apart; ``ladder`` is ``floor`` plus the handler's building blocks one at a time, then what the handler does not
build (the opt-in Tracer, Powertools' REST resolver that ``dataset_core.http`` replaced). Warm requests are split
into time waiting for DynamoDB (botocore's send and reply read, patched once the cold start is over) and ours.
"""

import time

T0 = time.perf_counter()

import gc  # noqa: E402 - the clock starts first
import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from typing import Any  # noqa: E402

if os.environ.get("BENCH_GC_ON"):  # the what-if: the layer's start-up pause (dataset_core.startup) does nothing
    gc.disable = lambda: None

# What this script knows of the shared layer's insides (re-point here when modules move):
LAYER_CLIENT = ("dataset_core.storage.client", "client")  # the module and function that make the DynamoDB client
LAYER_BLOCKS = ["dataset_core.http", "dataset_core.legacy.create_dataset", "dataset_core.restful.create_dataset"]


def ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


def serve(handler: Any, event: dict[str, Any], job: dict[str, Any], n: int) -> float:
    """Serve one event as the Lambda runtime would; raise unless it succeeded (the authorizer's Allow, or a 200)."""
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{job['name']}"
    context = SimpleNamespace(
        function_name=job["name"], memory_limit_in_mb=job["memory"], invoked_function_arn=arn, aws_request_id=str(n)
    )
    started = time.perf_counter()
    result = handler(event, context)
    elapsed = ms(started)
    if (
        result.get("policyDocument", {}).get("Statement", [{}])[0].get("Effect") != "Allow"
        and result.get("statusCode") != 200
    ):
        raise RuntimeError(f"request {n} failed: {str(result)[:300]}")
    return elapsed


def replay(client: Any, calls: list[list[Any]]) -> float:
    started = time.perf_counter()
    for method, params in calls:
        getattr(client, method)(**params)
    return ms(started)


def warm(out: dict[str, Any], requests: list[Any], one: Any) -> None:
    """Time each warm request, its CPU time (this process, all threads), and the part spent waiting for DynamoDB."""
    from botocore import endpoint

    spans: list[tuple[float, float]] = []  # one per send and per reply read (a failed call fails the run)

    def timed(original: Any) -> Any:
        def wrapper(*args: Any) -> Any:
            began = time.perf_counter()
            answer = original(*args)
            spans.append((began, time.perf_counter()))
            return answer

        return wrapper

    endpoint.Endpoint._send = timed(endpoint.Endpoint._send)  # type: ignore[attr-defined]
    endpoint.convert_to_response_dict = timed(endpoint.convert_to_response_dict)
    out["warm_ms"], out["warm_ddb_ms"], out["warm_cpu_ms"] = [], [], []
    for n, request in enumerate(requests, start=1):
        spans.clear()
        cpu = time.process_time()
        out["warm_ms"].append(one(request, n))
        out["warm_cpu_ms"].append((time.process_time() - cpu) * 1000)
        out["warm_ddb_ms"].append(sum(end - began for began, end in spans) * 1000)


def run_handler(job: dict[str, Any], out: dict[str, Any]) -> None:
    started = time.perf_counter()
    sys.path.insert(0, job["fn_dir"])
    handler = importlib.import_module("app").lambda_handler
    out["import_ms"] = ms(started)
    if job["mode"] == "breakdown":
        started = time.perf_counter()
        import botocore.session  # noqa: F401 - what the first request imports lazily

        out["import_botocore_ms"], started = ms(started), time.perf_counter()
        getattr(importlib.import_module(LAYER_CLIENT[0]), LAYER_CLIENT[1])()
        out["client_ms"] = ms(started)
    out["first_ms"] = serve(handler, job["first"], job, 0)
    out["total_ms"] = ms(T0)
    warm(out, job["warm"], lambda event, n: serve(handler, event, job, n))


def run_floor(job: dict[str, Any], out: dict[str, Any]) -> None:
    started = time.perf_counter()
    import boto3

    out["import_ms"], started = ms(started), time.perf_counter()
    client = boto3.client("dynamodb", endpoint_url=os.environ["DYNAMODB_ENDPOINT"])
    out["client_ms"] = ms(started)
    out["first_ms"] = replay(client, job["first"])
    out["total_ms"] = ms(T0)
    if job["mode"] == "ladder":
        out["steps"] = ladder()
    else:
        warm(out, job["warm"], lambda calls, n: replay(client, calls))


def ladder() -> list[tuple[str, float]]:
    """Each building block, built on top of the ones before it, and the milliseconds that took."""
    steps = []
    service = os.environ.get("POWERTOOLS_SERVICE_NAME", "bench")
    for step in ["logger_metrics", "pydantic", "models", "tracer", "resolver"]:
        started = time.perf_counter()
        if step == "logger_metrics":
            from aws_lambda_powertools import Logger, Metrics

            Logger(service=service)
            Metrics(service=service, namespace="Bench")
        elif step == "pydantic":
            import pydantic  # noqa: F401
        elif step == "models":
            for module in LAYER_BLOCKS:
                importlib.import_module(module)
        elif step == "tracer":
            from aws_lambda_powertools import Tracer

            Tracer(service=service, patch_modules=("botocore",))
        else:
            from aws_lambda_powertools.event_handler import APIGatewayRestResolver
            from aws_lambda_powertools.event_handler.openapi.params import Body, Query  # noqa: F401

            APIGatewayRestResolver(enable_validation=True)
        steps.append((step, ms(started)))
    return steps


if __name__ == "__main__":
    if os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        sys.path.pop(0)  # the script's folder is no part of a Lambda's path
    with open(sys.argv[1]) as f:
        job = json.load(f)
    result: dict[str, Any] = {}
    (run_handler if job["mode"] in {"handler", "breakdown"} else run_floor)(job, result)
    with open(sys.argv[2], "w") as f:
        json.dump(result, f)

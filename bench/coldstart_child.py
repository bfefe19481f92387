# ruff: noqa: PLC0415 - what a cold start imports is what is measured: every import is where it is on purpose
"""One cold start, in a fresh interpreter: ``python coldstart_child.py JOB.json RESULT.json``.

Runs under any of the benchmark's interpreters (the project venv's 3.11, the 3.13 venv), so it imports
nothing of ``bench`` and only the standard library before the clock starts. The job says what to time:

* ``handler``: import ``functions/<name>/app.py`` (its folder first on ``sys.path``, the layer on
  ``PYTHONPATH``, as Lambda lays them out), serve the first event, then the warm events;
* ``floor``: a bare handler: import boto3, create one client, make the DynamoDB call(s) the operation needs;
* ``breakdown``: the handler again, with the lazy parts it does on its first request timed one by one
  (``import botocore.session``, the client), then the first request itself;
* ``ladder``: the floor, then the handler's building blocks added one at a time (Powertools Logger and
  Metrics, pydantic, our router and models), then, for comparison, what the handler does not build by
  default: Powertools' Tracer (the X-Ray SDK, opt-in) and its REST resolver with validation (replaced).
"""

import time

T0 = time.perf_counter()

import importlib.util  # noqa: E402 - the clock starts first
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402


def ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


class Context:
    """What the Lambda runtime hands a handler."""

    def __init__(self, name: str, memory: int, request: int) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.aws_request_id = f"00000000-0000-4000-8000-{request:012d}"
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "bench"
        self._deadline = time.monotonic() + 10

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def succeeded(result: Any) -> bool:
    if not isinstance(result, dict):
        return False
    if "policyDocument" in result:  # the authorizer's answer
        return bool(result["policyDocument"]["Statement"][0]["Effect"] == "Allow")
    return bool(result.get("statusCode") == 200)


class DynamoClock:
    """Time spent waiting for DynamoDB (request sent to reply received, before botocore parses it: the
    parsing is CPU of ours) and the number of calls, from botocore's events."""

    def __init__(self, client: Any) -> None:
        self.total = 0.0
        self.calls = 0
        self._started = 0.0
        client.meta.events.register("before-send.dynamodb", self._start)
        client.meta.events.register("before-parse.dynamodb", self._stop)

    def _start(self, **_: Any) -> None:
        self._started = time.perf_counter()
        self.calls += 1

    def _stop(self, **_: Any) -> None:
        if self._started:
            self.total += ms(self._started)
            self._started = 0.0

    def take(self) -> tuple[float, int]:
        total, calls = self.total, self.calls
        self.total, self.calls = 0.0, 0
        return total, calls


def import_handler(fn_dir: str) -> Any:
    sys.path.insert(0, fn_dir)
    spec = importlib.util.spec_from_file_location("app", os.path.join(fn_dir, "app.py"))
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    spec.loader.exec_module(module)
    return module


def invoke(handler: Any, event: dict[str, Any], name: str, memory: int, n: int) -> tuple[float, bool, str]:
    started = time.perf_counter()
    try:
        result = handler(event, Context(name, memory, n))
        ok, detail = succeeded(result), str(result.get("body", ""))[:300] if isinstance(result, dict) else ""
    except Exception as error:
        ok, detail = False, f"{type(error).__name__}: {error}"
    return ms(started), ok, detail


def run_handler(job: dict[str, Any], out: dict[str, Any], breakdown: bool) -> None:
    name, memory = job["function_name"], job["memory"]
    started = time.perf_counter()
    module = import_handler(job["fn_dir"])
    out["import_ms"] = ms(started)
    if breakdown:
        started = time.perf_counter()
        import botocore.session  # noqa: F401 - what the first request imports lazily (dataset_core.storage)

        out["import_botocore_ms"] = ms(started)
        started = time.perf_counter()
        sys.modules["dataset_core.storage.client"].client()
        out["client_ms"] = ms(started)
    out["first_ms"], out["ok"], out["detail"] = invoke(module.lambda_handler, job["first"], name, memory, 0)
    out["total_ms"] = ms(T0)
    storage = sys.modules.get("dataset_core.storage.client")
    clock = DynamoClock(storage.client()) if storage is not None else None
    warm, warm_ddb, warm_calls = [], [], []
    for n, event in enumerate(job.get("warm", []), start=1):
        elapsed, ok, detail = invoke(module.lambda_handler, event, name, memory, n)
        if not ok:
            out["ok"], out["detail"] = False, f"warm request {n}: {detail}"
        warm.append(elapsed)
        if clock is not None:
            ddb, calls = clock.take()
            warm_ddb.append(ddb)
            warm_calls.append(calls)
    out["warm_ms"], out["warm_ddb_ms"], out["warm_calls"] = warm, warm_ddb, warm_calls


def run_floor(job: dict[str, Any], out: dict[str, Any]) -> None:
    started = time.perf_counter()
    import boto3

    out["import_ms"] = ms(started)
    started = time.perf_counter()
    client = boto3.client("dynamodb", endpoint_url=os.environ["DYNAMODB_ENDPOINT"])
    out["client_ms"] = ms(started)
    started = time.perf_counter()
    for operation, params in job["floor_first"]:
        getattr(client, operation)(**params)
    out["first_ms"] = ms(started)
    out["total_ms"] = ms(T0)
    out["ok"], out["detail"] = True, ""
    clock = DynamoClock(client)
    warm, warm_ddb, warm_calls = [], [], []
    for calls in job.get("floor_warm", []):
        started = time.perf_counter()
        for operation, params in calls:
            getattr(client, operation)(**params)
        warm.append(ms(started))
        ddb, count = clock.take()
        warm_ddb.append(ddb)
        warm_calls.append(count)
    out["warm_ms"], out["warm_ddb_ms"], out["warm_calls"] = warm, warm_ddb, warm_calls


def run_ladder(job: dict[str, Any], out: dict[str, Any]) -> None:
    """The floor, then ``job["ladder"]`` building blocks on top, each timed."""
    run_floor({**job, "floor_warm": []}, out)
    steps: list[tuple[str, float]] = []
    service = os.environ.get("POWERTOOLS_SERVICE_NAME", "bench")
    for step in job["ladder"]:
        started = time.perf_counter()
        if step == "logger_metrics":
            from aws_lambda_powertools import Logger, Metrics

            Logger(service=service)
            Metrics(service=service, namespace="Bench")
        elif step == "tracer":
            from aws_lambda_powertools import Tracer

            Tracer(service=service, patch_modules=("botocore",))
        elif step == "pydantic":
            import pydantic  # noqa: F401 - the library our models and Powertools' validation both need

        elif step == "resolver":
            from aws_lambda_powertools.event_handler import APIGatewayRestResolver
            from aws_lambda_powertools.event_handler.openapi.params import Body, Query  # noqa: F401

            APIGatewayRestResolver(enable_validation=True)
        elif step == "models":
            import dataset_core.http
            import dataset_core.legacy.models
            import dataset_core.restful.models  # noqa: F401
        else:
            raise SystemExit(f"unknown ladder step {step}")
        steps.append((step, ms(started)))
    out["steps"] = steps
    out["total_ms"] = ms(T0)


def main() -> None:
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        sys.path.pop(0)  # the script's folder is no part of a Lambda's path
    with open(sys.argv[1]) as f:
        job = json.load(f)
    out: dict[str, Any] = {"mode": job["mode"], "python": sys.version.split()[0]}
    if job["mode"] in {"handler", "breakdown"}:
        run_handler(job, out, breakdown=job["mode"] == "breakdown")
    elif job["mode"] == "floor":
        run_floor(job, out)
    elif job["mode"] == "ladder":
        run_ladder(job, out)
    else:
        raise SystemExit(f"unknown mode {job['mode']}")
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()

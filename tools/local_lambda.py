"""Lambda's runtime, emulated in-process for the local API: environment, handler import, context, logs.

Each function of ``template.yaml`` is imported once from ``functions/<name>/app.py`` under a unique module
name (they are all ``app.py``) with the shared layer on ``sys.path`` (``tools/__init__.py``), and runs one
invocation at a time under its own lock: one warm Lambda instance, which never runs two events at once
(handler code may keep per-invocation state in module globals; the layer keeps its own per thread).
"""

from __future__ import annotations

import math
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tools import load_module, local_state, template

REGION = "us-east-1"
ACCOUNT = "123456789012"


class Output:
    """Whole lines to stdout from many threads; Lambda's START/END/REPORT and the access log go here."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self._lock = threading.Lock()

    def line(self, text: str, *, always: bool = False) -> None:
        if self.quiet and not always:
            return
        with self._lock:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

    def end(self, logical_id: str, request_id: str, ms: float, memory: int) -> None:
        """Lambda's END and REPORT lines of one invocation."""
        self.line(f"{logical_id} END RequestId: {request_id}")
        self.line(
            f"{logical_id} REPORT RequestId: {request_id}\tDuration: {ms:.2f} ms\t"
            f"Billed Duration: {math.ceil(ms)} ms\tMemory Size: {memory} MB"
        )


# ---- which functions, where -----------------------------------------------------------------------------


def code_dir(logical_id: str) -> Path:
    """Where a function's code is (its CodeUri)."""
    return template.ROOT / str(template.resources()[logical_id]["Properties"]["CodeUri"])


def function_at(folder: Path) -> str:
    """The logical id of the function whose code is ``folder`` (``template.authorizer()`` gives the folder)."""
    for logical_id in template.resources("AWS::Serverless::Function"):
        if code_dir(logical_id).resolve() == folder.resolve():
            return logical_id
    raise SystemExit(f"template.yaml: no function has its code in {folder}")


def function_ids() -> list[str]:
    """Every function the API runs: the routes' and the authorizer."""
    return sorted({r.function for r in template.routes()} | {function_at(template.authorizer()[0])})


# ---- environment, context, invocation ---------------------------------------------------------------------


def function_setting(logical_id: str, name: str, default: Any) -> Any:
    props = template.resources()[logical_id]["Properties"]
    return props.get(name, template.load().get("Globals", {}).get("Function", {}).get(name, default))


def lambda_environment(
    logical_ids: list[str],
    table_name: str,
    state: local_state.StateDir,
    values: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The functions' environment variables as ``sam deploy`` would set them for the parameter ``values``
    (``template.parameters``; the defaults if None), references resolved.

    All functions share this process, hence one environment: the globals plus each function's own
    variables, which must not contradict each other. A secret's ARN (``X_ARN: !Ref SomeSecret``; the function
    reads the value from Secrets Manager) becomes the value itself locally, in ``X``: a random secret kept in
    the state folder, so that what it signs survives a restart.
    """
    env: dict[str, str] = {}
    for logical_id in logical_ids:
        for name, resolved in function_environment(logical_id, table_name, state, values).items():
            if env.get(name, resolved) != resolved:
                raise SystemExit(f"template.yaml: functions disagree on {name}; the local API has one environment")
            env[name] = resolved
    env["POWERTOOLS_TRACE_DISABLED"] = "true"  # no X-Ray daemon here
    return env


def declared_variables(logical_id: str) -> dict[str, Any]:
    """The environment variables the template declares for one function: the globals, then its own."""
    tpl_globals = template.load().get("Globals", {}).get("Function", {})
    own = template.resources()[logical_id]["Properties"].get("Environment", {}).get("Variables", {})
    return {**tpl_globals.get("Environment", {}).get("Variables", {}), **own}


def function_environment(
    logical_id: str,
    table_name: str,
    state: local_state.StateDir,
    values: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """One function's environment variables as ``sam deploy`` would set them for the parameter ``values`` (the
    defaults if None), references resolved (what cannot be resolved here is left out, with a note). A secret's
    ARN (``X_ARN: !Ref SomeSecret``) becomes the value itself, in ``X``: a random secret kept in the state
    folder."""
    values = values or template.parameters()
    env: dict[str, str] = {}
    for declared, value in declared_variables(logical_id).items():
        name = declared
        if _is_secret(value):
            name = declared.removesuffix("_ARN")  # the value's own variable, locally
            resolved: str | None = local_state.local_secret(state, name)
        else:
            resolved = _resolve(value, table_name, values)
        if resolved is None:
            print(f"note: {name} is not set locally: cannot resolve {value!r}", file=sys.stderr)
            continue
        env[name] = resolved
    return env


def _is_secret(value: Any) -> bool:
    ref = value.get("Ref") if isinstance(value, dict) else None
    return template.resources().get(str(ref), {}).get("Type") == "AWS::SecretsManager::Secret"


def _resolve(value: Any, table_name: str, values: Mapping[str, str]) -> str | None:
    if isinstance(value, dict) and set(value) == {"Ref"}:
        ref = value["Ref"]
        if ref in values:
            return values[ref]
        if template.resources().get(ref, {}).get("Type") == "AWS::DynamoDB::Table":
            return table_name
    if isinstance(value, dict) and set(value) == {"Fn::Join"}:  # a list parameter joined: EMBEDDING_MODELS
        separator, parts = value["Fn::Join"]
        joined = _resolve(parts, table_name, values)
        return None if joined is None else separator.join(joined.split(","))
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    return None


@dataclass
class LambdaContext:
    """The context object the Lambda runtime hands a handler (the fields Powertools reads, and a clock)."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    deadline: float
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


class Invocable(Protocol):
    """What the gateway needs of a function (``LambdaFunction``, or a stand-in in a test)."""

    logical_id: str

    def invoke(self, event: dict[str, Any]) -> Any: ...


class LambdaFunction:
    """One function of the template: its ``app.py`` imported once, one invocation at a time (one instance)."""

    def __init__(self, logical_id: str, code_dir: Path, output: Output) -> None:
        self.logical_id = logical_id
        self.memory = int(function_setting(logical_id, "MemorySize", 128))
        self.timeout = float(function_setting(logical_id, "Timeout", 3))
        alias = function_setting(logical_id, "AutoPublishAlias", None)
        self.qualifier = f":{alias}" if alias else ""  # API Gateway calls the alias: its ARN is the invoked one
        module_name, _, attr = str(function_setting(logical_id, "Handler", "app.lambda_handler")).rpartition(".")
        module = load_module(code_dir / f"{module_name}.py", f"local_fn_{code_dir.name}")
        self._handler: Callable[[dict[str, Any], LambdaContext], Any] = getattr(module, attr)
        self._lock = threading.Lock()
        self._output = output

    def invoke(self, event: dict[str, Any]) -> Any:
        """Run the handler as Lambda would, logging Lambda's START/END/REPORT lines; exceptions propagate."""
        with self._lock:
            request_id = str(uuid.uuid4())
            context = LambdaContext(
                function_name=self.logical_id,
                memory_limit_in_mb=self.memory,
                invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.logical_id}{self.qualifier}",
                aws_request_id=request_id,
                deadline=time.monotonic() + self.timeout,
                log_group_name=f"/aws/lambda/{self.logical_id}",
            )
            self._output.line(f"{self.logical_id} START RequestId: {request_id} Version: $LATEST")
            started = time.perf_counter()
            try:
                return self._handler(event, context)
            except Exception as error:
                detail = "" if str(error) == "Unauthorized" else "\n" + "".join(traceback.format_exc()).rstrip()
                self._output.line(f"{self.logical_id} [ERROR] {type(error).__name__}: {error}{detail}", always=True)
                raise
            finally:
                ms = (time.perf_counter() - started) * 1000
                self._output.end(self.logical_id, request_id, ms, self.memory)
                if ms > self.timeout * 1000:
                    self._output.line(
                        f"{self.logical_id} WARNING: ran {ms:.0f} ms, past its Timeout of {self.timeout:g} s: "
                        "on AWS, Lambda would have stopped it and API Gateway answered 502",
                        always=True,
                    )

"""The built artifact run as Lambda runs it: each function of ``sam build``'s output in a Python 3.13 process.

What ``sam deploy`` ships is ``.aws-sam/build``: each function's folder and the shared layer's ``python/`` folder
(our code and its bytecode, ``layers/shared/Makefile``). On Lambda, the functions also get AWS's Powertools
layer and the runtime's boto3; here those come from ``.venv-lambda`` (``tools.powertools_layer``: the versions
the template's layer carries, not the ones the project's venv happens to have). Each function then runs in its
own process (``tools.lambda_runtime``) with nothing else on its path, talking to the local API's DynamoDB
endpoint: an import the build forgot, bytecode for the wrong Python, or code that needs a newer Powertools than
the layer's fails here as it would on AWS.

One process per function is one warm execution environment: one event at a time, started on first use (its cold
start), stopped and replaced after an event that ran past the function's ``Timeout``, as Lambda does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tools import local_state, template
from tools.local_lambda import ACCOUNT, REGION, Output, function_environment, function_setting

DEPS_DIR = template.ROOT / ".venv-lambda"
"""``tools.powertools_layer install`` puts the layer's packages and the runtime's here (``make`` does it)."""
RUNTIME_SCRIPT = Path(__file__).resolve().parent / "lambda_runtime.py"
SHARED_LAYER = "SharedLayer"


class FunctionError(Exception):
    """The function failed (Lambda's ``errorType``/``errorMessage``); ``str()`` is the message, as an exception
    raised in-process would be (the gateway reads the authorizer's ``Unauthorized`` from it)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def find_python313() -> str | None:
    """A Python 3.13: ``$PYTHON313``, ``python3.13`` on the PATH, or pyenv's newest 3.13.x; checked by running it."""
    candidates = [os.environ.get("PYTHON313", ""), shutil.which("python3.13") or ""]
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates += [str(p) for p in sorted((pyenv_root / "versions").glob("3.13*/bin/python3.13"), reverse=True)]
    for candidate in candidates:
        if candidate and _is_python313(candidate):
            return candidate
    return None


def _is_python313(python: str) -> bool:
    try:
        done = subprocess.run(  # noqa: S603 - a candidate interpreter, asked its version
            [python, "-c", "import sys; print(sys.version_info[:2] == (3, 13))"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.stdout.strip() == "True"


@dataclass(frozen=True)
class Artifact:
    """Where the built functions, their layers and the runtime's packages are, and the Python to run them."""

    build_dir: Path
    deps_dir: Path
    python: str

    def code_dir(self, logical_id: str) -> Path:
        return self.build_dir / logical_id

    def layer_paths(self) -> list[Path]:
        return [self.build_dir / SHARED_LAYER / "python", self.deps_dir / "powertools" / "python"]

    def runtime_paths(self) -> list[Path]:
        return [self.deps_dir / "runtime"]


def artifact(build_dir: Path, deps_dir: Path = DEPS_DIR) -> Artifact:
    """The artifact in ``build_dir``, or ``SystemExit`` saying what is missing and which command makes it."""
    python = find_python313()
    if python is None:
        raise SystemExit("the built artifact runs on Python 3.13 (the Lambda runtime): none found (set PYTHON313)")
    if not (build_dir / "template.yaml").is_file():
        raise SystemExit(f"{build_dir} holds no built template: run `make sam-build` (sam build) first")
    missing = [p for p in [*(build_dir / f for f in _function_ids()), build_dir / SHARED_LAYER] if not p.is_dir()]
    if missing:
        raise SystemExit(f"{build_dir} misses {', '.join(p.name for p in missing)}: run `make sam-build` again")
    if not (deps_dir / ".installed").is_file():
        raise SystemExit(f"{deps_dir} is not installed: run `make {deps_dir.name}/.installed`")
    return Artifact(build_dir, deps_dir, python)


def _function_ids() -> list[str]:
    return sorted(template.resources("AWS::Serverless::Function"))


class WorkerFunction:
    """One function of the artifact: its execution environment, one event at a time (``local_lambda.Invocable``)."""

    def __init__(self, logical_id: str, built: Artifact, environment: dict[str, str], output: Output) -> None:
        self.logical_id = logical_id
        self.memory = int(function_setting(logical_id, "MemorySize", 128))
        self.timeout = float(function_setting(logical_id, "Timeout", 3))
        self._artifact = built
        self._environment = environment
        self._output = output
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        built = self._artifact
        env = {
            **self._environment,
            "LAMBDA_TASK_ROOT": str(built.code_dir(self.logical_id)),
            "LAYER_PATHS": os.pathsep.join(str(p) for p in built.layer_paths()),
            "RUNTIME_PATHS": os.pathsep.join(str(p) for p in built.runtime_paths()),
            "_HANDLER": str(function_setting(self.logical_id, "Handler", "app.lambda_handler")),
            "AWS_LAMBDA_FUNCTION_NAME": self.logical_id,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.logical_id}",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            "INVOKED_FUNCTION_ARN": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.logical_id}",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
        }
        process = subprocess.Popen(  # noqa: S603 - the runtime's interpreter and our bootstrap
            [built.python, "-I", "-S", str(RUNTIME_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
            cwd=str(built.code_dir(self.logical_id)),
        )
        assert process.stderr is not None
        threading.Thread(
            target=self._relay, args=(process.stderr,), name=f"logs-{self.logical_id}", daemon=True
        ).start()
        return process

    def _relay(self, stream: IO[str]) -> None:
        for line in stream:
            self._output.line(line.rstrip("\n"), always=True)

    def invoke(self, event: dict[str, Any]) -> Any:
        """Run the event in the function's process, with Lambda's START/END/REPORT lines; a function error or a
        timeout raises ``FunctionError``."""
        with self._lock:
            request_id = str(uuid.uuid4())
            self._output.line(f"{self.logical_id} START RequestId: {request_id} Version: $LATEST")
            started = time.perf_counter()
            try:
                answer = self._call({"event": event, "request_id": request_id, "deadline": time.time() + self.timeout})
                if "errorType" in answer:
                    message = str(answer.get("errorMessage", ""))
                    if message != "Unauthorized":
                        self._output.line(
                            f"{self.logical_id} [ERROR] {answer['errorType']}: {message}\n"
                            + "".join(answer.get("stackTrace") or []).rstrip(),
                            always=True,
                        )
                    raise FunctionError(str(answer["errorType"]), message)
                return answer["result"]
            finally:
                ms = (time.perf_counter() - started) * 1000
                self._output.end(self.logical_id, request_id, ms, self.memory)

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        if self._process is None or self._process.poll() is not None:
            self._process = self._start()
        process = self._process
        stdin, stdout = process.stdin, process.stdout
        assert stdin is not None
        assert stdout is not None
        answer: list[str] = []
        reader = threading.Thread(target=lambda: answer.append(stdout.readline()), daemon=True)
        try:
            stdin.write(json.dumps(request) + "\n")
            stdin.flush()
        except OSError:
            pass  # it died; the reader sees the end of its output
        reader.start()
        reader.join(self.timeout + 1)  # its deadline, and a second for the runtime to answer
        if reader.is_alive() or not answer or not answer[0]:
            timed_out = reader.is_alive()
            self.stop()
            if timed_out:
                self._output.line(f"{self.logical_id} Task timed out after {self.timeout:.2f} seconds", always=True)
                raise FunctionError("Sandbox.Timedout", f"Task timed out after {self.timeout:.2f} seconds")
            raise FunctionError("Runtime.ExitError", "the function's process exited")
        return dict(json.loads(answer[0]))

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()


def worker_environment(
    logical_id: str,
    table: str,
    state: local_state.StateDir,
    dynamodb_url: str,
    values: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """A built function's environment: the template's variables for the parameter ``values`` (a value set in this
    shell wins, except the table's name, as for the local API), on ``dynamodb_url``, with the credentials and
    region a local endpoint accepts. Nothing else of this process's environment reaches the function."""
    env = function_environment(logical_id, table, state, values)
    for name in env:
        if name != "TABLE_NAME" and name in os.environ:
            env[name] = os.environ[name]
    return {
        **env,
        "DYNAMODB_ENDPOINT": dynamodb_url,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }

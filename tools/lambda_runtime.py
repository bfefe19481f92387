"""One Lambda execution environment of the built artifact: a Python 3.13 process that imports one function's
handler and runs one event at a time, as the python3.13 runtime does. Standard library only.

Started by ``tools.lambda_artifact`` as ``python3.13 -I -S tools/lambda_runtime.py``: no site-packages, no user
site, no ``PYTHON*`` variables, so the handler sees only what Lambda would give it. ``sys.path`` is the function's
folder (``LAMBDA_TASK_ROOT``), its layers' folders, the standard library, then the runtime's packages
(``RUNTIME_PATHS``: boto3), in Lambda's order.

Protocol: one JSON line per event on stdin, ``{"event": ..., "request_id": ..., "deadline": <epoch seconds>}``;
one JSON line per answer on the original stdout: ``{"result": ...}`` or Lambda's error shape
``{"errorType", "errorMessage", "stackTrace"}``. The handler's own stdout and stderr (its logs) both go to
stderr, which the parent prints as the function's log lines.
"""

import importlib
import json
import os
import sys
import time
import traceback


class LambdaContext:
    """The context object of the python3.13 runtime (the attributes and the method handlers use)."""

    def __init__(self, request_id: str, deadline: float) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.invoked_function_arn = os.environ.get("INVOKED_FUNCTION_ARN", "")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def _error(error: BaseException, kind: str = "") -> dict[str, object]:
    return {
        "errorType": kind or type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_tb(error.__traceback__),
    }


def main() -> int:
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever the function prints, even from C, is a log line
    sys.stdout = sys.stderr
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    layers = [p for p in os.environ.get("LAYER_PATHS", "").split(os.pathsep) if p]
    runtime = [p for p in os.environ.get("RUNTIME_PATHS", "").split(os.pathsep) if p]
    sys.path[:] = [task_root, *layers, *[p for p in sys.path if p], *runtime]
    os.chdir(task_root)
    module_name, _, attribute = os.environ.get("_HANDLER", "app.lambda_handler").rpartition(".")
    handler = None
    init_error: dict[str, object] | None = None
    try:
        handler = getattr(importlib.import_module(module_name), attribute)
    except Exception as error:
        init_error = _error(error, "Runtime.ImportModuleError")
        traceback.print_exc()
    for line in sys.stdin:
        request = json.loads(line)
        if handler is None:
            answer: dict[str, object] = dict(init_error or {})
        else:
            try:
                context = LambdaContext(request["request_id"], float(request["deadline"]))
                answer = {"result": handler(request["event"], context)}
            except Exception as error:
                answer = _error(error)
        try:
            text = json.dumps(answer, ensure_ascii=False)
        except (TypeError, ValueError) as error:  # the runtime cannot marshal what the handler returned
            text = json.dumps(_error(error, "Runtime.MarshalError"))
        answers.write(text + "\n")
        answers.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

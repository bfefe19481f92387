"""What every benchmark shares: paths, the tenant, the Lambda-like environment, statistics, the table shape."""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tools import template

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / ".work"
LAYER = ROOT / "layers" / "shared"
FUNCTIONS = ["authorizer", "create_dataset", "list_datasets", "get_dataset", "update_dataset", "delete_dataset"]
TENANT = "be0c4be0c4be0c4be0c4be0c4be0c4be"  # the tenant every benchmark works in
BENCH_KEY = "ragflow-bench-0000000000000000000000000000000000"  # registered by the benchmarks, never on AWS
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
PAGE_TOKEN_SECRET = "bench-page-token-secret-0123456789abcdef"  # noqa: S105 - one for all, outlives a client reset
LAMBDA_VCPU_MB = 1769
"""Lambda gives a function one full vCPU at 1769 MB, and CPU in proportion to memory below that."""

Table = dict[str, Any]
"""A report table: ``{"title", "columns", "rows"}``; columns and each row are Markdown cells: ``"a | b"``."""


def table(title: str, columns: str, rows: Iterable[str], note: str = "") -> Table:
    return {"title": title, "columns": columns, "rows": list(rows), "note": note}


def verdict(ok: bool) -> str:
    return "pass" if ok else "**FAIL**"


def logical_id(function: str) -> str:
    """``create_dataset`` -> ``CreateDatasetFunction``, the template's name for it."""
    return "".join(part.title() for part in function.split("_")) + "Function"


def memory_size(function: str) -> int:
    props = template.resources()[logical_id(function)]["Properties"]
    return int(props.get("MemorySize", template.load()["Globals"]["Function"]["MemorySize"]))


def template_env() -> dict[str, str]:
    """The template's global environment variables, parameters at their defaults (not the table name)."""
    env: dict[str, str] = {}
    for name, value in template.load()["Globals"]["Function"]["Environment"]["Variables"].items():
        if isinstance(value, dict):
            if value.get("Ref") in template.load()["Parameters"]:
                env[name] = str(template.parameter_default(value["Ref"]))
        else:
            env[name] = str(value)
    return env


def lambda_env(function: str, table_name: str, endpoint: str, xray_port: int, task_root: Path) -> dict[str, str]:
    """A function's environment as on AWS (X-Ray daemon address, sampled trace id), DynamoDB at ``endpoint``."""
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}}
    env |= FAKE_AWS | template_env()
    return env | {
        "TABLE_NAME": table_name,
        "DYNAMODB_ENDPOINT": endpoint,
        "PAGE_TOKEN_SECRET": PAGE_TOKEN_SECRET,
        "AWS_LAMBDA_FUNCTION_NAME": logical_id(function),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_size(function)),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{xray_port}",
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
        "_X_AMZN_TRACE_ID": "Root=1-6743a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1",
        "PYTHONPATH": str(LAYER),
        "PYTHONHASHSEED": "0",
    }


def median(values: Iterable[float]) -> float:
    found = list(values)
    return float(statistics.median(found)) if found else math.nan


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 100 samples is the 99th smallest)."""
    ordered = sorted(values)
    return float(ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]) if ordered else math.nan


def spread(values: Sequence[float]) -> str:
    return f"{min(values):.0f}-{max(values):.0f}" if values else "-"


def ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, default=str))

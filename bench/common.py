# ruff: noqa: PLC0415 - imports wait until the environment (table, endpoint) is set, or until needed
"""What every benchmark shares: paths, the Lambda-like environment, statistics, machine facts."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / ".work"
LAYER = ROOT / "layers" / "shared"
EVENTS = ROOT / "events"
FUNCTIONS = ["authorizer", "create_dataset", "list_datasets", "get_dataset", "update_dataset", "delete_dataset"]
LOGICAL_IDS = {
    "authorizer": "AuthorizerFunction",
    "create_dataset": "CreateDatasetFunction",
    "list_datasets": "ListDatasetsFunction",
    "get_dataset": "GetDatasetFunction",
    "update_dataset": "UpdateDatasetFunction",
    "delete_dataset": "DeleteDatasetFunction",
}
TENANT = "be0c4be0c4be0c4be0c4be0c4be0c4be"  # the tenant every benchmark works in
BENCH_KEY = "ragflow-bench-0000000000000000000000000000000000"  # registered by the benchmarks, never on AWS
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
LAMBDA_VCPU_MB = 1769
"""Lambda gives a function one full vCPU at 1769 MB, and CPU in proportion to memory below that."""


def rel(path: Path | str) -> str:
    """A path as the report may show it: relative to the repository, never a machine path."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return Path(path).name


# ---- statistics -------------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else math.nan


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 100 samples is the 99th smallest)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return float(ordered[rank - 1])


def spread(values: Sequence[float]) -> str:
    """``min-max`` of a sample, for the report's noise column."""
    return f"{min(values):.0f}-{max(values):.0f}" if values else "-"


# ---- the environment a function sees on Lambda ------------------------------------------------------------


def template_globals_env() -> dict[str, str]:
    """The template's global environment variables, with their parameter defaults resolved."""
    from tools import template

    env: dict[str, str] = {}
    variables = template.load()["Globals"]["Function"]["Environment"]["Variables"]
    for name, value in variables.items():
        if isinstance(value, dict) and "Ref" in value:
            ref = value["Ref"]
            if ref in template.load().get("Parameters", {}):
                env[name] = str(template.parameter_default(ref))
            continue  # the table name is the benchmark's own
        env[name] = str(value)
    return env


def memory_size(function: str) -> int:
    from tools import template

    props = template.resources()[LOGICAL_IDS[function]]["Properties"]
    return int(props.get("MemorySize", template.load()["Globals"]["Function"]["MemorySize"]))


def lambda_env(function: str, *, table: str, endpoint: str, xray_port: int, task_root: Path) -> dict[str, str]:
    """The environment of one function's execution environment, as on AWS (tracing on), local DynamoDB."""
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}}
    env |= FAKE_AWS
    env |= template_globals_env()
    env |= {
        "TABLE_NAME": table,
        "DYNAMODB_ENDPOINT": endpoint,
        "PAGE_TOKEN_SECRET": "bench-page-token-secret-0123456789abcdef",
        "AWS_LAMBDA_FUNCTION_NAME": LOGICAL_IDS[function],
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_size(function)),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "LAMBDA_TASK_ROOT": str(task_root),  # Powertools' Tracer only traces inside Lambda: this says we are
        "LAMBDA_RUNTIME_DIR": str(task_root),
        # X-Ray as on AWS: a daemon address (a UDP socket of ours that drops what it gets), a sampled trace
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{xray_port}",
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
        "_X_AMZN_TRACE_ID": "Root=1-6743a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1",
        "PYTHONPATH": str(LAYER),
        "PYTHONHASHSEED": "0",
    }
    env.pop("POWERTOOLS_TRACE_DISABLED", None)
    return env


# ---- machine -----------------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def python_version(python: str | Path) -> str:
    out = subprocess.run(  # noqa: S603 - our own interpreters
        [str(python), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() or "unavailable"


def machine(python313: Path | None) -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "kernel": platform.release(),
        "python_bench": platform.python_version(),
        "python313": python_version(python313) if python313 else "not available",
        "memory_gib": _memory_gib(),
    }


def _memory_gib() -> float:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return math.nan
    found = re.search(r"MemTotal:\s+(\d+) kB", text)
    return round(int(found.group(1)) / 1024 / 1024, 1) if found else math.nan


def which(name: str) -> str | None:
    return shutil.which(name)


# ---- small I/O helpers -------------------------------------------------------------------------------------


def load_event(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / f"{name}.json").read_text()))


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True, default=str))


def fmt_ms(value: float, digits: int = 0) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def section_main(measure: Callable[[bool], Any]) -> None:
    """The command line every section shares: ``python -m bench.<section> [--smoke] --out RESULT.json``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    write_json(args.out, measure(args.smoke))


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def merge(*parts: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in parts:
        out |= part
    return out

# ruff: noqa: RUF001 - the report writes multiplication signs
"""Cold start of each function against the floor, where the time goes, and at each memory size's CPU share.

Every run is a fresh interpreter (``bench/coldstart_child.py``) against moto's server in another process. The
floor replays, with a bare boto3 client, the DynamoDB calls the handler made for the same kind of request
(captured here by ``harness.Recorder``, writes not sent), so it follows whatever the layer stores.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from botocore import xform_name

from bench import common, harness, importtime, seed
from bench.common import FUNCTIONS, median, memory_size, table
from bench.moto_server import MotoServer

TITLE = "Cold start (target: handler ≤ 1.2 × the floor); warm requests (target: ≤ 1.5 × a bare handler's CPU)"
ABOUT = (
    "A run is a fresh interpreter that imports one function's `app.py` as Lambda lays it out, in the template's "
    "environment (X-Ray's daemon a socket of ours), and serves a first request from `events/` (current API: "
    "create, list, get, rename, delete one dataset; the authorizer with a registered key), then 5 warm ones (10 at "
    "a CPU share: the warm CPU figure is their median). The **floor** is a bare handler: `import boto3`, one "
    "client, the DynamoDB calls the handler made for such a request. Times run from the child's first line (*wall* "
    "adds interpreter start-up and exit); medians (min-max) of 11 runs after a warm-up round (at a CPU share no "
    "warm-up and 7 runs, 5 at other sizes); in a group, variants and floor rotate round after round. *Without "
    "DynamoDB time*: the warm requests' median time in DynamoDB calls taken out of both sides. At *N MB's CPU "
    "share*, a cgroup gives the run N/1769 of a core (Lambda's vCPU share; moto outside it; this is no Graviton2). "
    "*no .pyc*: a copy of the code without `__pycache__`, `PYTHONDONTWRITEBYTECODE=1` (Lambda's code folders are "
    "read-only); *X-Ray SDK tracing*: `XRAY_SDK_TRACING=true`; *collector on during start-up*: "
    "`dataset_core.startup`'s pause undone, garbage collection runs as in the floor. Command: `python -m bench.run "
    "--only coldstart`."
)
CHILD = common.BENCH / "coldstart_child.py"
VENV313 = common.BENCH / ".venv313" / "bin" / "python"
TARGET = 1.2
WARM_TARGET = 1.5
WHATIF = ["authorizer", "create_dataset"]
VARIANTS = {"as is": {}, "no .pyc": {"PYTHONDONTWRITEBYTECODE": "1"}, "X-Ray SDK tracing": {"XRAY_SDK_TRACING": "true"}}
VARIANTS["collector on during start-up"] = {"BENCH_GC_ON": "1"}  # coldstart_child makes gc.disable a no-op
OTHER_SIZES = {"authorizer": [512], "create_dataset": [256, 1024], "get_dataset": [256, 1024]}
LADDER = {
    "logger_metrics": "+ Powertools Logger and Metrics",
    "pydantic": "+ import pydantic",
    "models": "+ our router and create's models and rules (dataset_core.http, {legacy,restful}.create_dataset)",
    "tracer": "(opt-in, not in the sum) + Tracer(patch_modules=['botocore']): the X-Ray SDK",
    "resolver": "(replaced, not in the sum) + Powertools' APIGatewayRestResolver(enable_validation=True)",
}
Runs = list[dict[str, Any]]


@dataclass(frozen=True)
class Setup:
    python: str  # "3.13", "3.11"
    mb: int | None = None  # at this memory size's CPU share; None: a full core
    variant: str = "as is"  # or "floor", or a key of VARIANTS


class CpuQuota:
    """A cgroup whose CPU quota is the share of a vCPU Lambda gives ``mb`` of memory (period 100 ms)."""

    def __init__(self, mb: int) -> None:
        quota, v1 = max(1000, int(100_000 * mb / common.LAMBDA_VCPU_MB)), Path("/sys/fs/cgroup/cpu")
        self.path = (v1 if v1.exists() else Path("/sys/fs/cgroup")) / f"ragflow-bench-{os.getpid()}-{mb}"
        self.path.mkdir(exist_ok=True)
        if v1.exists():
            (self.path / "cpu.cfs_period_us").write_text("100000")
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))
        else:
            (self.path / "cpu.max").write_text(f"{quota} 100000")

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` run inside the cgroup (the shell moves itself in, then execs)."""
        return ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(self.path), *argv]

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.rmdir()


class Runner:
    """Makes each child's job (events, or the calls the handler made for one) and runs it."""

    def __init__(self, db: MotoServer, pys: dict[str, Path], scratch: Path, pool: int) -> None:
        self.db, self.pys, self.scratch, self.count = db, pys, scratch, 0
        seed.register_key(common.TENANT)
        self.pool = [
            i for i, _ in seed.seed_datasets(db.client, common.TENANT, {db.table_name: pool})
        ]  # one per update or delete
        self.kept = self.pool.pop()  # what get reads
        self.xray = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a daemon that reads nothing
        self.xray.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.xray.bind(("127.0.0.1", 0))
        self.no_pyc = scratch / "no-pyc"
        for part, source in (("layer", common.LAYER), ("functions", common.ROOT / "functions")):
            shutil.copytree(source, self.no_pyc / part, ignore=shutil.ignore_patterns("__pycache__"))

    def event(self, fn: str) -> dict[str, Any]:
        name, event = f"cold-{uuid.uuid4().hex[:12]}", harness.event
        return {
            "authorizer": lambda: event("authorizer_bearer"),
            "create_dataset": lambda: event("create_dataset_restful", body={"name": name}),
            "list_datasets": lambda: event("list_datasets_restful"),
            "get_dataset": lambda: event("get_dataset_restful", dataset_id=self.kept),
            "update_dataset": lambda: event("update_dataset_restful", dataset_id=self.pool.pop(), body={"name": name}),
            "delete_dataset": lambda: event("delete_dataset_restful", body={"ids": [self.pool.pop()]}),
        }[fn]()

    def calls(self, fn: str) -> list[list[Any]]:
        """The DynamoDB calls (boto3 method, parameters) the handler makes for one such event."""
        with harness.Recorder(fake_writes=True) as recorder:
            status, body = harness.invoke(fn, self.event(fn))
        if status != 200:
            raise RuntimeError(f"recording the floor of {fn}: {status} {body}")
        drop = "ClientRequestToken"  # botocore makes one per transaction
        return [[xform_name(c.operation), {k: v for k, v in c.params.items() if k != drop}] for c in recorder.calls]

    def run(self, setup: Setup, fn: str, mode: str, warm: int = 5, imports: bool = False) -> dict[str, Any]:
        """One child in ``mode`` (see ``coldstart_child``), in a cgroup if ``setup.mb``."""
        self.count += 1
        job, out = self.scratch / f"job-{self.count}.json", self.scratch / f"out-{self.count}.json"
        root = self.no_pyc if setup.variant == "no .pyc" else common.ROOT
        fn_dir, make = root / "functions" / fn, self.event if mode in {"handler", "breakdown"} else self.calls
        spec = {"mode": mode, "name": common.logical_id(fn), "memory": common.memory_size(fn), "fn_dir": str(fn_dir)}
        job.write_text(json.dumps(spec | {"first": make(fn), "warm": [make(fn) for _ in range(warm)]}))
        env = common.lambda_env(fn, self.db.table_name, self.db.endpoint, self.xray.getsockname()[1], fn_dir)
        env |= VARIANTS.get(setup.variant, {}) | ({"PYTHONPATH": str(root / "layer")} if root != common.ROOT else {})
        argv = [str(self.pys[setup.python]), *(["-X", "importtime"] * imports), str(CHILD), str(job), str(out)]
        quota, started = CpuQuota(setup.mb) if setup.mb else None, time.perf_counter()
        try:
            argv = quota.wrap(argv) if quota else argv
            done = subprocess.run(argv, env=env, cwd=fn_dir, capture_output=True, text=True, check=False)  # noqa: S603
        finally:
            if quota:
                quota.remove()
        wall = (time.perf_counter() - started) * 1000
        result = {"ok": done.returncode == 0, "detail": done.stderr[-600:], "wall_ms": wall}
        if done.returncode == 0:
            result |= json.loads(out.read_text()) | ({"importtime": importtime.parse(done.stderr)} if imports else {})
        return result


def groups(smoke: bool, pys: dict[str, Path]) -> list[tuple[str, list[tuple[Setup, list[str]]], int, int]]:
    """(title, setups measured side by side with their functions, warm-up rounds, rounds)."""
    runtime, *others = pys
    whatif = [(Setup(runtime, None, variant), WHATIF) for variant in list(VARIANTS)[1:]]
    found = [(f"Python {runtime}, a full core; what-ifs", [(Setup(runtime), FUNCTIONS), *whatif], 1, 11)]
    found += [(f"Python {py}, a full core", [(Setup(py), FUNCTIONS)], 1, 11) for py in others]
    configured = [(Setup(runtime, common.memory_size(fn)), [fn]) for fn in FUNCTIONS]
    other = [(Setup(runtime, mb), [fn]) for fn, sizes in OTHER_SIZES.items() for mb in sizes]
    found += [(f"Python {runtime} at the CPU share of the template's memory size", configured, 0, 7)]
    found += [(f"Python {runtime} at the CPU share of other memory sizes", other, 0, 5)]
    try:
        CpuQuota(512).remove()
    except OSError as error:
        common.progress(f"cold start at a CPU share skipped: no writable cgroup CPU controller ({error})")
        found = found[:-2]
    if smoke:  # each kind of group, one round: the runtime's Python, one setup at a CPU share
        found = [(t, s[:1] if s[0][0].mb else s[:2], 0, 1) for t, s, _, _ in found if s[0][0].python == runtime]
    return found


def _med(runs: Runs, key: str) -> float:
    return median(float(r[key]) for r in runs if key in r)


def _warm_ours(runs: Runs) -> float:
    return median(w - d for r in runs for w, d in zip(r["warm_ms"], r["warm_ddb_ms"], strict=True))


def _row(fn: str, setup: Setup, handler: Runs, floor: Runs, base: float) -> tuple[str, str]:
    """The table row, and the summary's "measured" cell."""
    bad, variant = [r for r in handler + floor if not r["ok"]], f"{setup.mb} MB" if setup.mb else setup.variant
    if bad or not handler:
        detail = " ".join(str(bad[0]["detail"] if bad else "no run").split())[-300:].replace("|", "/")
        return f"{fn} | {variant} | ERROR: {detail}" + " |" * 9, "ERROR"
    h, f = _med(handler, "total_ms"), _med(floor, "total_ms")
    h_ddb, f_ddb = (median(d for r in runs for d in r["warm_ddb_ms"]) for runs in (handler, floor))
    targeted = setup.mb is None and setup.variant == "as is"
    cells = [
        f"{fn} | {variant} | {_med(handler, 'import_ms'):.0f} + {_med(handler, 'first_ms'):.0f} = **{h:.0f}** "
        f"({common.spread([r['total_ms'] for r in handler])})",
        f"{_med(floor, 'import_ms'):.0f} + {_med(floor, 'client_ms'):.0f} + {_med(floor, 'first_ms'):.0f} = "
        f"**{f:.0f}** ({common.spread([r['total_ms'] for r in floor])})",
        f"**{h / f:.2f}×** | {common.ratio(h - h_ddb, f - f_ddb):.2f}×",
        "" if setup.variant == "as is" else f"{h - base:+.0f}",
        f"{_med(handler, 'wall_ms'):.0f} / {_med(floor, 'wall_ms'):.0f}",
        f"{_warm_ours(handler):.1f} / {_warm_ours(floor):.1f}",
        f"≤ {TARGET}× | {common.verdict(h / f <= TARGET)}" if targeted else "- | -",
    ]
    return " | ".join(cells), f"{h / f:.2f}× ({h:.0f} / {f:.0f} ms)"


def measure_groups(runner: Runner, smoke: bool) -> tuple[list[common.Table], list[str], dict[str, Any]]:
    tables, targets = [], []
    data: dict[str, dict[str, Any]] = {"memory": defaultdict(dict), "full": {}}
    columns = (
        "function | variant | handler: import + first request = total ms | floor: import boto3 + client + calls = "
        "total ms | ratio | ratio without DynamoDB time | vs as is, ms | wall ms handler / floor | warm ms, ours: "
        "handler / floor | target | result"
    )
    for title, setups, warmup, rounds in groups(smoke, runner.pys):
        common.progress(f"cold start: {title}")
        runs: dict[tuple[Setup, str], Runs] = defaultdict(list)
        for n in range(warmup + rounds):
            for fn in FUNCTIONS:
                entries = [s for s, fns in setups if fn in fns]
                entries += [replace(s, variant="floor") for s in entries if s.variant == "as is"]
                for setup in entries[n % max(1, len(entries)) :] + entries[: n % max(1, len(entries))]:
                    mode = "floor" if setup.variant == "floor" else "handler"
                    result = runner.run(setup, fn, mode, 10 if setup.mb else 5)
                    runs[(setup, fn)] += [result] if n >= warmup else []
        rows = []
        for fn, setup in ((fn, s) for fn in FUNCTIONS for s, fns in setups if fn in fns):
            handler, base = runs[(setup, fn)], _med(runs[(replace(setup, variant="as is"), fn)], "total_ms")
            row, measured = _row(fn, setup, handler, runs[(replace(setup, variant="floor"), fn)], base)
            rows.append(row)
            if setup.variant == "as is" and measured != "ERROR":
                figures = {"cold_ms": _med(handler, "total_ms"), "warm_ms": _warm_ours(handler)}
                if setup.mb:
                    data["memory"][fn][setup.mb] = figures
                elif setup.python == next(iter(runner.pys)):
                    data["full"][fn] = figures
            if setup.mb is None and setup.variant == "as is":
                figure = f"cold start {fn} / floor (Python {setup.python})"
                targets.append(f"{figure} | {measured} | ≤ {TARGET}× | {row.rsplit(' | ', 1)[1]}")
            if setup.mb == memory_size(fn) and setup.variant == "as is" and measured != "ERROR":
                pair = (handler, runs[(replace(setup, variant="floor"), fn)])
                cpu = [median(c for r in runs_ for c in r["warm_cpu_ms"]) for runs_ in pair]
                billed = [math.ceil(median(w for r in runs_ for w in r["warm_ms"])) for runs_ in pair]
                figure = f"warm request CPU {fn} / bare handler, at {setup.mb} MB's CPU share"
                cells = (
                    f"{cpu[0] / cpu[1]:.2f}× ({cpu[0]:.1f} / {cpu[1]:.1f} ms CPU; billed {billed[0]} / {billed[1]} ms)"
                )
                targets.append(
                    f"{figure} | {cells} | ≤ {WARM_TARGET}× | {common.verdict(cpu[0] <= WARM_TARGET * cpu[1])}"
                )
        tables.append(table(title, columns, rows))
    return tables, targets, data


def where_time_goes(runner: Runner, smoke: bool) -> list[common.Table]:
    """The breakdown, the import-time components and the building blocks (``ladder``)."""
    common.progress("cold start: breakdown, -X importtime, building blocks")
    n, setup = 1 if smoke else 3, Setup(next(iter(runner.pys)))
    parts, imports = defaultdict(list), defaultdict(list)
    for _ in range(n):
        for fn in FUNCTIONS:
            parts[fn].append(runner.run(setup, fn, "breakdown"))
            imports[fn].append(runner.run(setup, fn, "handler", warm=0, imports=True).get("importtime", []))
    keys = ["import_ms", "import_botocore_ms", "client_ms", "first_ms", "total_ms"]
    warm = {fn: median(w for x in r for w in x.get("warm_ms", [])) for fn, r in parts.items()}
    rows = [
        f"{fn} | " + " | ".join(f"{_med(r, k):.1f}" for k in keys) + f" | {warm[fn]:.1f}" for fn, r in parts.items()
    ]
    head = "function | import app.py | import botocore | create the layer's client | first request | total | warm"
    title = f"Where a cold start goes (Python {setup.python}, a full core, medians of {n})"
    tables = [table(title, head, rows), *importtime.tables(imports, n)]
    ladder = [runner.run(setup, "create_dataset", "ladder", 0) for _ in range(1 if smoke else 7)]
    ladder = [r for r in ladder if r["ok"]]
    steps = {name: median(dict(r["steps"])[name] for r in ladder) for name in LADDER}
    floor = median(r["import_ms"] + r["client_ms"] + r["first_ms"] for r in ladder)
    rows = [f"floor: import boto3 + client + TransactWriteItems | {floor:.0f}"]
    rows += [f"{LADDER[k]} | {v:.0f}" for k, v in steps.items()]
    rows.append(f"**sum** (the handler's blocks) | **{floor + sum(list(steps.values())[:3]):.0f}**")
    title = f"Building blocks of create_dataset, each on top of those above (Python {setup.python}, medians)"
    return [*tables, table(title, "step | ms", rows)]


def section(smoke: bool) -> dict[str, Any]:
    pys = {"3.13": VENV313} if VENV313.exists() else {}
    pys[f"{sys.version_info[0]}.{sys.version_info[1]}"] = Path(sys.executable)
    common.WORK.mkdir(parents=True, exist_ok=True)
    with MotoServer("bench-coldstart") as db, tempfile.TemporaryDirectory(dir=common.WORK) as scratch:
        seed.use_table(db.endpoint, db.table_name)
        runner = Runner(db, pys, Path(scratch), 150 if smoke else 1600)
        tables, targets, data = measure_groups(runner, smoke)
        tables += where_time_goes(runner, smoke)
        datagrams = 0
        runner.xray.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while runner.xray.recv(65536):
                datagrams += 1
    tables.append(table("X-Ray segments sent to our daemon (the tracing variant)", "datagrams", [str(datagrams)]))
    versions = {k: subprocess.check_output([p, "-V"], text=True).split()[-1] for k, p in pys.items()}  # noqa: S603
    return {"tables": tables, "targets": targets, "data": data | {"pythons": versions}}

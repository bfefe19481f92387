# ruff: noqa: PLC0415 - imports wait until the environment (table, endpoint) is set, or until needed
"""Issue 6.1: cold start of each function against the floor, and where the time goes.

Every figure comes from a fresh interpreter (``bench/coldstart_child.py``) talking to moto's server in
another process, with the environment a function has on Lambda (tracing on, X-Ray daemon address pointing
at a UDP socket of ours that drops what it receives). Handler and floor runs alternate, in one loop, so
that the machine's drift hits both alike; the first round is a warm-up (page cache) and is dropped.

    python -m bench.coldstart [--smoke] --out RESULT.json
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import seed
from bench.common import (
    BENCH,
    BENCH_KEY,
    FUNCTIONS,
    LAMBDA_VCPU_MB,
    LAYER,
    LOGICAL_IDS,
    ROOT,
    TENANT,
    WORK,
    lambda_env,
    load_event,
    memory_size,
    progress,
    python_version,
    section_main,
)
from bench.moto_server import MotoServer

CHILD = BENCH / "coldstart_child.py"
VENV313 = BENCH / ".venv313" / "bin" / "python"
WARM_REQUESTS = 5
# The last two are no blocks of the handler: the opt-in Tracer, and what dataset_core.http replaced.
LADDER = ["logger_metrics", "pydantic", "models", "tracer", "resolver"]
ROUTE_EVENTS = {
    "create_dataset": "create_dataset_restful",
    "list_datasets": "list_datasets_restful",
    "get_dataset": "get_dataset_restful",
    "update_dataset": "update_dataset_restful",
    "delete_dataset": "delete_dataset_restful",
}


@dataclass(frozen=True)
class Interpreter:
    label: str
    python: Path


def interpreters() -> list[Interpreter]:
    found = [Interpreter(f"{sys.version_info.major}.{sys.version_info.minor}", Path(sys.executable))]
    if VENV313.exists():
        found.append(Interpreter("3.13", VENV313))
    return found


# ---- an X-Ray "daemon" that drops everything ------------------------------------------------------------


class XraySink:
    """A UDP socket on loopback that reads and counts what the X-Ray SDK sends, and keeps nothing."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.datagrams = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while not self._stop.is_set():
            try:
                self.sock.recv(65536)
                self.datagrams += 1
            except TimeoutError:
                continue
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


# ---- CPU quota: Lambda's CPU share of a memory size, as a cgroup ------------------------------------------


class CpuQuota:
    """A cgroup whose CPU quota is the share of a vCPU Lambda gives ``memory_mb`` (1769 MB = 1 vCPU)."""

    PERIOD_US = 100_000

    def __init__(self, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        self.share = memory_mb / LAMBDA_VCPU_MB
        quota = max(1000, int(self.PERIOD_US * self.share))
        name = f"ragflow-bench-{os.getpid()}-{memory_mb}"
        v1 = Path("/sys/fs/cgroup/cpu")
        v2 = Path("/sys/fs/cgroup")
        if (v1 / "cpu.cfs_quota_us").exists():
            self.path = v1 / name
            self.path.mkdir(exist_ok=True)
            (self.path / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))
        elif (v2 / "cgroup.controllers").exists():
            self.path = v2 / name
            self.path.mkdir(exist_ok=True)
            (self.path / "cpu.max").write_text(f"{quota} {self.PERIOD_US}")
        else:
            raise OSError("no cgroup CPU controller here")

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` run inside the cgroup (the shell moves itself in, then execs)."""
        return ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(self.path), *argv]

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.rmdir()


def quota_unavailable_reason() -> str | None:
    try:
        probe = CpuQuota(512)
    except OSError as error:
        return f"cgroup CPU quota unavailable ({error}); needs root and a writable cgroup CPU controller"
    probe.remove()
    return None


# ---- jobs ---------------------------------------------------------------------------------------------------


class Jobs:
    """Events and floor calls for each run, prepared against the table (fresh datasets where needed)."""

    def __init__(self, table: str) -> None:
        from types import SimpleNamespace

        from dataset_core import api_keys
        from dataset_core.storage import api_keys as stored_keys
        from dataset_core.storage import codec
        from dataset_core.storage import datasets as stored

        self.table = table
        self.storage = SimpleNamespace(
            tenant_pk=stored.tenant_pk,
            dataset_sk=stored.dataset_sk,
            apikey_pk=stored_keys.apikey_pk,
            get_dataset=stored.get_dataset,
            _dataset_item=lambda ds: codec.item(stored.dataset_attrs(ds)),
        )
        self.digest = api_keys.digest(BENCH_KEY)
        seed.register_key(TENANT)
        self.existing = seed.seed_datasets(TENANT, 100, prefix="cold")  # list/get/update work on these
        self.serial = 0

    def _name(self, kind: str) -> str:
        self.serial += 1
        return f"{kind}-{self.serial}-{uuid.uuid4().hex[:8]}"

    def event(self, function: str) -> dict[str, Any]:
        if function == "authorizer":
            event = load_event("authorizer_bearer")
            event["authorizationToken"] = f"Bearer {BENCH_KEY}"
            return event
        event = copy.deepcopy(load_event(ROUTE_EVENTS[function]))
        event["requestContext"]["authorizer"].update(principalId=TENANT, tenant_id=TENANT)
        target = self.existing[len(self.existing) // 2]
        if function == "create_dataset":
            event["body"] = json.dumps({**json.loads(event["body"]), "name": self._name("cold")})
        elif function in {"get_dataset", "update_dataset"}:
            event["pathParameters"] = {"dataset_id": target.id}
            event["path"] = event["path"].rsplit("/", 1)[0] + "/" + target.id
            if function == "update_dataset":  # a rename: the heavier update (dataset and both name locks)
                event["body"] = json.dumps({"name": self._name("renamed"), "description": "quarterly reports"})
        elif function == "delete_dataset":
            fresh = seed.create_dataset(TENANT, self._name("doomed"))
            event["body"] = json.dumps({"ids": [fresh], "delete_all": False})
        return event

    def floor_calls(self, function: str) -> list[tuple[str, dict[str, Any]]]:
        """The DynamoDB call(s) the operation needs, and nothing else, with the same item shapes."""
        st = self.storage
        pk = st.tenant_pk(TENANT)
        target = self.existing[len(self.existing) // 2 + 1]  # not the handler's: the floor's Put is blind
        get_target = {
            "TableName": self.table,
            "Key": {"pk": {"S": pk}, "sk": {"S": st.dataset_sk(target.id)}},
            "ConsistentRead": True,
        }
        if function == "authorizer":
            key = {"pk": {"S": st.apikey_pk(self.digest)}, "sk": {"S": "APIKEY"}}
            return [("get_item", {"TableName": self.table, "Key": key})]
        if function == "get_dataset":
            return [("get_item", get_target)]
        if function == "list_datasets":
            query = {
                "TableName": self.table,
                "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :meta",
                "ExpressionAttributeValues": {":pk": {"S": pk}, ":first": {"S": "DATASET#"}, ":meta": {"S": "META"}},
                "ScanIndexForward": False,
                "Limit": 32,
            }
            return [("query", query)]
        if function == "create_dataset":
            (ds,), _ = seed.dataset_items(TENANT, 1, self._name("floor"))
            return [("transact_write_items", {"TransactItems": self._create_items(ds)})]
        if function == "update_dataset":
            lock = {"pk": {"S": pk}, "sk": {"S": "NAME#" + self._name("floor-renamed")}, "dataset_id": {"S": target.id}}
            items = [
                {"Put": {"TableName": self.table, "Item": st._dataset_item(target)}},
                {"Put": {"TableName": self.table, "Item": lock, "ConditionExpression": "attribute_not_exists(pk)"}},
            ]
            return [("get_item", get_target), ("transact_write_items", {"TransactItems": items})]
        if function == "delete_dataset":
            fresh = seed.create_dataset(TENANT, self._name("floor-doomed"))
            return [
                ("get_item", {**get_target, "Key": {"pk": {"S": pk}, "sk": {"S": st.dataset_sk(fresh)}}}),
                ("transact_write_items", {"TransactItems": self._delete_items(fresh)}),
            ]
        raise ValueError(function)

    def _create_items(self, ds: Any) -> list[dict[str, Any]]:
        st = self.storage
        pk = st.tenant_pk(TENANT)
        lock = {"pk": {"S": pk}, "sk": {"S": "NAME#" + ds.name.lower()}, "dataset_id": {"S": ds.id}}
        not_exists = "attribute_not_exists(pk)"
        return [
            {"Put": {"TableName": self.table, "Item": st._dataset_item(ds), "ConditionExpression": not_exists}},
            {"Put": {"TableName": self.table, "Item": lock, "ConditionExpression": not_exists}},
            {
                "Update": {
                    "TableName": self.table,
                    "Key": {"pk": {"S": pk}, "sk": {"S": "META"}},
                    "UpdateExpression": "ADD dataset_count :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ]

    def _delete_items(self, dataset_id: str) -> list[dict[str, Any]]:
        st = self.storage
        pk = st.tenant_pk(TENANT)
        ds = st.get_dataset(TENANT, dataset_id)
        assert ds is not None
        return [
            {"Delete": {"TableName": self.table, "Key": {"pk": {"S": pk}, "sk": {"S": st.dataset_sk(ds.id)}}}},
            {"Delete": {"TableName": self.table, "Key": {"pk": {"S": pk}, "sk": {"S": "NAME#" + ds.name.lower()}}}},
            {
                "Update": {
                    "TableName": self.table,
                    "Key": {"pk": {"S": pk}, "sk": {"S": "META"}},
                    "UpdateExpression": "ADD dataset_count :minus",
                    "ExpressionAttributeValues": {":minus": {"N": "-1"}},
                }
            },
        ]

    def job(self, function: str, mode: str, fn_dir: Path, warm: int = WARM_REQUESTS, **extra: Any) -> dict[str, Any]:
        job: dict[str, Any] = {
            "mode": mode,
            "function_name": LOGICAL_IDS[function],
            "memory": memory_size(function),
            "fn_dir": str(fn_dir),
            **extra,
        }
        if mode in {"floor", "ladder"}:
            job["floor_first"] = self.floor_calls(function)
            job["floor_warm"] = [self.floor_calls(function) for _ in range(warm if mode == "floor" else 0)]
        else:
            job["first"] = self.event(function)
            job["warm"] = [self.event(function) for _ in range(warm)]
        return job


# ---- running children -----------------------------------------------------------------------------------------


class Runner:
    def __init__(self, db: MotoServer, sink: XraySink, scratch: Path) -> None:
        self.db = db
        self.sink = sink
        self.scratch = scratch
        self.count = 0

    def run(
        self,
        python: Path,
        function: str,
        job: dict[str, Any],
        *,
        quota: CpuQuota | None = None,
        importtime: bool = False,
        env_extra: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        self.count += 1
        job_file = self.scratch / f"job-{self.count}.json"
        out_file = self.scratch / f"out-{self.count}.json"
        job_file.write_text(json.dumps(job))
        env = lambda_env(
            function,
            table=self.db.table,
            endpoint=self.db.endpoint,
            xray_port=self.sink.port,
            task_root=Path(job["fn_dir"]),
        )
        env |= env_extra or {}
        argv = [str(python), *(["-X", "importtime"] if importtime else []), str(CHILD), str(job_file), str(out_file)]
        if quota is not None:
            argv = quota.wrap(argv)
        started = time.perf_counter()
        done = subprocess.run(  # noqa: S603 - our own interpreters and script
            argv, env=env, cwd=job["fn_dir"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False
        )
        wall = (time.perf_counter() - started) * 1000
        if done.returncode != 0 or not out_file.exists():
            return {"ok": False, "detail": done.stderr[-2000:], "wall_ms": wall}
        result: dict[str, Any] = json.loads(out_file.read_text())
        result["wall_ms"] = wall
        if importtime:
            result["importtime"] = parse_importtime(done.stderr)
        job_file.unlink()
        out_file.unlink()
        return result


def parse_importtime(stderr: str) -> list[tuple[int, str, int, int]]:
    """``-X importtime`` lines as (depth, module, self µs, cumulative µs), in the order Python printed them."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative, name = line[len("import time:") :].split("|", 2)
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        rows.append((depth, name.strip(), int(self_us), int(cumulative)))
    return rows


# ---- what compiling our code costs when no .pyc ships (Lambda's /var/task and /opt are read-only) -------


COMPILE_SCRIPT = """
import json, sys, time
paths = json.loads(sys.argv[1])
best = []
for _ in range(7):
    started = time.perf_counter()
    for path in paths:
        with open(path, 'rb') as f:
            compile(f.read(), path, 'exec', dont_inherit=True)
    best.append((time.perf_counter() - started) * 1000)
best.sort()
print(json.dumps(best[len(best) // 2]))
"""


def compile_ms(python: Path, modules: list[str], fn_dir: Path) -> float:
    paths = []
    for module in modules:
        if module == "app":
            paths.append(str(fn_dir / "app.py"))
        elif module.startswith("dataset_core"):
            parts = module.split(".")
            base = LAYER.joinpath(*parts)
            paths.append(str(base / "__init__.py") if base.is_dir() else str(base.with_suffix(".py")))
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [str(python), "-c", COMPILE_SCRIPT, json.dumps(paths)], capture_output=True, text=True, check=True
    )
    return float(done.stdout)


# ---- the section --------------------------------------------------------------------------------------------


def measure(smoke: bool) -> dict[str, Any]:
    runs = 1 if smoke else 7
    warmup = 0 if smoke else 1
    quota_runs = 1 if smoke else 7
    results: dict[str, Any] = {"runs": runs, "warm_requests": WARM_REQUESTS, "interpreters": {}}
    scratch = Path(tempfile.mkdtemp(prefix="coldstart-", dir=WORK))
    with MotoServer(table="bench") as db:
        seed.use_endpoint(db.endpoint, db.table)
        jobs = Jobs(db.table)
        sink = XraySink()
        runner = Runner(db, sink, scratch)
        try:
            fn_dirs = {f: ROOT / "functions" / f for f in FUNCTIONS}
            started = time.perf_counter()
            for interp in interpreters():
                progress(f"cold start, Python {interp.label}: {runs} runs x {len(FUNCTIONS)} functions x 2")
                per_fn: dict[str, dict[str, list[dict[str, Any]]]] = {
                    f: {"handler": [], "floor": []} for f in FUNCTIONS
                }
                for round_no in range(warmup + runs):
                    for function in FUNCTIONS:
                        modes = ["handler", "floor"] if round_no % 2 == 0 else ["floor", "handler"]
                        for mode in modes:
                            result = runner.run(interp.python, function, jobs.job(function, mode, fn_dirs[function]))
                            if round_no >= warmup:
                                per_fn[function][mode].append(result)
                results["interpreters"][interp.label] = {"python": python_version(interp.python), "functions": per_fn}
            results["elapsed_main_s"] = time.perf_counter() - started

            py = Path(sys.executable)
            progress("cold start breakdown: lazy imports, client creation, -X importtime, compile cost")
            breakdown: dict[str, list[dict[str, Any]]] = defaultdict(list)
            importtimes: dict[str, list[list[tuple[int, str, int, int]]]] = defaultdict(list)
            for _ in range(1 if smoke else 3):
                for function in FUNCTIONS:
                    breakdown[function].append(
                        runner.run(py, function, jobs.job(function, "breakdown", fn_dirs[function]))
                    )
                    timed = runner.run(
                        py, function, jobs.job(function, "handler", fn_dirs[function], warm=0), importtime=True
                    )
                    importtimes[function].append(timed.get("importtime", []))
            results["breakdown"] = breakdown
            results["importtime"] = {f: merge_importtime(runs_) for f, runs_ in importtimes.items()}
            compile_costs: dict[str, dict[str, Any]] = {}
            for function in FUNCTIONS:
                ours = [name for _, name, _, _ in results["importtime"][function] if _ours(name)]
                compile_costs[function] = {
                    "modules": len(ours),
                    "ms": {i.label: compile_ms(i.python, ours, fn_dirs[function]) for i in interpreters()},
                }
            results["compile"] = compile_costs

            progress("cold start ladder: the floor plus the handler's building blocks, one at a time")
            job = jobs.job("create_dataset", "ladder", fn_dirs["create_dataset"], ladder=LADDER)
            results["ladder"] = [runner.run(py, "create_dataset", job) for _ in range(runs)]

            whatif_python = VENV313 if VENV313.exists() else py
            progress(f"cold start what-ifs ({', '.join(WHATIF)}) on {whatif_python.parent.parent.name}")
            results["whatif"] = measure_whatif(runner, jobs, whatif_python, runs, scratch)
            results["quota"] = measure_quota(runner, jobs, fn_dirs, quota_runs, smoke)
        finally:
            results["xray_datagrams"] = sink.datagrams
            sink.close()
            shutil.rmtree(scratch, ignore_errors=True)
    return results


WHATIF_FUNCTIONS = ["authorizer", "create_dataset"]
WHATIF = ["as is", "no .pyc", "X-Ray SDK tracing"]


def variant_tree(kind: str, scratch: Path) -> tuple[Path, Path]:
    """A fresh copy of the shared layer and the functions (no ``__pycache__``): (layer folder, functions
    folder). The variants differ in how they run, not in their code."""
    root = scratch / ("variant-" + re.sub(r"\W+", "-", kind))
    no_cache = shutil.ignore_patterns("__pycache__")
    shutil.copytree(LAYER, root / "layer", ignore=no_cache, dirs_exist_ok=True)
    shutil.copytree(ROOT / "functions", root / "functions", ignore=no_cache, dirs_exist_ok=True)
    return root / "layer", root / "functions"


def measure_whatif(runner: Runner, jobs: Jobs, python: Path, runs: int, scratch: Path) -> dict[str, Any]:
    """The handler from copies of the code changed one way each, and the floor, side by side."""
    trees = {kind: variant_tree(kind, scratch) for kind in WHATIF}
    results: dict[str, dict[str, list[dict[str, Any]]]] = {
        f: {k: [] for k in [*trees, "floor"]} for f in WHATIF_FUNCTIONS
    }
    for round_no in range(1 + runs):  # round 0 warms the page cache and writes the .pyc files it may
        for function in WHATIF_FUNCTIONS:
            order = [*trees, "floor"]
            order = order[round_no % len(order) :] + order[: round_no % len(order)]
            for kind in order:
                if kind == "floor":
                    job = jobs.job(function, "floor", ROOT / "functions" / function)
                    result = runner.run(python, function, job)
                else:
                    layer, functions = trees[kind]
                    job = jobs.job(function, "handler", functions / function)
                    env = {"PYTHONPATH": str(layer)}
                    if kind == "no .pyc":
                        env["PYTHONDONTWRITEBYTECODE"] = "1"
                    if kind == "X-Ray SDK tracing":
                        env["XRAY_SDK_TRACING"] = "true"
                    result = runner.run(python, function, job, env_extra=env)
                if round_no > 0:
                    results[function][kind].append(result)
    return {"python": python_version(python), "runs": runs, "functions": results}


QUOTA_PLAN = {"authorizer": [256, 512], "get_dataset": [256, 512, 1024], "create_dataset": [256, 512, 1024]}
QUOTA_PLAN_SMOKE = {"get_dataset": [512]}


def measure_quota(runner: Runner, jobs: Jobs, fn_dirs: dict[str, Path], runs: int, smoke: bool) -> dict[str, Any]:
    reason = quota_unavailable_reason()
    if reason is not None:
        progress(f"CPU-quota simulation skipped: {reason}")
        return {"skipped": reason}
    plan = QUOTA_PLAN_SMOKE if smoke else QUOTA_PLAN
    out: dict[str, Any] = {"period_us": CpuQuota.PERIOD_US, "functions": {}}
    py = Path(sys.executable)
    progress(f"cold start under Lambda's CPU share per memory size: {plan}")
    for function, sizes in plan.items():
        per_size: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for mb in sizes:
            quota = CpuQuota(mb)
            try:
                per_size[str(mb)] = {"handler": [], "floor": []}
                for round_no in range(runs):
                    modes = ["handler", "floor"] if round_no % 2 == 0 else ["floor", "handler"]
                    for mode in modes:
                        job = jobs.job(function, mode, fn_dirs[function], warm=3)
                        per_size[str(mb)][mode].append(runner.run(py, function, job, quota=quota))
            finally:
                quota.remove()
        out["functions"][function] = per_size
    return out


def _ours(module: str) -> bool:
    return module == "app" or module.startswith("dataset_core")


def merge_importtime(runs: list[list[tuple[int, str, int, int]]]) -> list[tuple[int, str, int, int]]:
    """The first run's tree, each module's times the median over the runs that imported it."""
    if not runs or not runs[0]:
        return []
    self_us: dict[str, list[int]] = defaultdict(list)
    cum_us: dict[str, list[int]] = defaultdict(list)
    for run in runs:
        for _, name, s, c in run:
            self_us[name].append(s)
            cum_us[name].append(c)
    return [(d, n, int(statistics.median(self_us[n])), int(statistics.median(cum_us[n]))) for d, n, _, _ in runs[0]]


if __name__ == "__main__":
    section_main(measure)

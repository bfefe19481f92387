# ruff: noqa: PLC0415 - imports wait until the environment (table, endpoint) is set, or until needed
"""Run every benchmark of issue 6 and write the report: ``python -m bench.run [--smoke]``.

Each section runs in a process of its own (so one section's imports, caches or moto cannot colour the
next one's figures) and leaves its raw results in ``bench/.work/results/``. Then ``bench.report`` writes
``bench/REPORT.md`` and ``bench/list_latency.png`` (with ``--smoke``: ``bench/.work/REPORT-smoke.md`` and
``bench/.work/list_latency-smoke.png``, tiny sizes, under a minute).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import BENCH, ROOT, WORK, progress

SECTIONS = ["roundtrips", "size", "coldstart", "scaling", "localapi_load"]


def run_section(name: str, smoke: bool, results: Path) -> dict[str, Any]:
    out = results / f"{name}.json"
    out.unlink(missing_ok=True)
    log = WORK / f"{name}.log"
    argv = [sys.executable, "-m", f"bench.{name}", "--out", str(out), *(["--smoke"] if smoke else [])]
    started = time.perf_counter()
    progress(f"section {name} ...")
    with log.open("w") as stdout:
        done = subprocess.run(argv, cwd=ROOT, stdout=stdout, stderr=subprocess.PIPE, text=True, check=False)  # noqa: S603
    seconds = time.perf_counter() - started
    for line in done.stderr.splitlines():
        if line.startswith("[bench]"):
            print(line, file=sys.stderr, flush=True)
    if done.returncode != 0 or not out.exists():
        tail = "\n".join(done.stderr.splitlines()[-25:])
        progress(f"section {name} FAILED after {seconds:.0f} s:\n{tail}")
        return {"error": tail, "seconds": seconds}
    progress(f"section {name}: {seconds:.0f} s")
    data: dict[str, Any] = {"data": json.loads(out.read_text()), "seconds": seconds}
    return data


def code_state() -> str:
    """The commit measured, and any uncommitted change to the product code it ran with."""
    git = shutil.which("git")
    if git is None:
        return "unknown (no git)"
    head = subprocess.run(  # noqa: S603 - git on our own repository
        [git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    dirty = subprocess.run(  # noqa: S603
        [git, "status", "--porcelain", "--", "layers", "functions", "template.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    changed = sorted(line[3:] for line in dirty.stdout.splitlines())
    state = f"commit {head.stdout.strip()}"
    return state + (f" plus uncommitted changes to {', '.join(changed)}" if changed else " (product code clean)")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, under a minute; report under bench/.work")
    parser.add_argument("--only", nargs="*", choices=SECTIONS, help="run only these sections (report from old ones)")
    args = parser.parse_args()
    results = WORK / ("results-smoke" if args.smoke else "results")
    results.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    began = datetime.datetime.now(datetime.UTC)
    code = code_state()
    load_before = os.getloadavg()[0]
    sections: dict[str, Any] = {}
    for name in SECTIONS:
        if args.only and name not in args.only:
            previous = results / f"{name}.json"
            sections[name] = (
                {"data": json.loads(previous.read_text()), "seconds": 0.0}
                if previous.exists()
                else {"error": "not run", "seconds": 0.0}
            )
            continue
        sections[name] = run_section(name, args.smoke, results)
    elapsed = time.perf_counter() - started
    load = f"1-min load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"

    from bench import report

    command = "make bench-smoke" if args.smoke else "make bench"
    report_path = WORK / "REPORT-smoke.md" if args.smoke else BENCH / "REPORT.md"
    plot_path = WORK / "list_latency-smoke.png" if args.smoke else BENCH / "list_latency.png"
    report.write(
        sections,
        report_path,
        plot_path,
        command=command,
        began=began,
        elapsed=elapsed,
        smoke=args.smoke,
        code=code,
        load=load,
    )
    progress(f"wrote {report_path.relative_to(ROOT)} and {plot_path.relative_to(ROOT)} in {elapsed:.0f} s")
    failed = [name for name, section in sections.items() if "error" in section]
    if failed:
        progress(f"sections that failed: {', '.join(failed)} (see bench/.work/<section>.log)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run the benchmarks and write ``bench/REPORT.md``: ``python -m bench.run [--smoke] [--only SECTION ...]``.

A section is a module with ``TITLE``, ``ABOUT`` (what it measures, fixed text) and ``section(smoke)``, which
returns ``{"tables", "targets", "data"}``: report tables with every cell formatted, summary rows (figure,
measured, target, result), and raw figures for derived sections (``cost`` reads §1 and §2). Adding a
measurement is one such function and its tables. Each section runs in a process of its own (one section's
imports, caches or moto cannot colour the next one's figures) and leaves its result in
``bench/.work/results/``; ``--only`` runs some sections and prints their tables, and with ``--report``
rewrites the report from this run and the stored results of the others (each section says when it was run).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import BENCH, ROOT, WORK, progress, table, write_json

SECTIONS = ["coldstart", "roundtrips", "scaling", "size", "localapi"]  # report order; "cost" is derived
RUN_ORDER = ["roundtrips", "size", "coldstart", "scaling", "localapi"]


def run_section(name: str, smoke: bool, out: Path) -> dict[str, Any]:
    out.unlink(missing_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    progress(f"section {name} ...")
    started, argv = time.perf_counter(), [sys.executable, "-m", "bench.run", "--section", name, "--out", str(out)]
    with (WORK / f"{name}.log").open("w") as log:  # stdout: the handlers' logs
        argv += ["--smoke"] * smoke
        done = subprocess.run(argv, cwd=ROOT, stdout=log, stderr=subprocess.PIPE, text=True, check=False)  # noqa: S603
    seconds = time.perf_counter() - started
    print("\n".join(line for line in done.stderr.splitlines() if line.startswith("[bench]")), file=sys.stderr)
    error = {"error": "\n".join(done.stderr.splitlines()[-25:])}
    result = json.loads(out.read_text()) if done.returncode == 0 else error
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    result |= {"seconds": seconds, "code": code_state(), "when": now}
    write_json(out, result)
    progress(f"section {name}: {seconds:.0f} s" + (f", FAILED:\n{result['error']}" if "error" in result else ""))
    return dict(result)


def code_state() -> str:
    """The commit measured, and any uncommitted change to the product code it ran with."""
    git = ["git", "-C", str(ROOT)]
    status = [*git, "status", "--porcelain", "--", "layers", "functions", "template.yaml"]
    changed = subprocess.check_output(status, text=True)  # noqa: S603 - git on our repository
    head = subprocess.check_output([*git, "rev-parse", "--short", "HEAD"], text=True).strip()  # noqa: S603
    return head + (f" + uncommitted {', '.join(sorted(line[3:] for line in changed.splitlines()))}" if changed else "")


def markdown(t: dict[str, Any]) -> str:
    rule = "|---" * (t["columns"].count(" | ") + 1) + "|"
    note = [t["note"], ""] if t.get("note") else []
    return "\n".join(
        [f"### {t['title']}", "", f"| {t['columns']} |", rule, *(f"| {r} |" for r in t["rows"]), "", *note]
    )


def render(results: dict[str, Any], sections: list[str], head: list[str]) -> str:
    targets = [row for name in sections for row in results.get(name, {}).get("targets", [])]
    out = [
        *head,
        "## Targets\n",
        markdown(table("Figures with a target", "figure | measured | target | result", targets)),
    ]
    for number, name in enumerate(sections, start=1):
        module = importlib.import_module(f"bench.{name}")
        found = results.get(name, {})
        out.append(f"## {number}. {module.TITLE}\n\n{module.ABOUT}\n")
        if "tables" not in found:
            out.append(f"_Not measured: {found.get('error') or found.get('skipped') or 'no result'}_\n")
        out += [markdown(t) for t in found.get("tables", [])]
    return re.sub(re.escape(str(ROOT)) + "/?", "", "\n".join(out)).replace(str(Path.home()), "~")


def machine() -> str:
    cpu = re.search(r"model name\s*: (.*)", Path("/proc/cpuinfo").read_text())
    memory = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
    gib = f"{int(memory[1]) / 1024**2:.1f} GiB" if memory else "?"
    return f"{os.cpu_count()} CPUs ({cpu[1] if cpu else '?'}), {gib}, Linux {platform.release()}"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, under a minute; report under bench/.work")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run these sections only and print their tables")
    parser.add_argument("--report", action="store_true", help="with --only: rewrite the report all the same")
    parser.add_argument("--section", choices=SECTIONS, help=argparse.SUPPRESS)  # one section, in this process
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.section:
        write_json(args.out, importlib.import_module(f"bench.{args.section}").section(args.smoke))
        return 0
    stored = WORK / ("results-smoke" if args.smoke else "results")
    started, load = time.perf_counter(), os.getloadavg()[0]
    ran = [name for name in RUN_ORDER if not args.only or name in args.only]
    results = {name: run_section(name, args.smoke, stored / f"{name}.json") for name in ran}
    for name in set(SECTIONS) - set(ran):
        if (stored / f"{name}.json").exists():
            results[name] = json.loads((stored / f"{name}.json").read_text())
    if all("data" in results.get(name, {}) for name in ("coldstart", "roundtrips")):
        results["cost"] = importlib.import_module("bench.cost").section(results)
    elapsed, failed = time.perf_counter() - started, [name for name in ran if "error" in results[name]]
    if args.only and not args.report:
        print(render(results, [name for name in [*SECTIONS, "cost"] if name in ran], []))
        return 1 if failed else 0
    pythons = results.get("coldstart", {}).get("data", {}).get("pythons", {})
    runs = [f"{n} | {r['code']} | {r['when']} | {r['seconds']:.0f}" for n, r in results.items() if n != "cost"]
    smoke = " --smoke" if args.smoke else ""
    head = [
        "# Benchmarks" + (" — SMOKE RUN (tiny sizes, not figures to quote)" if args.smoke else ""),
        "",
        f"Written by `python -m bench.run{smoke}` (`make bench{smoke.replace(' --', '-')}`) in {elapsed / 60:.1f} min. "
        f"Machine: {machine()}; shared and noisy (1-min load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} "
        f"at the end): every ratio is measured side by side in one run. Python {platform.python_version()} runs the "
        f"benches and moto; cold starts run on Python {', '.join(pythons.values()) or '-'} (3.13: `bench/.venv313`, "
        "requirements/app.txt). Numbers live in this file only.",
        "",
        markdown(table("Sections, each run in a process of its own", "section | commit | when | seconds", runs)),
    ]
    report = WORK / "REPORT-smoke.md" if args.smoke else BENCH / "REPORT.md"
    report.write_text(render(results, [*SECTIONS, "cost"], head).rstrip() + "\n")
    progress(f"wrote {report.relative_to(ROOT)} in {elapsed:.0f} s; failed: {', '.join(failed) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

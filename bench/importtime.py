"""Make ``python -X importtime`` say what costs what: rows (depth, module, self µs, cumulative µs), a module
printed after its children. Each module's self time goes to one component: boto3/botocore, pydantic and our code
are themselves; anything else belongs to the innermost Powertools feature or family that imported it."""

from __future__ import annotations

from collections import defaultdict
from statistics import median

from bench.common import Table, table

Row = tuple[int, str, int, int]

OURS = "our code (app.py + dataset_core: module bodies, pydantic model classes)"
FAMILIES = {
    "boto3 / botocore": ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"),
    "pydantic (library)": ("pydantic", "pydantic_core", "annotated_types", "typing_inspection", "typing_extensions"),
    OURS: ("app", "dataset_core"),
}
FEATURES = {
    "Powertools Tracer + X-Ray SDK (opt-in: XRaySdkTracing)": (
        "aws_xray_sdk",
        "aws_lambda_powertools.tracing",
        "wrapt",
    ),
    "Powertools event handler (REST resolver, OpenAPI validation; replaced)": ("aws_lambda_powertools.event_handler",),
    "Powertools Logger": ("aws_lambda_powertools.logging",),
    "Powertools Metrics": ("aws_lambda_powertools.metrics",),
}
POWERTOOLS = "Powertools, shared parts"
STDLIB = "standard library, not attributable"
ORDER = [OURS, *FEATURES, POWERTOOLS, "pydantic (library)", "boto3 / botocore", STDLIB]


def parse(stderr: str) -> list[Row]:
    rows = []
    for line in stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            self_us, cumulative, name = line[len("import time:") :].split("|", 2)
            rows.append(((len(name) - len(name.lstrip(" ")) - 1) // 2, name.strip(), int(self_us), int(cumulative)))
    return rows


def _of(module: str, table: dict[str, tuple[str, ...]], whole: bool) -> str | None:
    for label, prefixes in table.items():
        if (module.split(".", maxsplit=1)[0] in prefixes) if whole else module.startswith(prefixes):
            return label
    return None


def parents(rows: list[Row]) -> list[list[str]]:
    """For each row, the modules enclosing it, innermost first."""
    chains: list[list[str]] = [[] for _ in rows]
    stack: list[tuple[int, int]] = []  # (depth, index) of rows still waiting for their parent
    for index in range(len(rows) - 1, -1, -1):  # a parent is printed after its children: walk backwards
        while stack and stack[-1][0] >= rows[index][0]:
            stack.pop()
        chains[index] = [rows[i][1] for _, i in reversed(stack)]
        stack.append((rows[index][0], index))
    return chains


def component(module: str, chain: list[str]) -> str:
    family = _of(module, FAMILIES, whole=True)
    if family is not None:
        return family
    for name in [module, *chain]:
        found = _of(name, FEATURES, whole=False) or _of(name, FAMILIES, whole=True)
        if found is not None:
            return found
    return POWERTOOLS if any(n.startswith("aws_lambda_powertools") for n in [module, *chain]) else STDLIB


def components(rows: list[Row]) -> dict[str, float]:
    """Milliseconds of self time per component, in ``ORDER``."""
    totals: dict[str, float] = defaultdict(float)
    for (_, module, self_us, _), chain in zip(rows, parents(rows), strict=True):
        totals[component(module, chain)] += self_us / 1000
    return {name: totals[name] for name in ORDER}


def top(rows: list[Row], n: int) -> list[tuple[str, float, str]]:
    """The ``n`` costliest modules by cumulative time, with their importer; a module that is nearly all of its
    importer's time (within 1 ms) is left out: its importer's line says it."""
    chains = parents(rows)
    cumulative = {module: cum for _, module, _, cum in rows}
    picked: list[tuple[str, float, str]] = []
    for i in sorted(range(len(rows)), key=lambda i: rows[i][3], reverse=True):
        importer = chains[i][0] if chains[i] else "(top level)"
        if cumulative.get(importer, 10**12) - rows[i][3] >= 1000:
            picked.append((rows[i][1], rows[i][3] / 1000, importer))
        if len(picked) == n:
            break
    return picked


def merge(runs: list[list[Row]]) -> list[Row]:
    """The first run's tree, each module's times the median over the runs."""
    times: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for _, name, self_us, cumulative in (row for run in runs for row in run):
        times[name].append((self_us, cumulative))
    return [(d, n, int(median(s for s, _ in times[n])), int(median(c for _, c in times[n]))) for d, n, _, _ in runs[0]]


def tables(runs: dict[str, list[list[Row]]], n: int) -> list[Table]:
    """Components per function, our costliest modules, the costliest imports: from ``n`` runs per function."""
    merged = {fn: merge(r) for fn, r in runs.items()}
    parts = {fn: components(rows) for fn, rows in merged.items()}
    found = [f"{c} | " + " | ".join(f"{parts[fn][c]:.0f}" for fn in parts) for c in ORDER]
    found.append("**total** | " + " | ".join(f"**{sum(p.values()):.0f}**" for p in parts.values()))
    title = f"`-X importtime` by component, ms of self time (medians of {n}; the flag inflates times)"
    own, costly = [], []
    for fn, rows in merged.items():
        ours = sorted((r for r in rows if component(r[1], []) == OURS), key=lambda r: -r[2])[:6]
        own.append(f"{fn} | " + ", ".join(f"{m} {s / 1000:.1f}" for _, m, s, _ in ours))
        costly.append(f"{fn} | " + "; ".join(f"{m} {ms:.1f} ← {by}" for m, ms, by in top(rows, 8)))
    return [
        table(title, "component | " + " | ".join(parts), found),
        table("Our costliest modules, ms of self time (module body, pydantic classes)", "function | modules", own),
        table("Costliest imports: cumulative ms ← who imported them", "function | modules", costly),
    ]

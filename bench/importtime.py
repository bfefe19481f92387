"""Make ``python -X importtime`` output say what costs what.

Rows are (depth, module, self µs, cumulative µs) in the order Python printed them: a module's line comes
after its children's, indented one level less. Each module's *self* time is attributed to one component,
so the components add up to the whole import:

* boto3/botocore (and its dependencies), pydantic, and our own code are always themselves;
* anything else belongs to the innermost enclosing Powertools feature that imported it (Tracer with the
  X-Ray SDK and what its patching pulls in, the REST event handler with its OpenAPI validation, Logger,
  Metrics), or to boto3/pydantic/our code if one of those imported it;
* what is left is the interpreter's and the standard library's.
"""

from __future__ import annotations

from collections import defaultdict

Row = tuple[int, str, int, int]

BOTO = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"}
PYDANTIC = {"pydantic", "pydantic_core", "annotated_types", "typing_inspection", "typing_extensions"}
TRACER = "Powertools Tracer + X-Ray SDK (opt-in: XRaySdkTracing)"
EVENT_HANDLER = "Powertools event handler (REST resolver, OpenAPI validation; replaced)"
LOGGER = "Powertools Logger"
METRICS = "Powertools Metrics"
POWERTOOLS = "Powertools, shared parts"
BOTOCORE = "boto3 / botocore"
PYDANTIC_LABEL = "pydantic (library)"
OURS = "our code (app.py + dataset_core: module bodies, pydantic model classes)"
STDLIB = "standard library, not attributable"
ORDER = [OURS, EVENT_HANDLER, TRACER, LOGGER, METRICS, POWERTOOLS, PYDANTIC_LABEL, BOTOCORE, STDLIB]


def _family(module: str) -> str | None:
    top = module.split(".", 1)[0]
    if top in BOTO:
        return BOTOCORE
    if top in PYDANTIC:
        return PYDANTIC_LABEL
    if module == "app" or top == "dataset_core" or module.startswith("bench_fn_"):
        return OURS
    return None


def _feature(module: str) -> str | None:
    if module.startswith(("aws_xray_sdk", "aws_lambda_powertools.tracing", "wrapt")):
        return TRACER
    if module.startswith("aws_lambda_powertools.event_handler"):
        return EVENT_HANDLER
    if module.startswith("aws_lambda_powertools.logging"):
        return LOGGER
    if module.startswith("aws_lambda_powertools.metrics"):
        return METRICS
    return None


def parents(rows: list[Row]) -> list[list[str]]:
    """For each row, the modules enclosing it, innermost first."""
    chains: list[list[str]] = [[] for _ in rows]
    stack: list[tuple[int, int]] = []  # (depth, index) of rows still waiting for their parent
    for index in range(len(rows) - 1, -1, -1):  # a parent is printed after its children: walk backwards
        depth = rows[index][0]
        while stack and stack[-1][0] >= depth:  # siblings and their subtrees are done
            stack.pop()
        chains[index] = [rows[i][1] for _, i in reversed(stack)]
        stack.append((depth, index))
    return chains


def component(module: str, chain: list[str]) -> str:
    family = _family(module)
    if family is not None:
        return family
    saw_powertools = module.startswith("aws_lambda_powertools")
    for name in [module, *chain]:
        feature = _feature(name)
        if feature is not None:
            return feature
        family = _family(name)
        if family is not None:
            return family
        saw_powertools = saw_powertools or name.startswith("aws_lambda_powertools")
    return POWERTOOLS if saw_powertools else STDLIB


def components(rows: list[Row]) -> dict[str, float]:
    """Milliseconds of self time per component, in ``ORDER``."""
    totals: dict[str, float] = defaultdict(float)
    for (_, module, self_us, _), chain in zip(rows, parents(rows), strict=True):
        totals[component(module, chain)] += self_us / 1000
    return {name: totals.get(name, 0.0) for name in ORDER}


def total_ms(rows: list[Row]) -> float:
    return sum(cumulative for depth, _, _, cumulative in rows if depth == 0) / 1000


def top(rows: list[Row], n: int = 12) -> list[tuple[str, float, str]]:
    """The ``n`` costliest modules by cumulative time, each with the module that imported it; a module
    that is nearly all of its importer's time (within 1 ms) is left out, its importer's line says it."""
    chains = parents(rows)
    cumulative = {module: cum for _, module, _, cum in rows}
    picked: list[tuple[str, float, str]] = []
    for i in sorted(range(len(rows)), key=lambda i: rows[i][3], reverse=True):
        _, module, _, cum = rows[i]
        importer = chains[i][0] if chains[i] else "(top level)"
        if importer in cumulative and cumulative[importer] - cum < 1000:
            continue
        picked.append((module, cum / 1000, importer))
        if len(picked) == n:
            break
    return picked

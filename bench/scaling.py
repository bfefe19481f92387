# ruff: noqa: PLC0415 - imports wait until the environment (table, endpoint) is set, or until needed
"""Issue 6.3: list latency against tenant size, cursor paging depth and offset paging depth.

The real ``list_datasets`` handler runs in this process against moto's server in another process (so
the DynamoDB work happens elsewhere, over HTTP, as on AWS). Every request is split into the time spent
waiting for DynamoDB (request sent to reply received) and the rest (our code: routing, validation,
botocore's parsing of the reply, deserialising, serialising), with the number of calls, the items
DynamoDB read and the read units that costs.

moto answers a Query in time proportional to the number of items in the whole *table* (it sorts and
filters them all), whatever the partition, ``Limit`` or ``ExclusiveStartKey``; DynamoDB reads only the
page (O(log n + page)). So each tenant size gets a table of its own, and a bare boto3 Query with the
handler's parameters (the "moto floor") is timed at each size to show moto's own growth; the target is
judged on what does not depend on moto: round trips, items read, read units, our own time.

    python -m bench.scaling [--smoke] --out RESULT.json
"""

from __future__ import annotations

import gc
import os
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any

from bench import capacity, seed
from bench.common import median, progress, section_main
from bench.moto_server import MotoServer
from bench.roundtrips import _Context, load_function, route

PAGE_SIZE = 30


@dataclass
class Sample:
    total_ms: float
    ddb_ms: float
    ours_ms: float
    parse_ms: float  # botocore parsing the replies (part of ours_ms)
    calls: int
    items: int
    read_units: float
    status: int


@dataclass
class Point:
    label: str
    tenant_size: int
    depth: int  # pages before the one fetched
    samples: list[Sample]

    def summary(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "tenant_size": self.tenant_size,
            "depth": self.depth,
            "runs": len(self.samples),
            "total_ms": median([s.total_ms for s in self.samples]),
            "ddb_ms": median([s.ddb_ms for s in self.samples]),
            "ours_ms": median([s.ours_ms for s in self.samples]),
            "parse_ms": median([s.parse_ms for s in self.samples]),
            "calls": max(s.calls for s in self.samples),
            "items": max(s.items for s in self.samples),
            "read_units": max(s.read_units for s in self.samples),
            "ok": all(s.status == 200 for s in self.samples),
        }


class Probe:
    """Per-request DynamoDB time, calls, items read and read units, from the client's events."""

    def __init__(self, client: Any) -> None:
        self.ddb_ms = 0.0
        self.parse_ms = 0.0
        self.calls = 0
        self.items = 0
        self.units = 0.0
        self._started = 0.0
        self._parsing = 0.0
        self._params: dict[str, Any] = {}
        client.meta.events.register("before-call.dynamodb", self._before_call)
        client.meta.events.register("before-send.dynamodb", self._before_send)
        client.meta.events.register("before-parse.dynamodb", self._before_parse)
        client.meta.events.register("after-call.dynamodb", self._after_call)

    def _before_call(self, params: dict[str, Any], **_: Any) -> None:
        import json

        body = params.get("body")
        self._params = json.loads(body) if body else {}

    def _before_send(self, **_: Any) -> None:
        self._started = time.perf_counter()
        self.calls += 1

    def _before_parse(self, **_: Any) -> None:
        self.ddb_ms += (time.perf_counter() - self._started) * 1000
        self._parsing = time.perf_counter()

    def _after_call(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        self.parse_ms += (time.perf_counter() - self._parsing) * 1000
        self.items += len(parsed.get("Items", [])) + (1 if "Item" in parsed else 0)
        self.units += capacity.call_units(str(model.name), self._params, parsed, 0).read

    def reset(self) -> None:
        self.ddb_ms, self.parse_ms, self.calls, self.items, self.units = 0.0, 0.0, 0, 0, 0.0


class Lister:
    def __init__(self) -> None:
        self.handler = load_function("list_datasets").lambda_handler
        self.probe = self.rebind()

    def rebind(self) -> Probe:
        """Hook the shared layer's current client (``seed.use_endpoint`` makes a new one)."""
        from dataset_core.storage import client as storage

        self.probe = Probe(storage.client())
        return self.probe

    def sample(self, tenant: str, query: dict[str, str]) -> Sample:
        import json

        event = route("list_datasets_restful", query=query)
        event["requestContext"]["authorizer"].update(principalId=tenant, tenant_id=tenant)
        self.probe.reset()
        started = time.perf_counter()
        result = self.handler(event, _Context("list_datasets"))
        total = (time.perf_counter() - started) * 1000
        p = self.probe
        status = int(result["statusCode"])
        if status != 200:
            progress(f"list failed: {json.loads(result['body']).get('message')}")
        return Sample(total, p.ddb_ms, total - p.ddb_ms, p.parse_ms, p.calls, p.items, p.units, status)

    def point(self, label: str, tenant: str, *, size: int, depth: int, query: dict[str, str], runs: int) -> Point:
        gc.collect()  # garbage of the set-up (ids read, seeding) is not this point's
        started = time.perf_counter()
        point = Point(label, size, depth, [self.sample(tenant, query) for _ in range(runs)])
        progress(f"  {label}, {size} datasets, depth {depth}: {runs} runs in {time.perf_counter() - started:.1f} s")
        return point


def tenant_of(size: int) -> str:
    return f"{size:032x}"


def cursor_token(tenant: str, newest_first: list[tuple[str, int]], depth: int) -> str:
    """The next_page_token that ends page ``depth`` (what the API hands out; verified against a walk)."""
    from dataset_core import page_tokens

    last_id, last_update = newest_first[depth * PAGE_SIZE - 1]
    return page_tokens.encode(tenant, "create_time", True, last_id, last_update)


def table_of(size: int) -> str:
    return f"bench-scaling-{size}"


def moto_floor(db: MotoServer, tenant: str, table: str, runs: int) -> float:
    """A bare boto3 Query for one page and the counter (the handler's parameters), median ms."""
    client = db.client()
    client.query(TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "x"}})
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.query(
            TableName=table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :meta",
            ExpressionAttributeValues={
                ":pk": {"S": f"TENANT#{tenant}"},
                ":first": {"S": "DATASET#"},
                ":meta": {"S": "META"},
            },
            ScanIndexForward=False,
            Limit=PAGE_SIZE + 2,
        )
        times.append((time.perf_counter() - started) * 1000)
    return median(times)


def _use(db: MotoServer, lister: Lister, size: int) -> None:
    """Point the shared layer at ``size``'s table (a new client) and drop that client's first request."""
    seed.use_endpoint(db.endpoint, table_of(size))
    lister.rebind()
    lister.sample(tenant_of(size), {"page_size": str(PAGE_SIZE)})


def _first_pages(db: MotoServer, lister: Lister, sizes: list[int], runs: int) -> tuple[list[Point], dict[int, float]]:
    """The first page at every size, sizes side by side round after round (drift hits them all alike)."""
    floors = {}
    for size in sizes:
        _use(db, lister, size)
        floors[size] = moto_floor(db, tenant_of(size), table_of(size), runs)
    samples: dict[int, list[Sample]] = {size: [] for size in sizes}
    started = time.perf_counter()
    for _ in range(runs):
        for size in sizes:
            _use(db, lister, size)
            samples[size].append(lister.sample(tenant_of(size), {"page_size": str(PAGE_SIZE)}))
    progress(f"  first page, sizes {sizes} interleaved: {runs} rounds in {time.perf_counter() - started:.1f} s")
    return [Point("first page", size, 0, samples[size]) for size in sizes], floors


def deepest_full_page(size: int) -> int:
    """Pages before the last page that is full (the very last one may hold a single dataset)."""
    return size // PAGE_SIZE - 1


def _deep_pages(db: MotoServer, lister: Lister, sizes: list[int], runs: int) -> list[Point]:
    """Each tenant's deepest full page by cursor and by offset (the largest's offset one: see ``_depths``)."""
    points = []
    for size in sizes:
        tenant = tenant_of(size)
        _use(db, lister, size)
        depth = deepest_full_page(size)
        token = cursor_token(tenant, seed.dataset_ids(tenant, size), depth)
        query = _token_query(token)
        points.append(lister.point("deep page, cursor", tenant, size=size, depth=depth, query=query, runs=runs))
        if size != sizes[-1]:
            query = {"page": str(depth + 1), "page_size": str(PAGE_SIZE)}
            points.append(lister.point("deep page, offset", tenant, size=size, depth=depth, query=query, runs=runs))
    return points


def _depths(
    db: MotoServer, lister: Lister, size: int, *, depths: list[int], pages: list[int], runs: int, deep_runs: int
) -> tuple[list[Point], str]:
    """Cursor pages ``depths`` pages deep, and offset pages ``pages`` (plus the deepest full one)."""
    tenant = tenant_of(size)
    _use(db, lister, size)
    newest = seed.dataset_ids(tenant, size)
    token_check = _check_tokens(lister, tenant, newest)
    points = []
    for depth in depths:
        query = _token_query(cursor_token(tenant, newest, depth))
        points.append(lister.point("cursor depth", tenant, size=size, depth=depth, query=query, runs=runs))
    last_page = deepest_full_page(size) + 1
    for page in sorted({*pages, last_page}):
        query = {"page": str(page), "page_size": str(PAGE_SIZE)}
        label = "deep page, offset" if page == last_page else "offset depth"
        n = runs if page <= 10 else deep_runs
        points.append(lister.point(label, tenant, size=size, depth=page - 1, query=query, runs=n))
    return points, token_check


def measure(smoke: bool) -> dict[str, Any]:
    sizes = [100, 300] if smoke else [100, 1000, 3000, 10_000]
    runs = 2 if smoke else 7
    deep_runs = 1 if smoke else 3
    depths = [1, 3] if smoke else [1, 10, 100]
    pages = [1, 2, 5] if smoke else [1, 10, 100]
    out: dict[str, Any] = {"sizes": sizes, "page_size": PAGE_SIZE, "runs": runs, "deep_runs": deep_runs}
    with MotoServer(table=table_of(sizes[0])) as db:
        started = time.perf_counter()
        for size in sizes:
            if size != sizes[0]:
                db.create_table(table_of(size))
            seed.use_endpoint(db.endpoint, table_of(size))
            seed.seed_datasets(tenant_of(size), size, prefix="s")
        out["seed_s"] = time.perf_counter() - started
        progress(f"scaling: seeded {sum(sizes)} datasets in {out['seed_s']:.0f} s, one table per size; measuring")
        gc.collect()  # the seeding's garbage is not the requests'
        lister = Lister()
        points, floors = _first_pages(db, lister, sizes, runs)
        points += _deep_pages(db, lister, sizes, deep_runs)
        deep, out["token_check"] = _depths(
            db, lister, sizes[-1], depths=depths, pages=pages, runs=runs, deep_runs=deep_runs
        )
        points += deep
        out["moto_floor_ms"] = {str(k): v for k, v in floors.items()}
        out["points"] = [p.summary() for p in points]
        out["samples"] = [
            {"label": p.label, "size": p.tenant_size, "depth": p.depth, "samples": [asdict(s) for s in p.samples]}
            for p in points
        ]
    return out


def _token_query(token: str) -> dict[str, str]:
    return {"page_size": str(PAGE_SIZE), "page_token": token}


def _check_tokens(lister: Lister, tenant: str, newest: list[tuple[str, int]]) -> str:
    """The crafted token for depth 1 must be the one the API handed out with page 1."""
    import json

    event = route("list_datasets_restful", query={"page_size": str(PAGE_SIZE)})
    event["requestContext"]["authorizer"].update(principalId=tenant, tenant_id=tenant)
    body = json.loads(lister.handler(event, _Context("list_datasets"))["body"])
    crafted = cursor_token(tenant, newest, 1)
    return "matches the API's next_page_token" if body.get("next_page_token") == crafted else "MISMATCH"


if __name__ == "__main__":
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"  # in-process, outside Lambda
    os.environ["PAGE_TOKEN_SECRET"] = secrets.token_hex(16)  # one secret across table switches
    section_main(measure)

# ruff: noqa: PLC0415 - imports wait until the environment (table, endpoint) is set, or until needed
"""Issue 6.3: list latency against tenant size, cursor paging depth and offset paging depth.

The real ``list_datasets`` handler runs in this process against moto's server in another process (so
the DynamoDB work happens elsewhere, over HTTP, as on AWS). Every request is split into the time spent
inside DynamoDB calls (send to parsed reply) and the rest (our code: routing, validation, deserialising,
serialising), with the number of calls, the items DynamoDB read and the read units that costs.

moto answers a Query in time proportional to the number of items in the whole *table* (it sorts and
filters them all), whatever the partition, ``Limit`` or ``ExclusiveStartKey``; DynamoDB reads only the
page (O(log n + page)). So each tenant size gets a table of its own, and a bare boto3 Query with the
handler's parameters (the "moto floor") is timed at each size to show moto's own growth; the target is
judged on what does not depend on moto: round trips, items read, read units, our own time.

    python -m bench.scaling [--smoke] --out RESULT.json
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import capacity, seed
from bench.common import WORK, median, progress, write_json
from bench.moto_server import MotoServer
from bench.roundtrips import _Context, load_function, route

PAGE_SIZE = 30


@dataclass
class Sample:
    total_ms: float
    ddb_ms: float
    ours_ms: float
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
            "calls": max(s.calls for s in self.samples),
            "items": max(s.items for s in self.samples),
            "read_units": max(s.read_units for s in self.samples),
            "ok": all(s.status == 200 for s in self.samples),
        }


class Probe:
    """Per-request DynamoDB time, calls, items read and read units, from the client's events."""

    def __init__(self, client: Any) -> None:
        self.ddb_ms = 0.0
        self.calls = 0
        self.items = 0
        self.units = 0.0
        self._started = 0.0
        self._params: dict[str, Any] = {}
        client.meta.events.register("before-call.dynamodb", self._before_call)
        client.meta.events.register("before-send.dynamodb", self._before_send)
        client.meta.events.register("after-call.dynamodb", self._after_call)

    def _before_call(self, params: dict[str, Any], **_: Any) -> None:
        import json

        body = params.get("body")
        self._params = json.loads(body) if body else {}

    def _before_send(self, **_: Any) -> None:
        self._started = time.perf_counter()
        self.calls += 1

    def _after_call(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        self.ddb_ms += (time.perf_counter() - self._started) * 1000
        self.items += len(parsed.get("Items", [])) + (1 if "Item" in parsed else 0)
        self.units += capacity.call_units(str(model.name), self._params, parsed, 0).read

    def reset(self) -> None:
        self.ddb_ms, self.calls, self.items, self.units = 0.0, 0, 0, 0.0


class Lister:
    def __init__(self) -> None:
        self.handler = load_function("list_datasets").lambda_handler
        self.probe = self.rebind()

    def rebind(self) -> Probe:
        """Hook the shared layer's current client (``seed.use_endpoint`` makes a new one)."""
        from dataset_core import storage

        self.probe = Probe(storage.client())
        return self.probe

    def sample(self, tenant: str, query: dict[str, str]) -> Sample:
        import json

        event = route("list_datasets_current", query=query)
        event["requestContext"]["authorizer"].update(principalId=tenant, tenant_id=tenant)
        self.probe.reset()
        started = time.perf_counter()
        result = self.handler(event, _Context("list_datasets"))
        total = (time.perf_counter() - started) * 1000
        p = self.probe
        status = int(result["statusCode"])
        if status != 200:
            progress(f"list failed: {json.loads(result['body']).get('message')}")
        return Sample(total, p.ddb_ms, total - p.ddb_ms, p.calls, p.items, p.units, status)

    def point(self, label: str, tenant: str, *, size: int, depth: int, query: dict[str, str], runs: int) -> Point:
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


def measure(smoke: bool) -> dict[str, Any]:
    sizes = [100, 300] if smoke else [100, 1000, 3000, 10_000]
    runs = 2 if smoke else 7
    deep_runs = 1 if smoke else 3
    largest = sizes[-1]
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
        lister = Lister()
        points: list[Point] = []
        floors: dict[int, float] = {}
        for size in sizes:
            tenant = tenant_of(size)
            seed.use_endpoint(db.endpoint, table_of(size))
            lister.rebind()
            lister.sample(tenant, {"page_size": "30"})  # the client's first-request work out of the way
            floors[size] = moto_floor(db, tenant, table_of(size), runs)
            first = {"page_size": str(PAGE_SIZE)}
            points.append(lister.point("first page", tenant, size=size, depth=0, query=first, runs=runs))
            newest = seed.dataset_ids(tenant, size)
            last_depth = (size - 1) // PAGE_SIZE
            token = cursor_token(tenant, newest, last_depth)
            points.append(
                lister.point(
                    "last page, cursor", tenant, size=size, depth=last_depth, query=_token_query(token), runs=deep_runs
                )
            )
            if size != largest:  # the largest tenant's last offset page is measured with the depth series
                query = {"page": str(last_depth + 1), "page_size": str(PAGE_SIZE)}
                points.append(
                    lister.point("last page, offset", tenant, size=size, depth=last_depth, query=query, runs=deep_runs)
                )
        tenant = tenant_of(largest)
        newest = seed.dataset_ids(tenant, largest)
        out["token_check"] = _check_tokens(lister, tenant, newest)
        for depth in depths:
            token = cursor_token(tenant, newest, depth)
            query = _token_query(token)
            points.append(lister.point("cursor depth", tenant, size=largest, depth=depth, query=query, runs=runs))
        last_page = (largest - 1) // PAGE_SIZE + 1
        for page in sorted({*pages, last_page}):
            query = {"page": str(page), "page_size": str(PAGE_SIZE)}
            label = "last page, offset" if page == last_page else "offset depth"
            n = runs if page <= 10 else deep_runs
            points.append(lister.point(label, tenant, size=largest, depth=page - 1, query=query, runs=n))
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

    event = route("list_datasets_current", query={"page_size": str(PAGE_SIZE)})
    event["requestContext"]["authorizer"].update(principalId=tenant, tenant_id=tenant)
    body = json.loads(lister.handler(event, _Context("list_datasets"))["body"])
    crafted = cursor_token(tenant, newest, 1)
    return "matches the API's next_page_token" if body.get("next_page_token") == crafted else "MISMATCH"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"  # in-process, outside Lambda
    WORK.mkdir(parents=True, exist_ok=True)
    write_json(args.out, measure(args.smoke))


if __name__ == "__main__":
    main()

# ruff: noqa: RUF001 - the report writes multiplication signs
"""List latency against tenant size and paging depth: the real ``list_datasets`` handler in this process, moto's
server in another, one table per tenant size.

moto answers a Query in time proportional to the whole table, whatever ``Limit`` or ``ExclusiveStartKey``;
DynamoDB reads only the page. So the targets are judged on what our code controls: round trips, items read,
read units, and our own time (the request minus the time waiting for DynamoDB).
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, replace
from typing import Any

from bench import capacity, harness, seed
from bench.common import TENANT, median, progress, ratio, table, verdict
from bench.moto_server import MotoServer

TITLE = "Scaling: list latency against tenant size and paging depth"
ABOUT = (
    "`GET /datasets?page_size=30` (newest first) through the real handler in this process; DynamoDB is moto's "
    "server in another process, one table per tenant size, filled with what the create handler writes. *In "
    "DynamoDB*: request sent to reply received; *our code*: the rest (botocore's serialising and parsing, shown "
    "apart, included); *moto floor*: the handler's Query replayed with a bare client. A cursor page is reached "
    "with the `next_page_token` the API gave for the page before it. Of 7 runs (3 for offset pages beyond 10), "
    "the one with the median time of our code; the first pages of all sizes rotate round after round; the moto "
    "floor is a median. Command: `python -m bench.run --only scaling`."
)
PAGE = 30
TARGET = 1.5


@dataclass
class Point:
    size: int
    page: int
    via: str  # "offset" or "cursor"
    total_ms: float
    ddb_ms: float
    botocore_ms: float
    calls: int
    items: int
    read_units: float
    token: str | None  # the page's next_page_token
    floor_ms: float | None = None

    @property
    def ours_ms(self) -> float:
        return self.total_ms - self.ddb_ms

    def row(self) -> str:
        needed = min(self.page * PAGE + 2, self.size + 1) if self.via == "offset" else "-"
        floor = "-" if self.floor_ms is None else f"{self.floor_ms:.1f}"
        times = f"{self.total_ms:.1f} | {floor} | {self.ddb_ms:.1f} | **{self.ours_ms:.2f}** | {self.botocore_ms:.2f}"
        counts = f"{self.calls} | {self.items} | {needed} | {self.read_units:g}"
        return f"{self.size} | {self.page} | {self.via} | {times} | {counts}"


class Lister:
    def __init__(self, db: MotoServer) -> None:
        self.db = db

    def use(self, size: int) -> None:
        """Point the layer at ``size``'s table (a new client) and leave that client's first request out."""
        seed.use_table(self.db.endpoint, f"bench-scaling-{size}")
        self.sample(size, 1)

    def sample(self, size: int, page: int, token: str | None = None, units: bool = False) -> Point:
        query = {"page_size": str(PAGE)} | ({"page_token": token} if token else {"page": str(page)})
        request = harness.event("list_datasets_restful", query=query)
        with harness.Recorder() as recorder:
            started = time.perf_counter()
            status, body = harness.invoke("list_datasets", request)
            total = (time.perf_counter() - started) * 1000
        if status != 200:
            raise RuntimeError(f"list {query} on {size} datasets: {status} {body}")
        calls, wire = recorder.calls, harness.overlapped(recorder.spans)[1]  # a cursor page's two calls overlap
        read = capacity.request_units(calls, lambda op, p: harness.raw(self.db.client, op, p))[0] if units else 0
        floor = None
        if units and page == 1 and not token:  # the handler's first call again, with a bare client
            began = time.perf_counter()
            harness.raw(self.db.client, calls[0].operation, calls[0].params)
            floor = (time.perf_counter() - began) * 1000
        via, items = "cursor" if token else "offset", sum(c.items for c in calls)
        botocore = sum(c.ms - c.wire_ms for c in calls)
        token = body.get("next_page_token")
        return Point(size, page, via, total, wire, botocore, len(calls), items, read, token, floor)

    def point(self, size: int, page: int, runs: int, token: str | None = None) -> Point:
        gc.collect()
        return summary([self.sample(size, page, token, units=i == 0) for i in range(runs)])


def summary(samples: list[Point]) -> Point:
    """The first sample (its counts, units, token) with the times of the run whose own time is the median."""
    mid = sorted(samples, key=lambda s: s.ours_ms)[len(samples) // 2]
    floors = [s.floor_ms for s in samples if s.floor_ms is not None]
    floor = median(floors) if floors else None
    return replace(samples[0], total_ms=mid.total_ms, ddb_ms=mid.ddb_ms, botocore_ms=mid.botocore_ms, floor_ms=floor)


def section(smoke: bool) -> dict[str, Any]:
    sizes = [100, 310] if smoke else [100, 1000, 3000, 10_000]
    runs, deep_runs, middle = (2, 1, [3]) if smoke else (7, 3, [10, 100])  # middle: the largest's pages between
    with MotoServer(f"bench-scaling-{sizes[0]}") as db:
        started = time.perf_counter()
        for size in sizes[1:]:
            db.create_table(f"bench-scaling-{size}")
        seed.wait_longer()  # this process only
        seed.use_table(db.endpoint, f"bench-scaling-{sizes[0]}")
        seed.seed_datasets(db.client, TENANT, {f"bench-scaling-{size}": size for size in sizes})
        progress(f"scaling: {sum(sizes)} datasets stored in {time.perf_counter() - started:.0f} s")
        lister, rounds = Lister(db), {size: list[Point]() for size in sizes}
        for _ in range(runs):
            for size in sizes:
                lister.use(size)
                rounds[size].append(lister.sample(size, 1, units=True))
        first = {size: summary(samples) for size, samples in rounds.items()}
        progress("scaling: deep pages")
        deep: list[Point] = []
        for size in sizes:
            lister.use(size)
            # by offset: the largest's pages between, and the last full page but one; by cursor: the page after
            # each of those (and after page 1), reached with its next_page_token: up to the last full page
            between = middle if size == sizes[-1] else []
            offset = {p: lister.point(size, p, runs if p <= 10 else deep_runs) for p in {*between, size // PAGE - 1}}
            deep += offset.values()
            for page, before in (offset | {1: first[size]}).items():
                deep.append(lister.point(size, page + 1, runs, token=before.token))  # as cheap as page 1
    return report(sizes, first, deep)


def report(sizes: list[int], first: dict[int, Point], deep: list[Point]) -> dict[str, Any]:
    small, large = first[sizes[0]], first[sizes[-1]]
    cursor = sorted((p for p in deep if p.via == "cursor" and p.size == sizes[-1]), key=lambda p: p.page)
    offset = max((p for p in deep if p.via == "offset" and p.size == sizes[-1]), key=lambda p: p.page)
    same = (small.calls, small.items, small.read_units) == (large.calls, large.items, large.read_units)
    flat = (cursor[0].calls, cursor[0].items) == (cursor[-1].calls, cursor[-1].items)
    grows, deeper = ratio(large.ours_ms, small.ours_ms), ratio(cursor[-1].ours_ms, cursor[0].ours_ms)
    n, m = sizes[-1], sizes[0]
    columns = "datasets | page | via | total ms (moto) | moto floor ms | in DynamoDB ms | our code ms | "
    columns += "of which botocore | calls | items read | items needed | RRU"
    rows = [p.row() for p in [*first.values(), *sorted(deep, key=lambda p: (p.size, p.page, p.via))]]
    targets = [
        f"first page, {n} vs {m} datasets (our code; calls, items, RRU equal) | {grows:.2f}×; {large.calls}/"
        f"{small.calls} calls, {large.items}/{small.items} items | ≤ {TARGET}× | {verdict(same and grows <= TARGET)}",
        f"first page end to end on moto, {n} vs {m} | {ratio(large.total_ms, small.total_ms):.1f}× | "
        "(moto's Query is O(table)) | -",
        f"cursor page {cursor[-1].page} vs page {cursor[0].page}, {n} datasets (our code; calls, items equal) | "
        f"{deeper:.2f}× | independent of depth (≤ {TARGET}×) | {verdict(flat and deeper <= TARGET)}",
        f"offset page {offset.page} vs page 1, {n} datasets | {offset.items} vs {large.items} items read; our code "
        f"{ratio(offset.ours_ms, large.ours_ms):.0f}× | O(offset), by design | -",
    ]
    title = "First pages by tenant size (rotated); each size's deepest full page; the largest's pages between"
    return {"tables": [table(title, columns, rows)], "targets": targets, "data": {}}

"""The benchmark's counts: DynamoDB round trips per request within their budget, and capacity units by AWS's rules.

Counts, not timings: the calls a real handler makes while it serves one ``events/`` request on in-process moto
(``bench/roundtrips.py``), and the read and write units ``bench/capacity.py`` computes for calls (moto's own
``ConsumedCapacity`` is a placeholder). An operation that makes one call too many fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from bench import capacity, harness, roundtrips
from bench.harness import Call

SCENARIOS = [s for s in roundtrips.scenarios() if s.target is not None]


@pytest.fixture(scope="module")
def rows() -> dict[str, roundtrips.Row]:
    return {row.description: row for row in roundtrips.measure(tenant_size=150)}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[f"{s.api}: {s.description}" for s in SCENARIOS])
def test_round_trips_within_target(rows: dict[str, roundtrips.Row], scenario: roundtrips.Scenario) -> None:
    row = rows[scenario.description]
    assert row.status != "ERROR", f"the request failed, so its count means nothing: {row.detail}"
    assert row.total <= (scenario.target or 0), f"{row.total} DynamoDB calls ({row.calls}), target ≤ {scenario.target}"


def test_every_scenario_answers(rows: dict[str, roundtrips.Row]) -> None:
    """The scenarios without a target (reported by make bench) must still be valid requests."""
    failed = {desc: row.detail for desc, row in rows.items() if row.status == "ERROR"}
    assert not failed


def test_list_reads_the_total_in_band(rows: dict[str, roundtrips.Row]) -> None:
    """The first page of the default order and its total_datasets come from one Query."""
    row = rows["GET /datasets (page 1, page_size 30, default order)"]
    assert row.calls == {"Query": 1}


def test_every_write_costs_units(rows: dict[str, roundtrips.Row]) -> None:
    writes = [row for row in rows.values() if row.function in {"create_dataset", "update_dataset", "delete_dataset"}]
    assert all(row.write_units >= 2 for row in writes), {row.description: row.write_units for row in writes}


def _s(text: str) -> dict[str, str]:
    return {"S": text}


KB = "x" * 1024
DATASET = {"pk": _s("T"), "sk": _s("DATASET#1"), "update_sk": _s("1#1"), "blob": _s(KB)}  # 1 KB + 31 bytes
MOVED = DATASET | {"update_sk": _s("2#1")}  # the index key changed (a later update_time)
LOCK = {"pk": _s("T"), "sk": _s("NAME#a")}


def call(operation: str, params: dict[str, Any], answer: dict[str, Any] | None = None) -> Call:
    return Call(operation, params, answer or {}, 0.0, 0.0)


def read(item: dict[str, Any]) -> Call:
    return call("GetItem", {"TableName": "t", "Key": {"pk": item["pk"], "sk": item["sk"]}}, {"Item": item})


# DynamoDB developer guide: 1 write unit per 1 KB of item, rounded up; the local secondary index holding an
# item costs its entry too (an entry moved to a new index key is a delete plus a put); a transaction doubles.
WRITES = [
    ("a put of a 1-KB+ item outside the index", [call("PutItem", {"TableName": "t", "Item": LOCK | {"b": _s(KB)}})], 2),
    ("a put of a 1-KB+ item in the index", [call("PutItem", {"TableName": "t", "Item": DATASET})], 4),
    ("the same put in a transaction", [call("TransactWriteItems", {"TransactItems": [{"Put": {"Item": DATASET}}]})], 8),
    ("a replace that moves the index entry", [read(DATASET), call("PutItem", {"TableName": "t", "Item": MOVED})], 6),
    ("a replace that keeps the index key", [read(DATASET), call("PutItem", {"TableName": "t", "Item": DATASET})], 4),
    ("a delete of an item read first", [read(DATASET), call("DeleteItem", {"TableName": "t", "Key": DATASET})], 4),
    ("a blind delete of a small item", [call("DeleteItem", {"TableName": "t", "Key": LOCK})], 1),
]


@pytest.mark.parametrize(("case", "calls", "units"), WRITES, ids=[w[0] for w in WRITES])
def test_write_units_follow_dynamodb_rules(case: str, calls: list[Call], units: float) -> None:
    assert capacity.request_units(calls, lambda op, params: {})[1] == units


@pytest.mark.parametrize(
    ("value", "size"),
    [
        (_s("héllo"), 6),  # UTF-8 bytes
        ({"N": "12345"}, 4),  # 1 byte per 2 significant digits, plus 1
        ({"BOOL": True}, 1),
        ({"M": {"ab": _s("c")}}, 3 + 2 + 1 + 1),  # 3 bytes of overhead, each element 1 more
        ({"L": [_s("a"), _s("bc")]}, 3 + 1 + 1 + 2 + 1),
    ],
)
def test_attribute_sizes_follow_dynamodb_rules(value: dict[str, Any], size: int) -> None:
    assert capacity.value_size(value) == size


def test_a_projected_read_costs_the_whole_item() -> None:
    """A ProjectionExpression returns less, but DynamoDB charges the size of the items it read."""
    projected = call("Query", {"TableName": "t", "ProjectionExpression": "pk, sk"}, {"Items": [LOCK] * 4})
    whole = {"Items": [DATASET] * 4}
    assert capacity.request_units([projected], lambda op, params: whole)[0] == 1.0 * 0.5 * 2  # 4.1 KB, eventual


# Calls in flight together wait once: the round trips of latency a request costs, and the time it waits.
OVERLAPS = [
    ("no call", [], (0, 0.0)),
    ("one call", [(0.0, 0.010)], (1, 10.0)),
    ("a cursor page's Query and counter, issued together", [(0.0, 0.010), (0.002, 0.008)], (1, 10.0)),
    ("two calls overlapping in part", [(0.005, 0.015), (0.0, 0.010)], (1, 15.0)),
    ("one call after the other", [(0.0, 0.010), (0.010, 0.020)], (2, 20.0)),
]


@pytest.mark.parametrize(("case", "spans", "expected"), OVERLAPS, ids=[o[0] for o in OVERLAPS])
def test_overlapping_calls_count_once(case: str, spans: list[tuple[float, float]], expected: tuple[int, float]) -> None:
    groups, covered = harness.overlapped(spans)
    assert (groups, round(covered, 6)) == expected

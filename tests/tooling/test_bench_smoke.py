"""DynamoDB round trips per request stay within issue 6's budget (the counter of ``bench/roundtrips.py``).

Counts, not timings: the calls the shared layer's boto3 client makes while a real handler serves one
``events/`` request, on in-process moto. An operation that makes one call too many fails here.
"""

from __future__ import annotations

import pytest
from bench import roundtrips

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

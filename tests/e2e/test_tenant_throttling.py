"""One tenant cannot exhaust another's throughput, locally as on AWS: per-tenant usage plans over HTTP.

The local API runs with ``--parameter-overrides`` as ``sam deploy`` takes them: a standard tier of 5 requests a
second (burst 5), a large tier with a quota of 5 requests a day, and an allowed origin. Tenants get their keys
and tiers from the API-key CLI, as an operator gives them. The quota's end (a new period) is pinned in
``tests/tooling/test_local_throttling.py`` with a clock the test moves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from local_server import LocalApi, Response, cli, mint, running

RATE = 5
ORIGIN = "https://app.example.com"
THROTTLED = {"code": 429, "message": "Too many requests: please retry later", "data": None}
QUOTA_EXCEEDED = {"code": 429, "message": "Request quota exceeded: please retry later", "data": None}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    overrides = [
        f"StandardTierRateLimit={RATE}",
        f"StandardTierBurstLimit={RATE}",
        "LargeTierRateLimit=1000",
        "LargeTierBurstLimit=1000",
        "LargeTierQuota=5",
        f"AllowedOrigin={ORIGIN}",
    ]
    with running(tmp_path_factory.mktemp("throttling") / "state", "--parameter-overrides", *overrides) as server:
        yield server


def paced(api: LocalApi, key: str, per_second: float, seconds: float, out: list[Response]) -> None:
    """GET /datasets at ``per_second`` for ``seconds`` (each request on time, or at once if late)."""
    start = time.monotonic()
    for n in range(round(per_second * seconds)):
        time.sleep(max(0.0, start + n / per_second - time.monotonic()))
        out.append(api.bearer("GET", "/api/v1/datasets", key))


def test_a_tenant_flooding_at_ten_times_its_rate_is_throttled_and_another_is_not(api: LocalApi) -> None:
    flooder, neighbour = mint(api.state_dir, "flooder"), mint(api.state_dir, "neighbour")
    flooded: list[Response] = []
    calm: list[Response] = []
    threads = [
        threading.Thread(target=paced, args=(api, flooder, 10 * RATE, 2.0, flooded)),
        threading.Thread(target=paced, args=(api, neighbour, RATE / 2, 2.0, calm)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(flooded) == 20 * RATE
    assert [r.status for r in calm] == [200] * len(calm)
    throttled = [r for r in flooded if r.status == 429]
    admitted = [r for r in flooded if r.status == 200]
    assert len(admitted) + len(throttled) == len(flooded)
    assert RATE <= len(admitted) <= RATE + 3 * RATE  # its burst, then about its rate over ~2 s
    assert all(r.body == THROTTLED for r in throttled)
    assert all(r.headers["access-control-allow-origin"] == ORIGIN for r in throttled)  # a browser can read it
    assert "gateway:THROTTLED" in api.output()


def test_a_spent_quota_answers_429_quota_exceeded(api: LocalApi) -> None:
    key = mint(api.state_dir, "quota-t")
    moved = cli("tier", "--tenant", "quota-t", "large", state_dir=api.state_dir)
    assert moved.returncode == 0, moved.stderr
    replies = [api.bearer("GET", "/api/v1/datasets", key) for _ in range(6)]
    assert [r.status for r in replies] == [200] * 5 + [429]
    assert replies[-1].body == QUOTA_EXCEEDED
    assert api.bearer("GET", "/api/v1/datasets", key).body == QUOTA_EXCEEDED  # until its period ends


def test_a_browser_can_call_the_api_and_read_its_refusals(api: LocalApi) -> None:
    preflight = api.request(
        "OPTIONS",
        "/api/v1/datasets",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "Idempotency-Key" in preflight.headers["access-control-allow-headers"]
    unauthorized = api.request("GET", "/api/v1/datasets", headers={"Origin": ORIGIN})
    assert (unauthorized.status, unauthorized.headers["access-control-allow-origin"]) == (401, ORIGIN)
    created = api.bearer("POST", "/api/v1/datasets", json_body={"name": "cors"}, headers={"Origin": ORIGIN})
    assert (created.status, created.headers["access-control-allow-origin"]) == (200, ORIGIN)


def test_the_dev_tenant_is_on_the_default_tier(api: LocalApi) -> None:
    shown = cli("tier", "--tenant", "0f3c8a1e6d2b4f5a9c7e1b3d5f7a9c0e", state_dir=api.state_dir)
    assert "is on tier standard" in shown.stdout

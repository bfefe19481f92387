"""API Gateway's throttling and quotas, as the local API plays them (``tools.local_gateway`` asks ``Limiter``).

API Gateway throttles with token buckets: a bucket holds at most ``burst`` tokens, refills at ``rate`` tokens a
second, and each request takes one; a request that finds the bucket empty gets 429 (``THROTTLED``). Two kinds
apply here, as on AWS ("Throttle requests to your REST APIs for better throughput in API Gateway",
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html):

* the stage's throttling (``MethodSettings`` on ``/*/*``), one bucket per method (resource and verb), whoever
  calls it: the global ceiling;
* the usage plan of the API key a request is metered by (the tenant's, which the authorizer returns): one
  bucket per key and plan over the whole API, and a quota of requests per period (``QUOTA_EXCEEDED`` once it
  is spent, until the period ends). A period starts at 00:00 UTC: a day, a week from Sunday (API Gateway's
  ``offset`` 0), or a month from its first day.

A request is admitted only if every bucket that applies has a token and the quota is not spent; then, and only
then, it takes its tokens and counts toward the quota. The clock is injectable, so that a test can run a
quota period to its end without waiting for it.

What is not emulated: AWS's account-level and Regional limits (10 000 requests a second by default), and the
"best effort" slack AWS allows around its limits (the local buckets are exact). Quota counts live in memory:
they start again at zero when the local API restarts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tools.template import Throttle, UsagePlan

THROTTLED = "THROTTLED"
QUOTA_EXCEEDED = "QUOTA_EXCEEDED"


@dataclass
class TokenBucket:
    """A bucket of ``burst`` tokens refilled at ``rate`` a second; it starts full."""

    rate: float
    burst: int
    tokens: float
    updated: float

    @classmethod
    def full(cls, throttle: Throttle, now: float) -> TokenBucket:
        return cls(throttle.rate, throttle.burst, float(throttle.burst), now)

    def has_token(self, now: float) -> bool:
        self.tokens = min(float(self.burst), self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = now
        return self.tokens >= 1.0

    def take(self) -> None:
        self.tokens -= 1.0


def period_start(period: str, now: float) -> float:
    """When the quota period holding ``now`` (epoch seconds) began: 00:00 UTC of the day, of the last Sunday,
    or of the first of the month."""
    moment = datetime.fromtimestamp(now, UTC)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "DAY":
        start = day
    elif period == "WEEK":
        start = day - timedelta(days=(day.weekday() + 1) % 7)  # weekday(): Monday is 0, Sunday 6
    elif period == "MONTH":
        start = day.replace(day=1)
    else:
        raise ValueError(f"a quota period is DAY, WEEK or MONTH, not {period!r}")
    return start.timestamp()


@dataclass
class _Quota:
    period_start: float
    used: int


class Limiter:
    """The stage's throttling per method and each usage plan's throttle and quota per API key."""

    def __init__(self, plans: dict[str, UsagePlan], stage: Throttle, clock: Callable[[], float] = time.time) -> None:
        self.plans = plans
        self.stage = stage
        self.clock = clock
        self._lock = threading.Lock()
        self._method_buckets: dict[str, TokenBucket] = {}
        self._key_buckets: dict[tuple[str, str], TokenBucket] = {}
        self._quotas: dict[tuple[str, str], _Quota] = {}

    def admit(self, method: str, usage: tuple[str, str] | None) -> str | None:
        """None if the request may go on (it is counted), else the gateway response type that refuses it.

        ``method`` names the method (``GET /api/v1/datasets``); ``usage`` is the API key the request is metered
        by and its plan's tier, or None for a method that needs no API key (a CORS preflight).
        """
        with self._lock:
            now = self.clock()
            method_bucket = self._method_buckets.get(method)
            if method_bucket is None:
                method_bucket = self._method_buckets[method] = TokenBucket.full(self.stage, now)
            key_bucket = quota = None
            if usage is not None:
                plan = self.plans[usage[1]]
                start = period_start(plan.period, now)
                quota = self._quotas.get(usage)
                if quota is None or quota.period_start != start:
                    quota = self._quotas[usage] = _Quota(start, 0)
                if quota.used >= plan.quota:
                    return QUOTA_EXCEEDED
                key_bucket = self._key_buckets.get(usage)
                if key_bucket is None:
                    key_bucket = self._key_buckets[usage] = TokenBucket.full(plan.throttle, now)
                if not key_bucket.has_token(now):
                    return THROTTLED
            if not method_bucket.has_token(now):
                return THROTTLED
            method_bucket.take()
            if key_bucket is not None and quota is not None:
                key_bucket.take()
                quota.used += 1
            return None

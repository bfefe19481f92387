"""Retrying what lost a race, within a time budget rather than a number of tries.

Optimistic writes (a version or a name condition) and transactions that DynamoDB cancelled for a conflict
succeed on a later try as long as other writers keep finishing. How many tries that takes grows with the
number of concurrent writers, so the bound is time: enough for dozens of writers of one dataset, name or
tenant counter to take turns, and well inside the functions' timeout. Full-jitter exponential backoff spreads
the retries out (AWS Architecture Blog, "Exponential Backoff And Jitter").
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

BUDGET_SECONDS = 8.0
MAX_ATTEMPTS = 64
"""A bound on calls too, whatever the clock says."""
_BASE_SECONDS = 0.005
_CAP_SECONDS = 0.2


def attempts() -> Iterator[int]:
    """Attempt numbers from 0, with a jittered sleep before each retry; ends when the budget is spent."""
    deadline = time.monotonic() + BUDGET_SECONDS
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            pause = random.uniform(0, min(_CAP_SECONDS, _BASE_SECONDS * 2 ** min(attempt, 16)))  # noqa: S311 - jitter
            if time.monotonic() + pause >= deadline:
                return
            time.sleep(pause)
        yield attempt

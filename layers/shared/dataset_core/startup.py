"""Garbage collection paused while a Lambda execution environment starts.

A cold start allocates tens of thousands of objects (our modules, pydantic's, botocore's on the first request, the
client) that live as long as the environment, and no garbage cycle worth finding; Python's collector still
walks them dozens of times, a visible share of a cold start (``bench/REPORT.md``: the cold-start what-if "collector
on during start-up"). So in an execution environment (Lambda sets ``AWS_LAMBDA_FUNCTION_NAME``) collection is
paused from the layer's first import until the first invocation has answered; the survivors are then frozen,
which keeps later collections from walking them again, and collection resumes. Elsewhere (tests, the local API)
nothing changes. Imported first by the package, so that the pause covers everything after it.

Freezing without collecting first keeps the little garbage start-up leaves (some hundreds of objects) for the
environment's life: a fixed cost, once, where a full collection would have delayed the first answer.
"""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_paused = "AWS_LAMBDA_FUNCTION_NAME" in os.environ and gc.isenabled()
if _paused:
    gc.disable()


def resume() -> None:
    """End start-up: freeze what it built and collect again (only the first call does anything)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def ends_with_first_invocation(handler: Callable[P, R]) -> Callable[P, R]:
    """``handler``, resuming collection once its first invocation has answered or failed."""

    @functools.wraps(handler)
    def invoke(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return handler(*args, **kwargs)
        finally:
            resume()

    return invoke

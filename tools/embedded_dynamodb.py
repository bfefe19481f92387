"""moto as an embedded DynamoDB that is as atomic as the real one, and no more (DESIGN §7).

moto dispatches concurrent requests without a lock, so two ``TransactWriteItems`` can interleave inside
moto and both pass their conditions. Real DynamoDB runs each request atomically. One lock around moto's
request dispatch restores that, while races *between* requests stay as real as on AWS.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.core.botocore_stubber import BotocoreStubber

_dispatch_lock = threading.RLock()


def serialize_requests() -> None:
    """Make each in-process moto request atomic (idempotent)."""
    if getattr(BotocoreStubber.__call__, "_serialized", False):
        return
    original = BotocoreStubber.__call__

    def serialized(self: BotocoreStubber, *args: Any, **kwargs: Any) -> Any:
        with _dispatch_lock:
            return original(self, *args, **kwargs)

    serialized._serialized = True  # type: ignore[attr-defined]
    BotocoreStubber.__call__ = serialized  # type: ignore[method-assign]


@contextmanager
def exclusive() -> Iterator[None]:
    """Run several requests as one atomic step: no other thread's request runs inside the block.

    The local API's state file is a snapshot of the whole table taken with a paginated Scan; holding
    the dispatch lock across its pages keeps a concurrent transaction from landing half in it. The lock
    is re-entrant, so the block's own requests pass. Needs ``serialize_requests()`` to mean anything.
    """
    with _dispatch_lock:
        yield

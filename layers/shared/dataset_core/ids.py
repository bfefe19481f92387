"""Dataset ids: UUIDv7 as 32 lowercase hex characters, and the one rule for reading an id a client sent.

Time-ordered ids make the table's sort key (``DATASET#<id>``) follow creation order, so "newest first"
is a plain reverse Query. They are still valid UUIDs, which RAGFlow's clients check. Python 3.13 has no
``uuid.uuid7`` yet, hence these few lines (RFC 9562 §5.7, with the 12-bit ``rand_a`` used as a counter
so ids minted in the same millisecond by one process stay ordered).
"""

from __future__ import annotations

import re
import secrets
import threading
import time

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def new_id() -> str:
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            _last_ms, _counter = ms, secrets.randbits(11)  # leave room to count up within the millisecond
        else:
            _counter += 1
            if _counter > 0xFFF:  # 4096 ids in one millisecond: borrow the next millisecond
                _last_ms, _counter = _last_ms + 1, 0
        ms, counter = _last_ms, _counter
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | secrets.randbits(62)
    return f"{value:032x}"


_UUID = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)


def normalize_id(raw: str) -> str | None:
    """The 32-hex form of an id given as 32 hex digits or as a dashed UUID (either case), else None.

    Deliberately stricter than ``uuid.UUID()``, which also takes braces, a sign, surrounding spaces and
    any Unicode digit: one dataset must have exactly two spellings, not thousands of lookalikes.
    """
    lowered = raw.lower()
    return lowered.replace("-", "") if _UUID.fullmatch(lowered) else None


def is_id(value: str) -> bool:
    """Whether ``value`` is an id in its stored form (32 lowercase hex digits)."""
    return len(value) == 32 and normalize_id(value) == value

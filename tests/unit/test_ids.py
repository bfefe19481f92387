"""Dataset ids (``dataset_core.ids``): the one rule for reading an id a client sent, and UUIDv7 minting."""

from __future__ import annotations

import pytest

from dataset_core import ids
from dataset_core.ids import is_id, new_id, normalize_id

REAL = "0193a1b2c3d47e8f9a0b1c2d3e4f5a6b"
DASHED = f"{REAL[:8]}-{REAL[8:12]}-{REAL[12:16]}-{REAL[16:20]}-{REAL[20:]}"

SPELLINGS = {
    "32-hex": REAL,
    "32-hex-upper-case": REAL.upper(),
    "dashed": DASHED,
    "dashed-upper-case": DASHED.upper(),
    "mixed-case": REAL[:16].upper() + REAL[16:],
}


@pytest.mark.parametrize("spelling", list(SPELLINGS.values()), ids=list(SPELLINGS))
def test_an_id_in_hex_or_dashed_form_either_case_reads_as_its_stored_form(spelling: str) -> None:
    assert normalize_id(spelling) == REAL


NOT_IDS = {
    "empty": "",
    "sql-injection": "' OR 1=1 --",
    "expression-value-placeholder": ":val",
    "expression-name-placeholder": "#name",
    "expression-function": "attribute_exists(pk)",
    "counter-sort-key": "META",
    "sort-key-prefix": "DATASET#" + REAL,
    "dot-dot": "..",
    "percent-encoded-dots": "%2e%2e",
    "percent-encoded-traversal": "%2e%2e%2f%2e%2e%2fetc",
    "traversal": "../../etc/passwd",
    "traversal-between-ids": f"{REAL}/../{REAL}",
    "short": "zzz",
    "digits": "1234",
    "31-hex": REAL[:31],
    "33-hex": REAL + "0",
    "34-hex": REAL + "ff",
    "not-hex": "g" * 32,
    "wildcard": "*",
    "very-long": "a" * 100_000,
    "form-feed": "a\x0cb",
    "nul-in-id": REAL[:16] + "\x00" + REAL[17:],
    "nul-only": "\x00" * 32,
    "emoji": "\U0001f600" * 32,
    "trailing-newline": REAL + "\n",
    "dashes-misplaced": REAL[:4] + "-" + REAL[4:],
    "braces": "{" + DASHED + "}",
    "urn": "urn:uuid:" + DASHED,
    "fullwidth-digit": "\uff10" + REAL[1:],
    "arabic-indic-digit": "\u0660" + REAL[1:],
    "leading-plus": "+" + REAL[1:],
    "leading-space": " " + REAL[1:],
}
"""Query syntax, key syntax, dot-segments, encoded traversal, wrong lengths, and the spellings ``uuid.UUID()``
takes (braces, URN, signs, spaces, any Unicode digit): one dataset has exactly two spellings, no lookalikes."""


@pytest.mark.parametrize("raw", list(NOT_IDS.values()), ids=list(NOT_IDS))
def test_anything_else_is_not_an_id(raw: str) -> None:
    assert normalize_id(raw) is None
    assert not is_id(raw)


@pytest.mark.parametrize(
    ("value", "stored"),
    [(REAL, True), (REAL.upper(), False), (DASHED, False), ("BAAI/bge-m3@BAAI", False)],
    ids=["32-lowercase-hex", "upper-case", "dashed", "model-name"],
)
def test_only_the_stored_form_is_an_id(value: str, stored: bool) -> None:
    assert is_id(value) is stored


def test_new_ids_are_uuid7_and_ordered_as_minted() -> None:
    minted = [new_id() for _ in range(10_000)]  # many share a millisecond: the counter keeps them ordered
    assert minted == sorted(minted)
    assert len(set(minted)) == len(minted)
    assert all(is_id(i) and i[12] == "7" and i[16] in "89ab" for i in minted)  # version 7, RFC 9562 variant


def test_more_than_4096_ids_in_one_millisecond_borrow_the_next_one(monkeypatch: pytest.MonkeyPatch) -> None:
    now_ms = 1_750_000_000_000
    monkeypatch.setattr(ids, "_last_ms", 0)  # restored afterwards, with the clock
    monkeypatch.setattr("dataset_core.ids.time.time_ns", lambda: now_ms * 1_000_000)
    minted = [new_id() for _ in range(5000)]
    assert minted == sorted(minted)
    assert len(set(minted)) == 5000
    assert int(minted[0][:12], 16) == now_ms
    assert int(minted[-1][:12], 16) == now_ms + 1

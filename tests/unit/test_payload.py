"""A listing is encoded once (``payload.fitted``) and put into its answer as it is (``payload.Encoded``): the
answer must be byte for byte what encoding the whole answer would have written, whatever the page holds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dataset_core import payload

PAGES: dict[str, list[Any]] = {
    "empty": [],
    "datasets": [{"name": "kb", "b": 1, "a": {"z": 0.5, "y": None}}, {"name": "kb(1)", "tags": ["x", "y"]}],
    "emoji and escapes": [{"name": '😀 "quoted" \\ \n', "d": "\u0000\u001f"}],
    "a lone surrogate (the ASCII fallback)": [{"name": "\ud800"}],
    "the mark's own text": [{"name": "\x00encoded:data"}],
}


@pytest.mark.parametrize("page", PAGES.values(), ids=PAGES.keys())
@pytest.mark.parametrize(
    "token", [None, "\x00encoded:data", "abc"], ids=["no token", "a token like the mark", "a token"]
)
def test_an_answer_with_an_encoded_page_is_exactly_the_answer_encoded_whole(page: list[Any], token: str | None) -> None:
    body = {"code": 0, "message": "success", "next_page_token": token, "total_datasets": len(page)}
    fitted = payload.fitted(page)
    assert fitted.kept == len(page)
    assert payload.dumps(body | {"data": fitted.json}) == payload.dumps(body | {"data": page})


def test_a_page_too_large_for_one_response_is_cut_and_encoded_as_what_is_kept() -> None:
    item = {"description": "😀" * 100_000}  # 1.2 MB each in the worst (ASCII-escaped) case
    page = [item] * 8
    fitted = payload.fitted(page)
    assert 0 < fitted.kept < len(page)
    assert fitted.json == payload.dumps(page[: fitted.kept])
    assert json.loads(fitted.json) == page[: fitted.kept]
    assert payload.cost(fitted.json) <= payload.MAX_RESPONSE_BYTES

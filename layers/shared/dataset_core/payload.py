"""Lambda's response limit, as a budget a listing is cut to before it is answered.

A synchronous invocation returns at most 6 MB (AWS Lambda quotas, "Invocation payload (request and response)"),
measured on the JSON the runtime sends to API Gateway: the proxy response with our body inside it as a string.
The runtime may ASCII-escape that JSON (its marshaller does, on some runtimes), so a character of our body costs
up to 12 bytes there (an emoji: ``\\ud83d\\ude00``). Past the limit the invocation fails and API Gateway answers
502; so every listing fits its page to this budget, and each route decides what a page that cannot fit means.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

MAX_RESPONSE_BYTES = 6 * 1024 * 1024
_ENVELOPE_BYTES = 16 * 1024
"""Kept for everything but the listed items: status, headers, code, message, totals, the next page token."""
_WORST_EXPANSION = 12
_MARK = "\x00encoded:"


class Encoded(str):
    """JSON text made by ``dumps``, put into a larger answer as it is rather than decoded and encoded again: a
    listing is encoded once, both to learn that it fits and to answer (encoding twice was a large share of a
    warm listing's CPU, ``bench/REPORT.md``)."""


class Fitted(NamedTuple):
    kept: int
    """How many of the items, from the first, fit in one response."""
    json: Encoded
    """Those items as a JSON array, as ``dumps`` writes it."""


def dumps(value: Any) -> str:
    """Compact JSON with sorted keys, as RAGFlow's Flask server wrote it, in UTF-8 rather than ``\\u`` escapes
    (an emoji is 4 bytes instead of 12; the request checks refused lone surrogates, the one thing UTF-8 cannot
    carry, so ASCII escapes remain only the fallback). ``Encoded`` values of a mapping go in as they are."""
    if isinstance(value, Mapping) and any(isinstance(v, Encoded) for v in value.values()):
        return _with_encoded(value)
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return text


def _with_encoded(value: Mapping[str, Any]) -> str:
    """``value`` encoded with a mark in place of each ``Encoded`` value, each mark then replaced by its text."""
    text = dumps({key: _MARK + key if isinstance(v, Encoded) else v for key, v in value.items()})
    for key, part in value.items():
        if isinstance(part, Encoded):
            mark = json.dumps(_MARK + key, ensure_ascii=False)
            if text.count(mark) != 1:  # another value holds the mark's text: encode everything the slow way
                return dumps({k: json.loads(v) if isinstance(v, Encoded) else v for k, v in value.items()})
            text = text.replace(mark, part)
    return text


def cost(text: str) -> int:
    """The bytes ``text`` takes as a string inside the runtime's JSON, in the worst (ASCII-escaped) case."""
    return len(json.dumps(text)) - 2


def fitted(items: Sequence[Any]) -> Fitted:
    """The items, from the first, that fit in one response, encoded."""
    budget = MAX_RESPONSE_BYTES - _ENVELOPE_BYTES
    whole = dumps(items)
    if len(whole) * _WORST_EXPANSION <= budget:
        return Fitted(len(items), Encoded(whole))  # the usual page: one encoding tells it fits, and answers
    texts = [dumps(item) for item in items]
    used, count = 0, 0
    for text in texts:
        used += cost(text) + 1
        if used > budget:
            break
        count += 1
    return Fitted(count, Encoded("[" + ",".join(texts[:count]) + "]"))

"""Lambda's response limit, as a budget a listing is cut to before it is answered.

A synchronous invocation returns at most 6 MB (AWS Lambda quotas, "Invocation payload (request and response)"),
measured on the JSON the runtime sends to API Gateway: the proxy response with our body inside it as a string.
The runtime may ASCII-escape that JSON (its marshaller does, on some runtimes), so a character of our body costs
up to 12 bytes there (an emoji: ``\\ud83d\\ude00``). Past the limit the invocation fails and API Gateway answers
502; so every listing fits its page to this budget, and each route decides what a page that cannot fit means.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

MAX_RESPONSE_BYTES = 6 * 1024 * 1024
_ENVELOPE_BYTES = 16 * 1024
"""Kept for everything but the listed items: status, headers, code, message, totals, the next page token."""
_WORST_EXPANSION = 12


def dumps(value: Any) -> str:
    """Compact JSON with sorted keys, as RAGFlow's Flask server wrote it, in UTF-8 rather than ``\\u`` escapes
    (an emoji is 4 bytes instead of 12; the request checks refused lone surrogates, the one thing UTF-8 cannot
    carry, so ASCII escapes remain only the fallback)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return text


def cost(text: str) -> int:
    """The bytes ``text`` takes as a string inside the runtime's JSON, in the worst (ASCII-escaped) case."""
    return len(json.dumps(text)) - 2


def fitting(items: Sequence[Any]) -> int:
    """How many of ``items``, from the first, fit in one response."""
    budget = MAX_RESPONSE_BYTES - _ENVELOPE_BYTES
    if len(json.dumps(items, separators=(",", ":"), ensure_ascii=False)) * _WORST_EXPANSION <= budget:
        return len(items)  # the usual page: one encoding of it all, not one per item, tells it fits
    texts = [dumps(item) for item in items]
    used = 0
    for count, text in enumerate(texts):
        used += cost(text) + 1
        if used > budget:
            return count
    return len(texts)

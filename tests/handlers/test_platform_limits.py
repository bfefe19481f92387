"""AWS's limits hold for every accepted request: DynamoDB's 400 KB item and number range, Lambda's 6 MB response.

Field limits count characters; DynamoDB counts the UTF-8 bytes of the whole item, attribute names included,
and on a table with a local secondary index the 400 KB holds the item *and* its index entries (AWS, "Constraints
in Amazon DynamoDB", item size for tables with local secondary indexes): a dataset, projected whole into
``by_update_time``, may take 200 KB. Lambda answers at most 6 MB (AWS Lambda quotas, invocation payload), counted
on the runtime's JSON of the proxy response, which may ASCII-escape our body (``\\ud83d\\ude00`` for one emoji).
Past either limit AWS fails the request (a 500 from an untranslated ``ValidationException``, a 502 from API
Gateway); here every such request gets a 4xx in the envelope, or a page that fits.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import TENANT_A, LambdaContext, counter, function, invoke, route_event, scan
from dataset_core.payload import MAX_RESPONSE_BYTES

pytestmark = pytest.mark.usefixtures("table")

EMOJI = "\U0001f600"  # 4 bytes of UTF-8, one character
ITEM_LIMIT = 400 * 1024


def lambda_payload_bytes(result: dict[str, Any]) -> int:
    """What Lambda counts against its 6 MB: the runtime's JSON of the proxy response, ASCII-escaped (worst case)."""
    return len(json.dumps(result).encode())


def call(name: str, event: dict[str, Any]) -> tuple[int, dict[str, Any], int]:
    result = function(name).lambda_handler(event, LambdaContext(function_name=name))
    return result["statusCode"], json.loads(result["body"]), lambda_payload_bytes(result)


def utf8(body: dict[str, Any]) -> str:
    """The body as a client sends it: UTF-8, not escapes (an emoji is 4 bytes of the 1 MiB, not 12)."""
    return json.dumps(body, ensure_ascii=False)


def create(body: dict[str, Any]) -> tuple[int, dict[str, Any], int]:
    return call("create_dataset", route_event("create_dataset_restful", raw_body=utf8(body)))


# ---- DynamoDB's item size ---------------------------------------------------------------------------------------


def test_a_create_within_every_field_limit_but_over_dynamodbs_item_size_is_413_naming_field_and_bytes() -> None:
    status, body, _ = create(
        {"name": "big", "description": EMOJI * 65535, "avatar": "data:image/png;base64," + EMOJI * 65500}
    )
    assert (status, body["code"]) == (413, 101), body
    assert "'description'" in body["message"]
    assert f"{ITEM_LIMIT // 2} bytes" in body["message"]
    assert scan() == []


def test_a_legacy_update_over_dynamodbs_item_size_is_413_and_changes_nothing() -> None:
    status, created, _ = call("create_dataset", route_event("create_dataset_legacy", body={"dataset_name": "kb"}))
    dataset_id = created["data"]["id"]
    before = scan()
    sent = {"description": EMOJI * 65535, "photo": EMOJI * 65535}
    status, body, _ = call(
        "update_dataset", route_event("update_dataset_legacy", dataset_id=dataset_id, raw_body=utf8(sent))
    )
    assert (status, body["code"]) == (413, 101), body
    assert f"{ITEM_LIMIT // 2} bytes" in body["message"]
    assert scan() == before


def test_a_restful_update_over_dynamodbs_item_size_is_413_and_changes_nothing() -> None:
    _, created, _ = create({"name": "kb", "description": EMOJI * 30000})
    before = scan()
    event = route_event(
        "update_dataset_restful",
        dataset_id=created["data"]["id"],
        body={"avatar": "data:image/png;base64," + EMOJI * 30000},
    )
    status, body, _ = call("update_dataset", event)
    assert (status, body["code"]) == (413, 101), body
    assert scan() == before


def test_the_largest_dataset_dynamodb_holds_with_its_index_entry_is_accepted_and_reads_back() -> None:
    """Just under the limit is stored: the check is the limit, not a margin below it."""
    status, body, _ = create(
        {"name": "edge", "description": "x" * 65535, "avatar": "data:image/png;base64," + "y" * 65000}
    )
    assert status == 200, body
    (stored,) = [i for i in scan() if i["sk"]["S"].startswith("DATASET#")]
    assert stored["description"]["S"] == "x" * 65535


@pytest.mark.parametrize("number", [1e-300, 1e-131, 5e-324])
def test_a_number_below_dynamodbs_range_is_400_101_not_retry_later(number: float) -> None:
    """1e-300 is a valid float in the field's range 0..1, but DynamoDB stores magnitudes from 1e-130 only."""
    status, body, _ = create({"name": "tiny", "parser_config": {"filename_embd_weight": number}})
    assert (status, body["code"]) == (400, 101), body
    assert "filename_embd_weight" in body["message"]
    assert scan() == []


def test_the_smallest_number_dynamodb_stores_is_accepted() -> None:
    status, body, _ = create({"name": "tiny", "parser_config": {"filename_embd_weight": 1e-130}})
    assert status == 200, body
    assert body["data"]["parser_config"]["filename_embd_weight"] == 1e-130


# ---- Lambda's response size -------------------------------------------------------------------------------------


def _fill(count: int) -> list[str]:
    """``count`` datasets near the largest storable, in emoji (12 bytes each once ASCII-escaped)."""
    ids = []
    for i in range(count):
        status, body, _ = create({"name": f"huge{i}", "description": EMOJI * 50000})
        assert status == 200, body
        ids.append(body["data"]["id"])
    return ids


def test_an_offset_page_too_large_for_one_response_is_400_saying_how_many_fit() -> None:
    _fill(12)
    status, body, size = call("list_datasets", route_event("list_datasets_restful", query={}))
    assert (status, body["code"]) == (400, 101), body["message"]
    assert "page_size" in body["message"]
    assert size < MAX_RESPONSE_BYTES
    fit = int(body["message"].split("lower page_size to ")[1].split()[0])
    status, body, size = call("list_datasets", route_event("list_datasets_restful", query={"page_size": str(fit)}))
    assert (status, len(body["data"])) == (200, fit)
    assert size <= MAX_RESPONSE_BYTES


def test_cursor_pages_are_cut_to_fit_and_continue_exactly() -> None:
    ids = _fill(14)
    status, body, size = call("list_datasets", route_event("list_datasets_restful", query={"page_size": "2"}))
    seen = [d["id"] for d in body["data"]]
    token = body["next_page_token"]
    pages = 1
    while token:
        status, body, size = call(
            "list_datasets", route_event("list_datasets_restful", query={"page_token": token, "page_size": "100"})
        )
        assert status == 200
        assert size <= MAX_RESPONSE_BYTES
        seen += [d["id"] for d in body["data"]]
        token, pages = body["next_page_token"], pages + 1
    assert seen == ids[::-1]  # every dataset once, newest first
    assert pages >= 3  # the 12 left after the first page do not fit in one response


def test_legacy_lists_are_cut_to_fit_and_offset_continues_by_the_count_received() -> None:
    ids = _fill(12)
    seen: list[str] = []
    while True:
        status, body, size = call(
            "list_datasets", route_event("list_datasets_legacy", query={"offset": str(len(seen))})
        )
        assert status == 200
        assert size <= MAX_RESPONSE_BYTES
        if not body["data"]:
            break
        assert len(body["data"]) < 12 or not seen
        seen += [d["id"] for d in body["data"]]
    assert seen == ids[::-1]


def test_filtered_pages_that_would_not_fit_are_400_asking_for_a_smaller_page() -> None:
    """Filters are paged like any listing (RAGFlow v0.27: api/apps/services/dataset_api_service.py:
    list_datasets), so a filtered page that cannot fit names the page_size that would."""
    ids = _fill(12)
    status, body, _size = call("list_datasets", route_event("list_datasets_restful", query={"ids": ",".join(ids)}))
    assert (status, body["code"]) == (400, 101)
    assert "lower page_size to 10 or less" in body["message"]
    query = {"ids": ",".join(ids), "page_size": "10"}
    status, body, size = call("list_datasets", route_event("list_datasets_restful", query=query))
    assert (status, len(body["data"]), body["total_datasets"]) == (200, 10, 12)
    assert size <= MAX_RESPONSE_BYTES


def test_responses_carry_utf8_not_escapes() -> None:
    """One emoji is 4 bytes in UTF-8 and 12 as ``\\ud83d\\ude00``: the body is UTF-8, and valid JSON."""
    result = invoke("create_dataset", route_event("create_dataset_restful", body={"name": EMOJI * 3}))
    assert EMOJI * 3 in result.raw
    assert "\\ud83d" not in result.raw
    assert result.body["data"]["name"] == EMOJI * 3


# ---- error bodies stay small --------------------------------------------------------------------------------------


def test_a_body_with_a_hundred_thousand_unknown_fields_gets_a_small_400() -> None:
    body = {f"f{i}": 1 for i in range(111_846)}
    raw = json.dumps(body)
    assert len(raw) <= 2 * 1024 * 1024
    reply = invoke(
        "create_dataset", route_event("create_dataset_restful", raw_body=raw[: 1024 * 1024 - 2].rsplit(",", 1)[0] + "}")
    )
    assert (reply.status, reply.body["code"]) == (400, 101)
    assert len(reply.raw.encode()) <= 16 * 1024
    assert "more problems" in reply.body["message"]


def test_an_error_echoing_a_huge_input_stays_small() -> None:
    reply = invoke("create_dataset", route_event("create_dataset_legacy", body={"dataset_name": "x" * 1_000_000}))
    assert (reply.status, reply.body["code"]) == (400, 102)
    assert len(reply.raw.encode()) <= 16 * 1024
    assert counter(None, TENANT_A) == 0

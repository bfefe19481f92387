"""How a dataset is stored: its ``parser_config`` as what differs from its chunk method's defaults.

RAGFlow's default config alone is about 1 KB, which made every create with defaults write 2 KB twice (table and
``by_update_time`` index) in a transaction (write units double): 12 units where 8 do. Stored as a difference, a
dataset with defaults fits in one 1 KB write unit; items stored whole, before, read exactly the same.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from conftest import TENANT_A, invoke, items, route_event
from dataset_core.storage import limits
from dataset_core.storage.codec import plain, to_attr

WRITE_UNIT = 1024
METHODS = ["naive", "qa", "table", "book", "picture"]


def stored(table: Any) -> dict[str, Any]:
    (item,) = items(table, TENANT_A, "DATASET#")
    return plain(item)


@pytest.mark.parametrize("method", METHODS)
def test_a_create_with_defaults_stores_no_default_key_and_fits_one_write_unit(table: Any, method: str) -> None:
    reply = invoke("create_dataset", route_event("create_dataset_restful", body={"name": "kb", "chunk_method": method}))
    assert reply.status == 200
    item = stored(table)
    assert "parser_config" not in item
    assert item["parser_config_delta"] == {}
    assert limits.item_size(item) <= WRITE_UNIT
    fetched = invoke("get_dataset", route_event("get_dataset_restful", dataset_id=item["id"]))
    assert fetched.body["data"]["parser_config"] == reply.body["data"]["parser_config"]


def test_a_custom_config_stores_only_what_differs_and_reads_back_whole(table: Any) -> None:
    body = {"name": "kb", "parser_config": {"chunk_token_num": 1024, "raptor": {"use_raptor": True, "max_cluster": 8}}}
    created = invoke("create_dataset", route_event("create_dataset_restful", body=body)).body["data"]
    delta = stored(table)["parser_config_delta"]
    assert delta["chunk_token_num"] == 1024
    assert delta["raptor"]["max_cluster"] == 8
    assert "prompt" not in delta["raptor"]
    updated = invoke("update_dataset", route_event("update_dataset_restful", dataset_id=created["id"],
                                                   body={"parser_config": {"delimiter": "##"}})).body["data"]  # fmt: skip
    assert updated["parser_config"] == created["parser_config"] | {"delimiter": "##"}
    fetched = invoke("get_dataset", route_event("get_dataset_restful", dataset_id=created["id"])).body["data"]
    assert fetched["parser_config"] == updated["parser_config"]


def test_a_config_the_defaults_cannot_express_is_stored_whole(table: Any) -> None:
    """The legacy API's ``{"pages": [[1, 1000000]]}`` lacks the naive defaults: merged under it, they would add
    keys it never had."""
    invoke("create_dataset", route_event("create_dataset_legacy", body={"dataset_name": "kb"}))
    item = stored(table)
    assert item["parser_config"] == {"pages": [[1, 1000000]]}
    assert "parser_config_delta" not in item


GETS = {"restful": ("get_dataset", "get_dataset_restful"), "legacy": ("get_dataset", "get_dataset_legacy")}


def test_an_item_stored_whole_before_reads_exactly_as_it_was(table: Any) -> None:
    created = invoke("create_dataset", route_event("create_dataset_restful", body={"name": "kb", "chunk_method": "qa"}))
    dataset_id = created.body["data"]["id"]
    views = {name: invoke(fn, route_event(event, dataset_id=dataset_id)).raw for name, (fn, event) in GETS.items()}
    listed = invoke("list_datasets", route_event("list_datasets_restful", query={})).raw
    (raw,) = items(table, TENANT_A, "DATASET#")
    old_form = {k: v for k, v in raw.items() if k not in {"parser_config_delta", "parser_defaults"}}
    old_form["parser_config"] = to_attr(created.body["data"]["parser_config"])
    table.put_item(TableName=os.environ["TABLE_NAME"], Item=old_form)
    assert "parser_config_delta" not in stored(table)
    for name, (fn, event) in GETS.items():
        assert invoke(fn, route_event(event, dataset_id=dataset_id)).raw == views[name]
    assert invoke("list_datasets", route_event("list_datasets_restful", query={})).raw == listed

"""``parser_config`` (``dataset_core.parser_config``): RAGFlow v0.27.0's defaults per chunk method
(api/utils/api_utils.py: get_parser_config), what a create stores (knowledgebase_service.py:
KnowledgebaseService.create_with_name), how an update merges (api/apps/services/dataset_api_service.py:
update_dataset) and the schema's
size limit (api/utils/validation_utils.py: CreateDatasetReq.validate_parser_config_json_length)."""

from __future__ import annotations

import copy
import json
from typing import Any, get_args

import pytest

from dataset_core.dataset import ChunkMethod
from dataset_core.parser_config import RAPTOR_PROMPT, ParserConfig, deep_merge, for_create, for_update, method_defaults

BASE: dict[str, Any] = {"table_context_size": 0, "image_context_size": 0}
NO_RAPTOR: dict[str, Any] = {**BASE, "raptor": {"use_raptor": False}, "graphrag": {"use_graphrag": False}}
NAIVE: dict[str, Any] = {
    **BASE, "layout_recognize": "DeepDOC", "chunk_token_num": 512, "delimiter": "\n", "auto_keywords": 0,
    "auto_questions": 0, "html4excel": False, "topn_tags": 3,
    "raptor": {
        "use_raptor": True, "prompt": RAPTOR_PROMPT, "max_token": 512, "clustering_threshold": 0.3,
        "clustering_ratio": 0.5, "max_cluster": 64, "random_seed": 0,
    },
    "graphrag": {
        "use_graphrag": True, "entity_types": ["organization", "person", "geo", "event", "category"],
        "method": "light", "batch_chunk_token_size": 4096, "retry_attempts": 2, "retry_backoff_seconds": 2.0,
        "retry_backoff_max_seconds": 60.0, "build_subgraph_timeout_per_chunk_seconds": 300,
        "build_subgraph_min_timeout_seconds": 600, "merge_timeout_seconds": 180, "resolution_timeout_seconds": 1800,
        "community_timeout_seconds": 1800, "lock_acquire_timeout_seconds": 600,
    },
    "parent_child": {"use_parent_child": False, "children_delimiter": "\n"},
    "children_delimiter": "",
}  # fmt: skip
"""v0.27.0's naive defaults: RAPTOR and GraphRAG on, ``topn_tags`` 3, no raptor ``scope`` and no graphrag
``community``/``resolution``, unlike the schema's own defaults."""
DEFAULTS: dict[str, dict[str, Any]] = {
    "naive": NAIVE,
    **dict.fromkeys(["qa", "manual", "paper", "book", "laws", "presentation"], NO_RAPTOR),
    **dict.fromkeys(["email", "one", "picture", "table", "tag", "resume"], BASE),
}
METHODS: list[str] = list(get_args(ChunkMethod))
CHAT = "glm-4-flash@CI@ZHIPU-AI"


def test_the_table_covers_every_chunk_method() -> None:
    assert sorted(DEFAULTS) == sorted(METHODS)


def test_the_schema_defaults_take_1478_characters_as_ragflow_measures_them() -> None:
    assert len(json.dumps(ParserConfig().model_dump(), ensure_ascii=False, separators=(",", ":"))) == 1478


@pytest.mark.parametrize(("method", "expected"), list(DEFAULTS.items()), ids=list(DEFAULTS))
def test_each_chunk_method_has_ragflows_defaults(method: str, expected: dict[str, Any]) -> None:
    assert method_defaults(method) == expected


@pytest.mark.parametrize("chat_model", [None, CHAT], ids=["no-chat-model", "a-chat-model"])
@pytest.mark.parametrize(
    "given",
    [None, ParserConfig(), ParserConfig.model_validate({})],
    ids=["absent-or-null", "empty-model", "empty-object"],
)
@pytest.mark.parametrize("method", METHODS)
def test_a_create_without_a_config_stores_the_methods_defaults_and_the_chat_model(
    method: str, given: ParserConfig | None, chat_model: str | None
) -> None:
    llm_id = {"llm_id": chat_model} if chat_model else {}
    assert for_create(method, given, chat_model) == {**DEFAULTS[method], **llm_id}


SENT = {
    "one-field": {"chunk_token_num": 1024},
    "nested-field": {"raptor": {"use_raptor": True}},
    "several": {"topn_tags": 5, "graphrag": {"method": "general"}, "pages": [[1, 9]]},
}


@pytest.mark.parametrize("sent", list(SENT.values()), ids=list(SENT))
@pytest.mark.parametrize("method", METHODS)
def test_a_create_with_a_config_stores_it_with_every_model_default_whatever_the_method(
    method: str, sent: dict[str, Any]
) -> None:
    """RAGFlow dumps the validated config with all its defaults over the method's: so every method stores the
    same 24 keys, and the naive defaults (RAPTOR on, ``topn_tags`` 3) give way to the model's unless sent."""
    stored = for_create(method, ParserConfig.model_validate(sent), CHAT)
    assert stored == {**BASE, **ParserConfig.model_validate(sent).model_dump(), "llm_id": CHAT}
    assert len(stored) == 24
    assert deep_merge(stored, sent) == stored


def test_parent_child_on_create_sets_the_childrens_delimiter_but_not_enable_children() -> None:
    sent = {"parent_child": {"use_parent_child": True, "children_delimiter": "##"}}
    stored = for_create("naive", ParserConfig.model_validate(sent), None)
    assert (stored["children_delimiter"], stored["enable_children"]) == ("##", False)


STORED = {"chunk_token_num": 512, "parent_child": {"use_parent_child": True, "children_delimiter": "##"}}
UPDATES = {
    "a-field-resets-the-parent-child-flags": (
        {"chunk_token_num": 1024},
        {**STORED, "chunk_token_num": 1024, "children_delimiter": "", "enable_children": False},
    ),
    "parent-child-on": (
        {"parent_child": {"use_parent_child": True, "children_delimiter": "x"}},
        {**STORED, "parent_child": {"use_parent_child": True, "children_delimiter": "x"}, "children_delimiter": "x",
         "enable_children": True},
    ),
    "parent-child-on-with-the-default-delimiter": (
        {"parent_child": {"use_parent_child": True}},
        {**STORED, "children_delimiter": "\n", "enable_children": True},
    ),
    "parent-child-off-leaves-the-stored-one": (
        {"parent_child": {"use_parent_child": False, "children_delimiter": "y"}},
        {**STORED, "children_delimiter": "", "enable_children": False},
    ),
    "enable-children-alone-is-overruled": ({"enable_children": True}, {**STORED, "children_delimiter": "",
                                                                       "enable_children": False}),
    "ext-goes-to-the-top-level": ({"ext": {"foo": 1}}, {**STORED, "foo": 1, "children_delimiter": "",
                                                        "enable_children": False}),
}  # fmt: skip


@pytest.mark.parametrize(("sent", "expected"), list(UPDATES.values()), ids=list(UPDATES))
def test_an_update_merges_what_was_sent_and_sets_the_parent_child_flags(
    sent: dict[str, Any], expected: dict[str, Any]
) -> None:
    before = copy.deepcopy((STORED, sent))
    assert for_update(STORED, sent) == expected
    assert (STORED, sent) == before


MERGES = {
    "disjoint": ({"a": 1}, {"b": 2}, {"a": 1, "b": 2}),
    "scalar-replaced": ({"a": 1}, {"a": 2}, {"a": 2}),
    "objects-merged-key-by-key": ({"r": {"x": 1, "y": 2}}, {"r": {"y": 3}}, {"r": {"x": 1, "y": 3}}),
    "deeply": ({"a": {"b": {"c": 1, "d": 1}}}, {"a": {"b": {"d": 2}}}, {"a": {"b": {"c": 1, "d": 2}}}),
    "list-replaced-not-appended": ({"pages": [[1, 2]]}, {"pages": [[3, 4]]}, {"pages": [[3, 4]]}),
    "object-over-scalar": ({"a": 1}, {"a": {"b": 2}}, {"a": {"b": 2}}),
    "scalar-over-object": ({"a": {"b": 2}}, {"a": 1}, {"a": 1}),
    "null-replaces": ({"a": {"b": 2}}, {"a": None}, {"a": None}),
    "empty-update": ({"a": {"b": 2}}, {}, {"a": {"b": 2}}),
    "empty-object-keeps-the-object": ({"a": {"b": 2}}, {"a": {}}, {"a": {"b": 2}}),
}


@pytest.mark.parametrize(("base", "update", "expected"), list(MERGES.values()), ids=list(MERGES))
def test_deep_merge_recurses_into_objects_and_replaces_everything_else(
    base: dict[str, Any], update: dict[str, Any], expected: dict[str, Any]
) -> None:
    before = copy.deepcopy((base, update))
    assert deep_merge(base, update) == expected
    assert (base, update) == before  # neither input is modified

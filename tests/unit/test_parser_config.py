"""``parser_config`` (``dataset_core.parser_config``): RAGFlow v0.27's defaults per chunk method, what a create
stores, and how an update merges."""

from __future__ import annotations

import copy
from typing import Any, get_args

import pytest

from dataset_core.dataset import ChunkMethod
from dataset_core.parser_config import (
    GraphragConfig,
    ParentChildConfig,
    ParserConfig,
    RaptorConfig,
    deep_merge,
    default_parser_config,
    for_create,
)

BASE = {"image_context_size": 0, "table_context_size": 0}
NO_RAPTOR = {**BASE, "raptor": {"use_raptor": False}, "graphrag": {"use_graphrag": False}}
NAIVE = {
    **BASE,
    "layout_recognize": "DeepDOC",
    "chunk_token_num": 512,
    "delimiter": "\n",
    "auto_keywords": 0,
    "auto_questions": 0,
    "html4excel": False,
    "topn_tags": 3,
    "raptor": {**RaptorConfig().model_dump(), "use_raptor": True},
    "graphrag": {**GraphragConfig().model_dump(), "use_graphrag": True},
    "parent_child": ParentChildConfig().model_dump(),
    "children_delimiter": "",
}
"""The naive defaults turn RAPTOR and GraphRAG on and set ``topn_tags`` 3, unlike the model's own defaults."""
DEFAULTS = {
    "naive": NAIVE,
    **dict.fromkeys(["qa", "manual", "paper", "book", "laws", "presentation"], NO_RAPTOR),
    **dict.fromkeys(["email", "one", "picture", "table", "tag", "resume"], BASE),
}
METHODS: list[str] = list(get_args(ChunkMethod))


def test_the_table_covers_every_chunk_method() -> None:
    assert sorted(DEFAULTS) == sorted(METHODS)


@pytest.mark.parametrize(("method", "expected"), list(DEFAULTS.items()), ids=list(DEFAULTS))
def test_each_chunk_method_has_ragflows_defaults(method: str, expected: dict[str, Any]) -> None:
    assert default_parser_config(method) == expected


@pytest.mark.parametrize(
    "given",
    [None, ParserConfig(), ParserConfig.model_validate({})],
    ids=["absent-or-null", "empty-model", "empty-object"],
)
@pytest.mark.parametrize("method", METHODS)
def test_a_create_without_a_config_stores_the_methods_defaults(method: str, given: ParserConfig | None) -> None:
    assert for_create(method, given) == DEFAULTS[method]


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
    same, and the naive defaults (RAPTOR on, ``topn_tags`` 3) give way to the model's unless sent."""
    stored = for_create(method, ParserConfig.model_validate(sent))
    assert stored == {**BASE, **ParserConfig.model_validate(sent).model_dump()}
    assert deep_merge(stored, sent) == stored


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

"""A listing's items are built without a model instance each (``ListedDataset.listed``): they must be exactly
what the view model would have dumped, for every kind of dataset."""

from __future__ import annotations

from typing import Any

import pytest

from dataset_core import parser_config
from dataset_core.dataset import Dataset
from dataset_core.restful.views import ListedDataset, RestfulDataset

BASE: dict[str, Any] = {
    "id": "0" * 31 + "1",
    "tenant_id": "a" * 32,
    "created_by": "a" * 32,
    "name": "kb",
    "embd_id": "BAAI/bge-small-en-v1.5@Builtin",
    "parser_config": parser_config.method_defaults("naive"),
    "create_time": 1_764_000_000_000,
    "update_time": 1_764_000_123_456,
}


@pytest.mark.parametrize(
    "stored",
    [
        {},
        {"description": "d", "avatar": "data:image/png;base64,AAAA", "language": None, "permission": "team"},
        {"parser_id": "qa", "parser_config": parser_config.method_defaults("qa"), "pipeline_id": "p" * 32},
        {"similarity_threshold": 1, "vector_similarity_weight": 0, "pagerank": 100, "doc_num": 3, "status": "0"},
        {"parser_config": {"raptor": {"use_raptor": True, "clustering_threshold": 1}, "chunk_token_num": 128}},
    ],
    ids=["defaults", "every optional text", "another method and a pipeline", "numbers", "a config of its own"],
)
def test_a_listed_dataset_is_exactly_what_its_view_model_dumps(stored: dict[str, Any]) -> None:
    ds = Dataset.model_validate(BASE | stored)
    dumped = ListedDataset(**RestfulDataset.fields_of(ds)).model_dump(mode="json", exclude={"parsing_status"})
    listed = ListedDataset.listed(ds)
    assert listed == dumped
    assert {k: type(v) for k, v in listed.items()} == {k: type(v) for k, v in dumped.items()}

"""Datasets are shown without a model instance (``RestfulDataset.shown``, ``LegacyDataset.shown``): each must
be exactly what its view model would have dumped, for every view and every kind of dataset."""

from __future__ import annotations

from typing import Any

import pytest

from dataset_core import parser_config
from dataset_core.dataset import Dataset, http_date
from dataset_core.legacy.dataset import LegacyDataset
from dataset_core.restful.dataset import RestfulDataset
from dataset_core.restful.get_dataset import FetchedDataset
from dataset_core.restful.list_datasets import ListedDataset
from dataset_core.restful.update_dataset import UpdatedDataset

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


# Each kind of stored dataset, as it differs from BASE.
STORED = pytest.mark.parametrize(
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


# Each view, with the fields it has and a dataset does not, as its route gives them.
VIEWS: list[tuple[type[RestfulDataset], dict[str, Any]]] = [
    (RestfulDataset, {}),  # create
    (FetchedDataset, {"connectors": []}),  # get
    (UpdatedDataset, {"connectors": [{"id": "c1", "name": "drive"}]}),  # update
    (ListedDataset, {}),  # list (parsing_status only when asked for)
]


@pytest.mark.parametrize(("view", "given"), VIEWS, ids=[view.__name__ for view, _ in VIEWS])
@STORED
def test_a_shown_dataset_is_exactly_what_its_view_model_dumps(
    view: type[RestfulDataset], given: dict[str, Any], stored: dict[str, Any]
) -> None:
    ds = Dataset.model_validate(BASE | stored)
    dumped = view(**RestfulDataset.fields_of(ds), **given).model_dump(mode="json", exclude=set(view.on_request))
    shown = view.shown(ds, **given)
    assert shown == dumped
    assert {k: type(v) for k, v in shown.items()} == {k: type(v) for k, v in dumped.items()}


@STORED
def test_a_legacy_shown_dataset_is_exactly_what_its_model_dumps(stored: dict[str, Any]) -> None:
    ds = Dataset.model_validate(BASE | stored)
    dumped = LegacyDataset(
        create_date=http_date(ds.create_time), update_date=http_date(ds.update_time), **ds.model_dump()
    ).model_dump(mode="json")
    shown = LegacyDataset.shown(ds)
    assert list(shown) == list(dumped)  # the reference's key order
    assert shown == dumped
    assert {k: type(v) for k, v in shown.items()} == {k: type(v) for k, v in dumped.items()}

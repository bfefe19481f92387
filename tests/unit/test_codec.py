"""Python values to DynamoDB attribute values and back (``dataset_core.storage.codec``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from dataset_core.storage.codec import from_attr, item, plain, to_attr

ROUND_TRIPS: dict[str, tuple[Any, dict[str, Any]]] = {
    "null": (None, {"NULL": True}),
    "true": (True, {"BOOL": True}),
    "false": (False, {"BOOL": False}),
    "zero": (0, {"N": "0"}),
    "negative": (-5, {"N": "-5"}),
    "38-digits": (10**37 + 1, {"N": str(10**37 + 1)}),
    "float": (0.3, {"N": "0.3"}),
    "negative-float": (-0.25, {"N": "-0.25"}),
    "small-float": (1e-07, {"N": "1e-07"}),
    "empty-string": ("", {"S": ""}),
    "string": ("r\u00e9seau\n", {"S": "r\u00e9seau\n"}),
    "empty-map": ({}, {"M": {}}),
    "empty-list": ([], {"L": []}),
    "nested": (
        {"pages": [[1, 1000000]], "raptor": {"use_raptor": True, "prompt": None}},
        {
            "M": {
                "pages": {"L": [{"L": [{"N": "1"}, {"N": "1000000"}]}]},
                "raptor": {"M": {"use_raptor": {"BOOL": True}, "prompt": {"NULL": True}}},
            }
        },
    ),
}


@pytest.mark.parametrize(("value", "attr"), list(ROUND_TRIPS.values()), ids=list(ROUND_TRIPS))
def test_a_value_round_trips_through_its_attribute(value: Any, attr: dict[str, Any]) -> None:
    assert to_attr(value) == attr
    got = from_attr(attr)
    assert (got, type(got)) == (value, type(value))  # a bool stays a bool, an int an int


@pytest.mark.parametrize(
    ("value", "attr", "back"),
    [((1, "a"), {"L": [{"N": "1"}, {"S": "a"}]}, [1, "a"]), (Decimal("2.50"), {"N": "2.50"}, 2.5), ({1: "x"}, {"M": {"1": {"S": "x"}}}, {"1": "x"})],
    ids=["tuple-as-list", "decimal-as-float", "map-keys-as-strings"],
)  # fmt: skip
def test_other_python_types_are_stored_as_their_nearest_json_value(value: Any, attr: dict[str, Any], back: Any) -> None:
    assert to_attr(value) == attr
    assert from_attr(attr) == back


@pytest.mark.parametrize("value", [b"bytes", {"a", "set"}, object()], ids=["bytes", "set", "object"])
def test_a_value_json_cannot_hold_is_never_stored(value: Any) -> None:
    with pytest.raises(TypeError, match="cannot store"):
        to_attr(value)


@pytest.mark.parametrize(
    "attr", [{"B": b"x"}, {"SS": ["a"]}, {"NS": ["1"]}], ids=["binary", "string-set", "number-set"]
)
def test_an_attribute_type_the_layer_never_writes_is_refused(attr: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match="unexpected attribute type"):
        from_attr(attr)


def test_a_whole_item_round_trips() -> None:
    attrs = {"pk": "TENANT#t", "sk": "DATASET#d", "dataset_count": 3, "parser_config": {"pages": None}}
    assert item(attrs)["pk"] == {"S": "TENANT#t"}
    assert plain(item(attrs)) == attrs

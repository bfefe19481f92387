"""The id checks the RESTful requests share (``dataset_core.restful.fields``).

A delete takes as many ids as its body holds: 1 MiB of them is about 29 000. The duplicate check once compared
every id with every other one, which for that many ids at 512 MB's CPU share ran, with the lookups after it, past
the function's 29 s timeout (API Gateway then answers 504 by itself). So it must do work in proportion to the
ids, counted here in comparisons rather than timed.
"""

from __future__ import annotations

import pytest
from pydantic_core import PydanticCustomError

from dataset_core.restful import fields
from dataset_core.restful.fields import unique_ids

A, B, C = "a" * 32, "b" * 32, "c" * 32


@pytest.mark.parametrize(
    ("ids", "named"),
    [
        ([A, B, C], None),
        ([A, A], f"{A}"),
        ([B, A, B, A], f"{B}, {A}"),  # each repeated id once, in the order of its first appearance
        ([C, A, B, A, C, C], f"{C}, {A}"),
        ([], None),
    ],
    ids=["none-repeated", "one-twice", "two-twice", "one-thrice", "empty"],
)
def test_duplicate_ids_are_named_once_each_in_the_order_they_first_appear(ids: list[str], named: str | None) -> None:
    if named is None:
        assert unique_ids(ids) == ids
        return
    with pytest.raises(PydanticCustomError) as refused:
        unique_ids(ids)
    assert str(refused.value) == f"Duplicate ids: '{named}'"


class Counted(str):
    """An id that counts the equality checks made on it."""

    checks = 0

    def __eq__(self, other: object) -> bool:
        Counted.checks += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_the_duplicate_check_does_work_in_proportion_to_the_ids_not_to_their_square(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fields, "uuid", lambda value: value)  # the ids as given, so that their checks are counted
    ids: list[str] = [Counted(f"{n:032x}") for n in [*range(2000), *range(10)]]
    Counted.checks = 0
    with pytest.raises(PydanticCustomError):
        unique_ids(ids)
    assert Counted.checks <= 2 * len(ids)

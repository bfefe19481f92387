"""The embedded DynamoDB refuses what DynamoDB refuses, so that a test here fails where AWS would.

AWS, "Constraints in Amazon DynamoDB": an item holds at most 400 KB, and on a table with local secondary indexes
that 400 KB holds the item and its entries in every LSI; nested attributes go at most 32 levels deep.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from botocore.exceptions import ClientError

TABLE = os.environ["TABLE_NAME"]


def item(size: int, *, in_index: bool) -> dict[str, Any]:
    attrs = {"pk": {"S": "TENANT#t"}, "sk": {"S": "DATASET#x"}, "blob": {"S": "x" * size}}
    if in_index:
        attrs["update_sk"] = {"S": "000000000000001#x"}
    return attrs


@pytest.mark.parametrize(("size", "in_index", "stored"), [
    (300 * 1024, False, True),   # an item alone may take 400 KB
    (300 * 1024, True, False),   # with its by_update_time entry (ALL projected), twice that
    (200 * 1024 - 100, True, True),
])  # fmt: skip
def test_an_item_and_its_index_entries_share_400_kb(table: Any, size: int, in_index: bool, stored: bool) -> None:
    if stored:
        table.put_item(TableName=TABLE, Item=item(size, in_index=in_index))
        return
    with pytest.raises(ClientError, match="ValidationException"):
        table.put_item(TableName=TABLE, Item=item(size, in_index=in_index))
    with pytest.raises(ClientError, match=r"TransactionCanceledException|ValidationException"):
        table.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": item(size, in_index=in_index)}}])
    assert table.scan(TableName=TABLE)["Items"] == []


def test_documents_nest_at_most_32_levels(table: Any) -> None:
    def nested(depth: int) -> dict[str, Any]:
        value: dict[str, Any] = {"S": "leaf"}
        for _ in range(depth):
            value = {"M": {"a": value}}
        return value

    table.put_item(TableName=TABLE, Item={"pk": {"S": "p"}, "sk": {"S": "ok"}, "doc": nested(32)})
    with pytest.raises(ClientError, match="ValidationException"):
        table.put_item(TableName=TABLE, Item={"pk": {"S": "p"}, "sk": {"S": "deep"}, "doc": nested(33)})

"""The embedded DynamoDB's speed-ups behave exactly as moto does without them (``tools.embedded_dynamodb``).

The same script of item operations and transactions (successes, failed conditions at the first, middle
and last entry, invalid entries) runs once on plain moto and once with ``fast_item_responses`` and
``cheap_transactions``. Every answer, every error and the final table must be the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tools import template
from tools.embedded_dynamodb import cheap_transactions, fast_item_responses, serialize_requests

TABLE = "embedded-test"


def _item(sk: str, **attrs: Any) -> dict[str, Any]:
    return {"pk": {"S": "p"}, "sk": {"S": sk}, **attrs}


def _put(sk: str, condition: str | None = None, **attrs: Any) -> dict[str, Any]:
    put: dict[str, Any] = {"TableName": TABLE, "Item": _item(sk, **attrs)}
    if condition:
        put["ConditionExpression"] = condition
    return {"Put": put}


def _add(sk: str, amount: int, condition: str | None = None) -> dict[str, Any]:
    update: dict[str, Any] = {
        "TableName": TABLE,
        "Key": {"pk": {"S": "p"}, "sk": {"S": sk}},
        "UpdateExpression": "ADD n :v",
        "ExpressionAttributeValues": {":v": {"N": str(amount)}},
    }
    if condition:
        update["ConditionExpression"] = condition
        update["ExpressionAttributeValues"][":max"] = {"N": "3"}
    return {"Update": update}


def _delete(sk: str, condition: str | None = None) -> dict[str, Any]:
    delete: dict[str, Any] = {"TableName": TABLE, "Key": {"pk": {"S": "p"}, "sk": {"S": sk}}}
    if condition:
        delete["ConditionExpression"] = condition
    return {"Delete": delete}


NEW = "attribute_not_exists(pk)"
TRANSACTIONS: list[list[dict[str, Any]]] = [
    [_put("a", NEW, v={"S": "1"}), _put("lock#a", NEW), _add("meta", 1)],
    [_put("b", NEW, m={"M": {"l": {"L": [{"NULL": True}, {"BOOL": True}, {"N": "1.25"}]}}}), _add("meta", 1)],
    [_put("c", NEW), _put("lock#a", NEW), _add("meta", 1)],  # fails in the middle: c must not appear
    [_put("lock#a", NEW), _put("d", NEW), _add("meta", 1)],  # fails first
    [_put("e", NEW), _add("meta", 1), _delete("zzz", "attribute_exists(pk)")],  # fails last
    [_add("meta", 1, "n < :max"), _put("f", NEW)],
    [_add("meta", 1, "n < :max"), _put("g", NEW)],  # the counter is at its maximum now
    [_delete("a", "attribute_exists(pk)"), _delete("lock#a"), _add("meta", -1)],
    [_put("h", NEW), _put("h")],  # two operations on one item: refused as a whole
    [{"Put": {"TableName": TABLE, "Item": {"pk": {"S": "p"}}}}],  # no sort key: invalid
    [_put("i", NEW), {"Put": {"TableName": "no-such-table", "Item": _item("x")}}],
]


def _scenario() -> list[Any]:
    """Run the script on a fresh table; every answer or error, then the whole table."""
    with mock_aws():
        client: Any = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**template.table_definition(TABLE))
        seen: list[Any] = []
        for items in TRANSACTIONS:
            try:
                seen.append(client.transact_write_items(TransactItems=items))
            except ClientError as error:
                seen.append([error.response["Error"]["Code"], error.response.get("CancellationReasons")])
        seen.append(client.query(TableName=TABLE, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}}))  # fmt: skip
        seen.append(client.get_item(TableName=TABLE, Key={"pk": {"S": "p"}, "sk": {"S": "b"}}, ConsistentRead=True))
        seen.append(client.scan(TableName=TABLE, Limit=2))
        seen.append(client.put_item(TableName=TABLE, Item=_item("b", v={"SS": ["x", "y"]}), ReturnValues="ALL_OLD"))
        seen.append(client.batch_get_item(RequestItems={TABLE: {"Keys": [{"pk": {"S": "p"}, "sk": {"S": "b"}}]}}))
        for answer in seen:
            if isinstance(answer, dict):
                answer.pop("ResponseMetadata", None)
        plain: list[Any] = json.loads(json.dumps(seen, default=str))
        return plain


@pytest.fixture
def speedups() -> Iterator[None]:
    serialize_requests()
    yield
    fast_item_responses(on=False)
    cheap_transactions(on=False)


@pytest.mark.usefixtures("speedups")
def test_the_speedups_change_nothing_but_cost() -> None:
    fast_item_responses(on=False)
    cheap_transactions(on=False)
    plain = _scenario()
    fast_item_responses()
    cheap_transactions()
    fast = _scenario()
    assert fast == plain
    rows = {row["sk"]["S"]: row for row in fast[len(TRANSACTIONS)]["Items"]}
    assert set(rows) == {"b", "f", "meta"}  # a and its lock were deleted; the failed ones left no trace
    assert rows["meta"]["n"] == {"N": "2"}  # +1 +1 +1 (f) -1 (a's delete)

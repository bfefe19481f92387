"""API-key items: the key's own item (looked up by digest) and its index item in the tenant's partition.

The authorizer's whole storage: this module imports neither the dataset record nor pydantic.
"""

from __future__ import annotations

from typing import Any

from .client import client, table
from .codec import item, plain
from .transact import Translate, put, transact, update

KEY_SK = "APIKEY"
INDEX_PREFIX = "APIKEY#"


def apikey_pk(digest: str) -> str:
    return f"APIKEY#{digest}"


def _index_key(tenant_id: str, key_id: str) -> dict[str, str]:
    return {"pk": f"TENANT#{tenant_id}", "sk": INDEX_PREFIX + key_id}


def put_api_key(*, digest: str, tenant_id: str, key_id: str, label: str, created_at: int) -> None:
    record = {"tenant_id": tenant_id, "key_id": key_id, "label": label, "created_at": created_at, "status": "active"}
    transact(
        [
            put({"pk": apikey_pk(digest), "sk": KEY_SK, **record}, "attribute_not_exists(pk)"),
            put({**_index_key(tenant_id, key_id), "digest": digest, **record}, "attribute_not_exists(pk)"),
        ]
    )


def get_api_key(digest: str) -> dict[str, Any] | None:
    with Translate():
        response = client().get_item(TableName=table(), Key=item({"pk": apikey_pk(digest), "sk": KEY_SK}))
    found = response.get("Item")
    return plain(found) if found else None


def list_api_keys(tenant_id: str) -> list[dict[str, Any]]:
    query: dict[str, Any] = {
        "TableName": table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": item({":pk": f"TENANT#{tenant_id}", ":prefix": INDEX_PREFIX}),
    }
    keys: list[dict[str, Any]] = []
    while True:
        with Translate():
            response = client().query(**query)
        keys.extend(plain(found) for found in response.get("Items", []))
        if not response.get("LastEvaluatedKey"):
            return keys
        query["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def find_api_key(key_id: str) -> dict[str, Any] | None:
    """A key's index item by its id alone, for an operator's ``revoke KEY_ID``.

    This is the one Scan in the code base, and no request path calls it: only the operator CLI does.
    """
    scan: dict[str, Any] = {
        "TableName": table(),
        "FilterExpression": "sk = :sk",
        "ExpressionAttributeValues": item({":sk": INDEX_PREFIX + key_id}),
    }
    while True:
        with Translate():
            response = client().scan(**scan)
        for found in response.get("Items", []):
            return plain(found)
        if not response.get("LastEvaluatedKey"):
            return None
        scan["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def revoke_api_key(tenant_id: str, key_id: str, digest: str) -> None:
    def revoked(key: dict[str, str]) -> Any:
        return update(key, "SET #s = :revoked", "attribute_exists(pk)", {":revoked": "revoked"}, {"#s": "status"})

    transact([revoked({"pk": apikey_pk(digest), "sk": KEY_SK}), revoked(_index_key(tenant_id, key_id))])

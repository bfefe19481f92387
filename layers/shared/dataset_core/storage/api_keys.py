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


def put_api_key(
    *, digest: str, tenant_id: str, key_id: str, label: str, created_at: int, scope: str, expires_at: int | None
) -> None:
    record: dict[str, Any] = {
        "tenant_id": tenant_id,
        "key_id": key_id,
        "label": label,
        "created_at": created_at,
        "status": "active",
        "scope": scope,
    }
    if expires_at is not None:
        record["expires_at"] = expires_at
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
    _update_both(tenant_id, key_id, digest, "SET #s = :revoked", values={":revoked": "revoked"}, names={"#s": "status"})


def set_api_key_expiry(tenant_id: str, key_id: str, digest: str, expires_at: int | None) -> None:
    if expires_at is None:
        _update_both(tenant_id, key_id, digest, "REMOVE expires_at")
    else:
        _update_both(tenant_id, key_id, digest, "SET expires_at = :at", values={":at": expires_at})


def _update_both(
    tenant_id: str,
    key_id: str,
    digest: str,
    expression: str,
    *,
    values: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
) -> None:
    """The same change to the key's item and its index item, together."""
    keys = [{"pk": apikey_pk(digest), "sk": KEY_SK}, _index_key(tenant_id, key_id)]
    transact([update(key, expression, "attribute_exists(pk)", values, names) for key in keys])

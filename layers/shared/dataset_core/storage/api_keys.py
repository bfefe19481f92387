"""API-key items: the key's own item (looked up by digest) and its index item in the tenant's partition, and
the tenant's usage plan item, whose usage key every key item of the tenant carries (the authorizer reads only
the key's own item and returns it to API Gateway, which meters the tenant by it).

The authorizer's whole storage: this module imports neither the dataset record nor pydantic.
"""

from __future__ import annotations

from typing import Any

from .client import client, table
from .codec import item, plain
from .transact import Translate, check, put, transact, update

KEY_SK = "APIKEY"
INDEX_PREFIX = "APIKEY#"
USAGE_PLAN_SK = "USAGEPLAN"


class UsageKeyChangedError(Exception):
    """The tenant's usage key changed while a key was being minted for it: read it again."""


def apikey_pk(digest: str) -> str:
    return f"APIKEY#{digest}"


def _index_key(tenant_id: str, key_id: str) -> dict[str, str]:
    return {"pk": f"TENANT#{tenant_id}", "sk": INDEX_PREFIX + key_id}


def _usage_plan_key(tenant_id: str) -> dict[str, str]:
    return {"pk": f"TENANT#{tenant_id}", "sk": USAGE_PLAN_SK}


def put_api_key(
    *,
    digest: str,
    tenant_id: str,
    key_id: str,
    label: str,
    created_at: int,
    scope: str,
    expires_at: int | None,
    usage_key: str | None,
) -> None:
    """Both items of a new key, carrying the tenant's usage key as it is now: the transaction fails with
    ``UsageKeyChangedError`` if the tenant's usage plan item no longer holds ``usage_key``, so that a key minted
    while an operator changes the tenant's usage key never keeps the old one."""
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
    if usage_key is not None:
        record["usage_key"] = usage_key
        unchanged = check(_usage_plan_key(tenant_id), "usage_key = :usage", {":usage": usage_key})
    else:
        unchanged = check(_usage_plan_key(tenant_id), "attribute_not_exists(usage_key)")
    transact(
        [
            put({"pk": apikey_pk(digest), "sk": KEY_SK, **record}, "attribute_not_exists(pk)"),
            put({**_index_key(tenant_id, key_id), "digest": digest, **record}, "attribute_not_exists(pk)"),
            unchanged,
        ],
        {2: UsageKeyChangedError()},
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

    A Scan, like ``list_all_api_keys``: no request path calls either, only the operator CLI does.
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


def list_all_api_keys() -> list[dict[str, Any]]:
    """Every tenant's key index items, for an operator's ``list`` without a tenant: a Scan, never on a
    request path."""
    scan: dict[str, Any] = {
        "TableName": table(),
        "FilterExpression": "begins_with(sk, :prefix)",
        "ExpressionAttributeValues": item({":prefix": INDEX_PREFIX}),
    }
    keys: list[dict[str, Any]] = []
    while True:
        with Translate():
            response = client().scan(**scan)
        keys.extend(plain(found) for found in response.get("Items", []))
        if not response.get("LastEvaluatedKey"):
            return keys
        scan["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def get_usage_plan(tenant_id: str) -> dict[str, Any] | None:
    """The tenant's usage plan item: tier, usage_key_id, usage_key (None: the tenant is on no tier)."""
    with Translate():
        response = client().get_item(TableName=table(), Key=item(_usage_plan_key(tenant_id)), ConsistentRead=True)
    found = response.get("Item")
    return plain(found) if found else None


def put_usage_plan(tenant_id: str, *, tier: str, usage_key_id: str, usage_key: str, updated_at: int) -> None:
    record = {"tier": tier, "usage_key_id": usage_key_id, "usage_key": usage_key, "updated_at": updated_at}
    with Translate():
        client().put_item(TableName=table(), Item=item({**_usage_plan_key(tenant_id), **record}))


def set_api_key_usage_key(tenant_id: str, key_id: str, digest: str, usage_key: str) -> None:
    _update_both(tenant_id, key_id, digest, "SET usage_key = :usage", values={":usage": usage_key})


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

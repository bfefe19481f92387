# ruff: noqa: PLC0415 - imports wait until the environment (table, endpoint) is set, or until needed
"""Data for the benchmarks, written through the shared layer's own code against a DynamoDB endpoint.

``use_endpoint`` points this process's ``dataset_core`` at a table (the settings and the boto3 client are
cached per process, so both are reset). ``seed_datasets`` bulk-loads consistent datasets (item, name lock,
counter) with batch writes, like ``tests/conftest.py``: thousands of real creates are needlessly slow on
moto, which copies the whole table for every transaction. The items are the ones ``datasets.create``
writes, with the default parser_config, so item sizes (and so capacity units) are realistic.
"""

from __future__ import annotations

import os
from typing import Any

from bench.common import BENCH_KEY, FAKE_AWS, LAYER, ROOT


def use_endpoint(endpoint: str | None, table: str) -> None:
    """Point ``dataset_core`` in this process at ``table`` on ``endpoint`` (None: moto in-process)."""
    import sys

    for path in (str(LAYER), str(ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.environ.update(FAKE_AWS)
    os.environ["TABLE_NAME"] = table
    if endpoint:
        os.environ["DYNAMODB_ENDPOINT"] = endpoint
    else:
        os.environ.pop("DYNAMODB_ENDPOINT", None)
    from dataset_core import config
    from dataset_core.storage import client as storage

    config.settings.cache_clear()
    storage.reset_client()


def register_key(tenant: str, key: str = BENCH_KEY) -> None:
    from dataset_core import api_keys

    if api_keys.authenticate(key) is None:
        api_keys.create_key(tenant, "bench", key)


def dataset_items(tenant: str, count: int, prefix: str) -> tuple[list[Any], list[dict[str, Any]]]:
    """``count`` datasets, oldest first, and the PutRequests for them and their name locks."""
    from dataset_core import datasets
    from dataset_core.config import settings
    from dataset_core.dataset import Dataset
    from dataset_core.ids import new_id
    from dataset_core.legacy.operations import DEFAULT_PARSER_CONFIG
    from dataset_core.storage import codec
    from dataset_core.storage import datasets as storage
    from dataset_core.storage.datasets import name_lock_key

    base = datasets.now_ms()
    requests: list[dict[str, Any]] = []
    made: list[Dataset] = []
    for i in range(count):
        ds = Dataset.model_validate(
            {
                "id": new_id(),
                "tenant_id": tenant,
                "created_by": tenant,
                "name": f"{prefix}{i}",
                "embd_id": settings().default_embedding_model,
                "parser_config": DEFAULT_PARSER_CONFIG,
                "create_time": base + i,
                "update_time": base + i,
            }
        )
        lock = {"pk": {"S": storage.tenant_pk(tenant)}, "sk": {"S": name_lock_key(ds.name)}, "dataset_id": {"S": ds.id}}
        requests += [{"PutRequest": {"Item": codec.item(storage.dataset_attrs(ds))}}, {"PutRequest": {"Item": lock}}]
        made.append(ds)
    return made, requests


def seed_datasets(tenant: str, count: int, prefix: str = "bulk") -> list[Any]:
    """Add ``count`` consistent datasets to ``tenant`` (item + lock + counter), fast; they, oldest first."""
    from dataset_core.config import settings
    from dataset_core.storage import client as storage_client
    from dataset_core.storage import datasets as storage

    client = storage_client.client()
    table = settings().table_name
    made, requests = dataset_items(tenant, count, prefix)
    for start in range(0, len(requests), 25):
        batch: dict[str, Any] = {table: requests[start : start + 25]}
        while batch:
            batch = client.batch_write_item(RequestItems=batch).get("UnprocessedItems") or {}
    client.update_item(
        TableName=table,
        Key={"pk": {"S": storage.tenant_pk(tenant)}, "sk": {"S": storage.META_SK}},
        UpdateExpression="ADD dataset_count :n",
        ExpressionAttributeValues={":n": {"N": str(count)}},
    )
    return made


def create_dataset(tenant: str, name: str) -> str:
    """One dataset created by the real code path; its id."""
    from dataset_core import datasets
    from dataset_core.legacy.operations import DEFAULT_PARSER_CONFIG

    created = datasets.create(tenant, name, render=lambda ds: {"id": ds.id}, parser_config=DEFAULT_PARSER_CONFIG)
    return str(created["id"])


def dataset_ids(tenant: str, limit: int, descending: bool = True) -> list[tuple[str, int]]:
    """(id, update_time) of the tenant's datasets in creation order (newest first by default)."""
    from dataset_core.storage import listings

    listing = listings.list_datasets(tenant, orderby="create_time", descending=descending, skip=0, limit=limit)
    return [(ds.id, ds.update_time) for ds in listing.datasets]

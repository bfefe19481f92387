# ruff: noqa: PLC0415 - dataset_core is imported only once the environment names the table
"""Data for the benchmarks; the only module of ``bench/`` that imports the shared layer (re-point it here).

Datasets are made by the create handler, its writes captured (``Recorder(fake_writes=True)``) and stored with
batch writes, the counter updates (``ADD``) summed into one: the items are exactly what a create writes, in
whatever form the layer gives them, and thousands load in seconds (a create costs moto a copy of the table).
"""

from __future__ import annotations

import json
import os
import re
import sys
import uuid
from collections import Counter
from typing import Any

from botocore.client import BaseClient

from bench import harness
from bench.common import BENCH_KEY, FAKE_AWS, LAYER, PAGE_TOKEN_SECRET, template_env


def use_table(endpoint: str | None, table_name: str) -> None:
    """Point ``dataset_core`` in this process at ``table_name`` on ``endpoint`` (None: moto in-process)."""
    if str(LAYER) not in sys.path:
        sys.path.insert(0, str(LAYER))
    os.environ.update(FAKE_AWS | template_env())
    os.environ.update(TABLE_NAME=table_name, PAGE_TOKEN_SECRET=PAGE_TOKEN_SECRET, POWERTOOLS_TRACE_DISABLED="true")
    os.environ.pop("DYNAMODB_ENDPOINT", None)
    if endpoint:
        os.environ["DYNAMODB_ENDPOINT"] = endpoint
    forget_table()


def forget_table() -> None:
    """Make ``dataset_core`` read its settings again and make a new client (after the environment changed)."""
    from dataset_core import config, storage

    config.settings.cache_clear()
    storage.reset_client()


def register_key(tenant: str) -> None:
    from dataset_core import api_keys

    if api_keys.authenticate(BENCH_KEY) is None:
        api_keys.create_key(tenant, "bench", BENCH_KEY)


def seed_datasets(client: BaseClient, tenant: str, count: int, prefix: str = "s") -> list[tuple[str, str]]:
    """``count`` datasets created for ``tenant`` on ``client``'s table; their (id, name), oldest first."""
    run = uuid.uuid4().hex[:6]
    made: list[tuple[str, str]] = []
    puts: dict[str, list[dict[str, Any]]] = {}
    with harness.Recorder(fake_writes=True) as recorder:
        for i in range(count):
            name = f"{prefix}{run}-{i}"
            request = harness.event("create_datasets", tenant=tenant, body={"name": name})
            status, body = harness.invoke("create_dataset", request)
            if status != 200:
                raise RuntimeError(f"seeding: create answered {status}: {body}")
            made.append((body["data"]["id"], name))
    counters: Counter[str] = Counter()
    for call in recorder.calls:
        for entry in call.params.get("TransactItems", []):
            if "Put" in entry:
                puts.setdefault(entry["Put"]["TableName"], []).append({"PutRequest": {"Item": entry["Put"]["Item"]}})
            elif "Update" in entry:
                update = entry["Update"]
                added = re.fullmatch(r"ADD (\S+) (:\w+)", update["UpdateExpression"])
                if added is None:
                    raise RuntimeError(f"seeding: a create's update is no counter: {update['UpdateExpression']}")
                target = json.dumps([update["TableName"], update["Key"], added[1]])
                counters[target] += int(update["ExpressionAttributeValues"][added[2]]["N"])
    for table_name, requests in puts.items():
        for start in range(0, len(requests), 25):
            batch: dict[str, Any] = {table_name: requests[start : start + 25]}
            while batch:
                batch = harness.raw(client, "BatchWriteItem", {"RequestItems": batch}).get("UnprocessedItems") or {}
    for target, total in counters.items():
        name, key, attribute = json.loads(target)
        values = {"ExpressionAttributeNames": {"#a": attribute}, "ExpressionAttributeValues": {":n": {"N": str(total)}}}
        harness.raw(client, "UpdateItem", {"TableName": name, "Key": key, "UpdateExpression": "ADD #a :n"} | values)
    return made

# ruff: noqa: PLC0415 - dataset_core is imported only once the environment names the table
"""Data for the benchmarks; the only module of ``bench/`` that imports the shared layer (re-point it here).

Datasets are made by the create handler, its writes captured (``Recorder(fake_writes=True)``) and stored with
batch writes, the counter updates (``ADD``) summed into one: the items are exactly what a create writes, in
whatever form the layer gives them, and thousands load in seconds (a create costs moto a copy of the table);
one recording fills several tables.
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
    from dataset_core import config
    from dataset_core.storage import client

    config.settings.cache_clear()
    client.reset_client()


def wait_longer() -> None:
    """Let this process's client wait 30 s for a reply, not 2: moto answers a Query in time proportional to the
    whole table, and on a busy machine a deep offset page's Query over 10 000 datasets outlasts the timeout."""
    from dataset_core.storage import client

    client.READ_TIMEOUT = 30


def register_key(tenant: str) -> None:
    from dataset_core import api_keys

    if api_keys.authenticate(BENCH_KEY) is None:
        api_keys.create_key(tenant, "bench", BENCH_KEY)


def seed_datasets(client: BaseClient, tenant: str, counts: dict[str, int]) -> list[tuple[str, str]]:
    """Datasets of ``tenant``, the first ``n`` of them in each table of ``counts`` (table name: ``n``), through
    ``client``; the (id, name) of them all, oldest first."""
    made: list[tuple[str, str]] = []
    creates: list[list[dict[str, Any]]] = []  # each create's transaction entries
    run = uuid.uuid4().hex[:6]
    with harness.Recorder(fake_writes=True) as recorder:
        for i in range(max(counts.values())):
            before, name = len(recorder.calls), f"s{run}-{i}"
            status, body = harness.invoke(
                "create_dataset", harness.event("create_dataset_restful", tenant=tenant, body={"name": name})
            )
            if status != 200:
                raise RuntimeError(f"seeding: create answered {status}: {body}")
            made.append((body["data"]["id"], name))
            creates.append([e for call in recorder.calls[before:] for e in call.params.get("TransactItems", [])])
    for table_name, n in counts.items():
        puts, counters = [], Counter[str]()
        for entry in (e for entries in creates[:n] for e in entries):
            if "Put" in entry:
                puts.append({"PutRequest": {"Item": entry["Put"]["Item"]}})
            elif "Update" in entry:
                update = entry["Update"]
                added = re.fullmatch(r"ADD (\S+) (:\w+)", update["UpdateExpression"])
                if added is None:
                    raise RuntimeError(f"seeding: a create's update is no counter: {update['UpdateExpression']}")
                counters[json.dumps([update["Key"], added[1]])] += int(
                    update["ExpressionAttributeValues"][added[2]]["N"]
                )
        for start in range(0, len(puts), 25):
            batch: dict[str, Any] = {table_name: puts[start : start + 25]}
            while batch:
                batch = harness.raw(client, "BatchWriteItem", {"RequestItems": batch}).get("UnprocessedItems") or {}
        for target, total in counters.items():
            key, attribute = json.loads(target)
            values = {
                "ExpressionAttributeNames": {"#a": attribute},
                "ExpressionAttributeValues": {":n": {"N": str(total)}},
            }
            harness.raw(
                client, "UpdateItem", {"TableName": table_name, "Key": key, "UpdateExpression": "ADD #a :n"} | values
            )
    return made

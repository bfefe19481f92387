"""Per-invocation observability state stays with its invocation when several share a process.

Lambda runs one event per execution environment at a time, but the local API and the tests' races run the
handlers of several environments on threads of one process: what one invocation records must not be
published, lost or logged by another (CI once failed on a create whose metrics a concurrent one had flushed).
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from dataset_core import observability


def in_thread(work: Callable[[], Any]) -> Any:
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(work()))
    thread.start()
    thread.join()
    return result[0]


def flushed(capsys: Any) -> list[str]:
    names = []
    for line in capsys.readouterr().out.splitlines():
        names += [m["Name"] for d in json.loads(line)["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]
    return names


def test_metrics_added_by_one_invocation_are_published_by_it_not_by_a_concurrent_one(capsys: Any) -> None:
    observability.metrics().add_metric(name="AddedHere", unit=MetricUnit.Count, value=1)
    in_thread(lambda: observability.metrics().add_metric(name="AddedThere", unit=MetricUnit.Count, value=1))
    in_thread(lambda: observability.metrics().flush_metrics())
    assert flushed(capsys) == []  # another thread's flush publishes only its own (none)
    observability.metrics().flush_metrics()
    assert flushed(capsys) == ["AddedHere"]


def test_tenant_tagged_on_one_invocation_is_not_logged_by_a_concurrent_one() -> None:
    def elsewhere() -> None:
        observability.tag()
        observability.logger.info("elsewhere")

    stream = io.StringIO()
    previous = observability.logger.registered_handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        observability.tag(tenant_id="tenant-a", key_id="key-a")
        in_thread(elsewhere)
        observability.logger.info("here")
        observability.tag()
    finally:
        observability.logger.registered_handler.setStream(previous)  # type: ignore[attr-defined]
    lines = {line["message"]: line for line in map(json.loads, stream.getvalue().splitlines())}
    assert "tenant_id" not in lines["elsewhere"]
    assert (lines["here"]["tenant_id"], lines["here"]["key_id"]) == ("tenant-a", "key-a")

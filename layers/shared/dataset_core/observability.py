"""Powertools Logger, Tracer and Metrics: one of each per execution environment, shared by all modules.

Tracer and Metrics are built on first use: the authorizer needs neither.

The Tracer is opt-in (``XRAY_SDK_TRACING=true``, the template's ``XRaySdkTracing`` parameter). Building it
imports the X-Ray SDK, whose recorder imports ``asyncio``, and patches botocore: a large share of a route
function's cold start (``bench/REPORT.md``). Lambda's active tracing records each invocation's segments without
it; what the SDK adds is a subsegment per DynamoDB call and the tenant as an annotation. AWS has put the X-Ray SDK
in maintenance mode (Powertools plans an OpenTelemetry tracer), so it is not worth its cold start by default.
When on, it patches botocore only: its DynamoDB calls are what a trace should show.

What belongs to one invocation (its metrics, its tenant and key in the logs) is kept per thread. Lambda runs one
event per execution environment at a time, so on AWS a thread is an invocation; the local API and the tests'
races run several environments' handlers on threads of one process, where Powertools' shared state would let
one invocation flush, lose or log another's (its Metrics share one class-level metric set, flushed whole).
"""

from __future__ import annotations

import threading
import warnings
from functools import cache

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider
from aws_lambda_powertools.tracing import Tracer

SERVICE = "ragflow-datasets"
NAMESPACE = "RagflowDatasets"
logger = Logger(service=SERVICE)

# Reads publish no business metric (Lambda's own metrics count them): keep their logs free of this warning.
warnings.filterwarnings("ignore", message="No application metrics to publish")


@cache
def tracer() -> Tracer:
    return Tracer(service=SERVICE, patch_modules=["botocore"])


_invocation = threading.local()


def metrics() -> Metrics:
    """This thread's Metrics, on a provider of its own: its own metric set."""
    found: Metrics | None = getattr(_invocation, "metrics", None)
    if found is None:
        provider = AmazonCloudWatchEMFProvider(service=SERVICE, namespace=NAMESPACE)
        found = _invocation.metrics = Metrics(service=SERVICE, namespace=NAMESPACE, provider=provider)
    return found


def tag(**keys: str) -> None:
    """Log ``keys`` (tenant, key id) with this invocation's every line from now on, and no earlier one's."""
    logger.thread_safe_clear_keys()
    if keys:
        logger.thread_safe_append_keys(**keys)

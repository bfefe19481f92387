"""Powertools Logger, Tracer and Metrics: one of each per execution environment, shared by all modules.

Tracer and Metrics are built on first use: the authorizer needs neither.

The Tracer is opt-in (``XRAY_SDK_TRACING=true``, the template's ``XRaySdkTracing`` parameter). Building it
imports the X-Ray SDK, whose recorder imports ``asyncio``, and patches botocore: a large share of a route
function's cold start (``bench/REPORT.md``). Lambda's active tracing records each invocation's segments without
it; what the SDK adds is a subsegment per DynamoDB call and the tenant as an annotation. AWS has put the X-Ray SDK
in maintenance mode (Powertools plans an OpenTelemetry tracer), so it is not worth its cold start by default.
When on, it patches botocore only: its DynamoDB calls are what a trace should show.
"""

from __future__ import annotations

import warnings
from functools import cache

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics
from aws_lambda_powertools.tracing import Tracer

SERVICE = "ragflow-datasets"
logger = Logger(service=SERVICE)

# Reads publish no business metric (Lambda's own metrics count them): keep their logs free of this warning.
warnings.filterwarnings("ignore", message="No application metrics to publish")


@cache
def tracer() -> Tracer:
    return Tracer(service=SERVICE, patch_modules=["botocore"])


@cache
def metrics() -> Metrics:
    return Metrics(service=SERVICE, namespace="RagflowDatasets")

"""Powertools Logger, Tracer and Metrics: one of each per execution environment, shared by all modules.

Tracer and Metrics are built on first use: the authorizer needs neither, and building a Tracer imports the
X-Ray SDK (the classes themselves come with the ``aws_lambda_powertools`` package anyway). The Tracer
patches botocore only - its DynamoDB calls are what a trace should show - not every library the X-Ray SDK
knows, which halves its cost.
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

"""Powertools Logger, Tracer and Metrics: one of each per execution environment, shared by all modules."""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "ragflow-datasets"
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(service=SERVICE, namespace="RagflowDatasets")

# Reads publish no business metric (Lambda's own metrics count them): keep their logs free of this warning.
warnings.filterwarnings("ignore", message="No application metrics to publish")

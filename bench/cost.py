"""Issue 6.6: dollars per million requests, per operation, from the measured figures.

Prices are AWS's public on-demand prices for us-east-1 as documented in 2025, written down without
internet access (this machine has none): check them against the AWS pricing pages before relying on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

PRICES_AS_OF = "AWS public us-east-1 price pages as documented in 2025 (written from memory: no internet here)"
PRICES: dict[str, tuple[float, str]] = {
    "lambda_request": (0.20 / 1e6, "Lambda: $0.20 per 1M requests"),
    "lambda_gb_s_arm": (0.0000133334, "Lambda arm64: $0.0000133334 per GB-second (first 7.5 billion GB-s a month)"),
    "apigw_rest": (3.50 / 1e6, "API Gateway REST API: $3.50 per 1M requests (first 333M a month)"),
    "ddb_write_unit": (0.625 / 1e6, "DynamoDB on-demand: $0.625 per 1M write request units (since 2024-11-01)"),
    "ddb_read_unit": (0.125 / 1e6, "DynamoDB on-demand: $0.125 per 1M read request units (since 2024-11-01)"),
    "logs_gb": (0.50, "CloudWatch Logs: $0.50 per GB ingested (standard class, first tier)"),
    "xray_trace": (5.00 / 1e6, "X-Ray: $5.00 per 1M traces recorded (beyond 100k free a month)"),
}
XRAY_SAMPLED = 0.05
"""X-Ray's default sampling rule records the first request each second and 5% of the rest."""
PLATFORM_LOG_BYTES = 350
"""Lambda's own START, END and REPORT lines per invocation (with X-Ray's trace id), approximately."""
DDB_LATENCY_MS = {"GetItem": 4.0, "Query": 6.0, "BatchGetItem": 6.0, "TransactWriteItems": 15.0}
"""Assumed in-region DynamoDB latency per call from Lambda (single-digit ms reads, slower transactions):
added to the measured handler time to estimate a billed duration, since moto's own latency is not AWS's."""
COLD_START_RATE = 0.01
"""Share of requests assumed to hit a cold start, to spread the (billed since 2025-08-01) INIT phase."""


def price(name: str) -> float:
    return PRICES[name][0]


@dataclass
class OperationCost:
    label: str
    function: str
    memory_mb: int
    handler_ms: float  # measured, our code only (DynamoDB time taken out)
    ddb_ms: float  # assumed DynamoDB latency for the calls made
    billed_ms: int
    read_units: float
    write_units: float
    log_bytes: int
    lambda_requests: float
    lambda_compute: float
    api_gateway: float
    dynamodb: float
    logs: float
    xray: float

    @property
    def total(self) -> float:
        return self.lambda_requests + self.lambda_compute + self.api_gateway + self.dynamodb + self.logs + self.xray


def operation_cost(
    label: str,
    *,
    function: str,
    memory_mb: int,
    handler_ms: float,
    calls: dict[str, int],
    read_units: float,
    write_units: float,
    log_bytes: int,
    through_gateway: bool = True,
) -> OperationCost:
    """Dollars per million requests of one operation."""
    ddb_ms = sum(DDB_LATENCY_MS.get(op, 6.0) * n for op, n in calls.items())
    billed = math.ceil(handler_ms + ddb_ms)
    million = 1e6
    return OperationCost(
        label=label,
        function=function,
        memory_mb=memory_mb,
        handler_ms=handler_ms,
        ddb_ms=ddb_ms,
        billed_ms=billed,
        read_units=read_units,
        write_units=write_units,
        log_bytes=log_bytes,
        lambda_requests=price("lambda_request") * million,
        lambda_compute=billed / 1000 * memory_mb / 1024 * price("lambda_gb_s_arm") * million,
        api_gateway=price("apigw_rest") * million if through_gateway else 0.0,
        dynamodb=(read_units * price("ddb_read_unit") + write_units * price("ddb_write_unit")) * million,
        logs=(log_bytes + PLATFORM_LOG_BYTES) * million / 1024**3 * price("logs_gb"),
        xray=XRAY_SAMPLED * price("xray_trace") * million if through_gateway else 0.0,
    )


def init_cost(init_ms: float, memory_mb: int) -> float:
    """Dollars of one billed INIT phase (cold start) at ``memory_mb``."""
    return init_ms / 1000 * memory_mb / 1024 * price("lambda_gb_s_arm")


def price_lines() -> list[str]:
    return [text for _, text in PRICES.values()]


def as_dict(cost: OperationCost) -> dict[str, Any]:
    return {**cost.__dict__, "total": cost.total}

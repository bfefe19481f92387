"""The DynamoDB client of this execution environment: made once, on first use, with bounded retries."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, cast

from .. import aws
from ..config import settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# The worst case of one call - every attempt timing out, plus standard mode's backoff of at most
# 1 s + 2 s between them - must end well inside the functions' 15 s timeout, so that a client whose
# DynamoDB stops answering hears 503/105 from us, not a gateway timeout.
MAX_ATTEMPTS = 3
CONNECT_TIMEOUT = 1
READ_TIMEOUT = 2
SERVICE = "dynamodb"

_client: DynamoDBClient | None = None
_client_lock = threading.Lock()


def client() -> DynamoDBClient:
    """The client, created on first use (botocore is imported then, not at import time)."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                from botocore.config import Config

                config = Config(
                    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
                    connect_timeout=CONNECT_TIMEOUT,
                    read_timeout=READ_TIMEOUT,
                )
                made = aws.create_client(SERVICE, endpoint_url=settings().dynamodb_endpoint, config=config)
                _client = cast("DynamoDBClient", made)
    return _client


def reset_client() -> None:
    """Forget the client (tests and the local API switch endpoints or credentials)."""
    global _client
    _client = None


def table() -> str:
    """The one table's name."""
    return settings().table_name

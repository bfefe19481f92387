"""The DynamoDB client of this execution environment: made once, on first use, with bounded retries.

Made with botocore itself, as boto3 would make it: ``import boto3`` also imports s3transfer (and with it
``multiprocessing``, ``concurrent.futures`` ...) for S3 helpers this code never uses. The session's model
loader knows only DynamoDB: botocore's own loader lists every service folder it ships before loading one
model. Both cost a measurable share of every cold start (``bench/REPORT.md``, cold-start components).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, cast

from ..config import settings

if TYPE_CHECKING:
    from botocore.session import Session
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
                made = _session().create_client(SERVICE, endpoint_url=settings().dynamodb_endpoint, config=config)
                _client = cast("DynamoDBClient", made)
    return _client


def _session() -> Session:
    """A botocore session whose model loader knows only DynamoDB (it still finds the model where botocore
    keeps it)."""
    from botocore.loaders import Loader
    from botocore.session import get_session

    class DynamoDBOnlyLoader(Loader):
        def list_available_services(self, type_name: str) -> list[str]:
            return [SERVICE]

    session = get_session()
    session.register_component("data_loader", DynamoDBOnlyLoader())
    return session


def reset_client() -> None:
    """Forget the client (tests and the local API switch endpoints or credentials)."""
    global _client
    _client = None


def table() -> str:
    """The one table's name."""
    return settings().table_name

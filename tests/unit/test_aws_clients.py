"""The AWS clients: how they are made matters to every request (retries, timeouts) and to every cold start (what
creating them costs; ``make bench`` measures the milliseconds, this pins the mechanism); and the page-token key
comes from Secrets Manager, not from the function's configuration."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore
import pytest
from moto import mock_aws

from dataset_core import aws, config, page_tokens
from dataset_core.storage import client as storage

BOTOCORE_DATA = Path(botocore.__file__).parent / "data"


@pytest.fixture
def fresh_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No client, and no boto3 default session whose loader may have listed the services already."""
    boto3 = sys.modules.get("boto3")
    if boto3 is not None:
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    storage.reset_client()
    yield
    storage.reset_client()


def test_one_client_per_environment_with_standard_retries_and_short_timeouts(fresh_client: None) -> None:
    client = storage.client()
    assert storage.client() is client
    config: Any = client.meta.config  # botocore's Config sets its options dynamically
    assert config.retries == {"mode": "standard", "total_max_attempts": storage.MAX_ATTEMPTS}
    assert (config.connect_timeout, config.read_timeout) == (storage.CONNECT_TIMEOUT, storage.READ_TIMEOUT)
    assert client.meta.service_model.service_name == "dynamodb"
    assert {"TransactWriteItems", "Query", "GetItem"} <= set(client.meta.service_model.operation_names)


def test_making_the_client_does_not_list_every_service_botocore_ships(
    fresh_client: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore's loader would list ~440 service folders (and stat each) before loading one model."""
    listed: list[str] = []
    listdir = os.listdir

    def counting_listdir(path: Any = ".") -> list[str]:
        listed.append(str(path))
        return listdir(path)

    monkeypatch.setattr(os, "listdir", counting_listdir)
    storage.client()
    assert str(BOTOCORE_DATA) not in listed
    assert all(not Path(p).is_relative_to(BOTOCORE_DATA) or "dynamodb" in p for p in listed)


def test_a_secrets_manager_client_lists_no_service_folder_either(monkeypatch: pytest.MonkeyPatch) -> None:
    listed: list[str] = []
    listdir = os.listdir

    def counting_listdir(path: Any = ".") -> list[str]:
        listed.append(str(path))
        return listdir(path)

    monkeypatch.setattr(os, "listdir", counting_listdir)
    assert aws.create_client("secretsmanager").meta.service_model.service_name == "secretsmanager"
    assert all(not Path(p).is_relative_to(BOTOCORE_DATA) or "secretsmanager" in p for p in listed)


def test_deployed_the_page_token_key_is_read_from_secrets_manager_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The template gives the list function the secret's ARN, never its value: whoever may read the function's
    configuration still cannot forge a page token."""
    with mock_aws():
        arn = aws.create_client("secretsmanager").create_secret(Name="tokens", SecretString="k" * 64)["ARN"]
        monkeypatch.setenv("PAGE_TOKEN_SECRET_ARN", arn)
        monkeypatch.delenv("PAGE_TOKEN_SECRET", raising=False)
        config.settings.cache_clear()
        page_tokens._key.cache_clear()
        reads: list[str] = []
        real = aws.secret_string

        def counting_read(secret_id: str) -> str:
            reads.append(secret_id)
            return real(secret_id)

        monkeypatch.setattr(aws, "secret_string", counting_read)
        try:
            token = page_tokens.encode("t", "create_time", True, "a" * 32, 1)
            assert page_tokens.decode(token, "t", "create_time", True) == ("a" * 32, 1)
            assert reads == [arn]
            assert page_tokens._key() == b"k" * 64
        finally:
            config.settings.cache_clear()
            page_tokens._key.cache_clear()

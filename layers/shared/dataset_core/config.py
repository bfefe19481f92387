"""Typed configuration, read once per execution environment from the function's environment.

Every knob the template or the local API can turn lives here, so that a newcomer finds all of them in
one place and a handler never calls ``os.environ`` itself.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import cache

DEFAULT_EMBEDDING_MODELS = ",".join(
    [
        "BAAI/bge-large-zh-v1.5@BAAI",
        "BAAI/bge-m3@BAAI",
        "text-embedding-3-small@OpenAI",
        "text-embedding-3-large@OpenAI",
        "text-embedding-v3@Tongyi-Qianwen",
        "embed-multilingual-v3.0@Cohere",
        "jina-embeddings-v3@Jina",
        "nomic-embed-text@Ollama",
    ]
)
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Settings:
    table_name: str
    """The one DynamoDB table."""
    dynamodb_endpoint: str | None
    """Only set off AWS: the local API's embedded DynamoDB or another compatible endpoint."""
    default_embedding_model: str
    """``embd_id`` given to new datasets; RAGFlow's default is ``BAAI/bge-large-zh-v1.5``."""
    dataset_quota: int
    """Most datasets one tenant may hold; enforced in the same transaction as the counter."""
    max_body_bytes: int
    """Largest request body a handler accepts (API Gateway itself passes up to 10 MB)."""
    page_token_secret_arn: str | None
    """Deployed: the Secrets Manager secret that signs page tokens, read at first use (``page_tokens``)."""
    page_token_secret: bytes
    """Off AWS: the key itself. Unset: random per process (tokens then only work within one process)."""
    embedding_models: frozenset[str]
    """``model@provider`` identifiers a dataset may use; RAGFlow checks the tenant's configured models."""
    xray_sdk_tracing: bool
    """Trace each request and its DynamoDB calls with Powertools' Tracer (the X-Ray SDK). Off by default:
    see ``observability.tracer``."""


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = int(raw)
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}")
    return value


@cache
def settings() -> Settings:
    """The settings of this execution environment (cached: environment variables do not change)."""
    return Settings(
        table_name=os.environ.get("TABLE_NAME", "ragflow-datasets"),
        dynamodb_endpoint=os.environ.get("DYNAMODB_ENDPOINT") or None,
        default_embedding_model=os.environ.get("DEFAULT_EMBEDDING_MODEL", "BAAI/bge-large-zh-v1.5"),
        dataset_quota=_int_env("DATASET_QUOTA", 10_000),
        max_body_bytes=_int_env("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
        page_token_secret_arn=os.environ.get("PAGE_TOKEN_SECRET_ARN") or None,
        page_token_secret=(os.environ.get("PAGE_TOKEN_SECRET") or secrets.token_hex(32)).encode(),
        embedding_models=frozenset(
            m.strip() for m in os.environ.get("EMBEDDING_MODELS", DEFAULT_EMBEDDING_MODELS).split(",") if m.strip()
        ),
        xray_sdk_tracing=os.environ.get("XRAY_SDK_TRACING", "false").lower() == "true",
    )

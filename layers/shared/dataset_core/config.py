"""Typed configuration, read once per execution environment from the function's environment.

Every knob the template or the local API can turn lives here, so that a newcomer finds all of them in one place
and a handler never calls ``os.environ`` itself. A configuration that cannot work is refused when it is read -
at a function's INIT, or when ``make run`` starts - with ``ConfigurationError`` naming the setting, rather than
served: a default embedding model the API itself would refuse, an unknown error convention, a quota that is no
number.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Mapping
from functools import cache
from typing import Literal, NamedTuple, TypeVar, cast

from .embedding import Setup

DEFAULT_EMBEDDING_MODEL = "BAAI/bge-small-en-v1.5@Builtin"
"""RAGFlow v0.27's default: what its own test suites expect a new dataset to get."""
DEFAULT_EMBEDDING_MODELS = "BAAI/bge-small-en-v1.5@Builtin,BAAI/bge-m3@Builtin,Qwen/Qwen3-Embedding-0.6B@Builtin"
"""RAGFlow v0.27's built-in embedding models (its conf/llm_factories.json, provider ``Builtin``): what a tenant
can use without setting up any provider of its own."""
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
_ORIGIN = re.compile(r"\*|https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")
ErrorStatuses = Literal["http", "ragflow"]
T = TypeVar("T")


class ConfigurationError(ValueError):
    """A setting that cannot work; the message names it."""


class Settings(NamedTuple):
    table_name: str
    """The one DynamoDB table."""
    dynamodb_endpoint: str | None
    """Only set off AWS: the local API's embedded DynamoDB or another compatible endpoint."""
    default_embedding_model: str
    """``embd_id`` of new datasets (both API generations): one of ``embedding_models``."""
    embedding_models: Setup
    """The models a dataset may use: RAGFlow checks the tenant's set-up of providers and models; here it is
    the deployment's."""
    default_chat_model: str | None
    """``parser_config.llm_id`` of new datasets (RAGFlow: the tenant's default chat model); None: no ``llm_id``."""
    error_statuses: ErrorStatuses
    """``http``: real HTTP statuses for errors; ``ragflow``: HTTP 200 for application errors, as RAGFlow answers."""
    dataset_quota: int
    """Most datasets one tenant may hold; enforced in the same transaction as the counter."""
    max_body_bytes: int
    """Largest request body a handler accepts (API Gateway itself passes up to 10 MB)."""
    page_token_secret_arn: str | None
    """Deployed: the Secrets Manager secret that signs page tokens, read at first use (``page_tokens``)."""
    page_token_secret: bytes
    """Off AWS: the key itself. Unset: random per process (tokens then only work within one process)."""
    xray_sdk_tracing: bool
    """Trace each request and its DynamoDB calls with Powertools' Tracer (the X-Ray SDK). Off by default:
    see ``observability.tracer``."""
    allowed_origin: str | None
    """The one origin browsers may call from (``Access-Control-Allow-Origin``), ``*``, or None: no CORS."""


def load(env: Mapping[str, str]) -> Settings:
    """The settings these environment variables give, or ``ConfigurationError`` naming the first one that
    cannot work."""
    models = _parsed("EMBEDDING_MODELS", env.get("EMBEDDING_MODELS", DEFAULT_EMBEDDING_MODELS), Setup.parse)
    default_model = env.get("DEFAULT_EMBEDDING_MODEL", DEFAULT_EMBEDDING_MODEL).strip()
    if default_model not in models.entries:  # so it is also in the format the API takes back
        raise ConfigurationError(
            f"DEFAULT_EMBEDDING_MODEL {default_model!r} is not one of EMBEDDING_MODELS ({', '.join(models.entries)}):"
            " every new dataset would get a model the API refuses when it is sent back"
        )
    return Settings(
        table_name=env.get("TABLE_NAME", "ragflow-datasets"),
        dynamodb_endpoint=env.get("DYNAMODB_ENDPOINT") or None,
        default_embedding_model=default_model,
        embedding_models=models,
        default_chat_model=env.get("DEFAULT_CHAT_MODEL", "").strip() or None,
        error_statuses=cast("ErrorStatuses", _choice(env, "ERROR_STATUSES", ("http", "ragflow"), "http")),
        dataset_quota=_positive_int(env, "DATASET_QUOTA", 10_000),
        max_body_bytes=_positive_int(env, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
        page_token_secret_arn=env.get("PAGE_TOKEN_SECRET_ARN") or None,
        page_token_secret=(env.get("PAGE_TOKEN_SECRET") or secrets.token_hex(32)).encode(),
        xray_sdk_tracing=_choice(env, "XRAY_SDK_TRACING", ("false", "true"), "false") == "true",
        allowed_origin=_origin(env, "ALLOWED_ORIGIN"),
    )


@cache
def settings() -> Settings:
    """The settings of this execution environment (cached: environment variables do not change)."""
    return load(os.environ)


def _parsed(name: str, raw: str, parse: Callable[[str], T]) -> T:
    try:
        return parse(raw)
    except ValueError as error:
        raise ConfigurationError(f"{name} {raw!r} cannot be used: {error}") from None


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = env.get(name) or default
    if raw.strip().lower() not in allowed:
        raise ConfigurationError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
    return raw.strip().lower()


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigurationError(f"{name} must be a positive integer, got {raw!r}")
    return value


def _origin(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "")
    if raw == "":
        return None
    if not _ORIGIN.fullmatch(raw):
        raise ConfigurationError(
            f"{name} must be empty, '*' or one origin such as https://app.example.com, got {raw!r}"
        )
    return raw

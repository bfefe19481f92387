"""The embedding-model rule, once: the ``model@provider`` format a client must send, and which models a
dataset may use (RAGFlow checks the tenant's configured models; here, the deployment's ``EMBEDDING_MODELS``).
"""

from __future__ import annotations

from pydantic_core import PydanticCustomError

from .config import settings
from .errors import UnsupportedModel
from .ids import is_id


def check_format(value: str | None) -> str | None:
    """The stripped identifier, if it is a ``model@provider``, a tenant model id or the default shown on
    every new dataset (it must be accepted back as it is shown); else a validation error."""
    if value is None:
        return None
    value = value.strip()
    if value == settings().default_embedding_model or is_id(value):
        return value
    if "@" not in value:
        raise PydanticCustomError(
            "format_invalid", "Embedding model identifier must follow <model_name>@<provider> format"
        )
    model, provider = value.rsplit("@", 1)
    if not model.strip() or not provider.strip():
        raise PydanticCustomError("format_invalid", "Both model_name and provider must be non-empty strings")
    return value


def resolve(requested: str | None) -> str:
    """The model a dataset gets: the configured default, or one of the configured models."""
    default = settings().default_embedding_model
    if requested is None or requested == default:
        return default
    if requested not in settings().embedding_models and not is_id(requested):
        raise UnsupportedModel(f"Unsupported model: {requested}")
    return requested

"""The embedding-model rule, once: the format a client must send, and how a value resolves to a model the
tenant has set up - as RAGFlow v0.27 words both.

RAGFlow checks a value against the tenant's model set-up (providers, their instances, their models); here the
set-up is the deployment's: the ``EMBEDDING_MODELS`` setting, parsed by ``Setup.parse``. Its providers are the
providers the tenant has set up. Nothing here reads settings, so that ``config`` can use the parser; and pydantic
is imported only by the format check, as ``config`` is imported by the authorizer, which loads no pydantic.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .errors import UnsupportedModel

DEFAULT_INSTANCE = "default"
"""The instance a ``model@provider`` value names, and the one an entry without an instance has."""
_TENANT_MODEL_ID = re.compile(r"[0-9a-fA-F]{32}")


def check_format(value: str | None) -> str | None:
    """The stripped identifier, or a validation error worded as RAGFlow's (api/utils/validation_utils.py:
    CreateDatasetReq.validate_embedding_model): 32 hex characters (a tenant-model id), or ``<model>@<provider>``
    with both sides of the first ``@`` non-empty. ``a@b@c`` (model@instance@provider) passes too."""
    from pydantic_core import PydanticCustomError  # noqa: PLC0415 - see the module's docstring

    if value is None:
        return None
    value = value.strip()
    if _TENANT_MODEL_ID.fullmatch(value):
        return value
    if "@" not in value:
        raise PydanticCustomError(
            "format_invalid", "embedding model identifier must follow <model_name>@<provider> format"
        )
    model, provider = value.split("@", 1)
    if not model or not provider:
        raise PydanticCustomError("format_invalid", "both model_name and provider must be non-empty strings")
    return value


def split(value: str) -> tuple[str, str, str]:
    """``(model, instance, provider)``: RAGFlow splits from the right into at most three parts; a value with one
    ``@`` names the ``default`` instance, a bare value has no provider (api/db/joint_services/
    tenant_model_service.py: resolve_model_config)."""
    parts = value.rsplit("@", 2)
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    if len(parts) == 2:
        return parts[0], DEFAULT_INSTANCE, parts[1]
    return value, DEFAULT_INSTANCE, ""


class Setup(NamedTuple):
    """The models a tenant may embed with: provider -> instance -> model names, all lower-cased, as RAGFlow's
    database (MySQL's case-insensitive collation) compares them."""

    providers: dict[str, dict[str, frozenset[str]]]
    entries: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Setup:
        """``model@provider`` or ``model@instance@provider`` entries, comma-separated; ``ValueError`` naming the
        first entry that is not one."""
        entries = tuple(entry.strip() for entry in text.split(","))
        providers: dict[str, dict[str, set[str]]] = {}
        for entry in entries:
            model, instance, provider = split(entry)
            if "@" not in entry or not all(part.strip() for part in (model, instance, provider)):
                raise ValueError(f"{entry!r} is not <model_name>@<provider> or <model_name>@<instance>@<provider>")
            providers.setdefault(provider.lower(), {}).setdefault(instance.lower(), set()).add(model.lower())
        frozen = {p: {i: frozenset(m) for i, m in instances.items()} for p, instances in providers.items()}
        return cls(frozen, entries)


def resolve(value: str, setup: Setup) -> str:
    """``value`` if it names a model of ``setup``, else ``UnsupportedModel`` with the resolver's message
    (api/db/joint_services/tenant_model_service.py: resolve_model_config). There are no tenant-model ids
    here, so a 32-hex value falls through to the name lookup as a bare value, with no provider."""
    model, instance, provider = split(value)
    instances = setup.providers.get(provider.lower())
    if instances is None:
        raise UnsupportedModel(f"Provider {provider} not found for model {value}.")
    models = instances.get(instance.lower())
    if models is None:
        if instance.lower() != DEFAULT_INSTANCE or len(instances) != 1:
            raise UnsupportedModel(f"Instance {instance} not found for model {value}.")
        (models,) = instances.values()  # "default": a provider's only instance
    if model.lower() not in models:
        raise UnsupportedModel(f"Model {value} not found for model embedding")
    return value

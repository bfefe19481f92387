"""The embedding-model rule (``dataset_core.embedding``): the format a client must send, and which models a
dataset may use (the deployment's ``EMBEDDING_MODELS``; the tests run with the defaults)."""

from __future__ import annotations

import pytest
from pydantic_core import PydanticCustomError

from dataset_core import embedding
from dataset_core.config import settings
from dataset_core.errors import UnsupportedModel

DEFAULT = "BAAI/bge-large-zh-v1.5"
CONFIGURED = "BAAI/bge-m3@BAAI"
MODEL_ID = "0193a1b2c3d47e8f9a0b1c2d3e4f5a6b"
NO_AT = "Embedding model identifier must follow <model_name>@<provider> format"
EMPTY_PART = "Both model_name and provider must be non-empty strings"


def test_the_tests_run_with_the_default_configuration() -> None:
    assert settings().default_embedding_model == DEFAULT
    assert CONFIGURED in settings().embedding_models
    assert "nope@Nowhere" not in settings().embedding_models


WELL_FORMED = {
    "absent": (None, None),
    "model-at-provider": (CONFIGURED, CONFIGURED),
    "stripped": (f"  {CONFIGURED}\t", CONFIGURED),
    "unknown-but-well-formed": ("nope@Nowhere", "nope@Nowhere"),
    "at-inside-the-model-name": ("a@b@c", "a@b@c"),
    "the-default-as-shown": (DEFAULT, DEFAULT),
    "the-default-with-spaces": (f" {DEFAULT} ", DEFAULT),
    "a-tenant-model-id": (MODEL_ID, MODEL_ID),
}


@pytest.mark.parametrize(("value", "checked"), list(WELL_FORMED.values()), ids=list(WELL_FORMED))
def test_a_model_at_provider_a_model_id_or_the_default_is_well_formed(value: str | None, checked: str | None) -> None:
    """The default has no ``@provider`` yet is shown on every new dataset, so it must be accepted back."""
    assert embedding.check_format(value) == checked


MALFORMED = {
    "no-at": ("bge", NO_AT),
    "empty": ("", NO_AT),
    "upper-case-model-id": (MODEL_ID.upper(), NO_AT),
    "no-model": ("@BAAI", EMPTY_PART),
    "no-provider": ("bge@", EMPTY_PART),
    "blank-provider": ("bge@ ", EMPTY_PART),
    "blank-model": (" \t@BAAI", EMPTY_PART),
}


@pytest.mark.parametrize(("value", "message"), list(MALFORMED.values()), ids=list(MALFORMED))
def test_anything_else_is_a_format_error_in_ragflows_words(value: str, message: str) -> None:
    with pytest.raises(PydanticCustomError) as raised:
        embedding.check_format(value)
    assert (raised.value.type, raised.value.message()) == ("format_invalid", message)


RESOLVED = {
    "absent-is-the-default": (None, DEFAULT),
    "the-default": (DEFAULT, DEFAULT),
    "a-configured-model": (CONFIGURED, CONFIGURED),
    "a-tenant-model-id": (MODEL_ID, MODEL_ID),
}


@pytest.mark.parametrize(("requested", "model"), list(RESOLVED.values()), ids=list(RESOLVED))
def test_a_dataset_gets_the_default_a_configured_model_or_a_model_id(requested: str | None, model: str) -> None:
    assert embedding.resolve(requested) == model


@pytest.mark.parametrize("requested", ["nope@Nowhere", "bge-m3@BAAI", CONFIGURED.upper()])
def test_a_model_that_is_not_configured_is_unsupported(requested: str) -> None:
    with pytest.raises(UnsupportedModel) as raised:
        embedding.resolve(requested)
    assert raised.value.message == f"Unsupported model: {requested}"

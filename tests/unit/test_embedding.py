"""The embedding-model rule (``dataset_core.embedding``): the format a client must send
(api/utils/validation_utils.py: CreateDatasetReq.validate_embedding_model), and how a value resolves against a
set-up of providers, instances and models (api/db/joint_services/tenant_model_service.py: resolve_model_config),
the set-up being the deployment's ``EMBEDDING_MODELS``."""

from __future__ import annotations

import pytest
from pydantic_core import PydanticCustomError

from dataset_core import embedding
from dataset_core.config import DEFAULT_EMBEDDING_MODEL, settings
from dataset_core.errors import UnsupportedModel

CONFIGURED = "BAAI/bge-m3@Builtin"
MODEL_ID = "0193a1b2c3d47e8f9a0b1c2d3e4f5a6b"
NO_AT = "embedding model identifier must follow <model_name>@<provider> format"
EMPTY_PART = "both model_name and provider must be non-empty strings"


def test_the_tests_run_with_the_default_configuration() -> None:
    assert settings().default_embedding_model == DEFAULT_EMBEDDING_MODEL == "BAAI/bge-small-en-v1.5@Builtin"
    assert CONFIGURED in settings().embedding_models.entries
    assert DEFAULT_EMBEDDING_MODEL in settings().embedding_models.entries


WELL_FORMED = {
    "absent": (None, None),
    "model-at-provider": (CONFIGURED, CONFIGURED),
    "stripped": (f"  {CONFIGURED}\t", CONFIGURED),
    "unknown-but-well-formed": ("nope@Nowhere", "nope@Nowhere"),
    "model-at-instance-at-provider": ("a@b@c", "a@b@c"),
    "empty-instance": ("a@@c", "a@@c"),
    "spaces-inside": ("a @ b", "a @ b"),
    "a-tenant-model-id": (MODEL_ID, MODEL_ID),
    "an-upper-case-tenant-model-id": (MODEL_ID.upper(), MODEL_ID.upper()),
}


@pytest.mark.parametrize(("value", "checked"), list(WELL_FORMED.values()), ids=list(WELL_FORMED))
def test_a_model_at_provider_or_a_tenant_model_id_is_well_formed(value: str | None, checked: str | None) -> None:
    assert embedding.check_format(value) == checked


MALFORMED = {
    "no-at": ("bge", NO_AT),
    "empty": ("", NO_AT),
    "blank": (" ", NO_AT),
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


SETUP = embedding.Setup.parse("bge@Builtin,m3@Builtin,e1@CI@ZHIPU-AI,e2@A@OpenAI,e3@B@OpenAI")
RESOLVED = {
    "model-at-provider": "bge@Builtin",
    "explicit-default-instance": "m3@default@Builtin",
    "the-providers-only-instance": "e1@ZHIPU-AI",
    "a-named-instance": "e1@CI@ZHIPU-AI",
    "any-case": "BGE@builtin",
    "another-instance-of-a-provider": "e3@B@OpenAI",
}


@pytest.mark.parametrize("value", list(RESOLVED.values()), ids=list(RESOLVED))
def test_a_model_of_the_set_up_resolves_to_the_value_as_sent(value: str) -> None:
    assert embedding.resolve(value, SETUP) == value


UNRESOLVED = {
    "unknown-provider": ("embedding-3@unknown", "Provider unknown not found for model embedding-3@unknown."),
    "bare-value": ("bge", "Provider  not found for model bge."),
    "tenant-model-id": (MODEL_ID, f"Provider  not found for model {MODEL_ID}."),
    "provider-after-the-last-at": ("a@b@c", "Provider c not found for model a@b@c."),
    "unknown-instance": ("e1@X@ZHIPU-AI", "Instance X not found for model e1@X@ZHIPU-AI."),
    "no-default-among-two-instances": ("e2@OpenAI", "Instance default not found for model e2@OpenAI."),
    "unknown-model": ("unknown@Builtin", "Model unknown@Builtin not found for model embedding"),
    "model-of-another-instance": ("e2@B@OpenAI", "Model e2@B@OpenAI not found for model embedding"),
}


@pytest.mark.parametrize(("value", "message"), list(UNRESOLVED.values()), ids=list(UNRESOLVED))
def test_anything_else_is_refused_with_the_resolvers_message(value: str, message: str) -> None:
    with pytest.raises(UnsupportedModel) as raised:
        embedding.resolve(value, SETUP)
    assert raised.value.message == message


BAD_SETUPS = ["", "bge", "@Builtin", "bge@", "a@@c", "a@b,,c@d", "a@b, @c"]


@pytest.mark.parametrize("text", BAD_SETUPS)
def test_a_set_up_entry_must_name_a_model_and_a_provider(text: str) -> None:
    with pytest.raises(ValueError, match="is not <model_name>@<provider>"):
        embedding.Setup.parse(text)

"""openapi.json: up to date with the code, in step with template.yaml, valid OpenAPI 3.1, and true.

"True" means the handlers' real answers fit it: every route is called for a success and for errors, and
each body is validated against the schema the document gives for that status. A fuzzer (schemathesis)
checks responses against this document, so a wrong document would be a wrong test oracle.
"""

from __future__ import annotations

import json
import uuid
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from conftest import Reply, invoke, route_event
from dataset_core.config import DEFAULT_MAX_BODY_BYTES
from tools import openapi, template

ROUTES = sorted({(r.method, r.path) for r in template.routes()})


@cache
def generated() -> str:
    return openapi.render(openapi.build())


@cache
def document() -> dict[str, Any]:
    return dict(json.loads(openapi.OUTPUT.read_text(encoding="utf-8")))


def test_committed_document_is_a_fresh_generation() -> None:
    committed = openapi.OUTPUT.read_text(encoding="utf-8") if openapi.OUTPUT.exists() else ""
    assert committed == generated(), "openapi.json is out of date: run `make openapi` and commit it"


def test_generation_is_deterministic() -> None:
    """A second generation from freshly imported functions gives the very same bytes."""
    assert openapi.render(openapi.build(openapi.load_apps())) == generated()


def test_every_template_route_is_documented_and_nothing_else() -> None:
    documented = openapi.operations(json.loads(generated()))
    assert documented - set(ROUTES) == set(), "documented but not routed by template.yaml"
    assert set(ROUTES) - documented == set(), "routed by template.yaml but not documented"


def test_document_is_valid_openapi_3_1() -> None:
    doc = json.loads(generated())
    assert doc["openapi"] == "3.1.0"
    validate(doc)  # raises with the offending path if the document is not valid OpenAPI 3.1


def test_bearer_auth_guards_every_operation() -> None:
    doc = document()
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    assert doc["security"] == [{"bearerAuth": []}]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert "security" not in op, f"{method} {path} overrides the global security"
            assert "401" in op["responses"], f"{method} {path} does not document 401"


def test_422_only_for_a_reused_idempotency_key_and_every_error_uses_the_envelope() -> None:
    """Validation errors are 400 in our envelope, never Powertools' 422 body; 422 means one thing: an
    ``Idempotency-Key`` sent again with another request."""
    doc = document()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            idempotent = any(p["name"] == "Idempotency-Key" for p in op["parameters"])
            assert ("422" in op["responses"]) is idempotent, f"{method} {path}"
            for status, response in op["responses"].items():
                if status != "200":
                    assert response["$ref"].startswith("#/components/responses/"), (method, path, status)
    for name, response in doc["components"]["responses"].items():
        schema = response["content"]["application/json"]["schema"]
        assert schema["allOf"] == [{"$ref": "#/components/schemas/Error"}], name
        _validator(schema).validate(response["content"]["application/json"]["example"])
    assert not {"HTTPValidationError", "ValidationError"} & set(doc["components"]["schemas"])


def test_paths_use_the_template_form() -> None:
    for path in document()["paths"]:
        assert "<" not in path, path
    assert "/api/v1/dataset/{dataset_id}" in document()["paths"]


# ---- the real answers fit the document -----------------------------------------------------------------------


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for ``schema`` whose ``#/components/...`` references resolve inside the document."""
    return Draft202012Validator({**schema, "components": document()["components"]})


def _response_schema(method: str, path: str, status: int) -> dict[str, Any]:
    responses = document()["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} answered {status}, which the document does not list"
    response = responses[str(status)]
    if "$ref" in response:
        response = document()["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return dict(response["content"]["application/json"]["schema"])


def _event_names() -> dict[tuple[str, str], str]:
    """The events/ file of each route (by its method and resource)."""
    names = {}
    for file in sorted((openapi.ROOT / "events").glob("*.json")):
        event = json.loads(file.read_text())
        if "httpMethod" in event:
            names[(event["httpMethod"], event["resource"])] = file.stem
    return names


def _call(method: str, path: str, **kwargs: Any) -> Reply:
    function = next(r.code_dir.name for r in template.routes() if (r.method, r.path) == (method, path))
    reply = invoke(function, route_event(_event_names()[(method, path)], **kwargs))
    errors = sorted(_validator(_response_schema(method, path, reply.status)).iter_errors(reply.body), key=str)
    assert not errors, f"{method} {path} -> {reply.status} {reply.raw}\ndoes not fit the document: {errors[0]}"
    return reply


def _new_dataset(name: str) -> str:
    reply = _call("POST", "/api/v1/datasets", body={"name": name})
    assert reply.status == 200
    return str(reply.body["data"]["id"])


def _success_calls(dataset_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        ("POST", "/api/v1/dataset"): {"body": {"dataset_name": "legacy_kb"}},
        ("GET", "/api/v1/dataset"): {"query": {"desc": "false"}},
        ("GET", "/api/v1/dataset/{dataset_id}"): {"dataset_id": dataset_id},
        ("PUT", "/api/v1/dataset/{dataset_id}"): {"dataset_id": dataset_id, "body": {"description": "d"}},
        ("POST", "/api/v1/datasets"): {"body": {"name": "restful kb", "chunk_method": "qa"}},
        ("GET", "/api/v1/datasets"): {"query": {"include_parsing_status": "true", "page_size": "1"}},
        ("GET", "/api/v1/datasets/{dataset_id}"): {"dataset_id": dataset_id},
        ("PUT", "/api/v1/datasets/{dataset_id}"): {"dataset_id": dataset_id, "body": {"parser_config": {}}},
        ("DELETE", "/api/v1/dataset/{dataset_id}"): {"dataset_id": dataset_id},
        ("DELETE", "/api/v1/datasets"): {"body": {"ids": [dataset_id]}},
    }


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_success_answers_fit_the_document(table: Any, method: str, path: str) -> None:
    _new_dataset("another")  # so that lists have more than one page
    calls = _success_calls(_new_dataset("target"))
    assert set(calls) == set(ROUTES), "give every route of template.yaml a success call here"
    reply = _call(method, path, **calls[(method, path)])
    assert reply.status == 200, reply.raw


def _error_calls(missing: str) -> list[tuple[str, str, dict[str, Any], int]]:
    """(method, path, request, status): one case per error class the routes document."""
    bad_type = {"headers": {"Content-Type": "text/plain"}}
    cases: list[tuple[str, str, dict[str, Any], int]] = [
        ("POST", "/api/v1/dataset", {"body": {"dataset_name": "no spaces allowed"}}, 400),
        ("POST", "/api/v1/dataset", {"body": {"dataset_name": "dup"}}, 409),
        ("POST", "/api/v1/datasets", {"body": {"name": "x", "colour": "red"}}, 400),
        ("POST", "/api/v1/datasets", {"raw_body": "x" * (DEFAULT_MAX_BODY_BYTES + 1), **bad_type}, 413),
        ("POST", "/api/v1/datasets", bad_type, 415),
        ("GET", "/api/v1/dataset", {"query": {"offset": "-1"}}, 400),
        ("GET", "/api/v1/datasets", {"query": {"page_size": "101"}}, 400),
        ("GET", "/api/v1/datasets", {"query": {"id": missing}}, 404),
        ("GET", "/api/v1/dataset/{dataset_id}", {"dataset_id": "not-a-uuid"}, 400),
        ("GET", "/api/v1/dataset/{dataset_id}", {"dataset_id": missing}, 404),
        ("GET", "/api/v1/datasets/{dataset_id}", {"dataset_id": missing}, 404),
        ("PUT", "/api/v1/dataset/{dataset_id}", {"dataset_id": missing, "body": {"name": "x"}}, 404),
        ("PUT", "/api/v1/dataset/{dataset_id}", {"dataset_id": missing, "body": {}}, 400),
        ("PUT", "/api/v1/datasets/{dataset_id}", {"dataset_id": missing, "body": {"pagerank": 101}}, 400),
        ("PUT", "/api/v1/datasets/{dataset_id}", {"dataset_id": missing, "body": {"name": "x"}}, 404),
        ("DELETE", "/api/v1/dataset/{dataset_id}", {"dataset_id": missing}, 404),
        ("DELETE", "/api/v1/datasets", {"body": {"ids": [missing]}}, 404),
        ("DELETE", "/api/v1/datasets", {"body": {"ids": "all"}}, 400),
    ]
    cases += [(method, path, {"tenant": None}, 401) for method, path in ROUTES]
    return cases


def test_error_answers_fit_the_document(table: Any) -> None:
    assert _call("POST", "/api/v1/dataset", body={"dataset_name": "dup"}).status == 200
    for method, path, request, status in _error_calls(uuid.uuid4().hex):
        reply = _call(method, path, **request)
        assert reply.status == status, (method, path, request, reply.raw)
        assert reply.body["code"] != 0

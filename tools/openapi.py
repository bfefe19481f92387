"""Generate ``openapi.json`` (OpenAPI 3.1) from the route functions themselves: ``make openapi``.

Each function of ``template.yaml`` is imported (``functions/<name>/app.py``, as a fresh Lambda environment
would) and its app's routes are read. Everything an operation says comes from its route declaration: path and
query parameters and the request body from the models that validate them, the success body from the declared
type of ``data``, its extra envelope keys and its message, and the error responses from the domain errors it
declares, mapped to statuses and codes by the one table the handlers answer with
(``dataset_core.http.responses.ERRORS``). This module adds only what is true of every operation: the
envelope, the errors any route can answer with, and the ``bearerAuth`` scheme.

The output is deterministic (sorted keys, two-space indent, trailing newline), so a test can require the
committed file to equal a fresh generation.

    python -m tools.openapi [--check] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tomllib
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tools import load_module, template

ROOT = template.ROOT
OUTPUT = ROOT / "openapi.json"

# Importing a handler must not reach for X-Ray or depend on the caller's environment.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

from pydantic import BaseModel  # noqa: E402
from pydantic.json_schema import JsonSchemaMode, models_json_schema  # noqa: E402

from dataset_core import errors  # noqa: E402
from dataset_core.config import DEFAULT_MAX_BODY_BYTES  # noqa: E402
from dataset_core.http.app import App, Route  # noqa: E402
from dataset_core.http.responses import (  # noqa: E402
    ERRORS,
    EXCEPTION_ERROR,
    error_body,
    internal_error_body,
    status_and_code,
)
from dataset_core.idempotency import HEADER as IDEMPOTENCY_HEADER  # noqa: E402

TITLE = "RAGFlow-compatible dataset API"
LEGACY_TAG = "Legacy API (/api/v1/dataset)"
RESTFUL_TAG = "Datasets (/api/v1/datasets, RAGFlow v0.27)"
SCHEMAS = "#/components/schemas/"
RESPONSES = "#/components/responses/"

DESCRIPTION = """\
A serverless, multi-tenant implementation of RAGFlow's dataset-management HTTP API, in two generations on one
storage: the **legacy API** (`/api/v1/dataset`, RAGFlow's 2024 API reference) and **RAGFlow's RESTful datasets
API** (`/api/v1/datasets`, RAGFlow v0.27, which the official `ragflow-sdk` client speaks).

**Auth.** Every route needs `Authorization: Bearer <api_key>` (the bare key is accepted too). A missing, unknown
or revoked key is a 401.

**Envelope.** Every body, success or error, is `{"code": <int>, "message": <str>, "data": <any>}`; some
successes add keys (`total_datasets`, `next_page_token`, `success`). `code` is 0 on success, else RAGFlow's
RetCode. HTTP statuses are real statuses, as documented here; a deployment with `ErrorStatuses=ragflow` answers
every application error with HTTP 200 and its `code`, as RAGFlow does (401, 403, 404 for unknown routes, 413,
429 and 5xx keep their statuses).

Documents, chunks, parsing and retrieval are out of scope: document and chunk counters stay 0.
How this differs from RAGFlow: docs/COMPATIBILITY.md.
"""

_EVERY_ROUTE: tuple[type[errors.DomainError], ...] = (errors.BadRequest, errors.Unauthorized, errors.StorageUnavailable)
_WITH_BODY: tuple[type[errors.DomainError], ...] = (errors.PayloadTooLarge, errors.UnsupportedMediaType)
_BODY_METHODS = {"POST", "PUT", "DELETE"}
_WRITES: tuple[type[errors.DomainError], ...] = (errors.KeyIsReadOnly,)


def _gateway_example(response_type: str) -> dict[str, Any]:
    """The body API Gateway itself answers with (``template.yaml``'s gateway response, VTL left as is)."""
    return dict(json.loads(template.gateway_responses()[response_type].template))


def _statuses() -> dict[int, tuple[str, str, dict[str, Any]]]:
    """Each error status: its response's name, what it means, an example body."""
    limit = DEFAULT_MAX_BODY_BYTES
    return {
        400: (
            "BadRequest",
            "Bad JSON, wrong types, unknown fields, bad query or path values (code 101); a broken name rule, "
            "nothing to update, an embedding model not set up or filters that exclude each other (code 102). The "
            "message names the field and the problem.",
            error_body(
                errors.BadRequest.field("page_size", "Value error, page_size must be less than or equal to 100", "101")
            ),
        ),
        401: (
            "Unauthorized",
            "Missing, malformed, unknown or revoked API key (answered by API Gateway's authorizer).",
            error_body(errors.Unauthorized()),
        ),
        403: (
            "Forbidden",
            "A read-only API key on a route that is not a GET (from the authorizer's policy), or a key whose tenant "
            "is on no usage tier (both answered by API Gateway).",
            error_body(errors.KeyIsReadOnly()),
        ),
        404: (
            "NotFound",
            "The dataset is absent or another tenant's (the two are indistinguishable; code 102 or 103 per route), "
            "or the route or method is unknown (code 404).",
            error_body(errors.DatasetNotFound("Can't find this dataset!")),
        ),
        409: (
            "Conflict",
            "The tenant already has a dataset of that name (case-insensitively), or its dataset quota is reached.",
            error_body(errors.DuplicateName("kb1")),
        ),
        422: (
            "UnprocessableContent",
            "An `Idempotency-Key` sent again with a different request within its retention.",
            error_body(errors.IdempotencyKeyReused("Idempotency-Key 'k1' was used with another request")),
        ),
        413: (
            "PayloadTooLarge",
            f"The body is larger than the limit ({limit} bytes by default).",
            error_body(errors.PayloadTooLarge(limit)),
        ),
        415: (
            "UnsupportedMediaType",
            "A body that is not `application/json`.",
            error_body(errors.UnsupportedMediaType("text/plain")),
        ),
        429: (
            "TooManyRequests",
            "Throttled by API Gateway: the tenant's tier (its rate, burst, or quota for the period) or the stage's "
            "limit; retry later, with backoff.",
            _gateway_example("THROTTLED"),
        ),
        500: (
            "InternalServerError",
            "Anything unexpected: the message carries the request id, never internals.",
            internal_error_body("c0ffee00-0000-4000-8000-000000000000"),
        ),
        503: (
            "ServiceUnavailable",
            "DynamoDB (or the authorizer's key lookup) kept failing: nothing was written; retry later.",
            error_body(errors.StorageUnavailable()),
        ),
    }


def _codes(status: int) -> list[int]:
    """The RAGFlow codes answered with ``status``: from the handlers' table, and API Gateway's own."""
    own = {429: [429], 500: [EXCEPTION_ERROR]}
    return own.get(status) or sorted({answer.code for answer in ERRORS.values() if answer.status == status})


# ---- the envelope and the error responses ------------------------------------------------------------------------


def _envelope_schemas(statuses: Iterable[int]) -> dict[str, Any]:
    return {
        "Envelope": {
            "title": "Envelope",
            "description": "Every response body, success or error. A route may add keys it names.",
            "type": "object",
            "required": ["code", "message", "data"],
            "properties": {
                "code": {"type": "integer", "description": "0 on success, else RAGFlow's RetCode"},
                "message": {"type": "string", "description": "`success`, or what went wrong"},
                "data": {"description": "The result; null on errors"},
            },
        },
        "Error": {
            "title": "Error",
            "description": "An error body: a RetCode other than 0, a message naming the problem, data null.",
            "allOf": [{"$ref": SCHEMAS + "Envelope"}],
            "type": "object",
            "properties": {
                "code": {"type": "integer", "enum": sorted({c for s in statuses for c in _codes(s)})},
                "data": {"type": "null"},
                "success": {"type": "boolean", "description": "Only on the legacy API's delete: false"},
            },
        },
    }


def _error_responses(statuses: dict[int, tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, (name, description, example) in statuses.items():
        properties: dict[str, Any] = {"code": {"type": "integer", "enum": _codes(status)}}
        if status == 401:
            properties["message"] = {"const": errors.AUTH_MESSAGE}
        out[name] = {
            "description": f"{status}: {description}",
            "content": {
                "application/json": {
                    "schema": {"allOf": [{"$ref": SCHEMAS + "Error"}], "type": "object", "properties": properties},
                    "example": example,
                }
            },
        }
    return out


# ---- each operation, from its route -------------------------------------------------------------------------------


def _models(declared: Any) -> list[type[BaseModel]]:
    """The models in a declared type of ``data`` (``Model``, ``list[Model]``, None)."""
    if isinstance(declared, type) and issubclass(declared, BaseModel):
        return [declared]
    return [model for arg in typing.get_args(declared) for model in _models(arg)]


def _data_schema(declared: Any) -> dict[str, Any]:
    if declared is None:
        return {"type": "null"}
    if isinstance(declared, type) and issubclass(declared, BaseModel):
        return {"$ref": SCHEMAS + declared.__name__}
    if typing.get_origin(declared) is list:
        (item,) = typing.get_args(declared)
        return {"type": "array", "items": _data_schema(item)}
    return {"anyOf": [_data_schema(option) for option in typing.get_args(declared)]}  # a union


def _success(route: Route) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "code": {"const": 0},
        "message": {"const": route.message},
        "data": _data_schema(route.response),
    }
    required = ["code", "message", "data"]
    if route.extra is not None:
        extra = route.extra.model_json_schema(mode="serialization")
        properties |= extra["properties"]
        if typing.get_origin(route.response) is not types.UnionType:  # one shape of data: its keys always come
            required += list(extra["properties"])
    return {
        "description": route.summary,
        "content": {
            "application/json": {
                "schema": {
                    "allOf": [{"$ref": SCHEMAS + "Envelope"}],
                    "type": "object",
                    "required": required,
                    "properties": properties,
                }
            }
        },
    }


def _operation(route: Route, names: dict[int, tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    """A route's summary, parameters, request body and responses, from its declaration."""
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "title": name.replace("_", " ").title()},
        }
        for name in route.path_parameters
    ]
    if route.query is not None:
        schema = route.query.model_json_schema(ref_template=SCHEMAS + "{model}")
        for name, field_schema in schema["properties"].items():
            parameter = {"name": name, "in": "query", "required": name in schema.get("required", ())}
            if "description" in field_schema:
                parameter["description"] = field_schema.pop("description")
            parameters.append({**parameter, "schema": field_schema})
    if route.idempotent:
        parameters.append(
            {
                "name": IDEMPOTENCY_HEADER,
                "in": "header",
                "required": False,
                "description": "Retrying with the same key and body within 24 hours returns the first answer; "
                "another body with the key is 422",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        )
    raised = _EVERY_ROUTE + route.errors + ((*_WITH_BODY, *_WRITES) if route.method in _BODY_METHODS else ())
    statuses = {status_and_code(error, "http")[0] for error in raised} | {403, 429, 500}  # 403: a tenant on no tier
    operation: dict[str, Any] = {
        "operationId": route.handler.__name__,
        "summary": route.summary,
        "parameters": parameters,
        "responses": {
            "200": _success(route),
            **{str(status): {"$ref": RESPONSES + names[status][0]} for status in sorted(statuses)},
        },
        "tags": [RESTFUL_TAG if route.resource.startswith("/api/v1/datasets") else LEGACY_TAG],
    }
    if route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": SCHEMAS + route.body.__name__}}},
        }
    return operation


# ---- the document -------------------------------------------------------------------------------------------------


def load_apps() -> dict[str, App]:
    """Every route function's app, by code folder name, imported as a fresh Lambda environment would."""
    apps: dict[str, App] = {}
    for code_dir in sorted({route.code_dir for route in template.routes()}):
        apps[code_dir.name] = load_module(code_dir / "app.py", f"openapi_fn_{code_dir.name}").app
    return apps


def _version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def _header(version: str) -> dict[str, Any]:
    """Everything but paths and components."""
    stage = str(template.parameter_default("StageName"))
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": version, "description": DESCRIPTION},
        "servers": [
            {"url": "/", "description": "This origin: the local API (make run) serves /docs"},
            {
                "url": "https://{api_id}.execute-api.{region}.amazonaws.com/{stage}",
                "description": "Deployed with sam deploy (the stack's ApiUrl output, less /api/v1)",
                "variables": {
                    "api_id": {"default": "abcdef1234", "description": "The REST API's id"},
                    "region": {"default": "us-east-1"},
                    "stage": {"default": stage},
                },
            },
        ],
        "tags": [
            {"name": LEGACY_TAG, "description": "RAGFlow's 2024 dataset API reference (singular /dataset)"},
            {"name": RESTFUL_TAG, "description": "RAGFlow v0.27's datasets API, which the ragflow-sdk client calls"},
        ],
        "security": [{"bearerAuth": []}],
    }


_SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer ragflow-...`; the bare key without `Bearer ` works too",
    }
}


def build(apps: dict[str, App] | None = None) -> dict[str, Any]:
    """The whole document: every function's routes and models, our envelope, responses and security."""
    apps = load_apps() if apps is None else apps
    statuses = _statuses()
    paths: dict[str, dict[str, Any]] = {}
    modes: dict[type[BaseModel], JsonSchemaMode] = {}
    for name in sorted(apps):
        for route in apps[name].routes.values():
            operations = paths.setdefault(route.resource, {})
            if route.method.lower() in operations:
                raise SystemExit(f"openapi: {route.method} {route.resource} is declared twice")
            operations[route.method.lower()] = _operation(route, statuses)
            if route.body is not None:
                modes[route.body] = "validation"
            modes |= dict.fromkeys(_models(route.response), "serialization")
    _, defs = models_json_schema(list(modes.items()), ref_template=SCHEMAS + "{model}")
    return {
        **_header(_version()),
        "paths": paths,
        "components": {
            "schemas": {**defs.get("$defs", {}), **_envelope_schemas(statuses)},
            "responses": _error_responses(statuses),
            "securitySchemes": _SECURITY_SCHEMES,
        },
    }


def operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    """``(METHOD, path)`` of every operation in ``document``."""
    return {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}


def render(document: dict[str, Any]) -> str:
    """Stable text: sorted keys, two-space indent, UTF-8 as is, one trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.openapi", description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default: openapi.json at the repo root")
    parser.add_argument("--check", action="store_true", help="only compare: exit 1 if the file is out of date")
    args = parser.parse_args(list(argv) if argv is not None else None)
    text = render(build())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(operations(json.loads(text)))} operations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

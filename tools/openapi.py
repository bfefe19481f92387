"""Generate ``openapi.json`` (OpenAPI 3.1) from the handlers themselves: ``make openapi``.

Each function of ``template.yaml`` is imported (``functions/<name>/app.py`` under a unique module name, the
shared layer on ``sys.path``, as ``tests/conftest.py`` and the local API do) and its app's routes are read:
paths, parameters and request bodies come from the very route declarations and pydantic models that validate
requests (``model_json_schema``), so the document cannot drift from the code. What the routes do not say is
added here, and only here:

* the error envelope (``Envelope``, ``Error``) and the error responses each route can give (400/401/404/409/
  413/415/429/500/503);
* what ``data`` holds on success, from the response models of the shared layer (the handlers write the
  envelope themselves);
* the ``bearerAuth`` scheme, applied to every operation (the TOKEN authorizer guards every route).

The output is deterministic (sorted keys, two-space indent, trailing newline), so ``tests/test_openapi.py``
can require the committed file to equal a fresh generation.

    python -m tools.openapi [--check] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import load_module, template

ROOT = template.ROOT
OUTPUT = ROOT / "openapi.json"
_LAYER = str(ROOT / "layers" / "shared")
if _LAYER not in sys.path:  # as the Lambda runtime puts a layer on the path
    sys.path.insert(0, _LAYER)

# Importing a handler must not reach for X-Ray or depend on the caller's environment.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

from pydantic import BaseModel  # noqa: E402
from pydantic.json_schema import JsonSchemaMode, models_json_schema  # noqa: E402

from dataset_core import errors  # noqa: E402
from dataset_core.current_models import CurrentDataset  # noqa: E402
from dataset_core.http import App, Route  # noqa: E402
from dataset_core.models import SeedCreated, SeedDataset  # noqa: E402

TITLE = "RAGFlow-compatible dataset API"
SEED_TAG = "Seed API (/api/v1/dataset)"
CURRENT_TAG = "Datasets (/api/v1/datasets, RAGFlow v0.27)"
SCHEMAS = "#/components/schemas/"
RESPONSES = "#/components/responses/"

DESCRIPTION = """\
A serverless, multi-tenant implementation of RAGFlow's dataset-management HTTP API, in two generations on one
storage: the **seed API** (`/api/v1/dataset`) and the **current RAGFlow datasets API** (`/api/v1/datasets`,
RAGFlow v0.27, which the official `ragflow-sdk` client speaks).

**Auth.** Every route needs `Authorization: Bearer <api_key>` (the bare key is accepted too). A missing, unknown
or revoked key is a 401.

**Envelope.** Every body, success or error, is `{"code": <int>, "message": <str>, "data": <any>}`; some
successes add keys (`total_datasets`, `next_page_token`, `success`). `code` is 0 on success, else RAGFlow's
RetCode. HTTP statuses are real statuses (RAGFlow answers most errors with HTTP 200).

Documents, chunks, parsing and retrieval are out of scope: document and chunk counters stay 0.
How this differs from RAGFlow: docs/COMPATIBILITY.md.
"""

# ---- the error envelope -----------------------------------------------------------------------------------------


def _envelope_schemas() -> dict[str, Any]:
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
                "code": {"type": "integer", "enum": sorted(_ERROR_CODES)},
                "data": {"type": "null"},
                "success": {"type": "boolean", "description": "Only on the seed API's delete: false"},
            },
        },
    }


@dataclass(frozen=True)
class _ErrorResponse:
    name: str
    description: str
    codes: tuple[int, ...]
    example: dict[str, Any]


def _gateway_example(response_type: str) -> dict[str, Any]:
    """The body API Gateway itself answers with (``template.yaml``'s gateway response, VTL left as is)."""
    return dict(json.loads(template.gateway_responses()[response_type].template))


_MAX_BODY_BYTES = 1024 * 1024  # the handlers' default limit (dataset_core.config, MAX_BODY_BYTES)

_ERRORS: dict[int, _ErrorResponse] = {
    400: _ErrorResponse(
        "BadRequest",
        "Bad JSON, wrong types, unknown fields, bad query or path values (code 101); a broken name rule, nothing "
        "to update or an unsupported embedding model (code 102). The message names the field and the problem.",
        (errors.ARGUMENT_ERROR, errors.DATA_ERROR),
        errors.BadRequest("Field: page_size - Message: Input should be less than or equal to 100 - Value: 101").body(),
    ),
    401: _ErrorResponse(
        "Unauthorized",
        "Missing, malformed, unknown or revoked API key (answered by API Gateway's authorizer).",
        (errors.UNAUTHORIZED,),
        errors.Unauthorized().body(),
    ),
    404: _ErrorResponse(
        "NotFound",
        "The dataset is absent or another tenant's (the two are indistinguishable; code 102 or 103 per route), "
        "or the route or method is unknown (code 404).",
        (errors.DATA_ERROR, errors.OPERATING_ERROR, errors.NOT_FOUND),
        errors.DatasetNotFound("Can't find this dataset!", errors.DATA_ERROR).body(),
    ),
    409: _ErrorResponse(
        "Conflict",
        "The tenant already has a dataset of that name (case-insensitively), or its dataset quota is reached.",
        (errors.DATA_ERROR,),
        errors.DuplicateName("kb1").body(),
    ),
    413: _ErrorResponse(
        "PayloadTooLarge",
        f"The body is larger than the limit ({_MAX_BODY_BYTES} bytes by default).",
        (errors.ARGUMENT_ERROR,),
        errors.PayloadTooLarge(_MAX_BODY_BYTES).body(),
    ),
    415: _ErrorResponse(
        "UnsupportedMediaType",
        "A body that is not `application/json`.",
        (errors.ARGUMENT_ERROR,),
        errors.UnsupportedMediaType("text/plain").body(),
    ),
    429: _ErrorResponse(
        "TooManyRequests",
        "Throttled by API Gateway (the stage's rate or burst limit): retry later.",
        (429,),
        _gateway_example("THROTTLED"),
    ),
    500: _ErrorResponse(
        "InternalServerError",
        "Anything unexpected: the message carries the request id, never internals.",
        (errors.EXCEPTION_ERROR,),
        errors.internal_error_body("c0ffee00-0000-4000-8000-000000000000"),
    ),
    503: _ErrorResponse(
        "ServiceUnavailable",
        "DynamoDB (or the authorizer's key lookup) kept failing: nothing was written; retry later.",
        (errors.CONNECTION_ERROR,),
        errors.StorageUnavailable().body(),
    ),
}
_ERROR_CODES = {code for response in _ERRORS.values() for code in response.codes}


def _error_responses() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, spec in _ERRORS.items():
        properties: dict[str, Any] = {"code": {"type": "integer", "enum": list(spec.codes)}}
        if status == 401:
            properties["message"] = {"const": errors.AUTH_MESSAGE}
        out[spec.name] = {
            "description": f"{status}: {spec.description}",
            "content": {
                "application/json": {
                    "schema": {"allOf": [{"$ref": SCHEMAS + "Error"}], "type": "object", "properties": properties},
                    "example": spec.example,
                }
            },
        }
    return out


# ---- what each route answers on success ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Success:
    description: str
    data: dict[str, Any]
    extra: dict[str, Any] | None = None  # keys beside code/message/data: their schemas, all required
    message: str = "success"


def _ref(model: type[BaseModel]) -> dict[str, Any]:
    return {"$ref": SCHEMAS + model.__name__}


_PARSING_STATUS = {
    "type": "object",
    "description": "Only with include_parsing_status=true; all 0 (documents are out of scope)",
    "required": ["unstart_count", "running_count", "cancel_count", "done_count", "fail_count"],
    "properties": {
        key: {"type": "integer", "const": 0}
        for key in ("unstart_count", "running_count", "cancel_count", "done_count", "fail_count")
    },
}

_SUCCESS: dict[tuple[str, str], _Success] = {
    ("POST", "/api/v1/dataset"): _Success(
        "The new dataset's name and id (both `dataset_id` and `id`)", _ref(SeedCreated)
    ),
    ("GET", "/api/v1/dataset"): _Success(
        "The caller's datasets, at most 1000 per response", {"type": "array", "items": _ref(SeedDataset)}
    ),
    ("GET", "/api/v1/dataset/{dataset_id}"): _Success("The dataset", _ref(SeedDataset)),
    ("PUT", "/api/v1/dataset/{dataset_id}"): _Success("The updated dataset", _ref(SeedDataset)),
    ("DELETE", "/api/v1/dataset/{dataset_id}"): _Success(
        "Deleted; its name is free again",
        {"type": "null"},
        extra={"success": {"const": True}},
        message="Dataset deleted successfully!",
    ),
    ("POST", "/api/v1/datasets"): _Success(
        "The new dataset (a taken name becomes `name(1)`, `name(2)` ...)", _ref(CurrentDataset)
    ),
    ("GET", "/api/v1/datasets"): _Success(
        "A page of the caller's datasets, with the total and a cursor to the next page",
        {
            "type": "array",
            "items": {
                "allOf": [_ref(CurrentDataset)],
                "type": "object",
                "properties": {"parsing_status": _PARSING_STATUS},
            },
        },
        extra={
            "total_datasets": {"type": "integer", "minimum": 0, "description": "All the caller's datasets"},
            "next_page_token": {
                "type": ["string", "null"],
                "description": "Pass as page_token for the next page; null on the last page (beyond RAGFlow)",
            },
        },
    ),
    ("GET", "/api/v1/datasets/{dataset_id}"): _Success("The dataset", _ref(CurrentDataset)),
    ("PUT", "/api/v1/datasets/{dataset_id}"): _Success("The updated dataset", _ref(CurrentDataset)),
    ("DELETE", "/api/v1/datasets"): _Success(
        "How many datasets were deleted (all or none of the ids given)",
        {
            "type": "object",
            "required": ["success_count"],
            "properties": {"success_count": {"type": "integer", "minimum": 0}},
        },
    ),
}
_RESPONSE_MODELS: tuple[type[BaseModel], ...] = (SeedCreated, SeedDataset, CurrentDataset)

# Routes that look a dataset up by id or name (404), and those that write a name (409).
_FINDS = {("GET", "/api/v1/datasets"), ("DELETE", "/api/v1/datasets")}
_NAMES = {"POST", "PUT"}
_BODY_METHODS = {"POST", "PUT", "DELETE"}


def _success_response(spec: _Success) -> dict[str, Any]:
    properties: dict[str, Any] = {"code": {"const": 0}, "message": {"const": spec.message}, "data": spec.data}
    properties |= spec.extra or {}
    return {
        "description": spec.description,
        "content": {
            "application/json": {
                "schema": {
                    "allOf": [{"$ref": SCHEMAS + "Envelope"}],
                    "type": "object",
                    "required": ["code", "message", "data", *(spec.extra or {})],
                    "properties": properties,
                }
            }
        },
    }


def _statuses(method: str, path: str) -> list[int]:
    """The error statuses an operation can answer with, in the order of ``_ERRORS``."""
    applies = {400, 401, 429, 500, 503}
    if "{" in path or (method, path) in _FINDS:
        applies.add(404)
    if method in _NAMES:
        applies.add(409)
    if method in _BODY_METHODS:
        applies |= {413, 415}
    return [status for status in _ERRORS if status in applies]


# ---- the functions' apps ----------------------------------------------------------------------------------------


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
            {"name": SEED_TAG, "description": "RAGFlow's mid-2024 dataset API reference (the seed contract)"},
            {"name": CURRENT_TAG, "description": "RAGFlow v0.27's datasets API, which the ragflow-sdk client calls"},
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


def _operation(route: Route) -> dict[str, Any]:
    """A route's summary, parameters and request body, from the models that validate them."""
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
    operation: dict[str, Any] = {
        "operationId": route.handler.__name__,
        "summary": route.summary,
        "parameters": parameters,
    }
    if route.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(route.body)}}}
    return operation


def _merge(target: dict[str, Any], source: dict[str, Any], what: str) -> None:
    """Add ``source``'s entries to ``target``; the same name must mean the same thing everywhere."""
    for name, value in source.items():
        if name in target and target[name] != value:
            raise SystemExit(f"openapi: two functions define {what} {name!r} differently")
        target[name] = value


def build(apps: dict[str, App] | None = None) -> dict[str, Any]:
    """The whole document: every function's routes and models, our envelope, responses and security."""
    apps = load_apps() if apps is None else apps
    paths: dict[str, dict[str, Any]] = {}
    bodies: list[type[BaseModel]] = []
    for name in sorted(apps):
        for route in apps[name].routes:
            operations = paths.setdefault(route.path, {})
            if route.method.lower() in operations:
                raise SystemExit(f"openapi: {route.method} {route.path} is declared twice")
            operations[route.method.lower()] = _operation(route)
            _complete(route.method, route.path, operations[route.method.lower()])
            bodies += [route.body] if route.body is not None else []
    modes: list[tuple[type[BaseModel], JsonSchemaMode]] = [(model, "validation") for model in dict.fromkeys(bodies)]
    modes += [(model, "serialization") for model in _RESPONSE_MODELS]
    _, defs = models_json_schema(modes, ref_template=SCHEMAS + "{model}")
    schemas: dict[str, Any] = {}
    _merge(schemas, defs.get("$defs", {}), "the schema")
    _merge(schemas, _envelope_schemas(), "the schema")
    return {
        **_header(_version()),
        "paths": paths,
        "components": {"schemas": schemas, "responses": _error_responses(), "securitySchemes": _SECURITY_SCHEMES},
    }


def _complete(method: str, path: str, operation: dict[str, Any]) -> None:
    """The operation's responses (the envelope on success, the error responses it can give) and its tag."""
    spec = _SUCCESS.get((method, path))
    if spec is None:
        raise SystemExit(f"openapi: {method} {path} has no success response in tools/openapi.py: add it to _SUCCESS")
    responses: dict[str, Any] = {"200": _success_response(spec)}
    for status in _statuses(method, path):
        responses[str(status)] = {"$ref": RESPONSES + _ERRORS[status].name}
    operation["responses"] = responses
    operation["tags"] = [CURRENT_TAG if path.startswith("/api/v1/datasets") else SEED_TAG]


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

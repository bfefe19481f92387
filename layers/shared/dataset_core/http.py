"""HTTP glue shared by every route handler: routing, request validation, the error envelope, the entry point.

This is the one place where errors become responses. Checks that must happen before a body is parsed (size,
content type, encoding) run in ``_precheck``; each route then gets its body and query validated by the
pydantic models it declares, and our ``ApiError``s, validation errors and anything unexpected (a 500 carrying
the request id and nothing more) are mapped in ``App.resolve``.

Why not Powertools' event handler: one function serves two routes, which API Gateway has already matched, and
``APIGatewayRestResolver(enable_validation=True)`` costs 40-45 ms of cold start on import (its package
imports every resolver, and validation builds its OpenAPI models): more than a quarter of the 155 ms floor
``make bench`` measures. Routing two paths and calling ``model_validate`` is all this API needs of it, so it is
done here; pydantic still validates, and ``tools/openapi.py`` documents the same models and routes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.logging import correlation_paths
from pydantic import BaseModel, ConfigDict, ValidationError

from .config import settings
from .errors import (
    ApiError,
    BadRequest,
    PayloadTooLarge,
    RouteNotFound,
    Unauthorized,
    UnsupportedMediaType,
    internal_error_body,
)
from .observability import logger, metrics, tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

ProxyResponse = dict[str, Any]
"""What a Lambda proxy integration returns to API Gateway: statusCode, headers, body."""
Handler = Callable[..., ProxyResponse]
H = TypeVar("H", bound=Handler)

MULTI_VALUED_QUERY = {"ids"}
"""Query parameters a client may repeat (``?ids=a&ids=b``); any other repeat is refused."""
MALFORMED_JSON = "Malformed JSON syntax: Missing commas/brackets or invalid encoding"
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean"}
_PATH_PARAMETER = re.compile(r"\{(\w+)\}")
_SEGMENT = r"[\w\-.~!$&'()*+,;=:@% ]+"
"""What a path parameter may hold: RFC 3986's path characters (unreserved, sub-delimiters, ``:``, ``@``,
percent escapes) and the spaces API Gateway decodes. A slash, a control character, ``#`` or another symbol
makes the path no route's path (404); anything else reaches the handler, which validates it."""


class NoQuery(BaseModel):
    """The query of a route that takes none: any parameter is refused, as RAGFlow's strict models do."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


@dataclass(frozen=True)
class Route:
    """One operation: ``path`` as template.yaml writes it, the models that validate its input."""

    method: str
    path: str
    summary: str
    handler: Handler
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    pattern: re.Pattern[str]

    @property
    def path_parameters(self) -> list[str]:
        return _PATH_PARAMETER.findall(self.path)


class App:
    """The routes one function serves. A handler is called with keyword arguments: ``tenant_id``, each path
    parameter, ``body`` (the validated body model) if the route declares one, ``query`` likewise."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
    ) -> Callable[[H], H]:
        # Our paths hold no regex syntax besides their {parameters}. Matched at the end of the event's path:
        # behind a custom domain, API Gateway puts the base-path mapping (``/datasets-api/...``) in front.
        segments = _PATH_PARAMETER.sub(lambda name: f"(?P<{name[1]}>{_SEGMENT})", path)
        pattern = re.compile(f"{segments}$")

        def register(handler: H) -> H:
            self.routes.append(Route(method, path, summary, handler, body, query, pattern))
            return handler

        return register

    def get(self, path: str, **options: Any) -> Callable[[H], H]:
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[H], H]:
        return self.route("POST", path, **options)

    def put(self, path: str, **options: Any) -> Callable[[H], H]:
        return self.route("PUT", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[H], H]:
        return self.route("DELETE", path, **options)

    def resolve(self, event: Mapping[str, Any]) -> ProxyResponse:
        """The response to one API Gateway (REST, proxy) event; every failure in the envelope."""
        try:
            payload = _precheck(event)
            route, arguments = self._match(event)
            arguments["tenant_id"] = tenant_id(event)
            query = _validated(route.query or NoQuery, _query_of(event), "query")
            if route.query is not None:
                arguments["query"] = query
            if route.body is not None:
                arguments["body"] = _validated(route.body, payload, "body")
            return route.handler(**arguments)
        except ApiError as error:
            return error_response(error)
        except Exception:
            logger.exception("unhandled error")
            return json_response(500, internal_error_body(_request_id(event)))

    def _match(self, event: Mapping[str, Any]) -> tuple[Route, dict[str, Any]]:
        method, path = str(event.get("httpMethod", "")).upper(), str(event.get("path", ""))
        for route in self.routes:
            found = route.pattern.search(path)
            if found and route.method == method:
                return route, dict(found.groupdict())
        raise RouteNotFound(path)


def _query_of(event: Mapping[str, Any]) -> dict[str, Any]:
    """Repeatable parameters as lists, the others as their one value (``_precheck`` refused repeats)."""
    multi = event.get("multiValueQueryStringParameters")
    if multi is None:
        multi = {name: [value] for name, value in (event.get("queryStringParameters") or {}).items()}
    return {name: values if name in MULTI_VALUED_QUERY else values[-1] for name, values in multi.items()}


M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], value: Any, where: str) -> M:
    """``value`` as ``model``, or a 400/101 naming each problem as RAGFlow words it."""
    if value is None:
        raise BadRequest(validation_message([{"loc": (where,), "msg": "Field required", "input": None}]))
    try:
        return model.model_validate(value)
    except ValidationError as error:
        raise BadRequest(validation_message(error.errors(include_url=False))) from None


def dumps(body: Any) -> str:
    """Compact ASCII JSON with sorted keys, as RAGFlow's Flask server wrote it."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def json_response(status: int, body: Mapping[str, Any]) -> ProxyResponse:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": dumps(body),
        "isBase64Encoded": False,
    }


def ok(data: Any = None, *, message: str = "success", **extra: Any) -> ProxyResponse:
    """A 200 envelope; ``data`` may be a model or a list of models."""
    return json_response(200, {"code": 0, "message": message, "data": _plain(data), **extra})


def _plain(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, list):
        return [_plain(item) for item in data]
    return data


def error_response(error: ApiError) -> ProxyResponse:
    logger.info("request refused", extra={"status": error.status, "code": error.code})
    return json_response(error.status, error.body())


def validation_message(errors: Any) -> str:
    """RAGFlow's wording for pydantic errors: ``Field: <loc> - Message: <msg> - Value: <input>`` lines."""
    lines = []
    for error in errors:
        loc = ".".join(str(part) for part in error.get("loc", ())) or "body"
        msg = str(error.get("msg", "Invalid value"))
        lines.append(f"Field: {loc} - Message: {msg} - Value: {str(error.get('input'))[:128]}")
    return "\n".join(lines) or "Invalid request"


def tenant_id(event: Mapping[str, Any]) -> str:
    """The tenant the authorizer put in the request context; never taken from the client's input."""
    authorizer = event.get("requestContext", {}).get("authorizer") or {}
    tenant = authorizer.get("tenant_id")
    if not tenant:
        raise Unauthorized
    return str(tenant)


def _request_id(event: Mapping[str, Any]) -> str:
    return str(event.get("requestContext", {}).get("requestId", "unknown"))


def _precheck(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """Reject what must not reach the models; returns the body's JSON object, or None without a body."""
    for name, values in (event.get("multiValueQueryStringParameters") or {}).items():
        if not _encodable(name, *values):
            raise BadRequest(f"Invalid query parameter encoding: {name.encode('utf-8', 'replace')[:64]!r}")
        if len(values) > 1 and name not in MULTI_VALUED_QUERY:  # the last one would silently win
            raise BadRequest(f"Field: {name} - Message: Given more than once - Value: {values[:4]}")
    if not _encodable(*(event.get("pathParameters") or {}).values()):
        raise BadRequest("Invalid path encoding")
    body = event.get("body")
    if body is None or body == "":
        if event.get("httpMethod") in {"POST", "PUT", "PATCH"}:
            _require_json(event)
        return None
    raw = body.encode() if not event.get("isBase64Encoded") else _b64(body)
    if len(raw) > settings().max_body_bytes:
        raise PayloadTooLarge(settings().max_body_bytes)
    if event.get("httpMethod") in _BODY_METHODS:
        _require_json(event)
    try:
        payload = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
        json.dumps(payload, ensure_ascii=False).encode("utf-8")  # "\ud800" escapes decode to lone surrogates
    except (ValueError, RecursionError):  # invalid UTF-8 or JSON, lone surrogates, absurd nesting
        raise BadRequest(MALFORMED_JSON) from None
    if not isinstance(payload, dict):
        raise BadRequest(f"Invalid request payload: expected object, got {_JSON_TYPES.get(type(payload), 'null')}")
    return payload


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's parser would take NaN and Infinity


def _encodable(*texts: str) -> bool:
    try:
        for text in texts:
            text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _b64(body: str) -> bytes:
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(MALFORMED_JSON) from None


def _require_json(event: Mapping[str, Any]) -> None:
    """415 unless the body is declared JSON (media types are case-insensitive)."""
    headers = event.get("headers") or {}
    content_type = str(next((v for k, v in headers.items() if k.lower() == "content-type"), None) or "")
    if content_type.split(";", maxsplit=1)[0].strip().lower() != "application/json":
        raise UnsupportedMediaType(content_type or "nothing")


def lambda_handler_for(app: App) -> Callable[[dict[str, Any], LambdaContext], ProxyResponse]:
    """The Lambda entry point of one function: observability around ``app``."""
    tracing = settings().xray_sdk_tracing

    def serve(event: dict[str, Any], context: LambdaContext) -> ProxyResponse:
        tenant = (event.get("requestContext", {}).get("authorizer") or {}).get("tenant_id")
        if tenant:
            logger.append_keys(tenant_id=tenant)
            if tracing:
                tracer().put_annotation("tenant_id", str(tenant))
        return app.resolve(event)

    handler = metrics().log_metrics(serve)
    if tracing:
        handler = tracer().capture_lambda_handler(handler)
    return logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)(
        handler
    )

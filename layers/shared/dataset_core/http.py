"""HTTP glue shared by every route handler: the resolver, the error envelope, and the Lambda entry point.

This is the one place where errors become responses. Checks that must happen before Powertools parses
anything (body size, content type, body encoding) run in ``_precheck``; validation errors from Powertools
and our own ``ApiError``s are mapped by the resolver's exception handlers; anything else becomes a 500
carrying the request id and nothing more.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

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

MULTI_VALUED_QUERY = {"ids"}
"""Query parameters a client may repeat (``?ids=a&ids=b``); any other repeat is refused."""
MALFORMED_JSON = "Malformed JSON syntax: Missing commas/brackets or invalid encoding"
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


def dumps(body: Any) -> str:
    """Compact ASCII JSON with sorted keys, as RAGFlow's Flask server wrote it."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def json_response(status: int, body: Mapping[str, Any]) -> Response[str]:
    return Response(status_code=status, content_type="application/json", body=dumps(body))


def ok(data: Any = None, *, message: str = "success", **extra: Any) -> Response[str]:
    """A 200 envelope; ``data`` may be a model or a list of models."""
    return json_response(200, {"code": 0, "message": message, "data": _plain(data), **extra})


def _plain(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, list):
        return [_plain(item) for item in data]
    return data


def error_response(error: ApiError) -> Response[str]:
    logger.info("request refused", extra={"status": error.status, "code": error.code})
    return json_response(error.status, error.body())


def create_app() -> APIGatewayRestResolver:
    """A resolver with request validation on and every error mapped to the error envelope."""
    app = APIGatewayRestResolver(enable_validation=True, serializer=dumps)

    def invalid(error: RequestValidationError) -> Response[str]:
        return error_response(BadRequest(validation_message(error.errors())))

    def not_found(_: Exception) -> Response[str]:
        return error_response(RouteNotFound(app.current_event.path))

    def unexpected(_: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return json_response(500, internal_error_body(_request_id(app.current_event.raw_event)))

    app.use([_strict_query])
    app.exception_handler(ApiError)(error_response)
    app.exception_handler(RequestValidationError)(invalid)
    app.exception_handler(RequestUnsupportedContentType)(
        lambda _: error_response(UnsupportedMediaType(str(app.current_event.headers.get("content-type"))))
    )
    app.exception_handler(Exception)(unexpected)
    app.not_found(not_found)
    return app


def _strict_query(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[str]:
    """Refuse query parameters a route does not declare (Powertools ignores them; RAGFlow's strict
    models refuse them)."""
    declared = {param.alias for param in app.context["_route"].dependant.query_params}
    for name, values in (app.current_event.multi_value_query_string_parameters or {}).items():
        if name not in declared:
            raise BadRequest(f"Field: {name} - Message: Extra inputs are not permitted - Value: {values[-1][:128]}")
    return next_middleware(app)


def validation_message(errors: Any) -> str:
    """RAGFlow's wording for pydantic errors: ``Field: <loc> - Message: <msg> - Value: <input>`` lines."""
    lines = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in {"body", "query", "path", "header"}:
            loc = loc[1:] or loc
        msg = str(error.get("msg", "Invalid value"))
        lines.append(f"Field: {'.'.join(loc)} - Message: {msg} - Value: {str(error.get('input'))[:128]}")
    return "\n".join(lines) or "Invalid request"


def tenant_id(app: APIGatewayRestResolver) -> str:
    """The tenant the authorizer put in the request context; never taken from the client's input."""
    authorizer = app.current_event.raw_event.get("requestContext", {}).get("authorizer") or {}
    tenant = authorizer.get("tenant_id")
    if not tenant:
        raise Unauthorized
    return str(tenant)


def _request_id(event: Mapping[str, Any]) -> str:
    return str(event.get("requestContext", {}).get("requestId", "unknown"))


def _precheck(event: dict[str, Any]) -> dict[str, Any]:
    """Reject what must not reach the parser, and hand it a text body. Returns the event to resolve."""
    for name, values in (event.get("multiValueQueryStringParameters") or {}).items():
        if not _encodable(name, *values):
            raise BadRequest(f"Invalid query parameter encoding: {name.encode('utf-8', 'replace')[:64]!r}")
        if len(values) > 1 and name not in MULTI_VALUED_QUERY:  # the last one would silently win
            raise BadRequest(f"Field: {name} - Message: Given more than once - Value: {values[:4]}")
    if not _encodable(*(event.get("pathParameters") or {}).values()):
        raise BadRequest("Invalid path encoding")
    event = dict(event)
    body = event.get("body")
    if body is None or body == "":
        if event.get("httpMethod") in {"POST", "PUT", "PATCH"}:
            _require_json(event)
        return event
    raw = body.encode() if not event.get("isBase64Encoded") else _b64(body)
    if len(raw) > settings().max_body_bytes:
        raise PayloadTooLarge(settings().max_body_bytes)
    if event.get("httpMethod") in _BODY_METHODS:
        _require_json(event)
    try:
        text = raw.decode("utf-8")
        payload = json.loads(text, parse_constant=_no_constants)
        json.dumps(payload, ensure_ascii=False).encode("utf-8")  # "\ud800" escapes decode to lone surrogates
    except (ValueError, RecursionError):  # invalid UTF-8 or JSON, lone surrogates, absurd nesting
        raise BadRequest(MALFORMED_JSON) from None
    if not isinstance(payload, dict):
        raise BadRequest(f"Invalid request payload: expected object, got {_JSON_TYPES.get(type(payload), 'null')}")
    return {**event, "body": text, "isBase64Encoded": False}


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


def _require_json(event: dict[str, Any]) -> None:
    """415 unless the body is declared JSON; the declared type is then handed on in canonical case
    (media types are case-insensitive, the parser behind us compares them as written)."""
    headers = event.get("headers") or {}
    name = next((k for k in headers if k.lower() == "content-type"), "Content-Type")
    content_type = str(headers.get(name) or "")
    if content_type.split(";", maxsplit=1)[0].strip().lower() != "application/json":
        raise UnsupportedMediaType(content_type or "nothing")
    event["headers"] = {**headers, name: "application/json"}
    multi = {k: v for k, v in (event.get("multiValueHeaders") or {}).items() if k.lower() != "content-type"}
    event["multiValueHeaders"] = {**multi, name: ["application/json"]}


def _proxy_response(status: int, body: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": dumps(body),
        "isBase64Encoded": False,
    }


def lambda_handler_for(app: APIGatewayRestResolver) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda entry point of one function: observability around ``app``, errors in our envelope."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    @tracer().capture_lambda_handler
    @metrics().log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        tenant = (event.get("requestContext", {}).get("authorizer") or {}).get("tenant_id")
        if tenant:
            logger.append_keys(tenant_id=tenant)
            tracer().put_annotation("tenant_id", str(tenant))
        try:
            event = _precheck(event)
        except ApiError as error:
            return _proxy_response(error.status, error.body())
        except Exception:
            logger.exception("unhandled error before routing")
            return _proxy_response(500, internal_error_body(_request_id(event)))
        return app.resolve(event, context)

    return handler

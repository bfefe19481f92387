"""Routing and validation for one Lambda function, and its entry point.

API Gateway has already matched the route: its REST proxy event names the template's path in ``resource`` and
carries the decoded ``pathParameters``, so a function's ``App`` looks its route up by ``(httpMethod, resource)``,
whatever base path a custom domain puts in front and whatever a path parameter holds. Each route declares what
it takes (body and query models) and what it answers (the type of ``data``, extra envelope keys, the domain errors
it raises); ``tools/openapi.py`` derives the OpenAPI document from these declarations alone.

Why not Powertools' event handler: routing two resources and calling ``model_validate`` is all a function needs,
and ``APIGatewayRestResolver(enable_validation=True)`` costs more cold start on import than everything else a
handler imports together (``bench/REPORT.md``, cold-start components).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from aws_lambda_powertools.logging import correlation_paths
from pydantic import BaseModel, ConfigDict, ValidationError

from ..config import settings
from ..errors import BadRequest, DomainError, RouteNotFound
from ..idempotency import HEADER as IDEMPOTENCY_HEADER
from ..observability import logger, metrics, tag, tracer
from ..startup import ends_with_first_invocation
from . import request
from .responses import (
    ProxyResponse,
    error_response,
    internal_error_body,
    json_response,
    status_and_code,
    success,
    validation_message,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


class Success(NamedTuple):
    """What a route returns: ``data`` and any envelope keys its contract adds (``total_datasets`` ...)."""

    data: Any
    extra: dict[str, Any]


def ok(data: Any = None, **extra: Any) -> Success:
    return Success(data, extra)


Handler = Callable[..., Success]
H = TypeVar("H", bound=Handler)
M = TypeVar("M", bound=BaseModel)


def without_default(schema: dict[str, Any]) -> None:
    """A field's ``json_schema_extra`` that keeps its default out of the OpenAPI document: a default that only
    marks "not sent" (or "not asked for") is no value a client should see."""
    schema.pop("default", None)


class NoQuery(BaseModel):
    """The query of a route that takes none: any parameter is refused, as RAGFlow's strict models do."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class Route(NamedTuple):
    """One operation: its method and ``resource`` (the template's path), its input models and its answers."""

    method: str
    resource: str
    summary: str
    handler: Handler
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None
    """The type of ``data`` on success (a model, ``list[Model]``, or None)."""
    extra: type[BaseModel] | None = None
    """The envelope keys beside ``code``, ``message`` and ``data`` on success, if any."""
    message: str = "success"
    errors: tuple[type[DomainError], ...] = ()
    """The domain errors the operation raises, beyond those every route can answer with."""
    path_in_body: tuple[str, ...] = ()
    """Path parameters the body model validates too, set over any key of the body with their name (RAGFlow
    validates the update's dataset id with its body, so its problems are reported together)."""
    idempotent: bool = False
    """Takes an ``Idempotency-Key`` header, passed to the handler as ``idempotency_key``."""

    @property
    def path_parameters(self) -> list[str]:
        return [part[1:-1] for part in self.resource.split("/") if part.startswith("{")]


class App:
    """The routes one function serves. A handler is called with keyword arguments: ``tenant_id``, each path
    parameter, ``body`` (the validated body model) if the route declares one, ``query`` likewise."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}

    def route(self, method: str, resource: str, *, summary: str, **declared: Any) -> Callable[[H], H]:
        def register(handler: H) -> H:
            self.routes[(method, resource)] = Route(method, resource, summary, handler, **declared)
            return handler

        return register

    def get(self, resource: str, **declared: Any) -> Callable[[H], H]:
        return self.route("GET", resource, **declared)

    def post(self, resource: str, **declared: Any) -> Callable[[H], H]:
        return self.route("POST", resource, **declared)

    def put(self, resource: str, **declared: Any) -> Callable[[H], H]:
        return self.route("PUT", resource, **declared)

    def delete(self, resource: str, **declared: Any) -> Callable[[H], H]:
        return self.route("DELETE", resource, **declared)

    def resolve(self, event: Mapping[str, Any]) -> ProxyResponse:
        """The response to one API Gateway (REST, proxy) event; every failure in the envelope."""
        try:
            request.check_encoding(event)
            route = self._route(event)
            parameters = event.get("pathParameters") or {}
            arguments: dict[str, Any] = {name: parameters[name] for name in route.path_parameters}
            arguments["tenant_id"] = request.tenant_id(event, time.time())
            if route.body is not None:
                payload = request.json_object(event) | {name: arguments[name] for name in route.path_in_body}
            else:
                request.raw_body(event)  # unread, but held to the same size limit
            query = _validated(route.query or NoQuery, request.query(event))
            if route.query is not None:
                arguments["query"] = query
            if route.body is not None:
                arguments["body"] = _validated(route.body, payload)
            if route.idempotent:
                arguments["idempotency_key"] = request.header(event, IDEMPOTENCY_HEADER)
            result = route.handler(**arguments)
            return success(result.data, route.message, result.extra)
        except DomainError as error:
            status, code = status_and_code(type(error))
            logger.info("request refused", extra={"status": status, "code": code})
            return error_response(error)
        except Exception:
            logger.exception("unhandled error")
            return json_response(500, internal_error_body(request.request_id(event)))

    def _route(self, event: Mapping[str, Any]) -> Route:
        route = self.routes.get((str(event.get("httpMethod", "")).upper(), str(event.get("resource", ""))))
        parameters = event.get("pathParameters") or {}
        if route is None or any(not isinstance(parameters.get(name), str) for name in route.path_parameters):
            raise RouteNotFound(str(event.get("path", "")))
        return route


def _validated(model: type[M], value: Any) -> M:
    """``value`` as ``model``, or a 400/101 naming each problem as RAGFlow words it."""
    try:
        return model.model_validate(value)
    except ValidationError as error:
        raise BadRequest(validation_message(error.errors(include_url=False))) from None


def lambda_handler_for(app: App) -> Callable[[dict[str, Any], LambdaContext], ProxyResponse]:
    """The Lambda entry point of one function: observability around ``app``."""
    tracing = settings().xray_sdk_tracing

    def resolve(event: dict[str, Any], context: LambdaContext) -> ProxyResponse:
        tenant = (event.get("requestContext", {}).get("authorizer") or {}).get("tenant_id")
        tag(**({"tenant_id": str(tenant)} if tenant else {}))
        if tenant and tracing:
            tracer().put_annotation("tenant_id", str(tenant))
        return app.resolve(event)

    def serve(event: dict[str, Any], context: LambdaContext) -> ProxyResponse:
        published: ProxyResponse = metrics().log_metrics(resolve)(event, context)  # this invocation's Metrics
        return published

    handler = serve
    if tracing:
        handler = tracer().capture_lambda_handler(handler)
    logged = logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    return ends_with_first_invocation(logged(handler))

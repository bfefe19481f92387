"""API Gateway's request path, as a REST API with Lambda proxy integrations and a TOKEN authorizer.

Everything comes from ``template.yaml`` through ``tools.template``, for the parameter values given (``sam
deploy``'s ``--parameter-overrides``): the routes, the authorizer's header and cache TTL, the stage, the CORS
preflight, the usage plans and throttling, and every gateway response, rendered with its ``$context`` variables
and headers. The order is API Gateway's: route and method (an unknown one is MISSING_AUTHENTICATION_TOKEN,
before any auth; an OPTIONS preflight is answered here, as API Gateway's mock integration answers it), the
authorizer (only when its cache, keyed by the header value, misses), the policy it returned, the API key it
returned (``usageIdentifierKey``: none, or one in no usage plan, is INVALID_API_KEY), throttling and quota
(``tools.local_throttle``), then the function, within Lambda's own limits: an event over Lambda's 6 MB
invocation payload never reaches it (413), and a response over its 6 MB response payload never leaves it
(502); its proxy response is checked as API Gateway checks it. HTTP itself is ``tools.local_api``'s.

API Gateway keeps API keys and usage plans itself; locally, the usage plan of a key is what the API-key CLI
recorded for the tenant (``dataset_core.api_keys.usage_tier``), which the local API hands in as ``usage_tiers``.

Only what the template uses is emulated: paths of literal segments and ``{name}`` parameters (no greedy
``{name+}``), no binary media types.
"""

from __future__ import annotations

import base64
import binascii
import decimal
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from tools import template
from tools.local_lambda import ACCOUNT, REGION, Invocable, Output
from tools.local_throttle import Limiter

HOST = "127.0.0.1"  # loopback only: the dev key is public, so the local API never listens on a network
MAX_BODY = 10 * 1024 * 1024
"""API Gateway's own payload limit (10 MB); the handlers enforce their smaller limit themselves."""
MAX_INVOCATION_PAYLOAD = 6 * 1024 * 1024
"""Lambda's synchronous invocation payload: the whole event as JSON ("Request must be smaller than 6291456 bytes
for the InvokeFunction operation"). API Gateway answers REQUEST_TOO_LARGE (413) without running the function."""
MAX_RESPONSE_PAYLOAD = 6 * 1024 * 1024 + 100
"""Lambda's synchronous response payload, as the runtime serializes the handler's return value ("Response
payload size exceeded maximum allowed payload size (6291556 bytes)"). The function has run; API Gateway
answers 502 (INTEGRATION_FAILURE)."""
API_ID = "local"

# What API Gateway answers for each gateway response type when the template does not say otherwise.
_DEFAULT_STATUS = {
    "UNAUTHORIZED": 401,
    "ACCESS_DENIED": 403,
    "MISSING_AUTHENTICATION_TOKEN": 403,
    "AUTHORIZER_FAILURE": 500,
    "AUTHORIZER_CONFIGURATION_ERROR": 500,
    "REQUEST_TOO_LARGE": 413,
    "INTEGRATION_FAILURE": 502,  # the documented default is 504, but a Lambda function error is a 502
    "INVALID_API_KEY": 403,
    "THROTTLED": 429,
    "QUOTA_EXCEEDED": 429,
    "DEFAULT_4XX": 400,
    "DEFAULT_5XX": 502,  # a Lambda error or malformed proxy response is a 502 Bad Gateway
}
_DEFAULT_MESSAGE = {
    "UNAUTHORIZED": "Unauthorized",
    "ACCESS_DENIED": "User is not authorized to access this resource",
    "MISSING_AUTHENTICATION_TOKEN": "Missing Authentication Token",
    "AUTHORIZER_FAILURE": "Internal server error",
    "AUTHORIZER_CONFIGURATION_ERROR": "Internal server error",
    "REQUEST_TOO_LARGE": "Request Too Long",
    "INTEGRATION_FAILURE": "Internal server error",
    "INVALID_API_KEY": "Forbidden",
    "THROTTLED": "Too Many Requests",
    "QUOTA_EXCEEDED": "Limit Exceeded",
    "DEFAULT_4XX": "Bad Request",
    "DEFAULT_5XX": "Internal server error",
}
_ERROR_TYPE = {  # API Gateway's x-amzn-ErrorType header, where it is well known
    "UNAUTHORIZED": "UnauthorizedException",
    "ACCESS_DENIED": "AccessDeniedException",
    "MISSING_AUTHENTICATION_TOKEN": "MissingAuthenticationTokenException",
    "AUTHORIZER_CONFIGURATION_ERROR": "AuthorizerConfigurationException",
    "REQUEST_TOO_LARGE": "BadRequestException",
    "DEFAULT_5XX": "InternalServerErrorException",
}
_PROXY_RESPONSE_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
PREFLIGHT_BODY = b"{}\n"
"""What SAM's CORS mock integration answers a preflight with (its ``responseTemplates``)."""
USAGE_TIER_CACHE_SECONDS = 1.0
"""How long the gateway trusts a key's usage plan before reading it again (a tier change applies this soon)."""

UsageTiers = Callable[[str, str], tuple[str, str] | None]
"""(tenant, usage key) -> (tier, API key id) of the usage plan that holds the key, or None: in none."""


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # the raw request target: path and query, percent-encoded as sent
    headers: list[tuple[str, str]]
    body: bytes | None
    source_ip: str
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def raw_path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    def header(self, name: str) -> str | None:
        """The last value of a header (case-insensitive), as API Gateway's single-value ``headers`` holds."""
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[-1] if found else None


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    served_by: str  # a function's logical id, or gateway:<response type>, for the access log


@dataclass(frozen=True)
class CompiledRoute:
    route: template.Route
    segments: tuple[str, ...]  # literal segments, or {name}

    def match(self, raw_path: str) -> dict[str, str] | None:
        """Path parameters (decoded) if the WHOLE of ``raw_path`` fits this route's path, segment by segment,
        else None. A parameter is the whole decoded segment, whatever it holds (``%0a`` included): the
        handler, not the router, decides what an id may be."""
        parts = raw_path.split("/")[1:] if raw_path.startswith("/") else []
        if len(parts) != len(self.segments) or not all(parts):
            return None
        params: dict[str, str] = {}
        for segment, part in zip(self.segments, parts, strict=True):
            if segment.startswith("{"):
                params[segment[1:-1]] = unquote(part)
            elif unquote(part) != segment:
                return None
        return params

    @property
    def specificity(self) -> int:
        """API Gateway prefers literal segments over variables."""
        return sum(1 for s in self.segments if not s.startswith("{"))


@dataclass
class _CachedPolicy:
    expires: float
    principal: str
    statements: list[dict[str, Any]]
    context: dict[str, str]
    usage_key: str | None  # the authorizer's usageIdentifierKey


class Gateway:
    """API Gateway's request path for one REST API, with the template's routes, authorizer and responses."""

    def __init__(
        self,
        *,
        functions: Mapping[str, Invocable],
        authorizer: Invocable,
        identity_header: str,
        auth_cache_ttl: float,
        output: Output,
        usage_tiers: UsageTiers,
        values: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``values``: the template's parameter values (``template.parameters``; the defaults if None).
        ``clock``: epoch seconds, for throttling and quota periods (a test's clock can run a day in no time)."""
        values = values or template.parameters()
        self.routes = sorted(
            (CompiledRoute(r, tuple(r.path.strip("/").split("/"))) for r in template.routes()),
            key=lambda c: c.specificity,
            reverse=True,
        )
        self.functions = functions
        self.authorizer = authorizer
        self.identity_header = identity_header
        expression = template.identity_validation()
        self.identity_pattern = re.compile(expression) if expression is not None else None
        self.auth_cache_ttl = auth_cache_ttl
        self.responses = template.gateway_responses(values)
        self.stage = values["StageName"]
        self.preflight = template.cors_preflight(values)
        self.api_key_required = template.api_key_required()
        self.usage_tiers = usage_tiers
        self.limiter = Limiter(template.usage_plans(values), template.stage_throttle(values), clock)
        self.output = output
        self._cache: dict[str, _CachedPolicy] = {}
        self._cache_lock = threading.Lock()
        self._tiers: dict[tuple[str, str], tuple[float, tuple[str, str] | None]] = {}

    # -- the request path --

    def handle(self, request: Request) -> Reply:
        """One request, start to end, in API Gateway's order: route, authorizer, API key, throttling and quota,
        integration."""
        found = self._route(request)
        if found is None:
            if request.method == "OPTIONS" and self.preflight is not None and self._known_path(request):
                return self._preflight(request)
            return self.gateway_reply("MISSING_AUTHENTICATION_TOKEN", request)
        route, params = found
        authorized = self._authorize(request)
        if isinstance(authorized, Reply):
            return authorized
        context, usage_key = authorized
        usage = api_key = None
        if self.api_key_required:
            plan = self._usage_tier(context["principalId"], usage_key) if usage_key is not None else None
            if usage_key is None or plan is None:
                return self.gateway_reply("INVALID_API_KEY", request)
            usage, api_key = (usage_key, plan[0]), (usage_key, plan[1])
        refusal = self.limiter.admit(f"{route.method} {route.path}", usage)
        if refusal is not None:
            return self.gateway_reply(refusal, request)
        event = self.proxy_event(request, route, params, context, api_key)
        return self._integrate(self.functions[route.function], event, request)

    def _known_path(self, request: Request) -> bool:
        return any(compiled.match(request.raw_path) is not None for compiled in self.routes)

    def _preflight(self, request: Request) -> Reply:
        """SAM's CORS preflight: a mock integration, no authorizer and no API key, only the stage's throttling."""
        resource = next(c.route.path for c in self.routes if c.match(request.raw_path) is not None)
        refusal = self.limiter.admit(f"OPTIONS {resource}", None)
        if refusal is not None:
            return self.gateway_reply(refusal, request)
        headers = [("Content-Type", "application/json"), *(self.preflight or {}).items()]
        headers.append(("x-amzn-RequestId", request.request_id))
        return Reply(200, headers, PREFLIGHT_BODY, "gateway:CORS preflight")

    def _usage_tier(self, principal: str, usage_key: str) -> tuple[str, str] | None:
        """The tier and API key id of the usage plan holding ``usage_key``, read at most once a
        ``USAGE_TIER_CACHE_SECONDS``."""
        now = time.monotonic()
        with self._cache_lock:
            cached = self._tiers.get((principal, usage_key))
        if cached is not None and cached[0] > now:
            return cached[1]
        found = self.usage_tiers(principal, usage_key)
        with self._cache_lock:
            self._tiers[(principal, usage_key)] = (now + USAGE_TIER_CACHE_SECONDS, found)
        return found

    def _integrate(self, function: Invocable, event: dict[str, Any], request: Request) -> Reply:
        """Lambda's synchronous invoke, within its payload limits, and the proxy response made HTTP."""
        if payload_size(event) > MAX_INVOCATION_PAYLOAD:
            return self.gateway_reply("REQUEST_TOO_LARGE", request)
        try:
            result = function.invoke(event)
        except Exception:
            return self.gateway_reply("DEFAULT_5XX", request)
        try:
            size = payload_size(result)
        except (TypeError, ValueError):  # the runtime cannot serialize it: a function error
            self.output.line(f"{function.logical_id}: Unable to marshal response", always=True)
            return self.gateway_reply("DEFAULT_5XX", request)
        if size > MAX_RESPONSE_PAYLOAD:
            self.output.line(
                f"{function.logical_id}: Response payload size exceeded maximum allowed payload size "
                f"({MAX_RESPONSE_PAYLOAD} bytes): {size} bytes",
                always=True,
            )
            return self.gateway_reply("INTEGRATION_FAILURE", request)
        return self._integration_reply(result, request, function.logical_id)

    def _route(self, request: Request) -> tuple[template.Route, dict[str, str]] | None:
        for compiled in self.routes:
            if compiled.route.method == request.method:
                params = compiled.match(request.raw_path)
                if params is not None:
                    return compiled.route, params
        return None  # unknown path, or a known path without this method: the same answer on a REST API

    # -- the TOKEN authorizer and its cache --

    def method_arn(self, request: Request) -> str:
        return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{self.stage}/{request.method}{request.raw_path}"

    def _authorize(self, request: Request) -> tuple[dict[str, Any], str | None] | Reply:
        """The requestContext.authorizer for this request and the usage key the authorizer returned, or the
        gateway's refusal."""
        token = request.header(self.identity_header)
        if not token:
            return self.gateway_reply("UNAUTHORIZED", request)  # no token: the authorizer is not called
        if self.identity_pattern is not None and not self.identity_pattern.fullmatch(token):
            return self.gateway_reply("UNAUTHORIZED", request)  # nor for one its ValidationExpression refuses
        method_arn = self.method_arn(request)
        latency = 0
        with self._cache_lock:
            cached = self._cache.get(token)
            if cached is not None and cached.expires <= time.monotonic():
                del self._cache[token]
                cached = None
        if cached is None:
            started = time.perf_counter()
            event = {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
            try:
                result = self.authorizer.invoke(event)
            except Exception as error:
                kind = "UNAUTHORIZED" if str(error) == "Unauthorized" else "AUTHORIZER_FAILURE"
                return self.gateway_reply(kind, request)
            latency = round((time.perf_counter() - started) * 1000)
            cached = self._policy(result)
            if cached is None:
                self.output.line(f"{self.authorizer.logical_id}: malformed authorizer response", always=True)
                return self.gateway_reply("AUTHORIZER_CONFIGURATION_ERROR", request)
            if self.auth_cache_ttl > 0:
                with self._cache_lock:
                    self._cache[token] = cached
        if not _allows(cached.statements, method_arn):
            return self.gateway_reply("ACCESS_DENIED", request)
        return {"principalId": cached.principal, **cached.context, "integrationLatency": latency}, cached.usage_key

    def _policy(self, result: Any) -> _CachedPolicy | None:
        """The authorizer's answer, checked as API Gateway checks it; None if it is malformed."""
        if not isinstance(result, dict) or not isinstance(result.get("principalId"), str):
            return None
        document = result.get("policyDocument")
        statements = document.get("Statement") if isinstance(document, dict) else None
        if isinstance(statements, dict):
            statements = [statements]
        if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
            return None
        context = result.get("context") or {}
        if not isinstance(context, dict) or any(isinstance(v, (dict, list)) for v in context.values()):
            return None  # API Gateway accepts only strings, numbers and booleans as context values
        usage_key = result.get("usageIdentifierKey")
        if usage_key is not None and not isinstance(usage_key, str):
            return None
        return _CachedPolicy(
            expires=time.monotonic() + self.auth_cache_ttl,
            principal=result["principalId"],
            statements=statements,
            context={str(k): _context_value(v) for k, v in context.items()},
            usage_key=usage_key,
        )

    # -- the Lambda proxy integration --

    def proxy_event(
        self,
        request: Request,
        route: template.Route,
        params: dict[str, str],
        authorizer: dict[str, Any],
        api_key: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """The REST API (v1) proxy event API Gateway sends the function (``api_key``: the value and id of the API
        key it was metered by, which API Gateway puts in ``identity.apiKey`` and ``apiKeyId``)."""
        headers = [*request.headers, *self._forwarded_headers(request)]
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in headers:
            key = next((k for k in multi if k.lower() == name.lower()), name)
            single[key] = value
            multi.setdefault(key, []).append(value)
        query = parse_qsl(request.query, keep_blank_values=True)
        multi_query: dict[str, list[str]] = {}
        for name, value in query:
            multi_query.setdefault(name, []).append(value)
        body, is_base64 = self._event_body(request)
        now = time.time()
        return {
            "resource": route.path,
            "path": unquote(request.raw_path),
            "httpMethod": request.method,
            "headers": single or None,
            "multiValueHeaders": multi or None,
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": {
                "accountId": ACCOUNT,
                "apiId": API_ID,
                "authorizer": authorizer,
                "domainName": request.header("Host") or HOST,
                "domainPrefix": (request.header("Host") or HOST).split(".")[0],
                "extendedRequestId": request.request_id,
                "httpMethod": request.method,
                "identity": {
                    "accessKey": None,
                    "accountId": None,
                    "apiKey": api_key[0] if api_key else None,
                    "apiKeyId": api_key[1] if api_key else None,
                    "caller": None,
                    "cognitoAuthenticationProvider": None,
                    "cognitoAuthenticationType": None,
                    "cognitoIdentityId": None,
                    "cognitoIdentityPoolId": None,
                    "principalOrgId": None,
                    "sourceIp": request.source_ip,
                    "user": None,
                    "userAgent": request.header("User-Agent"),
                    "userArn": None,
                },
                "path": f"/{self.stage}{unquote(request.raw_path)}",
                "protocol": "HTTP/1.1",
                "requestId": request.request_id,
                "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "requestTimeEpoch": int(now * 1000),
                "resourceId": "local",
                "resourcePath": route.path,
                "stage": self.stage,
            },
            "body": body,
            "isBase64Encoded": is_base64,
        }

    def _forwarded_headers(self, request: Request) -> list[tuple[str, str]]:
        """What API Gateway adds to the client's headers (it also sends CloudFront's, which have no local meaning)."""
        trace = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
        port = (request.header("Host") or "").rpartition(":")[2]
        return [
            ("X-Amzn-Trace-Id", trace),
            ("X-Forwarded-For", request.source_ip),
            ("X-Forwarded-Port", port if port.isdigit() else "80"),
            ("X-Forwarded-Proto", "http"),
        ]

    def _event_body(self, request: Request) -> tuple[str | None, bool]:
        """Text; locally, base64 for bytes that are not UTF-8 (the README says how API Gateway differs)."""
        if not request.body:
            return None, False
        try:
            return request.body.decode("utf-8"), False
        except UnicodeDecodeError:
            return base64.b64encode(request.body).decode(), True

    def _integration_reply(self, result: Any, request: Request, served_by: str) -> Reply:
        """The function's proxy response as HTTP; a malformed one is API Gateway's 502."""
        try:
            if not isinstance(result, dict) or not set(result) <= _PROXY_RESPONSE_KEYS:
                raise ValueError("unexpected keys")
            status = int(result["statusCode"])
            if not 100 <= status <= 599:
                raise ValueError("bad status")
            multi = {str(k): [str(v) for v in vs] for k, vs in (result.get("multiValueHeaders") or {}).items()}
            for name, value in (result.get("headers") or {}).items():
                if str(name) not in multi:  # multiValueHeaders win where both name a header
                    multi[str(name)] = [str(value)]
            raw = result.get("body")
            if raw is None:
                body = b""
            elif result.get("isBase64Encoded"):
                body = base64.b64decode(str(raw), validate=True)
            else:
                body = str(raw).encode()
        except (KeyError, TypeError, ValueError, AttributeError, binascii.Error):
            self.output.line(f"{served_by}: Malformed Lambda proxy response", always=True)
            return self.gateway_reply("DEFAULT_5XX", request)
        headers = [(name, value) for name, values in multi.items() for value in values]
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", "application/json"))
        headers.append(("x-amzn-RequestId", request.request_id))
        return Reply(status, headers, body, served_by)

    # -- gateway responses --

    def gateway_reply(self, kind: str, request: Request, *, status: int | None = None, message: str = "") -> Reply:
        """A gateway response of the template (or its DEFAULT_4XX/5XX, or API Gateway's own default).

        ``status`` and ``message`` stand for what the front door of API Gateway says of a request it refuses
        before any gateway response type applies (malformed HTTP, a foreign ``Host``), rendered the same way.
        """
        spec = self.responses.get(kind) or self.responses.get(
            "DEFAULT_5XX" if (status or _DEFAULT_STATUS[kind]) >= 500 else "DEFAULT_4XX"
        )
        if status is None:
            status = spec.status if spec is not None and spec.status is not None else _DEFAULT_STATUS[kind]
        body_template = spec.template if spec is not None else '{"message":$context.error.messageString}'
        message = message or _DEFAULT_MESSAGE[kind]
        values = {
            "$context.error.messageString": json.dumps(message),
            "$context.error.message": message,
            "$context.error.responseType": kind,
            # Locally there is no stage in the URL; on AWS $context.path is /<stage>/api/v1/...
            "$context.path": json.dumps(request.raw_path)[1:-1],
            "$context.requestId": request.request_id,
            "$context.stage": self.stage,
            "$context.httpMethod": request.method,
        }
        body = re.sub(r"\$context(?:\.[A-Za-z]+)+", lambda m: values.get(m.group(0), ""), body_template)
        headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request.request_id)]
        headers += list(spec.headers.items()) if spec is not None else []
        if kind in _ERROR_TYPE:
            headers.append(("x-amzn-ErrorType", _ERROR_TYPE[kind]))
        return Reply(status, headers, body.encode(), f"gateway:{kind}")


def payload_size(value: Any) -> int:
    """The bytes of ``value`` as JSON the way the Lambda runtime for Python writes a handler's result (its
    marshaller: ``simplejson`` with the default separators and, from python3.12, ``ensure_ascii=False``);
    the same measure stands for the event API Gateway sends."""

    def number(value: Any) -> Any:
        if isinstance(value, decimal.Decimal):
            return float(value)
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    return len(json.dumps(value, ensure_ascii=False, default=number).encode("utf-8", "surrogatepass"))


def _context_value(value: Any) -> str:
    """REST APIs hand the function the authorizer's context values as strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _arn_matches(pattern: str, arn: str) -> bool:
    """IAM resource matching: ``*`` any run of characters (``/`` included), ``?`` one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, arn) is not None


def _allows(statements: list[dict[str, Any]], method_arn: str) -> bool:
    """IAM's verdict on ``execute-api:Invoke`` of ``method_arn``: an explicit Deny wins, else an Allow."""

    def matches(statement: dict[str, Any]) -> bool:
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        return any(_arn_matches(a, "execute-api:Invoke") for a in actions) and any(
            _arn_matches(r, method_arn) for r in resources
        )

    effects = {str(s.get("Effect")) for s in statements if matches(s)}
    return "Allow" in effects and "Deny" not in effects

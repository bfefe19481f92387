"""Usage plans, throttling, quotas and CORS as the local API's gateway plays them (``tools.local_gateway`` and
``tools.local_throttle``), in-process with stand-in functions and a clock the test moves.

AWS's documentation for what is pinned here:

* Throttling is a token bucket per usage-plan API key, and the stage's limit per method: "Throttle requests to
  your REST APIs for better throughput in API Gateway"
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html).
* A usage plan's quota counts requests per DAY, WEEK or MONTH; a WEEK with offset 0 starts on Sunday
  (API Gateway API reference, ``QuotaSettings``).
* A method that requires an API key answers 403 when the request has none that a usage plan of the stage holds;
  with ``ApiKeySourceType: AUTHORIZER`` the key is the authorizer's ``usageIdentifierKey``
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html).
* Gateway responses may set headers (``ResponseParameters``), which is how a 401 or a 429 carries
  ``Access-Control-Allow-Origin`` (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway_stubs import UNTHROTTLED, allow, request, standard_tier, stub_gateway
from tools import local_api, local_lambda, template
from tools.local_gateway import Reply
from tools.local_state import StateDir
from tools.local_throttle import QUOTA_EXCEEDED, THROTTLED, Limiter, period_start

THROTTLED_BODY = {"code": 429, "message": "Too many requests: please retry later", "data": None}
QUOTA_BODY = {"code": 429, "message": "Request quota exceeded: please retry later", "data": None}


class Clock:
    """Epoch seconds that move only when the test says so."""

    def __init__(self, at: str = "2026-03-04T10:00:00") -> None:
        self.now = datetime.fromisoformat(at).replace(tzinfo=UTC).timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def key_of(tenant: str) -> str:
    """An API key naming its tenant (well-formed, so that it passes the authorizer's ValidationExpression)."""
    return "ragflow-" + tenant.ljust(32, "0")


def tenant_policy(event: dict[str, Any]) -> dict[str, Any]:
    """An authorizer that allows everything to the tenant the key names, metered by the tenant's usage key."""
    who = event["authorizationToken"].removeprefix("Bearer ragflow-").rstrip("0")
    return {**allow(event), "principalId": who, "usageIdentifierKey": f"usage-{who}"}


def as_tenant(tenant: str, method: str = "GET", target: str = "/api/v1/datasets") -> Any:
    found = request(method, target)
    headers = [(k, f"Bearer {key_of(tenant)}" if k == "Authorization" else v) for k, v in found.headers]
    return type(found)(found.method, found.target, headers, found.body, found.source_ip)


def statuses(replies: list[Reply]) -> list[int]:
    return [r.status for r in replies]


# ---- the token bucket and the quota period, table-driven ------------------------------------------------

PERIODS = [
    ("DAY", "2026-03-04T10:00:00", "2026-03-04T00:00:00"),
    ("DAY", "2026-03-04T00:00:00", "2026-03-04T00:00:00"),
    ("WEEK", "2026-03-04T10:00:00", "2026-03-01T00:00:00"),  # a Wednesday: the week began on Sunday the 1st
    ("WEEK", "2026-03-01T00:00:00", "2026-03-01T00:00:00"),
    ("WEEK", "2026-02-28T23:59:59", "2026-02-22T00:00:00"),  # a Saturday
    ("MONTH", "2026-03-31T23:59:59", "2026-03-01T00:00:00"),
    ("MONTH", "2026-03-01T00:00:00", "2026-03-01T00:00:00"),
]


@pytest.mark.parametrize(("period", "at", "start"), PERIODS)
def test_a_quota_period_starts_at_midnight_utc_of_its_day_sunday_or_first(period: str, at: str, start: str) -> None:
    assert period_start(period, Clock(at)()) == Clock(start)()


def limiter(clock: Clock, **overrides: str) -> Limiter:
    values = template.parameters({**UNTHROTTLED, **overrides})
    return Limiter(template.usage_plans(values), template.stage_throttle(values), clock)


def test_a_tenant_gets_its_burst_then_its_rate() -> None:
    clock = Clock()
    limits = limiter(clock, StandardTierRateLimit="2", StandardTierBurstLimit="3")
    usage = ("key-a", "standard")
    assert [limits.admit("GET /x", usage) for _ in range(4)] == [None, None, None, THROTTLED]
    clock.advance(0.5)  # one token back at 2 a second
    assert [limits.admit("GET /x", usage) for _ in range(2)] == [None, THROTTLED]
    clock.advance(60)  # never more than the burst
    assert [limits.admit("GET /x", usage) for _ in range(4)] == [None, None, None, THROTTLED]


def test_one_tenants_bucket_is_not_anothers() -> None:
    limits = limiter(Clock(), StandardTierRateLimit="1", StandardTierBurstLimit="1")
    assert limits.admit("GET /x", ("key-a", "standard")) is None
    assert limits.admit("GET /x", ("key-a", "standard")) == THROTTLED
    assert limits.admit("GET /x", ("key-b", "standard")) is None


def test_the_stage_limit_is_a_ceiling_per_method_over_every_tenant() -> None:
    limits = limiter(Clock(), ThrottlingRateLimit="1", ThrottlingBurstLimit="2")
    assert limits.admit("GET /x", ("key-a", "standard")) is None
    assert limits.admit("GET /x", ("key-b", "standard")) is None
    assert limits.admit("GET /x", ("key-c", "standard")) == THROTTLED
    assert limits.admit("POST /x", ("key-c", "standard")) is None  # another method, another bucket
    assert limits.admit("GET /x", None) == THROTTLED  # a preflight too


def test_a_refused_request_takes_no_token_and_does_not_count_toward_the_quota() -> None:
    clock = Clock()
    limits = limiter(clock, StandardTierRateLimit="1", StandardTierBurstLimit="1", StandardTierQuota="2")
    usage = ("key-a", "standard")
    assert [limits.admit("GET /x", usage) for _ in range(5)] == [None] + [THROTTLED] * 4
    clock.advance(1)
    assert limits.admit("GET /x", usage) is None  # the second of its quota of 2
    clock.advance(1)
    assert limits.admit("GET /x", usage) == QUOTA_EXCEEDED


# ---- through the gateway: envelopes, tiers, the quota's end ----------------------------------------------


def test_a_spent_quota_answers_429_quota_exceeded_until_its_period_ends() -> None:
    clock = Clock("2026-03-04T23:59:00")
    gateway, stubs = stub_gateway(overrides={**UNTHROTTLED, "StandardTierQuota": "3"}, clock=clock)
    assert statuses([gateway.handle(request()) for _ in range(3)]) == [200] * 3
    refused = gateway.handle(request())
    assert (refused.status, json.loads(refused.body)) == (429, QUOTA_BODY)
    assert refused.served_by == "gateway:QUOTA_EXCEEDED"
    clock.advance(59)  # 23:59:59, the same day
    assert gateway.handle(request()).status == 429
    clock.advance(1)  # midnight UTC: a new period
    assert statuses([gateway.handle(request()) for _ in range(4)]) == [200, 200, 200, 429]
    assert len(stubs["ListDatasetsFunction"].events) == 6  # a refused request never reaches the function


def test_a_weekly_quota_lasts_until_sunday() -> None:
    clock = Clock("2026-03-04T12:00:00")  # Wednesday
    overrides = {**UNTHROTTLED, "StandardTierQuota": "1", "TierQuotaPeriod": "WEEK"}
    gateway, _ = stub_gateway(overrides=overrides, clock=clock)
    assert statuses([gateway.handle(request()), gateway.handle(request())]) == [200, 429]
    clock.now = Clock("2026-03-07T23:59:59")()  # Saturday night
    assert gateway.handle(request()).status == 429
    clock.now = Clock("2026-03-08T00:00:00")()  # Sunday
    assert gateway.handle(request()).status == 200


def test_each_tenant_is_throttled_by_its_own_tier() -> None:
    tiers = {"small": "standard", "big": "large"}
    overrides = {**UNTHROTTLED, "StandardTierRateLimit": "1", "StandardTierBurstLimit": "2"}
    overrides |= {"LargeTierRateLimit": "1", "LargeTierBurstLimit": "5", "LargeTierQuota": "100"}
    gateway, _ = stub_gateway(
        authorizer=tenant_policy,
        overrides=overrides,
        usage_tiers=lambda tenant, key: (tiers[tenant], f"id-{tenant}"),
        clock=Clock(),
    )
    small = [gateway.handle(as_tenant("small")) for _ in range(6)]
    big = [gateway.handle(as_tenant("big")) for _ in range(6)]
    assert statuses(small) == [200, 200] + [429] * 4
    assert statuses(big) == [200] * 5 + [429]
    assert all(json.loads(r.body) == THROTTLED_BODY for r in small[2:])


def test_the_function_sees_the_api_key_it_was_metered_by() -> None:
    gateway, stubs = stub_gateway()
    gateway.handle(request())
    (event,) = stubs["ListDatasetsFunction"].events
    assert event["requestContext"]["identity"]["apiKey"] == "usage-key-of-t1"
    assert event["requestContext"]["identity"]["apiKeyId"] == "id-usage-key-of-t1"


@pytest.mark.parametrize(
    ("authorizer", "usage_tiers"),
    [
        (lambda e: {k: v for k, v in allow(e).items() if k != "usageIdentifierKey"}, standard_tier),
        (allow, lambda tenant, key: None),
    ],
    ids=["no-usage-key-returned", "usage-key-in-no-plan"],
)
def test_a_request_metered_by_no_usage_plan_is_403_invalid_api_key(authorizer: Any, usage_tiers: Any) -> None:
    gateway, stubs = stub_gateway(authorizer=authorizer, usage_tiers=usage_tiers)
    refused = gateway.handle(request())
    assert refused.status == 403
    assert refused.served_by == "gateway:INVALID_API_KEY"
    assert json.loads(refused.body) == json.loads(template.gateway_responses()["INVALID_API_KEY"].template)
    assert not any(stub.events for stub in stubs.values())


def test_a_usage_key_that_is_not_a_string_is_a_malformed_authorizer_answer() -> None:
    gateway, _ = stub_gateway(authorizer=lambda e: {**allow(e), "usageIdentifierKey": 7})
    assert gateway.handle(request()).served_by == "gateway:AUTHORIZER_CONFIGURATION_ERROR"


# ---- CORS ---------------------------------------------------------------------------------------------------

ORIGIN = "https://app.example.com"
CORS = {**UNTHROTTLED, "AllowedOrigin": ORIGIN}


def test_a_preflight_is_answered_by_the_gateway_without_any_function() -> None:
    gateway, stubs = stub_gateway(
        authorizer=RuntimeError("the authorizer must not run"), overrides={**UNTHROTTLED, "AllowedOrigin": ORIGIN}
    )
    for path in ("/api/v1/datasets", "/api/v1/dataset/0190f5a2c3d44e7f8a9b0c1d2e3f4a5b"):
        reply = gateway.handle(request("OPTIONS", path))
        headers = dict(reply.headers)
        assert reply.status == 200
        assert reply.body == b"{}\n"
        assert headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "Authorization" in headers["Access-Control-Allow-Headers"]
        assert "Idempotency-Key" in headers["Access-Control-Allow-Headers"]
    assert not any(stub.events for stub in stubs.values())
    assert gateway.handle(request("OPTIONS", "/api/v1/nothing")).status == 404  # no such path, no preflight


def test_without_an_allowed_origin_a_preflight_allows_no_origin() -> None:
    gateway, _ = stub_gateway()
    reply = gateway.handle(request("OPTIONS", "/api/v1/datasets"))
    assert "Access-Control-Allow-Origin" not in dict(reply.headers)
    assert "Access-Control-Allow-Origin" not in dict(gateway.handle(request("GET", "/api/v1/nothing")).headers)


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("UNAUTHORIZED", lambda: stub_gateway(authorizer=Exception("Unauthorized"), overrides=CORS)),
        ("THROTTLED", lambda: stub_gateway(overrides={**CORS, "StandardTierBurstLimit": "0"})),
        ("QUOTA_EXCEEDED", lambda: stub_gateway(overrides={**CORS, "StandardTierQuota": "1"})),
        ("INVALID_API_KEY", lambda: stub_gateway(usage_tiers=lambda t, k: None, overrides=CORS)),
    ],
)
def test_a_browser_can_read_the_gateways_own_refusals(kind: str, make: Any) -> None:
    gateway, _ = make()
    replies = [gateway.handle(request()) for _ in range(2)]
    refused = next(r for r in replies if r.served_by == f"gateway:{kind}")
    assert dict(refused.headers)["Access-Control-Allow-Origin"] == ORIGIN
    assert set(json.loads(refused.body)) == {"code", "message", "data"}


# ---- --parameter-overrides, as sam deploy takes them ------------------------------------------------------

OVERRIDES = [
    (["A=1"], {"A": "1"}),
    (["A=1", "B=2"], {"A": "1", "B": "2"}),
    (["A=1 B=2"], {"A": "1", "B": "2"}),
    (["A='x y' B=\"z\""], {"A": "x y", "B": "z"}),
    (["ParameterKey=A,ParameterValue=1,2"], {"A": "1,2"}),
    (["A="], {"A": ""}),
    (["A=1", "A=2"], {"A": "2"}),
    (["A=b=c"], {"A": "b=c"}),
]


@pytest.mark.parametrize(("tokens", "parsed"), OVERRIDES)
def test_parameter_overrides_are_read_as_sam_deploy_reads_them(tokens: list[str], parsed: dict[str, str]) -> None:
    assert local_api.parameter_overrides(tokens) == parsed


@pytest.mark.parametrize("tokens", [["A"], ["=1"], ["A=1 B"]])
def test_a_parameter_override_that_is_not_key_value_is_refused(tokens: list[str]) -> None:
    with pytest.raises(ValueError, match="Key=Value"):
        local_api.parameter_overrides(tokens)


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("NoSuchParameter=1", "do not exist in the template"),
        ("StandardTierRateLimit=fast", "must be a number"),
        ("StandardTierQuota=0", "greater than or equal to 1"),
        ("TierQuotaPeriod=YEAR", "AllowedValues"),
        ("AllowedOrigin=https://a.example.com,https://b.example.com", "must match pattern"),
        ("DeploymentType=Blue", "AllowedValues"),
    ],
)
def test_the_local_api_refuses_what_cloudformation_refuses(
    argument: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        local_api.parse_args(["--parameter-overrides", argument])
    assert message in capsys.readouterr().err


def test_every_template_parameter_can_be_overridden_and_reaches_what_it_configures(tmp_path: Path) -> None:
    overrides = [
        "StageName=beta",
        "AuthorizerCacheTtl=5",
        "DatasetQuota=7",
        "LargeTierQuota=9",
        f"AllowedOrigin={ORIGIN}",
    ]
    args = local_api.parse_args(["--parameter-overrides", *overrides])
    assert set(args.parameters) == set(template.load()["Parameters"])
    env = local_lambda.lambda_environment(local_lambda.function_ids(), "t", StateDir(tmp_path), args.parameters)
    assert (env["DATASET_QUOTA"], env["ALLOWED_ORIGIN"]) == ("7", ORIGIN)
    assert template.authorizer(args.parameters)[2] == 5
    assert template.usage_plans(args.parameters)["large"].quota == 9
    gateway, stubs = stub_gateway(overrides={**UNTHROTTLED, "StageName": "beta"})
    gateway.handle(request())
    assert stubs["ListDatasetsFunction"].events[0]["requestContext"]["stage"] == "beta"


def test_auth_cache_ttl_is_a_shortcut_for_its_parameter() -> None:
    args = local_api.parse_args(["--auth-cache-ttl", "0", "--parameter-overrides", "AuthorizerCacheTtl=30"])
    assert args.parameters["AuthorizerCacheTtl"] == "0"


INTRINSICS = [
    ({"Ref": "StageName"}, "prod"),
    ({"Ref": "EmbeddingModels"}, ["a@P", "b@P"]),  # a CommaDelimitedList is a list
    ({"Fn::Join": ["|", {"Ref": "EmbeddingModels"}]}, "a@P|b@P"),
    ({"Fn::Sub": "${AWS::StackName}-${StageName}"}, "local-prod"),
    ({"Fn::Sub": ["${X}/${StageName}", {"X": {"Ref": "DatasetQuota"}}]}, "10000/prod"),
    ({"Fn::If": ["CorsEnabled", "yes", "no"]}, "no"),
    ({"k": {"Ref": "AWS::NoValue"}, "j": [1, {"Ref": "AWS::NoValue"}]}, {"j": [1]}),
    ({"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}, False),
]


@pytest.mark.parametrize(("expression", "value"), INTRINSICS)
def test_intrinsic_functions_on_parameters_are_evaluated_as_cloudformation_does(expression: Any, value: Any) -> None:
    assert template.resolve(expression, template.parameters({"EmbeddingModels": "a@P,b@P"})) == value


@pytest.mark.parametrize("expression", [{"Ref": "DatasetTable"}, {"Fn::GetAtt": ["DatasetTable", "Arn"]}])
def test_what_only_aws_knows_is_refused_not_made_up(expression: Any) -> None:
    with pytest.raises(template.ParameterError):
        template.resolve(expression, template.parameters())

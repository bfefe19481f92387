"""template.yaml runs a multi-tenant service: usage plans per tier, alarms, a dashboard, canary deploys, CORS.

AWS's documentation for the limits pinned here:

* "Choose an API key source": with ``ApiKeySourceType: AUTHORIZER`` the Lambda authorizer returns the API key
  as ``usageIdentifierKey`` (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html).
* CodeDeploy takes at most 10 CloudWatch alarms per deployment group ("Quotas", "Number of alarms per
  deployment group": https://docs.aws.amazon.com/codedeploy/latest/userguide/limits.html).
* CloudWatch alarms on metric math may not use SEARCH ("Create a CloudWatch alarm based on a metric math
  expression": https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from dataset_core import config
from tools import template
from tools.usage_plans import DEFAULT_TIER

FUNCTIONS = template.resources("AWS::Serverless::Function")
ALARMS = template.resources("AWS::CloudWatch::Alarm")
MAX_ALARMS_PER_DEPLOYMENT_GROUP = 10


def api() -> dict[str, Any]:
    (found,) = template.resources("AWS::Serverless::Api").values()
    return dict(found["Properties"])


def alarm_metrics(alarm: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(namespace, metric, dimensions) of each metric an alarm reads, directly or through metric math."""
    props = alarm["Properties"]
    if "MetricName" in props:
        return [(props["Namespace"], props["MetricName"], {d["Name"]: d["Value"] for d in props.get("Dimensions", [])})]
    found = []
    for query in props["Metrics"]:
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            found.append((metric["Namespace"], metric["MetricName"], dims))
        else:
            assert "SEARCH" not in query["Expression"].upper(), "an alarm cannot use SEARCH"
    return found


def alarm_reading(namespace: Any, metric: str, **dimensions: Any) -> str:
    """The logical id of the one alarm reading ``metric`` with at least these dimensions."""
    found = [
        name
        for name, alarm in ALARMS.items()
        for ns, name_, dims in alarm_metrics(alarm)
        if ns == namespace and name_ == metric and all(dims.get(k) == v for k, v in dimensions.items())
    ]
    assert len(set(found)) == 1, f"{metric} {dimensions}: {found}"
    return found[0]


# ---- per-tenant throttling and quotas -------------------------------------------------------------------


def test_every_method_is_metered_by_the_key_the_authorizer_returns_and_a_preflight_by_none() -> None:
    props = api()
    assert props["ApiKeySourceType"] == "AUTHORIZER"
    assert props["Auth"]["ApiKeyRequired"] is True
    assert props["Auth"]["AddApiKeyRequiredToCorsPreflight"] is False
    assert props["Auth"]["AddDefaultAuthorizerToCorsPreflight"] is False
    assert template.api_key_required()


@pytest.mark.parametrize("tier", ["standard", "large"])
def test_each_tier_is_a_usage_plan_of_the_stage_with_rate_burst_and_quota_as_parameters(tier: str) -> None:
    plan = template.usage_plans()[tier]
    props = template.resources()[plan.logical_id]["Properties"]
    assert props["ApiStages"] == [{"ApiId": {"Ref": "DatasetApi"}, "Stage": {"Ref": "DatasetApi.Stage"}}]
    name = tier.capitalize()
    assert props["Throttle"] == {
        "RateLimit": {"Ref": f"{name}TierRateLimit"},
        "BurstLimit": {"Ref": f"{name}TierBurstLimit"},
    }
    assert props["Quota"] == {"Limit": {"Ref": f"{name}TierQuota"}, "Period": {"Ref": "TierQuotaPeriod"}}
    assert {"Key": "tier", "Value": tier} in props["Tags"]


def test_the_default_tier_exists_and_the_large_tier_is_larger_by_default() -> None:
    plans = template.usage_plans()
    assert DEFAULT_TIER in plans
    standard, large = plans["standard"], plans["large"]
    assert large.throttle.rate > standard.throttle.rate
    assert large.throttle.burst > standard.throttle.burst
    assert large.quota > standard.quota
    assert template.parameters()["TierQuotaPeriod"] in {"DAY", "WEEK", "MONTH"}


def test_the_stage_throttling_stays_as_the_global_ceiling() -> None:
    stage = template.stage_throttle()
    assert stage.rate >= max(p.throttle.rate for p in template.usage_plans().values())


def test_a_tenant_on_no_usage_plan_gets_a_403_in_the_envelope() -> None:
    response = template.gateway_responses()["INVALID_API_KEY"]
    assert response.status == 403
    body = json.loads(response.template)
    assert set(body) == {"code", "message", "data"}
    assert body["code"] == 403
    assert "tier" in body["message"]


@pytest.mark.parametrize(("kind", "word"), [("THROTTLED", "Too many requests"), ("QUOTA_EXCEEDED", "quota")])
def test_throttles_and_spent_quotas_are_429_envelopes(kind: str, word: str) -> None:
    response = template.gateway_responses()[kind]
    assert response.status == 429
    body = json.loads(response.template)
    assert body["code"] == 429
    assert word in body["message"]


# ---- alarms and the dashboard ---------------------------------------------------------------------------

API_DIMENSIONS = {"ApiName": {"Fn::Sub": "${AWS::StackName}-api"}, "Stage": {"Ref": "StageName"}}
STACK_NAMESPACE = {"Fn::Sub": "RagflowDatasets/${AWS::StackName}"}
DYNAMODB_OPERATIONS = {"GetItem", "BatchGetItem", "Query", "TransactWriteItems"}


def test_the_api_is_named_as_its_metrics_dimension_says() -> None:
    assert api()["Name"] == API_DIMENSIONS["ApiName"]


def test_the_access_log_error_field_is_the_gateway_response_type_and_metric_filters_count_refusals() -> None:
    assert '"error":"$context.error.responseType"' in api()["AccessLogSetting"]["Format"]
    filters = {
        f["Properties"]["MetricTransformations"][0]["MetricName"]: f["Properties"]
        for f in template.resources("AWS::Logs::MetricFilter").values()
    }
    for metric, types in [
        ("ThrottledRequests", ["THROTTLED"]),
        ("QuotaExceededRequests", ["QUOTA_EXCEEDED"]),
        ("AuthorizerFailures", ["AUTHORIZER_FAILURE", "AUTHORIZER_CONFIGURATION_ERROR"]),
    ]:
        spec = filters[metric]
        assert spec["LogGroupName"] == {"Ref": "ApiAccessLogGroup"}
        assert re.findall(r'\$\.error = "([A-Z_]+)"', spec["FilterPattern"]) == types
        transformation = spec["MetricTransformations"][0]
        assert transformation["MetricNamespace"] == STACK_NAMESPACE
        assert transformation["DefaultValue"] == 0  # zeros, not gaps: an alarm sees the quiet minutes


@pytest.mark.parametrize(
    ("namespace", "metric", "dimensions", "threshold"),
    [
        ("AWS/ApiGateway", "5XXError", API_DIMENSIONS, "Api5xxRateThreshold"),
        ("AWS/ApiGateway", "Latency", API_DIMENSIONS, "ApiLatencyP99ThresholdMs"),
        (STACK_NAMESPACE, "ThrottledRequests", {}, "ApiThrottleThreshold"),
        (STACK_NAMESPACE, "AuthorizerFailures", {}, "AuthorizerFailureThreshold"),
    ],
    ids=["5xx-rate", "p99-latency", "throttles-429", "authorizer-failures"],
)
def test_api_alarms(namespace: Any, metric: str, dimensions: dict[str, Any], threshold: str) -> None:
    alarm = ALARMS[alarm_reading(namespace, metric, **dimensions)]["Properties"]
    assert alarm["Threshold"] == {"Ref": threshold}
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert alarm["TreatMissingData"] == "notBreaching"


def test_the_latency_alarm_is_on_p99_and_the_5xx_alarm_on_the_rate() -> None:
    latency = ALARMS[alarm_reading("AWS/ApiGateway", "Latency", **API_DIMENSIONS)]["Properties"]
    assert latency["ExtendedStatistic"] == "p99"
    errors = ALARMS[alarm_reading("AWS/ApiGateway", "5XXError", **API_DIMENSIONS)]["Properties"]
    assert errors["Statistic"] == "Average"  # 5XXError's average is the share of 5xx responses


def test_the_throttle_alarm_counts_both_kinds_of_429() -> None:
    name = alarm_reading(STACK_NAMESPACE, "ThrottledRequests")
    assert name == alarm_reading(STACK_NAMESPACE, "QuotaExceededRequests")


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
@pytest.mark.parametrize(
    ("metric", "threshold"), [("Errors", "FunctionErrorThreshold"), ("Throttles", "FunctionThrottleThreshold")]
)
def test_each_function_has_an_errors_and_a_throttles_alarm_on_its_alias(
    function: str, metric: str, threshold: str
) -> None:
    name = alarm_reading("AWS/Lambda", metric, FunctionName={"Ref": function})
    props = ALARMS[name]["Properties"]
    dims = alarm_metrics(ALARMS[name])[0][2]
    assert dims["Resource"] == {"Fn::Sub": f"${{{function}}}:live"}
    if metric == "Errors":  # the version behind the alias: during a canary, the new one
        assert dims["ExecutedVersion"] == {"Fn::GetAtt": [function, "Version.Version"]}
    assert props["Threshold"] == {"Ref": threshold}
    assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]


@pytest.mark.parametrize(
    ("metric", "threshold"),
    [("ThrottledRequests", "DynamoDbThrottleThreshold"), ("SystemErrors", "DynamoDbSystemErrorThreshold")],
)
def test_dynamodb_alarms_sum_every_operation_on_the_request_path(metric: str, threshold: str) -> None:
    alarm = next(
        a
        for a in ALARMS.values()
        if {m for _, m, _ in alarm_metrics(a)} == {metric} and "AWS/DynamoDB" in json.dumps(a)
    )
    read = alarm_metrics(alarm)
    assert {dims["Operation"] for _, _, dims in read} == DYNAMODB_OPERATIONS
    assert all(dims["TableName"] == {"Ref": "DatasetTable"} for _, _, dims in read)
    assert alarm["Properties"]["Threshold"] == {"Ref": threshold}


def test_every_alarm_notifies_the_topic_which_may_mail_someone() -> None:
    for name, alarm in ALARMS.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["Properties"]["OKActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["Properties"]["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-"), name
    subscription = template.resources()["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert template.parameter_default("AlarmEmail") == ""
    assert template.conditions(template.parameters())["HasAlarmEmail"] is False
    assert template.conditions(template.parameters({"AlarmEmail": "ops@example.com"}))["HasAlarmEmail"] is True


def test_the_dashboard_shows_every_alarm_and_the_same_metrics() -> None:
    (dashboard,) = template.resources("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    references = set(re.findall(r"\$\{([^}]+)\}", body))
    parsed = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))  # valid JSON once CloudFormation fills it in
    widgets = parsed["widgets"]
    (alarm_widget,) = [w for w in widgets if w["type"] == "alarm"]
    assert {f"{name}.Arn" for name in ALARMS} <= references
    assert len(alarm_widget["properties"]["alarms"]) == len(ALARMS)
    shown = {m[1] for w in widgets if w["type"] == "metric" for m in w["properties"]["metrics"]}
    assert {"5XXError", "Latency", "ThrottledRequests", "QuotaExceededRequests", "AuthorizerFailures"} <= shown
    assert {"Errors", "Throttles", "ThrottledRequests", "SystemErrors"} <= shown
    assert set(FUNCTIONS) <= references
    assert "SEARCH" not in body  # not needed, and the alarms could not use it either


# ---- safe deploys ---------------------------------------------------------------------------------------


def test_every_function_deploys_through_its_alias_the_deployment_type_way() -> None:
    function_globals = template.load()["Globals"]["Function"]
    assert function_globals["AutoPublishAlias"] == "live"
    assert function_globals["DeploymentPreference"] == {
        "Type": {"Ref": "DeploymentType"},
        "Role": {"Fn::GetAtt": ["CodeDeployRole", "Arn"]},
    }
    allowed = template.load()["Parameters"]["DeploymentType"]["AllowedValues"]
    assert any(v.startswith("Canary") for v in allowed)
    assert any(v.startswith("Linear") for v in allowed)
    assert template.parameter_default("DeploymentType").startswith("Canary")


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_deploy_rolls_back_on_its_functions_alarms_and_the_apis(function: str) -> None:
    alarms = FUNCTIONS[function]["Properties"]["DeploymentPreference"]["Alarms"]
    names = {a["Ref"] for a in alarms}
    assert alarm_reading("AWS/Lambda", "Errors", FunctionName={"Ref": function}) in names
    assert alarm_reading("AWS/Lambda", "Throttles", FunctionName={"Ref": function}) in names
    assert alarm_reading("AWS/ApiGateway", "5XXError", **API_DIMENSIONS) in names
    assert alarm_reading("AWS/ApiGateway", "Latency", **API_DIMENSIONS) in names
    if function == "AuthorizerFunction":
        assert alarm_reading(STACK_NAMESPACE, "AuthorizerFailures") in names
    assert names <= set(ALARMS)
    assert len(alarms) <= MAX_ALARMS_PER_DEPLOYMENT_GROUP


def test_api_gateway_calls_the_authorizer_through_its_alias() -> None:
    spec = api()["Auth"]["Authorizers"]["ApiKeyAuthorizer"]
    assert spec["FunctionArn"] == {"Ref": "AuthorizerFunction.Alias"}
    assert template.authorizer()[0] == template.ROOT / "functions" / "authorizer"


def test_codedeploy_may_move_only_this_stacks_aliases_and_read_alarms() -> None:
    role = template.resources()["CodeDeployRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "codedeploy.amazonaws.com"}
    assert "ManagedPolicyArns" not in role
    (policy,) = role["Policies"]
    lambda_statement, alarms_statement = policy["PolicyDocument"]["Statement"]
    assert lambda_statement["Action"] == [
        "lambda:GetAlias",
        "lambda:UpdateAlias",
        "lambda:GetProvisionedConcurrencyConfig",
    ]
    expected = [
        r
        for f in sorted(FUNCTIONS, key=list(FUNCTIONS).index)
        for r in ({"Fn::GetAtt": [f, "Arn"]}, {"Fn::Sub": f"${{{f}.Arn}}:*"})
    ]
    assert lambda_statement["Resource"] == expected
    assert alarms_statement == {"Effect": "Allow", "Action": ["cloudwatch:DescribeAlarms"], "Resource": "*"}


# ---- CORS -----------------------------------------------------------------------------------------------

ORIGINS = [
    ("", True),
    ("*", True),
    ("https://app.example.com", True),
    ("http://localhost:3000", True),
    ("https://app.example.com/", False),
    ("https://a.example.com,https://b.example.com", False),
    ("ftp://example.com", False),
    ("https://example.com/path", False),
    ("null", False),
]


@pytest.mark.parametrize(("origin", "accepted"), ORIGINS)
def test_the_template_and_the_functions_accept_the_same_origins(
    origin: str, accepted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        template.parameters({"AllowedOrigin": origin})
        by_template = True
    except template.ParameterError:
        by_template = False
    monkeypatch.setenv("ALLOWED_ORIGIN", origin)
    config.settings.cache_clear()
    try:
        by_functions = config.settings().allowed_origin == (origin or None)
    except ValueError:
        by_functions = False
    finally:
        config.settings.cache_clear()
    assert (by_template, by_functions) == (accepted, accepted)


def test_no_origin_is_allowed_by_default() -> None:
    assert template.parameter_default("AllowedOrigin") == ""
    assert "Access-Control-Allow-Origin" not in (template.cors_preflight() or {})
    assert all(not r.headers for r in template.gateway_responses().values())
    env = template.load()["Globals"]["Function"]["Environment"]["Variables"]
    assert env["ALLOWED_ORIGIN"] == {"Ref": "AllowedOrigin"}


def test_an_allowed_origin_reaches_the_preflight_and_every_gateway_response() -> None:
    values = template.parameters({"AllowedOrigin": "https://app.example.com"})
    preflight = template.cors_preflight(values)
    assert preflight is not None
    assert preflight["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert set(preflight["Access-Control-Allow-Headers"].split(",")) == {
        "Authorization",
        "Content-Type",
        "Idempotency-Key",
    }
    assert set(preflight["Access-Control-Allow-Methods"].split(",")) >= {r.method for r in template.routes()}
    responses = template.gateway_responses(values)
    assert {"UNAUTHORIZED", "THROTTLED", "QUOTA_EXCEEDED", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    for kind, response in responses.items():
        assert response.headers == {"Access-Control-Allow-Origin": "https://app.example.com"}, kind

"""Security- and contract-relevant properties of template.yaml that cfn-lint does not check."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import EVENTS, ROOT, load_event
from dataset_core import errors, payload
from tools import template

FUNCTIONS = template.resources("AWS::Serverless::Function")
ROUTE_FUNCTIONS = {r.function for r in template.routes()}
REQUIRED_GATEWAY_RESPONSES = {
    "UNAUTHORIZED": 401,
    "ACCESS_DENIED": 403,
    "MISSING_AUTHENTICATION_TOKEN": 404,
    "RESOURCE_NOT_FOUND": 404,
    "THROTTLED": 429,
    "REQUEST_TOO_LARGE": 413,
    "BAD_REQUEST_BODY": 400,
    "BAD_REQUEST_PARAMETERS": 400,
    "AUTHORIZER_FAILURE": 503,
    "DEFAULT_4XX": None,
    "DEFAULT_5XX": None,
}


def role_of(function: str) -> dict[str, Any]:
    """The function's own role: SAM makes none (it would attach AWSLambdaBasicExecutionRole, logs on ``*``)."""
    fn = FUNCTIONS[function]["Properties"]
    assert "Policies" not in fn, f"{function}: SAM policies come with SAM's managed ones; give it a Role"
    (role_name,) = fn["Role"]["Fn::GetAtt"][:1]
    role = template.resources()[role_name]
    assert role["Type"] == "AWS::IAM::Role"
    return dict(role["Properties"])


def statements() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name in FUNCTIONS:
        role = role_of(name)
        assert "ManagedPolicyArns" not in role, f"{name}: managed policies grant on * resources"
        for policy in role["Policies"]:
            found += [(name, statement) for statement in policy["PolicyDocument"]["Statement"]]
    return found


def dynamodb_statements(function: str) -> list[dict[str, Any]]:
    return [s for name, s in statements() if name == function and s["Action"][0].startswith("dynamodb:")]


def test_every_route_is_behind_the_api_key_authorizer() -> None:
    (api,) = template.resources("AWS::Serverless::Api").values()
    auth = api["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "ApiKeyAuthorizer"
    spec = auth["Authorizers"]["ApiKeyAuthorizer"]
    assert spec["FunctionPayloadType"] == "TOKEN"
    assert spec["Identity"]["Header"] == "Authorization"
    assert spec["Identity"]["ReauthorizeEvery"] == {"Ref": "AuthorizerCacheTtl"}
    assert template.parameter_default("AuthorizerCacheTtl") == 60
    for fn in FUNCTIONS.values():
        for event in (fn["Properties"].get("Events") or {}).values():
            assert event["Properties"]["RestApiId"] == {"Ref": "DatasetApi"}
            assert "Auth" not in event["Properties"], "no route may override (or switch off) the authorizer"


@pytest.mark.parametrize(("response_type", "status"), REQUIRED_GATEWAY_RESPONSES.items())
def test_gateway_responses_carry_the_envelope_and_status(response_type: str, status: int | None) -> None:
    response = template.gateway_responses()[response_type]
    assert response.status == status
    rendered = (
        response.template.replace("$context.path", "/prod/x")
        .replace("$context.requestId", "r-1")
        .replace("$context.error.messageString", '"Missing Authentication Token"')
    )
    body = json.loads(rendered)
    assert set(body) == {"code", "message", "data"}
    assert rendered == payload.dumps(body)  # byte for byte as the functions write an envelope (keys sorted)
    assert isinstance(body["code"], int)
    assert isinstance(body["message"], str)
    assert body["message"]
    assert body["data"] is None


def test_auth_errors_say_the_contract_message() -> None:
    body = json.loads(template.gateway_responses()["UNAUTHORIZED"].template)
    assert body == {"code": 401, "message": errors.AUTH_MESSAGE, "data": None}
    body = json.loads(template.gateway_responses()["ACCESS_DENIED"].template)
    assert body == {"code": 403, "message": errors.READ_ONLY_MESSAGE, "data": None}


def test_refusal_reasons_and_granted_scopes_are_counted_from_the_authorizers_logs() -> None:
    filters = {f["Properties"]["MetricTransformations"][0]["MetricName"]: f["Properties"] for f in
               template.resources("AWS::Logs::MetricFilter").values()}  # fmt: skip
    for metric, message, dimension in [("ApiKeysRefused", "API key refused", "reason"),
                                       ("ApiKeysAccepted", "API key accepted", "scope")]:  # fmt: skip
        spec = filters[metric]
        assert spec["LogGroupName"] == {"Ref": "AuthorizerLogGroup"}
        assert spec["FilterPattern"] == f'{{ $.message = "{message}" }}'
        assert spec["MetricTransformations"][0]["Dimensions"] == [{"Key": dimension, "Value": f"$.{dimension}"}]


def test_table_is_on_demand_recoverable_encrypted_protected_and_retained() -> None:
    (table,) = template.resources("AWS::DynamoDB::Table").values()
    props = table["Properties"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["DeletionProtectionEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}  # idempotency records
    (lsi,) = props["LocalSecondaryIndexes"]
    assert lsi["IndexName"] == "by_update_time"
    assert [k["AttributeName"] for k in lsi["KeySchema"]] == ["pk", "update_sk"]


def test_no_wildcard_action_and_no_wildcard_resource_but_x_rays() -> None:
    """X-Ray's PutTraceSegments and PutTelemetryRecords take no resource-level permissions (AWS, "Actions,
    resources, and condition keys for AWS X-Ray"): the one ``*`` resource, and only for those two actions."""
    found = statements()
    assert {name for name, _ in found} == set(FUNCTIONS)  # every function has its own statements
    for name, statement in found:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert statement["Effect"] == "Allow"
        assert all("*" not in action for action in actions), f"{name}: wildcard action in {actions}"
        if resources == ["*"]:
            assert actions == ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], name
        else:
            assert all("*" not in json.dumps(resource) for resource in resources), f"{name}: wildcard resource"


def test_each_function_writes_logs_to_its_own_log_group_only() -> None:
    for name in FUNCTIONS:
        (logs,) = [s for fn, s in statements() if fn == name and s["Action"][0].startswith("logs:")]
        assert logs["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
        assert logs["Resource"] == {"Fn::GetAtt": [name.replace("Function", "LogGroup"), "Arn"]}


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_route_functions_reach_tenant_partitions_only_and_the_authorizer_key_items_only(function: str) -> None:
    """``dynamodb:LeadingKeys``: a route function cannot read or write an ``APIKEY#`` item (a key's digest and
    tenant), and the authorizer cannot read a dataset, whatever their code does."""
    leading = "APIKEY#*" if function == "AuthorizerFunction" else "TENANT#*"
    for statement in dynamodb_statements(function):
        assert statement["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [leading]}}


@pytest.mark.parametrize(
    ("function", "actions"),
    [
        ("AuthorizerFunction", {"dynamodb:GetItem"}),
        ("CreateDatasetFunction", {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"}),
        ("ListDatasetsFunction", {"dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem"}),
        ("GetDatasetFunction", {"dynamodb:GetItem"}),
        ("UpdateDatasetFunction", {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"}),
        (
            "DeleteDatasetFunction",
            {
                "dynamodb:GetItem",
                "dynamodb:BatchGetItem",
                "dynamodb:Query",
                "dynamodb:DeleteItem",
                "dynamodb:UpdateItem",
            },
        ),
    ],
)
def test_each_function_may_do_only_what_its_operation_needs(function: str, actions: set[str]) -> None:
    granted = {a for s in dynamodb_statements(function) for a in s["Action"]}
    assert granted == actions


def test_functions_run_python313_on_arm64_with_tracing_and_both_layers() -> None:
    function_globals = template.load()["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    assert function_globals["Tracing"] == "Active"
    layers = json.dumps(function_globals["Layers"])
    assert "AWSLambdaPowertoolsPythonV3-python313-arm64:${PowertoolsLayerVersion}" in layers
    assert "SharedLayer" in layers
    for fn in FUNCTIONS.values():
        assert not {"Runtime", "Architectures", "Layers"} & set(fn["Properties"])


def test_every_function_has_its_log_group_with_retention() -> None:
    """The function is named, so its log group's name is known before it exists (Lambda logs to
    ``/aws/lambda/<function name>``) and its role can name the group without a circular reference."""
    groups = template.resources("AWS::Logs::LogGroup")
    for name, fn in FUNCTIONS.items():
        function_name = fn["Properties"]["FunctionName"]["Fn::Sub"]
        group = groups[name.replace("Function", "LogGroup")]["Properties"]
        assert group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/{function_name}"}
    assert all(g["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"} for g in groups.values())


def test_stage_is_traced_and_throttled() -> None:
    (api,) = template.resources("AWS::Serverless::Api").values()
    props = api["Properties"]
    assert props["TracingEnabled"] is True
    (setting,) = props["MethodSettings"]
    assert setting["ThrottlingRateLimit"] == {"Ref": "ThrottlingRateLimit"}
    assert setting["ThrottlingBurstLimit"] == {"Ref": "ThrottlingBurstLimit"}


def test_outputs_name_the_api_url_and_the_table() -> None:
    outputs = template.load()["Outputs"]
    assert "/api/v1" in json.dumps(outputs["ApiUrl"]["Value"])
    assert outputs["TableName"]["Value"] == {"Ref": "DatasetTable"}


def test_every_route_has_its_function_code_and_an_event_file() -> None:
    events = {
        (e["httpMethod"], e["resource"]): path.stem
        for path in EVENTS.glob("*.json")
        if "httpMethod" in (e := load_event(path.stem))
    }
    for route in template.routes():
        assert (route.code_dir / "app.py").is_file()
        assert (route.method, route.path) in events, f"no events/ file for {route.method} {route.path}"
    assert set(FUNCTIONS) - {"AuthorizerFunction"} == ROUTE_FUNCTIONS
    assert (ROOT / "layers" / "shared" / "dataset_core" / "__init__.py").is_file()


def test_every_checkov_skip_is_written_in_the_template_with_its_reason() -> None:
    skips = [
        (name, skip)
        for name, res in template.resources().items()
        for skip in (res.get("Metadata") or {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    for name, skip in skips:
        assert skip["id"].startswith("CKV"), name
        assert len(skip.get("comment", "")) > 30, f"{name}: skip {skip['id']} needs a reason"


def test_api_access_logs_never_record_the_authorization_header() -> None:
    (api,) = template.resources("AWS::Serverless::Api").values()
    log_format = api["Properties"]["AccessLogSetting"]["Format"]
    assert "$context.requestId" in log_format
    assert "$context.authorizer.tenant_id" in log_format
    assert "Authorization" not in log_format
    assert "header" not in log_format.lower()


def test_a_default_embedding_model_outside_the_configured_ones_fails_the_deploy() -> None:
    """The functions refuse it when they start (dataset_core/config.py); the template's Rules refuse the deploy
    itself, before any function exists, naming the parameters."""
    parameters = template.load()["Parameters"]
    assert parameters["EmbeddingModels"]["Type"] == "CommaDelimitedList"
    (rule,) = template.load()["Rules"].values()
    (assertion,) = rule["Assertions"]
    assert assertion["Assert"] == {"Fn::Contains": [{"Ref": "EmbeddingModels"}, {"Ref": "DefaultEmbeddingModel"}]}
    assert "DefaultEmbeddingModel" in assertion["AssertDescription"]
    assert "EmbeddingModels" in assertion["AssertDescription"]
    configured = parameters["EmbeddingModels"]["Default"].split(",")
    assert parameters["DefaultEmbeddingModel"]["Default"] in configured


def test_no_secret_is_readable_from_a_functions_configuration() -> None:
    """The page-token key's ARN is configured, its value is read at run time by the one function that signs
    tokens: whoever may read function configurations (``lambda:GetFunctionConfiguration``) cannot forge one."""
    for name, fn in FUNCTIONS.items():
        variables = fn["Properties"].get("Environment", {}).get("Variables", {})
        assert "resolve:secretsmanager" not in json.dumps(variables), name
    listed = FUNCTIONS["ListDatasetsFunction"]["Properties"]["Environment"]["Variables"]
    assert listed["PAGE_TOKEN_SECRET_ARN"] == {"Ref": "PageTokenSecret"}
    readers = {n for n, s in statements() if "secretsmanager:GetSecretValue" in s["Action"]}
    assert readers == {"ListDatasetsFunction"}
    (grant,) = [s for n, s in statements() if "secretsmanager:GetSecretValue" in s["Action"]]
    assert grant["Resource"] == {"Ref": "PageTokenSecret"}

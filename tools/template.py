"""Read ``template.yaml``: the one source of truth for routes, the authorizer, gateway responses, usage plans,
CORS, throttling and the table.

The local API, the API-key CLI and the tests all take these from here, so none of them can drift from
what ``sam deploy`` creates. Parameters take ``sam deploy``'s ``--parameter-overrides`` (``parameters``),
checked against their constraints as CloudFormation checks them, and the intrinsic functions the template
uses on them (``Ref``, ``Fn::If``, ``Fn::Sub``, conditions) are evaluated by ``resolve``: a small evaluator
of our own, since no maintained library evaluates CloudFormation intrinsics outside AWS (cfn-lint checks
them, it does not compute them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (``!Ref``, ``!Sub`` ...) kept as ``{"Fn::X": value}``."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


@cache
def load() -> dict[str, Any]:
    with TEMPLATE.open() as f:
        return dict(yaml.load(f, Loader=_CfnLoader))  # noqa: S506 - a SafeLoader subclass


def resources(kind: str | None = None) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in load()["Resources"].items() if kind is None or r["Type"] == kind}


def parameter_default(name: str) -> Any:
    return load()["Parameters"][name]["Default"]


# ---- parameters and intrinsic functions ---------------------------------------------------------------------

STACK_NAME = "local"
"""``AWS::StackName`` off AWS."""
PSEUDO_PARAMETERS = {
    "AWS::StackName": STACK_NAME,
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}


class ParameterError(ValueError):
    """An override CloudFormation would refuse: an unknown parameter, or a value outside its constraints."""


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()
"""What ``Ref: AWS::NoValue`` resolves to: the property is absent."""


def parameters(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every parameter's value, as CloudFormation takes it (a string): its default, or the override.

    Each value is checked the way CloudFormation checks it (``Type: Number``, ``MinValue``/``MaxValue``,
    ``AllowedValues``, ``AllowedPattern`` matched against the whole value); ``ParameterError`` says which and why.
    """
    declared: dict[str, dict[str, Any]] = load().get("Parameters", {})
    unknown = sorted(set(overrides or {}) - set(declared))
    if unknown:
        raise ParameterError(f"Parameters: {unknown} do not exist in the template")
    values: dict[str, str] = {}
    for name, spec in declared.items():
        if overrides and name in overrides:
            value = str(overrides[name])
        elif "Default" in spec:
            value = str(spec["Default"])
        else:
            raise ParameterError(f"Parameters: [{name}] must have values")
        _check_parameter(name, spec, value)
        values[name] = value
    return values


def _check_parameter(name: str, spec: Mapping[str, Any], value: str) -> None:
    if spec.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            raise ParameterError(f"Parameter '{name}' must be a number not '{value}'") from None
        if "MinValue" in spec and number < float(spec["MinValue"]):
            raise ParameterError(f"Parameter '{name}' must be a number greater than or equal to {spec['MinValue']}")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            raise ParameterError(f"Parameter '{name}' must be a number less than or equal to {spec['MaxValue']}")
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [str(a) for a in allowed]:
        raise ParameterError(f"Parameter '{name}' must be one of AllowedValues")
    pattern = spec.get("AllowedPattern")
    if pattern is not None and not re.fullmatch(str(pattern), value):
        raise ParameterError(f"Parameter '{name}' must match pattern {pattern}")


def conditions(values: Mapping[str, str]) -> dict[str, bool]:
    """The template's conditions, evaluated for these parameter values."""
    found: dict[str, bool] = {}
    for name, expression in load().get("Conditions", {}).items():
        found[name] = bool(resolve(expression, values))
    return found


def resolve(value: Any, values: Mapping[str, str]) -> Any:
    """``value`` with the intrinsic functions the template uses on parameters evaluated; ``NO_VALUE`` where a
    property is absent (keys and list items that resolve to it are dropped). ``Fn::GetAtt`` and references to
    resources have no value off AWS: ``ParameterError``."""
    if isinstance(value, list):
        items = [resolve(v, values) for v in value]
        return [v for v in items if v is not NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((function, argument),) = value.items()
        if function in _FUNCTIONS:
            return _FUNCTIONS[function](argument, values)
        if function.startswith("Fn::"):
            raise ParameterError(f"{function} has no value off AWS")
    resolved = {k: resolve(v, values) for k, v in value.items()}
    return {k: v for k, v in resolved.items() if v is not NO_VALUE}


def _if(argument: Any, values: Mapping[str, str]) -> Any:
    name, then, otherwise = argument
    return resolve(then if resolve({"Condition": name}, values) else otherwise, values)


def _sub(argument: Any, values: Mapping[str, str]) -> str:
    text, local = (argument, {}) if isinstance(argument, str) else argument
    local = {k: resolve(v, values) for k, v in local.items()}
    return re.sub(
        r"\$\{([^}!]+)\}", lambda m: str(local[m.group(1)] if m.group(1) in local else _ref(m.group(1), values)), text
    )


_FUNCTIONS: dict[str, Any] = {
    "Ref": lambda name, values: _ref(str(name), values),
    "Condition": lambda name, values: resolve(load()["Conditions"][name], values),
    "Fn::If": _if,
    "Fn::Equals": lambda args, values: str(resolve(args[0], values)) == str(resolve(args[1], values)),
    "Fn::Not": lambda args, values: not resolve(args[0], values),
    "Fn::And": lambda args, values: all(resolve(a, values) for a in args),
    "Fn::Or": lambda args, values: any(resolve(a, values) for a in args),
    "Fn::Sub": _sub,
    "Fn::Join": lambda args, values: str(args[0]).join(str(v) for v in resolve(args[1], values)),
}
"""The intrinsic functions evaluated off AWS, each ``(argument, parameter values) -> value``."""


def _ref(name: str, values: Mapping[str, str]) -> Any:
    if name == "AWS::NoValue":
        return NO_VALUE
    if name in values:
        if load()["Parameters"][name].get("Type") == "CommaDelimitedList":
            return values[name].split(",")
        return values[name]
    if name in PSEUDO_PARAMETERS:
        return PSEUDO_PARAMETERS[name]
    raise ParameterError(f"{name} is a resource: it has no value off AWS")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway form: /api/v1/dataset/{dataset_id}
    function: str  # logical id, e.g. CreateDatasetFunction
    code_dir: Path  # functions/create_dataset


def routes() -> list[Route]:
    found = []
    for name, res in resources("AWS::Serverless::Function").items():
        for event in (res["Properties"].get("Events") or {}).values():
            if event["Type"] == "Api":
                props = event["Properties"]
                code_dir = ROOT / res["Properties"]["CodeUri"]
                found.append(Route(props["Method"].upper(), props["Path"], name, code_dir))
    return found


def _api() -> dict[str, Any]:
    (api,) = resources("AWS::Serverless::Api").values()
    return dict(api["Properties"])


def authorizer(values: Mapping[str, str] | None = None) -> tuple[Path, str, int]:
    """The TOKEN authorizer's code directory, identity header and cache TTL (for ``values``, else the defaults).

    Its ``FunctionArn`` names the function's alias (``!Ref Function.Alias``) or the function itself.
    """
    auth = _api()["Auth"]
    spec = auth["Authorizers"][auth["DefaultAuthorizer"]]
    arn = spec["FunctionArn"]
    function = arn["Fn::GetAtt"][0] if "Fn::GetAtt" in arn else str(arn["Ref"]).split(".")[0]
    ttl = resolve(spec["Identity"]["ReauthorizeEvery"], values or parameters())
    code_dir = ROOT / resources()[function]["Properties"]["CodeUri"]
    return code_dir, spec["Identity"]["Header"], int(float(ttl))


def api_key_required() -> bool:
    """Every method needs an API Gateway API key (the usage plans' meter); a preflight needs none."""
    return bool(_api().get("Auth", {}).get("ApiKeyRequired", False))


def identity_validation() -> str | None:
    """The TOKEN authorizer's ``ValidationExpression``: a header that does not match it whole is refused (401)
    without calling the authorizer."""
    api = next(iter(resources("AWS::Serverless::Api").values()))
    auth = api["Properties"]["Auth"]
    expression = auth["Authorizers"][auth["DefaultAuthorizer"]]["Identity"].get("ValidationExpression")
    return str(expression) if expression is not None else None


@dataclass(frozen=True)
class GatewayResponse:
    status: int | None  # None: keep the status API Gateway chose (DEFAULT_4XX / DEFAULT_5XX)
    template: str  # application/json mapping template
    headers: dict[str, str] = field(default_factory=dict)  # its ResponseParameters, as header values


def gateway_responses(values: Mapping[str, str] | None = None) -> dict[str, GatewayResponse]:
    values = values or parameters()
    out = {}
    for res in resources("AWS::ApiGateway::GatewayResponse").values():
        props = resolve({k: v for k, v in res["Properties"].items() if k != "RestApiId"}, values)
        status = props.get("StatusCode")
        prefix = "gatewayresponse.header."
        headers = {
            name[len(prefix) :]: _static(value)
            for name, value in (props.get("ResponseParameters") or {}).items()
            if name.startswith(prefix)
        }
        out[props["ResponseType"]] = GatewayResponse(
            int(status) if status else None, props["ResponseTemplates"]["application/json"], headers
        )
    return out


def _static(expression: str) -> str:
    """A static value of a response parameter mapping (``'value'``, quotes included)."""
    if not (len(expression) >= 2 and expression[0] == expression[-1] == "'"):
        raise ParameterError(f"only static header values ('...') are emulated, not {expression!r}")
    return expression[1:-1]


@dataclass(frozen=True)
class Throttle:
    rate: float  # requests per second, steady state
    burst: int  # the token bucket's size


@dataclass(frozen=True)
class UsagePlan:
    """One tier: an API Gateway usage plan, its logical id, throttle and quota (limit per period)."""

    tier: str
    logical_id: str
    throttle: Throttle
    quota: int
    period: str  # DAY, WEEK or MONTH


def usage_plans(values: Mapping[str, str] | None = None) -> dict[str, UsagePlan]:
    """The tiers, by name (each usage plan's ``tier`` tag), with their limits for ``values``."""
    values = values or parameters()
    plans = {}
    for logical_id, res in resources("AWS::ApiGateway::UsagePlan").items():
        props = resolve({k: res["Properties"][k] for k in ("Throttle", "Quota", "Tags")}, values)
        tier = next(t["Value"] for t in props["Tags"] if t["Key"] == "tier")
        throttle = Throttle(float(props["Throttle"]["RateLimit"]), int(float(props["Throttle"]["BurstLimit"])))
        quota = props["Quota"]
        plans[tier] = UsagePlan(tier, logical_id, throttle, int(float(quota["Limit"])), str(quota["Period"]))
    return plans


def stage_throttle(values: Mapping[str, str] | None = None) -> Throttle:
    """The stage's throttling, which API Gateway applies to each method (resource and verb) on its own."""
    (setting,) = resolve(_api()["MethodSettings"], values or parameters())
    return Throttle(float(setting["ThrottlingRateLimit"]), int(float(setting["ThrottlingBurstLimit"])))


def cors_preflight(values: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """The headers of the OPTIONS answer API Gateway gives on every path (SAM's ``Cors``), or None: no OPTIONS."""
    cors = _api().get("Cors")
    if cors is None:
        return None
    spec = resolve(cors, values or parameters())
    names = {
        "AllowOrigin": "Access-Control-Allow-Origin",
        "AllowHeaders": "Access-Control-Allow-Headers",
        "AllowMethods": "Access-Control-Allow-Methods",
        "MaxAge": "Access-Control-Max-Age",
    }
    return {names[key]: _static(str(value)) for key, value in spec.items() if key in names}


def table_definition(table_name: str) -> dict[str, Any]:
    """``create_table`` arguments for the table, built from the template's own definition."""
    (table,) = resources("AWS::DynamoDB::Table").values()
    props = table["Properties"]
    definition: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props["BillingMode"],
    }
    if props.get("LocalSecondaryIndexes"):
        definition["LocalSecondaryIndexes"] = props["LocalSecondaryIndexes"]
    if props.get("GlobalSecondaryIndexes"):
        definition["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    return definition

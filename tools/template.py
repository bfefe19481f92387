"""Read ``template.yaml``: the one source of truth for routes, the authorizer, gateway responses and the table.

The local API, the API-key CLI and the tests all take these from here, so none of them can drift from
what ``sam deploy`` creates.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def authorizer() -> tuple[Path, str, int]:
    """The TOKEN authorizer's code directory, identity header and cache TTL (the parameter's default)."""
    api = next(iter(resources("AWS::Serverless::Api").values()))
    auth = api["Properties"]["Auth"]
    spec = auth["Authorizers"][auth["DefaultAuthorizer"]]
    function = spec["FunctionArn"]["Fn::GetAtt"][0]
    ttl = spec["Identity"]["ReauthorizeEvery"]
    if isinstance(ttl, dict):
        ttl = parameter_default(ttl["Ref"])
    code_dir = ROOT / resources()[function]["Properties"]["CodeUri"]
    return code_dir, spec["Identity"]["Header"], int(ttl)


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


def gateway_responses() -> dict[str, GatewayResponse]:
    out = {}
    for res in resources("AWS::ApiGateway::GatewayResponse").values():
        props = res["Properties"]
        status = props.get("StatusCode")
        out[props["ResponseType"]] = GatewayResponse(
            int(status) if status else None, props["ResponseTemplates"]["application/json"]
        )
    return out


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

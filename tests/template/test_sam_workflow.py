"""What a SAM user relies on besides the template itself: the parameters documented, the Powertools layer in step
with the pinned packages, ``events/env.json`` usable by ``sam local``, ``samconfig.toml`` safe to commit, the
outputs that lead to a first call, and ``make help`` naming every target."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from typing import Any

from tools import local_api, local_state, powertools_layer, template
from tools.local_lambda import declared_variables

ROOT = template.ROOT


def readme_parameters() -> dict[str, str]:
    """The README's configuration table: parameter -> its default as documented."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("\n## Configuration\n") :]
    section = section[: section.find("\n## ", 1)]
    rows = re.findall(r"^\| `([A-Za-z0-9]+)`(?: \([^|]*\))? \| ([^|]*) \|", section, flags=re.M)
    return {name: default.strip().strip("`").replace('""', "") for name, default in rows}


def test_every_template_parameter_is_in_the_readmes_table_with_its_default() -> None:
    documented = readme_parameters()
    parameters = template.load()["Parameters"]
    missing = sorted(set(parameters) - set(documented))
    assert not missing, f"README.md's Configuration table lacks {missing}: add a row per parameter"
    assert not set(documented) - set(parameters), "the table names parameters the template does not have"
    for name, spec in parameters.items():
        assert documented[name] == str(spec["Default"]), (name, documented[name], spec["Default"])


def test_the_powertools_layer_version_and_the_pinned_packages_agree() -> None:
    """On AWS the functions import what the layer carries; locally what requirements/app.txt pins."""
    carried = powertools_layer.release()  # fails when the template's layer version has no row
    pins = powertools_layer.pins()
    assert pins["aws-lambda-powertools"] == carried.powertools, (
        f"{powertools_layer.LAYER_NAME}:{powertools_layer.layer_version()} carries Powertools {carried.powertools}, "
        f"requirements/app.txt pins {pins['aws-lambda-powertools']}"
    )
    assert pins["pydantic"] == carried.pydantic


def test_the_template_uses_the_layer_the_table_describes() -> None:
    layers = json.dumps(template.load()["Globals"]["Function"]["Layers"])
    assert f"{powertools_layer.LAYER_ACCOUNT}:layer:{powertools_layer.LAYER_NAME}:${{PowertoolsLayerVersion}}" in layers


def test_env_json_names_the_templates_functions_and_only_variables_they_declare() -> None:
    """sam local sets only the variables a template declares: anything else in the file would be ignored."""
    env = json.loads((ROOT / "events" / "env.json").read_text())
    functions = set(template.resources("AWS::Serverless::Function"))
    assert set(env) - {"Parameters"} == functions
    for function in functions:
        declared = set(declared_variables(function))
        assert set(env["Parameters"]) <= declared, function
        assert set(env[function]) <= declared, function
    endpoint = env["Parameters"]["DYNAMODB_ENDPOINT"]
    assert endpoint == f"http://host.docker.internal:{local_api.DEFAULT_PORT + 1}", "make run's DynamoDB port"
    assert env["Parameters"]["TABLE_NAME"] == local_state.LOCAL_TABLE
    assert template.load()["Globals"]["Function"]["Environment"]["Variables"]["DYNAMODB_ENDPOINT"] == ""


def _samconfig() -> dict[str, Any]:
    return tomllib.loads((ROOT / "samconfig.toml").read_text())


def test_samconfig_has_safe_defaults_and_no_account_data() -> None:
    config = _samconfig()
    text = (ROOT / "samconfig.toml").read_text()
    assert config["version"] == 0.1
    deploy = config["default"]["deploy"]["parameters"]
    assert deploy["confirm_changeset"] is True
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["resolve_s3"] is True
    assert config["default"]["global"]["parameters"]["stack_name"] == "ragflow-datasets"
    keys = {key for command in config["default"].values() for key in command["parameters"]}
    for forbidden in ("s3_bucket", "region", "profile", "parameter_overrides", "image_repositories"):
        assert forbidden not in keys, f"{forbidden} belongs to an account: samconfig.local.toml"
    assert not re.search(r"\b\d{12}\b|arn:aws", text)
    assert "samconfig.local.toml" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_outputs_give_curl_its_url_and_ragflow_sdk_its_base_url() -> None:
    outputs = template.load()["Outputs"]
    api_url = outputs["ApiUrl"]["Value"]["Fn::Sub"]
    assert api_url == outputs["SdkBaseUrl"]["Value"]["Fn::Sub"] + "/api/v1"


def test_make_help_lists_every_target() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z0-9-]*):", makefile, flags=re.M))
    listed = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    shown = set(re.findall(r"^  make ([a-z0-9-]+)", listed.stdout, flags=re.M))
    assert targets == shown, f"make help omits {sorted(targets - shown)}: give each target a ## comment"

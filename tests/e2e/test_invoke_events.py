"""Every ``events/*.json`` through ``tools.invoke`` (the Docker-free ``sam local invoke``) answers what
``events/README.md`` says: with a local API running on the state folder (the function then talks to its DynamoDB
endpoint) and with none (the folder is opened by ``tools.invoke`` itself), each write landing in the same data.

The README's table is the expectation: its function and route columns are checked against the event files and
``template.yaml``, its answers against what each invocation printed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local_server import DEV_KEY, DEV_TENANT, FROM_BUILD, ROOT, LocalApi, running
from tools import template

EVENTS = ROOT / "events"
README = EVENTS / "README.md"


@dataclass(frozen=True)
class Row:
    file: str
    function: str
    route: str
    answers: str
    with_dataset: str


def rows() -> list[Row]:
    found = []
    for line in README.read_text().splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].endswith(".json"):
            found.append(Row(*cells))
    return found


ROWS = {row.file: row for row in rows()}


def invoke(function: str, event: str, *args: str, state: Path) -> tuple[int, Any, str]:
    """``python -m tools.invoke`` as a user runs it: (exit status, what it printed on stdout, its stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in {"TABLE_NAME", "DYNAMODB_ENDPOINT", "RAGFLOW_API_KEY"}}
    build = ["--from-build", FROM_BUILD] if FROM_BUILD else []
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.invoke",
            function,
            "-e",
            str(EVENTS / event),
            "--state-dir",
            str(state),
            *build,
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    printed = json.loads(done.stdout) if done.stdout.strip() else None
    return done.returncode, printed, done.stderr


def answer(status: int, printed: Any) -> str:
    """The README's words for what a function answered."""
    if status == 1:
        return f"error: {printed['errorMessage']}"
    assert status == 0, printed
    if "statusCode" in printed:
        return f"{printed['statusCode']}, code {json.loads(printed['body'])['code']}"
    statements = printed["policyDocument"]["Statement"]
    assert printed["principalId"] == DEV_TENANT
    if [s["Effect"] for s in statements] == ["Allow"] and statements[0]["Resource"].endswith("/prod/*/*"):
        return "policy: Allow"
    return f"policy: {statements}"


def test_every_event_file_has_its_row_and_the_row_names_its_function_and_route() -> None:
    files = sorted(p.name for p in EVENTS.glob("*.json") if p.name != "env.json")
    assert sorted(ROWS) == files
    routes = {(r.method, r.path): r.function for r in template.routes()}
    for row in ROWS.values():
        event = json.loads((EVENTS / row.file).read_text())
        if row.file.startswith("authorizer_"):
            assert row.function == "AuthorizerFunction"
            assert event["type"] == "TOKEN"
            continue
        method, path = row.route.replace("`", "").split(" ")[:2]
        assert (event["httpMethod"], event["resource"]) == (method, path), row.file
        assert routes[(method, path)] == row.function, row.file
        generation = "legacy" if path.startswith("/api/v1/dataset/") or path == "/api/v1/dataset" else "restful"
        folder = template.resources()[row.function]["Properties"]["CodeUri"].rstrip("/").rsplit("/", 1)[-1]
        assert row.file == f"{folder}_{generation}.json", "named after the function's folder and the route's case"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    with running(tmp_path_factory.mktemp("invoke") / "state", "--quiet") as server:
        yield server


def _no_datasets(api: LocalApi) -> None:
    reply = api.bearer("DELETE", "/api/v1/datasets", DEV_KEY, json_body={"delete_all": True})
    assert reply.status == 200, reply.body


def _dataset(api: LocalApi) -> str:
    reply = api.bearer("POST", "/api/v1/datasets", DEV_KEY, json_body={"name": "target"})
    assert reply.status == 200, reply.body
    return str(reply.body["data"]["id"])


@pytest.mark.parametrize("row", ROWS.values(), ids=list(ROWS))
def test_each_event_answers_as_the_readme_says_while_the_local_api_runs(api: LocalApi, row: Row) -> None:
    _no_datasets(api)
    status, printed, stderr = invoke(row.function, row.file, state=api.state_dir)
    assert answer(status, printed) == row.answers, stderr
    assert f"{row.function} START RequestId:" in stderr  # the logs are stderr's, the answer alone is stdout's
    if row.with_dataset:
        _no_datasets(api)
        dataset_id = _dataset(api)
        status, printed, stderr = invoke(row.function, row.file, "--dataset-id", dataset_id, state=api.state_dir)
        assert answer(status, printed) == row.with_dataset, stderr
        if row.function == "GetDatasetFunction":
            assert json.loads(printed["body"])["data"]["id"] == dataset_id


def test_what_an_invocation_writes_is_the_running_local_apis_data(api: LocalApi) -> None:
    _no_datasets(api)
    status, printed, _ = invoke("CreateDatasetFunction", "create_dataset_restful.json", state=api.state_dir)
    assert status == 0
    created = json.loads(printed["body"])["data"]["id"]
    listed = api.bearer("GET", "/api/v1/datasets", DEV_KEY).body["data"]
    assert [d["id"] for d in listed] == [created]


def test_with_no_local_api_running_the_state_folder_is_opened_and_kept(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with running(state, "--quiet"):
        pass  # a local API made the folder once, as `make run` does on a fresh clone
    status, printed, stderr = invoke("AuthorizerFunction", "authorizer_bearer.json", state=state)
    assert answer(status, printed) == ROWS["authorizer_bearer.json"].answers, stderr
    status, printed, stderr = invoke("CreateDatasetFunction", "create_dataset_restful.json", state=state)
    assert answer(status, printed) == "200, code 0", stderr
    created = json.loads(printed["body"])["data"]["id"]
    status, printed, _ = invoke("GetDatasetFunction", "get_dataset_legacy.json", "--dataset-id", created, state=state)
    assert answer(status, printed) == "200, code 0"
    with running(state, "--quiet") as api:  # the next local API sees what the invocations wrote
        assert [d["id"] for d in api.bearer("GET", "/api/v1/datasets", DEV_KEY).body["data"]] == [created]


def test_refusals_are_exit_2_with_a_one_line_reason(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    status, printed, stderr = invoke("CreateDatasetFunction", "create_dataset_legacy.json", state=missing)
    assert (status, printed) == (2, None)
    assert re.fullmatch(rf"error: {re.escape(str(missing))} is not a local API state folder .*\n", stderr)
    assert not missing.exists()
    (tmp_path / "s").mkdir()
    status, _, stderr = invoke("NoSuchFunction", "create_dataset_legacy.json", state=tmp_path / "s")
    assert status == 2
    assert "template.yaml has no function 'NoSuchFunction'" in stderr
    status, _, stderr = invoke(
        "CreateDatasetFunction", "create_dataset_legacy.json", "--dataset-id", "x", state=tmp_path / "s"
    )
    assert status == 2
    assert "--dataset-id: this event names no dataset" in stderr


def test_env_vars_file_and_event_from_stdin_as_sam_local_takes_them(api: LocalApi, tmp_path: Path) -> None:
    """``-n/--env-vars`` in sam local's format (only the variables the template declares are set; a
    ``host.docker.internal`` endpoint is this machine), and ``--event -`` from stdin."""
    endpoint = re.search(r"DynamoDB  http://127\.0\.0\.1:(\d+)", api.output())
    assert endpoint is not None
    env_file = tmp_path / "env.json"
    env_file.write_text(
        json.dumps(
            {
                "Parameters": {
                    "DYNAMODB_ENDPOINT": f"http://host.docker.internal:{endpoint.group(1)}",
                    "TABLE_NAME": "ragflow-datasets-local",
                    "NOT_IN_THE_TEMPLATE": "x",
                },
                "CreateDatasetFunction": {"DATASET_QUOTA": 1},
            }
        )
    )
    _no_datasets(api)
    env = {k: v for k, v in os.environ.items() if k not in {"TABLE_NAME", "DYNAMODB_ENDPOINT"}}
    build = ["--from-build", FROM_BUILD] if FROM_BUILD else []
    results = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "tools.invoke", "CreateDatasetFunction", "--event", "-", "-n", str(env_file),
             "--state-dir", str(tmp_path / "no-state-needed"), *build],
            input=(EVENTS / "create_dataset_restful.json").read_text(),
            cwd=ROOT, capture_output=True, text=True, timeout=120, env=env, check=False,
        )  # fmt: skip
        results.append(done)
    assert [answer(d.returncode, json.loads(d.stdout)) for d in results] == ["200, code 0", "409, code 102"]
    assert "NOT_IN_THE_TEMPLATE not declared for CreateDatasetFunction in template.yaml: not set" in results[0].stderr
    assert [d["name"] for d in api.bearer("GET", "/api/v1/datasets", DEV_KEY).body["data"]] == ["kb1"]

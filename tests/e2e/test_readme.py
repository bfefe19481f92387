"""The README's curl examples, run against a fresh local API: the answers must be the ones the README shows.

Each ```sh block of "## Try it with curl" is run (with curl if installed, else the same request with urllib)
after pointing it at the test's local API. Its answer is compared with the ```json block after it, ignoring
only ids and timestamps. Ids the README shows are mapped to the real ones as they appear, so the delete
example deletes the dataset the create example made. The "Local API" section's option table is checked
against the command lines of the local API and the API-key CLI.
"""

from __future__ import annotations

import importlib
import itertools
import json
import re
import shlex
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from local_server import DEV_KEY, LocalApi, running
from tools import template

README = template.ROOT / "README.md"
README_BASE = "http://127.0.0.1:9380"
VOLATILE = {"id", "dataset_id", "create_time", "update_time", "create_date", "update_date"}


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def examples() -> list[tuple[str, Any]]:
    """(shell command, expected JSON) pairs: each ```sh block and the ```json block that follows it."""
    blocks = re.findall(r"```(sh|json)\n(.*?)```", section("Try it with curl"), flags=re.DOTALL)
    pairs = []
    for (kind, body), (next_kind, next_body) in itertools.pairwise(blocks):
        if kind == "sh" and next_kind == "json":
            pairs.append((re.sub(r"\s*\\\n\s*", " ", body).strip(), json.loads(next_body)))
    return pairs


def normalize(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<volatile>" if k in VOLATILE else normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def learn_ids(expected: Any, actual: Any, ids: dict[str, str]) -> None:
    """Map each id the README shows to the id this run produced in the same place."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key, value in expected.items():
            if key in {"id", "dataset_id"} and isinstance(value, str) and isinstance(actual.get(key), str):
                ids[value] = actual[key]
            else:
                learn_ids(value, actual.get(key), ids)
    elif isinstance(expected, list) and isinstance(actual, list):
        for e, a in zip(expected, actual, strict=False):
            learn_ids(e, a, ids)


def run_curl(argv: list[str]) -> bytes:
    if shutil.which("curl"):
        return subprocess.run(argv, capture_output=True, timeout=30, check=True).stdout
    return run_like_curl(argv)


def run_like_curl(argv: list[str]) -> bytes:
    """The same request with urllib, for machines without curl (the README uses -s -X -H -d only)."""
    method, url, headers, data = None, None, {}, None
    args = iter(argv[1:])
    for arg in args:
        if arg in {"-s", "--silent"}:
            continue
        if arg in {"-X", "--request"}:
            method = next(args)
        elif arg in {"-H", "--header"}:
            name, _, value = next(args).partition(":")
            headers[name.strip()] = value.strip()
        elif arg in {"-d", "--data", "--data-raw"}:
            data = next(args).encode()
        else:
            url = arg
    assert url is not None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return bytes(reply.read())
    except urllib.error.HTTPError as error:
        return bytes(error.read())


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    with running(tmp_path_factory.mktemp("readme") / "state") as server:
        yield server


def test_the_three_seed_calls_are_there_as_the_reference_sends_them() -> None:
    commands = [command for command, _ in examples()]
    assert len(commands) >= 3
    create, listing, delete = commands[:3]
    for command in commands:
        assert f"-H 'Authorization: Bearer {DEV_KEY}'" in command
    assert "-X POST http://127.0.0.1:9380/api/v1/dataset " in create
    assert """-d '{"dataset_name": "kb1"}'""" in create
    assert re.search(r"curl -s http://127\.0\.0\.1:9380/api/v1/dataset -H", listing)
    assert re.search(r"-X DELETE http://127\.0\.0\.1:9380/api/v1/dataset/[0-9a-f]{32} ", delete)
    current = [c for c in commands[3:] if "/api/v1/datasets" in c]
    assert len(current) == len(commands) - 3, "after the seed calls come the current API's"


def test_the_curl_examples_answer_what_the_readme_shows(api: LocalApi) -> None:
    assert api.key == DEV_KEY
    ids: dict[str, str] = {}
    for shown_command, expected in examples():
        command = shown_command.replace(README_BASE, api.base)
        for shown, real in ids.items():
            command = command.replace(shown, real)
        argv = shlex.split(command)
        assert argv[0] == "curl"
        actual = json.loads(run_curl(argv))
        assert normalize(actual) == normalize(expected), command
        learn_ids(expected, actual, ids)
    assert ids, "the create example's id was never seen"


@pytest.mark.parametrize("tool", ["tools.local_api", "tools.apikeys"])
def test_every_command_line_option_is_documented(tool: str) -> None:
    parser = importlib.import_module(tool).build_parser()
    text = section("Local API")
    options = {o for action in parser._actions for o in action.option_strings if o.startswith("--") and o != "--help"}
    missing = sorted(o for o in options if f"`{o}" not in text)
    assert not missing, f"the README's Local API section does not mention {missing} of {tool}"


def test_readme_mentions_the_local_state_folder_is_git_ignored() -> None:
    assert ".local/" in (template.ROOT / ".gitignore").read_text().splitlines()
    assert "`.local/`" in section("Local API")

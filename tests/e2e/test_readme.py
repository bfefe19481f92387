"""The README's examples, run as a newcomer runs them, against a fresh local API: they must do what it shows.

* "Try it with curl": every ```sh block runs, in order, in one bash session (its variables carry over), pointed
  at the test's local API; each ```json block after one is what that command must print, ids and times aside.
  Where curl is missing, a stand-in that sends the same request takes its place on the PATH.
* "Use it from Python with ragflow-sdk": the snippet runs with the SDK's venv and prints the ```text block.
* "API keys": each command runs on a state folder of its own (``KEY_ID`` is the key the block minted).
* "SAM": ``tools.invoke`` runs as shown; the other commands name targets, events and functions that exist.
* The banner the README shows is the start of what ``make run`` prints; every option of the tools is documented,
  and every relative link of the README and ``docs/`` leads to a file.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_server import DEV_KEY, ROOT, LocalApi, running
from tools import template

README = ROOT / "README.md"
README_ADDRESS = "http://127.0.0.1:9380"
VOLATILE = {"id", "dataset_id", "create_time", "update_time", "create_date", "update_date"}
SDK_PYTHON = Path(os.environ.get("RAGFLOW_SDK_PYTHON") or ROOT / ".venv-sdk" / "bin" / "python")
CURL_STAND_IN = '''#!{python}
"""curl -s [-X METHOD] [-H 'Name: value'] ... [-d BODY] URL, with urllib (what the README uses of curl)."""
import sys, urllib.error, urllib.request
method, url, headers, data = None, None, {{}}, None
args = iter(sys.argv[1:])
for arg in args:
    if arg in ("-s", "--silent"):
        continue
    if arg in ("-X", "--request"):
        method = next(args)
    elif arg in ("-H", "--header"):
        name, _, value = next(args).partition(":")
        headers[name.strip()] = value.strip()
    elif arg in ("-d", "--data", "--data-raw"):
        data = next(args).encode()
    else:
        url = arg
request = urllib.request.Request(url, data=data, headers=headers, method=method)
try:
    with urllib.request.urlopen(request, timeout=30) as reply:
        sys.stdout.buffer.write(reply.read())
except urllib.error.HTTPError as error:
    sys.stdout.buffer.write(error.read())
'''


def section(title: str, text: str | None = None) -> str:
    text = README.read_text() if text is None else text
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def blocks(title: str) -> list[tuple[str, str]]:
    """The fenced blocks of a section: (language, body)."""
    return re.findall(r"```(\w+)\n(.*?)```", section(title), flags=re.DOTALL)


def normalize(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<volatile>" if k in VOLATILE else normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def shell_env() -> dict[str, str]:
    """A newcomer's shell: none of the settings this test run's other tests may have left in the environment."""
    return {k: v for k, v in os.environ.items() if k not in {"TABLE_NAME", "DYNAMODB_ENDPOINT", "RAGFLOW_API_KEY"}}


def bash(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = shell_env()
    if shutil.which("curl") is None:
        stand_in = tmp_path / "bin" / "curl"
        stand_in.parent.mkdir(exist_ok=True)
        stand_in.write_text(CURL_STAND_IN.format(python=sys.executable))
        stand_in.chmod(0o755)
        env["PATH"] = f"{stand_in.parent}{os.pathsep}{env['PATH']}"
    return subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


@pytest.fixture
def api(tmp_path: Path) -> Iterator[LocalApi]:
    with running(tmp_path / "state", "--quiet") as server:
        yield server


def test_the_curl_examples_answer_what_the_readme_shows(api: LocalApi, tmp_path: Path) -> None:
    found = blocks("Try it with curl")
    commands = [(i, body) for i, (kind, body) in enumerate(found) if kind == "sh"]
    assert len(commands) >= 5, "create, list and delete; then the mid-2024 API's"
    script = []
    for i, body in commands:
        script.append(f"{{\n{body.replace(README_ADDRESS, api.base)}\n}} > {tmp_path / f'out-{i}'}")
    done = bash("\n".join(script), tmp_path)
    assert done.returncode == 0, done.stderr
    checked = 0
    for i, _ in commands:
        printed = (tmp_path / f"out-{i}").read_text()
        if i + 1 < len(found) and found[i + 1][0] == "json":
            assert normalize(json.loads(printed)) == normalize(json.loads(found[i + 1][1])), found[i][1]
            checked += 1
        else:
            assert printed == "", "a command the README shows no answer for prints nothing"
    assert checked >= 4
    assert api.bearer("GET", "/api/v1/datasets", DEV_KEY).body["data"] == [], "the examples delete what they create"


def test_the_examples_call_both_generations_with_the_key_in_a_variable_and_the_id_captured() -> None:
    text = section("Try it with curl")
    assert f"KEY={DEV_KEY}" in text
    assert text.count("ID=$(curl -s -X POST") == 2
    for path in ("/api/v1/datasets", "/api/v1/dataset "):
        assert f"-X POST http://127.0.0.1:9380{path}" in text
    assert '-d "{\\"ids\\": [\\"$ID\\"]}"' in text
    assert 'DELETE "http://127.0.0.1:9380/api/v1/dataset/$ID"' in text
    assert not re.search(r"[0-9a-f]{32}", "".join(b for kind, b in blocks("Try it with curl") if kind == "sh"))


def test_the_sdk_snippet_prints_what_the_readme_shows(api: LocalApi) -> None:
    if not SDK_PYTHON.exists():
        message = f"{SDK_PYTHON} is missing: run `make .venv-sdk/.installed`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    found = blocks("Use it from Python with ragflow-sdk")
    (snippet,) = [body for kind, body in found if kind == "python"]
    (shown,) = [body for kind, body in found if kind == "text"]
    assert 'base_url="http://127.0.0.1:9380"' in snippet, "the SDK's base_url has no /api/v1"
    done = subprocess.run(
        [str(SDK_PYTHON), "-c", snippet.replace(README_ADDRESS, api.base)],
        capture_output=True, text=True, timeout=120, env=shell_env(), check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == shown
    assert api.bearer("GET", "/api/v1/datasets", DEV_KEY).body["data"] == []


def test_the_key_cli_examples_run_as_shown(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (body,) = [b for kind, b in blocks("API keys") if kind == "sh"]
    lines = [line.split("  #")[0].strip() for line in body.strip().splitlines()]
    key_id = None
    listed = ""
    for shown in lines:
        assert shown.startswith(".venv/bin/python -m tools.apikeys "), shown
        line = shown
        if "KEY_ID" in shown:
            assert key_id is not None, "a line names KEY_ID before the block listed the keys"
            line = shown.replace("KEY_ID", key_id)
        argv = shlex.split(line.replace("-m tools.apikeys ", f"-m tools.apikeys --state-dir {state} ", 1))
        done = subprocess.run(
            [sys.executable, *argv[1:]],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env=shell_env(),
            check=False,
        )
        assert done.returncode == 0, (line, done.stderr)
        if " list" in line:
            listed = done.stdout
            key_id = next(row.split()[0] for row in listed.splitlines() if " dashboard " in row)
    assert re.search(r"\sacme\s+standard\s+dashboard\s+\S+\s+read-only\s+\S+\s+active$", listed, re.M), listed
    after = subprocess.run(
        [sys.executable, "-m", "tools.apikeys", "--state-dir", str(state), "list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=shell_env(),
        check=True,
    ).stdout
    assert re.search(
        rf"^{key_id}\s+acme\s+standard\s+dashboard\s+\S+\s+read-only\s+2027-01-31T00:00:00Z\s+revoked$", after, re.M
    ), after


def test_the_sam_examples_run_or_name_what_exists(tmp_path: Path) -> None:
    (body,) = [b for kind, b in blocks("SAM: build, invoke, deploy") if kind == "sh"]
    lines = [line.split("  #")[0].strip() for line in body.strip().splitlines()]
    targets = set(re.findall(r"^([a-z0-9-]+):", (ROOT / "Makefile").read_text(), flags=re.M))
    functions = set(template.resources("AWS::Serverless::Function"))
    state = tmp_path / "state"
    with running(state, "--quiet"):
        pass  # a local API made the state folder, as `make run` does
    for line in lines:
        words = shlex.split(line)
        for word in words:
            if word.startswith(("events/", "EVENT=events/")):
                assert (ROOT / word.removeprefix("EVENT=")).is_file(), word
            if word.endswith("Function") or word.startswith("FUNCTION="):
                assert word.removeprefix("FUNCTION=") in functions, word
        if words[0] == "make":
            assert words[1] in targets, line
        if "tools.invoke" in line:
            done = subprocess.run(
                [sys.executable, *words[1:], "--state-dir", str(state)],
                cwd=ROOT,
                env=shell_env(),
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["statusCode"] == 200


def test_the_banner_the_readme_shows_is_what_make_run_prints(api: LocalApi) -> None:
    (shown,) = [b for kind, b in blocks("Start") if kind == "text"]
    printed = api.output().replace(f"127.0.0.1:{api.port}", "127.0.0.1:9380").splitlines()
    for line in shown.strip().splitlines():
        if line.strip() != "...":
            assert line in printed, line


@pytest.mark.parametrize(
    ("tool", "doc"),
    [("tools.local_api", "docs/LOCAL_API.md"), ("tools.apikeys", "docs/API_KEYS.md"), ("tools.invoke", "docs/SAM.md")],
)
def test_every_command_line_option_is_documented(tool: str, doc: str) -> None:
    parser = importlib.import_module(tool).build_parser()
    text = (ROOT / doc).read_text()
    options = {o for action in parser._actions for o in action.option_strings if o.startswith("--") and o != "--help"}
    for sub in [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]:
        for command in sub.choices.values():
            options |= {o for a in command._actions for o in a.option_strings if o.startswith("--") and o != "--help"}
    missing = sorted(o for o in options if f"`{o}" not in text)
    assert not missing, f"{doc} does not mention {missing} of {tool}"


def test_the_local_state_folder_is_git_ignored_and_documented() -> None:
    assert ".local/" in (ROOT / ".gitignore").read_text().splitlines()
    assert "`.local/`" in (ROOT / "docs" / "LOCAL_API.md").read_text()


def test_every_relative_link_of_the_readme_and_the_docs_leads_to_a_file() -> None:
    for page in [README, ROOT / "SECURITY.md", ROOT / "events" / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" not in target:
                assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to {target}"

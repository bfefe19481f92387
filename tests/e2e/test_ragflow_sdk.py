"""The official ``ragflow-sdk`` client, unmodified, against the local API (it must work unchanged).

The client lives in its own venv (``.venv-sdk``, ``make .venv-sdk/.installed``): 0.27.x requires Python 3.13,
which the project's venv need not be. So each scenario of ``tests/sdk_client.py`` runs as a subprocess with
that venv's interpreter against a local API started here, and prints what the client returned; the
assertions below are on those values. Each test gets a tenant of its own (a key minted with the CLI), so
the scenarios cannot see each other's datasets. The summary at the end of the run says which client version
and interpreter ran.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_server import AUTH_MESSAGE, ROOT, LocalApi, mint, running

SDK_PYTHON = Path(os.environ.get("RAGFLOW_SDK_PYTHON") or ROOT / ".venv-sdk" / "bin" / "python")
"""The SDK venv's interpreter; RAGFLOW_SDK_PYTHON runs the scenarios with another client version's venv."""
CLIENT = ROOT / "tests" / "sdk_client.py"
TASK_KEYS = {
    f"{kind}_task_{part}"
    for kind in (
        "graphrag", "raptor", "mindmap", "wiki", "skill", "structure_graph", "structure_mindmap", "timeline",
        "session_graph", "session_essence", "structure",
    )
    for part in ("id", "finish_at")
}  # fmt: skip
UPDATED_KEYS = {
    "avatar", "chunk_count", "chunk_method", "create_date", "create_time", "created_by", "description",
    "document_count", "embedding_model", "id", "language", "name", "pagerank", "parser_config", "permission",
    "pipeline_id", "similarity_threshold", "status", "tenant_embd_id", "tenant_id", "token_num", "update_date",
    "update_time", "vector_similarity_weight", "connectors", *TASK_KEYS,
}  # fmt: skip
"""RAGFlow v0.27's 46 keys of a dataset, and the update's ``connectors``."""
DATASET_KEYS = {  # what the client's DataSet keeps of a created or listed dataset
    "avatar", "chunk_count", "chunk_method", "description", "document_count", "embedding_model", "id", "name",
    "pagerank", "parser_config", "permission", "tenant_id",
}  # fmt: skip


class _VersionReport:
    """A pytest plugin that names, in the run's summary, the client version and interpreter that ran."""

    def __init__(self, line: str) -> None:
        self.line = line

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_sep("-", self.line)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    if not SDK_PYTHON.exists():
        message = f"{SDK_PYTHON} is missing: run `make .venv-sdk/.installed`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with running(tmp_path_factory.mktemp("sdk") / "state") as server:
        yield server


@pytest.fixture(scope="module")
def version(api: LocalApi, pytestconfig: pytest.Config) -> dict[str, Any]:
    found = run(api, "version", api.key)
    if not pytestconfig.pluginmanager.has_plugin("ragflow-sdk-version"):
        line = f"ragflow-sdk {found['sdk']} on Python {found['python']} ran against the local API"
        pytestconfig.pluginmanager.register(_VersionReport(line), "ragflow-sdk-version")
    return found


@pytest.fixture
def key(api: LocalApi, version: dict[str, Any]) -> str:
    """A key of a brand-new tenant: every test starts with no datasets."""
    return mint(api.state_dir, uuid.uuid4().hex, "ragflow-sdk")


def run(api: LocalApi, scenario: str, api_key: str) -> dict[str, Any]:
    """One scenario of tests/sdk_client.py, run by the SDK venv's interpreter; its JSON result."""
    done = subprocess.run(
        [str(SDK_PYTHON), str(CLIENT), scenario, api.base, api_key],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))},
    )
    assert done.returncode == 0, f"the ragflow-sdk scenario {scenario!r} failed:\n{done.stderr}"
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _lacks_permission(message: str) -> bool:
    """RAGFlow v0.27's answer for a dataset that is absent or not the caller's."""
    return "lacks permission for dataset" in message


def test_the_pinned_client_ran(version: dict[str, Any]) -> None:
    """0.27.x on Python 3.13 where it can be installed; else the newest release that installs (make says so)."""
    if version["python"].startswith("3.13"):
        assert version["sdk"].startswith("0.27."), version
        assert version["delete_all"], "0.27 sends delete_all with every delete_datasets call"


def test_create_with_defaults_and_with_every_argument(api: LocalApi, key: str) -> None:
    result = run(api, "create", key)
    defaults, everything, again = result["defaults"], result["everything"], result["again"]

    assert set(defaults) == DATASET_KEYS
    assert len(defaults["id"]) == 32
    assert uuid.UUID(defaults["id"]).version == 7
    assert defaults["name"] == "sdk_defaults"
    assert defaults["avatar"] is None
    assert defaults["description"] is None
    assert defaults["embedding_model"] == "BAAI/bge-small-en-v1.5@Builtin"
    assert defaults["permission"] == "me"
    assert defaults["chunk_method"] == "naive"
    assert (defaults["document_count"], defaults["chunk_count"], defaults["pagerank"]) == (0, 0, 0)
    config = defaults["parser_config"]  # RAGFlow's stored defaults for naive
    assert (config["chunk_token_num"], config["delimiter"], config["layout_recognize"]) == (512, "\n", "DeepDOC")
    assert config["raptor"]["use_raptor"] is True
    assert config["graphrag"]["use_graphrag"] is True
    assert config["topn_tags"] == 3

    assert everything["name"] == "sdk everything"
    assert everything["avatar"].startswith("data:image/png;base64,iVBOR")
    assert everything["description"] == "all the optional arguments"
    assert everything["embedding_model"] == "BAAI/bge-m3@Builtin"
    assert everything["permission"] == "team"
    assert everything["chunk_method"] == "qa"
    config = everything["parser_config"]  # what was sent, over the model's defaults, over qa's defaults
    assert config["chunk_token_num"] == 256
    assert config["raptor"]["use_raptor"] is True
    assert config["raptor"]["max_token"] == 512
    assert config["graphrag"]["use_graphrag"] is False
    assert config["delimiter"] == "\n"

    assert again["name"] == "SDK_defaults(1)", "a taken name (case-insensitively) is renamed, as RAGFlow does"
    assert again["id"] != defaults["id"]
    assert [d["name"] for d in result["listed"]] == ["sdk_defaults", "sdk everything", "SDK_defaults(1)"]
    assert result["listed"][1] == everything


def test_list_paging_order_and_filters(api: LocalApi, key: str) -> None:
    result = run(api, "list", key)
    page = [f"page{i}" for i in range(5)]
    assert result["default"] == page[::-1]
    assert result["desc_pages"] == [["page4", "page3"], ["page2", "page1"], ["page0"], []]
    assert result["asc_pages"] == [["page0", "page1"], ["page2", "page3"], ["page4"]]
    assert result["update_time_desc"] == ["page1", "page4", "page3", "page2", "page0"]
    assert result["update_time_asc"] == ["page0", "page2", "page3", "page4", "page1"]
    assert result["by_name"] == ["page3"]
    assert result["by_name_other_case"] == ["page3"]
    (by_id,) = result["by_id"]
    assert by_id["id"] == result["ids"][2]
    assert by_id["name"] == "page2"
    assert result["get_dataset"]["name"] == "page4"
    assert result["get_dataset"]["id"] == result["ids"][4]

    assert _lacks_permission(result["get_missing"]["error"])
    assert result["get_missing"]["error"].endswith("'no such dataset'")
    assert _lacks_permission(result["by_unknown_id"]["error"])
    assert result["page_zero"]["error"] == (
        "Field: <page> - Message: <Input should be greater than or equal to 1> - Value: <0>"
    )
    assert "less than or equal to 100" in result["page_size_101"]["error"]
    assert "Input should be 'create_time' or 'update_time'" in result["bad_orderby"]["error"]


def test_update_rename_fields_chunk_method_and_deep_merged_parser_config(api: LocalApi, key: str) -> None:
    steps = run(api, "update", key)
    created = steps["created"]
    assert steps["renamed"]["name"] == "updated name"
    assert steps["renamed"]["id"] == created["id"]
    assert steps["renamed"]["update_time"] >= steps["renamed"]["create_time"]
    assert set(steps["renamed"]) == UPDATED_KEYS, "update copies every key of data onto the DataSet"
    assert steps["described"]["description"] == "now described"
    assert steps["described"]["name"] == "updated name"

    rechunked = steps["rechunked"]
    assert rechunked["chunk_method"] == "manual"
    assert rechunked["parser_config"] == {  # a new chunk method without parser_config: that method's defaults
        "raptor": {"use_raptor": False},
        "graphrag": {"use_graphrag": False},
        "image_context_size": 0,
        "table_context_size": 0,
    }
    assert steps["raptor_on"]["parser_config"]["raptor"] == {"use_raptor": True}
    assert steps["raptor_on"]["parser_config"]["graphrag"] == {"use_graphrag": False}, "deep merge keeps siblings"
    tokens = steps["tokens"]["parser_config"]
    assert tokens["chunk_token_num"] == 1024
    assert tokens["raptor"] == {"use_raptor": True}, "an earlier merge survives a later one"

    several = steps["several"]
    assert (several["permission"], several["pagerank"], several["embedding_model"]) == (
        "team",
        7,
        "BAAI/bge-m3@Builtin",
    )
    assert several["chunk_method"] == "manual"
    stored = steps["stored"]
    assert {k: stored[k] for k in DATASET_KEYS} == {k: several[k] for k in DATASET_KEYS}

    assert steps["rename_clash"]["error"] == "Dataset name 'TAKEN' already exists"
    assert steps["nothing"]["error"] == "no properties were modified"
    assert steps["read_only_field"]["error"] == (
        "Field: <chunk_count> - Message: <Extra inputs are not permitted> - Value: <3>"
    )
    assert steps["after_errors"] == stored, "a refused update changes nothing"


def test_delete_by_ids_all_or_nothing(api: LocalApi, key: str) -> None:
    result = run(api, "delete", key)
    a_id, _, c_id = result["ids"]
    assert result["delete_two"] == {"ok": None}
    assert result["left"] == ["del_c"]
    assert result["delete_again"]["error"].endswith(f"lacks permission for datasets: '{a_id}'")
    assert result["delete_mixed"]["error"].endswith(f"lacks permission for datasets: '{a_id}'")
    assert result["left_after_mixed"] == ["del_c"], f"{c_id} must survive a refused delete"
    assert result["delete_bad_id"]["error"] == "Field: <ids> - Message: <Invalid UUID format> - Value: <['not-a-uuid']>"
    assert result["delete_none"] == {"ok": None}
    assert result["left_after_none"] == ["del_c"], "ids=[] deletes nothing (RAGFlow v0.27)"
    assert result["name_free_again"] == "del_a"


def test_errors_reach_the_client_as_exceptions_with_our_message(api: LocalApi, key: str) -> None:
    result = run(api, "errors", key)
    expected = {
        "empty_name": "Field: <name> - Message: <String should have at least 1 character> - Value: <  >",
        "bad_permission": "Field: <permission> - Message: <Input should be 'me' or 'team'> - Value: <everyone>",
        "bad_model_format": "Field: <embedding_model> - Message: <embedding model identifier must follow "
        "<model_name>@<provider> format> - Value: <no-provider>",
        "unsupported_model": "Provider bar not found for model foo@bar.",
        "bad_avatar": "Field: <avatar> - Message: <Unsupported MIME type. Allowed: ['image/jpeg', 'image/png']> - "
        "Value: <data:image/gif;base64,R0lG>",
        "bad_parser_config": "Field: <parser_config.chunk_token_num> - Message: <Input should be greater than or "
        "equal to 1> - Value: <0>",
        "unknown_parser_key": "Field: <parser_config.colour> - Message: <Extra inputs are not permitted> - "
        "Value: <red>",
    }
    for case, message in expected.items():
        assert result[case] == {"error": message, "type": "Exception"}, case
    assert result["long_name"]["error"].startswith(
        "Field: <name> - Message: <String should have at most 128 characters>"
    )
    assert result["bad_chunk_method"]["error"].startswith("Field: <chunk_method> - Message: <Input should be 'naive'")
    assert result["nothing_created"] == [], "no refused create left a dataset behind"


def test_a_bad_key_is_an_exception_with_our_401_message(api: LocalApi, version: dict[str, Any]) -> None:
    result = run(api, "bad_key", "ragflow-" + "x" * 40)
    assert result == {
        "list": {"error": AUTH_MESSAGE, "type": "Exception"},
        "create": {"error": AUTH_MESSAGE, "type": "Exception"},
    }

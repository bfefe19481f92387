"""Drive the official ``ragflow-sdk`` client, unmodified, and print what it returned as JSON.

This file runs under ``.venv-sdk``'s interpreter, not the project's: ragflow-sdk 0.27.x requires Python 3.13
while the project runs on 3.11 too. ``tests/e2e/test_ragflow_sdk.py`` starts it as a subprocess against a local
API and asserts on the JSON it prints. It therefore imports only the client and the standard library, and it
reports values exactly as the client hands them to a user (a ``DataSet``'s attributes, an exception's
message), so that the assertions are about what a script written for RAGFlow would see.

    python tests/sdk_client.py <scenario> <base_url> <api_key>     (base_url without /api/v1)
"""

from __future__ import annotations

import importlib.metadata
import inspect
import json
import platform
import sys
from collections.abc import Callable
from typing import Any

from ragflow_sdk import DataSet, RAGFlow

PNG_1PX = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def view(ds: Any) -> dict[str, Any]:
    """A ``DataSet`` as its user sees it: every attribute, nested ``Base`` objects as dicts."""
    return dict(ds.to_json())


def outcome(call: Callable[[], Any]) -> dict[str, Any]:
    """``{"ok": value}`` or ``{"error": message}``: the SDK raises ``Exception(message)`` when code != 0."""
    try:
        return {"ok": call()}
    except Exception as error:  # the client's only error type
        return {"error": str(error), "type": type(error).__name__}


def names(datasets: list[Any]) -> list[str]:
    return [ds.name for ds in datasets]


# ---- scenarios -----------------------------------------------------------------------------------------------


def scenario_version(rag: RAGFlow) -> dict[str, Any]:
    return {
        "sdk": importlib.metadata.version("ragflow-sdk"),
        "python": platform.python_version(),
        "delete_all": "delete_all" in inspect.signature(rag.delete_datasets).parameters,
    }


def scenario_create(rag: RAGFlow) -> dict[str, Any]:
    defaults = rag.create_dataset(name="sdk_defaults")
    everything = rag.create_dataset(
        name="sdk everything",
        avatar=PNG_1PX,
        description="all the optional arguments",
        embedding_model="BAAI/bge-m3@Builtin",
        permission="team",
        chunk_method="qa",
        parser_config=DataSet.ParserConfig(rag, {"chunk_token_num": 256, "raptor": {"use_raptor": True}}),
    )
    again = rag.create_dataset(name="SDK_defaults")  # taken, case-insensitively: RAGFlow renames it
    return {
        "defaults": view(defaults),
        "everything": view(everything),
        "again": view(again),
        "listed": [view(ds) for ds in rag.list_datasets(orderby="create_time", desc=False)],
    }


def scenario_list(rag: RAGFlow) -> dict[str, Any]:
    created = [rag.create_dataset(name=f"page{i}") for i in range(5)]
    created[1].update({"description": "touched last"})
    by_id = rag.list_datasets(id=created[2].id)
    return {
        "ids": [ds.id for ds in created],
        "default": names(rag.list_datasets()),
        "desc_pages": [names(rag.list_datasets(page=p, page_size=2)) for p in (1, 2, 3, 4)],
        "asc_pages": [names(rag.list_datasets(page=p, page_size=2, desc=False)) for p in (1, 2, 3)],
        "update_time_desc": names(rag.list_datasets(orderby="update_time", desc=True)),
        "update_time_asc": names(rag.list_datasets(orderby="update_time", desc=False)),
        "by_name": names(rag.list_datasets(name="page3")),
        "by_name_other_case": names(rag.list_datasets(name="PAGE3")),
        "by_id": [view(ds) for ds in by_id],
        "get_dataset": view(rag.get_dataset(name="page4")),
        "get_missing": outcome(lambda: rag.get_dataset(name="no such dataset")),
        "by_unknown_id": outcome(lambda: rag.list_datasets(id="0190f5a2c3d44e7f8a9b0c1d2e3f4a5b")),
        "page_zero": outcome(lambda: rag.list_datasets(page=0)),
        "page_size_101": outcome(lambda: rag.list_datasets(page_size=101)),
        "bad_orderby": outcome(lambda: rag.list_datasets(orderby="name")),
    }


def scenario_update(rag: RAGFlow) -> dict[str, Any]:
    ds = rag.create_dataset(name="to_update")
    steps: dict[str, Any] = {"created": view(ds)}
    steps["renamed"] = view(ds.update({"name": "updated name"}))
    steps["described"] = view(ds.update({"description": "now described"}))
    steps["rechunked"] = view(ds.update({"chunk_method": "manual"}))
    steps["raptor_on"] = view(ds.update({"parser_config": {"raptor": {"use_raptor": True}}}))
    steps["tokens"] = view(ds.update({"parser_config": {"chunk_token_num": 1024}}))
    steps["several"] = view(ds.update({"permission": "team", "pagerank": 7, "embedding_model": "BAAI/bge-m3@Builtin"}))
    steps["stored"] = view(rag.get_dataset(name="updated name"))
    rag.create_dataset(name="taken")
    steps["rename_clash"] = outcome(lambda: ds.update({"name": "TAKEN"}))
    steps["nothing"] = outcome(lambda: ds.update({}))
    steps["read_only_field"] = outcome(lambda: ds.update({"chunk_count": 3}))
    steps["after_errors"] = view(rag.get_dataset(name="updated name"))
    return steps


def scenario_delete(rag: RAGFlow) -> dict[str, Any]:
    a, b, c = (rag.create_dataset(name=n) for n in ("del_a", "del_b", "del_c"))
    result: dict[str, Any] = {"ids": [a.id, b.id, c.id]}
    result["delete_two"] = outcome(lambda: rag.delete_datasets(ids=[a.id, b.id]))
    result["left"] = names(rag.list_datasets())
    result["delete_again"] = outcome(lambda: rag.delete_datasets(ids=[a.id]))
    result["delete_mixed"] = outcome(lambda: rag.delete_datasets(ids=[c.id, a.id]))
    result["left_after_mixed"] = names(rag.list_datasets())
    result["delete_bad_id"] = outcome(lambda: rag.delete_datasets(ids=["not-a-uuid"]))
    result["delete_none"] = outcome(lambda: rag.delete_datasets(ids=[]))
    result["left_after_none"] = names(rag.list_datasets())
    result["name_free_again"] = view(rag.create_dataset(name="del_a"))["name"]
    return result


def scenario_errors(rag: RAGFlow) -> dict[str, Any]:
    return {
        "empty_name": outcome(lambda: rag.create_dataset(name="  ")),
        "long_name": outcome(lambda: rag.create_dataset(name="n" * 129)),
        "bad_permission": outcome(lambda: rag.create_dataset(name="x", permission="everyone")),
        "bad_chunk_method": outcome(lambda: rag.create_dataset(name="x", chunk_method="novel")),
        "bad_model_format": outcome(lambda: rag.create_dataset(name="x", embedding_model="no-provider")),
        "unsupported_model": outcome(lambda: rag.create_dataset(name="x", embedding_model="foo@bar")),
        "bad_avatar": outcome(lambda: rag.create_dataset(name="x", avatar="data:image/gif;base64,R0lG")),
        "bad_parser_config": outcome(
            lambda: rag.create_dataset(name="x", parser_config=DataSet.ParserConfig(rag, {"chunk_token_num": 0}))
        ),
        "unknown_parser_key": outcome(
            lambda: rag.create_dataset(name="x", parser_config=DataSet.ParserConfig(rag, {"colour": "red"}))
        ),
        "nothing_created": names(rag.list_datasets()),
    }


def scenario_bad_key(rag: RAGFlow) -> dict[str, Any]:
    return {"list": outcome(rag.list_datasets), "create": outcome(lambda: rag.create_dataset(name="x"))}


SCENARIOS: dict[str, Callable[[RAGFlow], dict[str, Any]]] = {
    name.removeprefix("scenario_"): fn for name, fn in globals().items() if name.startswith("scenario_")
}


def main(argv: list[str]) -> int:
    scenario, base_url, api_key = argv
    result = SCENARIOS[scenario](RAGFlow(api_key=api_key, base_url=base_url))
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

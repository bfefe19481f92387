"""The embedded database's files (``tools.local_state``, ``tools.local_journal``): what a crash leaves is exact.

In-process, on the local API's own ``EmbeddedDatabase``: writes of every kind go through botocore to moto and
are journaled; the state folder is then reopened (a copy of it, as a crash at that moment would leave it)
and must hold exactly the same items. The end-to-end proof, ``kill -9`` of a real server during concurrent
writes, is ``tests/test_local_crash.py``.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from dataset_core import config
from dataset_core.storage import client as storage
from tools import local_journal, local_state
from tools.embedded_dynamodb import UnrecordedOperationError

TABLE = local_state.LOCAL_TABLE


@pytest.fixture(autouse=True)
def _restore_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``EmbeddedDatabase`` points ``dataset_core`` at its table: undo that for the other tests."""
    monkeypatch.setenv("TABLE_NAME", os.environ["TABLE_NAME"])
    yield
    config.settings.cache_clear()
    storage.reset_client()


def _key(sk: str) -> dict[str, Any]:
    return {"pk": {"S": "p"}, "sk": {"S": sk}}


def _items() -> dict[str, dict[str, Any]]:
    pages = storage.client().get_paginator("scan").paginate(TableName=TABLE, ConsistentRead=True)
    return {item["sk"]["S"]: item for page in pages for item in page["Items"]}


def _reopened(state: Path) -> dict[str, dict[str, Any]]:
    """The items a new database finds in ``state`` (the open one must be closed first: one moto per process)."""
    database = local_state.EmbeddedDatabase(local_state.StateDir(state))
    database.open()
    try:
        return _items()
    finally:
        database.close()


def _crash_copy(state: Path, to: Path) -> Path:
    """The state folder as ``kill -9`` would leave it now (every acknowledged write is already on disk)."""
    shutil.copytree(state, to, ignore=shutil.ignore_patterns("admin.sock", "local_api.lock"))
    return to


def _every_kind_of_write() -> None:
    client: Any = storage.client()
    nested = {"M": {"l": {"L": [{"N": "1.5"}, {"NULL": True}, {"BOOL": False}, {"B": b"\x00\xff"}]}}}
    client.put_item(TableName=TABLE, Item={**_key("a"), "v": {"S": "1"}, "m": nested, "ss": {"SS": ["x", "y"]}})
    client.put_item(TableName=TABLE, Item={**_key("b"), "bs": {"BS": [b"\x01", b"\x02"]}})
    client.put_item(TableName=TABLE, Item={**_key("gone"), "v": {"S": "deleted below"}})
    client.update_item(
        TableName=TABLE, Key=_key("a"), UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"S": "2"}}
    )
    client.delete_item(TableName=TABLE, Key=_key("gone"))
    client.batch_write_item(
        RequestItems={TABLE: [{"PutRequest": {"Item": {**_key("c")}}}, {"DeleteRequest": {"Key": _key("b")}}]}
    )
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {**_key("d"), "n": {"N": "1"}}}},
            {"ConditionCheck": {"TableName": TABLE, "Key": _key("a"), "ConditionExpression": "attribute_exists(pk)"}},
            {"Delete": {"TableName": TABLE, "Key": _key("c")}},
        ]
    )
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        client.put_item(TableName=TABLE, Item={**_key("a")}, ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError, match="TransactionCanceled"):
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {**_key("e")}}},
                {"Delete": {"TableName": TABLE, "Key": _key("d"), "ConditionExpression": "attribute_not_exists(pk)"}},
            ]
        )


def test_every_kind_of_write_is_replayed_exactly_after_a_crash(tmp_path: Path) -> None:
    database = local_state.EmbeddedDatabase(local_state.StateDir(tmp_path / "state"))
    database.open()
    try:
        _every_kind_of_write()
        expected = _items()
        crashed = _crash_copy(tmp_path / "state", tmp_path / "crashed")
    finally:
        database.close()
    assert set(expected) == {"a", "d"}  # b, c and gone were deleted; the refused writes left no trace
    assert list(local_state.StateDir(crashed).journals()) == [0]
    assert not local_state.StateDir(crashed).state_file.exists()  # only the journal holds them
    assert _reopened(crashed) == expected
    assert _reopened(tmp_path / "state") == expected  # and after a clean stop (a snapshot, no journal)
    assert not local_state.StateDir(tmp_path / "state").journals()


@pytest.mark.parametrize("torn", [b'0badc0de {"changes":[{"key"', b"\x00" * 100, b"garbage without a newline"])
def test_an_unfinished_last_record_is_left_out_and_the_rest_replayed(tmp_path: Path, torn: bytes) -> None:
    database = local_state.EmbeddedDatabase(local_state.StateDir(tmp_path / "state"))
    database.open()
    try:
        storage.client().put_item(TableName=TABLE, Item={**_key("kept")})
        crashed = _crash_copy(tmp_path / "state", tmp_path / "crashed")
    finally:
        database.close()
    with (crashed / "journal-0.log").open("ab") as journal:
        journal.write(torn)  # a write cut short: never flushed, never acknowledged
    reopened = local_state.EmbeddedDatabase(local_state.StateDir(crashed))
    opened = reopened.open()
    try:
        assert set(_items()) == {"kept"}
        assert (opened.replayed, opened.dropped) == (1, len(torn))
    finally:
        reopened.close()
    assert set(_reopened(crashed)) == {"kept"}  # the torn bytes are gone for good, not replayed later


def test_reading_stops_at_the_first_record_that_is_not_intact(tmp_path: Path) -> None:
    good = [local_journal.encode({"n": i}) for i in range(3)]
    flipped = bytearray(good[1])
    flipped[-3] ^= 1  # one bit of the second record: its checksum no longer matches
    path = tmp_path / "journal-0.log"
    path.write_bytes(good[0] + bytes(flipped) + good[2])
    contents = local_journal.read(path)
    assert contents.records == [{"n": 0}]
    assert contents.dropped == len(flipped) + len(good[2])  # after a power cut, later bytes prove nothing


@pytest.mark.parametrize("step", ["before the new snapshot", "before the old journals are removed"])
def test_a_crash_at_any_step_of_compaction_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    database = local_state.EmbeddedDatabase(local_state.StateDir(tmp_path / "state"))
    database.open()
    try:
        client: Any = storage.client()
        for n in range(5):
            client.put_item(TableName=TABLE, Item={**_key(f"old{n}")})
        client.delete_item(TableName=TABLE, Key=_key("old0"))
        with monkeypatch.context() as patched:
            if step == "before the new snapshot":
                patched.setattr(os, "replace", _crash)
            else:
                patched.setattr(Path, "unlink", _crash)
            with pytest.raises(_CrashError):
                database.compact()
        client.put_item(TableName=TABLE, Item={**_key("new")})  # into the next journal
        client.delete_item(TableName=TABLE, Key=_key("old1"))
        expected = _items()
        crashed = _crash_copy(tmp_path / "state", tmp_path / "crashed")
    finally:
        database.close()
    assert set(expected) == {"old2", "old3", "old4", "new"}
    assert len(local_state.StateDir(crashed).journals()) == 2
    assert _reopened(crashed) == expected
    assert list(local_state.StateDir(crashed).journals()) == []  # compacted at start, then closed empty


class _CrashError(Exception):
    pass


def _crash(*args: Any, **kwargs: Any) -> None:
    raise _CrashError


def test_a_long_journal_is_compacted_while_serving(tmp_path: Path) -> None:
    state = local_state.StateDir(tmp_path / "state")
    database = local_state.EmbeddedDatabase(state, compact_bytes=4096)
    database.open()
    try:
        for n in range(60):
            storage.client().put_item(TableName=TABLE, Item={**_key(f"k{n:02}"), "pad": {"S": "x" * 100}})
        expected = _items()
        database.compact()  # the background compaction may still be running: this one waits for it
        assert state.state_file.exists()
        assert sum(path.stat().st_size for path in state.journals().values()) < 4096
        crashed = _crash_copy(state.path, tmp_path / "crashed")
    finally:
        database.close()
    assert _reopened(crashed) == expected


def test_a_write_returns_only_once_its_record_is_flushed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flushed: list[int] = []  # the journal's size at each flush
    real_flush = local_journal.flush

    def flush(fd: int) -> None:
        real_flush(fd)
        flushed.append(os.fstat(fd).st_size)

    monkeypatch.setattr(local_journal, "flush", flush)
    state = local_state.StateDir(tmp_path / "state")
    database = local_state.EmbeddedDatabase(state)
    database.open()
    try:
        for n in range(20):
            storage.client().put_item(TableName=TABLE, Item={**_key(f"k{n}")})
            assert flushed[-1] == state.journal(0).stat().st_size  # all of it, this write's record included
        storage.client().get_item(TableName=TABLE, Key=_key("k0"))
        assert len(flushed) == 20  # a read with nothing pending flushes nothing
    finally:
        database.close()


def test_concurrent_writes_make_whole_records_in_the_order_they_took_effect(tmp_path: Path) -> None:
    state = local_state.StateDir(tmp_path / "state")
    database = local_state.EmbeddedDatabase(state)
    database.open()
    try:

        def write(worker: int) -> None:
            client: Any = storage.client()
            for _ in range(50):
                client.update_item(
                    TableName=TABLE,
                    Key=_key("counter"),
                    UpdateExpression="ADD n :one SET #w = :w",
                    ExpressionAttributeNames={"#w": f"w{worker}"},
                    ExpressionAttributeValues={":one": {"N": "1"}, ":w": {"S": "x" * 500}},
                )

        threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        contents = local_journal.read(state.journal(0))
    finally:
        database.close()
    assert contents.dropped == 0
    counts = [int(record["changes"][0]["item"]["n"]["N"]) for record in contents.records]
    assert counts == list(range(1, 201))  # every record whole, each after the one it followed


def test_a_write_the_journal_cannot_replay_is_refused(tmp_path: Path) -> None:
    database = local_state.EmbeddedDatabase(local_state.StateDir(tmp_path / "state"))
    database.open()
    try:
        with pytest.raises(UnrecordedOperationError, match="ExecuteStatement"):
            storage.client().execute_statement(Statement=f"INSERT INTO \"{TABLE}\" VALUE {{'pk': 'p', 'sk': 'x'}}")
        assert _items() == {}
    finally:
        database.close()


def test_a_write_that_cannot_be_made_durable_fails_and_so_does_every_later_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = local_state.EmbeddedDatabase(local_state.StateDir(tmp_path / "state"))
    database.open()
    try:
        client: Any = storage.client()
        with monkeypatch.context() as patched:
            patched.setattr(local_journal, "flush", _crash)
            with pytest.raises(local_journal.JournalError):
                client.put_item(TableName=TABLE, Item={**_key("unsure")})
        with pytest.raises(local_journal.JournalError, match="restart the local API"):
            client.put_item(TableName=TABLE, Item={**_key("later")})
        with pytest.raises(local_journal.JournalError):
            client.get_item(TableName=TABLE, Key=_key("unsure"))  # nobody reads what may not be on disk
    finally:
        database.close()

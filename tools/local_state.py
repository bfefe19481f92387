"""The local API's embedded DynamoDB, and the files that make every write it acknowledges survive a crash.

moto keeps tables in memory. The state folder (``.local/`` by default, git-ignored) keeps them on disk:

* ``dynamodb.json``, a snapshot of the whole table in DynamoDB's own typed item format, written to a
  temporary file, flushed and moved into place with ``os.replace`` (never a torn file). It names the first
  journal file it does not contain;
* ``journal-<n>.log`` (``tools.local_journal``): for each write request, the whole new item (or its absence)
  of every key it touched, appended and flushed to disk *before* the request returns to the handler, so
  before any client hears of it (``tools.embedded_dynamodb`` hands the writes over). Reads wait for the
  writes they could see, so nobody sees what a crash could undo.

Opening replays the journals on top of the snapshot: the last image of each key wins, deletes included, so
replaying twice changes nothing. Then the two are compacted into a new snapshot: at start, when a journal
grows past ``COMPACT_BYTES``, and on a clean stop. Compacting copies the table and switches to the next
journal file in one atomic step; the new snapshot names that file, and only once it is in place are older
journals removed. A crash at any step leaves a snapshot and the journals it needs.

The local API and the API-key CLI both open the state through this module. A lock file says who owns it
(the running local API holds it for its lifetime, a CLI or ``tools.invoke`` for one command); a CLI that finds a
local API holding it hands its command over ``admin.sock`` instead (see ``tools.apikeys``), and ``tools.invoke``
asks it there where its DynamoDB endpoint is.

Copying items opaquely between the table and the files is the embedded database's business, not the
application's: every read and write of the application's items still goes through ``dataset_core.storage``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto import mock_aws

from dataset_core import config
from dataset_core.storage import client as storage
from tools import local_journal, template
from tools.embedded_dynamodb import (
    Change,
    UnrecordedOperationError,
    cheap_transactions,
    exclusive,
    fast_item_responses,
    from_wire,
    record_writes,
    serialize_requests,
    table_items,
)

LOCAL_TABLE = "ragflow-datasets-local"
"""The table name the local API and the CLI use for the embedded database."""
STATE_FORMAT = "ragflow-local-dynamodb/1"
DEFAULT_STATE_DIR = template.ROOT / ".local"
COMPACT_BYTES = 32 * 1024 * 1024
"""A journal this long is folded into a new snapshot (its replay would slow the next start)."""
_JOURNAL = re.compile(r"journal-(\d{1,12})\.log")


class StateError(Exception):
    """The state file cannot be used as it is; the message says what to do."""


@dataclass(frozen=True)
class StateDir:
    """Where one local API keeps its state: the snapshot, the journals, the owner's lock and the admin socket."""

    path: Path

    @property
    def state_file(self) -> Path:
        return self.path / "dynamodb.json"

    @property
    def lock_file(self) -> Path:
        return self.path / "local_api.lock"

    @property
    def socket(self) -> Path:
        return self.path / "admin.sock"

    def journal(self, generation: int) -> Path:
        return self.path / f"journal-{generation}.log"

    def journals(self) -> dict[int, Path]:
        """Every journal file, by generation."""
        found = (_JOURNAL.fullmatch(p.name) for p in self.path.glob("journal-*.log"))
        return {int(m.group(1)): self.path / m.group(0) for m in found if m}

    def create(self) -> None:
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)

    def reset(self) -> None:
        """Forget the table (``--reset``): the snapshot and every journal."""
        self.state_file.unlink(missing_ok=True)
        for path in self.journals().values():
            path.unlink()


def local_secret(state: StateDir, name: str) -> str:
    """A random secret standing in for a Secrets Manager value, kept in the state folder (mode 0600).

    Stable across restarts (page tokens a client holds stay valid), gone with the folder.
    """
    path = state.path / "secrets.json"
    state.create()
    try:
        known: dict[str, str] = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        known = {}
    if name not in known:
        known[name] = secrets.token_hex(32)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            json.dump(known, f)
        os.replace(tmp, path)
    return known[name]


@dataclass(frozen=True)
class Holder:
    pid: str
    role: str  # "local API" or "API-key CLI"


class StateLock:
    """An exclusive ``flock`` on the state's lock file: one owner of the state at a time.

    The owner writes its pid and role into the file, so that whoever finds the lock taken knows whether to
    hand its command to a local API or to wait for another CLI. The kernel drops the lock when its holder
    dies, even by ``kill -9``, so a crash never leaves a stale lock behind.
    """

    SERVER = "local API"
    CLI = "API-key CLI"
    INVOKE = "tools.invoke"

    def __init__(self, state: StateDir, role: str) -> None:
        self._state = state
        self._role = role
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock if free (never waits); True if this process now owns the state."""
        self._state.create()
        fd = os.open(self._state.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {self._role}\n".encode())
        self._fd = fd
        return True

    def holder(self) -> Holder | None:
        """Who holds the lock, as it wrote; None if unknown (it may be writing it right now)."""
        try:
            pid, _, role = self._state.lock_file.read_text().strip().partition(" ")
        except OSError:
            return None
        return Holder(pid, role) if pid.isdigit() and role in {self.SERVER, self.CLI, self.INVOKE} else None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


def use_table(table_name: str, endpoint: str | None = None) -> None:
    """Point ``dataset_core`` at ``table_name`` (on ``endpoint``, or wherever boto3 goes by default).

    Settings are cached per execution environment; a tool that picks the table at run time must clear
    that cache and the client so the next call sees the new environment.
    """
    os.environ["TABLE_NAME"] = table_name
    if endpoint:
        os.environ["DYNAMODB_ENDPOINT"] = endpoint
    else:
        os.environ.pop("DYNAMODB_ENDPOINT", None)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    config.settings.cache_clear()
    storage.reset_client()


def ensure_table(table_name: str) -> bool:
    """Create the template's table on the configured endpoint unless it exists; True if created."""
    client = storage.client()
    try:
        client.describe_table(TableName=table_name)
    except client.exceptions.ResourceNotFoundException:
        client.create_table(**template.table_definition(table_name))
        client.get_waiter("table_exists").wait(TableName=table_name)
        return True
    return False


@dataclass(frozen=True)
class Opened:
    items: int
    replayed: int
    """Write requests replayed from the journals on top of the snapshot."""
    dropped: int
    """Bytes of an unfinished last write (never acknowledged), left out."""


class EmbeddedDatabase:
    """moto in this process with the template's table, kept in a state folder (see the module's docstring)."""

    def __init__(self, state: StateDir, table: str = LOCAL_TABLE, *, compact_bytes: int = COMPACT_BYTES) -> None:
        self._state = state
        self._table = table
        self._compact_bytes = compact_bytes
        self._key_names = [k["AttributeName"] for k in template.table_definition(table)["KeySchema"]]
        self._mock: Any = None
        self._region = ""
        self._journal: local_journal.Journal | None = None
        self._generation = 0
        self._compact_lock = threading.Lock()
        self._compact_wanted = threading.Event()
        self._closing = False
        self._compactor = threading.Thread(target=self._compact_when_wanted, name="compactor", daemon=True)

    # -- open and close --

    def open(self) -> Opened:
        """Start moto, load the snapshot and replay the journals; from then on every write is journaled."""
        serialize_requests()
        fast_item_responses()
        cheap_transactions()
        use_table(self._table)
        self._mock = mock_aws()
        self._mock.start()
        storage.reset_client()
        client = storage.client()
        client.create_table(**template.table_definition(self._table))
        self._region = client.meta.region_name
        self._state.create()
        for tmp in self._state.path.glob(f".{self._state.state_file.name}.*.tmp"):
            tmp.unlink()  # a snapshot a crash left unfinished
        items, first, last, replayed, dropped = self._read()
        for start in range(0, len(items), 25):
            pending: Any = {
                self._table: [{"PutRequest": {"Item": from_wire(item)}} for item in items[start : start + 25]]
            }
            while pending:
                pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None
        self._generation = first
        if replayed or dropped or set(self._state.journals()) - {first}:
            self._generation = last + 1
            self._write_snapshot(items, self._generation)
        self._journal = local_journal.Journal(self._state.journal(self._generation))
        record_writes(self)
        self._compactor.start()
        return Opened(len(items), replayed, dropped)

    def close(self) -> None:
        """Fold the journal into the snapshot (if it holds anything) and stop moto."""
        self._closing = True
        self._compact_wanted.set()
        if self._compactor.is_alive():
            self._compactor.join(timeout=60)
        if self._journal is not None and self._journal.broken:
            print("local API: the journal failed; the state is what reached the disk before", file=sys.stderr)
        elif self._journal is not None and self._journal.size:
            self.compact()
        record_writes(None)
        if self._journal is not None:
            self._journal.close()
            if not self._journal.size:
                self._journal.path.unlink(missing_ok=True)  # the snapshot names it: missing means empty
            self._journal = None
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
            storage.reset_client()

    def _read(self) -> tuple[list[dict[str, Any]], int, int, int, int]:
        """The table as the snapshot and the journals after it leave it: (items, first and last journal
        generation, write requests replayed, bytes of an unfinished last record)."""
        first, table = 0, {}
        try:
            raw = self._state.state_file.read_text()
        except FileNotFoundError:
            raw = None
        if raw is not None:
            try:
                data = json.loads(raw)
                if data.get("format") != STATE_FORMAT:
                    raise ValueError(f"unknown format {data.get('format')!r}")
                first = int(data.get("journal", 0))
                table = {self._key(item): item for item in data["items"]}
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise StateError(
                    f"{self._state.state_file} is not a state file this version can read ({error}); "
                    "move it away, or start with --reset to begin empty"
                ) from None
        last, replayed, dropped = first, 0, 0
        for generation, path in sorted(self._state.journals().items()):
            if generation < first:
                continue  # already in the snapshot: a crash came before its removal
            contents = local_journal.read(path)
            for record in contents.records:
                for change in record["changes"]:
                    if change["item"] is None:
                        table.pop(self._key(change["key"]), None)
                    else:
                        table[self._key(change["key"])] = change["item"]
            last, replayed, dropped = generation, replayed + len(contents.records), contents.dropped
            if dropped:
                break  # an unfinished write: nothing after it was ever acknowledged
        return list(table.values()), first, last, replayed, dropped

    def _key(self, item: dict[str, Any]) -> str:
        return json.dumps([item[name] for name in self._key_names], sort_keys=True)

    @property
    def region(self) -> str:
        """The region moto keeps the table in (``tools.dynamodb_endpoint`` serves that one)."""
        return self._region

    # -- the journal (tools.embedded_dynamodb.Recorder) --

    def record(self, changes: list[Change]) -> int:
        assert self._journal is not None
        if any(change.table != self._table for change in changes):
            raise UnrecordedOperationError(f"the local API's embedded DynamoDB keeps only the table {self._table}")
        record = {"changes": [{"key": c.key, "item": c.item} for c in changes]}
        ticket = self._journal.append(record)
        if self._journal.size > self._compact_bytes:
            self._compact_wanted.set()
        return ticket

    def position(self) -> int:
        assert self._journal is not None
        return self._journal.position()

    def wait(self, ticket: int) -> None:
        assert self._journal is not None
        self._journal.wait(ticket)

    # -- compaction --

    def compact(self) -> None:
        """A new snapshot of the whole table; the journals it contains are then removed."""
        assert self._journal is not None
        with self._compact_lock:
            with exclusive():  # no write between the copy and the switch: each lands in exactly one of them
                items = table_items(self._region, self._table)
                generation = self._generation + 1
                self._journal.switch(self._state.journal(generation))
                self._generation = generation
            self._write_snapshot(items, generation)

    def _compact_when_wanted(self) -> None:
        while True:
            self._compact_wanted.wait()
            if self._closing:
                return
            self._compact_wanted.clear()
            try:
                self.compact()
            except Exception as error:  # keep serving: the journal still holds every write
                print(f"local API: could not compact the state: {error}", file=sys.stderr, flush=True)

    def _write_snapshot(self, items: Iterable[dict[str, Any]], generation: int) -> None:
        """The snapshot, naming ``generation`` as the first journal not in it; then the journals before it go."""
        ordered = sorted(items, key=self._key)
        payload = json.dumps(
            {"format": STATE_FORMAT, "table": self._table, "journal": generation, "items": ordered},
            separators=(",", ":"),
        )
        tmp = self._state.path / f".{self._state.state_file.name}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
                f.write(payload)
                f.flush()
                local_journal.flush(f.fileno())
            os.replace(tmp, self._state.state_file)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        local_journal.flush_directory(self._state.path)
        for old, path in self._state.journals().items():
            if old < generation:
                path.unlink()

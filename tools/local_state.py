"""The local API's embedded DynamoDB, and the state file that makes it survive restarts.

moto keeps tables in memory. Here the whole table is saved as one JSON file in a git-ignored folder
(``.local/`` by default), in DynamoDB's own typed item format, written to a temporary file and moved into
place with ``os.replace``: a crash at any moment leaves the old snapshot or the new one, never a torn file.
A debounced saver writes shortly after every change, so a ``kill -9`` loses at most that moment.

The local API and the API-key CLI both open the state through this module. A lock file says who owns it:
the running local API holds it for its lifetime (two servers on one state would overwrite each other's
saves); the CLI, finding it held, hands its command to the server over ``admin.sock`` rather than write
the file behind the server's back (see ``tools.apikeys``).

Copying items opaquely between the table and the file is the embedded database's business, not the
application's: every read and write of the application's items still goes through ``dataset_core.storage``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto import mock_aws

from dataset_core import config
from dataset_core.storage import client as storage
from tools import template
from tools.embedded_dynamodb import cheap_transactions, exclusive, fast_item_responses, serialize_requests

LOCAL_TABLE = "ragflow-datasets-local"
"""The table name the local API and the CLI use for the embedded database."""
STATE_FORMAT = "ragflow-local-dynamodb/1"
DEFAULT_STATE_DIR = template.ROOT / ".local"


class StateError(Exception):
    """The state file cannot be used as it is; the message says what to do."""


@dataclass(frozen=True)
class StateDir:
    """Where one local API keeps its state: the snapshot, the owner's lock and the admin socket."""

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

    def create(self) -> None:
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)


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


class StateLock:
    """An exclusive ``flock`` on the state's lock file: one owner of the state at a time.

    The kernel drops the lock when its holder dies, even by ``kill -9``, so a crash never leaves a
    stale lock behind.
    """

    def __init__(self, state: StateDir) -> None:
        self._state = state
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
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        """The pid written by the owner, for messages (best effort)."""
        try:
            return self._state.lock_file.read_text().strip() or "unknown"
        except OSError:
            return "unknown"

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


def start_embedded(table_name: str = LOCAL_TABLE) -> Any:
    """Start moto in this process (every thread's boto3 calls go to it) with the template's table.

    Returns the ``mock_aws`` object; ``stop()`` it to end. Requests are serialized so that each is
    atomic, as on DynamoDB; item answers skip moto's slow generic serializer and a
    transaction backs up only the items it touches (``tools.embedded_dynamodb``).
    """
    serialize_requests()
    fast_item_responses()
    cheap_transactions()
    use_table(table_name)
    mock = mock_aws()
    mock.start()
    storage.reset_client()
    storage.client().create_table(**template.table_definition(table_name))
    return mock


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


def load(state: StateDir, table_name: str = LOCAL_TABLE) -> int:
    """Put the snapshot's items into the (empty) table; returns how many. No file: an empty start."""
    try:
        raw = state.state_file.read_text()
    except FileNotFoundError:
        return 0
    try:
        data = json.loads(raw)
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"unknown format {data.get('format')!r}")
        items: list[dict[str, Any]] = data["items"]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise StateError(
            f"{state.state_file} is not a state file this version can read ({error}); "
            "move it away, or start with --reset to begin empty"
        ) from None
    client = storage.client()
    for start in range(0, len(items), 25):
        pending: Any = {table_name: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None
    return len(items)


def snapshot(table_name: str = LOCAL_TABLE) -> list[dict[str, Any]]:
    """Every item of the table, consistent: no other request runs while the pages are read."""
    paginator = storage.client().get_paginator("scan")
    with exclusive():
        items = [
            item for page in paginator.paginate(TableName=table_name, ConsistentRead=True) for item in page["Items"]
        ]
    return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def save(state: StateDir, table_name: str = LOCAL_TABLE) -> int:
    """Write the table to the state file atomically (temp file, fsync, ``os.replace``); returns the count."""
    items = snapshot(table_name)
    payload = json.dumps({"format": STATE_FORMAT, "table": table_name, "items": items}, separators=(",", ":"))
    state.create()
    tmp = state.path / f".{state.state_file.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, state.state_file)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    directory = os.open(state.path, os.O_RDONLY)
    try:
        os.fsync(directory)  # make the rename itself durable
    finally:
        os.close(directory)
    return len(items)


class Saver:
    """Saves shortly after changes, on a background thread, and once more on ``close()``.

    ``delay`` batches a burst of writes into one save. A save holds up every request while it reads the
    table (that is what makes the snapshot consistent), and its cost grows with the table: so the pause
    between saves is at least four times the last save's duration, and saving never takes more than a
    fifth of the time. A ``kill -9`` loses at most the writes since the last save: 0.2 s for a small
    table, about a second for some thousands of datasets. The file on disk is always a whole snapshot.
    """

    def __init__(self, save: Callable[[], object], delay: float = 0.2) -> None:
        self._save = save
        self._delay = delay
        self._last_duration = 0.0
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="state-saver", daemon=True)
        self._thread.start()

    def mark_dirty(self) -> None:
        self._dirty.set()

    def save_now(self) -> None:
        """Save before returning (e.g. before handing out a freshly minted key)."""
        self._dirty.clear()
        self._save_logged()

    def close(self) -> None:
        """Stop the thread and write the final snapshot."""
        self._stopping.set()
        self._dirty.set()
        self._thread.join(timeout=30)
        self._dirty.clear()
        self._save_logged()

    def _run(self) -> None:
        while True:
            self._dirty.wait()
            if self._stopping.is_set():
                return
            # debounce: gather the rest of a burst, and leave the table to requests most of the time
            self._stopping.wait(max(self._delay, 4 * self._last_duration))
            if self._stopping.is_set():
                return
            self._dirty.clear()
            self._save_logged()

    def _save_logged(self) -> None:
        with self._lock:
            started = time.perf_counter()
            try:
                self._save()
            except Exception as error:  # keep serving; the next change or shutdown retries
                self._dirty.set()
                print(f"local API: could not save the state: {error}", file=sys.stderr, flush=True)
            self._last_duration = time.perf_counter() - started

"""The local API's write-ahead journal: an append-only file that a write reaches, on disk, before it is answered.

One line per record: the CRC-32 of the JSON (8 hex digits), a space, the JSON, a newline. Records are appended
in the order the writes took effect (the caller holds the embedded database's dispatch lock), each with one
``write`` call, so concurrent writers never interleave. ``wait`` makes a record durable: one flush
(``fdatasync``; ``F_FULLFSYNC`` on macOS, where ``fsync`` stops at the drive's cache) covers every record
appended before it, so writers that wait together share one flush (group commit).

A crash can leave the last records unfinished, and after a power cut the unflushed tail of the file may hold
anything. None of it was acknowledged: reading stops at the first record that is not whole and intact, and
nothing after it is used. Flushed records always form a prefix of the file, so that prefix is exactly what
survives.

Once a write or a flush fails the journal refuses every later one: the table in memory may then hold a write
that the file does not, and the local API must not acknowledge anything more until it restarts.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class JournalError(Exception):
    """The journal cannot make writes durable any more; restart the local API."""


def flush(fd: int) -> None:
    """Make what was written to ``fd`` durable, through the drive's own cache where the OS allows it."""
    if hasattr(fcntl, "F_FULLFSYNC"):
        fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
    else:
        os.fdatasync(fd)


def flush_directory(path: Path) -> None:
    """Make a file's creation, rename or removal in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def encode(record: Mapping[str, Any]) -> bytes:
    text = json.dumps(record, separators=(",", ":")).encode()  # ASCII: no newline inside
    return b"%08x %s\n" % (zlib.crc32(text), text)


@dataclass(frozen=True)
class Contents:
    records: list[dict[str, Any]]
    dropped: int
    """Bytes after the last intact record (an unfinished append): never acknowledged, not used."""


def read(path: Path) -> Contents:
    """The intact records at the start of a journal file, up to the first that is not."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Contents([], 0)
    records: list[dict[str, Any]] = []
    used = 0
    while True:
        end = data.find(b"\n", used)
        if end < 0:
            break
        line = data[used:end]
        checksum, _, text = line.partition(b" ")
        try:
            if len(checksum) != 8 or int(checksum, 16) != zlib.crc32(text):
                break
            record = json.loads(text)
        except ValueError:
            break
        if not isinstance(record, dict):
            break
        records.append(record)
        used = end + 1
    return Contents(records, len(data) - used)


class Journal:
    """The open journal file. ``append`` runs under the caller's lock; ``wait`` outside it."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()  # one flush (or file switch) at a time
        self._appended = 0  # records appended since this object was made, across files
        self._durable = 0
        self._broken: BaseException | None = None
        self._fd = self._open(path)
        self.path = path
        self.size = os.fstat(self._fd).st_size

    @staticmethod
    def _open(path: Path) -> int:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        flush_directory(path.parent)
        return fd

    def append(self, record: Mapping[str, Any]) -> int:
        """Write a record (not yet durable); the ticket ``wait`` takes."""
        self._check()
        line = encode(record)
        try:
            written = os.write(self._fd, line)
            if written != len(line):
                raise OSError(f"short write to {self.path}: {written} of {len(line)} bytes")
        except BaseException as error:
            self._broken = error
            raise JournalError(f"cannot write {self.path}: {error}") from error
        self.size += len(line)
        self._appended += 1
        return self._appended

    @property
    def broken(self) -> bool:
        return self._broken is not None

    def position(self) -> int:
        """The ticket of everything appended so far."""
        return self._appended

    def wait(self, ticket: int) -> None:
        """Return once the records up to ``ticket`` are durable (one flush serves every waiting writer)."""
        if self._durable >= ticket:
            self._check()
            return
        with self._lock:
            self._check()
            if self._durable >= ticket:
                return
            target = self._appended  # appended before this flush starts: all covered by it
            try:
                flush(self._fd)
            except BaseException as error:
                self._broken = error
                raise JournalError(f"cannot flush {self.path}: {error}") from error
            self._durable = target

    def switch(self, path: Path) -> None:
        """Make this file durable, then append to ``path`` (call under the caller's lock: no append meanwhile)."""
        with self._lock:
            self._check()
            target = self._appended
            try:
                flush(self._fd)
                fd = self._open(path)
            except BaseException as error:
                self._broken = error
                raise JournalError(f"cannot switch to {path}: {error}") from error
            os.close(self._fd)
            self._fd, self.path, self.size, self._durable = fd, path, 0, target

    def close(self) -> None:
        with self._lock:
            if self._broken is None:
                flush(self._fd)
            os.close(self._fd)
            self._broken = JournalError(f"{self.path} is closed")

    def _check(self) -> None:
        if self._broken is not None:
            raise JournalError(f"the journal {self.path} failed earlier ({self._broken}); restart the local API")

"""Dataset name rules: the legacy API's charset and length, and RAGFlow's renaming of a taken name."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from .errors import InvalidName

LEGACY_MAX_NAME_LENGTH = 1023  # "less than 2 ** 10 characters"
_LEGACY_CHARSET = re.compile(r"[A-Za-z0-9_.\-]+")


def legacy_name(raw: str) -> str:
    """Apply the legacy API's name rules and return the name to store."""
    name = raw.strip()
    if not name:
        raise InvalidName("Empty dataset name")
    if len(name) > LEGACY_MAX_NAME_LENGTH:
        raise InvalidName(f"Dataset name: {name} with length {len(name)} exceeds {LEGACY_MAX_NAME_LENGTH}!")
    if not _LEGACY_CHARSET.fullmatch(name):
        raise InvalidName("Dataset name can only contain the characters a-z, A-Z, 0-9, '_', '-' and '.': " + repr(name))
    return name


def split_name(name: str) -> tuple[str, int, str]:
    """``"kb(2).pdf"`` -> ``("kb", 2, ".pdf")``: the main part, counter and extension RAGFlow's
    ``duplicate_name`` (api/db/services/__init__.py) reads a name as - a file path: a directory part is
    dropped (``x/y`` -> ``y``), and the text before a ``(n)`` is right-stripped (``kb (3)`` -> ``kb``)."""
    path = PurePosixPath(name)
    ext = path.suffix
    stem = path.name[: len(path.name) - len(ext)]
    counter = re.search(r"\(([0-9]+)\)$", stem)
    if counter is None:
        return stem, 0, ext
    return stem[: counter.start()].rstrip(), int(counter.group(1)), ext


def free_name(name: str, taken: set[str]) -> str:
    """RAGFlow's ``duplicate_name``: while the name is taken (case-insensitively), derive the next candidate
    from it, counting its ``(n)`` up and keeping an extension in place: ``x.y`` -> ``x(1).y``,
    ``kb(1)`` -> ``kb(2)``."""
    while name.lower() in taken:
        stem, counter, ext = split_name(name)
        name = f"{stem}({counter + 1}){ext}"
    return name

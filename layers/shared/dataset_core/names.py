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
    """``"kb(2).pdf"`` -> ``("kb", 2, ".pdf")``: RAGFlow's stem, counter and suffix of a name."""
    ext = PurePosixPath(name).suffix
    stem = name[: len(name) - len(ext)]
    counter = re.search(r"\(([0-9]+)\)$", stem)
    if counter is None:
        return stem, 0, ext
    return stem[: counter.start()], int(counter.group(1)), ext


def free_name(name: str, taken: set[str]) -> str:
    """RAGFlow's ``duplicate_name``: while the name is taken (case-insensitively), count its ``(n)`` up,
    keeping a suffix in place: ``x.y`` -> ``x(1).y``, ``kb(1)`` -> ``kb(2)``."""
    while name.lower() in taken:
        stem, counter, ext = split_name(name)
        name = f"{stem}({counter + 1}){ext}"
    return name

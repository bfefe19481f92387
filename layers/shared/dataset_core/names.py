"""Dataset name rules and the key that makes a name unique within a tenant."""

from __future__ import annotations

import hashlib
import re

from .errors import InvalidName

SEED_MAX_NAME_LENGTH = 1023  # "less than 2 ** 10 characters"
_SEED_CHARSET = re.compile(r"[A-Za-z0-9_.\-]+")

# DynamoDB caps a sort key at 1024 bytes. Names whose lower-cased UTF-8 form would not fit after the
# "NAME#" prefix are locked under their SHA-256 instead, behind a prefix no literal lock can have.
_LITERAL_LOCK_MAX_BYTES = 1000


def seed_name(raw: str) -> str:
    """Apply the seed API's name rules (README, limits) and return the name to store."""
    name = raw.strip()
    if not name:
        raise InvalidName("Empty dataset name")
    if len(name) > SEED_MAX_NAME_LENGTH:
        raise InvalidName(f"Dataset name: {name} with length {len(name)} exceeds {SEED_MAX_NAME_LENGTH}!")
    if not _SEED_CHARSET.fullmatch(name):
        raise InvalidName("Dataset name can only contain the characters a-z, A-Z, 0-9, '_', '-' and '.': " + repr(name))
    return name


def name_lock_key(name: str) -> str:
    """Sort key of the item that holds a name; case-insensitive, so ``KB`` and ``kb`` collide."""
    folded = name.lower()
    if len(folded.encode()) <= _LITERAL_LOCK_MAX_BYTES:
        return "NAME#" + folded
    return "NAMEHASH#" + hashlib.sha256(folded.encode()).hexdigest()

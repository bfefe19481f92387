"""Dataset name rules (``dataset_core.names``): the legacy API's charset and length, and RAGFlow's renaming of a
taken name on the RESTful create."""

from __future__ import annotations

import pytest

from dataset_core.errors import InvalidName
from dataset_core.names import LEGACY_MAX_NAME_LENGTH, free_name, legacy_name, split_name

MIB = 1024 * 1024
CHARSET = "Dataset name can only contain the characters a-z, A-Z, 0-9, '_', '-' and '.': "

LEGACY_NAMES = {
    "plain": ("kb1", "kb1"),
    "every-allowed-character": ("azAZ09_.-", "azAZ09_.-"),
    "surrounding-whitespace-stripped": ("  spaced.name-1_x \t", "spaced.name-1_x"),
    "longest": ("k" * LEGACY_MAX_NAME_LENGTH, "k" * 1023),
    "longest-after-stripping": (" " + "k" * 1023 + "\n", "k" * 1023),
}


@pytest.mark.parametrize(("raw", "stored"), list(LEGACY_NAMES.values()), ids=list(LEGACY_NAMES))
def test_a_legacy_name_within_the_rules_is_stored_stripped(raw: str, stored: str) -> None:
    assert legacy_name(raw) == stored


def _too_long(name: str) -> str:
    return f"Dataset name: {name} with length {len(name)} exceeds 1023!"


LEGACY_NAME_ERRORS = {
    "empty": ("", "Empty dataset name"),
    "spaces-only": ("   ", "Empty dataset name"),
    "newline-only": ("\n", "Empty dataset name"),
    "length-1024": ("k" * 1024, _too_long("k" * 1024)),
    "length-half-mebibyte": ("a" * (MIB // 2), _too_long("a" * (MIB // 2))),
    "nul": ("a\x00b", CHARSET + repr("a\x00b")),
    "nul-at-the-end": ("kb\x00", CHARSET + repr("kb\x00")),
    "space-inside": ("k b", CHARSET + repr("k b")),
    "newline-inside": ("k\nb", CHARSET + repr("k\nb")),
    "tab-inside": ("k\tb", CHARSET + repr("k\tb")),
    "escape-sequence": ("\x1b[2J", CHARSET + repr("\x1b[2J")),
    "slash": ("kb/1", CHARSET + repr("kb/1")),
    "accented-letter": ("r\u00e9seau", CHARSET + repr("r\u00e9seau")),
    "semicolon": ("kb;drop", CHARSET + repr("kb;drop")),
    "parentheses": ("kb(1)", CHARSET + repr("kb(1)")),
    "cyrillic-a": ("kb\u0430", CHARSET + repr("kb\u0430")),
    "fullwidth": ("\uff4b\uff42", CHARSET + repr("\uff4b\uff42")),
    "kelvin-sign": ("\u212ab", CHARSET + repr("\u212ab")),
    "zero-width-space": ("k\u200bb", CHARSET + repr("k\u200bb")),
    "right-to-left-override": ("a\u202eb", CHARSET + repr("a\u202eb")),
    "sql-injection": ("' OR 1=1 --", CHARSET + repr("' OR 1=1 --")),
    "expression-name-placeholder": ("#name", CHARSET + repr("#name")),
    "expression-value-placeholder": (":val", CHARSET + repr(":val")),
    "expression-function": ("attribute_exists(pk)", CHARSET + repr("attribute_exists(pk)")),
    "path-traversal": ("../../etc/passwd", CHARSET + repr("../../etc/passwd")),
    "sort-key-prefix": ("NAME#kb1", CHARSET + repr("NAME#kb1")),
}
"""Only ``a-z A-Z 0-9 _ - .``, under 1024 characters, not empty: every lookalike, control character and bit of
query syntax is refused."""


@pytest.mark.parametrize(("raw", "message"), list(LEGACY_NAME_ERRORS.values()), ids=list(LEGACY_NAME_ERRORS))
def test_a_legacy_name_outside_the_rules_is_refused_with_ragflows_message(raw: str, message: str) -> None:
    with pytest.raises(InvalidName) as raised:
        legacy_name(raw)
    assert raised.value.message == message


SPLITS = {
    "bare": ("kb", ("kb", 0, "")),
    "counter": ("kb(1)", ("kb", 1, "")),
    "counter-with-leading-zero": ("kb(01)", ("kb", 1, "")),
    "counter-and-suffix": ("kb(2).pdf", ("kb", 2, ".pdf")),
    "suffix": ("x.y", ("x", 0, ".y")),
    "last-suffix-only": ("a.tar.gz", ("a.tar", 0, ".gz")),
    "dot-file": (".hidden", (".hidden", 0, "")),
    "trailing-dot": ("v1.", ("v1.", 0, "")),
    "only-a-counter": ("(1)", ("", 1, "")),
    "counter-not-at-the-end": ("kb(1)x", ("kb(1)x", 0, "")),
}


@pytest.mark.parametrize(("name", "parts"), list(SPLITS.values()), ids=list(SPLITS))
def test_a_name_splits_into_stem_counter_and_suffix(name: str, parts: tuple[str, int, str]) -> None:
    assert split_name(name) == parts


FREE_NAMES = {
    "free": ("kb", set(), "kb"),
    "taken": ("kb", {"kb"}, "kb(1)"),
    "taken-in-another-case": ("KB", {"kb"}, "KB(1)"),
    "counts-to-the-first-free-number": ("kb", {"kb", "kb(1)"}, "kb(2)"),
    "counter-counted-up": ("kb(1)", {"kb(1)"}, "kb(2)"),
    "counter-zero": ("kb(0)", {"kb(0)"}, "kb(1)"),
    "counter-past-the-taken-ones": ("Dup(1)", {"dup", "dup(1)", "dup(2)", "dup(3)"}, "Dup(4)"),
    "suffix-kept-at-the-end": ("notes.v2", {"notes.v2"}, "notes(1).v2"),
    "last-suffix-only": ("a.tar.gz", {"a.tar.gz"}, "a.tar(1).gz"),
    "version-like-suffix": ("report v2.0", {"report v2.0"}, "report v2(1).0"),
    "trailing-dot": ("v1.", {"v1."}, "v1.(1)"),
    "dot-file": (".hidden", {".hidden"}, ".hidden(1)"),
}
"""RAGFlow v0.27's ``duplicate_name`` (``taken`` holds lower-cased names)."""


@pytest.mark.parametrize(("name", "taken", "expected"), list(FREE_NAMES.values()), ids=list(FREE_NAMES))
def test_a_taken_name_is_renamed_like_ragflows_duplicate_name(name: str, taken: set[str], expected: str) -> None:
    assert free_name(name, taken) == expected

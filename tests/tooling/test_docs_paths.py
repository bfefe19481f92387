"""docs/DEVELOPMENT.md's "Where things are" is how a newcomer finds a behaviour: every file or folder it names
must exist. A name is read from the repository's root, or from the shared layer's package (``restful/...``);
``<function>`` and ``<operation>`` stand for each folder of ``functions/``."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT

TABLE = ROOT.joinpath("docs", "DEVELOPMENT.md").read_text().split("## Where things are", 1)[1].split("\n## ", 1)[0]
NAMED = sorted({name for name in re.findall(r"`([^` ]+)`", TABLE) if re.search(r"/$|\.(py|md|json|yaml)$", name)})
FUNCTIONS = sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "app.py").exists())
BASES = [ROOT, ROOT / "layers" / "shared", ROOT / "layers" / "shared" / "dataset_core"]


def test_the_table_names_files() -> None:
    assert len(NAMED) > 20


@pytest.mark.parametrize("name", NAMED)
def test_every_file_the_development_guide_points_to_exists(name: str) -> None:
    for placeholder in ("<function>", "<operation>"):
        if placeholder in name:
            expanded = [
                name.replace(placeholder, fn) for fn in FUNCTIONS if fn != "authorizer" or "<operation>" in name
            ]
            break
    else:
        expanded = [name]
    missing = [n for n in expanded if not any((base / n).exists() for base in BASES)]
    assert missing == []

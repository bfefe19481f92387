"""The shared layer's build (``layers/shared/Makefile``, which ``sam build`` runs) on any machine with SAM.

It used to call ``python3.13`` by name: ``sam build`` run directly on a machine whose only 3.13 is pyenv's (not
global) failed with "command not found". Now it finds a Python 3.13 by itself, and without one it still builds,
without bytecode, and says so.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tools import template
from tools.lambda_artifact import find_python313

LAYER = template.ROOT / "layers" / "shared"


def build(artifacts: Path, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``make build-SharedLayer`` as SAM runs it, with a bare PATH (no pyenv shims) and the given HOME."""
    return subprocess.run(
        ["make", "--no-print-directory", "build-SharedLayer", f"ARTIFACTS_DIR={artifacts}"],
        cwd=LAYER,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def bytecode(artifacts: Path) -> list[Path]:
    return sorted(artifacts.rglob("*.pyc"))


def test_without_a_python_313_the_layer_is_built_without_bytecode_and_says_so(tmp_path: Path) -> None:
    done = build(tmp_path / "out", home=tmp_path)  # no pyenv under this HOME; /usr/bin has no 3.13 here
    if find_python313() is not None and "compiled by /usr/bin" in done.stdout:
        pytest.fail("this machine has a Python 3.13 in /usr/bin: the fallback cannot be observed here")
    assert done.returncode == 0, done.stderr
    assert "built without bytecode" in done.stdout
    assert (tmp_path / "out" / "python" / "dataset_core" / "__init__.py").is_file()
    assert bytecode(tmp_path / "out") == []


def test_a_python_that_is_not_313_is_not_used_for_the_bytecode(tmp_path: Path) -> None:
    done = build(
        tmp_path / "out", home=tmp_path, PYTHON313=sys.executable if sys.version_info[:2] != (3, 13) else "/bin/false"
    )
    assert done.returncode == 0, done.stderr
    assert not [p for p in bytecode(tmp_path / "out") if "cpython-313" not in p.name], "bytecode of another Python"


def test_with_a_python_313_the_layer_carries_its_bytecode(tmp_path: Path) -> None:
    """``PYTHON313`` names it; pyenv's is found under ``$PYENV_ROOT`` (or ``~/.pyenv``) with no shims on the PATH.
    On a machine without a Python 3.13 this pins the fallback instead (the build passes, without bytecode)."""
    python = find_python313()
    done = build(tmp_path / "out", home=tmp_path, PYTHON313=python or "")
    assert done.returncode == 0, done.stderr
    compiled = bytecode(tmp_path / "out")
    if python is None:
        assert compiled == []
        return
    assert f"compiled by {python}" in done.stdout
    sources = list((tmp_path / "out" / "python").rglob("*.py"))
    assert len(compiled) == len(sources)
    assert all(".cpython-313." in p.name for p in compiled)
    if "/.pyenv/versions/" in python:  # found by its folder alone, as `sam build` run by hand finds it
        pyenv_root = Path(python).parents[3]
        by_folder = build(tmp_path / "out2", home=tmp_path, PYENV_ROOT=str(pyenv_root))
        assert "compiled by" in by_folder.stdout, by_folder.stdout
        assert len(bytecode(tmp_path / "out2")) == len(sources)

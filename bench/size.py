"""Issue 6.4: what we deploy, zipped: ``sam build`` (as ``make sam-build`` runs it), then each artifact
zipped the way SAM packages it (deflate), measured in bytes.

The build goes to a scratch folder (``--build-dir``), so it never disturbs ``.aws-sam``; the output is the
same. Powertools, pydantic and boto3 are not in these artifacts: they come from AWS's public Powertools
layer and the runtime.

    python -m bench.size --out RESULT.json
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

from bench.common import ROOT, WORK, progress, section_main

TOOLS = ROOT / ".venv-tools" / "bin"
LIMIT_BYTES = 200 * 1024


def zipped(folder: Path) -> tuple[int, int, int]:
    """(zipped bytes, unzipped bytes, files) of ``folder`` as one deflated zip."""
    buffer = io.BytesIO()
    raw = files = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder))
                raw += path.stat().st_size
                files += 1
    return len(buffer.getvalue()), raw, files


def measure() -> dict[str, Any]:
    sam = TOOLS / "sam"
    if not sam.exists():
        return {"skipped": "no .venv-tools/bin/sam: run `make .venv-tools/.installed` (make bench does)"}
    build_dir = WORK / "sam-build"
    shutil.rmtree(build_dir, ignore_errors=True)
    env = {**os.environ, "PATH": f"{TOOLS}:{os.environ.get('PATH', '')}", "SAM_CLI_TELEMETRY": "0"}
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - the project's own sam
        [str(sam), "build", "--region", "us-east-1", "--build-dir", str(build_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        return {"skipped": f"sam build failed: {(done.stdout + done.stderr)[-1500:]}"}
    progress(f"sam build: {seconds:.1f} s")
    artifacts = {}
    for folder in sorted(p for p in build_dir.iterdir() if p.is_dir()):
        zip_bytes, raw, files = zipped(folder)
        artifacts[folder.name] = {"zip_bytes": zip_bytes, "raw_bytes": raw, "files": files}
    total = sum(a["zip_bytes"] for a in artifacts.values())
    pyc = sorted(str(p.relative_to(build_dir)) for p in build_dir.rglob("*.pyc"))
    return {
        "build_seconds": seconds,
        "artifacts": artifacts,
        "total_zip_bytes": total,
        "limit_bytes": LIMIT_BYTES,
        "pass": total < LIMIT_BYTES,
        "pyc_files_shipped": len(pyc),
        "sam_version": _sam_version(sam, env),
    }


def _sam_version(sam: Path, env: dict[str, str]) -> str:
    done = subprocess.run([str(sam), "--version"], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    return done.stdout.strip()


if __name__ == "__main__":
    section_main(lambda _smoke: measure())

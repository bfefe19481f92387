"""What we deploy, zipped: ``sam build`` into a scratch folder, each artifact zipped as SAM packages it."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
import zipfile
from typing import Any

from bench.common import ROOT, WORK, table, verdict

TITLE = "Deployment size (target: our code < 200 KB zipped)"
ABOUT = (
    "`sam build` (as `make sam-build` runs it, into a scratch `--build-dir`), then each artifact folder zipped "
    "with deflate as SAM packages it. Powertools, pydantic and boto3 are not in them (AWS's Powertools layer and "
    "the runtime provide them). Command: `python -m bench.run --only size`."
)
TOOLS = ROOT / ".venv-tools" / "bin"
LIMIT_KB = 200


def section(smoke: bool) -> dict[str, Any]:
    if not (TOOLS / "sam").exists():
        return {"skipped": "no .venv-tools/bin/sam (make bench installs it)"}
    build = WORK / "sam-build"
    shutil.rmtree(build, ignore_errors=True)
    env = {**os.environ, "PATH": f"{TOOLS}:{os.environ.get('PATH', '')}", "SAM_CLI_TELEMETRY": "0"}
    started = time.perf_counter()
    argv = [str(TOOLS / "sam"), "build", "--region", "us-east-1", "--build-dir", str(build)]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"sam build failed: {(done.stdout + done.stderr)[-1500:]}")
    seconds = time.perf_counter() - started
    version = subprocess.run([str(TOOLS / "sam"), "--version"], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    rows, total = [], 0
    for folder in sorted(p for p in build.iterdir() if p.is_dir()):
        buffer, files = io.BytesIO(), sorted(p for p in folder.rglob("*") if p.is_file())
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.relative_to(folder))
        total += len(buffer.getvalue())
        raw = sum(p.stat().st_size for p in files)
        pyc = sum(p.suffix == ".pyc" for p in files)
        rows.append(f"{folder.name} | {len(files)} | {pyc} | {raw / 1024:.1f} | {len(buffer.getvalue()) / 1024:.1f}")
    rows.append(f"**total** | | | | **{total / 1024:.1f}**")
    title = f"Artifacts ({version.stdout.strip()}, sam build {seconds:.1f} s)"
    target = f"our code, zipped (layer + 6 functions) | {total / 1024:.1f} KB | < {LIMIT_KB} KB | "
    tables = [table(title, "artifact | files | of which .pyc | KB | KB zipped", rows)]
    return {"tables": tables, "targets": [target + verdict(total < LIMIT_KB * 1024)], "data": {}}

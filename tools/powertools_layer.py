"""What AWS's public Powertools layer carries, by layer version: the one table of it, and an install of the same.

On AWS the functions import Powertools (and pydantic, and the X-Ray SDK) from the public layer
``AWSLambdaPowertoolsPythonV3-python313-arm64:<PowertoolsLayerVersion>``, and boto3 from the runtime; only our own
code is ours to ship. Locally ``requirements/app.txt`` pins the same packages, so the pin must be what the
template's layer version carries: ``tests/template/test_sam_workflow.py`` fails when they disagree. To move to a
newer layer, add its row here (the Powertools release is the last word of the layer version's ``Description``:
``aws lambda get-layer-version-by-arn --arn <layer ARN>``), then change the template's default and the pin.

``python -m tools.powertools_layer install --python PYTHON3.13 DIR`` installs the layer's packages into
``DIR/powertools/python`` (a layer's ``python/`` folder, as Lambda mounts it on ``/opt/python``) and what the
runtime provides into ``DIR/runtime``, apart from every venv, so that the built artifact runs on exactly those
(``tools.lambda_artifact``).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tools import template

LAYER_NAME = "AWSLambdaPowertoolsPythonV3-python313-arm64"
LAYER_ACCOUNT = "017000801446"


@dataclass(frozen=True)
class LayerRelease:
    powertools: str
    pydantic: str
    """The layer is built with the newest pydantic of its day; an entry says which, and how it is known."""
    source: str


LAYERS: dict[int, LayerRelease] = {
    27: LayerRelease(
        powertools="3.23.0",
        pydantic="2.12.4",
        source=(
            "aws-powertools/powertools-lambda-python issue #7689: layer version 27 was created on 2025-11-13 "
            "with release 3.23.0 (its SSM parameter .../python3.13/latest points to it). pydantic 2.12.4 "
            "(2025-11-05) was the newest release that day; 2.12.5 came out on 2025-11-26"
        ),
    ),
}
"""Layer version -> what it carries. Every version V3 of the layer has the same number in every region and for
every Python version and architecture of the release."""

RUNTIME_PACKAGES = ("boto3",)
"""What the python3.13 runtime provides itself (``/var/runtime``): at the version ``requirements/app.txt`` pins."""
_PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s#;]+)", re.MULTILINE)


def layer_version() -> int:
    """The template's default ``PowertoolsLayerVersion``."""
    return int(template.parameter_default("PowertoolsLayerVersion"))


def release() -> LayerRelease:
    version = layer_version()
    if version not in LAYERS:
        raise SystemExit(
            f"template.yaml's PowertoolsLayerVersion {version} is not in tools/powertools_layer.py's LAYERS: "
            f"add what {LAYER_NAME}:{version} carries (see that module's docstring)"
        )
    return LAYERS[version]


def pins() -> dict[str, str]:
    """``requirements/app.txt``'s pins, by package name without extras."""
    text = (template.ROOT / "requirements" / "app.txt").read_text()
    return {name.split("[")[0].lower(): version for name, version in _PIN.findall(text)}


def _powertools_extras() -> str:
    found = re.search(
        r"^aws-lambda-powertools(\[[^\]]*\])?==", (template.ROOT / "requirements" / "app.txt").read_text(), re.M
    )
    return found.group(1) or "" if found else ""


def requirements() -> dict[str, list[str]]:
    """What goes where: the layer's packages (``powertools/python``) and the runtime's (``runtime``)."""
    carried = release()
    runtime = [f"{name}=={pins()[name]}" for name in RUNTIME_PACKAGES]
    layer = [f"aws-lambda-powertools{_powertools_extras()}=={carried.powertools}", f"pydantic=={carried.pydantic}"]
    return {"powertools/python": layer, "runtime": runtime}


def install(python: str, target: Path) -> None:
    """Install both folders with ``python``'s pip (a Python 3.13, the runtime's), each one apart.

    The layer's folder keeps nothing the runtime provides (AWS builds the layer without boto3 and botocore), so
    that, as on Lambda, the runtime's boto3 is the one imported.
    """
    wanted = requirements()
    stamp = target / ".installed"
    if stamp.is_file() and json.loads(stamp.read_text()) == wanted:
        stamp.touch()  # up to date (make compares its time with the template's and the pins')
        return
    shutil.rmtree(target, ignore_errors=True)
    for folder, packages in wanted.items():
        done = subprocess.run(  # noqa: S603 - a Python's own pip, with pinned packages
            [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
             "--root-user-action=ignore", "--target", str(target / folder), *packages],
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )  # fmt: skip
        noise = ("is ignored: it is neither",)  # a pip configuration's missing extra index, not our concern
        sys.stderr.write("".join(x for x in done.stderr.splitlines(keepends=True) if not any(n in x for n in noise)))
        if done.returncode:
            raise SystemExit(f"pip could not install {' '.join(packages)} for {python}")
    provided = {p.name.lower() for p in (target / "runtime").iterdir()}
    for path in (target / "powertools/python").iterdir():
        if path.name.lower() in provided and path.name != "bin":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    stamp.write_text(json.dumps(wanted))
    print(f"{target}: {', '.join(p for ps in wanted.values() for p in ps)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.powertools_layer", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser("install", help="install the layer's and the runtime's packages into DIR")
    setup.add_argument("--python", required=True, help="a Python 3.13 (the runtime's version)")
    setup.add_argument("dir", type=Path)
    commands.add_parser("show", help="the template's layer version and what it carries")
    args = parser.parse_args(argv)
    if args.command == "install":
        install(args.python, args.dir)
    else:
        carried = release()
        print(f"{LAYER_NAME}:{layer_version()} carries aws-lambda-powertools {carried.powertools}, pydantic "
              f"{carried.pydantic} ({carried.source})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

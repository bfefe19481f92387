"""Developer and operator tools that are not Lambda code: the local API, the API-key CLI, template readers.

The shared layer goes on ``sys.path`` here, as the Lambda runtime puts a layer on it, so that
``python -m tools.<tool>`` imports ``dataset_core`` straight from a checkout.
"""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

_LAYER = str(Path(__file__).resolve().parent.parent / "layers" / "shared")
if _LAYER not in sys.path:
    sys.path.insert(0, _LAYER)


def load_module(path: Path, name: str) -> ModuleType:
    """``path`` imported as a module called ``name``. Every function's file is ``app.py``: a name of its own
    keeps each import apart in ``sys.modules``, as each Lambda execution environment is apart."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module

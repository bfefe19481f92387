"""Developer and operator tools that are not Lambda code: the local API, the API-key CLI, template readers.

The shared layer goes on ``sys.path`` here, as the Lambda runtime puts a layer on it, so that
``python -m tools.<tool>`` imports ``dataset_core`` straight from a checkout.
"""

import sys
from pathlib import Path

_LAYER = str(Path(__file__).resolve().parent.parent / "layers" / "shared")
if _LAYER not in sys.path:
    sys.path.insert(0, _LAYER)

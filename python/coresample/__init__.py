"""coresample: clustering-based sensitivity sampling.

Pick a small, weighted, representative subset of a large dataset: cluster the embeddings, ask a
loss oracle about one representative per cluster, sample rows in proportion to an upper bound on
their loss, and weight them so that weighted sums estimate dataset totals without bias.
`coresample.reference` is a pure NumPy implementation of the same API for cross-checking.

The public names load on first use (PEP 562): `import coresample.reference` loads nothing
compiled, so the reference stays an independent oracle (docs/ARCHITECTURE.md, section 1).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, List

__version__ = "0.1.0"

# Public name -> the module that defines it (relative to this package).
_EXPORTS = {
    "AdaptiveSelection": "._algorithm.adaptive",
    "CopyWarning": "._base.validation",
    "Estimate": "._base.estimate",
    "Evaluation": "._algorithm.evaluate",
    "KMeans": ".core.kmeans",
    "Plan": "._algorithm.evaluate",
    "Selection": "._base.results",
    "Shards": "._base.source",
    "assign": ".core.assign",
    "estimate": "._base.estimate",
    "estimate_lam": "._base.hoelder",
    "evaluate": ".core.evaluate",
    "kmeans_plusplus": ".core.seeding",
    "sample": ".core.sampling",
    "sample_size": "._base.estimate",
    "select": ".core.select",
    "select_adaptive": ".core.adaptive",
    "sensitivities": ".core.sensitivity",
    "simd_level": "._core",
    "snap_to_rows": ".core.snap",
}
_SUBMODULES = {"baselines", "regression"}

__all__ = sorted(_EXPORTS) + sorted(_SUBMODULES) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # static type checkers see the names as plain imports
    from . import baselines, regression  # noqa: F401
    from ._algorithm.adaptive import AdaptiveSelection  # noqa: F401
    from ._algorithm.evaluate import Evaluation, Plan  # noqa: F401
    from ._base.estimate import Estimate, estimate, sample_size  # noqa: F401
    from ._base.hoelder import estimate_lam  # noqa: F401
    from ._base.results import Selection  # noqa: F401
    from ._base.source import Shards  # noqa: F401
    from ._base.validation import CopyWarning  # noqa: F401
    from ._core import simd_level  # noqa: F401
    from .core.adaptive import select_adaptive  # noqa: F401
    from .core.assign import assign  # noqa: F401
    from .core.evaluate import evaluate  # noqa: F401
    from .core.kmeans import KMeans  # noqa: F401
    from .core.sampling import sample  # noqa: F401
    from .core.seeding import kmeans_plusplus  # noqa: F401
    from .core.select import select  # noqa: F401
    from .core.sensitivity import sensitivities  # noqa: F401
    from .core.snap import snap_to_rows  # noqa: F401

"""coresample.reference: the pure NumPy twin of `coresample`.

Same public names, signatures and results (docs/ARCHITECTURE.md): identical sampling for the same
seed, clustering equal to rounding. Slow and readable; it never imports the C++ extension's code.

Its estimators are its own: `estimate`, `sample_size` and `estimate_lam` here, and the modules
`estimate_from` (what `Selection.estimate_from` must return), `stratified` and `sequence`, are
written from the textbook formulas, not shared with the production code, so that the tests compare
two implementations (docs/RELIABILITY.md, "Estimators").
"""
from .._base.results import Selection
from .._base.source import Shards
from .._base.validation import CopyWarning
from .._algorithm.adaptive import AdaptiveSelection
from .._algorithm.evaluate import Evaluation, Plan
from .._base.estimate import Estimate
from . import baselines, regression
from .adaptive import select_adaptive
from .assign import assign
from .estimate import estimate, sample_size
from .evaluate import evaluate
from .hoelder import estimate_lam
from .kmeans import KMeans
from .sampling import sample
from .seeding import kmeans_plusplus
from .select import select
from .sensitivity import sensitivities
from .snap import snap_to_rows

__all__ = [
    "AdaptiveSelection", "CopyWarning", "Estimate", "Evaluation", "KMeans", "Plan", "Selection",
    "Shards", "assign", "baselines", "estimate", "estimate_lam", "evaluate", "kmeans_plusplus", "regression", "sample",
    "sample_size", "select", "select_adaptive", "sensitivities", "snap_to_rows",
]

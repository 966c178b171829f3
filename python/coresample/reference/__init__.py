"""coresample.reference: the pure NumPy twin of `coresample`.

Same public names, signatures and results (docs/ARCHITECTURE.md): identical sampling for the same
seed, clustering equal to rounding. Slow and readable; it never imports the C++ extension's code.
"""
from .._base.results import Selection
from .._base.source import Shards
from .._base.validation import CopyWarning
from .._algorithm.adaptive import AdaptiveSelection
from .._algorithm.evaluate import Evaluation, Plan
from .._base.estimate import Estimate, estimate, sample_size
from .._base.hoelder import estimate_lam
from . import baselines, regression
from .adaptive import select_adaptive
from .assign import assign
from .evaluate import evaluate
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

"""coresample: clustering-based sensitivity sampling.

Pick a small, weighted, representative subset of a large dataset: cluster the embeddings, ask a
loss oracle about one representative per cluster, sample rows in proportion to an upper bound on
their loss, and weight them so that weighted sums estimate dataset totals without bias.
`coresample.reference` is a pure NumPy implementation of the same API for cross-checking.
"""
from . import baselines, regression
from ._adaptive import AdaptiveSelection
from ._core import simd_level
from ._results import Selection
from ._source import Shards
from ._validation import CopyWarning
from .assign import assign
from .adaptive import select_adaptive
from .estimate import Estimate, estimate, sample_size
from .hoelder import estimate_lam
from .kmeans import KMeans
from .sampling import sample
from .seeding import kmeans_plusplus
from .select import select
from .sensitivity import sensitivities
from .snap import snap_to_rows

__version__ = "0.1.0"

__all__ = [
    "AdaptiveSelection", "CopyWarning", "Estimate", "KMeans", "Selection", "Shards", "assign",
    "baselines", "estimate", "estimate_lam", "kmeans_plusplus", "regression", "sample",
    "sample_size", "select", "select_adaptive", "sensitivities", "simd_level", "snap_to_rows",
    "__version__",
]

"""coresample.dask: `select` (and `KMeans`) on dask arrays whose rows are spread over a cluster.

The result equals the single-machine call's for the same seed (docs/DISTRIBUTED.md): the random
stream is keyed by the global row index and every reduction is combined in 1024-row block order.
Needs `dask[array]` (and `distributed` for a cluster).
"""
from ._kmeans import KMeans
from ._result import DaskSelection
from ._select import select

__all__ = ["DaskSelection", "KMeans", "select"]

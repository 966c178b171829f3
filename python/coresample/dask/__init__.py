"""coresample.dask: `select` (and `KMeans`) on dask arrays whose rows are spread over a cluster.

`select` has `coresample.select`'s parameters, order and defaults and returns its selection bit
for bit, for any chunking (docs/DISTRIBUTED.md): the random stream is keyed by the global row
index and every reduction is combined in 1024-row block order. The plan is `coresample._engine`'s,
shared with coresample.ray; this package only schedules it on Dask. Needs `dask[array]` (and
`distributed` for a cluster).
"""
from ._kmeans import KMeans
from ._select import DaskSelection, evaluate, select

__all__ = ["DaskSelection", "KMeans", "evaluate", "select"]

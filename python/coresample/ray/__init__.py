"""coresample.ray: `select` on a Ray Dataset of embeddings, on a Ray cluster.

`select` has `coresample.select`'s parameters, order and defaults and returns its selection bit
for bit, for any block layout of the dataset (docs/DISTRIBUTED.md). The plan is
`coresample._engine`'s, shared with coresample.dask; this package only schedules it on Ray:
the dataset's blocks are regrouped on the workers into partitions that start at multiples of
1024 rows, kernels run as Ray tasks and their small results meet on the driver. Needs `ray[data]`
and a running Ray (`ray.init()`).
"""
from ._select import RaySelection, evaluate, select
from ._vector import RayVector

__all__ = ["RaySelection", "RayVector", "evaluate", "select"]

"""The Dask engine: partitions are the blocks of a dask array, kernels are delayed tasks."""
from __future__ import annotations

from typing import Any, Callable, List, Sequence

import numpy as np

from .._base.source import compute_dtype
from .._algorithm.strata import check_length
from .._engine.engine import Engine
from ._rows import as_dask_rows, as_dask_weights, gather, offsets_of

Arr = np.ndarray


class DaskEngine(Engine):
    """Runs the plan on whatever Dask scheduler is active (a distributed.Client for a cluster).

    X is rechunked to 1024-aligned row chunks and one column chunk when it is not already;
    sample_weight (NumPy or dask) is chunked like X's rows.
    """

    def __init__(self, X: Any, sample_weight: Any) -> None:
        self.X = as_dask_rows(X)
        self.u = as_dask_weights(sample_weight, self.X)
        self.n, self.d = int(self.X.shape[0]), int(self.X.shape[1])
        self.dtype = compute_dtype(self.X.dtype)
        self.edges = offsets_of(self.X.chunks[0])
        self.sizes = tuple(int(c) for c in self.X.chunks[0])
        self.x_parts = list(self.X.to_delayed().ravel())
        self.u_parts = ([None] * len(self.x_parts) if self.u is None
                        else list(self.u.to_delayed().ravel()))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        import dask

        return dask.delayed(fn, pure=True)(*args)

    def fetch(self, handles: Sequence[Any]) -> List[Any]:
        import dask

        return list(dask.compute(*handles))

    def persist(self, handles: Sequence[Any]) -> List[Any]:
        import dask

        return list(dask.persist(*handles))

    def share(self, value: Any) -> Any:
        import dask

        return dask.delayed(value)

    def take_rows(self, indices: Arr) -> Arr:
        return gather(self.X, indices, self.dtype)

    def all_rows(self) -> Arr:
        return np.require(self.X.compute(), self.dtype, ["C", "A"])

    def take_weights(self, indices: Arr) -> Arr:
        return gather(self.u, indices, np.float64)

    def all_weights(self) -> Arr:
        return np.require(self.u.compute(), np.float64, ["C", "A"])

    def vector_parts(self, values: Any, name: str) -> List[Any]:
        """strata= or proxy= (NumPy or dask) chunked like X's rows, one delayed per chunk."""
        import dask.array as da

        v = check_length(values, self.n, name)
        return list(da.asarray(v).rechunk((self.X.chunks[0],)).to_delayed().ravel())

    def vector(self, handles: Sequence[Any], fn: Callable[..., Arr], arg: Any, dtype: Any) -> Any:
        """A dask vector of fn(state, arg) over the persisted partitions."""
        import dask
        import dask.array as da

        pieces = [
            da.from_delayed(dask.delayed(fn, pure=True)(h, arg), shape=(s,), dtype=dtype)
            for h, s in zip(handles, self.sizes)
        ]
        return da.concatenate(pieces)

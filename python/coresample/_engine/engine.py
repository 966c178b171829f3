"""What an engine adapter provides: where the partitions live and how a kernel runs on them.

The distributed plan (`_engine.plan`) is written against this interface only. An adapter
(coresample.dask, coresample.ray, `LocalEngine` below) cuts the rows into partitions that start
at multiples of BLOCK, submits kernels (pure functions of their arguments) and moves their small
results; it never sees Algorithm 1. A handle is whatever the engine uses for a value that may
live on a worker (a dask Delayed, a Ray ObjectRef, the value itself); kernels receive handles
only as top-level arguments, which every engine resolves before the call.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence

import numpy as np

from .._base.source import compute_dtype
from .._algorithm.strata import check_length
from .combine import aligned_chunks

Arr = np.ndarray


class Engine:
    """The scheduling primitives the plan needs (see the module docstring)."""

    #: rows, columns, the compute dtype (float16 input is computed in float32)
    n: int
    d: int
    dtype: Any
    #: partition starts followed by n; every start is a multiple of BLOCK
    edges: Arr
    #: per partition: a handle of its rows, and of its sample weights (or None)
    x_parts: List[Any]
    u_parts: List[Any]

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(*args) where it runs best (handles in args resolved); a handle of the result."""
        raise NotImplementedError

    def fetch(self, handles: Sequence[Any]) -> List[Any]:
        """The values of `handles`, on the client, in order."""
        raise NotImplementedError

    def persist(self, handles: Sequence[Any]) -> List[Any]:
        """Compute `handles` and keep the results where they are (the partition state of
        pass (b): labels and costs never travel to the client)."""
        return list(handles)

    def share(self, value: Any) -> Any:
        """A handle of a value every partition reads (broadcast once)."""
        return value

    def take_rows(self, indices: Arr) -> Arr:
        """X[indices] on the client (C-contiguous, compute dtype)."""
        raise NotImplementedError

    def all_rows(self) -> Arr:
        """All of X on the client: only for an all-rows fit (max_points_per_center=None)."""
        raise NotImplementedError

    def take_weights(self, indices: Arr) -> Arr:
        """sample_weight[indices] on the client."""
        raise NotImplementedError

    def all_weights(self) -> Arr:
        """All of sample_weight on the client (an all-rows fit)."""
        raise NotImplementedError

    def vector(self, handles: Sequence[Any], fn: Callable[..., Arr], arg: Any, dtype: Any) -> Any:
        """An n-vector of fn(state_i, arg) over the partition states, left where they are
        (lazy), for the Selection's n-length fields."""
        raise NotImplementedError

    def vector_parts(self, values: Any, name: str) -> List[Any]:
        """Handles of an n-vector (select's strata= or proxy=) cut like the rows."""
        raise NotImplementedError


class LocalEngine(Engine):
    """The plan run in this process over the aligned row ranges of an in-memory array: a
    reference engine for tests and for reading the plan; the adapters must give its bits."""

    def __init__(self, X: Arr, sample_weight: Optional[Arr], chunks: Sequence[int]) -> None:
        self.X = np.asarray(X)
        self.u = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self.n, self.d = (int(s) for s in self.X.shape)
        self.dtype = compute_dtype(self.X.dtype)
        sizes = aligned_chunks(chunks)
        self.edges = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        bounds = list(zip(self.edges[:-1].tolist(), self.edges[1:].tolist()))
        self.x_parts = [self.X[a:b] for a, b in bounds]
        self.u_parts = [None if self.u is None else self.u[a:b] for a, b in bounds]

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return fn(*args)

    def fetch(self, handles: Sequence[Any]) -> List[Any]:
        return list(handles)

    def take_rows(self, indices: Arr) -> Arr:
        return np.require(self.X[indices], self.dtype, ["C", "A"])

    def all_rows(self) -> Arr:
        return np.require(self.X, self.dtype, ["C", "A"])

    def take_weights(self, indices: Arr) -> Arr:
        return np.require(self.u[indices], np.float64, ["C", "A"])

    def all_weights(self) -> Arr:
        return np.require(self.u, np.float64, ["C", "A"])

    def vector(self, handles: Sequence[Any], fn: Callable[..., Arr], arg: Any, dtype: Any) -> Any:
        return np.concatenate([fn(h, arg) for h in handles]).astype(dtype, copy=False)

    def vector_parts(self, values: Any, name: str) -> List[Any]:
        v = check_length(values, self.n, name)
        return [v[a:b] for a, b in zip(self.edges[:-1].tolist(), self.edges[1:].tolist())]


"""The Ray engine: partitions are 1024-aligned row ranges of a Ray Dataset, kernels Ray tasks."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from .._base.source import compute_dtype
from .._base.validation import check_sample_weight
from .._algorithm.strata import check_length
from .._engine.combine import aligned_chunks
from .._engine.engine import Engine
from ._vector import RayVector

Arr = np.ndarray

# Ray remote functions, one per kernel (making one is costly; a kernel is submitted many times).
_REMOTE: Dict[Callable[..., Any], Any] = {}


def _remote(fn: Callable[..., Any]) -> Any:
    import ray

    if fn not in _REMOTE:
        _REMOTE[fn] = ray.remote(fn)
    return _REMOTE[fn]


def _block_shape(block: Any) -> tuple:
    return np.shape(_as_matrix(block))


def _as_matrix(block: Any) -> Arr:
    """A Ray block of one embedding column as a 2-D array (a tensor column arrives as one; a
    column of per-row lists or arrays as an object array, stacked here)."""
    a = np.asarray(block)
    if a.dtype == object:
        a = np.stack([np.asarray(r) for r in a]) if a.size else a.reshape(0, 0)
    return a


def _partition(lo: int, hi: int, starts: List[int], *blocks: Any) -> Arr:
    """Rows [lo, hi) of the dataset from the blocks that hold them (their global starts)."""
    pieces = []
    for start, block in zip(starts, blocks):
        a = _as_matrix(block)
        pieces.append(a[max(lo - start, 0) : min(hi - start, a.shape[0])])
    return np.ascontiguousarray(np.concatenate(pieces) if len(pieces) > 1 else pieces[0])


def _take(part: Arr, local: Arr) -> Arr:
    return np.asarray(part)[local]


class RayEngine(Engine):
    """Runs the plan on the connected Ray cluster (call `ray.init()` first).

    X: a `ray.data.Dataset` with one column of embeddings (a tensor column, or per-row lists of
    floats); select the column first (`ds.select_columns([name])`) when it has several.
    sample_weight: None or a NumPy vector of length n, in the dataset's row order.
    """

    def __init__(self, X: Any, sample_weight: Any) -> None:
        import ray

        if not hasattr(X, "to_numpy_refs") or not hasattr(X, "columns"):
            raise TypeError(f"X must be a ray.data.Dataset, got {type(X).__name__}")
        columns = X.columns()
        if len(columns) != 1:
            raise ValueError(
                f"X must have one column of embeddings, got columns {columns}; "
                "pass X.select_columns([name])"
            )
        blocks = X.to_numpy_refs(column=columns[0])
        shapes = ray.get([_remote(_block_shape).remote(b) for b in blocks])
        kept = [(b, s) for b, s in zip(blocks, shapes) if s[0] > 0]
        if not kept or len(kept[0][1]) != 2:
            raise ValueError("X must hold at least one row of 1-D embeddings")
        self.d = int(kept[0][1][1])
        if any(len(s) != 2 or s[1] != self.d for _, s in kept):
            raise ValueError("X's embeddings must all have the same length")
        sizes = [int(s[0]) for _, s in kept]
        self.n = sum(sizes)
        dtype = ray.get(_remote(_partition).remote(0, 1, [0], kept[0][0])).dtype
        if dtype.kind != "f" or dtype.itemsize > 8:
            raise TypeError(f"X must hold float16/32/64 embeddings, got {dtype}")
        self.dtype = compute_dtype(dtype)
        block_starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        chunks = aligned_chunks(sizes)
        self.edges = np.concatenate([[0], np.cumsum(chunks)]).astype(np.int64)
        self.x_parts = []
        for lo, hi in zip(self.edges[:-1].tolist(), self.edges[1:].tolist()):
            hit = [i for i in range(len(kept)) if block_starts[i] < hi and block_starts[i + 1] > lo]
            self.x_parts.append(_remote(_partition).remote(
                lo, hi, [int(block_starts[i]) for i in hit], *[kept[i][0] for i in hit]
            ))
        self.u: Optional[Arr] = None
        if sample_weight is not None:
            self.u = np.require(
                check_sample_weight(sample_weight, self.n), np.float64, ["C", "A"]
            )
        self.u_parts = [
            None if self.u is None else ray.put(self.u[lo:hi])
            for lo, hi in zip(self.edges[:-1].tolist(), self.edges[1:].tolist())
        ]

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return _remote(fn).remote(*args)

    def fetch(self, handles: Sequence[Any]) -> List[Any]:
        import ray

        return list(ray.get(list(handles)))

    def share(self, value: Any) -> Any:
        import ray

        return ray.put(value)

    def take_rows(self, indices: Arr) -> Arr:
        indices = np.asarray(indices, dtype=np.int64)
        part = np.searchsorted(self.edges, indices, side="right") - 1
        out = np.empty((indices.shape[0], self.d), dtype=self.dtype)
        hits = np.unique(part)
        got = self.fetch([
            self.submit(_take, self.x_parts[j], indices[part == j] - self.edges[j]) for j in hits
        ])
        for j, rows in zip(hits, got):
            out[part == j] = rows
        return out

    def all_rows(self) -> Arr:
        return np.require(np.concatenate(self.fetch(self.x_parts)), self.dtype, ["C", "A"])

    def take_weights(self, indices: Arr) -> Arr:
        return np.require(self.u[indices], np.float64, ["C", "A"])

    def all_weights(self) -> Arr:
        return self.u

    def vector_parts(self, values: Any, name: str) -> List[Any]:
        """strata= or proxy= (a NumPy vector in the dataset's row order), cut like the rows."""
        import ray

        v = np.asarray(check_length(values, self.n, name))
        return [ray.put(v[lo:hi]) for lo, hi in zip(self.edges[:-1].tolist(),
                                                      self.edges[1:].tolist())]

    def vector(self, handles: Sequence[Any], fn: Callable[..., Arr], arg: Any, dtype: Any) -> Any:
        sizes = np.diff(self.edges).tolist()
        return RayVector([self.submit(fn, h, arg) for h in handles], sizes, dtype)

"""Dask input: validation, 1024-aligned partitions, and row gathers for the client-side fit."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from .._engine.combine import aligned_chunks


def as_dask_rows(X: Any) -> Any:
    """X as a 2-D float dask array with one column chunk and 1024-aligned row chunks."""
    import dask.array as da

    if not isinstance(X, da.Array):
        raise TypeError(f"X must be a dask.array.Array, got {type(X).__name__}")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if any(np.isnan(c) for c in X.shape):
        raise ValueError("X has unknown chunk sizes; call X.compute_chunk_sizes() first")
    if X.dtype.kind != "f" or X.dtype.itemsize > 8:
        raise TypeError(f"X must be float16/32/64, got {X.dtype}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    rows = aligned_chunks(X.chunks[0])
    if rows != tuple(X.chunks[0]) or len(X.chunks[1]) != 1:
        X = X.rechunk((rows, (X.shape[1],)))
    return X


def as_dask_weights(sample_weight: Any, X: Any) -> Optional[Any]:
    """sample_weight (NumPy or dask, 1-D of length n) as float64 dask chunks matching X's rows."""
    import dask.array as da

    if sample_weight is None:
        return None
    u = sample_weight if isinstance(sample_weight, da.Array) else np.asarray(sample_weight)
    if u.ndim != 1 or u.shape[0] != X.shape[0]:
        raise ValueError(f"sample_weight must have shape ({X.shape[0]},), got {u.shape}")
    if u.dtype.kind not in "fiub":
        raise TypeError(f"sample_weight must be numeric, got dtype {u.dtype}")
    u = da.asarray(u).astype(np.float64)
    return u.rechunk((X.chunks[0],))


def gather(X: Any, indices: np.ndarray, dtype: Any = None) -> np.ndarray:
    """X[indices] (any order, repeats allowed) computed to the client; one task per chunk hit."""
    indices = np.asarray(indices, dtype=np.int64)
    uniq, inverse = np.unique(indices, return_inverse=True)
    got = np.asarray(X[uniq].compute())
    out = got[inverse]
    # C-contiguous and aligned: the core refuses unaligned buffers (network arrays can be).
    return np.require(out, dtype, ["C", "A"])


def offsets_of(chunks: Tuple[int, ...]) -> np.ndarray:
    """Partition starts followed by n."""
    return np.concatenate([[0], np.cumsum(chunks)]).astype(np.int64)

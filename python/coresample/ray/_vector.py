"""RayVector: an n-length result left in Ray's object store, one piece per partition."""
from __future__ import annotations

from typing import Any, List

import numpy as np


class RayVector:
    """A lazy 1-D array over Ray object references, in row order.

    What `coresample.ray.select` returns for the n-length fields of its Selection (labels, cost,
    probabilities, sample_weight): nothing n-length reaches the driver until `compute()`.
    """

    def __init__(self, refs: List[Any], sizes: List[int], dtype: Any) -> None:
        self.refs = list(refs)
        self.sizes = [int(s) for s in sizes]
        self.dtype = np.dtype(dtype)
        self.shape = (sum(self.sizes),)

    def __len__(self) -> int:
        return self.shape[0]

    def compute(self) -> np.ndarray:
        """The whole vector on the driver."""
        import ray

        pieces = ray.get(self.refs)
        if not pieces:
            return np.empty(0, dtype=self.dtype)
        return np.concatenate([np.asarray(p) for p in pieces]).astype(self.dtype, copy=False)

    def __repr__(self) -> str:
        return f"RayVector(shape={self.shape}, dtype={self.dtype}, partitions={len(self.refs)})"

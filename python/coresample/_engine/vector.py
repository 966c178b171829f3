"""EngineVector: an n-length result left with an engine, one piece per partition."""
from __future__ import annotations

from typing import Any, Callable, List, Sequence

import numpy as np


class EngineVector:
    """A lazy 1-D array in row order: one handle per partition, fetched by `compute()`.

    What an engine's Selection holds for its n-length fields (labels, cost, probabilities,
    sample_weight, strata, proxy): nothing n-length reaches the client until `compute()`.
    """

    def __init__(self, fetch: Callable[[Sequence[Any]], List[Any]], handles: List[Any],
                 sizes: List[int], dtype: Any) -> None:
        self._fetch = fetch
        self.handles = list(handles)
        self.sizes = [int(s) for s in sizes]
        self.dtype = np.dtype(dtype)
        self.shape = (sum(self.sizes),)

    def __len__(self) -> int:
        return self.shape[0]

    def compute(self) -> np.ndarray:
        """The whole vector on the client."""
        pieces = self._fetch(self.handles)
        if not pieces:
            return np.empty(0, dtype=self.dtype)
        return np.concatenate([np.asarray(p) for p in pieces]).astype(self.dtype, copy=False)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(shape={self.shape}, dtype={self.dtype}, "
                f"partitions={len(self.handles)})")

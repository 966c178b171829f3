"""RayVector: an n-length result left in Ray's object store, one piece per partition."""
from __future__ import annotations

from typing import Any, List

from .._engine.vector import EngineVector


def _get(refs: Any) -> List[Any]:
    import ray

    return list(ray.get(list(refs)))


class RayVector(EngineVector):
    """A lazy 1-D array over Ray object references, in row order.

    What `coresample.ray.select` returns for the n-length fields of its Selection (labels, cost,
    probabilities, sample_weight): nothing n-length reaches the driver until `compute()`.
    """

    def __init__(self, refs: List[Any], sizes: List[int], dtype: Any) -> None:
        super().__init__(_get, refs, sizes, dtype)
        self.refs = self.handles

"""Snap each center to the nearest real row of its cluster (cpp/snap.cpp)."""
from __future__ import annotations

from functools import partial

import numpy as np

from .. import _core
from .._algorithm import functions
from .._algorithm.api import bind


def snap_rows(X: np.ndarray, centers: np.ndarray, labels: np.ndarray, nt: int) -> np.ndarray:
    """Unvalidated core call."""
    out = np.empty(centers.shape[0], dtype=np.int64)
    _core.snap_to_rows(X, centers, labels, out, nt)
    return out


snap_to_rows = bind(
    functions.snap_to_rows, partial(functions.run_snap_to_rows, snap_rows), __name__
)

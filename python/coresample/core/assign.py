"""Nearest center and clustering cost for every row, in one blocked pass (cpp/assign.cpp)."""
from __future__ import annotations

from functools import partial
from typing import Optional, Tuple

import numpy as np

from .. import _core
from .._algorithm import functions
from .._algorithm.api import bind


def assign_rows(
    X: np.ndarray, centers: np.ndarray, z: float, u: Optional[np.ndarray], nt: int
) -> Tuple[np.ndarray, np.ndarray, float]:
    """Unvalidated core call: labels, cost and the weighted total cost."""
    labels = np.empty(X.shape[0], dtype=np.int64)
    cost = np.empty(X.shape[0], dtype=np.float64)
    total = _core.assign(X, centers, z, u, labels, cost, nt)
    return labels, cost, total


assign = bind(functions.assign, partial(functions.run_assign, assign_rows), __name__)

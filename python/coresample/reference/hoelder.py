"""estimate_lam pair by pair: the independent oracle of python/coresample/_base/hoelder.py.

lambda_hat = max over pairs (a, b) of distinct rows of |l_a - l_b| / ||x_a - x_b||^z, the smallest
Hoelder constant consistent with the rows; distances are taken from direct differences (the
production code expands ||a||^2 + ||b||^2 - 2 a.b in blocks), and pairs at distance 0 are skipped.
O(m^2 d) in NumPy row by row.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._base.validation import check_array, check_losses, check_z


def estimate_lam(X_rows: Any, losses: Any, z: float = 2.0) -> float:
    """`coresample.estimate_lam` (module docstring)."""
    A = np.asarray(check_array(X_rows, "X_rows"), dtype=np.float64)
    y = check_losses(losses, A.shape[0], "losses")
    z = check_z(z)
    best = 0.0
    for a in range(A.shape[0]):
        dist = np.sqrt(((A - A[a]) ** 2).sum(axis=1))
        ok = dist > 0
        if ok.any():
            with np.errstate(over="ignore"):  # an overflowing ratio is refused below
                best = max(best, float((np.abs(y[ok] - y[a]) / dist[ok] ** z).max()))
    if not np.isfinite(best):
        raise ValueError(
            f"the Hoelder ratio |l_a - l_b| / ||x_a - x_b||^z overflows double at z={z:g} (two "
            "rows very close together with different losses); use a smaller z or scale X up"
        )
    return best

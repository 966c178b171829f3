"""Blocked sums and the blocked CDF search (docs/ARCHITECTURE.md, section 3), as in cpp/blocks.h.

np.cumsum adds strictly in order, so a cumsum over each zero-padded block of kBlock rows followed by
a cumsum over the block totals reproduces the core's order of additions exactly.
"""
from __future__ import annotations

import numpy as np

BLOCK = 1024


def _local_sums(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    pad = (-a.shape[0]) % BLOCK
    padded = np.concatenate([a, np.zeros(pad)]) if pad else a
    with np.errstate(over="ignore"):  # a sum may overflow to inf, silently as in the core
        return np.cumsum(padded.reshape(-1, BLOCK), axis=1)


def blocked_sum(a: np.ndarray) -> float:
    """Sum each block in order from 0.0, then the block totals in order."""
    if len(a) == 0:
        return 0.0
    with np.errstate(over="ignore"):
        return float(np.cumsum(_local_sums(a)[:, -1])[-1])


def blocked_cdf(a: np.ndarray) -> np.ndarray:
    """cdf_i = offset_b + local_i, with offset_b = t_0 + ... + t_{b-1} in order."""
    local = _local_sums(a)
    with np.errstate(over="ignore"):
        totals = np.cumsum(local[:, -1])
        offsets = np.concatenate([[0.0], totals[:-1]])
        return (offsets[:, None] + local).reshape(-1)[: len(a)]


def search(a: np.ndarray, r: np.ndarray) -> np.ndarray:
    """First index i with cdf_i > r * total (n - 1 if none), for each r in [0, 1)."""
    cdf = blocked_cdf(a)
    total = blocked_sum(a)
    idx = np.searchsorted(cdf, np.asarray(r, dtype=np.float64) * total, side="right")
    return np.minimum(idx, len(a) - 1)

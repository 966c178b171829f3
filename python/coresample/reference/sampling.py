"""Pure NumPy counterpart of `coresample.sample`: inverse-CDF draws and exponential keys
(docs/ARCHITECTURE.md section 9)."""
from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from .._algorithm import functions
from .._algorithm.api import bind
from .._base.random import (
    SAMPLE_WITH_REPLACEMENT, SAMPLE_WITHOUT_REPLACEMENT, STRATIFIED, STRATIFIED_DRAWS,
    seed_from_random_state,
)
from .._base.validation import check_n_threads, check_probabilities, check_sample_size
from .._base import stream as _rng
from .._base.stream import inverse_inclusion
from .._base.blocks import blocked_cdf, blocked_sum


def rows_from_uniforms(p: np.ndarray, r: np.ndarray) -> Tuple[np.ndarray, float]:
    """Inverse-CDF rows for uniforms r in [0, 1): the first j with cdf_j > r * total, where cdf is
    the blocked CDF and total = blocked_sum(p) = cdf[-1]; if none (r * total rounded up to total,
    or total overflowed to inf), the last row with p > 0. Returns (rows, total)."""
    cdf = blocked_cdf(p)
    total = blocked_sum(p)
    with np.errstate(invalid="ignore"):  # 0 * inf is NaN: no cdf exceeds it either
        x = np.asarray(r, dtype=np.float64) * total
    rows = np.searchsorted(cdf, x, side="right")
    rows[rows == p.shape[0]] = np.flatnonzero(p > 0)[-1]
    return rows.astype(np.int64, copy=False), total


def with_replacement(p: np.ndarray, size: int, seed: int) -> Tuple[np.ndarray, np.ndarray]:
    r = _rng.unit(_rng.draw(seed, SAMPLE_WITH_REPLACEMENT, np.arange(size, dtype=np.uint64)))
    rows, S = rows_from_uniforms(p, r)
    with np.errstate(over="ignore"):  # a tiny p[row] overflows its weight to inf, as in the core
        weights = S / (float(size) * p[rows])
    return rows, weights


def without_replacement(
    p: np.ndarray, size: int, seed: int, stream: int = SAMPLE_WITHOUT_REPLACEMENT
) -> Tuple[np.ndarray, np.ndarray]:
    n = p.shape[0]
    rows_pos = np.flatnonzero(p > 0)
    with np.errstate(over="ignore"):  # a tiny p overflows its key to inf: it sorts last
        keys = _rng.exponential_keys(seed, stream, n)[rows_pos] / p[rows_pos]
    order = np.lexsort((rows_pos, keys))  # ascending key, ties to the lower row index
    rows = rows_pos[order[:size]]
    positive = rows_pos.size
    tau = keys[order[size]] if size < positive else np.inf
    return rows.astype(np.int64), inverse_inclusion(p[rows], tau)


def stratified(codes: np.ndarray, allocation: np.ndarray, seed: int, replace: bool) -> np.ndarray:
    """The stratified design's draws, one stratum at a time (the core's `stratified_rows`)."""
    out = []
    for h, m in enumerate(allocation.tolist()):
        rows = np.flatnonzero(codes == h)
        if replace:
            counters = np.array([(h << 32) + j for j in range(m)], dtype=np.uint64)
            r = _rng.unit(_rng.draw(seed, STRATIFIED_DRAWS, counters))
            pos = np.minimum(np.floor(r * rows.shape[0]).astype(np.int64), rows.shape[0] - 1)
            out.append(rows[pos])
        else:
            keys = _rng.order_keys(seed, STRATIFIED, rows.astype(np.uint64))
            out.append(rows[np.lexsort((rows, keys))[:m]])
    return np.concatenate(out).astype(np.int64)


def _run_sample(
    *, p: Any, size: Any, replace: Any, random_state: Any, n_threads: Any
) -> Tuple[np.ndarray, np.ndarray]:
    p = check_probabilities(p)
    size = check_sample_size(size, p, bool(replace))
    check_n_threads(n_threads)
    seed = seed_from_random_state(random_state)
    if replace:
        return with_replacement(p, size, seed)
    return without_replacement(p, size, seed)


sample = bind(
    functions.sample, _run_sample, __name__,
    doc="Pure NumPy counterpart of `coresample.sample`: the same indices for the same seed.",
)

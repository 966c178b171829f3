"""Pure NumPy counterpart of `coresample.sample`: alias method and exponential keys (section 9)."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from .._random import SAMPLE_WITH_REPLACEMENT, SAMPLE_WITHOUT_REPLACEMENT, seed_from_random_state
from .._validation import check_n_threads, check_probabilities, check_sample_size
from . import _rng
from ._blocks import blocked_sum


def alias_table(p: np.ndarray) -> Tuple[np.ndarray, np.ndarray, float]:
    """Vose's alias table, built in exactly the core's order; returns (prob, alias, sum of p)."""
    n = p.shape[0]
    S = blocked_sum(p)
    q = (p * (n / S)).tolist()  # Python floats are IEEE doubles: the same arithmetic as C++
    prob = [1.0] * n
    alias = list(range(n))
    small = [i for i in range(n) if q[i] < 1.0]
    large = [i for i in range(n) if not q[i] < 1.0]
    while small and large:
        l = small.pop()
        g = large.pop()
        prob[l] = q[l]
        alias[l] = g
        q[g] = (q[g] + q[l]) - 1.0
        (small if q[g] < 1.0 else large).append(g)
    # Left-overs come from rounding: their columns are (nearly) full. A zero-probability row
    # must still never be drawn, so its column points at the heaviest row instead.
    heaviest = int(np.argmax(p))
    for i in small + large:
        if p[i] == 0.0:
            prob[i], alias[i] = 0.0, heaviest
        else:
            prob[i], alias[i] = 1.0, i
    return np.array(prob), np.array(alias, dtype=np.int64), S


def with_replacement(p: np.ndarray, size: int, seed: int) -> Tuple[np.ndarray, np.ndarray]:
    n = p.shape[0]
    prob, alias, S = alias_table(p)
    counters = np.arange(2 * size, dtype=np.uint64)
    bits = _rng.draw(seed, SAMPLE_WITH_REPLACEMENT, counters)
    column = np.minimum(np.floor(_rng.unit(bits[0::2]) * n).astype(np.int64), n - 1)
    coin = _rng.unit(bits[1::2])
    rows = np.where(coin < prob[column], column, alias[column])
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
    inclusion = -np.expm1(-p[rows] * tau) if np.isfinite(tau) else np.ones(size)
    return rows.astype(np.int64), 1.0 / inclusion


def sample(
    p: np.ndarray,
    size: int,
    *,
    replace: bool = True,
    random_state: Any = None,
    n_threads: Optional[int] = None,
) -> Tuple[np.ndarray, np.ndarray]:
    """Pure NumPy counterpart of `coresample.sample`: the same indices for the same seed."""
    p = check_probabilities(p)
    size = check_sample_size(size, p, bool(replace))
    check_n_threads(n_threads)
    seed = seed_from_random_state(random_state)
    if replace:
        return with_replacement(p, size, seed)
    return without_replacement(p, size, seed)

"""Pure NumPy counterpart of `coresample.kmeans_plusplus` (greedy k-means++, section 5)."""
from __future__ import annotations

from functools import partial
from typing import Optional

import numpy as np

from .._algorithm import functions
from .._algorithm.api import bind
from .._base.progress import current as current_callback

from .._base.random import SEEDING
from .._base import stream as _rng
from .._base.blocks import blocked_sum, search
from .assign import cost_from_d2, squared_distances


def _dist_z(X: np.ndarray, row: np.ndarray, z: float) -> np.ndarray:
    return cost_from_d2(squared_distances(X, row), z)


def plusplus_indices(
    X: np.ndarray, u: np.ndarray, k: int, z: float, seed: int, n_local_trials: int
) -> np.ndarray:
    """The seeding itself, on validated input; u are the sample weights (ones if unweighted)."""
    n = X.shape[0]
    L = n_local_trials
    indices = np.empty(k, dtype=np.int64)
    first = _rng.unit(_rng.draw(seed, SEEDING, np.array([0])))
    indices[0] = search(u, first)[0]
    D = u * _dist_z(X, X[indices[0]], z)
    report = current_callback()
    for c in range(1, k):
        if report is not None:
            report("k-means++", c, k)
        r = _rng.unit(_rng.draw(seed, SEEDING, np.arange(c * L, c * L + L)))
        if blocked_sum(D) > 0:
            candidates = search(D, r)
        else:
            candidates = np.minimum(np.floor(r * n).astype(np.int64), n - 1)
        # The first trial is the incumbent and later ones must be strictly better (as in the
        # core): ties, even at inf, keep the earliest trial.
        best_pot, best_D, indices[c] = None, None, candidates[0]
        for cand in candidates:
            trial = np.minimum(D, u * _dist_z(X, X[cand], z))
            pot = blocked_sum(trial)
            if best_pot is None or pot < best_pot:
                best_pot, best_D, indices[c] = pot, trial, cand
        D = best_D
    return indices


def _step(X: np.ndarray, u: Optional[np.ndarray], k: int, z: float, seed: int, L: int, nt: int):
    return plusplus_indices(X, np.ones(X.shape[0]) if u is None else u, k, z, seed, L)


kmeans_plusplus = bind(
    functions.kmeans_plusplus, partial(functions.run_kmeans_plusplus, _step), __name__,
    doc="Pure NumPy counterpart of `coresample.kmeans_plusplus` (n_threads is ignored).",
)

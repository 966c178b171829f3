"""Pure NumPy counterpart of `coresample.baselines`: the same rows for the same arguments and
seed."""
from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from .._algorithm import baselines as _plan
from .._algorithm.api import bind
from .._algorithm.baselines import (
    INITIAL_CHUNK, check_k_center_args, check_proba, check_uncertainty_args,
    check_uncertainty_method, k_center_selection, uncertainty_selection,
)
from .._base.random import seed_from_random_state
from .._base.results import Selection
from .._base.validation import check_n_threads
from .assign import nearest
from .sampling import with_replacement, without_replacement


def _draw(p: np.ndarray, size: int, seed: int, replace: bool, nt: int):
    return (with_replacement if replace else without_replacement)(p, size, seed)


uniform = bind(
    _plan.uniform, partial(_plan.run_uniform, _draw), __name__,
    doc="Pure NumPy counterpart of `coresample.baselines.uniform` (n_threads is ignored).",
)


def _k_center_greedy(
    *, X: Any, budget: Any, initial: Any, random_state: Any, n_threads: Any
) -> Selection:
    X, budget, initial = check_k_center_args(X, budget, initial)
    check_n_threads(n_threads)
    seed = seed_from_random_state(random_state)
    n = X.shape[0]
    cost = np.full(n, np.inf)  # squared distance to the nearest center so far
    labels = np.zeros(n, dtype=np.int64)
    taken = np.zeros(n, dtype=bool)
    centers: list = []  # in label order: the initial rows, then the selected rows

    def add(rows: np.ndarray) -> None:
        group_labels, d2 = nearest(X, X[rows], 2.0)
        closer = d2 < cost  # strict: ties stay with the earlier center
        cost[closer] = d2[closer]
        labels[closer] = len(centers) + group_labels[closer]
        centers.extend(rows.tolist())
        taken[rows] = True

    if initial is None:
        add(without_replacement(np.ones(n), 1, seed)[0])  # the row uniform(n, 1) picks
        n_initial = 0
    else:
        for begin in range(0, initial.shape[0], INITIAL_CHUNK):
            add(initial[begin : begin + INITIAL_CHUNK])
        n_initial = initial.shape[0]
    while len(centers) < n_initial + budget:
        # The untaken row farthest from every center; np.argmax takes the lowest index on ties.
        add(np.array([np.argmax(np.where(taken, -np.inf, cost))]))
    indices = np.array(centers[n_initial:], dtype=np.int64)
    return k_center_selection(X, indices, initial, labels, cost)


k_center_greedy = bind(
    _plan.k_center_greedy, _k_center_greedy, __name__,
    doc="""Pure NumPy counterpart of `coresample.baselines.k_center_greedy`.

    Distances are exact float64 differences (`reference.assign`), so rounding differs from the
    core's; the chosen rows are the same except on near-ties of distance. n_threads is ignored.
    """,
)


def uncertainty_scores(proba: np.ndarray, method: str = "entropy") -> np.ndarray:
    """Pure NumPy counterpart of `coresample.baselines.uncertainty_scores` (the whole array at
    once)."""
    method = check_uncertainty_method(method)
    p = check_proba(proba).astype(np.float64)
    if method == "least_confidence":
        return 1.0 - p.max(axis=1)
    if method == "margin":
        top = np.sort(p, axis=1)
        return top[:, -1] - top[:, -2]
    return -(p * np.log(np.where(p > 0, p, 1.0))).sum(axis=1)


def _most_uncertain(proba: Any, budget: Any, method: str) -> Selection:
    proba, budget = check_uncertainty_args(proba, budget)
    scores = uncertainty_scores(proba, method)
    key = scores if method == "margin" else -scores  # smallest key = most uncertain
    indices = np.argsort(key, kind="stable")[:budget]  # stable: equal keys in row order
    return uncertainty_selection(indices.astype(np.int64), proba.shape[0])


def least_confidence(proba: np.ndarray, budget: int) -> Selection:
    """Pure NumPy counterpart of `coresample.baselines.least_confidence` (a full stable sort)."""
    return _most_uncertain(proba, budget, "least_confidence")


def margin(proba: np.ndarray, budget: int) -> Selection:
    """Pure NumPy counterpart of `coresample.baselines.margin` (a full stable sort)."""
    return _most_uncertain(proba, budget, "margin")


def entropy(proba: np.ndarray, budget: int) -> Selection:
    """Pure NumPy counterpart of `coresample.baselines.entropy` (a full stable sort)."""
    return _most_uncertain(proba, budget, "entropy")

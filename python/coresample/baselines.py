"""The usual baselines of data selection, returning the same `Selection` as `select()`.

`uniform` (random rows), `k_center_greedy` (Sener & Savarese's core-set) and, from a matrix of
model probabilities, `least_confidence`, `margin` and `entropy`. The uniform sampler and the
first k-center use the shared random stream, so `coresample.reference.baselines` returns the same
rows for the same seed.
"""
from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from . import _core
from ._algorithm import baselines as _plan
from ._algorithm.api import bind
from ._algorithm.baselines import (
    INITIAL_CHUNK, check_k_center_args, check_uncertainty_args, check_uncertainty_method,
    check_proba, k_center_selection, row_chunks, uncertainty_selection,
)
from ._base.random import seed_from_random_state
from ._base.results import Selection
from ._base.validation import check_n_threads
from .core.sampling import sample_rows


def _draw(p: np.ndarray, size: int, seed: int, replace: bool, nt: int):
    return sample_rows(p, size, seed, replace, nt)


uniform = bind(_plan.uniform, partial(_plan.run_uniform, _draw), __name__)



def _farthest(cost: np.ndarray, chosen: np.ndarray) -> int:
    """The unchosen row of largest cost, ties to the lowest index."""
    j = int(np.argmax(cost))
    if chosen[j]:
        # Every unchosen row is at distance 0 from the centers (duplicates of them), or a chosen
        # row kept a rounding-level cost from the multi-center pass over `initial`.
        j = int(np.argmax(np.where(chosen, -np.inf, cost)))
    return j


def _k_center_greedy(
    *, X: Any, budget: Any, initial: Any, random_state: Any, n_threads: Any
) -> Selection:
    X, budget, initial = check_k_center_args(X, budget, initial)
    nt = check_n_threads(n_threads)
    seed = seed_from_random_state(random_state)
    n = X.shape[0]
    cost = np.empty(n)
    labels = np.empty(n, dtype=np.int64)
    step_cost = np.empty(n)  # one pass's output, merged into cost and labels
    step_labels = np.empty(n, dtype=np.int64)
    chosen = np.zeros(n, dtype=bool)
    indices = np.empty(budget, dtype=np.int64)
    n_initial = 0 if initial is None else initial.shape[0]

    def add_centers(centers: np.ndarray, first_label: int) -> None:
        # _core.assign keeps small passes on one thread itself (cpp/assign.cpp).
        _core.assign(X, centers, 2.0, None, step_labels, step_cost, nt)
        if first_label == 0:  # the first pass (label 0 is always the first center) sets both
            cost[:], labels[:] = step_cost, step_labels
            return
        closer = step_cost < cost  # strict: ties stay with the earlier center
        np.copyto(cost, step_cost, where=closer)
        np.add(step_labels, first_label, out=step_labels)
        np.copyto(labels, step_labels, where=closer)

    if initial is None:
        first = int(sample_rows(np.ones(n), 1, seed, False, nt)[0][0])
        indices[0], chosen[first] = first, True
        add_centers(X[first : first + 1], 0)
        start = 1
    else:
        chosen[initial] = True
        for begin in range(0, n_initial, INITIAL_CHUNK):
            add_centers(X[initial[begin : begin + INITIAL_CHUNK]], begin)
        start = 0
    for i in range(start, budget):
        j = _farthest(cost, chosen)
        indices[i], chosen[j] = j, True
        add_centers(X[j : j + 1], n_initial + i)
    return k_center_selection(X, indices, initial, labels, cost)


k_center_greedy = bind(_plan.k_center_greedy, _k_center_greedy, __name__)


def uncertainty_scores(proba: np.ndarray, method: str = "entropy") -> np.ndarray:
    """Per-row uncertainty of a classifier's predicted probabilities.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes), float32 or float64
        Predicted class probabilities: n_classes >= 2, entries >= 0, each row summing to 1
        within 1e-3 (it is not renormalised). Read in place in row chunks (no copy of
        C-contiguous input; other layouts are copied with a CopyWarning).
    method : {"least_confidence", "margin", "entropy"}, default="entropy"
        "least_confidence": 1 - max_k p_k (larger: more uncertain).
        "margin": p_(1) - p_(2), the gap between the two largest probabilities (smaller: more
        uncertain).
        "entropy": -sum_k p_k ln p_k with 0 ln 0 = 0, in nats (larger: more uncertain).

    Returns
    -------
    scores : ndarray of shape (n_samples,), float64
        Computed in float64 (float32 rows are converted a chunk at a time).

    Examples
    --------
    >>> import numpy as np
    >>> from coresample import baselines
    >>> proba = np.array([[0.5, 0.3, 0.2], [1.0, 0.0, 0.0]])
    >>> baselines.uncertainty_scores(proba, "margin").round(6).tolist()
    [0.2, 1.0]
    """
    method = check_uncertainty_method(method)  # first, as in the reference
    return _scores(check_proba(proba), method)


def _scores(proba: np.ndarray, method: str) -> np.ndarray:
    """uncertainty_scores on a checked proba, a chunk of rows at a time."""
    scores = np.empty(proba.shape[0])
    for start, chunk in row_chunks(proba):
        scores[start : start + chunk.shape[0]] = _chunk_scores(chunk, method)
    return scores


def _chunk_scores(chunk: np.ndarray, method: str) -> np.ndarray:
    p = chunk.astype(np.float64, copy=False)
    if method == "least_confidence":
        return 1.0 - p.max(axis=1)
    if method == "margin":
        top2 = np.partition(p, p.shape[1] - 2, axis=1)[:, -2:]
        return top2[:, 1] - top2[:, 0]
    return -(p * np.log(np.where(p > 0, p, 1.0))).sum(axis=1)


def _most_uncertain(proba: Any, budget: Any, method: str) -> Selection:
    proba, budget = check_uncertainty_args(proba, budget)
    scores = _scores(proba, method)
    # Smallest key first; negation is exact, so equal scores stay equal and tie by index.
    key = scores if method == "margin" else -scores
    kth = np.partition(key, budget - 1)[budget - 1]
    below = np.flatnonzero(key < kth)
    ties = np.flatnonzero(key == kth)[: budget - below.shape[0]]  # lowest indices first
    rows = np.concatenate([below, ties])
    indices = rows[np.lexsort((rows, key[rows]))].astype(np.int64, copy=False)
    return uncertainty_selection(indices, proba.shape[0])


def least_confidence(proba: np.ndarray, budget: int) -> Selection:
    """The `budget` rows whose most likely class is least likely: largest 1 - max_k p_k.

    Deterministic: rows are ranked by score (most uncertain first), equal scores in ascending row
    order. O(n_samples) time after the scores (a partition, not a full sort).

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes), float32 or float64
        Predicted class probabilities; see `uncertainty_scores` for the checks.
    budget : int
        Rows to select, 1 <= budget <= n_samples.

    Returns
    -------
    Selection
        ``indices`` (distinct, most uncertain first). The selection is deterministic, so no
        weights make sum(w l) unbiased: ``weights`` are n_samples / budget (the plain mean of the
        selected losses, scaled to the dataset) and ``probabilities`` are 1 / budget on each
        selected row, 0 elsewhere; ``total_weight`` = n_samples; ``replace`` is False. There is
        no clustering: ``representatives``, ``labels``, ``cost``, ``cluster_weights`` are empty,
        ``centers`` has shape (0, 0) and ``inertia`` is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from coresample import baselines
    >>> proba = np.array([[0.9, 0.1], [0.5, 0.5], [0.7, 0.3]])
    >>> baselines.least_confidence(proba, 2).indices.tolist()
    [1, 2]
    """
    return _most_uncertain(proba, budget, "least_confidence")


def margin(proba: np.ndarray, budget: int) -> Selection:
    """The `budget` rows with the smallest gap between their two most likely classes.

    Margin sampling (Scheffer, Decomain & Wrobel 2001): smallest p_(1) - p_(2). Ranking, ties and
    the returned Selection as in `least_confidence`.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes), float32 or float64
        Predicted class probabilities; see `uncertainty_scores` for the checks.
    budget : int
        Rows to select, 1 <= budget <= n_samples.

    Returns
    -------
    Selection
        As in `least_confidence`.

    Examples
    --------
    >>> import numpy as np
    >>> from coresample import baselines
    >>> proba = np.array([[0.6, 0.2, 0.2], [0.4, 0.4, 0.2], [0.5, 0.3, 0.2]])
    >>> baselines.margin(proba, 2).indices.tolist()
    [1, 2]
    """
    return _most_uncertain(proba, budget, "margin")


def entropy(proba: np.ndarray, budget: int) -> Selection:
    """The `budget` rows of largest predictive entropy -sum_k p_k ln p_k.

    Ranking, ties and the returned Selection as in `least_confidence`.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes), float32 or float64
        Predicted class probabilities; see `uncertainty_scores` for the checks.
    budget : int
        Rows to select, 1 <= budget <= n_samples.

    Returns
    -------
    Selection
        As in `least_confidence`.

    Examples
    --------
    >>> import numpy as np
    >>> from coresample import baselines
    >>> proba = np.array([[0.6, 0.2, 0.2], [1.0, 0.0, 0.0], [0.4, 0.3, 0.3]])
    >>> baselines.entropy(proba, 2).indices.tolist()
    [2, 0]
    """
    return _most_uncertain(proba, budget, "entropy")

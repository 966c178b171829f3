"""The usual baselines of data selection, returning the same `Selection` as `select()`.

`uniform` (random rows), `k_center_greedy` (Sener & Savarese's core-set) and, from a matrix of
model probabilities, `least_confidence`, `margin` and `entropy`. The uniform sampler and the
first k-center use the shared random stream, so `coresample.reference.baselines` returns the same
rows for the same seed.
"""
from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np

from . import _core
from ._algorithm.baselines import (
    INITIAL_CHUNK, check_k_center_args, check_uncertainty_args, check_uncertainty_method,
    check_proba, check_uniform_args, k_center_selection, row_chunks, uncertainty_selection,
    uniform_selection,
)
from ._base.random import seed_from_random_state
from ._base.results import Selection
from ._base.validation import check_n_threads
from .core.sampling import sample_rows


def uniform(
    n_or_X: Union[int, np.ndarray],
    budget: int,
    *,
    replace: bool = False,
    sample_weight: Optional[np.ndarray] = None,
    random_state: Any = None,
    n_threads: Optional[int] = None,
) -> Selection:
    """Uniform random rows, weighted so that weighted sums estimate dataset totals without bias.

    The rows come from `sample` with p proportional to `sample_weight` (ones by default), so the
    same seed gives the same rows here and in `coresample.reference.baselines.uniform`.

    Parameters
    ----------
    n_or_X : int or array of shape (n_samples, ...)
        The number of rows, or the data itself (only its first dimension is read: no copy, no
        check of its values).
    budget : int
        Number of rows: distinct rows (replace=False, at most the number of rows with positive
        weight) or i.i.d. draws (replace=True).
    replace : bool, default=False
        False: a simple random sample (the `budget` rows with the smallest exponential keys,
        in key order). True: i.i.d. draws.
    sample_weight : ndarray of shape (n_samples,), default=None
        Row multiplicities u_e >= 0: row e is drawn with probability proportional to u_e
        (uniform over the dataset in which row e appears u_e times); the estimated total is then
        sum_e u_e l(e).
    random_state : None, int or numpy Generator, default=None
    n_threads : int, default=None
        Threads for the sampler; the output does not depend on it.

    Returns
    -------
    Selection
        ``indices`` and ``weights`` (see Notes); ``probabilities`` = u / sum(u) (1 / n_samples
        without weights); ``sample_weight`` = u; ``total_weight`` = sum(u) (n_samples without
        weights). There is no clustering: ``representatives``, ``labels``, ``cost`` and
        ``cluster_weights`` are empty, ``centers`` has shape (0, n_features) (n_features = 0
        when n_or_X is an int or not 2-D) and ``inertia`` is NaN.

    Notes
    -----
    Weights, with U = total_weight:

    - replace=True: w = U / budget for every draw (Hansen-Hurwitz with p_e = u_e / U).
    - replace=False, no sample_weight (or all positive weights equal): a simple random sample of
      the positive rows, w = U / budget (Horvitz-Thompson with pi = budget / n_positive). Then
      `Selection.estimate_from`'s standard error (sum (1 - pi) (w l)^2) is the Poisson-design
      formula, which ignores the fixed sample size: typically larger than the simple random
      sample's.
    - replace=False with unequal weights: w_e = u_e / pi_e with pi_e = 1 - exp(-p_e tau), tau the
      next exponential key (rank-conditioned Horvitz-Thompson, as in `sample` and `select`).

    Each choice makes sum(weights * l[indices]) an unbiased estimate of sum_e u_e l(e).

    Examples
    --------
    >>> import numpy as np
    >>> from coresample import baselines
    >>> sel = baselines.uniform(1000, 10, random_state=0)
    >>> len(np.unique(sel.indices)), float(sel.weights[0])
    (10, 100.0)
    """
    replace = bool(replace)
    n, budget, u = check_uniform_args(n_or_X, budget, replace, sample_weight)
    nt = check_n_threads(n_threads)
    seed = seed_from_random_state(random_state)
    p = np.ones(n) if u is None else u
    indices, sampler_weights = sample_rows(p, budget, seed, replace, nt)
    return uniform_selection(indices, sampler_weights, n_or_X, n, u, replace)


def _farthest(cost: np.ndarray, chosen: np.ndarray) -> int:
    """The unchosen row of largest cost, ties to the lowest index."""
    j = int(np.argmax(cost))
    if chosen[j]:
        # Every unchosen row is at distance 0 from the centers (duplicates of them), or a chosen
        # row kept a rounding-level cost from the multi-center pass over `initial`.
        j = int(np.argmax(np.where(chosen, -np.inf, cost)))
    return j


def k_center_greedy(
    X: np.ndarray,
    budget: int,
    *,
    initial: Optional[np.ndarray] = None,
    random_state: Any = None,
    n_threads: Optional[int] = None,
) -> Selection:
    """Greedy k-center (farthest-first traversal): the core-set of Sener & Savarese (2018).

    Starting from the `initial` rows (or one random row), repeatedly add the row farthest, in
    Euclidean distance, from every center chosen so far; `budget` rows are added. Without
    `initial`, the largest distance of a row to its nearest center is at most twice the optimal
    k-center radius for k = budget (Gonzalez 1985).

    Memory is O(n_samples): one array of each row's squared distance to its nearest center and
    one of that center's label, updated after every choice by one blocked pass of the core's
    `assign` against the new center (never an n_samples x budget matrix).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Embeddings. C-contiguous input is used in place; other layouts are copied with a
        CopyWarning.
    budget : int
        Rows to add, 1 <= budget <= n_samples - len(initial).
    initial : array-like of int, default=None
        Rows already chosen (for example, already labelled): they are centers from the start,
        are never selected again, and are not part of ``indices``. None (or empty): the first
        center is drawn uniformly, the row `uniform(n_samples, 1, random_state=random_state)`
        picks, and is ``indices[0]``.
    random_state : None, int or numpy Generator, default=None
        Used only to draw the first center when there is no `initial`.
    n_threads : int, default=None
        Threads for the distance passes; the output does not depend on it.

    Returns
    -------
    Selection
        ``indices``: the selected rows in the order chosen (distinct). Ties of distance go to
        the lowest row index; once every remaining row is at distance 0 (duplicates of centers),
        rows are taken in ascending order. ``representatives``: all centers, the `initial` rows
        followed by ``indices``; ``centers`` = X[representatives]; ``labels``: each row's nearest
        center (a position in representatives; ties: the earlier center); ``cost``: its squared
        Euclidean distance to that center (sqrt(cost.max()) is the k-center radius);
        ``inertia`` = sum(cost); ``cluster_weights``: rows per center.
        The selection is deterministic given the first center, so no weights make sum(w l)
        unbiased: ``weights`` are n_samples / budget (the plain mean of the selected losses,
        scaled to the dataset), ``probabilities`` are 1 / budget on each selected row and 0
        elsewhere, and ``replace`` is False; `Selection.estimate_from`'s standard error has no
        meaning for it.

    Notes
    -----
    Distances are the core's (ARCHITECTURE.md section 4): for each new center a direct float64
    sum of squared differences, so a row at distance 0 from a center is exactly 0; the pass over
    `initial` (in groups of 1024 centers) picks each row's nearest center by the expansion
    ||c||^2 - 2 x.c in X's dtype, which can differ from an exact argmin on near-ties.
    `coresample.reference.baselines.k_center_greedy` computes in float64 and chooses the same
    rows except on near-ties of distance.

    References
    ----------
    O. Sener and S. Savarese, "Active Learning for Convolutional Neural Networks: A Core-Set
    Approach", ICLR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from coresample import baselines
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [10.0, 0.0]])
    >>> sel = baselines.k_center_greedy(X, 2, initial=[0])
    >>> sel.indices.tolist(), sel.representatives.tolist(), sel.labels.tolist()
    ([3, 2], [0, 3, 2], [0, 0, 2, 1])
    """
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

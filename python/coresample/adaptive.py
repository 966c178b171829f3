"""`select_adaptive`: a uniform warm start, the user's model scores, then Algorithm 1 (core)."""
from __future__ import annotations

from typing import Any, Callable, Optional, Union

import numpy as np

from ._adaptive import AdaptiveSelection, run_select_adaptive
from .sampling import sample
from .select import select


def select_adaptive(
    X: np.ndarray,
    budget: int,
    *,
    n_clusters: int,
    score_fn: Callable[[np.ndarray, np.ndarray], Any],
    warm_start: float = 0.2,
    rounds: int = 1,
    z: float = 2.0,
    lam: Union[float, str] = 1.0,
    sample_weight: Optional[np.ndarray] = None,
    method: str = "lightweight",
    estimator: str = "plain",
    init: Any = "auto",
    max_iter: int = 20,
    tol: float = 1e-4,
    max_points_per_center: Union[int, str, None] = "auto",
    random_state: Any = None,
    n_threads: Optional[int] = None,
    progress: Any = None,
) -> AdaptiveSelection:
    """Choose `budget` distinct rows in rounds: uniform first, then by the user's model's losses.

    The protocol of the paper's classification experiments (Axiotis et al., ICML 2024):
    1. Warm start: round(warm_start * budget) rows uniformly at random, without replacement.
    2. For r = 1 .. rounds: ``score_fn(indices, weights)`` gets every row chosen so far and their
       weights (train a model on them, weighted); it returns the losses of that model, either as
       an array over all n rows or as a callable ``scorer(rows) -> losses`` that the library calls
       on the rows it needs (the k representatives and the sampled rows; counted in n_queries).
       Then Algorithm 1 (`select`, without replacement) picks this round's share of the rest of
       the budget among the rows not chosen yet, with those losses as the oracle.

    Weights: rows of the warm start and of every round but the last are known exactly, so they
    keep their sample weight (1 by default); the last round's rows get Horvitz-Thompson weights for
    the rows left at that round. For any loss l, sum(weights * l[indices]) is an unbiased estimate
    of the dataset's total loss, and training on the rows with these weights approximates training
    on all rows.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), or Shards
        Embeddings, as for `select` (out-of-core input is read in blocks by every round).
    budget : int
        Rows to choose in all (warm start included), rounds + 1 <= budget <= n_samples.
    n_clusters : int
        k of each round's clustering.
    score_fn : callable
        score_fn(indices: int64 ndarray, weights: float64 ndarray) -> ndarray of shape
        (n_samples,) of non-negative losses, or a callable rows -> losses.
    warm_start : float, default=0.2
        Share of the budget spent on the uniform warm start, in (0, 1); at least one row.
    rounds : int, default=1
        Rounds of scoring and sensitivity sampling after the warm start; the rest of the budget is
        split evenly between them.
    z, lam, sample_weight, method, estimator, init, max_iter, tol, max_points_per_center, n_threads,
    progress
        As in `select` (applied in every round; progress also reports "round").
    random_state : None, int or numpy Generator, default=None
        One seed for the whole run; round r uses a seed derived from it (stream 6,
        docs/ARCHITECTURE.md section 2).

    Returns
    -------
    AdaptiveSelection
        indices, weights, round of each row, each round's Selection, the estimate of the mean
        loss under the last round's scores, and call counts.

    Examples
    --------
    >>> import numpy as np, coresample
    >>> X = np.random.default_rng(0).normal(size=(2000, 5))
    >>> def score(idx, w):  # "train" on the chosen rows: here, distance to their weighted mean
    ...     m = np.average(X[idx], axis=0, weights=w)
    ...     return ((X - m) ** 2).sum(axis=1)
    >>> sel = coresample.select_adaptive(X, 100, n_clusters=10, score_fn=score, random_state=0)
    >>> len(np.unique(sel.indices)), int((sel.round == 0).sum())
    (100, 20)
    """
    return run_select_adaptive(
        select, sample, X, budget, n_clusters=n_clusters, score_fn=score_fn,
        warm_start=warm_start, rounds=rounds, sample_weight=sample_weight,
        random_state=random_state, n_threads=n_threads, progress=progress, z=z, lam=lam,
        method=method, estimator=estimator, init=init, max_iter=max_iter, tol=tol,
        max_points_per_center=max_points_per_center,
    )

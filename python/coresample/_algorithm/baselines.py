"""What `coresample.baselines` and `coresample.reference.baselines` share: argument checks, the
uniform sampler's weights and the Selection of each baseline, written once so the two cannot
drift apart (as `_algorithm/select.py` does for select). Pure NumPy; never calls the C++ core.
"""
from __future__ import annotations

import numbers
from typing import Any, Callable, Optional, Tuple, Union

import numpy as np

from .._base.random import seed_from_random_state
from .._base.results import Selection
from .._base.validation import (
    check_array, check_choice, check_int, check_n_threads, check_sample_size, check_sample_weight,
    max_draws,
)

UNCERTAINTY_METHODS = ("least_confidence", "margin", "entropy")

# A row of proba must sum to 1 within this (absolute). float32 softmax rows (10 to 30000
# classes, computed in float32) sum to 1 within 4e-7 in float64; the slack admits probabilities
# rounded or stored at lower precision, and a row off by more is not a probability vector.
PROBA_SUM_TOL = 1e-3

# Elements per chunk when scanning proba (about 8 MiB of float64 temporaries), so that checks
# and scores need no (n_samples x n_classes) temporary.
CHUNK_ELEMENTS = 1 << 20

# Initial centers per assignment pass in k_center_greedy: bounds the copy of the centers (and
# the reference's distance block) however many labelled rows the caller has.
INITIAL_CHUNK = 1024


def row_chunks(a: np.ndarray):
    """(start, view) over consecutive row blocks of a 2-D array, about CHUNK_ELEMENTS each."""
    rows = max(1, CHUNK_ELEMENTS // max(1, a.shape[1]))
    for start in range(0, a.shape[0], rows):
        yield start, a[start : start + rows]


def n_samples_of(n_or_X: Any) -> int:
    """n_samples from an int, or from the first dimension of an array (its values are not read)."""
    if isinstance(n_or_X, (bool, np.bool_)):
        raise TypeError(f"n_or_X must be an int or an array, got {n_or_X!r}")
    if isinstance(n_or_X, numbers.Integral):
        return check_int(n_or_X, "n_or_X", 1)
    shape = getattr(n_or_X, "shape", None)
    if shape is None:
        shape = np.shape(n_or_X)
    if len(shape) == 0:
        raise TypeError(
            f"n_or_X must be an int or an array with at least one dimension, got {n_or_X!r}"
        )
    if shape[0] == 0:
        raise ValueError(f"n_or_X is empty: shape {tuple(shape)}; need at least one row")
    return int(shape[0])


def n_features_of(n_or_X: Any) -> int:
    """Columns of a 2-D n_or_X (for the empty centers of a uniform Selection), else 0."""
    shape = getattr(n_or_X, "shape", None)
    return int(shape[1]) if shape is not None and len(shape) == 2 else 0


def check_uniform_args(n_or_X: Any, budget: Any, replace: bool, sample_weight: Any):
    """(n, budget, u) for `uniform`; u is None or a validated float64 vector."""
    n = n_samples_of(n_or_X)
    u = check_sample_weight(sample_weight, n)
    budget = check_int(budget, "budget", 1, max_draws(replace, n))
    if u is not None:
        check_sample_size(budget, u, replace, "budget")
    return n, budget, u


def uniform_weights(
    indices: np.ndarray, sampler_weights: np.ndarray, u: Optional[np.ndarray], total_weight: float,
    replace: bool,
) -> np.ndarray:
    """Estimator weights of a uniform sample (see `uniform`'s Notes).

    With replacement, and without replacement when every positive u_e is equal, the design is
    i.i.d. uniform draws or a simple random sample of the positive rows: w = total_weight / budget
    (Hansen-Hurwitz; Horvitz-Thompson with pi = budget / n_positive). Otherwise (distinct rows with
    p proportional to unequal u) the exact inclusion probabilities have no closed form, and the
    sampler's rank-conditioned Horvitz-Thompson weight 1 / pi_e is scaled by u_e, as in select().
    """
    budget = indices.shape[0]
    if replace or u is None:
        return np.full(budget, total_weight / budget)
    positive = u > 0
    if np.min(u, where=positive, initial=np.inf) == np.max(u, where=positive, initial=0.0):
        return np.full(budget, total_weight / budget)
    return u[indices] * sampler_weights


def uniform_selection(
    indices: np.ndarray, sampler_weights: np.ndarray, n_or_X: Any, n: int,
    u: Optional[np.ndarray], replace: bool,
) -> Selection:
    total_weight = float(n if u is None else u.sum())
    p = np.full(n, 1.0 / n) if u is None else u / total_weight
    weights = uniform_weights(indices, sampler_weights, u, total_weight, replace)
    return selection_without_clustering(
        indices, weights, p, total_weight, replace, u, n_features_of(n_or_X)
    )


def selection_without_clustering(
    indices: np.ndarray, weights: np.ndarray, probabilities: np.ndarray, total_weight: float,
    replace: bool, sample_weight: Optional[np.ndarray], n_features: int,
) -> Selection:
    """A Selection whose clustering fields are empty (length 0) and whose inertia is NaN."""
    return Selection(
        indices=indices,
        weights=weights,
        probabilities=probabilities,
        representatives=np.empty(0, dtype=np.int64),
        labels=np.empty(0, dtype=np.int64),
        cost=np.empty(0, dtype=np.float64),
        centers=np.empty((0, n_features), dtype=np.float64),
        inertia=float("nan"),
        cluster_weights=np.empty(0, dtype=np.float64),
        total_weight=total_weight,
        replace=replace,
        sample_weight=sample_weight,
    )


def deterministic_weights(indices: np.ndarray, n: int):
    """(weights, probabilities) of a deterministic selection of distinct rows.

    No design makes sum(w l) unbiased here, so the weights are those that make it the plain mean
    of the selected losses scaled to n rows (n / budget, what a uniform sample of the same size
    would get); probabilities is the selection as a distribution (1 / budget on each selected
    row, 0 elsewhere): the method never picks the other rows.
    """
    budget = indices.shape[0]
    probabilities = np.zeros(n)
    probabilities[indices] = 1.0 / budget
    return np.full(budget, n / budget), probabilities


def uncertainty_selection(indices: np.ndarray, n: int) -> Selection:
    weights, probabilities = deterministic_weights(indices, n)
    return selection_without_clustering(indices, weights, probabilities, float(n), False, None, 0)


def k_center_selection(
    X: np.ndarray, indices: np.ndarray, initial: Optional[np.ndarray], labels: np.ndarray,
    cost: np.ndarray,
) -> Selection:
    """k-center's Selection: the centers (initial rows, then selected rows) are its clustering."""
    n = X.shape[0]
    reps = indices.copy() if initial is None else np.concatenate([initial, indices])
    weights, probabilities = deterministic_weights(indices, n)
    return Selection(
        indices=indices,
        weights=weights,
        probabilities=probabilities,
        representatives=reps,
        labels=labels,
        cost=cost,
        centers=X[reps],
        inertia=float(cost.sum()),
        cluster_weights=np.bincount(labels, minlength=reps.shape[0]).astype(np.float64),
        total_weight=float(n),
        replace=False,
    )


def check_initial(initial: Any, n: int) -> Optional[np.ndarray]:
    """None (or empty) -> None; else distinct int64 row indices in [0, n)."""
    if initial is None:
        return None
    arr = np.asarray(initial)
    if arr.dtype.kind not in "iu" and not (arr.size == 0 and arr.dtype.kind == "f"):
        raise TypeError(f"initial must be integer row indices, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"initial must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        return None
    arr = arr.astype(np.int64)
    if arr.min() < 0 or arr.max() >= n:
        raise ValueError(f"initial must lie in [0, n_samples={n}), got [{arr.min()}, {arr.max()}]")
    repeated = np.bincount(arr, minlength=n)[arr] > 1
    if repeated.any():
        row = int(arr[np.argmax(repeated)])
        raise ValueError(f"initial contains row {row} more than once; rows must be distinct")
    return arr


def check_k_center_args(X: Any, budget: Any, initial: Any):
    """(X, budget, initial) for `k_center_greedy`."""
    X = check_array(X)
    n = X.shape[0]
    initial = check_initial(initial, n)
    if initial is None:
        return X, check_int(budget, "budget", 1, n), None
    budget = check_int(budget, "budget", 1)
    if budget > n - initial.shape[0]:
        raise ValueError(
            f"budget={budget} must be <= n_samples - len(initial) = {n - initial.shape[0]}"
        )
    return X, budget, initial


def check_proba(proba: Any) -> np.ndarray:
    """proba as a C-contiguous float32/float64 (n_samples, n_classes) array of probability rows.

    Passes a C-contiguous float array through untouched (check_array copies other layouts with a
    CopyWarning); scans it in row chunks for NaN/inf, negative entries and rows whose sum is not
    1 within PROBA_SUM_TOL.
    """
    shape = getattr(proba, "shape", None)
    if shape is None:
        shape = np.shape(proba)
    if len(shape) != 2:
        raise ValueError(f"proba must be 2-D (n_samples, n_classes), got shape {tuple(shape)}")
    proba = check_array(proba, "proba")
    if proba.shape[1] < 2:
        raise ValueError(f"proba must have at least 2 classes (columns), got shape {proba.shape}")
    for start, chunk in row_chunks(proba):
        low = chunk.min(axis=1)
        if low.min() < 0:
            row = start + int(np.argmax(low < 0))
            raise ValueError(
                f"proba must be non-negative, got {low[row - start]:g} in row {row}"
            )
        sums = chunk.sum(axis=1, dtype=np.float64)
        bad = np.abs(sums - 1.0) > PROBA_SUM_TOL
        if bad.any():
            row = int(np.argmax(bad))
            raise ValueError(
                f"proba rows must sum to 1 (within {PROBA_SUM_TOL:g}); row {start + row} sums "
                f"to {sums[row]:.6g}"
            )
    return proba


def check_uncertainty_args(proba: Any, budget: Any):
    proba = check_proba(proba)
    return proba, check_int(budget, "budget", 1, proba.shape[0])


def check_uncertainty_method(method: Any) -> str:
    return check_choice(method, "method", UNCERTAINTY_METHODS)


# --- the public signatures both backends bind (api.bind) ---------------------------------------


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


def run_uniform(
    draw: Callable[..., Tuple[np.ndarray, np.ndarray]], *, n_or_X: Any, budget: Any,
    replace: Any, sample_weight: Any, random_state: Any, n_threads: Any,
) -> Selection:
    """uniform: draw(p, budget, seed, replace, nt) -> (indices, sampler weights)."""
    replace = bool(replace)
    n, budget, u = check_uniform_args(n_or_X, budget, replace, sample_weight)
    nt = check_n_threads(n_threads)
    seed = seed_from_random_state(random_state)
    p = np.ones(n) if u is None else u
    indices, sampler_weights = draw(p, budget, seed, replace, nt)
    return uniform_selection(indices, sampler_weights, n_or_X, n, u, replace)


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


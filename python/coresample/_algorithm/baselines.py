"""What `coresample.baselines` and `coresample.reference.baselines` share: argument checks, the
uniform sampler's weights and the Selection of each baseline, written once so the two cannot
drift apart (as `_algorithm.py` does for select). Pure NumPy; never calls the C++ core.
"""
from __future__ import annotations

import numbers
from typing import Any, Optional

import numpy as np

from .._base.results import Selection
from .._base.validation import (
    check_array, check_choice, check_int, check_sample_size, check_sample_weight, max_draws,
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

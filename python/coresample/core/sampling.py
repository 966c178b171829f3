"""Weighted sampling from a probability vector (cpp/sampling.cpp)."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from .. import _core
from .._base.random import SAMPLE_WITHOUT_REPLACEMENT, seed_from_random_state
from .._base.validation import (
    MAX_DRAWS, as_probability_vector, check_int, check_n_threads, check_probability_values, check_sample_size,
)


def sample_rows(p: np.ndarray, size: int, seed: int, replace: bool, nt: int) -> Tuple[np.ndarray, np.ndarray]:
    """Core call; the core checks p's values (and size <= positive rows) in its first pass."""
    indices = np.empty(size, dtype=np.int64)
    weights = np.empty(size, dtype=np.float64)
    if replace:
        _core.sample_with_replacement(p, size, seed, indices, weights, nt)
    else:
        _core.sample_without_replacement(p, size, seed, SAMPLE_WITHOUT_REPLACEMENT, indices, weights, nt)
    return indices, weights


def sample(
    p: np.ndarray,
    size: int,
    *,
    replace: bool = True,
    random_state: Any = None,
    n_threads: Optional[int] = None,
) -> Tuple[np.ndarray, np.ndarray]:
    """Draw rows with probability proportional to p, and the weights of an unbiased estimator.

    With replacement: `size` i.i.d. draws by inverse-CDF search on the blocked cumulative sum of p;
    weight 1 / (size * p_e) with p normalised (Hansen-Hurwitz). Without replacement: the `size` rows with the smallest
    exponential keys E_e / p_e (Efraimidis-Spirakis), in key order; weight 1 / pi_e with
    pi_e = 1 - exp(-p_e tau), tau the next key (Horvitz-Thompson with rank conditioning, Cohen &
    Kaplan 2007). Either way sum(weights * y[indices]) is an unbiased estimate of sum(y).

    The draws come from the counter-based stream of docs/ARCHITECTURE.md: the same seed gives the
    same rows on any machine and thread count, and the same rows as `coresample.reference.sample`.

    Parameters
    ----------
    p : ndarray of shape (n_samples,)
        Non-negative sampling masses with a positive sum (normalised internally). A C-contiguous
        float64 array is read in place; other arrays and lists are converted to one (a copy).
    size : int
        Number of draws (replace=True) or of distinct rows (replace=False, at most the number of
        rows with p > 0).
    replace : bool, default=True
    random_state : None, int or numpy Generator, default=None
    n_threads : int, default=None

    Returns
    -------
    indices : ndarray of shape (size,), int64
    weights : ndarray of shape (size,), float64

    Examples
    --------
    >>> import numpy as np, coresample
    >>> idx, w = coresample.sample(np.array([0.0, 1.0, 3.0]), 4, random_state=0)
    >>> bool(np.all(idx > 0))
    True
    """
    p = as_probability_vector(p)
    replace = bool(replace)
    try:
        size = check_int(size, "size", 1, MAX_DRAWS)
        nt = check_n_threads(n_threads)
        seed = seed_from_random_state(random_state)
    except (TypeError, ValueError):
        # Report bad arguments in the reference's order: p's values first, then size.
        check_probability_values(p)
        check_sample_size(size, p, replace)
        raise
    # The core checks p's values and, for replace=False, size against the positive rows, in one
    # parallel pass with the messages of check_probability_values / check_sample_size.
    return sample_rows(p, size, seed, replace, nt)

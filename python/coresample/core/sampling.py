"""Weighted sampling from a probability vector (cpp/sampling.cpp)."""
from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from .. import _core
from .._algorithm import functions
from .._algorithm.strata import first_per_stratum
from .._algorithm.api import bind
from .._base import stream as _rng
from .._base.random import (
    SAMPLE_WITHOUT_REPLACEMENT, STRATIFIED, STRATIFIED_DRAWS, seed_from_random_state,
)
from .._base.validation import (
    MAX_DRAWS, as_probability_vector, check_int, check_n_threads, check_probability_values,
    check_sample_size,
)


def sample_rows(
    p: np.ndarray, size: int, seed: int, replace: bool, nt: int
) -> Tuple[np.ndarray, np.ndarray]:
    """Core call; the core checks p's values (and size <= positive rows) in its first pass."""
    indices = np.empty(size, dtype=np.int64)
    weights = np.empty(size, dtype=np.float64)
    if replace:
        _core.sample_with_replacement(p, size, seed, indices, weights, nt)
    else:
        _core.sample_without_replacement(
            p, size, seed, SAMPLE_WITHOUT_REPLACEMENT, indices, weights, nt
        )
    return indices, weights


# Candidates per stratum for the stratified draw: allocation + 5 sqrt(allocation) + 10 expected,
# so that a stratum falls short (and is redone from all its rows) about once in 3.5 million.
CANDIDATE_MARGIN = (5.0, 10.0)


def stratified_rows(
    codes: np.ndarray, allocation: np.ndarray, seed: int, replace: bool
) -> np.ndarray:
    """The stratified design's draws, grouped by stratum (docs/ARCHITECTURE.md section 2).

    Without replacement: stratum h takes its allocation[h] rows of smallest order key
    (`stream.order_keys`, stream STRATIFIED, keyed by the row; ties to the lower row), in key
    order: a simple random sample within each stratum, and the first m rows of a stratum's order
    are its sample for any m.
    With replacement: draw j of stratum h is the floor(r N_h)-th row of the stratum in row order,
    r = unit(draw(seed, STRATIFIED_DRAWS, h * 2**32 + j)).
    """
    H = allocation.shape[0]
    sizes = np.bincount(codes, minlength=H)
    first = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    if replace:
        by_stratum = np.argsort(codes, kind="stable")  # rows of each stratum, ascending
        h, pos = _rng.stratified_draw_positions(seed, STRATIFIED_DRAWS, allocation, sizes)
        return by_stratum[first[h] + pos].astype(np.int64)
    # A row can be among its stratum's allocation[h] smallest keys only if its key is below a
    # generous threshold (keys are uniform on [0, 2^53)): keep those candidates (about
    # allocation + 5 sqrt(allocation) + 10 per stratum), redo a stratum from all its rows in the
    # rare case it got fewer than it needs, and select exactly among the candidates.
    n = codes.shape[0]
    keys = np.empty(n, dtype=np.int64)
    for lo in range(0, n, 1 << 18):  # in blocks: the stream's temporaries stay small
        hi = min(n, lo + (1 << 18))
        keys[lo:hi] = _rng.order_keys(seed, STRATIFIED, np.arange(lo, hi, dtype=np.uint64))
    share = (allocation + CANDIDATE_MARGIN[0] * np.sqrt(allocation) + CANDIDATE_MARGIN[1]) / (
        np.maximum(sizes, 1))
    limit = np.where(allocation > 0, np.minimum(share, 1.0) * 2.0**53, -1.0)
    cand = np.flatnonzero(keys <= limit[codes])
    short = np.bincount(codes[cand], minlength=H) < allocation
    if short.any():
        cand = np.union1d(cand, np.flatnonzero(short[codes]))
    pick = first_per_stratum(codes[cand], keys[cand], cand, allocation)
    return cand[pick].astype(np.int64)


def _run_sample(
    *, p: Any, size: Any, replace: Any, random_state: Any, n_threads: Any
) -> Tuple[np.ndarray, np.ndarray]:
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


sample = bind(functions.sample, _run_sample, __name__)

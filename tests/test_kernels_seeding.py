"""k-means++ at every compiled SIMD level (the dispatched trial-distance kernel) against the reference.

The core evaluates a step's trials in dot-product form, (||x||^2 + ||p||^2) - 2 x.p in double, one
multiply-add chain per row and trial (kernels.h: trial_distances); the reference takes exact
differences. The two differ by rounding, at most about d * 2^-52 * (||x||^2 + ||p||^2), which
changes a choice only when two trials' potentials, or a draw and a CDF boundary, agree to ~1e-13
relative: on these blobs (spread 0.05, centres at least ~1 apart) the indices must be identical.

Screening. At the SIMD levels float32 rows are first screened in float32 with a rigorous error
bound, and only rows that a trial might bring below D_e are computed exactly; the choices must not
change, so the same equality with the reference covers it, including data far from the origin
(where float32 estimates are poor and most rows must fall through), z != 2, and zero weights.

Duplicates. The row norms come from the same chain as the dot products, so a row bitwise equal to
a chosen center is at distance 0 exactly at every level: with fewer distinct rows than k, every
distinct row is chosen before any repeat, and once D is all zero the picks are uniform, exactly as
in the reference.
"""
import numpy as np
import pytest

import coresample.reference as ref
from coresample import _core
from coresample._algorithm.kmeans import check_plusplus_args

LEVELS = _core.available_simd_levels()
DIMS = [1, 3, 8, 17, 64, 129]
TRIALS = [1, 3, 8, 9, 16, 17]  # one register, a partial pass, two passes, more than one call


def core_plusplus(X, k, seed, L, level, n_threads=1, sample_weight=None, z=2.0):
    indices = np.empty(k, dtype=np.int64)
    _core.kmeans_plusplus(X, sample_weight, k, z, seed, L, indices, n_threads, simd=level)
    return indices


def blobs(n, d, n_blobs, seed, dtype):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10.0, 10.0, size=(n_blobs, d))
    X = centres[rng.integers(n_blobs, size=n)] + 0.05 * rng.normal(size=(n, d))
    return np.ascontiguousarray(X, dtype=dtype)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("z", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("offset", [0.0, 1e3, 1e5])
def test_screen_keeps_choices(level, z, offset, dtype):
    X = blobs(3000, 24, 60, seed=int(z * 10), dtype=np.float64) + offset
    X = np.ascontiguousarray(X, dtype=dtype)
    w = np.random.default_rng(2).uniform(0.0, 2.0, size=len(X))
    w[::7] = 0.0
    k = 40
    seed = seed_of(X, k, 5)
    expected = ref.kmeans_plusplus(X, k, z=z, sample_weight=w, random_state=5)
    got = core_plusplus(X, k, seed, 0, level, n_threads=2, sample_weight=w, z=z)
    np.testing.assert_array_equal(got, expected)


def seed_of(X, k, random_state):
    return check_plusplus_args(X, k, 2.0, None, random_state, None, None)[4]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("d", DIMS)
@pytest.mark.parametrize("L", TRIALS)
def test_level_matches_reference(level, d, L, dtype):
    # 2100 rows: two full 1024-row blocks and a partial one, and panels cut off at every level.
    X = blobs(2100, d, 40, seed=d * 100 + L, dtype=dtype)
    k = 25
    seed = seed_of(X, k, L)
    expected = ref.kmeans_plusplus(X, k, random_state=L, n_local_trials=L)
    np.testing.assert_array_equal(core_plusplus(X, k, seed, L, level), expected)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("d", [1, 5, 64])
def test_duplicates_are_at_distance_zero(level, d, dtype):
    rng = np.random.default_rng(d)
    distinct = rng.normal(size=(6, d)) * rng.uniform(0.1, 1000.0, size=(6, 1))
    X = np.ascontiguousarray(distinct[rng.integers(6, size=3000)], dtype=dtype)
    X[:6] = distinct  # every distinct row present
    k = 10
    for random_state in range(5):
        seed = seed_of(X, k, random_state)
        got = core_plusplus(X, k, seed, 0, level, n_threads=2)
        chosen = {X[i].tobytes() for i in got[:6]}
        assert len(chosen) == 6, "a repeat of a chosen row was drawn while distinct rows remained"
        np.testing.assert_array_equal(got, ref.kmeans_plusplus(X, k, random_state=random_state))


@pytest.mark.parametrize("level", LEVELS)
def test_threads_and_weights_bit_identical(level, dtype):
    X = blobs(5000, 33, 30, seed=7, dtype=dtype)
    w = np.random.default_rng(1).uniform(0.0, 3.0, size=len(X))
    seed = seed_of(X, 20, 3)
    one = core_plusplus(X, 20, seed, 0, level, n_threads=1, sample_weight=w)
    two = core_plusplus(X, 20, seed, 0, level, n_threads=2, sample_weight=w)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(one, ref.kmeans_plusplus(X, 20, sample_weight=w, random_state=3))

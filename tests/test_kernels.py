"""Every compiled SIMD level of the nearest-center kernel against the scalar level and a NumPy brute force.

Tolerance. The kernels rank centers by ||c||^2 - 2 x.c in the input dtype, and each level sums the
d products in its own order (register tiles, FMA), so the ranking values differ across levels by
rounding, at most about d * eps * (||x||^2 + ||c||^2). The data here are blobs whose spread is 1/50
of the smallest gap g between blob centers, so the nearest center beats the second by about 0.8 g^2,
many orders of magnitude above that rounding for every d tested: the labels must be identical at
every level and equal to the float64 brute force (ties: lowest index). The cost is recomputed from
the chosen center directly in double, by the same code at every level, so across levels it must
agree bit for bit; against NumPy's float64 sum (another summation order) we allow rtol 1e-12 for
float64 inputs and 1e-5 for float32 (ARCHITECTURE.md section 4; the float32 inputs are converted
exactly, so it is in fact met far more tightly).

Ties. Exactly duplicated centers give bit-identical ranking values at every level (same operands
in the same order in every lane), so the lowest index must win everywhere. Threads: each row's
result depends only on the row and the centers, so 1 and 2 threads give identical bytes.
"""
import numpy as np
import pytest

from coresample import _core

LEVELS = _core.available_simd_levels()
DIMS = [1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 768]
SHAPES = [(1, 1), (13, 2), (1025, 17), (3001, 33), (1025, 257)]  # (n, k), off every tile size
RTOL = {np.float32: 1e-5, np.float64: 1e-12}
_BRUTE_FORCE = {}


def run_assign(X, centers, level, n_threads=1):
    labels = np.empty(len(X), dtype=np.int64)
    cost = np.empty(len(X), dtype=np.float64)
    total = _core.assign(X, centers, 2.0, None, labels, cost, n_threads, simd=level)
    return labels, cost, total


def brute_force(X, centers):
    """Nearest center (ties: lowest index) and squared distance, all in float64, in row chunks."""
    c = centers.astype(np.float64)
    labels = np.empty(len(X), dtype=np.int64)
    d2min = np.empty(len(X))
    for start in range(0, len(X), 64):
        x = X[start:start + 64].astype(np.float64)
        d2 = ((x[:, None, :] - c[None, :, :]) ** 2).sum(axis=-1)
        lab = d2.argmin(axis=1)  # first minimum: the lowest index
        labels[start:start + 64] = lab
        d2min[start:start + 64] = d2[np.arange(len(x)), lab]
    return labels, d2min


def blob_problem(n, d, k, seed, dtype):
    """n rows around k well-separated blob centers (spread = smallest gap / 50); returns X, centers.

    The centers handed to the kernel are the blob centers in shuffled order, so tiles are not
    sorted by blob; in one dimension they lie on a shuffled grid.
    """
    rng = np.random.default_rng(seed)
    if d == 1:
        centers = np.linspace(-10.0, 10.0, k)[rng.permutation(k)].reshape(k, 1)
    else:
        centers = rng.uniform(-10.0, 10.0, size=(k, d))
    gaps = np.sqrt(((centers[:, None] - centers[None]) ** 2).sum(-1)) + np.eye(k) * 1e9
    spread = min(0.05, gaps.min() / 50) if k > 1 else 0.05
    which = rng.integers(k, size=n)
    X = centers[which] + spread * rng.normal(size=(n, d))
    return np.ascontiguousarray(X, dtype=dtype), np.ascontiguousarray(centers, dtype=dtype)


def test_levels_listed():
    assert LEVELS[0] == "scalar"
    assert len(set(LEVELS)) == len(LEVELS)
    assert set(LEVELS) <= {"scalar", "avx2", "avx512", "neon"}


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("d", DIMS)
@pytest.mark.parametrize(("n", "k"), SHAPES)
def test_level_matches_scalar_and_brute_force(level, d, n, k, dtype):
    X, centers = blob_problem(n, d, k, seed=d * 1000 + k, dtype=dtype)
    labels, cost, total = run_assign(X, centers, level)
    key = (n, d, k, np.dtype(dtype).name)
    if key not in _BRUTE_FORCE:  # the same problem for every level: solve it once
        _BRUTE_FORCE[key] = brute_force(X, centers)
    ref_labels, ref_cost = _BRUTE_FORCE[key]
    np.testing.assert_array_equal(labels, ref_labels)
    np.testing.assert_allclose(cost, ref_cost, rtol=RTOL[dtype], atol=0)
    s_labels, s_cost, s_total = run_assign(X, centers, "scalar")
    np.testing.assert_array_equal(labels, s_labels)
    # Same labels, same direct double recomputation: the costs agree to the last bit.
    np.testing.assert_array_equal(cost, s_cost)
    assert total == s_total


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("d", [1, 7, 16, 33, 128])
def test_duplicated_centers_go_to_lowest_index(level, d, dtype):
    # 40 distinct centers, each repeated at several positions spread over different tiles
    # (tile widths are 8, 16 or 32 centers), so every tie crosses lanes, registers and tiles.
    X, centers = blob_problem(1025, d, 40, seed=d, dtype=dtype)
    rng = np.random.default_rng(d)
    copies = rng.integers(40, size=90)
    dup = np.ascontiguousarray(np.concatenate([centers, centers[copies], centers[::-1]]))
    k = len(dup)
    # The lowest index holding each distinct center is its first occurrence, i.e. itself (< 40).
    labels, _, _ = run_assign(X, dup, level)
    ref_labels, _ = brute_force(X, centers)
    np.testing.assert_array_equal(labels, ref_labels)
    assert labels.max() < 40 < k
    # All centers equal: every row goes to center 0.
    same = np.ascontiguousarray(np.repeat(centers[:1], 70, axis=0))
    labels, _, _ = run_assign(X, same, level)
    assert (labels == 0).all()


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("d", [3, 65, 768])
def test_threads_bit_identical(level, d, dtype):
    rng = np.random.default_rng(d)
    # Unstructured data: many rows near ties, so any dependence on the schedule would show.
    X = rng.normal(size=(5000, d)).astype(dtype)
    centers = rng.normal(size=(37, d)).astype(dtype)
    one = run_assign(X, centers, level, n_threads=1)
    two = run_assign(X, centers, level, n_threads=2)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])
    assert one[2] == two[2]


@pytest.mark.parametrize("level", LEVELS)
def test_rows_independent_of_block_position(level, dtype):
    # A row's label and cost depend only on the row: the same rows shifted to another offset
    # (other row panels, other 1024-row blocks) give the same bytes.
    rng = np.random.default_rng(7)
    X = rng.normal(size=(3001, 33)).astype(dtype)
    centers = rng.normal(size=(50, 33)).astype(dtype)
    full = run_assign(X, centers, level)
    for start in (1, 13, 1023, 1500):
        part = run_assign(np.ascontiguousarray(X[start:]), centers, level)
        np.testing.assert_array_equal(part[0], full[0][start:])
        np.testing.assert_array_equal(part[1], full[1][start:])


@pytest.mark.parametrize("level", LEVELS)
def test_zero_features(level, dtype):
    X = np.empty((5, 0), dtype=dtype)
    centers = np.empty((3, 0), dtype=dtype)
    labels, cost, total = run_assign(X, centers, level)
    assert (labels == 0).all() and (cost == 0).all() and total == 0.0



@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("k", [2, 8, 20, 40, 70])
def test_infinite_and_nan_ranking_values_match_scalar(level, k):
    # Powers of two on one axis make every product and sum exact or overflow the same way with or
    # without FMA, so the levels must agree exactly, while ||c||^2 = 2^128 overflows to +inf and
    # x.(-2c) to -inf: ranking values of +inf and NaN (inf - inf) appear next to finite ones, and
    # repeated centers tie. Every level must pick what the scalar scan picks: the first lane with
    # the smallest value among those below the row's best (NaN never is).
    rng = np.random.default_rng(k)
    powers = np.array([0.0, 1.0, 2.0**20, 2.0**62, 2.0**63, 2.0**64])
    signs = np.array([-1.0, 1.0])
    centers = np.zeros((k, 2), dtype=np.float32)
    centers[:, 0] = rng.choice(powers, k) * rng.choice(signs, k)
    X = np.zeros((600, 2), dtype=np.float32)
    X[:, 0] = rng.choice(powers, 600) * rng.choice(signs, 600)
    with np.errstate(over="ignore", invalid="ignore"):
        labels, _, _ = run_assign(X, centers, level)
        ref, _, _ = run_assign(X, centers, "scalar")
    np.testing.assert_array_equal(labels, ref)

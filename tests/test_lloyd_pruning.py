"""Lloyd's pruned assignment (cpp/assign.cpp, assign_labels_pruned; issue 17): rows whose center
the bounds certify are not ranked again, and every result is the full pass's, bit for bit, at
every SIMD level: centers, labels, costs, iterations and inertia. Opt-in for now
(CORESAMPLE_LLOYD_PRUNE=1): exact, but not yet faster."""
import numpy as np
import pytest

from coresample import _core

LEVELS = _core.available_simd_levels()


def lloyd(X, C0, prune, simd, u=None, max_iter=30):
    C = C0.copy()
    labels = np.empty(X.shape[0], np.int64)
    cost = np.empty(X.shape[0])
    n_iter, inertia = _core.lloyd(X, u, C, 2.0, max_iter, 0.0, labels, cost, 1, simd=simd,
                                  prune=prune)
    return C, labels, cost, n_iter, inertia, _core.last_lloyd_rows_evaluated()


def blobs(n, d, k, spread, dtype, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=spread, size=(k, d)) + offset
    return (centers[rng.integers(k, size=n)] + rng.normal(size=(n, d))).astype(dtype)


CASES = {
    # well separated: most rows are certified after the first iterations
    "separated": lambda dt: blobs(6000, 16, 12, 30.0, dt),
    # overlapping: few are
    "overlapping": lambda dt: blobs(6000, 16, 12, 1.0, dt, seed=1),
    # far from the origin: the kernel's rounding (||x|| + ||c||)^2 is large against the gaps
    "offset": lambda dt: blobs(4000, 8, 10, 20.0, dt, seed=2, offset=3e3),
    # every row twice, and rows on the midpoint of two blobs (exact distance ties)
    "ties": lambda dt: np.concatenate([np.repeat(blobs(1500, 4, 6, 25.0, dt, seed=3), 2, axis=0),
                                       np.zeros((64, 4), dt)]),
}


@pytest.mark.parametrize("simd", LEVELS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", sorted(CASES))
def test_pruned_lloyd_is_the_full_lloyd(case, dtype, simd):
    X = CASES[case](dtype)
    rng = np.random.default_rng(7)
    k = 24 if case != "ties" else 12
    C0 = X[rng.choice(X.shape[0], k, replace=False)].copy()
    u = rng.uniform(0.5, 2.0, X.shape[0]) if case == "overlapping" else None
    full = lloyd(X, C0, False, simd, u)
    pruned = lloyd(X, C0, True, simd, u)
    assert pruned[0].tobytes() == full[0].tobytes()
    np.testing.assert_array_equal(pruned[1], full[1])
    assert pruned[2].tobytes() == full[2].tobytes()
    assert pruned[3:5] == full[3:5]
    assert full[5] == X.shape[0] * (full[3] + 1)  # the full path ranks every row every pass
    if case == "separated" and full[3] > 4:
        assert pruned[5] < 0.6 * full[5], pruned[5] / full[5]  # the bounds do prune


def test_default_is_the_full_pass_until_pruning_pays():
    """Pruning is opt-in (CORESAMPLE_LLOYD_PRUNE=1) until it is faster (bench/RESULTS.md)."""
    X = CASES["separated"](np.float32)
    C0 = X[:24].copy()
    assert lloyd(X, C0, None, "")[5] == lloyd(X, C0, False, "")[5] > lloyd(X, C0, True, "")[5]

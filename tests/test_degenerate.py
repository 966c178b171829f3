"""Degenerate data: defined results, the same in the core and the reference (docs/RELIABILITY.md,
"Degenerate data")."""
import numpy as np
import pytest

import coresample
import coresample.reference as reference
from coresample._algorithm.sensitivity import DEFENSIVE

RNG = np.random.default_rng(0)


def both(**kw):
    X = kw.pop("X")
    budget = kw.pop("budget", 10)
    kw.setdefault("random_state", 0)
    return coresample.select(X, budget, **kw), reference.select(X, budget, **kw)


def assert_same(a, b, clustering=True):
    # Costs agree to rounding (DESIGN.md section 4), so p and the weights do too; the draws,
    # which compare random numbers with p's running sums, are the same rows.
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_allclose(a.weights, b.weights, rtol=1e-12, atol=0)
    np.testing.assert_allclose(a.probabilities, b.probabilities, rtol=1e-12, atol=0)
    if clustering:
        np.testing.assert_array_equal(a.representatives, b.representatives)
        np.testing.assert_array_equal(a.labels, b.labels)
        np.testing.assert_allclose(a.cost, b.cost, rtol=1e-12, atol=0)


@pytest.mark.parametrize("replace", [True, False])
@pytest.mark.parametrize("k", [1, 4])
def test_all_rows_identical(replace, k):
    a, b = both(X=np.full((50, 3), 2.5), n_clusters=k, replace=replace)
    assert_same(a, b)
    # Every center is row 0 (the first draw; later draws find no distance and the extra
    # clusters stay empty); zero total cost; p falls back to uniform (u / U).
    assert (a.representatives == 0).all() and a.inertia == 0.0 and not a.cost.any()
    np.testing.assert_array_equal(a.cluster_weights, [50.0] + [0.0] * (k - 1))
    np.testing.assert_array_equal(a.probabilities, np.full(50, 0.02))
    # Equal weights: 50 / 10 with replacement; without, the rows' common Horvitz-Thompson weight.
    assert (a.weights == a.weights[0]).all() and (a.weights[0] == pytest.approx(5.0) or not replace)


def test_fewer_distinct_rows_than_clusters():
    X = np.repeat(RNG.normal(size=(3, 2)), 10, axis=0)
    a, b = both(X=X, n_clusters=5)
    assert_same(a, b)
    # The 3 distinct rows get a representative each; the 2 surplus centers repeat one of them
    # and own no rows (ties go to the lower center index).
    assert len(set(map(tuple, X[a.representatives]))) == 3
    assert sorted(a.cluster_weights) == [0.0, 0.0, 10.0, 10.0, 10.0] and a.inertia == 0.0


def test_one_row():
    X = np.array([[1.0, -2.0, 3.0]])
    a, b = both(X=X, n_clusters=1, budget=5)
    assert_same(a, b)
    assert (a.indices == 0).all() and np.allclose(a.weights, 0.2) and a.representatives == [0]
    a, b = both(X=X, n_clusters=1, budget=1, replace=False)
    assert_same(a, b)
    assert a.indices.tolist() == [0] and a.weights.tolist() == [1.0]
    with pytest.raises(ValueError, match="budget"):
        coresample.select(X, 2, n_clusters=1, replace=False)


@pytest.mark.parametrize("z", [1.0, 2.0, 3.0])
def test_one_feature_and_one_cluster(z):
    X = RNG.normal(size=(300, 1))
    a, b = both(X=X, n_clusters=1, z=z)
    assert_same(a, b)
    a, b = both(X=X, n_clusters=7, z=z, loss_fn=lambda rows: X[rows, 0] ** 2)
    assert_same(a, b)
    assert a.estimate == b.estimate


def test_zero_total_cost_with_an_oracle_uses_the_representatives_losses():
    X = np.repeat(np.eye(3), 20, axis=0)  # three exact clusters: every cost is 0
    losses = np.repeat([1.0, 2.0, 7.0], 20)
    a, b = both(X=X, n_clusters=3, loss_fn=lambda rows: losses[rows], budget=30, defensive=0.0,
                design="sensitivity")
    assert_same(a, b)
    assert a.inertia == 0.0
    np.testing.assert_allclose(a.probabilities, losses / losses.sum())
    assert a.estimate == pytest.approx(losses.mean(), rel=1e-12)  # exact: p is proportional to l
    # The default mixes in the defensive uniform share.
    share = DEFENSIVE
    a, b = both(X=X, n_clusters=3, loss_fn=lambda rows: losses[rows], budget=30,
                design="sensitivity")
    assert_same(a, b)
    np.testing.assert_allclose(a.probabilities, share / 60 + (1 - share) * losses / losses.sum())


def test_zero_sample_weights_are_never_drawn():
    X = RNG.normal(size=(400, 4))
    u = np.where(np.arange(400) % 3 == 0, 0.0, 1.0)
    for replace, design in [(r, d) for r in (True, False) for d in ("stratified", "sensitivity")]:
        a, b = both(X=X, n_clusters=6, sample_weight=u, replace=replace, budget=100, design=design)
        assert_same(a, b)
        assert (u[a.indices] > 0).all() and (a.probabilities[u == 0] == 0).all()
    with pytest.raises(ValueError, match="sample_weight"):
        coresample.select(X, 10, n_clusters=3, sample_weight=np.zeros(400))


@pytest.mark.parametrize("scale,dtype", [(1e150, np.float64), (1e-150, np.float64),
                                         (1e17, np.float32), (1e-15, np.float32)])
def test_huge_and_tiny_magnitudes_within_range(scale, dtype):
    X = (RNG.normal(size=(200, 3)) * scale).astype(dtype)
    a, b = both(X=X, n_clusters=4)
    assert_same(a, b)
    assert np.isfinite(a.cost).all() and np.isfinite(a.weights).all() and a.inertia > 0


@pytest.mark.parametrize("impl", [coresample, reference], ids=["core", "reference"])
@pytest.mark.parametrize("value,dtype", [(1e19, np.float32), (3e38, np.float32),
                                         (1e154, np.float64)])
def test_magnitudes_whose_squares_overflow_are_refused(impl, value, dtype):
    X = np.zeros((10, 4), dtype=dtype)
    X[3, 1] = value
    with pytest.raises(ValueError, match="X has values up to .* would overflow"):
        impl.select(X, 5, n_clusters=2)
    with pytest.raises(ValueError, match="X has values up to .* would overflow"):
        impl.KMeans(2).fit(X)


@pytest.mark.parametrize("impl", [coresample, reference], ids=["core", "reference"])
@pytest.mark.parametrize("scale,dtype", [(1e-170, np.float64), (1e-20, np.float32)])
def test_magnitudes_whose_squares_underflow_are_refused(impl, scale, dtype):
    # Every squared norm would be subnormal or zero: nearest-center search has no precision.
    X = (RNG.normal(size=(40, 2)) * scale).astype(dtype)
    with pytest.raises(ValueError, match="X has values only up to .* underflow"):
        impl.select(X, 5, n_clusters=3)
    Z = np.zeros((10, 2), dtype=dtype)  # all zeros is fine: identical rows
    assert impl.select(Z, 5, n_clusters=2).inertia == 0.0


@pytest.mark.parametrize("scale", [1.0, 1e-150])
def test_k_equal_n_makes_every_row_a_representative(scale):
    # Which center each row's cluster gets may differ on ties; the set of representatives may not.
    X = RNG.normal(size=(30, 3)) * scale
    a, b = both(X=X, n_clusters=30)
    for s in (a, b):
        assert sorted(s.representatives) == list(range(30)) and s.inertia == 0.0
    assert_same(a, b, clustering=False)

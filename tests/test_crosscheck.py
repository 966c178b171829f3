"""Core against reference, step by step (docs/ARCHITECTURE.md, 'Agreement').

Tolerances: costs and sensitivities rtol 1e-5 for float32 input (the core's float32 distance
kernel only chooses the argmin; the chosen cost is recomputed in float64 from the float32 values,
so the true gap is ~1e-12) and 1e-12 for float64. Sampling from the same p: identical indices,
identical weights with and without replacement (the reference calls the C library's expm1 through
math.expm1, as the core does; NumPy's expm1 differs in the last bit for some arguments). Lloyd from the same centers: identical labels, centers to
rtol 1e-5 (f32) / 1e-12 (f64) because the two sum the members in a different order.
"""
import numpy as np
import pytest

import coresample
import coresample.reference as ref
from conftest import assert_same_sample, blobs


def rtol_for(dtype):
    return 1e-5 if dtype == np.float32 else 1e-12


def random_p(n, seed, zeros=0.0):
    rng = np.random.default_rng(seed)
    p = rng.gamma(0.5, size=n)
    if zeros:
        p[rng.random(n) < zeros] = 0.0
    p[rng.integers(n)] = 1.0  # at least one positive entry
    return p


@pytest.mark.parametrize("n", [1, 2, 7, 1023, 1024, 1025, 5000])
@pytest.mark.parametrize("zeros", [0.0, 0.3])
@pytest.mark.parametrize("replace", [True, False])
def test_sample_identical(n, zeros, replace, seed):
    p = random_p(n, seed, zeros)
    positive = int(np.count_nonzero(p))
    for size in {1, min(positive, 3), max(1, positive // 2), positive, 3 * n}:
        if not replace and size > positive:
            continue
        assert_same_sample(p, size, replace, seed)


def test_sample_identical_extreme_p():
    p = np.array([1e-300, 1.0, 1e300, 0.0, 5e-324, 1e-10])
    for replace, size in [(True, 1000), (False, 5)]:
        a = coresample.sample(p, size, replace=replace, random_state=1)
        b = ref.sample(p, size, replace=replace, random_state=1)
        np.testing.assert_array_equal(a[0], b[0])


@pytest.mark.parametrize("z", [1.0, 1.5, 2.0, 3.0])
@pytest.mark.parametrize("d", [1, 3, 8, 17, 33])
def test_assign_matches(dtype, z, d, seed):
    X, _ = blobs(700, d, 13, seed, dtype)
    centers = X[:13] + dtype(0.01)  # one row of each blob (conftest.blobs): no near-ties
    lc, cc = coresample.assign(X, centers, z)
    lr, cr = ref.assign(X, centers, z)
    np.testing.assert_array_equal(lc, lr)
    np.testing.assert_allclose(cc, cr, rtol=rtol_for(dtype), atol=1e-30)


def test_assign_many_centers_off_tile_sizes(dtype, seed):
    # n and k not multiples of any tile size; d with a tail.
    X, _ = blobs(1037, 19, 67, seed, dtype)
    lc, cc = coresample.assign(X, X[:67])
    lr, cr = ref.assign(X, X[:67])
    np.testing.assert_array_equal(lc, lr)
    np.testing.assert_allclose(cc, cr, rtol=rtol_for(dtype), atol=1e-30)


@pytest.mark.parametrize("z", [1.0, 2.0, 3.0])
def test_kmeans_plusplus_identical(dtype, z, seed):
    X, _ = blobs(2000, 5, 12, seed, dtype)
    w = np.random.default_rng(seed).uniform(0.5, 2.0, size=2000)
    for sw in [None, w]:
        a = coresample.kmeans_plusplus(X, 12, z=z, sample_weight=sw, random_state=seed)
        b = ref.kmeans_plusplus(X, 12, z=z, sample_weight=sw, random_state=seed)
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("z", [1.0, 1.5, 2.0])
def test_lloyd_from_same_init(dtype, z, seed):
    X, _ = blobs(3000, 6, 8, seed, dtype, spread=1.0, scale=4.0)  # overlapping: many moves
    init = X[:8].copy()
    # 8 iterations: for z != 2 the reweighted steps approach their fixed point geometrically, and
    # when the shift becomes exactly 0 depends on rounding, so a long run may stop at different
    # iterations in the two implementations (both converged).
    kw = dict(z=z, init=init, max_iter=8, tol=0.0)
    a = coresample.KMeans(8, **kw).fit(X)
    b = ref.KMeans(8, **kw).fit(X)
    assert a.n_iter_ == b.n_iter_
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=rtol_for(dtype) * 10, atol=1e-6 if dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(a.inertia_, b.inertia_, rtol=rtol_for(dtype))
    np.testing.assert_allclose(a.cost_, b.cost_, rtol=rtol_for(dtype) * 10, atol=1e-6)


def test_kmeans_full_fit_identical_on_separated_data(dtype, seed):
    X, _ = blobs(4000, 10, 20, seed, dtype)
    a = coresample.KMeans(20, random_state=seed).fit(X)
    b = ref.KMeans(20, random_state=seed).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-4, atol=1e-5)


def test_kmeans_subsampled_fit_matches(dtype, seed):
    X, _ = blobs(5000, 4, 5, seed, dtype)
    kw = dict(random_state=seed, max_points_per_center=50)
    a = coresample.KMeans(5, **kw).fit(X)
    b = ref.KMeans(5, **kw).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(a.inertia_, b.inertia_, rtol=1e-4)


def test_empty_cluster_relocation_matches(dtype):
    # Two initial centers far from all data: both clusters start empty and must be relocated.
    X, _ = blobs(500, 3, 4, 0, dtype)
    init = np.vstack([X[:2], np.full((2, 3), 1e3)]).astype(dtype)
    a = coresample.KMeans(4, init=init, max_iter=10, tol=0).fit(X)
    b = ref.KMeans(4, init=init, max_iter=10, tol=0).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert len(np.unique(a.labels_)) == 4


def test_snap_identical(dtype, seed):
    X, truth = blobs(3000, 7, 9, seed, dtype)
    centers = np.stack([X[truth == c].mean(0) for c in range(9)]).astype(dtype)
    labels, _ = ref.assign(X, centers)
    np.testing.assert_array_equal(
        coresample.snap_to_rows(X, centers, labels), ref.snap_to_rows(X, centers, labels)
    )


def test_snap_empty_cluster_takes_nearest_row(dtype):
    X = np.array([[0.0], [1.0], [2.0], [10.0]], dtype=dtype)
    centers = np.array([[0.4], [9.0]], dtype=dtype)
    labels = np.zeros(4, dtype=np.int64)  # cluster 1 has no member
    for impl in (coresample, ref):
        assert impl.snap_to_rows(X, centers, labels).tolist() == [0, 3]


@pytest.mark.parametrize("method", ["lightweight", "coreset"])
@pytest.mark.parametrize("with_losses", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_sensitivities_match(method, with_losses, weighted, seed):
    rng = np.random.default_rng(seed)
    n, k = 3000, 17
    cost = rng.exponential(size=n)
    labels = rng.integers(k, size=n)
    losses = rng.uniform(0, 3, size=k) if with_losses else None
    w = rng.uniform(0, 2, size=n) if weighted else None
    for lam in [0.0, 0.3, 1.0]:
        a = coresample.sensitivities(cost, labels, losses, lam, w, method=method, n_clusters=k)
        b = ref.sensitivities(cost, labels, losses, lam, w, method=method, n_clusters=k)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)
        assert abs(a.sum() - 1) < 1e-12


@pytest.mark.parametrize("replace", [True, False])
def test_select_matches(dtype, replace, seed):
    X, _ = blobs(3000, 8, 10, seed, dtype)
    loss = np.random.default_rng(seed).uniform(size=3000)
    kw = dict(n_clusters=10, replace=replace, random_state=seed, loss_fn=lambda i: loss[i])
    a = coresample.select(X, 200, **kw)
    b = ref.select(X, 200, **kw)
    np.testing.assert_array_equal(a.representatives, b.representatives)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_allclose(a.probabilities, b.probabilities, rtol=rtol_for(dtype))
    # Sampling from (nearly) equal p: the rows agree except where rounding moved a boundary.
    assert np.mean(a.indices == b.indices) > 0.95
    np.testing.assert_allclose(a.estimate, b.estimate, rtol=0.05)


def test_kmeans_parallel_init_identical(dtype, seed):
    # k-means|| keeps several rows per blob, and a row's squared distances to two kept rows of
    # its own blob (~0.03 here) differ by less than the float32 kernel's rounding (~1e-7 of
    # ||c||^2 ~ 600) often enough that the nearest kept row, hence the weights of the final
    # k-means++, differ from float64. Exact agreement is required for float64 input; for float32
    # both must be valid seedings of similar cost (seen: 4 of 100 seeds differ, by up to 8%).
    X, _ = blobs(3000, 6, 15, seed, dtype)
    kw = dict(init="k-means||", max_iter=0, random_state=seed)
    a = coresample.KMeans(15, **kw).fit(X)
    b = ref.KMeans(15, **kw).fit(X)
    if dtype == np.float64:
        np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    else:
        assert a.inertia_ <= 1.15 * b.inertia_ and b.inertia_ <= 1.15 * a.inertia_


def test_select_subsampled_matches(dtype, seed):
    X, _ = blobs(6000, 5, 8, seed, dtype)
    kw = dict(n_clusters=8, max_points_per_center=100, random_state=seed)
    a = coresample.select(X, 100, **kw)
    b = ref.select(X, 100, **kw)
    np.testing.assert_array_equal(a.representatives, b.representatives)
    np.testing.assert_array_equal(a.labels, b.labels)

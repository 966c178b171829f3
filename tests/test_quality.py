"""Clustering quality: known clusters recovered, and scikit-learn's inertia matched on real data."""
import numpy as np
import pytest

import coresample
from conftest import blobs


def test_recovers_known_clusters(dtype, seed):
    X, truth = blobs(3000, 8, 12, seed, dtype, spread=0.5)
    km = coresample.KMeans(12, random_state=seed).fit(X)
    # Every predicted cluster is exactly one true cluster (labels equal up to renaming).
    pairs = set(zip(km.labels_.tolist(), truth.tolist()))
    assert len(pairs) == 12


def test_inertia_close_to_sklearn_on_digits():
    pytest.importorskip("sklearn")
    from sklearn.cluster import KMeans as SKMeans
    from sklearn.datasets import load_digits

    X = load_digits().data.astype(np.float64)
    ours, theirs = [], []
    for s in range(5):
        km = coresample.KMeans(10, random_state=s).fit(X)
        # inertia_ is the cost of the returned clustering (each row to its labelled center),
        # and each row's label is its nearest center.
        d2 = ((X[:, None, :] - km.cluster_centers_[None]) ** 2).sum(-1)
        np.testing.assert_array_equal(km.labels_, d2.argmin(1))
        assert km.inertia_ == pytest.approx(d2.min(1).sum(), rel=1e-9)
        ours.append(km.inertia_)
        theirs.append(SKMeans(10, n_init=1, random_state=s).fit(X).inertia_)
    # Both are single k-means++ runs; the means over 5 seeds agree within 3%.
    assert np.mean(ours) <= 1.03 * np.mean(theirs), (ours, theirs)


def test_same_init_same_result_as_sklearn():
    from sklearn.cluster import KMeans as SKMeans
    from sklearn.datasets import load_digits

    X = load_digits().data.astype(np.float64)
    init = X[:: len(X) // 10][:10].copy()
    ours = coresample.KMeans(10, init=init, max_iter=300, tol=0).fit(X)
    theirs = SKMeans(10, init=init, n_init=1, max_iter=300, tol=0, algorithm="lloyd").fit(X)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-9)


def test_subsampled_fit_quality():
    X, _ = blobs(20000, 16, 20, 0, np.float32, spread=1.0)
    full = coresample.KMeans(20, random_state=0).fit(X).inertia_
    sub = coresample.KMeans(20, random_state=0, max_points_per_center=64).fit(X).inertia_
    assert sub <= 1.05 * full


def test_kmedian_is_robust_to_outliers():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 0.1, size=(500, 2)), [[1000.0, 1000.0]] * 5])
    km1 = coresample.KMeans(1, z=1.0, random_state=0, tol=0, max_iter=200).fit(X)
    km2 = coresample.KMeans(1, z=2.0, random_state=0).fit(X)
    assert np.linalg.norm(km1.cluster_centers_[0]) < 0.2  # the median ignores the outliers
    assert np.linalg.norm(km2.cluster_centers_[0]) > 5.0  # the mean does not


def test_kmeans_parallel_seeding_quality():
    # k-means|| (5 rounds, l = 2k, weighted greedy k-means++ on the kept rows) seeds about as well
    # as greedy k-means++ on clustered data: within 10% over 3 seeds, and finds every blob.
    X, truth = blobs(20000, 16, 40, 0, np.float32, spread=0.5)
    pp = [coresample.KMeans(40, max_iter=0, random_state=s).fit(X).inertia_ for s in range(3)]
    par = [coresample.KMeans(40, init="k-means||", max_iter=0, random_state=s).fit(X) for s in range(3)]
    assert np.mean([p.inertia_ for p in par]) <= 1.10 * np.mean(pp)
    fitted = coresample.KMeans(40, init="k-means||", random_state=0).fit(X)
    assert len(set(zip(fitted.labels_.tolist(), truth.tolist()))) == 40


def test_select_subsample_is_one_pass_and_consistent():
    X, _ = blobs(30000, 8, 10, 1, np.float32)
    sel = coresample.select(X, 200, n_clusters=10, max_points_per_center=50, random_state=0)
    d2 = ((X.astype(np.float64) - X[sel.representatives][sel.labels].astype(np.float64)) ** 2).sum(1)
    np.testing.assert_allclose(sel.cost, d2, rtol=1e-12)
    assert np.array_equal(sel.labels[sel.representatives], np.arange(10))


def test_auto_clustering_follows_problem_size():
    """select()'s init / max_points_per_center "auto" (_algorithm.resolve_auto): exact k-means++ on
    all rows unless n * k * d > 1e10 and n > 96 k; explicit values always win."""
    from coresample._algorithm.options import AUTO_POINTS_PER_CENTER, resolve_auto

    assert resolve_auto("auto", "auto", 200_000, 100, 128) == ("k-means++", None)
    assert resolve_auto("auto", "auto", 1_000_000, 1000, 256) == ("k-means||", AUTO_POINTS_PER_CENTER)
    # large work but too few rows per center to subsample: full data
    assert resolve_auto("auto", "auto", 90_000, 1000, 200_000) == ("k-means++", None)
    assert resolve_auto("k-means++", 10, 1_000_000, 1000, 256) == ("k-means++", 10)
    assert resolve_auto("k-means||", None, 10, 2, 2) == ("k-means||", None)
    init = np.zeros((2, 2))
    assert resolve_auto(init, "auto", 10, 2, 2)[0] is init


def test_auto_defaults_match_explicit_small_problem():
    """On a small problem the defaults are exactly the full-data, k-means++ fit."""
    X = np.random.default_rng(0).normal(size=(3000, 6)).astype(np.float32)
    a = coresample.select(X, 100, n_clusters=8, random_state=1)
    b = coresample.select(X, 100, n_clusters=8, random_state=1, init="k-means++",
                          max_points_per_center=None)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.representatives, b.representatives)

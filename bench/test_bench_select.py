"""select() end to end against one numpy GEMM X @ C.T of shape (n x d)(d x k), the yardstick of
target C in bench/compare.py, and against the full-data clustering it replaces.

The GEMM is only a reference cost (what one pass of distances to k centers costs in BLAS);
select's budget is a small multiple of it. Sizes are small.
"""
import numpy as np
import pytest

import benchutil as bu
import coresample

N, D, K, BUDGET = 20_000, 32, 32, 300

pytestmark = [pytest.mark.filterwarnings("ignore::FutureWarning")]


@pytest.fixture(scope="module")
def X():
    return bu.make_data(N, D, seed=0)


GROUP = f"select n={N} d={D} k={K} budget={BUDGET}"


@pytest.mark.benchmark(group=GROUP)
def test_select_coresample(benchmark, X, threads):
    sel = benchmark.pedantic(coresample.select, args=(X, BUDGET),
                             kwargs=dict(n_clusters=K, random_state=0, n_threads=threads), rounds=3)
    assert sel.indices.shape == (BUDGET,)


@pytest.mark.benchmark(group=GROUP)
def test_select_coresample_subsampled(benchmark, X, threads):
    """max_points_per_center=256: the clustering runs on k*256 rows, the final pass on all rows."""
    sel = benchmark.pedantic(coresample.select, args=(X, BUDGET),
                             kwargs=dict(n_clusters=K, random_state=0, max_points_per_center=256,
                                         n_threads=threads), rounds=3)
    assert sel.indices.shape == (BUDGET,)


@pytest.mark.benchmark(group=GROUP)
def test_gemm_numpy(benchmark, X):
    C = np.random.default_rng(5).standard_normal((K, D), dtype=np.float32)
    out = benchmark(lambda: X @ C.T)
    assert out.shape == (N, K)


@pytest.mark.benchmark(group=GROUP)
def test_kmeans_sklearn_same_k(benchmark, X):
    """scikit-learn's full-data KMeans(k) (k-means++ init, n_init=1, default tol): the clustering
    step a user would otherwise run before sampling."""
    cluster = pytest.importorskip("sklearn.cluster")
    km = benchmark.pedantic(lambda: cluster.KMeans(K, n_init=1, random_state=0).fit(X), rounds=3)
    assert km.cluster_centers_.shape == (K, D)

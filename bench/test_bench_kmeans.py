"""Lloyd iterations, k-means++ seeding and assignment: coresample side by side with its competitors.

Same data, same initial centers, exactly M iterations (tol=0) for every library; each benchmark
asserts the iteration count (never a timing). Groups put the competitors in one table.
"""
import numpy as np
import pytest

import benchutil as bu
import coresample

N, D, K, M = 20_000, 64, 64, 5
SEED_N, SEED_K = 10_000, 50

pytestmark = [
    # competitors' deprecation notices are not benchmark results (the project turns warnings into errors)
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:sklearn"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:faiss"),
]


@pytest.fixture(scope="module")
def data():
    X = bu.make_data(N, D, seed=0)
    return X, bu.initial_centers(X, K, seed=1)


LLOYD = f"lloyd n={N} d={D} k={K} m={M}"


@pytest.mark.benchmark(group=LLOYD)
def test_lloyd_coresample(benchmark, data, threads):
    X, C0 = data
    _, it = benchmark.pedantic(bu.lloyd_coresample, args=(X, C0, M, threads), rounds=5, warmup_rounds=1)
    assert it == M


@pytest.mark.benchmark(group=LLOYD)
def test_lloyd_sklearn(benchmark, data):
    pytest.importorskip("sklearn")
    X, C0 = data
    _, it = benchmark.pedantic(bu.lloyd_sklearn, args=(X, C0, M), rounds=5, warmup_rounds=1)
    assert it == M


@pytest.mark.benchmark(group=LLOYD)
def test_lloyd_faiss(benchmark, data):
    pytest.importorskip("faiss")
    X, C0 = data
    _, it = benchmark.pedantic(bu.lloyd_faiss, args=(X, C0, M), rounds=5, warmup_rounds=1)
    assert it == M


SEEDING = f"kmeans++ n={SEED_N} d={D} k={SEED_K}"


@pytest.mark.benchmark(group=SEEDING)
def test_kmeans_plusplus_coresample(benchmark, data, threads):
    X = data[0][:SEED_N]
    idx = benchmark.pedantic(coresample.kmeans_plusplus, args=(X, SEED_K),
                             kwargs=dict(random_state=0, n_threads=threads), rounds=3)
    assert len(np.unique(idx)) == SEED_K


@pytest.mark.benchmark(group=SEEDING)
def test_kmeans_plusplus_sklearn(benchmark, data):
    cluster = pytest.importorskip("sklearn.cluster")
    X = data[0][:SEED_N]
    centers, idx = benchmark.pedantic(cluster.kmeans_plusplus, args=(X, SEED_K),
                                      kwargs=dict(random_state=0), rounds=3)
    assert centers.shape == (SEED_K, D)


ASSIGN = f"assign (nearest center) n={N} d={D} k={K}"


@pytest.mark.benchmark(group=ASSIGN)
def test_assign_coresample(benchmark, data, threads):
    X, C0 = data
    labels, _ = benchmark(coresample.assign, X, C0, n_threads=threads)
    assert labels.shape == (N,)


@pytest.mark.benchmark(group=ASSIGN)
def test_assign_sklearn(benchmark, data):
    metrics = pytest.importorskip("sklearn.metrics")
    X, C0 = data
    labels = benchmark(metrics.pairwise_distances_argmin, X, C0)
    assert labels.shape == (N,)


@pytest.mark.benchmark(group=ASSIGN)
def test_assign_faiss(benchmark, data):
    faiss = pytest.importorskip("faiss")
    X, C0 = data
    index = faiss.IndexFlatL2(D)
    index.add(C0)
    _, labels = benchmark(index.search, X, 1)
    assert labels.shape == (N, 1)

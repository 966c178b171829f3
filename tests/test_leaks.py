"""Repeated calls do not grow memory; returned arrays own (or keep alive) their memory; inputs are
not kept alive by the library (docs/RELIABILITY.md).

RSS is read from /proc/self/statm after a warm-up (allocator pools, thread stacks and OpenMP's
team settle in the first calls). The bounds are far below what a leak of one input, output or
per-row buffer per call would add: 10,000 small calls leaking 1 KiB each would add 10 MiB, and
100 large calls leaking one 1.6 MB per-row vector each would add 160 MB.
"""
import gc
import sys

import numpy as np
import pytest

import coresample
import coresample.reference

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/statm")


def rss():
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def small_select(X, i):
    return coresample.select(X, 20, n_clusters=3, random_state=i, replace=bool(i % 2),
                             loss_fn=lambda rows: X[rows, 0] ** 2)


@linux_only
@pytest.mark.memory
def test_ten_thousand_small_selects_do_not_grow_rss():
    X = np.random.default_rng(0).normal(size=(200, 4))
    for i in range(500):
        small_select(X, i)
    before = rss()
    for i in range(10_000):
        small_select(X, i)
    grown = rss() - before
    assert grown < 4 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB over 10,000 selects"


@linux_only
@pytest.mark.memory
def test_hundred_large_selects_do_not_grow_rss():
    X = np.random.default_rng(1).normal(size=(200_000, 32)).astype(np.float32)  # 24 MiB
    kw = dict(n_clusters=50, max_points_per_center=20, n_threads=2)
    for i in range(5):
        coresample.select(X, 2000, random_state=i, **kw)
    before = rss()
    for i in range(100):
        coresample.select(X, 2000, random_state=i, replace=bool(i % 2), **kw)
    grown = rss() - before
    assert grown < 32 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB over 100 large selects"


@linux_only
@pytest.mark.memory
def test_kmeans_and_sampling_loops_do_not_grow_rss():
    X = np.random.default_rng(2).normal(size=(5000, 8)).astype(np.float32)
    p = np.random.default_rng(3).random(5000)

    def once(i):
        coresample.KMeans(8, random_state=i, max_iter=3).fit(X).predict(X)
        coresample.kmeans_plusplus(X, 8, random_state=i)
        coresample.sample(p, 100, random_state=i, replace=bool(i % 2))
        coresample.assign(X, X[:8])

    for i in range(50):
        once(i)
    before = rss()
    for i in range(2000):
        once(i)
    grown = rss() - before
    assert grown < 4 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB"


def owns_memory(a):
    """a owns its buffer, or its base chain ends in an ndarray that does (no dangling views)."""
    while not a.flags.owndata:
        if not isinstance(a.base, np.ndarray):
            return False
        a = a.base
    return True


@pytest.mark.parametrize("design", ["stratified", "sensitivity"])
@pytest.mark.parametrize("impl", [coresample, coresample.reference], ids=["core", "reference"])
def test_returned_arrays_own_their_memory_and_inputs_are_released(impl, design):
    X = np.random.default_rng(4).normal(size=(3000, 6))
    w = np.ones(3000)
    refs = sys.getrefcount(X), sys.getrefcount(w)
    sel = impl.select(X, 40, n_clusters=5, random_state=0, sample_weight=w,
                      loss_fn=lambda rows: X[rows, 0] ** 2, design=design)
    names = ["indices", "weights", "probabilities", "representatives", "labels", "cost",
             "centers", "cluster_weights", "losses"]
    names += (["representative_losses"] if design == "sensitivity"
              else ["strata", "stratum_sizes", "allocation"])
    for name in names:
        arr = getattr(sel, name)
        assert owns_memory(arr), name
        assert not np.shares_memory(arr, X), name
    km = impl.KMeans(4, random_state=0).fit(X)
    assert owns_memory(km.cluster_centers_) and owns_memory(km.labels_)
    idx, wt = impl.sample(w, 10, random_state=0)
    assert owns_memory(idx) and owns_memory(wt)
    del sel, km, idx, wt
    gc.collect()
    assert (sys.getrefcount(X), sys.getrefcount(w)) == refs  # nothing kept a reference
    # The selection outlives its input: deleting X frees nothing it points to.
    sel = impl.select(X.copy(), 40, n_clusters=5, random_state=0)
    gc.collect()
    assert np.isfinite(sel.cost).all() and sel.indices.max() < 3000

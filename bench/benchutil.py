"""Shared helpers for the coresample benchmarks (data, thread limits, timing, competitors).

Imported by compare.py, plot_scaling.py and the pytest-benchmark suites (bench/ is on sys.path
for all of them: scripts run from bench/, and pytest's default import mode prepends bench/).
Only coresample's public API is used.
"""
from __future__ import annotations

import contextlib
import gc
import os
import statistics
import time
from typing import Callable, Dict, List, Optional

import numpy as np

import coresample

import importlib

_OPTIONAL = {"faiss": "faiss", "sklearn": "sklearn.cluster", "threadpool_limits": "threadpoolctl"}


def __getattr__(name):
    """Competitors load lazily (bu.faiss, bu.sklearn; None when not installed), so that a process
    that only runs coresample (the memory worker of compare.py) does not pay for them in RSS."""
    if name not in _OPTIONAL:
        raise AttributeError(name)
    try:
        mod = importlib.import_module(_OPTIONAL[name])
        value = mod.threadpool_limits if name == "threadpool_limits" else importlib.import_module(name)
    except ImportError:  # a missing competitor is reported, not fatal
        value = None
    globals()[name] = value
    return value

# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------
def make_data(n: int, d: int, seed: int = 0, n_blobs: int = 2000, noise: float = 1.0,
              chunk: int = 65536) -> np.ndarray:
    """float32 (n, d) mixture of `n_blobs` overlapping Gaussian blobs, built chunk by chunk.

    The blob centres are N(0, 1) per coordinate and the noise N(0, noise^2), so clusters overlap
    (Lloyd keeps moving for many iterations, as on real embeddings) and no float64 (n, d)
    temporary is ever created: peak memory is X plus one chunk. Deterministic in (n, d, seed).
    """
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_blobs, d), dtype=np.float32)
    # uneven blob sizes (Zipf-like), as real data has
    w = 1.0 / np.arange(1, n_blobs + 1) ** 0.5
    w /= w.sum()
    X = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        lab = rng.choice(n_blobs, stop - start, p=w)
        block = rng.standard_normal((stop - start, d), dtype=np.float32)
        block *= np.float32(noise)
        block += centres[lab]
        X[start:stop] = block
    return X


def initial_centers(X: np.ndarray, k: int, seed: int = 1) -> np.ndarray:
    """k distinct rows of X (uniform), as a C-contiguous copy: the shared Lloyd init C0."""
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(X.shape[0], k, replace=False))
    return np.ascontiguousarray(X[rows])


def inertia(X: np.ndarray, centers: np.ndarray, n_threads: Optional[int] = None) -> float:
    """sum over all rows of the squared distance to the nearest center (coresample.assign)."""
    _, cost = coresample.assign(X, np.ascontiguousarray(centers, dtype=X.dtype), n_threads=n_threads)
    return float(cost.sum())


# --------------------------------------------------------------------------------------------
# threads
# --------------------------------------------------------------------------------------------
@contextlib.contextmanager
def limit_threads(n_threads: int):
    """Every library to `n_threads`: BLAS and OpenMP pools (threadpoolctl) and faiss's OpenMP.

    coresample takes `n_threads=` explicitly at each call; the callers pass the same number.
    """
    old_faiss = None
    fa, tl = __getattr__("faiss"), __getattr__("threadpool_limits")
    if fa is not None:
        old_faiss = fa.omp_get_max_threads()
        fa.omp_set_num_threads(n_threads)
    ctx = tl(limits=n_threads) if tl is not None else contextlib.nullcontext()
    try:
        with ctx:
            yield
    finally:
        if old_faiss is not None:
            fa.omp_set_num_threads(old_faiss)


# --------------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------------
def time_calls(fn: Callable[[], object], repeats: int, warmup: int = 0) -> List[float]:
    """Wall times (perf_counter) of `repeats` calls of fn, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def summary(times: List[float]) -> Dict[str, float]:
    return {"min": min(times), "median": statistics.median(times), "all": list(times)}


# --------------------------------------------------------------------------------------------
# the three Lloyd implementations, all from the same init C0, exactly m iterations (tol=0)
# --------------------------------------------------------------------------------------------
def lloyd_coresample(X, C0, m, n_threads, max_points_per_center=None, random_state=0):
    km = coresample.KMeans(C0.shape[0], init=C0, max_iter=m, tol=0.0,
                           max_points_per_center=max_points_per_center,
                           random_state=random_state, n_threads=n_threads)
    km.fit(X)
    return km.cluster_centers_, int(km.n_iter_)


def lloyd_sklearn(X, C0, m, n_threads=None):
    km = __getattr__("sklearn").cluster.KMeans(C0.shape[0], init=C0, n_init=1, max_iter=m, tol=0.0,
                                algorithm="lloyd", random_state=0)
    km.fit(X)
    return km.cluster_centers_, int(km.n_iter_)


def lloyd_faiss(X, C0, m, n_threads=None, max_points_per_centroid=10**9, seed=1234):
    """faiss.Kmeans trained from C0. max_points_per_centroid=10**9 disables faiss's subsampling
    (its default, 256, trains on a k*256-row subsample); min_points_per_centroid=1 only silences
    the 'too few points' warning of small benchmark sizes."""
    km = __getattr__("faiss").Kmeans(X.shape[1], C0.shape[0], niter=m, seed=seed,
                      max_points_per_centroid=max_points_per_centroid,
                      min_points_per_centroid=1, verbose=False)
    km.train(X, init_centroids=C0)
    return km.centroids, len(km.obj)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def loadavg() -> str:
    try:
        return " ".join(os.getloadavg().__repr__().strip("()").split(", "))
    except OSError:
        return "?"

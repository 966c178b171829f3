"""Nearest-center assignment with few centers (k <= 64), against the competitors' own routines.

Usage: PYTHONPATH=python python3 bench/small_k.py [--n 200000] [--repeat 7] [--threads 1]

Few centers is the clustering of regression's default (k = 8 on whitened [A, b]) and of small
stratifications; the cost there is per row, not per distance. Times, in one run on the same
data: `coresample.assign` (labels and float64 cost), numpy's squared-distance expansion with
argmin (||c||^2 - 2 X C^T, then the cost of the chosen center) and scikit-learn's
`pairwise_distances_argmin_min` when installed; min over repeats, and the ratio of each
competitor's time to ours. float32 and float64, d in {11, 64}, k in {2, 8, 16, 32, 64}.
"""
import argparse
import os
import time

import numpy as np

import benchutil as bu
import coresample


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def numpy_assign(X, C):
    d2 = (C * C).sum(axis=1) - 2.0 * (X @ C.T)
    labels = d2.argmin(axis=1)
    diff = X - C[labels]
    return labels, np.einsum("ij,ij->i", diff, diff, dtype=np.float64)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    print(f"n = {a.n}, threads = {a.threads}, repeats = {a.repeat} (min), "
          f"simd = {coresample.simd_level()}, load average {os.getloadavg()[0]:.2f}")
    pairwise = None
    try:
        from sklearn.metrics import pairwise_distances_argmin_min as pairwise
    except ImportError:
        pass
    print("| dtype | d | k | coresample | numpy (ratio) | scikit-learn (ratio) |")
    print("|---|---|---|---|---|---|")
    with bu.limit_threads(a.threads):
        for dtype in (np.float32, np.float64):
            for d in (11, 64):
                X = bu.make_data(a.n, d, seed=0).astype(dtype)
                for k in (2, 8, 16, 32, 64):
                    C = np.ascontiguousarray(X[:: a.n // k][:k])
                    ours = best_of(lambda: coresample.assign(X, C, n_threads=a.threads), a.repeat)
                    ref = numpy_assign(X, C)[0]
                    assert (coresample.assign(X, C)[0] == ref).mean() > 0.999  # same answer
                    npy = best_of(lambda: numpy_assign(X, C), a.repeat)
                    cells = [f"{ours * 1e3:.2f} ms", f"{npy * 1e3:.2f} ms ({npy / ours:.1f}x)"]
                    if pairwise is not None:
                        skl = best_of(lambda: pairwise(X, C), a.repeat)
                        cells.append(f"{skl * 1e3:.2f} ms ({skl / ours:.1f}x)")
                    else:
                        cells.append("not installed")
                    print(f"| {np.dtype(dtype).name} | {d} | {k} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

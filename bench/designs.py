"""The cost of select's designs end to end, against one numpy GEMM X @ C.T (n x d)(d x k).

Usage: PYTHONPATH=python python3 bench/designs.py [--n 1000000] [--d 64] [--k 256]
           [--budget 10000] [--repeat 3] [--threads 2]

Times, in one run: select's default (design "auto" = stratified, distinct rows), design
"sensitivity" (Algorithm 1 with its defaults), the stratified design with a proxy and strata,
and the yardstick GEMM; min over repeats and the ratio to the GEMM. Same data and seed for all
(bench/benchutil.make_data: Gaussian blobs). The designs differ only after the clustering, so the
differences are the draws and their bookkeeping.
"""
import argparse
import time

import numpy as np

import benchutil as bu
import coresample


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--k", type=int, default=256)
    ap.add_argument("--budget", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    X = bu.make_data(a.n, a.d, seed=0)
    rng = np.random.default_rng(1)
    C = rng.standard_normal((a.k, a.d), dtype=np.float32)
    proxy = rng.random(a.n)
    groups = rng.integers(0, 4, size=a.n)
    kw = dict(n_clusters=a.k, random_state=0, n_threads=a.threads)
    runs = {
        "select, default (stratified)": lambda: coresample.select(X, a.budget, **kw),
        "select, design='sensitivity'": lambda: coresample.select(
            X, a.budget, design="sensitivity", **kw),
        "select, stratified + strata + proxy": lambda: coresample.select(
            X, a.budget, strata=groups, proxy=proxy, **kw),
        "GEMM X @ C.T": lambda: X @ C.T,
    }
    with bu.limit_threads(a.threads):
        times = {}
        for name, fn in runs.items():
            ts = []
            for _ in range(a.repeat):
                t0 = time.perf_counter()
                fn()
                ts.append(time.perf_counter() - t0)
            times[name] = min(ts)
    gemm = times["GEMM X @ C.T"]
    print(f"n={a.n:,} d={a.d} k={a.k} budget={a.budget:,} threads={a.threads} "
          f"(min of {a.repeat}; SIMD {coresample.simd_level()})\n")
    print("| call | time (s) | / GEMM |\n|---|---|---|")
    for name, t in times.items():
        print(f"| {name} | {t:.3f} | {t / gemm:.2f}x |")


if __name__ == "__main__":
    main()

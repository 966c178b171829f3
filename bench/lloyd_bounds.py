"""Lloyd with Hamerly bounds (CORESAMPLE_LLOYD_PRUNE=1) against the full pass, same run.

Usage: PYTHONPATH=python python3 bench/lloyd_bounds.py [--repeat 3]

For each shape: 20 Lloyd iterations (tol 0) from the same initial centers, the full assignment
in every iteration against the pruned one (`_core.lloyd(prune=...)`), both at the dispatched
SIMD level with all cores; best-of-`repeat` wall times, their ratio, the share of rows ranked
(rows ranked / (n (iterations + 1))) and whether the results are bit for bit the same.
"""
import argparse
import time

import numpy as np

from coresample import _core


def lloyd(X, C0, prune):
    C = C0.copy()
    labels, cost = np.empty(X.shape[0], np.int64), np.empty(X.shape[0])
    t = time.perf_counter()
    n_iter, inertia = _core.lloyd(X, None, C, 2.0, 20, 0.0, labels, cost, 0, prune=prune)
    return time.perf_counter() - t, (C.tobytes(), labels.tobytes(), n_iter, inertia), \
        _core.last_lloyd_rows_evaluated() / (X.shape[0] * (n_iter + 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    shapes = [
        ("64 blobs, k=64", 200_000, 32, 64, 64),
        ("64 blobs, k=128", 200_000, 32, 64, 128),
        ("random normal, k=256", 200_000, 64, None, 256),
    ]
    print("| data | n x d | full (s) | pruned (s) | pruned / full | rows ranked | same |")
    print("|---|---|---|---|---|---|---|")
    for name, n, d, blobs, k in shapes:
        if blobs:
            X = (rng.normal(scale=5, size=(blobs, d))[rng.integers(blobs, size=n)]
                 + rng.normal(size=(n, d))).astype(np.float32)
        else:
            X = rng.normal(size=(n, d)).astype(np.float32)
        C0 = X[rng.choice(n, k, replace=False)].copy()
        full = min((lloyd(X, C0, False) for _ in range(args.repeat)), key=lambda r: r[0])
        pruned = min((lloyd(X, C0, True) for _ in range(args.repeat)), key=lambda r: r[0])
        print(f"| {name} | {n} x {d} | {full[0]:.2f} | {pruned[0]:.2f} | "
              f"{pruned[0] / full[0]:.2f} | {pruned[2]:.2f} | {full[1] == pruned[1]} |")


if __name__ == "__main__":
    main()

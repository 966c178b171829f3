#!/usr/bin/env python3
"""Time of m Lloyd iterations against n (log-log) for coresample, scikit-learn and faiss.

    python3 bench/plot_scaling.py --quick            # n = 10k..160k, about a minute
    python3 bench/plot_scaling.py                    # n = 62.5k..2M
    python3 bench/plot_scaling.py --threads 1 --out bench/scaling_1t.png

d=64, k=256, float32, the same data and the same initial centers C0 (k rows of X) for every
library, exactly m iterations (tol=0; n_iter_ checked), faiss without subsampling
(max_points_per_centroid=10**9), all libraries limited to --threads threads. Each point is the
minimum over --repeats runs of one whole fit (validation and the final labelling included).
Writes bench/scaling.png (and bench/scaling.json with the numbers).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchutil as bu  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--iters", type=int, default=5, help="Lloyd iterations m")
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--k", type=int, default=256)
    ap.add_argument("--out", default=os.path.join(HERE, "scaling.png"))
    a = ap.parse_args()
    warnings.simplefilter("ignore", FutureWarning)

    ns = [10_000 * 2 ** i for i in range(5)] if a.quick else [62_500 * 2 ** i for i in range(6)]
    d, k, m, nt = a.d, a.k, a.iters, a.threads
    Xall = bu.make_data(max(ns), d, seed=0)
    C0 = bu.initial_centers(Xall[:min(ns)], k, seed=1)  # rows of the smallest prefix: valid for every n
    libs = {"coresample": lambda X: bu.lloyd_coresample(X, C0, m, nt)}
    if bu.sklearn is not None:
        libs["scikit-learn"] = lambda X: bu.lloyd_sklearn(X, C0, m)
    if bu.faiss is not None:
        libs["faiss"] = lambda X: bu.lloyd_faiss(X, C0, m)
    times = {name: [] for name in libs}
    with bu.limit_threads(nt):
        for n in ns:
            X = Xall[:n]
            for name, fit in libs.items():
                out = {}

                def f():
                    out["it"] = fit(X)[1]
                t = min(bu.time_calls(f, a.repeats))
                if out["it"] != m:
                    print(f"warning: {name} ran {out['it']} iterations at n={n}, not {m}", file=sys.stderr)
                times[name].append(t)
                print(f"n={n:>9,} {name:>12}: {t:.3f} s", file=sys.stderr, flush=True)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 5), dpi=120)
    styles = {"coresample": ("C0", "o"), "scikit-learn": ("C1", "s"), "faiss": ("C2", "^")}
    for name, ts in times.items():
        col, mk = styles[name]
        ax.loglog(ns, ts, marker=mk, color=col, lw=2, label=name)
    ref = times["coresample"][-1] * np.array(ns, float) / ns[-1]
    ax.loglog(ns, ref, ls="--", color="gray", lw=1, label="linear in n (through coresample's last point)")
    ax.set_xlabel("n (rows)")
    ax.set_ylabel(f"time of {m} Lloyd iterations (s, min of {a.repeats})")
    ax.set_title(f"Lloyd, d={d}, k={k}, float32, same init, {m} iterations, {nt} thread(s)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(a.out)
    with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
        json.dump(dict(ns=ns, d=d, k=k, iters=m, threads=nt, repeats=a.repeats, times=times,
                       cpu=bu.cpu_model(), loadavg=bu.loadavg()), f, indent=1)
    print(f"wrote {a.out}")
    for i, n in enumerate(ns):
        print(f"n={n:>9,}  " + "  ".join(f"{name} {ts[i]:.3f} s" for name, ts in times.items()))


if __name__ == "__main__":
    main()

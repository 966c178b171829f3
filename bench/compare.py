#!/usr/bin/env python3
"""coresample vs its competitors: the ratio table for performance targets A-F.

    python3 bench/compare.py --quick                 # small sizes, about 2 minutes
    python3 bench/compare.py                         # the full sizes of the issue (long)
    python3 bench/compare.py --targets A,D --threads 2 --repeats 5 --out bench/results.json

Prints a markdown table on stdout (progress goes to stderr). Every ratio compares timings taken
in the same run on the same data; never compare numbers across runs or machines. Fairness rules
(see bench/README.md): float32 everywhere, the same data and the same initial centers for all
libraries, the same iteration count (tol=0, n_iter_ checked), the same thread count for every
library (threadpoolctl for BLAS/OpenMP, faiss.omp_set_num_threads, coresample n_threads=).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchutil as bu  # noqa: E402
import coresample  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------------------------
# sizes
# ---------------------------------------------------------------------------------------------
FULL = dict(
    A_shapes=[(200_000, 128, 256), (100_000, 768, 1024)], A_m=10,
    B=dict(n=200_000, d=128, k=1000, seeds=5),
    C=dict(n=1_000_000, d=256, k=1000, budget=10_000, n_ref=200_000),
    D=dict(n=10_000_000, draws=1_000_000, distinct=100_000),
    F_ns=[250_000, 500_000, 1_000_000, 2_000_000], F_d=64, F_k=256, F_m=5,
)
QUICK = dict(
    A_shapes=[(20_000, 128, 256), (10_000, 768, 1024)], A_m=5,
    B=dict(n=20_000, d=128, k=200, seeds=2),
    C=dict(n=100_000, d=256, k=100, budget=1000, n_ref=100_000),
    D=dict(n=1_000_000, draws=100_000, distinct=10_000),
    F_ns=[25_000, 50_000, 100_000, 200_000], F_d=64, F_k=256, F_m=5,
)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def fmt_t(t):
    if t is None:
        return "-"
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    return f"{t * 1e6:.0f} us"


def fmt_pair(s):
    """'min / median' of a summary dict."""
    if s is None:
        return "-"
    return f"{fmt_t(s['min'])} / {fmt_t(s['median'])}"


class Table:
    def __init__(self):
        self.rows = []

    def add(self, target, case, ours, other, ratio, goal, result, note=""):
        self.rows.append(dict(target=target, case=case, ours=ours, other=other, ratio=ratio,
                              goal=goal, result=result, note=note))
        log(f"  [{target}] {case}: ours {ours} | other {other} | ratio {ratio} | {goal} -> {result}")

    def markdown(self):
        head = "| target | case | coresample (min / median) | competitor (min / median) | ratio | target | result | notes |"
        out = [head, "|" + "---|" * 8]
        for r in self.rows:
            out.append("| " + " | ".join(str(r[c]) for c in
                                         ("target", "case", "ours", "other", "ratio", "goal", "result", "note")) + " |")
        return "\n".join(out)


def passfail(ok):
    return "PASS" if ok else "FAIL"


# ---------------------------------------------------------------------------------------------
# per-iteration Lloyd time: (T(m) - T(1)) / (iters(m) - iters(1)), each T timed `repeats` times
# ---------------------------------------------------------------------------------------------
def per_iteration(run, X, C0, m, repeats):
    """run(X, C0, iters) -> (centers, n_iter). Returns summary of per-iteration time + iters.

    Fixed costs (validation, sklearn's centring copy, the final assignment that coresample and
    sklearn do after the loop and faiss does not) cancel in the difference."""
    it = {}

    def timed(iters):
        out = {}

        def f():
            out["c"], out["n"] = run(X, C0, iters)
        ts = bu.time_calls(f, repeats)
        it[iters] = out["n"]
        return ts, out["c"]

    t1, _ = timed(1)
    tm, cm = timed(m)
    di = it[m] - it[1]
    res = {
        "min": (min(tm) - min(t1)) / di,
        "median": (statistics.median(tm) - statistics.median(t1)) / di,
        "t1": t1, "tm": tm, "iters": (it[1], it[m]),
    }
    return res, cm


def target_A(cfg, nt, R, table, results):
    m = cfg["A_m"]
    for (n, d, k) in cfg["A_shapes"]:
        shape = f"n={n:,} d={d} k={k}"
        log(f"[A] Lloyd {shape}, m={m} iterations, {nt} threads")
        X = bu.make_data(n, d, seed=0)
        C0 = bu.initial_centers(X, k, seed=1)
        runs = {
            "coresample": lambda X, C, it: bu.lloyd_coresample(X, C, it, nt),
            "sklearn": lambda X, C, it: bu.lloyd_sklearn(X, C, it),
            "faiss": lambda X, C, it: bu.lloyd_faiss(X, C, it),
        }
        per, cent = {}, {}
        with bu.limit_threads(nt):
            for name, run in runs.items():
                if (name == "sklearn" and bu.sklearn is None) or (name == "faiss" and bu.faiss is None):
                    continue
                per[name], cent[name] = per_iteration(run, X, C0, m, R)
                log(f"    {name}: {fmt_pair(per[name])} per iteration, iters {per[name]['iters']}")
            # numpy GEMM of the same shape, for the FLOP rate
            gemm = bu.summary(bu.time_calls(lambda: X @ C0.T, R, warmup=1))
        iters_ok = all(p["iters"] == (1, m) for p in per.values())
        # same init, same iterations -> (nearly) the same centers; a sanity check of fairness
        drift = {nm: float(np.abs(c - cent["coresample"]).max()) for nm, c in cent.items()}
        comp = {k_: v for k_, v in per.items() if k_ != "coresample"}
        best = min(comp, key=lambda s: comp[s]["min"])
        ours = per["coresample"]
        ratio_min = comp[best]["min"] / ours["min"]
        ratio_med = comp[best]["median"] / ours["median"]
        note = "iters " + ", ".join(f"{k_} {v['iters'][1]}" for k_, v in per.items())
        if not iters_ok:
            note += " (NOT all equal to m: per-iteration time uses the actual counts)"
        note += "; max |center diff| vs ours: " + ", ".join(f"{k_} {v:.1e}" for k_, v in drift.items() if k_ != "coresample")
        table.add("A", f"Lloyd s/iter, {shape} vs {best} (faster competitor)", fmt_pair(ours),
                  fmt_pair(comp[best]), f"{ratio_min:.2f}x (med {ratio_med:.2f}x)", ">= 1.3x faster",
                  passfail(ratio_min >= 1.3), note)
        for nm in comp:
            if nm != best:
                table.add("A", f"Lloyd s/iter, {shape} vs {nm}", fmt_pair(ours), fmt_pair(comp[nm]),
                          f"{comp[nm]['min'] / ours['min']:.2f}x", "(info)", "-", "")
        flops = 2.0 * n * d * k
        ours_rate = flops / ours["min"] / 1e9
        np_rate = flops / gemm["min"] / 1e9
        table.add("A", f"FLOP rate 2ndk/t_iter, {shape} vs numpy X @ C.T", f"{ours_rate:.1f} GFLOP/s",
                  f"{np_rate:.1f} GFLOP/s (GEMM {fmt_pair(gemm)})", f"{ours_rate / np_rate:.2f}x",
                  ">= 0.8x numpy", passfail(ours_rate / np_rate >= 0.8),
                  "ours: min per-iteration time (assign + update); numpy: min of one GEMM")
        # subsampled training: faiss default (256 points per centroid) vs ours max_points_per_center=256
        sub = {}
        if bu.faiss is not None:
            log(f"[A] subsampled training, 256 points per center, {shape}")
            with bu.limit_threads(nt):
                out = {}

                def ours_sub():
                    out["ours"] = bu.lloyd_coresample(X, C0, m, nt, max_points_per_center=256, random_state=0)[0]

                def faiss_sub():
                    km = bu.faiss.Kmeans(d, k, niter=m, seed=1234, min_points_per_centroid=1)  # default max_points_per_centroid=256
                    km.train(X, init_centroids=C0)
                    km.index.search(X, 1)  # label all rows, as ours does after fitting
                    out["faiss"] = km.centroids
                sub["ours"] = bu.summary(bu.time_calls(ours_sub, R))
                sub["faiss"] = bu.summary(bu.time_calls(faiss_sub, R))
            inert = {nm: bu.inertia(X, c, nt) for nm, c in out.items()}
            subsampled = n > k * 256
            table.add("A", f"256 pts/center, {m} iters + label all rows, {shape} vs faiss default",
                      fmt_pair(sub["ours"]), fmt_pair(sub["faiss"]),
                      f"{sub['faiss']['min'] / sub['ours']['min']:.2f}x", "(info)", "-",
                      f"inertia on all rows: ours {inert['ours']:.5g}, faiss {inert['faiss']:.5g} "
                      f"(ours/faiss {inert['ours'] / inert['faiss']:.4f})"
                      + ("" if subsampled else f"; n <= k*256 = {k * 256:,}: neither subsamples at this n"))
            sub["inertia"] = inert
        results["A"].append(dict(shape=[n, d, k], m=m, per_iteration=per, gemm=gemm,
                                 gflops=dict(ours=ours_rate, numpy=np_rate), center_drift=drift,
                                 subsampled_256=sub))
        X = None  # frees the rows before the next shape (not `del`: the closures above read X)


# ---------------------------------------------------------------------------------------------
def target_B(cfg, nt, R, table, results):
    c = cfg["B"]
    n, d, k, S = c["n"], c["d"], c["k"], c["seeds"]
    log(f"[B] k-means++ seeding n={n:,} d={d} k={k}, {S} seeds")
    X = bu.make_data(n, d, seed=0)
    res = {"ours": [], "sklearn": [], "ours_inertia": [], "sklearn_inertia": []}
    with bu.limit_threads(nt):
        for s in range(S):
            t0 = time.perf_counter()
            idx = coresample.kmeans_plusplus(X, k, random_state=s, n_threads=nt)
            res["ours"].append(time.perf_counter() - t0)
            res["ours_inertia"].append(bu.inertia(X, X[idx], nt))
            if bu.sklearn is not None:
                t0 = time.perf_counter()
                centers, _ = bu.sklearn.cluster.kmeans_plusplus(X, k, random_state=s)
                res["sklearn"].append(time.perf_counter() - t0)
                res["sklearn_inertia"].append(bu.inertia(X, centers, nt))
            log(f"    seed {s}: ours {fmt_t(res['ours'][-1])}, sklearn {fmt_t(res['sklearn'][-1]) if res['sklearn'] else '-'}")
    ours, skl = bu.summary(res["ours"]), bu.summary(res["sklearn"])
    mi_o, mi_s = np.mean(res["ours_inertia"]), np.mean(res["sklearn_inertia"])
    speed = skl["min"] / ours["min"]
    ok = speed >= 10 and mi_o <= mi_s * 1.005
    table.add("B", f"k-means++ k={k}, n={n:,} d={d}, {S} seeds (min/median over seeds)",
              fmt_pair(ours), fmt_pair(skl), f"{speed:.1f}x (med {skl['median'] / ours['median']:.1f}x)",
              ">= 10x at <= mean inertia", passfail(ok),
              f"mean seed inertia ours {mi_o:.5g} vs sklearn {mi_s:.5g} (ratio {mi_o / mi_s:.4f}; "
              "PASS allows +0.5% for seed noise: different random streams)")
    res["kmeans_parallel"] = None
    # k-means|| (may land later): seeding time is not exposed, so time KMeans(max_iter=0)
    try:
        with bu.limit_threads(nt):
            coresample.KMeans(k, init="k-means||", max_iter=0, random_state=0, n_threads=nt).fit(X[:1000])
    except (ValueError, TypeError) as e:
        table.add("B", "KMeans(init='k-means||', max_iter=0)", "n/a", "-", "-", "(info)", "-",
                  f"not available in the installed coresample: {str(e)[:80]}")
    else:
        ts, inert = [], []
        with bu.limit_threads(nt):
            for s in range(S):
                t0 = time.perf_counter()
                km = coresample.KMeans(k, init="k-means||", max_iter=0, random_state=s, n_threads=nt).fit(X)
                ts.append(time.perf_counter() - t0)
                inert.append(km.inertia_)
        kp = bu.summary(ts)
        table.add("B", f"KMeans(init='k-means||', max_iter=0) k={k} vs sklearn kmeans_plusplus",
                  fmt_pair(kp), fmt_pair(skl), f"{skl['min'] / kp['min']:.1f}x", "(info)", "-",
                  f"includes one assignment of all rows; mean inertia {np.mean(inert):.5g} "
                  f"(vs sklearn k-means++ {mi_s:.5g}, ratio {np.mean(inert) / mi_s:.4f})")
        res["kmeans_parallel"] = dict(times=ts, inertia=inert)
    results["B"] = res


# ---------------------------------------------------------------------------------------------
def target_C(cfg, nt, R, table, results, mppc, init="auto"):
    c = cfg["C"]
    n, d, k, budget, n_ref = c["n"], c["d"], c["k"], c["budget"], c["n_ref"]
    log(f"[C] select n={n:,} d={d} k={k} budget={budget} max_points_per_center={mppc} init={init}")
    X = bu.make_data(n, d, seed=0)
    rng = np.random.default_rng(5)
    C = rng.standard_normal((k, d), dtype=np.float32)
    out = {}

    def run_select():
        out["sel"] = coresample.select(X, budget, n_clusters=k, random_state=0, init=init,
                                       max_points_per_center=mppc, n_threads=nt)
    with bu.limit_threads(nt):
        t_sel = bu.summary(bu.time_calls(run_select, R))
        t_mm = bu.summary(bu.time_calls(lambda: X @ C.T, R, warmup=1))
    ratio = t_sel["min"] / t_mm["min"]
    table.add("C", f"select end to end n={n:,} d={d} k={k} budget={budget:,} vs one X @ C.T ({n:,}x{d})({d}x{k})",
              fmt_pair(t_sel), fmt_pair(t_mm), f"{ratio:.2f}x the GEMM (med {t_sel['median'] / t_mm['median']:.2f}x)",
              "<= 3x", passfail(ratio <= 3.0), f"max_points_per_center={mppc}, init={init}")
    sel = out["sel"]
    # quality: the selection's centers vs a full-data KMeans run to convergence, on the same rows
    Xr = X[:n_ref]
    log(f"[C] reference KMeans({k}, tol=1e-4, max_iter=300) on the first {n_ref:,} rows")
    with bu.limit_threads(nt):
        t0 = time.perf_counter()
        ref = coresample.KMeans(k, tol=1e-4, max_iter=300, random_state=0, n_threads=nt).fit(Xr)
        t_ref = time.perf_counter() - t0
    sel_on_ref = bu.inertia(Xr, sel.centers, nt) / n_ref
    ref_cost = ref.inertia_ / n_ref
    sel_all = bu.inertia(X, sel.centers, nt) / n
    table.add("C", f"quality: mean sq. distance on the first {n_ref:,} rows, select's centers vs full-data KMeans",
              f"{sel_on_ref:.5g}", f"{ref_cost:.5g}", f"{sel_on_ref / ref_cost:.4f}", "(info)", "-",
              f"select's sel.centers (before snapping) vs KMeans({k}, tol=1e-4, max_iter=300, all {n_ref:,} rows, "
              f"{ref.n_iter_} iters, {fmt_t(t_ref)}); on all {n:,} rows: sel.centers {sel_all:.5g}, "
              f"sel.inertia/n (to representatives) {sel.inertia / n:.5g}")
    results["C"] = dict(n=n, d=d, k=k, budget=budget, max_points_per_center=mppc, select=t_sel, gemm=t_mm,
                        ratio=ratio, quality=dict(n_ref=n_ref, sel_centers_mean_cost_ref_rows=sel_on_ref,
                                                  kmeans_mean_cost_ref_rows=ref_cost, kmeans_n_iter=ref.n_iter_,
                                                  kmeans_time=t_ref, sel_centers_mean_cost_all=sel_all,
                                                  sel_inertia_mean_all=sel.inertia / n))


# ---------------------------------------------------------------------------------------------
def target_D(cfg, nt, R, table, results):
    c = cfg["D"]
    n, s1, s2 = c["n"], c["draws"], c["distinct"]
    log(f"[D] sampling from n={n:,} probabilities")
    rng = np.random.default_rng(0)
    p = rng.exponential(size=n)  # float64, unnormalised; skewed
    res = {}
    with bu.limit_threads(nt):
        res["ours_repl"] = bu.summary(bu.time_calls(
            lambda: coresample.sample(p, s1, random_state=1, n_threads=nt), R))
        res["np_repl"] = bu.summary(bu.time_calls(
            lambda: np.random.default_rng(1).choice(n, s1, p=p / p.sum()), R))
        res["ours_norepl"] = bu.summary(bu.time_calls(
            lambda: coresample.sample(p, s2, replace=False, random_state=1, n_threads=nt), R))
        res["np_norepl"] = bu.summary(bu.time_calls(
            lambda: np.random.default_rng(1).choice(n, s2, replace=False, p=p / p.sum()), R))
    for key, case, size in (("repl", "with replacement", s1), ("norepl", "without replacement", s2)):
        o, q = res[f"ours_{key}"], res[f"np_{key}"]
        r = q["min"] / o["min"]
        table.add("D", f"sample {size:,} {case} from n={n:,} vs rng.choice(p=p/p.sum())",
                  fmt_pair(o), fmt_pair(q), f"{r:.1f}x (med {q['median'] / o['median']:.1f}x)", ">= 10x",
                  passfail(r >= 10), "numpy timing includes p/p.sum() (its API needs normalised p)")
    results["D"] = res


# ---------------------------------------------------------------------------------------------
# E: memory, in a fresh subprocess
# ---------------------------------------------------------------------------------------------
def _status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def worker_memory(a):
    """Fresh process: RSS after imports, after creating X, then peak (VmHWM) after select."""
    base = _status_kb("VmRSS")
    X = bu.make_data(a.n, a.d, seed=0)
    after_x = _status_kb("VmRSS")
    hwm_x = _status_kb("VmHWM")
    reset = False
    try:  # "5" resets VmHWM to the current RSS (Linux >= 4.0), so the peak is select's own
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        reset = True
    except OSError:
        pass
    coresample.select(X, a.budget, n_clusters=a.k, random_state=0, max_points_per_center=a.mppc,
                      n_threads=a.threads)
    peak = _status_kb("VmHWM")
    print(json.dumps(dict(baseline_kb=base, after_x_kb=after_x, hwm_after_x_kb=hwm_x, peak_kb=peak,
                          hwm_reset=reset, maxrss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                          x_nbytes=X.nbytes)))


def target_E(cfg, nt, R, table, results, mppc):
    c = cfg["C"]
    log(f"[E] peak RSS of select n={c['n']:,} d={c['d']} in a fresh process")
    cmd = [sys.executable, os.path.abspath(__file__), "--_worker", "memory", "--n", str(c["n"]), "--d", str(c["d"]),
           "--k", str(c["k"]), "--budget", str(c["budget"]), "--mppc", "0" if mppc is None else str(mppc), "--threads", str(nt)]
    r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
    MB = 1024 * 1024
    xb = r["x_nbytes"]
    peak = r["peak_kb"] * 1024
    limit = 1.3 * xb + 200 * MB
    table.add("E", f"peak RSS of select (C's size, n={c['n']:,} d={c['d']}), fresh process",
              f"{peak / MB:.0f} MB", f"limit {limit / MB:.0f} MB", f"{peak / limit:.2f} of limit",
              "peak <= 1.3 X.nbytes + 200 MB", passfail(peak <= limit),
              f"baseline (interpreter+numpy+coresample) {r['baseline_kb'] / 1024:.0f} MB, X {xb / MB:.0f} MB, "
              f"RSS after X {r['after_x_kb'] / 1024:.0f} MB, peak during select {peak / MB:.0f} MB "
              f"(= {(peak - r['after_x_kb'] * 1024) / MB:.0f} MB above RSS after X; VmHWM "
              f"{'reset after X' if r['hwm_reset'] else 'not reset: includes data generation'})")
    results["E"] = r


# ---------------------------------------------------------------------------------------------
# F: scaling in n, threads, a busy core
# ---------------------------------------------------------------------------------------------
def worker_lloyd(a):
    """Fresh process: coresample per-iteration Lloyd time on A's first shape (for the busy-core runs)."""
    X = bu.make_data(a.n, a.d, seed=0)
    C0 = bu.initial_centers(X, a.k, seed=1)
    res, _ = per_iteration(lambda X, C, it: bu.lloyd_coresample(X, C, it, a.threads), X, C0, a.m, a.repeats)
    print(json.dumps(dict(min=res["min"], median=res["median"], iters=res["iters"])))


def target_F(cfg, nt, R, table, results):
    ns, d, k, m = cfg["F_ns"], cfg["F_d"], cfg["F_k"], cfg["F_m"]
    log(f"[F] scaling in n: KMeans(init=C0, max_iter={m}, tol=0) d={d} k={k}, n={ns}")
    times, iters = [], []
    rng = np.random.default_rng(1)
    Xall = bu.make_data(max(ns), d, seed=0)
    C0 = np.ascontiguousarray(Xall[np.sort(rng.choice(min(ns), k, replace=False))])
    for n in ns:
        X = Xall[:n]
        out = {}

        def f():
            out["it"] = bu.lloyd_coresample(X, C0, m, nt)[1]
        with bu.limit_threads(nt):
            times.append(min(bu.time_calls(f, R)))
        iters.append(out["it"])
        log(f"    n={n:,}: {fmt_t(times[-1])} ({out['it']} iters)")
    del Xall
    ns_a, t_a = np.array(ns, float), np.array(times)
    slope, icpt = np.polyfit(ns_a, t_a, 1)
    fit = slope * ns_a + icpt
    dev = float(np.max(np.abs(t_a - fit) / fit))
    table.add("F", f"fit time vs n (line a+b*n), n={ns[0]:,}..{ns[-1]:,} d={d} k={k}, {m} iters",
              ", ".join(fmt_t(t) for t in times), "-", f"max dev {dev * 100:.1f}%", "<= 15% from linear",
              passfail(dev <= 0.15),
              f"min of {R}; per row: " + ", ".join(f"{t / n * 1e6:.2f} us" for t, n in zip(times, ns))
              + f"; intercept {fmt_t(icpt)}; iters {iters}")
    results["F"] = dict(ns=ns, times=times, iters=iters, max_dev=dev, slope=slope, intercept=icpt)

    # threads: 1 vs nt on A's first shape
    n, d1, k1 = cfg["A_shapes"][0]
    mA = cfg["A_m"]
    X = bu.make_data(n, d1, seed=0)
    C0 = bu.initial_centers(X, k1, seed=1)
    per = {}
    for t in sorted({1, nt}):
        log(f"[F] threads={t}, n={n:,} d={d1} k={k1}")
        with bu.limit_threads(t):
            per[t], _ = per_iteration(lambda X, C, it: bu.lloyd_coresample(X, C, it, t), X, C0, mA, R)
    if nt > 1:
        sp = per[1]["min"] / per[nt]["min"]
        table.add("F", f"Lloyd s/iter {nt} threads vs 1 thread, n={n:,} d={d1} k={k1}",
                  fmt_pair(per[nt]), fmt_pair(per[1]), f"{sp:.2f}x", ">= 1.7x", passfail(sp >= 1.7),
                  "competitor column = coresample on 1 thread")
    else:
        table.add("F", "threads scaling", "-", "-", "-", ">= 1.7x", "-", "skipped: --threads 1")
    results["F"]["threads"] = {str(t): v for t, v in per.items()}
    X = None  # frees the rows (not `del`: the closure f above reads X)

    # the other core busy: OMP_WAIT_POLICY unset vs PASSIVE, each in a fresh subprocess
    log("[F] busy core: fresh subprocesses, one busy-loop process alongside")

    def sub(env_policy):
        env = dict(os.environ)
        env.pop("OMP_WAIT_POLICY", None)
        if env_policy:
            env["OMP_WAIT_POLICY"] = env_policy
        cmd = [sys.executable, os.path.abspath(__file__), "--_worker", "lloyd", "--n", str(n), "--d", str(d1),
               "--k", str(k1), "--m", str(mA), "--threads", str(nt), "--repeats", str(R)]
        return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
                          .stdout.strip().splitlines()[-1])
    busy_res = {}
    busy_res["idle_unset"] = sub(None)
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)
        busy_res["busy_unset"] = sub(None)
        busy_res["busy_passive"] = sub("PASSIVE")
    finally:
        busy.kill()
        busy.wait()
    base = busy_res["idle_unset"]["min"]
    for key, label in (("busy_unset", "unset"), ("busy_passive", "PASSIVE")):
        v = busy_res[key]
        table.add("F", f"Lloyd s/iter, other core busy, OMP_WAIT_POLICY {label}, {nt} threads",
                  fmt_pair(v), fmt_pair(busy_res["idle_unset"]), f"{v['min'] / base:.2f}x slower", "(report)", "-",
                  "competitor column = same subprocess run without the busy loop (policy unset)")
    results["F"]["busy"] = busy_res


# ---------------------------------------------------------------------------------------------
def parse_mppc(v):
    """--select-mppc / --mppc: 'auto' or None stay, '0' means None, else an int."""
    if v is None or v == "auto":
        return v
    return int(v) or None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (about 2 minutes)")
    ap.add_argument("--targets", default="A,B,C,D,E,F", help="comma-separated subset of A,B,C,D,E,F")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for every library")
    ap.add_argument("--repeats", type=int, default=3, help="timings per measurement (min and median reported)")
    ap.add_argument("--select-mppc", default="auto",
                    help="max_points_per_center for C and E: 'auto' (select's default), an int, or 0 for None")
    ap.add_argument("--select-init", default="auto", help="init of select in C: auto (default), k-means++ or k-means||")
    ap.add_argument("--out", help="also write the raw results as JSON to this path")
    ap.add_argument("--_worker", choices=["memory", "lloyd"], help=argparse.SUPPRESS)
    for a_ in ("--n", "--d", "--k", "--budget", "--m"):
        ap.add_argument(a_, type=int, help=argparse.SUPPRESS)
    ap.add_argument("--mppc", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a._worker == "memory":
        a.mppc = parse_mppc(a.mppc)
        return worker_memory(a)
    if a._worker == "lloyd":
        return worker_lloyd(a)

    cfg = QUICK if a.quick else FULL
    targets = [t.strip().upper() for t in a.targets.split(",") if t.strip()]
    nt, R = a.threads, a.repeats
    mppc = parse_mppc(a.select_mppc)
    warnings.simplefilter("ignore", FutureWarning)  # competitors' deprecation notices are not results
    t_start = time.time()
    env = dict(coresample=coresample.__version__, simd=coresample.simd_level(), numpy=np.__version__,
               sklearn=getattr(bu.sklearn, "__version__", None), faiss=getattr(bu.faiss, "__version__", None),
               python=platform.python_version(), cpu=bu.cpu_model(), cpus=os.cpu_count(), threads=nt,
               repeats=R, mode="quick" if a.quick else "full", loadavg_start=bu.loadavg(),
               omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"))
    log(f"env: {env}")
    table = Table()
    results = {"env": env, "A": []}
    for t in targets:
        if t == "A":
            target_A(cfg, nt, R, table, results)
        elif t == "B":
            target_B(cfg, nt, R, table, results)
        elif t == "C":
            target_C(cfg, nt, R, table, results, mppc, a.select_init)
        elif t == "D":
            target_D(cfg, nt, R, table, results)
        elif t == "E":
            target_E(cfg, nt, R, table, results, mppc)
        elif t == "F":
            target_F(cfg, nt, R, table, results)
        else:
            raise SystemExit(f"unknown target {t!r}")
    env["loadavg_end"] = bu.loadavg()
    env["wall_s"] = round(time.time() - t_start, 1)
    print(f"coresample {env['coresample']} (simd {env['simd']}), numpy {env['numpy']}, scikit-learn "
          f"{env['sklearn']}, faiss {env['faiss']}; {env['cpu']}, {env['cpus']} CPUs; threads={nt}, "
          f"repeats={R}, mode={env['mode']}; load avg {env['loadavg_start']} -> {env['loadavg_end']}; "
          f"wall {env['wall_s']} s")
    print()
    print(table.markdown())
    if a.out:
        results["table"] = table.rows
        with open(a.out, "w") as f:
            json.dump(results, f, indent=1, default=float)
        log(f"wrote {a.out}")


if __name__ == "__main__":
    main()

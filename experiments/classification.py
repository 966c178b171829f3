"""Experiment c (issue 4): the adaptive protocol against the usual baselines, at equal label budgets.

    python3 experiments/classification.py            # full: 30 seeds, both datasets
    python3 experiments/classification.py --quick    # smoke run: 2 seeds, small budgets

Task: a multinomial logistic regression on fixed embeddings, trained on the rows a method chose
(labels are what the budget buys), scored by test accuracy.
- Fashion-MNIST: the 60,000 training images are the pool, the 10,000 test images the test set;
  embeddings = the first 64 principal components of the pixels (fitted on the pool).
- TREC coarse question classes (6): all-MiniLM-L6-v2 embeddings, cached on disk;
  a fixed random 1,000 questions are the test set, the other 4,381 the pool (experiments/data.py).

Methods, all spending the same number B of labels:
- uniform: B rows uniformly at random.
- margin, entropy, least_confidence: 20% of B uniformly, train, then the B - 0.2 B rows the model
  is least sure about (coresample.baselines on the model's probabilities over the unlabelled rows).
- k_center: 20% uniformly, then greedy k-center from them (coresample.baselines.k_center_greedy).
- sensitivity: coresample.select_adaptive (20% uniform warm start; the scorer is the warm model's
  cross-entropy, asked for the k representatives and the sampled rows, each a label), k = B / 10
  clusters, lam="auto". Labels spent = the chosen rows plus the representatives not among them;
  the budget passed is B - k so that this stays <= B. Two final models from the same labels:
  "sensitivity_w" trains on the chosen rows with their estimator weights (normalised to mean 1;
  the representatives' labels are not used), "sensitivity" trains on every labelled row
  (chosen rows and representatives) unweighted, as the baselines do.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Dict, List

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import coresample  # noqa: E402
from coresample import baselines  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
METHODS = ["uniform", "margin", "entropy", "least_confidence", "k_center", "sensitivity",
           "sensitivity_w"]
WARM = 0.2


def fmnist():
    from data import load_fashion_mnist

    Xtr, ytr = load_fashion_mnist("train")
    Xte, yte = load_fashion_mnist("test")
    Xtr = Xtr.astype(np.float32) / 255.0
    Xte = Xte.astype(np.float32) / 255.0
    mean = Xtr.mean(axis=0)
    _, _, Vt = np.linalg.svd(Xtr[::6] - mean, full_matrices=False)  # 10k rows give the same axes
    P = Vt[:64].T.astype(np.float32)
    return (np.ascontiguousarray((Xtr - mean) @ P), ytr.astype(np.int64),
            np.ascontiguousarray((Xte - mean) @ P), yte.astype(np.int64))


def trec():
    from data import load_minilm_embeddings, load_trec

    texts, names = load_trec()
    classes = sorted(set(names))
    E = load_minilm_embeddings(texts)
    y = np.array([classes.index(c) for c in names], dtype=np.int64)
    perm = np.random.default_rng(0).permutation(len(y))
    test, pool = perm[:1000], perm[1000:]
    return E[pool], y[pool], E[test], y[test]


def train(E, y, rows, weights=None, n_classes=10):
    from sklearn.linear_model import LogisticRegression

    w = None if weights is None else weights / weights.mean()
    model = LogisticRegression(C=1.0, max_iter=300)
    model.fit(E[rows], y[rows], sample_weight=w)
    return model


def proba_all(model, E, n_classes):
    """Class probabilities with a column for every class (a budget may miss a class)."""
    P = np.full((E.shape[0], n_classes), 1e-12)
    P[:, model.classes_] = model.predict_proba(E)
    return P / P.sum(axis=1, keepdims=True)


def run_one(E, y, Et, yt, B, seed, n_classes) -> Dict[str, float]:
    n = len(y)
    acc: Dict[str, float] = {}
    labels_used: Dict[str, int] = {}

    def score(model):
        return float((model.predict(Et) == yt).mean())

    uni = baselines.uniform(n, B, random_state=seed).indices
    acc["uniform"] = score(train(E, y, uni))
    labels_used["uniform"] = B

    m0 = int(round(WARM * B))
    warm = baselines.uniform(n, m0, random_state=seed + 1_000_000).indices
    warm_model = train(E, y, warm)
    rest = np.setdiff1d(np.arange(n), warm)
    P = proba_all(warm_model, E[rest], n_classes)
    for name, fn in [("margin", baselines.margin), ("entropy", baselines.entropy),
                     ("least_confidence", baselines.least_confidence)]:
        picked = rest[fn(P, B - m0).indices]
        acc[name] = score(train(E, y, np.concatenate([warm, picked])))
        labels_used[name] = B
    kc = baselines.k_center_greedy(E, B - m0, initial=warm, random_state=seed).indices
    acc["k_center"] = score(train(E, y, np.concatenate([warm, kc])))
    labels_used["k_center"] = B

    k = max(5, B // 10)
    reps_seen: List[np.ndarray] = []

    def score_fn(rows, weights):
        model = train(E, y, rows, weights)

        def scorer(query):
            p = proba_all(model, E[query], n_classes)[np.arange(len(query)), y[query]]
            return -np.log(np.maximum(p, 1e-12))
        return scorer

    sel = coresample.select_adaptive(E, B - k, n_clusters=k, score_fn=score_fn, warm_start=WARM,
                                     lam="auto", random_state=seed, max_iter=10)
    for s in sel.selections:
        reps_seen.append(s.representatives)
    labelled = np.union1d(sel.indices, np.concatenate(reps_seen))
    acc["sensitivity"] = score(train(E, y, labelled))
    acc["sensitivity_w"] = score(train(E, y, sel.indices, sel.weights))
    labels_used["sensitivity"] = labels_used["sensitivity_w"] = int(labelled.size)
    return {"acc": acc, "labels": labels_used, "lam": sel.selections[-1].lam}


def summarise(records, budgets):
    out = {}
    for B in budgets:
        for m in METHODS:
            vals = np.array([r["acc"][m] for r in records if r["B"] == B])
            labels = np.array([r["labels"][m] for r in records if r["B"] == B])
            out[(B, m)] = dict(mean=vals.mean(), se=vals.std(ddof=1) / np.sqrt(len(vals)) if len(vals) > 1 else 0.0,
                               n=len(vals), labels=labels.mean())
    return out


def plot(stats, budgets, title, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for m in METHODS:
        mean = [stats[(B, m)]["mean"] for B in budgets]
        ci = [1.96 * stats[(B, m)]["se"] for B in budgets]
        ax.errorbar(budgets, mean, yerr=ci, marker="o", capsize=3, label=m,
                    linestyle="--" if m == "sensitivity_w" else "-")
    ax.set_xscale("log")
    ax.set_xlabel("labels (budget B)")
    ax.set_ylabel("test accuracy (mean, 95% CI over seeds)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def table(stats, budgets) -> str:
    head = "| B | " + " | ".join(METHODS) + " |\n|---|" + "---|" * len(METHODS) + "\n"
    rows = []
    for B in budgets:
        cells = []
        best = max(stats[(B, m)]["mean"] for m in METHODS)
        for m in METHODS:
            s = stats[(B, m)]
            txt = f"{100 * s['mean']:.2f} ± {196 * s['se']:.2f}"
            cells.append(f"**{txt}**" if s["mean"] == best else txt)
        rows.append(f"| {B} | " + " | ".join(cells) + " |")
    return head + "\n".join(rows) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seeds", type=int, default=None)
    ap.add_argument("--datasets", default="fmnist,trec")
    a = ap.parse_args()
    import warnings

    warnings.filterwarnings("ignore")  # sklearn's convergence notes on tiny budgets
    from threadpoolctl import threadpool_limits

    # One BLAS thread: the fits are small, and a threaded BLAS spends its time waking threads.
    threadpool_limits(1)
    seeds = a.seeds or (2 if a.quick else 30)
    plan = {"fmnist": ([100, 300] if a.quick else [100, 300, 1000], fmnist, 10,
                       "Fashion-MNIST (PCA-64), logistic regression"),
            "trec": ([100, 300] if a.quick else [100, 200, 400, 800], trec, 6,
                     "TREC coarse (MiniLM), logistic regression")}
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    os.makedirs(os.path.join(ROOT, "docs", "img"), exist_ok=True)
    report = [f"Command: `python3 experiments/classification.py{' --quick' if a.quick else ''}` "
              f"({seeds} seeds per point; cells: test accuracy % mean ± 95% CI half-width).\n"]
    for name in a.datasets.split(","):
        budgets, loader, n_classes, title = plan[name]
        t0 = time.time()
        E, y, Et, yt = loader()
        records = []
        for B in budgets:
            for s in range(seeds):
                r = run_one(E, y, Et, yt, B, s, n_classes)
                r["B"] = B
                records.append(r)
            print(f"[{name}] B={B} done ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
        stats = summarise(records, budgets)
        suffix = "_quick" if a.quick else ""
        png = os.path.join(ROOT, "docs", "img", f"classification_{name}{suffix}.png")
        plot(stats, budgets, title, png)
        lam = np.median([r["lam"] for r in records])
        labels = {B: stats[(B, "sensitivity")]["labels"] for B in budgets}
        report.append(f"### {title}\n\npool {len(y):,} rows, test {len(yt):,}; wall {time.time() - t0:.0f} s; "
                      f"median lam from lam=\"auto\": {lam:.3g}; labels used by sensitivity (mean): "
                      + ", ".join(f"B={B}: {v:.0f}" for B, v in labels.items()) + "\n\n"
                      + table(stats, budgets) + f"\n![{name}](img/{os.path.basename(png)})\n")
        with open(os.path.join(HERE, "out", f"classification_{name}{suffix}.json"), "w") as f:
            json.dump([{**r, "acc": r["acc"], "labels": r["labels"]} for r in records], f)
    out = os.path.join(HERE, "out", f"classification{'_quick' if a.quick else ''}.md")
    with open(out, "w") as f:
        f.write("\n".join(report))
    print("\n".join(report))


if __name__ == "__main__":
    main()

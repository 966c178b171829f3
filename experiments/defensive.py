"""Issue 14, item 1: choosing the default defensive uniform share a of `select`.

p = a u / U + (1 - a) p_sens. a > 0 makes every row of positive weight drawable (so the estimate
is unbiased for any loss and lambda); a larger a pulls the design toward uniform sampling. This
measures, on Fashion-MNIST (experiments/loss_estimation.py's task: a logistic regression's
out-of-sample cross-entropy on the 60,000 training images, PCA-50 embeddings, and the same with
the class one-hot appended), the RMSE of the mean-loss estimate as a multiple of uniform
sampling's at equal distinct queries Q (k representatives + Q - k sampled rows without
replacement; uniform: Q rows without replacement, its exact RMSE), for each a, lambda in
{0, 1 (select's default), "auto"} and the plain and difference estimators, over `--seeds` seeds (the clustering is
computed once per seed and shared by every a, as select() would compute it for that seed).

Run: python3 experiments/defensive.py [--seeds 200]   (~3 min on 2 cores once the task is cached)
Writes experiments/out/defensive.md.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coresample as cs  # noqa: E402
import loss_estimation as le  # noqa: E402

SHARES = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
QS = (200, 500, 1000, 2000)
K = 100
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out", "defensive.md")


def uniform_rmse(losses: np.ndarray, Q: int) -> float:
    """Exact RMSE of the mean of Q rows drawn uniformly without replacement."""
    n = losses.size
    return float(np.sqrt((1.0 - Q / n) * losses.var(ddof=1) / Q))


def run(E: np.ndarray, losses: np.ndarray, seeds: int) -> dict:
    n = losses.size
    truth = losses.mean()
    err = {}  # (a, lam, estimator, Q) -> list of squared errors
    for seed in range(seeds):
        reps, labels, cost = le.cluster(E, K, seed)
        rep_losses = losses[reps]
        lams = {"0": 0.0, "1": 1.0, "auto": cs.estimate_lam(E[reps], rep_losses, le.Z)}
        for lam_name, lam in lams.items():
            for a in SHARES:
                p = cs.sensitivities(cost, labels, rep_losses, lam, n_clusters=K, defensive=a)
                for Q in QS:
                    s = Q - K
                    if np.count_nonzero(p) < s:
                        continue
                    idx, w = cs.sample(p, s, replace=False, random_state=seed)
                    plain = float(w @ losses[idx]) / n
                    control = rep_losses[labels[idx]]
                    diff = (float(np.bincount(labels, minlength=K) @ rep_losses)
                            + float(w @ (losses[idx] - control))) / n
                    for name, value in (("plain", plain), ("difference", diff)):
                        err.setdefault((a, lam_name, name, Q), []).append((value - truth) ** 2)
    return {key: float(np.sqrt(np.mean(v))) / uniform_rmse(losses, key[3]) for key, v in err.items()}


def table(title: str, res: dict) -> list:
    lines = [f"### {title}", "", "RMSE as a multiple of uniform sampling's at equal distinct "
             "queries (lower is better; 1.00 = uniform).", ""]
    head = "| lambda | estimator | Q | " + " | ".join(f"a = {a:g}" for a in SHARES) + " |"
    lines += [head, "|" + "---|" * (3 + len(SHARES))]
    for lam in ("0", "1", "auto"):
        for est in ("plain", "difference"):
            for Q in QS:
                cells = [f"{res[(a, lam, est, Q)]:.2f}" if (a, lam, est, Q) in res else "-"
                         for a in SHARES]
                lines.append(f"| {lam} | {est} | {Q} | " + " | ".join(cells) + " |")
    worst = {a: max(v for (b, *_), v in res.items() if b == a) for a in SHARES}
    lines += ["", "Worst ratio over the rows: " + ", ".join(f"a = {a:g}: {worst[a]:.2f}"
                                                           for a in SHARES), ""]
    return lines


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=200)
    args = ap.parse_args()
    t0 = time.time()
    task = le.fmnist_task()
    lines = ["# Defensive share: RMSE against uniform on Fashion-MNIST", "",
             f"`python3 experiments/defensive.py --seeds {args.seeds}` (experiments/defensive.py "
             f"says what is measured); k = {K}, sampling without replacement.", ""]
    for emb in ("pca", "pca+label"):
        res = run(task.embs[emb], task.losses, args.seeds)
        lines += table(f"Embedding `{emb}`", res)
        print(f"{emb} done at {time.time() - t0:.0f} s", flush=True)
    lines.append(f"Run time {time.time() - t0:.0f} s on {os.cpu_count()} cores.")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

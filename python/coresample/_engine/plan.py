"""Algorithm 1 as passes over partitions, for any engine (DESIGN.md sections 6 and 9).

The client steps (options, oracle, lambda, estimate, Selection) are `_algorithm.select`'s; the
passes below only replace its whole-array calls by partition kernels (`kernels`) and exact,
order-fixed combiners (`combine`), so the result is the single-machine call's bit for bit for any
partitioning (docs/DISTRIBUTED.md):

(a) the KMeans subsample's row indices (from the shared random stream, no data read), the gather
    of those rows, the fit and the snap on the client (`fit.fit_representatives`);
(b) per partition: assign to the representatives' rows, per-block sums of u * cost and u,
    per-cluster counts (with sample_weight: chained in partition order); then a short pass for
    the per-block sums of the sampling masses m;
(c) per partition: p = m / S and the exponential keys E_e / p_e keyed by the global row index,
    the local budget + 1 smallest; a tree of merges keeps the budget + 1 smallest overall and the
    client computes the weights. With replace=True instead: the partitions' block totals of p
    give the client the core's blocked CDF offsets; each draw goes to the partition owning its
    block (`replace.sample_with_replacement`).
The client holds O(k d + budget + n / 1024) values.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Type

import numpy as np

from .._algorithm.options import SelectOptions
from .._algorithm.select import (
    Backend, Oracle, check_total_cost, representative_losses, summarize,
)
from .._base.progress import reporting
from .._base.results import Selection
from .._base.stream import inverse_inclusion
from .._base.validation import check_cost_scale
from . import kernels as K
from .combine import blocked_total, evaluate_plan, merge_tree, pairwise_plan, plan_requests
from .engine import Engine
from .fit import fit_representatives
from .replace import sample_with_replacement

Arr = np.ndarray


def runner(
    engine_type: Callable[[Any, Any], Engine], cls: Type[Selection]
) -> Callable[..., Selection]:
    """An engine's `select` runner (for `api.bind`): the engine built from X and sample_weight,
    the options resolved against its shape, the plan run with the core backend."""
    from ..core.select import BACKEND  # the layer above: imported when an engine is made

    def run(*, X: Any, sample_weight: Any, progress: Any, **arguments: Any) -> Selection:
        engine = engine_type(X, sample_weight)
        opts = SelectOptions.resolve(engine.n, engine.d, **arguments)
        return run_select(engine, BACKEND, opts, cls, progress)

    return run


def run_select(
    engine: Engine, backend: Backend, opts: SelectOptions, cls: Type[Selection], progress: Any,
) -> Selection:
    """`select` on the engine's partitions; n-length fields stay where they are (lazy)."""
    with reporting(progress, backend.set_progress) as report:
        return _run_select(engine, backend, opts, cls, report or _silent)


def _silent(phase: str, done: int, total: int) -> None:
    pass


def _run_select(
    engine: Engine, backend: Backend, opts: SelectOptions, cls: Type[Selection],
    report: Callable[[str, int, int], None],
) -> Selection:
    n, d, k, z = engine.n, engine.d, opts.n_clusters, opts.z
    weighted = engine.u_parts[0] is not None
    part_nt = 1 if opts.n_threads is None else opts.nt  # engines run partitions in parallel

    # (a) centers and representatives.
    reps, rep_rows, centers = fit_representatives(engine, backend, opts, weighted)

    # (b) assign every partition; its labels and costs stay where they are (persisted).
    report("assign", 0, n)
    reps_h = engine.share(rep_rows)
    parts = engine.persist([
        engine.submit(K.assign_partition, xp, int(engine.edges[i]), reps_h, z, up, n, part_nt,
                      backend.name)
        for i, (xp, up) in enumerate(zip(engine.x_parts, engine.u_parts))
    ])
    summ = engine.fetch([engine.submit(K.assign_summary, p, k) for p in parts])
    report("assign", n, n)
    phi = blocked_total([s["phi_blocks"] for s in summ])
    top = max(s["top"] for s in summ)
    if not weighted:
        U = total_weight = float(n)
        cluster_weights = np.sum([s["counts"] for s in summ], axis=0)  # integers: exact
    else:
        U, total_weight, cluster_weights = _weight_totals(engine, summ, parts, k)
    check_cost_scale(top, n, d, z, None if not weighted else np.array([total_weight]))
    check_total_cost(phi, z, weighted)

    # Oracle on the representatives.
    oracle = None if opts.loss_fn is None else Oracle(opts.loss_fn)
    rep_losses, lam = representative_losses(oracle, reps, rep_rows, opts, report)

    # (b') S = blocked_sum(m), then (c) the sample.
    spec: Dict[str, Any] = {
        "lam": lam, "center_losses": rep_losses, "method": opts.method, "a": lam * phi / U,
        "sizes": cluster_weights, "phi": phi, "U": U, "seed": opts.seed, "budget": opts.budget,
        "backend": backend.name, "defensive": opts.defensive,
    }
    spec_h = engine.share(spec)
    S = blocked_total(engine.fetch([engine.submit(K.mass_blocks, p, spec_h) for p in parts]))
    if not np.isfinite(S):
        raise ValueError(
            "the weighted total of the bound (sum of u * (center loss + lam * cost)) overflows; "
            "scale sample_weight (or lam) down"
        )
    spec_h = engine.share(dict(spec, S=S))
    report("sample", 0, 1)
    if opts.replace:
        indices, weights, labels_s, u_s = sample_with_replacement(
            engine, parts, spec_h, opts.budget, opts.seed
        )
        if u_s is not None:
            weights = weights * u_s
    else:
        indices, weights, labels_s, u_s = _without_replacement(engine, parts, spec_h, opts.budget)
    report("sample", 1, 1)

    return summarize(
        cls, opts, oracle, report, indices=indices, weights=weights, labels_s=labels_s, u_s=u_s,
        rep_losses=rep_losses, lam=lam, cluster_weights=cluster_weights,
        total_weight=total_weight,
        probabilities=engine.vector(parts, K.probabilities, spec_h, np.float64),
        representatives=reps,
        labels=engine.vector(parts, K.field, "labels", np.int64),
        cost=engine.vector(parts, K.field, "cost", np.float64),
        centers=centers, inertia=float(phi),
        sample_weight=None if not weighted else engine.vector(parts, K.field, "u", np.float64),
        sample_labels=labels_s, sample_u=u_s,
    )


def _without_replacement(engine: Engine, parts: List[Any], spec_h: Any, budget: int) -> Any:
    """(indices, weights, labels, u) of the budget smallest keys, in key order (pass (c))."""
    candidates = [engine.submit(K.sample_candidates, p, spec_h) for p in parts]
    top_c = engine.fetch([merge_tree(engine, candidates, budget + 1)])[0]
    positive = top_c["n_positive"]
    if budget > positive:
        raise ValueError(
            f"budget={budget} must be <= the number of rows with positive probability "
            f"({positive}) when replace=False"
        )
    indices = top_c["rows"][:budget].astype(np.int64)
    tau = top_c["keys"][budget] if budget < positive else np.inf
    weights = inverse_inclusion(top_c["p"][:budget], tau)
    u_s = None
    if "u" in top_c:
        u_s = top_c["u"][:budget]
        weights = weights * u_s
    return indices, weights, top_c["labels"][:budget], u_s


def _weight_totals(engine: Engine, summ: Any, parts: List[Any], k: int) -> Any:
    """U = blocked_sum(u), total_weight = u.sum() (NumPy's pairwise order) and the cluster
    weights (np.bincount order: row by row, chained through the partitions in order)."""
    if min(s["u_min"] for s in summ) < 0 or not all(s["u_finite"] for s in summ):
        raise ValueError("sample_weight must be finite and non-negative")
    U = blocked_total([s["u_blocks"] for s in summ])
    if not U > 0:
        raise ValueError("sample_weight must have a positive sum (all weights are zero)")
    edges = engine.edges
    plan = pairwise_plan(0, engine.n, edges)
    asks = plan_requests(plan, edges)
    answers = engine.fetch([
        engine.submit(K.segment_values, engine.u_parts[i], int(edges[i]), segs)
        for i, segs in sorted(asks.items())
    ])
    values: Dict[Any, Any] = {}
    for a in answers:
        values.update(a)
    total_weight = evaluate_plan(plan, values)
    if not np.isfinite(total_weight):
        raise ValueError("sample_weight sums to inf; scale the weights down")
    acc: Any = np.zeros(k)
    for p in parts:
        acc = engine.submit(K.add_cluster_weights, acc, p)
    return U, total_weight, np.asarray(engine.fetch([acc])[0], dtype=np.float64)

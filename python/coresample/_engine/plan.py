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

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Type

import numpy as np

from .._algorithm.options import SelectOptions
from .._algorithm.select import (
    Backend, Oracle, check_total_cost, group_clusters, representative_losses, summarize,
)
from .._algorithm.strata import (
    Strata, allocate, check_allocation, check_group_budget, check_group_sizes,
    cluster_cells, cluster_map_for, design_weights, first_per_stratum, neyman_shares,
    spread_source,
)
from .._base.progress import reporting
from .._base.results import Selection
from .._base.random import STRATIFIED_DRAWS
from .._base.stream import inverse_inclusion, stratified_draw_positions
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
        positive = None
        if isinstance(arguments.get("replace"), str) and engine.u_parts[0] is not None:
            # replace="auto" counts the rows of positive weight, as select does (without the
            # count it took all n rows: distinct rows, then "budget exceeds the rows the strata
            # hold" where select drew with replacement)
            positive = int(sum(engine.fetch([engine.submit(K.positive_count, up)
                                             for up in engine.u_parts])))
        opts = SelectOptions.resolve(engine.n, engine.d, positive_rows=positive, **arguments)
        extras = {name: None if arguments[name] is None
                  else engine.vector_parts(arguments[name], name) for name in ("strata", "proxy")}
        return run_select(engine, BACKEND, opts, cls, progress, extras)

    return run


def run_select(
    engine: Engine, backend: Backend, opts: SelectOptions, cls: Type[Selection], progress: Any,
    extras: Any = None,
) -> Selection:
    """`select` on the engine's partitions; n-length fields stay where they are (lazy).
    extras: the partitions of strata= and proxy= (`Engine.vector_parts`), or None."""
    extras = extras or {"strata": None, "proxy": None}
    with reporting(progress, backend.set_progress) as report:
        return _run_select(engine, backend, opts, cls, report or _silent, extras)


def _silent(phase: str, done: int, total: int) -> None:
    pass


@dataclass
class Clustered:
    """Passes (a) and (b) done: the partition states (persisted), the Selection's clustering
    fields (`fields`, lazy where n-long), Phi and U, and the counts the stratified design needs."""

    parts: List[Any]
    fields: Dict[str, Any]
    rep_rows: Arr
    phi: float
    U: float
    members: Arr
    zeros: int


def cluster_pass(engine: Engine, backend: Backend, opts: SelectOptions,
                 report: Callable[[str, int, int], None]) -> Clustered:
    """(a) the centers and representatives, (b) every partition assigned and summarised."""
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
    fields = dict(
        representatives=reps, centers=centers, inertia=float(phi),
        cluster_weights=cluster_weights, total_weight=total_weight,
        labels=engine.vector(parts, K.field, "labels", np.int64),
        cost=engine.vector(parts, K.field, "cost", np.float64),
        sample_weight=None if not weighted else engine.vector(parts, K.field, "u", np.float64),
    )
    return Clustered(parts=parts, fields=fields, rep_rows=rep_rows, phi=float(phi), U=U,
                     members=np.sum([s["members"] for s in summ], axis=0),
                     zeros=sum(s["zeros"] for s in summ))


def _run_select(
    engine: Engine, backend: Backend, opts: SelectOptions, cls: Type[Selection],
    report: Callable[[str, int, int], None], extras: Dict[str, Any],
) -> Selection:
    clus = cluster_pass(engine, backend, opts, report)
    parts, common, phi, U = clus.parts, clus.fields, clus.phi, clus.U
    cluster_weights = common["cluster_weights"]
    oracle = None if opts.loss_fn is None else Oracle(opts.loss_fn)
    if opts.design == "stratified":
        return _stratified(engine, opts, cls, oracle, report, clus, extras)

    # Oracle on the representatives.
    rep_losses, lam = representative_losses(oracle, common["representatives"], clus.rep_rows,
                                            opts, report)

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
        cls, opts, oracle, report, indices=indices, weights=weights, rep_losses=rep_losses,
        lam=lam, probabilities=engine.vector(parts, K.probabilities, spec_h, np.float64),
        sample_labels=labels_s, sample_u=u_s,
        **_proxy_fields(engine, opts, parts, extras["proxy"], indices), **common,
    )


def _proxy_fields(
    engine: Engine, opts: SelectOptions, parts: List[Any], p_parts: Any, indices: Arr,
) -> Dict[str, Any]:
    """Design "sensitivity" with a proxy the estimate uses (estimator "regression"): the proxy
    (lazy), its blocked total sum_e u_e g_e and its values at the sampled rows."""
    if p_parts is None or opts.estimator != "regression":
        return dict(proxy=None, proxy_total=None, sample_proxy=None)
    states = engine.persist([engine.submit(K.proxy_state, p, g) for p, g in zip(parts, p_parts)])
    total = blocked_total(engine.fetch([engine.submit(K.proxy_blocks, st) for st in states]))
    edges = engine.edges
    where = np.searchsorted(edges, indices, side="right") - 1  # the partition of each draw
    values = np.empty(indices.shape[0])
    asked = np.unique(where)
    for i, got in zip(asked, engine.fetch([
            engine.submit(K.proxy_at, states[i], indices[where == i] - int(edges[i]))
            for i in asked])):
        values[where == i] = got
    return dict(proxy=engine.vector(states, K.field, "proxy", np.float64), proxy_total=total,
                sample_proxy=values)


@dataclass
class EngineStrata:
    """The stratified design's strata on an engine: per-partition states (each row's cell, u,
    proxy; persisted), how cells map to strata (`codes_spec`), the Strata (no codes: they stay
    in the states) and sum_e u_e g_e of the proxy (None without one)."""

    states: List[Any]
    codes_spec: Dict[str, Any]
    strata: Strata
    proxy_total: Optional[float]


def engine_strata(engine: Engine, opts: SelectOptions, clus: Clustered, extras: Dict[str, Any],
                  budget: int, budget_name: str = "budget") -> EngineStrata:
    """`strata.form_strata` on partitions (strata and proxy included).

    A strata state per partition holds each row's cell (its stratum, or with strata= the pair
    group x cluster group, numbered through the sorted cells in use). Rows of zero weight get a
    stratum of their own. Sizes are summed, weighted sums chained through the partitions in order
    (np.bincount's bits)."""
    k = opts.n_clusters
    parts, common = clus.parts, clus.fields
    weighted = common["sample_weight"] is not None
    g_parts, p_parts = extras["strata"], extras["proxy"]
    centers, cw = common["centers"], common["cluster_weights"]
    if g_parts is None:
        cluster_map = cluster_map_for(centers, cw, check_group_budget(1, budget, budget_name),
                                      group_clusters)
        of_cluster, sizes, weights = cluster_cells(cluster_map, clus.members, cw, clus.zeros)
        spec: Dict[str, Any] = dict(values=None, of_cluster=of_cluster, n_strata=sizes.shape[0])
    else:
        found = engine.fetch([engine.submit(K.group_values, g) for g in g_parts])
        values = np.unique(np.concatenate([f["values"] for f in found]))
        counts = np.zeros(values.shape[0], dtype=np.int64)
        for f in found:
            counts[np.searchsorted(values, f["values"])] += f["counts"]
        check_group_sizes(values, counts)
        G = int(values.shape[0])
        cluster_map = cluster_map_for(centers, cw, check_group_budget(G, budget, budget_name),
                                      group_clusters)
        spec = dict(values=values, cluster_map=cluster_map, k=k, G=G)
    states = engine.persist([
        engine.submit(K.strata_state, p, None if g_parts is None else g_parts[i],
                      None if p_parts is None else p_parts[i], engine.share(spec))
        for i, p in enumerate(parts)
    ])
    codes_spec: Dict[str, Any] = dict(used=None, n_strata=spec.get("n_strata"))
    if g_parts is not None:
        used = np.unique(np.concatenate(engine.fetch([engine.submit(K.cells_used, st)
                                                      for st in states])))
        codes_spec = dict(used=used, n_strata=used.shape[0])
        sizes = np.sum(engine.fetch([engine.submit(K.stratum_members, st, codes_spec)
                                     for st in states]), axis=0).astype(np.int64)
        weights = (sizes.astype(np.float64) if not weighted
                   else _chained(engine, states, codes_spec, "u", sizes.shape[0]))
    H = sizes.shape[0]
    check_allocation(opts.allocation)
    shares, q_total = weights, None
    if p_parts is not None:
        q_total = blocked_total(engine.fetch([engine.submit(K.proxy_blocks, st)
                                              for st in states]))
    spread = spread_source(opts.allocation, p_parts is not None)
    if spread is not None:
        n_h = sizes.astype(np.float64)
        spec_q = dict(codes_spec, spread=spread)
        mean = _chained(engine, states, spec_q, "q", H) / n_h
        dev = _chained(engine, states, dict(spec_q, mean=mean), "dev", H)
        shares = neyman_shares(n_h, dev, weights, spread)
    strata = Strata(codes=np.empty(0, np.int64), sizes=sizes, weights=weights, shares=shares)
    return EngineStrata(states, codes_spec, strata, q_total)


def first_rows(engine: Engine, es: EngineStrata, spec_h: Any, allocation: Arr) -> Dict[str, Arr]:
    """Each stratum h's allocation[h] rows of smallest key (spec "allocation"), ordered by
    (stratum, key, row): "rows", "codes" and, where given, "u" and "proxy". Each partition sends
    its own allocation[h] smallest per stratum; the client keeps the smallest of their union."""
    cands = engine.fetch([engine.submit(K.stratified_candidates, st, spec_h)
                          for st in es.states])
    cat = {key: np.concatenate([c[key] for c in cands]) for key in ("rows", "keys", "codes")}
    pick = first_per_stratum(cat["codes"], cat["keys"], cat["rows"], allocation)
    out = {"rows": cat["rows"][pick], "codes": cat["codes"][pick]}
    out.update({name: np.concatenate([c[name] for c in cands])[pick]
                for name in ("u", "proxy") if cands[0][name] is not None})
    return out


def _stratified(
    engine: Engine, opts: SelectOptions, cls: Type[Selection], oracle: Any,
    report: Callable[[str, int, int], None], clus: Clustered, extras: Dict[str, Any],
) -> Selection:
    """The stratified design: `_algorithm.select`'s, on partitions (`engine_strata`). Without
    replacement the draw is `first_rows`; with replacement the client turns each draw's rank
    within its stratum into (partition, local rank) from the partitions' per-stratum counts."""
    budget, seed = opts.budget, opts.seed
    common = clus.fields
    weighted = common["sample_weight"] is not None
    es = engine_strata(engine, opts, clus, extras, budget)
    states, codes_spec, strata, q_total = es.states, es.codes_spec, es.strata, es.proxy_total
    sizes = strata.sizes
    allocation = allocate(strata.shares, strata.max_rows(opts.replace), budget)
    per_row = allocation / (sizes.astype(np.float64) * budget)
    spec_h = engine.share(dict(codes_spec, seed=seed, allocation=allocation, per_row=per_row))
    report("sample", 0, 1)
    if opts.replace:
        counts = np.array(engine.fetch([engine.submit(K.stratum_members, st, spec_h)
                                        for st in states]))
        h, rank = stratified_draw_positions(seed, STRATIFIED_DRAWS, allocation, sizes)
        offsets = np.cumsum(counts, axis=0) - counts  # rows of each stratum before partition i
        where = (rank[None, :] >= offsets[:, h]).sum(axis=0) - 1  # the partition holding it
        answers = engine.fetch([
            engine.submit(K.stratum_rows, states[i], spec_h, {
                "order": np.flatnonzero(where == i), "h": h[where == i],
                "rank": rank[where == i] - offsets[i, h[where == i]]})
            for i in np.unique(where)
        ])
        indices = np.empty(h.shape[0], dtype=np.int64)
        got = {name: np.empty(h.shape[0]) for name in ("u", "proxy")}
        for a in answers:
            indices[a["order"]] = a["rows"]
            for name in got:
                if a[name] is not None:
                    got[name][a["order"]] = a[name]
        codes_s = h
    else:
        got = first_rows(engine, es, spec_h, allocation)
        indices, codes_s = got["rows"], got["codes"]
    u_s = got.get("u") if weighted else None
    report("sample", 1, 1)
    return summarize(
        cls, opts, oracle, report, indices=indices, rep_losses=None, lam=opts.lam,
        weights=design_weights(codes_s, sizes, allocation, u_s),
        probabilities=engine.vector(states, K.design_probabilities, spec_h, np.float64),
        strata=engine.vector(states, K.strata_codes, spec_h, np.int64),
        stratum_sizes=sizes, allocation=allocation,
        sample_u=u_s, sample_strata=codes_s,
        **(dict(proxy=engine.vector(states, K.field, "proxy", np.float64), proxy_total=q_total,
                sample_proxy=got.get("proxy")) if extras["proxy"] is not None
           and opts.estimator == "regression" else {}),
        **common,
    )


def _chained(engine: Engine, states: List[Any], spec: Dict[str, Any], what: str, H: int) -> Arr:
    """A per-stratum sum over all rows, chained through the partitions in order."""
    acc: Any = np.zeros(H)
    for st in states:
        acc = engine.submit(K.add_by_stratum, acc, st, spec, what)
    return np.asarray(engine.fetch([acc])[0], dtype=np.float64)


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

"""coresample.dask.select: Algorithm 1 over the partitions of a dask array, three passes."""
from __future__ import annotations

import operator
from typing import Any, Callable, Dict, List, Optional, Union

import numpy as np

from .._algorithm.select import _query, check_select_options, resolve_auto
from .._base.random import seed_from_random_state
from .._base.validation import (
    check_cost_scale, check_n_clusters, check_n_threads,
)
from .._base.estimate import estimate
from .._base.hoelder import estimate_lam
from ..reference.sampling import inverse_inclusion
from .._engine import kernels as K
from .._engine.combine import (
    blocked_total, evaluate_plan, merge_tree, pairwise_plan, plan_requests,
)
from ._fit import fit_representatives
from ._replace import sample_with_replacement
from ._result import DaskSelection
from ._rows import as_dask_rows, as_dask_weights, offsets_of

Arr = np.ndarray


def select(
    X: Any,
    budget: int,
    *,
    n_clusters: int,
    max_points_per_center: Union[int, str, None] = 48,
    z: float = 2.0,
    lam: Union[float, str] = 1.0,
    loss_fn: Optional[Callable[[Arr], Any]] = None,
    replace: bool = False,
    sample_weight: Any = None,
    method: str = "lightweight",
    estimator: str = "plain",
    init: Any = "auto",
    max_iter: int = 20,
    tol: float = 1e-4,
    random_state: Any = None,
    n_threads: Optional[int] = None,
) -> DaskSelection:
    """`coresample.select(X, budget, ...)` for a dask array of rows.

    Runs on whatever Dask scheduler is active (a `distributed.Client` for a cluster). The result
    is the one `coresample.select` gives for ``X.compute()`` with the same arguments (note the
    defaults: replace=False and max_points_per_center=48 here, True and "auto" there): the same
    indices, weights (bit for bit), representatives, inertia,
    cluster_weights, total_weight and estimate, for any chunking of the rows
    (docs/DISTRIBUTED.md says how). The client holds O(k d + budget + n / 1024) values.

    Three passes over the partitions (DESIGN.md section 6):

    (a) the KMeans subsample's row indices (a pass over row ranges only: the keys come from the
        shared random stream, no data is read), the gather of those k * max_points_per_center rows,
        the fit and the snap on the client with the core (exactly `select`'s code path);
    (b) per partition: assign to the representatives' rows, per-block sums of u * cost and u,
        per-cluster counts (with sample_weight: chained in partition order, see below); then a
        short pass for the per-block sums of the sampling masses m;
    (c) per partition: p = m / S and the exponential keys E_e / p_e keyed by the global row index,
        the local budget + 1 smallest; a tree of merges keeps the budget + 1 smallest overall and
        the client computes the weights. With replace=True instead: the partitions' block totals
        of p give the client the core's blocked CDF offsets; each draw r_i * total goes to the
        partition owning its block, which scans that block's running sum.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features), float16/32/64
        Rows may be chunked any way; chunks are rechunked to boundaries that are multiples of
        1024 rows (the core's reduction block) when they are not already, and to one chunk of
        columns.
    budget, n_clusters, z, lam, loss_fn, method, estimator, init, max_iter, tol, random_state
        As `coresample.select`. loss_fn is called on the client with global row indices.
    max_points_per_center : int, None or "auto", default=48
        As `coresample.select` (whose default is "auto"; pass the same value to both to compare).
        When n_samples <= n_clusters * max_points_per_center (or None), the centers are fitted on
        all rows, which are then gathered to the client: use an int on large data.
    replace : bool, default=False
        As `coresample.select` (whose default is True). False: exponential keys, one pass (c);
        True: inverse-CDF draws, one pass for the block totals of p and one for the draws.
    sample_weight : NumPy or dask array of shape (n_samples,), default=None
    n_threads : int, default=None
        Threads of the core calls: on the client (None: all cores) and inside each partition task
        (None: 1, as Dask runs partitions in parallel). Results are identical for any value.

    Returns
    -------
    DaskSelection
        A `coresample.Selection`; labels, cost, probabilities and sample_weight are lazy dask
        arrays (n-length fields are never gathered to the client), the other fields NumPy.
    """
    import dask

    X = as_dask_rows(X)
    n, d = int(X.shape[0]), int(X.shape[1])
    k = check_n_clusters(n_clusters, n)
    replace = bool(replace)
    budget, z, lam, lam_auto = check_select_options(
        budget, n, replace, z, lam, loss_fn, method, estimator
    )
    nt = check_n_threads(n_threads)
    part_nt = 1 if n_threads is None else nt
    seed = seed_from_random_state(random_state)
    u = as_dask_weights(sample_weight, X)
    edges = offsets_of(X.chunks[0])
    init, max_points_per_center = resolve_auto(init, max_points_per_center, n, k, d)

    # (a) centers and representatives.
    reps, rep_rows, centers = fit_representatives(
        X, u, edges, k, z=z, init=init, max_iter=max_iter, tol=tol,
        max_points_per_center=max_points_per_center, seed=seed, n_threads=n_threads, nt=nt,
    )

    # (b) assign every partition; its labels and costs stay on the workers (persisted).
    x_parts = X.to_delayed().ravel()
    u_parts = [None] * len(x_parts) if u is None else list(u.to_delayed().ravel())
    reps_d = dask.delayed(rep_rows)
    parts = [
        dask.delayed(K.assign_partition, pure=True)(xp, int(edges[i]), reps_d, z, up, n, part_nt)
        for i, (xp, up) in enumerate(zip(x_parts, u_parts))
    ]
    parts = list(dask.persist(*parts))
    summ = dask.compute(*[dask.delayed(K.assign_summary, pure=True)(p, k) for p in parts])
    phi = blocked_total([s["phi_blocks"] for s in summ])
    top = max(s["top"] for s in summ)
    if u is None:
        U = total_weight = float(n)
        cluster_weights = np.sum([s["counts"] for s in summ], axis=0)  # integers: exact
    else:
        U, total_weight, cluster_weights = _weight_totals(summ, parts, u, edges, k)
    check_cost_scale(top, n, d, z, None if u is None else np.array([total_weight]))
    if not np.isfinite(phi):
        raise ValueError(
            f"X's costs (distance^z, z={z:g}) overflow double when summed"
            + (" with sample_weight" if u is not None else "") + "; scale X down or use a smaller z"
        )

    # Oracle on the representatives.
    known: Dict[int, float] = {}
    rep_losses = None
    if loss_fn is not None:
        distinct = np.unique(reps)
        known.update(zip(distinct.tolist(), _query(loss_fn, distinct).tolist()))
        rep_losses = np.array([known[r] for r in reps.tolist()])
        if lam_auto:
            lam = estimate_lam(rep_rows, rep_losses, z)

    # (b') S = blocked_sum(m), then (c) keys and the local top-(budget + 1) of every partition.
    spec: Dict[str, Any] = {
        "lam": lam, "center_losses": rep_losses, "method": method, "a": lam * phi / U,
        "sizes": cluster_weights, "phi": phi, "U": U, "seed": seed, "budget": budget,
    }
    spec_d = dask.delayed(spec)
    S = blocked_total(dask.compute(*[dask.delayed(K.mass_blocks, pure=True)(p, spec_d) for p in parts]))
    if not np.isfinite(S):
        raise ValueError(
            "the weighted total of the bound (sum of u * (center loss + lam * cost)) overflows; "
            "scale sample_weight (or lam) down"
        )
    spec = dict(spec, S=S)
    spec_d = dask.delayed(spec)
    if replace:
        indices, weights, labels_s, u_s = sample_with_replacement(parts, spec_d, edges, budget, seed)
        if u_s is not None:
            weights = weights * u_s
    else:
        indices, weights, labels_s, u_s = _without_replacement(parts, spec_d, budget)

    # Oracle on the sampled rows not queried yet, then the estimate.
    losses = est = None
    if loss_fn is not None:
        fresh = np.setdiff1d(np.unique(indices), np.fromiter(known, dtype=np.int64, count=len(known)))
        if fresh.size:
            known.update(zip(fresh.tolist(), _query(loss_fn, fresh).tolist()))
        losses = np.array([known[i] for i in indices.tolist()])
        control = control_total = None
        if estimator == "difference" and rep_losses is not None:
            control = rep_losses[labels_s]
            control_total = float(cluster_weights @ rep_losses)
        est = estimate(
            losses, weights, total_weight, replace=replace, sample_weight=u_s,
            control=control, control_total=control_total or 0.0,
        )

    sizes = tuple(int(c) for c in X.chunks[0])
    return DaskSelection(
        indices=indices,
        weights=weights,
        probabilities=_lazy(parts, sizes, np.float64, K.probabilities, spec_d),
        representatives=reps,
        labels=_lazy(parts, sizes, np.int64, operator.getitem, "labels"),
        cost=_lazy(parts, sizes, np.float64, operator.getitem, "cost"),
        centers=centers,
        inertia=float(phi),
        cluster_weights=cluster_weights,
        total_weight=float(total_weight),
        replace=replace,
        sample_weight=u,
        losses=losses,
        representative_losses=rep_losses,
        estimate=None if est is None else est.mean,
        stderr=None if est is None else est.stderr,
        ci=None if est is None else est.ci,
        n_queries=len(known),
        lam=float(lam),
        sample_labels=labels_s,
        sample_u=u_s,
    )


def _without_replacement(parts: List[Any], spec_d: Any, budget: int) -> Any:
    """(indices, weights, labels, u) of the budget smallest keys, in key order (pass (c))."""
    import dask

    top_c = merge_tree(
        [dask.delayed(K.sample_candidates, pure=True)(p, spec_d) for p in parts], budget + 1
    ).compute()
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


def _weight_totals(summ: Any, parts: List[Any], u: Any, edges: Arr, k: int) -> Any:
    """U = blocked_sum(u), total_weight = u.sum() (NumPy's pairwise order) and the cluster
    weights (np.bincount order: row by row, chained through the partitions in order)."""
    import dask

    if min(s["u_min"] for s in summ) < 0 or not all(s["u_finite"] for s in summ):
        raise ValueError("sample_weight must be finite and non-negative")
    U = blocked_total([s["u_blocks"] for s in summ])
    if not U > 0:
        raise ValueError("sample_weight must have a positive sum (all weights are zero)")
    n = int(edges[-1])
    plan = pairwise_plan(0, n, edges)
    asks = plan_requests(plan, edges)
    u_parts = u.to_delayed().ravel()
    answers = dask.compute(*[
        dask.delayed(K.segment_values, pure=True)(u_parts[i], int(edges[i]), segs)
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
        acc = dask.delayed(K.add_cluster_weights, pure=True)(acc, p)
    return U, total_weight, np.asarray(acc.compute(), dtype=np.float64)


def _lazy(parts: List[Any], sizes: Any, dtype: Any, fn: Callable, arg: Any) -> Any:
    """A dask vector of fn(part, arg) over the persisted partitions."""
    import dask
    import dask.array as da

    pieces = [
        da.from_delayed(dask.delayed(fn, pure=True)(p, arg), shape=(s,), dtype=dtype)
        for p, s in zip(parts, sizes)
    ]
    return da.concatenate(pieces)

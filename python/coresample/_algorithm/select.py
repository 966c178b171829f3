"""Algorithm 1 (docs/ARCHITECTURE.md; DESIGN.md section 1), written once for every backend.

The core and the reference differ only in the numeric steps they plug in (`Backend`); the engines
(`coresample._engine`) run the same client steps (`Oracle`, `loss_estimate`, `summarize`)
around their distributed passes. So the orchestration (oracle calls, query counting, lambda,
weights, the estimate, the Selection) cannot drift apart between paths.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, Optional, Tuple, Type

import numpy as np

from .._base.blocks import blocked_sum
from .._base.estimate import Estimate
from .._base.hoelder import estimate_lam
from .._base.progress import reporting
from .._base.results import Selection
from .._base.source import RowSource, check_input, check_rows, take_rows
from .._base.validation import (
    check_cost_scale, check_losses, check_sample_size, check_sample_weight,
)
from .options import SelectOptions
from .strata import (
    allocate, check_proxy, check_strata, design_probabilities, design_weights, form_strata,
    proxy_total,
)

Arr = np.ndarray
Report = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Backend:
    """The numeric steps of Algorithm 1, on validated input."""

    name: str  # "core" or "reference": how the engines' partition kernels find this backend
    kmeans: Type[Any]
    assign: Callable[[Arr, Arr, float, Optional[Arr], int], Tuple[Arr, Arr, float]]
    snap: Callable[[Arr, Arr, Arr, int], Arr]
    sensitivities: Callable[..., Arr]
    sample: Callable[[Arr, int, int, bool, int], Tuple[Arr, Arr]]
    # The stratified design's draws: (strata codes, allocation, seed, replace) -> rows.
    stratified: Callable[[Arr, Arr, int, bool], Arr]
    # Routes the C++ loops' progress reports to a callback (None: the reference has no C++ loops).
    set_progress: Optional[Callable[[Any], None]] = None


# --- client steps shared by every path ---------------------------------------------------------


class Oracle:
    """loss_fn, asked about each distinct row at most once; `n_queries` counts the rows asked."""

    def __init__(self, loss_fn: Callable[[Arr], Any]) -> None:
        self.loss_fn = loss_fn
        self.known: Dict[int, float] = {}

    @property
    def n_queries(self) -> int:
        return len(self.known)

    def losses(self, rows: Arr) -> Arr:
        """The losses of `rows` (repeats allowed), querying only rows not asked before."""
        fresh = np.setdiff1d(
            np.unique(rows), np.fromiter(self.known, dtype=np.int64, count=len(self.known))
        )
        if fresh.size:
            answer = check_losses(self.loss_fn(fresh), fresh.shape[0], "loss_fn")
            self.known.update(zip(fresh.tolist(), answer.tolist()))
        return np.array([self.known[r] for r in rows.tolist()], dtype=np.float64)


def representative_losses(
    oracle: Optional[Oracle], reps: Arr, rep_rows: Arr, opts: SelectOptions, report: Report,
) -> Tuple[Optional[Arr], float]:
    """Step 3: the representatives' losses (None without an oracle) and the lambda to use
    (estimated from them, with no extra query, when lam="auto")."""
    if oracle is None:
        return None, opts.lam
    report("oracle", 0, 2)  # 1: the representatives, 2: the sampled rows
    rep_losses = oracle.losses(reps)
    report("oracle", 1, 2)
    lam = estimate_lam(rep_rows, rep_losses, opts.z) if opts.lam_auto else opts.lam
    return rep_losses, lam


def loss_estimate(
    sel: Selection, opts: SelectOptions, losses: Arr, rep_losses: Optional[Arr],
) -> Estimate:
    """Step 5's estimate of the mean loss: the selection's own estimator (`estimate_from`: the
    design's, with the proxy when given) or the difference estimator; overflow named by
    argument."""
    try:
        return sel.estimate_from(
            losses, representative_losses=rep_losses if opts.estimator == "difference" else None,
            poststratify=opts.estimator == "poststratified",
        )
    except ValueError as exc:  # overflow: name the arguments behind the internal ones
        raise ValueError(
            f"the loss estimate overflows double (losses from loss_fn up to "
            f"{float(losses.max()):.3g}, weights up to {float(sel.weights.max()):.3g}); scale "
            "loss_fn's losses" + (" or sample_weight" if sel.sample_weight is not None else "")
            + " down"
        ) from exc


def check_total_cost(phi: float, z: float, weighted: bool) -> None:
    """Phi must be finite (arrays are checked up front by check_cost_scale; blocks here)."""
    if not np.isfinite(phi):
        raise ValueError(
            f"X's costs (distance^z, z={z:g}) overflow double when summed"
            + (" with sample_weight" if weighted else "") + "; scale X down or use a smaller z"
        )


def summarize(
    cls: Type[Selection], opts: SelectOptions, oracle: Optional[Oracle], report: Report, *,
    indices: Arr, weights: Arr, rep_losses: Optional[Arr], lam: float, cluster_weights: Arr,
    total_weight: float, **fields: Any,
) -> Selection:
    """Steps 5-6: the sampled rows' losses, the estimate and the Selection (of type `cls`)."""
    sel = cls(
        indices=indices, weights=weights, cluster_weights=cluster_weights,
        total_weight=float(total_weight), replace=opts.replace,
        representative_losses=rep_losses, n_queries=0 if oracle is None else oracle.n_queries,
        lam=float(lam), design=opts.design, **fields,
    )
    if oracle is None:
        return sel
    last = 2 if opts.design == "sensitivity" else 1  # the representatives were call 1 of 2
    if last == 1:
        report("oracle", 0, 1)
    losses = oracle.losses(indices)
    report("oracle", last, last)
    est = loss_estimate(sel, opts, losses, rep_losses)
    return replace(
        sel, losses=losses, estimate=est.mean, stderr=est.stderr, ci=est.ci,
        n_queries=oracle.n_queries,
    )


# --- the single-machine plan: in-memory arrays and RowSources (out of core) ---------------------


def assign_all(
    backend: Backend, X: Any, centers: Arr, z: float, u: Optional[Arr], nt: int,
    report: Report,
) -> Tuple[Arr, Arr, float]:
    """labels, cost and the weighted total cost of every row of X (an array or a RowSource).

    A RowSource is read block by block; its blocks start at multiples of the core's reduction
    block, so labels, costs and the blocked total are the bits of one call on the whole array.
    A source is not scanned up front, so its magnitude is checked here, block by block with the
    running max |value| before each block's costs are computed: `check_cost_scale` refuses
    exactly what it refuses for the in-memory array before the fit, whatever the clustering (the
    total of the costs depends on the representatives, which the core and the reference may
    break ties for differently).
    """
    n = X.shape[0]
    report("assign", 0, n)
    if not isinstance(X, RowSource):
        out = backend.assign(X, centers, z, u, nt)
        report("assign", n, n)
        return out
    labels = np.empty(n, dtype=np.int64)
    cost = np.empty(n, dtype=np.float64)
    top = 0.0
    mass = None if u is None else np.array([u.sum()])  # all check_cost_scale reads of u
    for start, block in X.blocks():
        stop = start + block.shape[0]
        top = max(top, check_rows(block, X, start))
        check_cost_scale(top, n, X.shape[1], z, mass, X.name)
        lb, cb, _ = backend.assign(block, centers, z, None if u is None else u[start:stop], nt)
        labels[start:stop] = lb
        cost[start:stop] = cb
        report("assign", stop, n)
    return labels, cost, blocked_sum(cost if u is None else u * cost)


def run_select(backend: Backend, *, X: Any, progress: Any, **arguments: Any) -> Selection:
    """Algorithm 1 with `select`'s bound arguments (`options.select`), reporting to `progress`."""
    with reporting(progress, backend.set_progress) as report:
        return _run_select(backend, X, arguments, report or _silent)


def _silent(phase: str, done: int, total: int) -> None:
    pass


def _run_select(
    backend: Backend, X: Any, arguments: Dict[str, Any], report: Report,
) -> Selection:
    X, top = check_input(X)
    n, d = X.shape
    opts = SelectOptions.resolve(n, d, **arguments)
    u = check_sample_weight(arguments["sample_weight"], n)
    groups = check_strata(arguments["strata"], n)
    proxy = check_proxy(arguments["proxy"], n)
    if top is not None:
        check_cost_scale(top, n, d, opts.z, u)
    clus = cluster_rows(backend, X, opts, u, report)
    oracle = None if opts.loss_fn is None else Oracle(opts.loss_fn)
    control = proxy if opts.estimator == "regression" else None  # the estimate's proxy
    common = dict(
        representatives=clus.reps, labels=clus.labels, cost=clus.cost, centers=clus.centers,
        inertia=clus.phi, sample_weight=u, cluster_weights=clus.cluster_weights,
        total_weight=clus.total_weight, proxy=control, proxy_total=proxy_total(control, u),
    )
    if opts.design == "stratified":
        strata = form_strata(
            clus.labels, clus.centers, clus.cluster_weights, groups, proxy, u, opts.budget,
            opts.allocation, group_clusters, cost=clus.cost,
        )
        allocation = allocate(strata.shares, strata.max_rows(opts.replace), opts.budget)
        report("sample", 0, 1)
        indices = backend.stratified(strata.codes, allocation, opts.seed, opts.replace)
        report("sample", 1, 1)
        return summarize(
            Selection, opts, oracle, report, indices=indices, rep_losses=None, lam=opts.lam,
            weights=design_weights(strata.codes[indices], strata.sizes, allocation,
                                   None if u is None else u[indices]),
            probabilities=design_probabilities(strata, allocation, opts.budget),
            strata=strata.codes, stratum_sizes=strata.sizes, allocation=allocation, **common,
        )

    # 3. One oracle query per distinct representative.
    rep_losses, lam = representative_losses(oracle, clus.reps, clus.rep_rows, opts, report)

    # 4. Sensitivities and the sample.
    p = backend.sensitivities(
        clus.cost, clus.labels, rep_losses, lam, u, method=opts.method,
        n_clusters=opts.n_clusters, defensive=opts.defensive,
    )
    check_sample_size(opts.budget, p, opts.replace, "budget")  # replace=False: rows with p > 0
    report("sample", 0, 1)
    indices, weights = backend.sample(p, opts.budget, opts.seed, opts.replace, opts.nt)
    report("sample", 1, 1)
    if u is not None:
        weights = weights * u[indices]

    # 5. Losses of the sampled rows not queried yet, then the estimate.
    return summarize(
        Selection, opts, oracle, report, indices=indices, weights=weights,
        rep_losses=rep_losses, lam=lam, probabilities=p, **common,
    )


@dataclass(frozen=True)
class Clustering:
    """Steps 1-2's results: centers, representatives (indices and rows), every row's label and
    cost, Phi, the clusters' and the dataset's sample weight."""

    centers: Arr
    reps: Arr
    rep_rows: Arr
    labels: Arr
    cost: Arr
    phi: float
    cluster_weights: Arr
    total_weight: float


def cluster_rows(
    backend: Backend, X: Any, opts: SelectOptions, u: Optional[Arr], report: Report,
) -> Clustering:
    """1. Cluster, 2. snap centers to real rows and measure costs to those rows (X validated).

    With max_points_per_center, the centers are fitted on a uniform subsample and snapped to
    the nearest subsample member; then one exact pass over all rows measures the costs to the
    representatives (KMeans alone would add a second full pass for its own labels_)."""
    n = X.shape[0]
    if isinstance(X, RowSource) and not opts.fits_on_subsample(n):
        # A full-data fit reads every row many times: materialise the rows once (in memory for
        # in-memory input, else in a temporary file), then it is the in-memory path exactly.
        source, tops = X, [0.0]
        X = source.materialize(lambda block, start: tops.append(check_rows(block, source, start)))
        check_cost_scale(max(tops), n, X.shape[1], opts.z, u, source.name)  # as for an array
    km = backend.kmeans(opts.n_clusters, **opts.kmeans_params())
    fit = km.fit_centers(X, u)
    reps = backend.snap(fit.X_fit, km.cluster_centers_, fit.labels, opts.nt)
    if fit.rows is not None:
        reps = fit.rows[reps]
    rep_rows = take_rows(X, reps)
    labels, cost, phi = assign_all(backend, X, rep_rows, opts.z, u, opts.nt, report)
    check_total_cost(phi, opts.z, u is not None)
    return Clustering(
        centers=km.cluster_centers_, reps=reps, rep_rows=rep_rows, labels=labels, cost=cost,
        phi=float(phi),
        cluster_weights=np.bincount(labels, weights=u, minlength=opts.n_clusters).astype(
            np.float64),
        total_weight=float(n if u is None else u.sum()),
    )


def group_clusters(centers: Arr, weights: Arr, m: int) -> Arr:
    """The k clusters in m groups: a weighted k-means of the centers (sizes as weights) in
    float64 NumPy, seeded by farthest-first traversal from the heaviest cluster. Deterministic
    and the same code for every backend, so the strata do not depend on the backend."""
    C = np.asarray(centers, dtype=np.float64)
    chosen = [int(np.argmax(weights))]
    d2 = ((C - C[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, m):
        chosen.append(int(np.argmax(d2)))  # ties: the lowest index
        d2 = np.minimum(d2, ((C - C[chosen[-1]]) ** 2).sum(axis=1))
    G = C[chosen]
    for _ in range(10):
        labels = _nearest(C, G)
        mass = np.bincount(labels, weights, minlength=m)
        for j in np.flatnonzero(mass > 0):
            G[j] = weights[labels == j] @ C[labels == j] / mass[j]
    return _nearest(C, G)


def _nearest(C: Arr, G: Arr) -> Arr:
    """Index of the nearest row of G for each row of C, 1024 rows at a time (O(1024 m) memory)."""
    g2 = (G**2).sum(axis=1)
    return np.concatenate([
        np.argmin(g2[None, :] - 2.0 * C[lo:lo + 1024] @ G.T, axis=1)
        for lo in range(0, C.shape[0], 1024)
    ])

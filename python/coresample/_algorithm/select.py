"""Algorithm 1 (docs/ARCHITECTURE.md; DESIGN.md section 1), written once for every backend.

The core and the reference differ only in the numeric steps they plug in (`Backend`); the engines
(`coresample._engine`) run the same client steps (`Oracle`, `loss_estimate`, `summarize`)
around their distributed passes. So the orchestration (oracle calls, query counting, lambda,
weights, the estimate, the Selection) cannot drift apart between paths.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple, Type

import numpy as np

from .._base.blocks import blocked_sum
from .._base.estimate import Estimate, estimate
from .._base.hoelder import estimate_lam
from .._base.progress import reporting
from .._base.results import Selection
from .._base.source import RowSource, check_input, check_rows, take_rows
from .._base.validation import (
    check_cost_scale, check_losses, check_sample_size, check_sample_weight,
)
from .options import SelectOptions

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
    opts: SelectOptions, losses: Arr, weights: Arr, total_weight: float, u_s: Optional[Arr],
    rep_losses: Optional[Arr], labels_s: Arr, cluster_weights: Arr,
) -> Estimate:
    """Step 5's estimate of the mean loss (plain or difference), overflow named by argument."""
    control = control_total = None
    if opts.estimator == "difference":
        control = rep_losses[labels_s]
        control_total = float(cluster_weights @ rep_losses)
    try:
        return estimate(
            losses, weights, total_weight, replace=opts.replace, sample_weight=u_s,
            control=control, control_total=control_total or 0.0,
        )
    except ValueError as exc:  # overflow: name the arguments behind the internal ones
        raise ValueError(
            f"the loss estimate overflows double (losses from loss_fn up to "
            f"{float(losses.max()):.3g}, weights up to {float(weights.max()):.3g}); scale "
            "loss_fn's losses" + (" or sample_weight" if u_s is not None else "") + " down"
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
    indices: Arr,
    weights: Arr, labels_s: Arr, u_s: Optional[Arr], rep_losses: Optional[Arr], lam: float,
    cluster_weights: Arr, total_weight: float, **fields: Any,
) -> Selection:
    """Steps 5-6: the sampled rows' losses, the estimate and the Selection (of type `cls`)."""
    losses = est = None
    if oracle is not None:
        losses = oracle.losses(indices)
        report("oracle", 2, 2)
        est = loss_estimate(
            opts, losses, weights, total_weight, u_s, rep_losses, labels_s, cluster_weights
        )
    return cls(
        indices=indices,
        weights=weights,
        cluster_weights=cluster_weights,
        total_weight=float(total_weight),
        replace=opts.replace,
        losses=losses,
        representative_losses=rep_losses,
        estimate=None if est is None else est.mean,
        stderr=None if est is None else est.stderr,
        ci=None if est is None else est.ci,
        n_queries=0 if oracle is None else oracle.n_queries,
        lam=float(lam),
        **fields,
    )


# --- the single-machine plan: in-memory arrays and RowSources (out of core) ---------------------


def assign_all(
    backend: Backend, X: Any, centers: Arr, z: float, u: Optional[Arr], nt: int,
    report: Report,
) -> Tuple[Arr, Arr, float]:
    """labels, cost and the weighted total cost of every row of X (an array or a RowSource).

    A RowSource is read block by block; its blocks start at multiples of the core's reduction
    block, so labels, costs and the blocked total are the bits of one call on the whole array.
    """
    n = X.shape[0]
    report("assign", 0, n)
    if not isinstance(X, RowSource):
        out = backend.assign(X, centers, z, u, nt)
        report("assign", n, n)
        return out
    labels = np.empty(n, dtype=np.int64)
    cost = np.empty(n, dtype=np.float64)
    for start, block in X.blocks():
        stop = start + block.shape[0]
        check_rows(block, X, start)
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
    if top is not None:
        check_cost_scale(top, n, d, opts.z, u)
    k, z, nt = opts.n_clusters, opts.z, opts.nt

    # 1. Cluster, 2. snap centers to real rows and measure costs to those rows.
    # With max_points_per_center, the centers are fitted on a uniform subsample and snapped to
    # the nearest subsample member; then one exact pass over all rows measures the costs to the
    # representatives (KMeans alone would add a second full pass for its own labels_).
    if isinstance(X, RowSource) and not opts.fits_on_subsample(n):
        # A full-data fit reads every row many times: materialise the rows once (in memory for
        # in-memory input, else in a temporary file), then it is the in-memory path exactly.
        source = X
        X = source.materialize(lambda block, start: check_rows(block, source, start))
    km = backend.kmeans(k, **opts.kmeans_params())
    fit = km.fit_centers(X, u)  # X is validated once, above
    reps = backend.snap(fit.X_fit, km.cluster_centers_, fit.labels, nt)
    if fit.rows is not None:
        reps = fit.rows[reps]
    rep_rows = take_rows(X, reps)
    labels, cost, phi = assign_all(backend, X, rep_rows, z, u, nt, report)
    check_total_cost(phi, z, u is not None)
    cluster_weights = np.bincount(labels, weights=u, minlength=k).astype(np.float64)
    total_weight = float(n if u is None else u.sum())

    # 3. One oracle query per distinct representative.
    oracle = None if opts.loss_fn is None else Oracle(opts.loss_fn)
    rep_losses, lam = representative_losses(oracle, reps, rep_rows, opts, report)

    # 4. Sensitivities and the sample.
    p = backend.sensitivities(
        cost, labels, rep_losses, lam, u, method=opts.method, n_clusters=k,
        defensive=opts.defensive,
    )
    check_sample_size(opts.budget, p, opts.replace, "budget")  # replace=False: rows with p > 0
    report("sample", 0, 1)
    indices, weights = backend.sample(p, opts.budget, opts.seed, opts.replace, nt)
    report("sample", 1, 1)
    u_s = None if u is None else u[indices]
    if u_s is not None:
        weights = weights * u_s

    # 5. Losses of the sampled rows not queried yet, then the estimate.
    return summarize(
        Selection, opts, oracle, report, indices=indices, weights=weights, labels_s=labels[indices],
        u_s=u_s, rep_losses=rep_losses, lam=lam, cluster_weights=cluster_weights,
        total_weight=total_weight, probabilities=p, representatives=reps, labels=labels,
        cost=cost, centers=km.cluster_centers_, inertia=float(phi), sample_weight=u,
    )


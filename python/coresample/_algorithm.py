"""Algorithm 1 (docs/ARCHITECTURE.md; DESIGN.md section 1), written once for both backends.

`select` in the core and in the reference differ only in the numeric steps they plug in here,
so the orchestration (oracle calls, query counting, weights, estimate) cannot drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple, Type

import numpy as np

from ._progress import reporting
from ._random import seed_from_random_state
from ._results import Selection
from ._source import RowSource, as_source, check_rows, take_rows
from ._validation import (
    check_array_top, check_choice, check_cost_scale, check_float, check_int, check_losses,
    check_n_clusters, check_n_threads, check_sample_size, check_sample_weight, check_z, max_draws,
)
from ._sensitivity_args import METHODS
from .estimate import estimate
from .hoelder import estimate_lam

ESTIMATORS = ("plain", "difference")
Arr = np.ndarray


@dataclass(frozen=True)
class Backend:
    """The numeric steps of Algorithm 1, on validated input."""

    kmeans: Type[Any]
    assign: Callable[[Arr, Arr, float, Optional[Arr], int], Tuple[Arr, Arr, float]]
    snap: Callable[[Arr, Arr, Arr, int], Arr]
    sensitivities: Callable[..., Arr]
    sample: Callable[[Arr, int, int, bool, int], Tuple[Arr, Arr]]
    # Routes the C++ loops' progress reports to a callback (None: the reference has no C++ loops).
    set_progress: Optional[Callable[[Any], None]] = None


# select()'s "auto" clustering: above AUTO_LARGE_WORK = n * k * d (a full-data fit of 20 Lloyd
# iterations is then tens of seconds on 2 cores) the centers are fitted on AUTO_POINTS_PER_CENTER
# rows per center, seeded with k-means||; below it, on all rows with exact k-means++. Measured
# under issue 3 (bench/RESULTS.md, target C): on 1M x 256, k = 1000 this setting costs 2.8x one
# X @ C.T end to end, at a clustering cost 1.04x a full-data k-means.
AUTO_LARGE_WORK = 1e10
AUTO_POINTS_PER_CENTER = 48


def resolve_auto(init: Any, max_points_per_center: Any, n: int, k: int, d: int) -> Tuple[Any, Any]:
    """select()'s init and max_points_per_center with "auto" replaced (see AUTO_LARGE_WORK)."""
    large = float(n) * k * d > AUTO_LARGE_WORK and n > 2 * AUTO_POINTS_PER_CENTER * k
    if isinstance(init, str):
        if init not in ("auto", "k-means++", "k-means||"):
            raise ValueError(
                f"init={init!r} must be 'auto', 'k-means++', 'k-means||' or an array of centers"
            )
        if init == "auto":
            init = "k-means||" if large else "k-means++"
    if isinstance(max_points_per_center, str):
        if max_points_per_center != "auto":
            raise ValueError(
                f"max_points_per_center must be an int, None or 'auto', got {max_points_per_center!r}"
            )
        max_points_per_center = AUTO_POINTS_PER_CENTER if large else None
    return init, max_points_per_center


def check_input(X: Any, name: str = "X") -> Tuple[Any, Optional[float]]:
    """X for select and its max |value|: a C-contiguous float32/float64 array (memmaps used in
    place), or a RowSource for Shards, float16 and strided arrays, which are read in row blocks
    (its magnitude is checked block by block; None here)."""
    source = as_source(X, name)
    return check_array_top(X, name) if source is None else (source, None)


def check_select_options(
    budget: Any, n: int, replace: bool, z: Any, lam: Any, loss_fn: Any, method: Any,
    estimator: Any,
) -> Tuple[int, float, float, bool]:
    """select's scalar options, validated: (budget, z, lam, lam_auto); lam is 1.0 when "auto"
    (replaced by the estimate once the representatives' losses are known)."""
    budget = check_int(budget, "budget", 1, max_draws(replace, n))
    z = check_z(z)
    lam_auto = isinstance(lam, str)
    if lam_auto and lam != "auto":
        raise ValueError(f"lam must be a number >= 0 or 'auto', got {lam!r}")
    lam = 1.0 if lam_auto else check_float(lam, "lam", 0.0)
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable or None, got {type(loss_fn).__name__}")
    check_choice(method, "method", METHODS)
    check_choice(estimator, "estimator", ESTIMATORS)
    if estimator == "difference" and loss_fn is None:
        raise ValueError("estimator='difference' needs a loss_fn")
    return budget, z, lam, lam_auto


def fits_on_subsample(max_points_per_center: Any, n: int, k: int) -> bool:
    """Whether KMeans fits on a subsample (`max_points_per_center` resolved, not "auto")."""
    return max_points_per_center is not None and n > k * max_points_per_center


def assign_all(
    backend: Backend, X: Any, centers: Arr, z: float, u: Optional[Arr], nt: int,
    report: Callable[[str, int, int], None],
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
    from .reference._blocks import blocked_sum  # here: the reference imports this module

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


def _query(loss_fn: Callable[[Arr], Any], rows: Arr) -> Arr:
    return check_losses(loss_fn(rows), rows.shape[0], "loss_fn")


def run_select(backend: Backend, X: Any, budget: Any, *, progress: Any = None, **kwargs: Any) -> Selection:
    """Algorithm 1 with `select`'s arguments (see `_run_select`), reporting to `progress`."""
    with reporting(progress, backend.set_progress) as report:
        return _run_select(backend, X, budget, report=report or _silent, **kwargs)


def _silent(phase: str, done: int, total: int) -> None:
    pass


def _run_select(
    backend: Backend,
    X: Any,
    budget: Any,
    *,
    n_clusters: Any,
    z: Any,
    lam: Any,
    loss_fn: Optional[Callable[[Arr], Any]],
    replace: bool,
    sample_weight: Any,
    method: str,
    estimator: str,
    init: Any,
    max_iter: Any,
    tol: Any,
    max_points_per_center: Any,
    random_state: Any,
    n_threads: Any,
    report: Callable[[str, int, int], None],
) -> Selection:
    X, top = check_input(X)
    n = X.shape[0]
    k = check_n_clusters(n_clusters, n)
    budget, z, lam, lam_auto = check_select_options(
        budget, n, replace, z, lam, loss_fn, method, estimator
    )
    u = check_sample_weight(sample_weight, n)
    if top is not None:
        check_cost_scale(top, n, X.shape[1], z, u)
    nt = check_n_threads(n_threads)
    seed = seed_from_random_state(random_state)

    # 1. Cluster, 2. snap centers to real rows and measure costs to those rows.
    # With max_points_per_center, the centers are fitted on a uniform subsample and snapped to
    # the nearest subsample member; then one exact pass over all rows measures the costs to the
    # representatives (KMeans alone would add a second full pass for its own labels_).
    init, max_points_per_center = resolve_auto(init, max_points_per_center, n, k, X.shape[1])
    if isinstance(X, RowSource) and not fits_on_subsample(max_points_per_center, n, k):
        # A full-data fit reads every row many times: materialise the rows once (in memory for
        # in-memory input, else in a temporary file), then it is the in-memory path exactly.
        source = X
        X = source.materialize(lambda block, start: check_rows(block, source, start))
    km = backend.kmeans(
        k, z=z, init=init, max_iter=max_iter, tol=tol,
        max_points_per_center=max_points_per_center, random_state=seed, n_threads=n_threads,
    )
    rows, X_fit, fit_labels, _, _, _ = km._fit_centers(X, u)  # X is validated once, above
    reps = backend.snap(X_fit, km.cluster_centers_, fit_labels, nt)
    if rows is not None:
        reps = rows[reps]
    rep_rows = take_rows(X, reps)
    labels, cost, phi = assign_all(backend, X, rep_rows, z, u, nt, report)
    if not np.isfinite(phi):  # arrays were checked up front (check_cost_scale); sources here
        raise ValueError(
            f"X's costs (distance^z, z={z:g}) overflow double when summed"
            + (" with sample_weight" if u is not None else "")
            + "; scale X down or use a smaller z"
        )
    cluster_weights = np.bincount(labels, weights=u, minlength=k).astype(np.float64)
    total_weight = float(n if u is None else u.sum())

    # 3. One oracle query per distinct representative.
    known: dict = {}
    rep_losses = None
    if loss_fn is not None:
        distinct = np.unique(reps)
        report("oracle", 0, 2)  # 1: the representatives, 2: the sampled rows
        known.update(zip(distinct.tolist(), _query(loss_fn, distinct).tolist()))
        report("oracle", 1, 2)
        rep_losses = np.array([known[r] for r in reps.tolist()])
        if lam_auto:  # no extra queries: the representatives' losses are known now
            lam = estimate_lam(rep_rows, rep_losses, z)

    # 4. Sensitivities and the sample.
    p = backend.sensitivities(cost, labels, rep_losses, lam, u, method=method, n_clusters=k)
    check_sample_size(budget, p, replace, "budget")
    report("sample", 0, 1)
    indices, weights = backend.sample(p, budget, seed, replace, nt)
    report("sample", 1, 1)
    if u is not None:
        weights = weights * u[indices]

    # 5. Losses of the sampled rows not queried yet, then the estimate.
    losses = est = None
    if loss_fn is not None:
        fresh = np.setdiff1d(np.unique(indices), np.fromiter(known, dtype=np.int64, count=len(known)))
        if fresh.size:
            known.update(zip(fresh.tolist(), _query(loss_fn, fresh).tolist()))
        report("oracle", 2, 2)
        losses = np.array([known[i] for i in indices.tolist()])
        control = control_total = None
        if estimator == "difference":
            control = rep_losses[labels[indices]]
            control_total = float(cluster_weights @ rep_losses)
        try:
            est = estimate(
                losses, weights, total_weight, replace=replace,
                sample_weight=None if u is None else u[indices],
                control=control, control_total=control_total or 0.0,
            )
        except ValueError as exc:  # overflow: name the arguments behind the internal ones
            raise ValueError(
                f"the loss estimate overflows double (losses from loss_fn up to "
                f"{float(losses.max()):.3g}, weights up to {float(weights.max()):.3g}); scale "
                "loss_fn's losses" + (" or sample_weight" if u is not None else "") + " down"
            ) from exc

    return Selection(
        indices=indices,
        weights=weights,
        probabilities=p,
        representatives=reps,
        labels=labels,
        cost=cost,
        centers=km.cluster_centers_,
        inertia=float(phi),
        cluster_weights=cluster_weights,
        total_weight=total_weight,
        replace=bool(replace),
        sample_weight=u,
        losses=losses,
        representative_losses=rep_losses,
        estimate=None if est is None else est.mean,
        stderr=None if est is None else est.stderr,
        ci=None if est is None else est.ci,
        n_queries=len(known),
        lam=float(lam),
    )

"""evaluate(): the mean loss of a model to a stated precision, with as few queries as it takes.

One stratified design (`strata.py`) drawn in batches: stratum h's rows are queried in the order
of their keys (stream STRATIFIED), and the allocation for m queries is contained in the one for
m + batch, so the batches extend one stratified sample. After each batch the stratified estimate
(with the proxy as a control variate) and its interval (`_base.sequence`) are computed; the loop
stops when the interval's half-width meets rtol / atol, when max_queries is reached, or when every
row has been queried (the exact mean). A `Plan` (the strata, their shares and the seed) can be
saved and reused to evaluate other models or checkpoints on the same rows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from inspect import Parameter
from typing import Any, Callable, Dict, List, Optional, Union  # noqa: F401 (Union: annotations)

import numpy as np

from .._base.estimate import Estimate
from .._base.progress import reporting
from .._base.sequence import INTERVALS, half_width, mixture_rho2
from .._base.source import check_input
from .._base.stratified import stratified_estimate
from .._base.validation import (
    check_choice, check_cost_scale, check_float, check_int, check_sample_weight,
)
from .api import parameters_of
from .options import SelectOptions, select
from .select import Backend, Oracle, cluster_rows, group_clusters
from .strata import (
    MIN_PER_STRATUM, Strata, check_proxy, check_strata, form_strata, proxy_total, seat_order,
)

Arr = np.ndarray
PLAN_VERSION = 1
# Default batches: a tenth of the queries so far, at least 10 (overshoot <= ~10% of the need).
GROWTH, GROWTH_MIN = 10, 10


@dataclass(frozen=True, eq=False)
class Plan:
    """What an evaluation fixes before any query: the strata of the rows, their allocation shares
    and the seed of the order in which each stratum's rows are queried. Save it to evaluate other
    models (or checkpoints) on the same design: `plan.save(path)`, `Plan.load(path)`."""

    strata: Strata
    seed: int
    representatives: Arr
    sample_weight: Optional[Arr] = field(default=None, repr=False)

    @property
    def n_samples(self) -> int:
        return int(self.strata.codes.shape[0])

    def save(self, path: str) -> None:
        """Write the plan to `path` (a NumPy .npz file; no pickles)."""
        meta = json.dumps({"version": PLAN_VERSION, "seed": str(self.seed)})
        arrays = dict(
            codes=self.strata.codes, sizes=self.strata.sizes, weights=self.strata.weights,
            shares=self.strata.shares, representatives=self.representatives,
            meta=np.array(meta),
        )
        if self.sample_weight is not None:
            arrays["sample_weight"] = self.sample_weight
        with open(path, "wb") as f:  # np.savez would append ".npz" to a path without it
            np.savez(f, **arrays)

    @classmethod
    def load(cls, path: str) -> "Plan":
        """Read a plan written by `save`."""
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("version") != PLAN_VERSION:
                raise ValueError(f"{path}: plan version {meta.get('version')}, expected {PLAN_VERSION}")
            strata = Strata(codes=z["codes"], sizes=z["sizes"], weights=z["weights"],
                            shares=z["shares"])
            u = z["sample_weight"] if "sample_weight" in z.files else None
            return cls(strata=strata, seed=int(meta["seed"]),
                       representatives=z["representatives"], sample_weight=u)


@dataclass(frozen=True, eq=False)
class Evaluation:
    """evaluate()'s answer.

    Attributes
    ----------
    estimate, stderr : float
        Estimated mean loss and its standard error (stratified, with the proxy as a control
        variate when given).
    ci : (float, float)
        The interval of `interval` kind at the stopping time.
    n_queries : int
        Rows passed to loss_fn.
    stopped : str
        "target" (rtol / atol met), "max_queries", "exhausted" (every row of positive weight
        queried: the estimate is the exact mean) or "interrupted" (Ctrl-C; what was queried is kept).
    indices, losses, weights : ndarray
        The queried rows in query order, their losses and the weights of the final estimate (sum(weights * losses) / total_weight = estimate without a proxy).
    strata_table : dict of ndarray
        Per stratum: "size" (rows), "queried", "mean" and "std" of the queried losses.
    history : list of dict
        After each batch: n_queries, estimate, stderr, half_width.
    plan : Plan or None
        The design; `plan.save(path)` to reuse it (None from an engine's evaluate: a plan holds
        n-length strata codes).
    """

    estimate: float
    stderr: float
    ci: tuple
    confidence: float
    interval: str
    n_queries: int
    stopped: str
    indices: Arr
    losses: Arr
    weights: Arr
    strata_table: Dict[str, Arr]
    history: List[Dict[str, float]]
    plan: Optional[Plan] = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"Evaluation(estimate={self.estimate:.6g}, ci=({self.ci[0]:.6g}, {self.ci[1]:.6g}), "
            f"n_queries={self.n_queries}, stopped={self.stopped!r})"
        )


def _keyword(name: str, default: Any, annotation: str) -> Parameter:
    return Parameter(name, Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


@parameters_of(
    select, returns="Evaluation",
    drop=("budget", "lam", "loss_fn", "replace", "method", "defensive", "design", "estimator"),
    after="X", changes={"n_clusters": {"default": None}},
    insert=[
        Parameter("loss_fn", Parameter.POSITIONAL_OR_KEYWORD,
                  annotation="Callable[[np.ndarray], Any]"),
        _keyword("rtol", None, "Optional[float]"), _keyword("atol", None, "Optional[float]"),
        _keyword("confidence", 0.95, "float"), _keyword("max_queries", None, "Optional[int]"),
        _keyword("batch", None, "Optional[int]"), _keyword("interval", "fixed", "str"),
        _keyword("plan", None, "Union[Plan, str, None]"),
    ],
)
def evaluate(*args: Any, **kwargs: Any) -> Evaluation:
    """Replaced below (the docstring is long)."""


evaluate.__doc__ = """Estimate a model's mean loss over the rows of X to a stated precision.

    Queries `loss_fn` in batches on a stratified sample (the clusters of X, crossed with
    `strata`), extending one sample batch by batch, until the interval's half-width is at most
    max(atol, rtol * |estimate|), max_queries rows were queried, or every row was (then the
    estimate is the exact mean).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), Shards, or None
        Embeddings, as for `select` (out-of-core input is read in blocks). None with `plan`
        (``evaluate(None, loss_fn, plan=...)``).
    loss_fn : callable
        loss_fn(indices: int64 ndarray) -> the losses of those rows (non-negative); each row is
        asked for at most once.
    n_clusters : int
        k of the clustering whose clusters are the strata (not needed with `plan`).
    rtol, atol : float, default=None
        Stop when the half-width is <= max(atol, rtol * |estimate|). Without either, evaluate
        spends max_queries (or queries every row).
    confidence : float, default=0.95
        Level of the interval.
    max_queries : int, default=None
        At most this many queries (None: n_samples).
    batch : int, default=None
        Queries per batch after the first; the first batch gives every stratum two rows (at least
        `batch`). None: a tenth of the queries so far (at least 10), so evaluate stops at most
        about 10% past the point where the target was met.
    interval : {"fixed", "anytime"}, default="fixed"
        "fixed": the normal interval at the final sample size, whose coverage at evaluate's
        stopping time (a width rule) is the nominal level asymptotically (Chow and Robbins, 1965;
        measured in docs/RESULTS.md). "anytime": a confidence sequence, valid under any stopping
        rule (including Ctrl-C while watching the estimate), about 1.5 times wider.
    plan : Plan or str, default=None
        A saved design (`Evaluation.plan`, `Plan.load(path)`, or the path) to evaluate another
        model on exactly the same strata and query order; X and the clustering arguments are then
        not used.
    strata, proxy, allocation, sample_weight, z, init, max_iter, tol, max_points_per_center,
    random_state, n_threads, progress
        As in `select` (progress also reports "evaluate": queries so far and max_queries). The
        allocation is fixed before the first query (an allocation adapted to the losses seen,
        tried as "pilot" Neyman, biased the estimate by 5-17 standard errors: not offered).

    Returns
    -------
    Evaluation
        estimate, stderr, ci, n_queries, stopped, the queried rows and losses, a per-stratum table
        and the plan.

    Examples
    --------
    >>> import numpy as np, coresample
    >>> X = np.random.default_rng(0).normal(size=(5000, 8)).astype(np.float32)
    >>> loss = (X ** 2).sum(axis=1)
    >>> ev = coresample.evaluate(X, lambda idx: loss[idx], n_clusters=20, rtol=0.02,
    ...                          random_state=0)
    >>> ev.stopped, ev.n_queries < 5000, abs(ev.estimate - loss.mean()) < 0.1 * loss.mean()
    ('target', True, True)
    """


def run_evaluate(backend: Backend, *, X: Any, loss_fn: Any, progress: Any, **arguments: Any
                 ) -> Evaluation:
    """evaluate() on `backend`, reporting to `progress`."""
    with reporting(progress, backend.set_progress) as report:
        return _run(backend, X, loss_fn, arguments, report or (lambda *a: None))


@dataclass(frozen=True)
class Stopping:
    """evaluate's stopping and interval arguments, checked."""

    confidence: float
    kind: str
    rtol: Optional[float]
    atol: Optional[float]
    max_queries: Optional[int]
    batch: Optional[int]


def check_stopping(loss_fn: Any, a: Dict[str, Any]) -> Stopping:
    """The loop's arguments, checked before any work (every path: in memory and engines)."""
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    confidence = check_float(a["confidence"], "confidence", 0.0, 1.0, low_inclusive=False,
                             high_inclusive=False)
    kind = check_choice(a["interval"], "interval", INTERVALS)
    rtol = None if a["rtol"] is None else check_float(a["rtol"], "rtol", 0.0, low_inclusive=False)
    atol = None if a["atol"] is None else check_float(a["atol"], "atol", 0.0, low_inclusive=False)
    max_queries = None if a["max_queries"] is None else check_int(a["max_queries"],
                                                                  "max_queries", 1)
    batch = None if a["batch"] is None else check_int(a["batch"], "batch", 1)
    return Stopping(confidence, kind, rtol, atol, max_queries, batch)


def plan_options(n: int, d: int, a: Dict[str, Any]) -> SelectOptions:
    """The clustering options of a new plan: select's stratified design with budget n."""
    return SelectOptions.resolve(
        n, d, budget=n, n_clusters=a["n_clusters"], z=a["z"], lam=1.0, loss_fn=None,
        replace=False, method="lightweight", defensive=0.0, design="stratified",
        allocation=a["allocation"], estimator="plain", init=a["init"], max_iter=a["max_iter"], tol=a["tol"],
        max_points_per_center=a["max_points_per_center"], random_state=a["random_state"],
        n_threads=a["n_threads"],
    )


def strata_budget(n: int, max_queries: Optional[int]) -> int:
    """The budget the strata are formed for: max_queries (or every row), two rows each."""
    return max(MIN_PER_STRATUM, n if max_queries is None else max_queries)


@dataclass(frozen=True)
class Schedule:
    """Which stratum each of the max_q queries goes to: two rows per stratum first (`first`
    queries), then the allocation's seat order, so that the first m queries are the stratified
    sample of size m for every m; `most[h]`: stratum h's rows by max_q."""

    strata: Arr
    most: Arr
    first: int
    max_q: int
    available: int

    def positions(self) -> Arr:
        """Where each query's row is in the strata's draws concatenated by stratum (each
        stratum's `most[h]` rows in key order)."""
        starts = np.concatenate(([0], np.cumsum(self.most)[:-1]))
        return starts[self.strata] + _rank_within(self.strata)


def schedule(st: Strata, max_queries: Optional[int]) -> Schedule:
    available = int(st.max_rows(False).sum())  # rows of positive weight
    max_q = available if max_queries is None else min(available, max_queries)
    lead = np.minimum(MIN_PER_STRATUM, st.max_rows(False))
    first = int(lead.sum())
    if max_q < first:
        raise ValueError(f"max_queries={max_q} is below the {first} rows the plan's strata need "
                         "(two per stratum)")
    strata_seq = np.concatenate([np.repeat(np.arange(st.n_strata), lead),
                                 seat_order(st.shares, st.max_rows(False), lead, max_q - first)])
    most = np.bincount(strata_seq, minlength=st.n_strata)
    return Schedule(strata_seq, most, first, max_q, available)


@dataclass(frozen=True)
class Queries:
    """The max_q queries in order: each one's row, stratum, sample weight and proxy (None when
    absent), with the totals the estimate needs; nothing n-long (the engines build it too)."""

    rows: Arr
    strata: Arr
    u: Optional[Arr]
    proxy: Optional[Arr]
    total_weight: float
    proxy_total: Optional[float]


def _run(backend: Backend, X: Any, loss_fn: Any, a: Dict[str, Any], report: Callable) -> Evaluation:
    stop = check_stopping(loss_fn, a)
    plan = _plan(backend, X, dict(a, max_queries=stop.max_queries), report)
    n = plan.n_samples
    proxy = check_proxy(a["proxy"], n)
    st, u = plan.strata, plan.sample_weight
    sched = schedule(st, stop.max_queries)
    rows = backend.stratified(st.codes, sched.most, plan.seed, False)[sched.positions()]
    queries = Queries(rows=rows, strata=sched.strata, u=None if u is None else u[rows],
                      proxy=None if proxy is None else proxy[rows],
                      total_weight=float(n if u is None else u.sum()),
                      proxy_total=proxy_total(proxy, u))
    return run_queries(loss_fn, stop, sched, st, queries, plan, report)


def run_queries(loss_fn: Any, stop: Stopping, sched: Schedule, st: Strata, q: Queries,
                plan: Optional[Plan], report: Callable) -> Evaluation:
    """Query in batches until the stopping rule holds (the loop every path shares)."""
    first, max_q, available = sched.first, sched.max_q, sched.available
    rtol, atol, fixed_batch = stop.rtol, stop.atol, stop.batch
    y_seq = np.empty(max_q)
    oracle = Oracle(loss_fn)
    rho2 = mixture_rho2(1.0 - stop.confidence, 4.0 * max(first, fixed_batch or 0))
    history: List[Dict[str, float]] = []

    def estimate_at(m: int) -> Any:
        return _estimate(q, m, y_seq[:m], st, stop.confidence, stop.kind, rho2)

    # `queried` rows have losses; `done` of them are in the estimate (they differ only while a
    # batch is being estimated, which is where a Ctrl-C may land).
    queried = done = 0
    m, stopped, est, hw = max(first, fixed_batch or 0), "max_queries", None, np.inf
    try:
        while True:
            m = min(m, max_q)
            y_seq[queried:m] = oracle.losses(q.rows[queried:m])
            queried = m
            est, hw = estimate_at(m)
            done = m
            history.append(dict(n_queries=done, estimate=est.mean, stderr=est.stderr,
                                half_width=hw))
            report("evaluate", done, max_q)
            if done >= available:
                stopped = "exhausted"
                break
            target = max(atol or 0.0, (rtol or 0.0) * abs(est.mean))
            if (rtol is not None or atol is not None) and hw <= target:
                stopped = "target"
                break
            if done >= max_q:
                break
            m = done + (fixed_batch or max(GROWTH_MIN, -(-done // GROWTH)))
    except KeyboardInterrupt:
        if queried > done and queried >= first:  # keep the batch that was being estimated
            est, hw = estimate_at(queried)
            done = queried
            history.append(dict(n_queries=done, estimate=est.mean, stderr=est.stderr,
                                half_width=hw))
        if est is None:  # not even the first batch's losses came back: nothing to keep
            raise
        stopped = "interrupted"
    return _result(q, done, y_seq[:done], st, est, hw, stop, stopped, history, plan)


def _rank_within(strata_seq: Arr) -> Arr:
    """For each entry, how many earlier entries have the same stratum."""
    order = np.argsort(strata_seq, kind="stable")
    sorted_h = strata_seq[order]
    rank = np.empty(strata_seq.shape[0], dtype=np.int64)
    rank[order] = np.arange(sorted_h.shape[0]) - np.searchsorted(sorted_h, sorted_h)
    return rank


def _plan(backend: Backend, X: Any, a: Dict[str, Any], report: Callable) -> Plan:
    """The given plan (checked against the data), or a new one from X."""
    plan = a["plan"]
    if plan is not None:
        for name in ("sample_weight", "strata"):
            if a[name] is not None:
                raise ValueError(f"{name}= is fixed by the plan; leave it out when passing plan=")
        if a["allocation"] != "auto":
            raise ValueError(f"allocation={a['allocation']!r} is fixed by the plan (its shares); "
                             "leave it out when passing plan=")
        plan = Plan.load(plan) if isinstance(plan, str) else plan
        if not isinstance(plan, Plan):
            raise TypeError(f"plan must be a Plan or a path, got {type(plan).__name__}")
        if X is not None and check_input(X)[0].shape[0] != plan.n_samples:
            raise ValueError(f"X has {check_input(X)[0].shape[0]} rows, the plan {plan.n_samples}")
        return plan
    if X is None:
        raise ValueError("evaluate needs X (or a plan)")
    X, top = check_input(X)
    n, d = X.shape
    u = check_sample_weight(a["sample_weight"], n)
    groups = check_strata(a["strata"], n)
    proxy = check_proxy(a["proxy"], n)
    if a["n_clusters"] is None:
        raise ValueError("evaluate needs n_clusters (or a plan)")
    opts = plan_options(n, d, a)
    if top is not None:  # as select: costs that would overflow are refused before the fit
        check_cost_scale(top, n, d, opts.z, u)
    clus = cluster_rows(backend, X, opts, u, report)
    strata = form_strata(
        clus.labels, clus.centers, clus.cluster_weights, groups, proxy, u,
        strata_budget(n, a["max_queries"]), a["allocation"], group_clusters,
        budget_name="max_queries", cost=clus.cost,
    )
    return Plan(strata=strata, seed=opts.seed, representatives=clus.reps, sample_weight=u)


def _estimate(q: Queries, m: int, y: Arr, st: Strata, confidence: float, kind: str,
              rho2: float) -> Any:
    """The stratified estimate of the first m queries and its interval's half-width."""
    h = q.strata[:m]
    taken = np.bincount(h, minlength=st.n_strata)
    try:
        est = stratified_estimate(
            y, h, st.sizes, taken, q.total_weight, replace=False,
            sample_weight=None if q.u is None else q.u[:m],
            control=None if q.proxy is None else q.proxy[:m],
            control_total=q.proxy_total or 0.0, confidence=confidence,
        )
    except ValueError as exc:  # overflow: name the arguments behind the internal ones
        raise ValueError(
            f"the loss estimate overflows double (losses from loss_fn up to "
            f"{float(np.max(np.abs(y))):.3g}); scale loss_fn's losses"
            + (" or sample_weight" if q.u is not None else "")
            + (" or proxy" if q.proxy is not None else "") + " down"
        ) from exc
    return est, half_width(est.stderr, m, confidence, kind, rho2)


def _result(q: Queries, m: int, losses: Arr, st: Strata, est: Estimate, hw: float,
            stop: Stopping, stopped: str, history: List[Dict[str, float]],
            plan: Optional[Plan]) -> Evaluation:
    h = q.strata[:m]
    taken = np.bincount(h, minlength=st.n_strata)
    w = st.sizes[h] / taken[h].astype(np.float64)
    if q.u is not None:
        w = w * q.u[:m]
    cnt = np.maximum(taken, 1).astype(np.float64)
    mean = np.bincount(h, losses, minlength=st.n_strata) / cnt
    var = np.bincount(h, (losses - mean[h]) ** 2, minlength=st.n_strata) / np.maximum(cnt - 1, 1)
    table = dict(size=st.sizes, queried=taken, mean=np.where(taken > 0, mean, np.nan),
                 std=np.where(taken > 1, np.sqrt(var), np.nan))
    return Evaluation(
        estimate=est.mean, stderr=est.stderr, ci=(est.mean - hw, est.mean + hw),
        confidence=stop.confidence, interval=stop.kind, n_queries=m, stopped=stopped,
        indices=q.rows[:m].copy(), losses=losses.copy(), weights=w, strata_table=table,
        history=history, plan=plan,
    )


__all__ = ["Evaluation", "Plan", "evaluate", "run_evaluate"]

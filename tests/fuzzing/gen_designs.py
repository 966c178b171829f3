"""Case generators for the designs of issue 14: `select` with design / strata / proxy /
allocation / estimator / defensive, `evaluate`, the `Plan` save/load round trip, and the engine
plan on `LocalEngine` (coresample._engine) against the in-memory `select`.

One entry of the table (generators.ENTRIES) dispatches to them by its first draw, so the seeds
of the other entries replay as before. Positivity is an invariant of every design
(invariants.check_positivity): a row of positive sample weight carries loss, so it must be
reachable: p > 0 under the sensitivity design with a defensive share, and under the stratified
design every stratum holding such rows gets at least one draw (min(2, N_h): strata.allocate),
which makes p_e = n_h / (N_h s) > 0 on each of its rows.
"""
from __future__ import annotations

import inspect
import os
from typing import Any, Dict, Optional, Tuple

import numpy as np

from .cases import Case, materialize
from .gen_public import _is_int, _rows, select_crosscheck, select_data
from .inputs import Ctx, make_loss_fn
from .invariants import (
    InvariantError, check_evaluation, check_positivity, check_selection, check_stratified, need,
)

DESIGNS = ("auto", "stratified", "sensitivity")


def g_designs(ctx: Ctx) -> Case:
    which = ctx.pick(["select", "select", "select", "evaluate", "plan", "engine"])
    # Many arguments: at the harness's usual rates most cases would stop at validation. Two in
    # three cases draw malformed arguments at a fifth of those rates.
    ctx.bad_scale = 0.2 if ctx.p(2 / 3) else 1.0
    return {"select": g_select_design, "evaluate": g_evaluate, "plan": g_plan,
            "engine": g_engine}[which](ctx)


# ---- arguments shared by select and evaluate ----------------------------------------------------


def _groups(ctx: Ctx, n: int) -> Tuple[Any, Optional[int]]:
    """strata=: labels with every group of two rows or more (valid), or broken one way.
    Returns (strata, number of groups if valid)."""
    G = int(ctx.pick([1, 2, 3, 5]))
    G = max(1, min(G, n // 2))
    codes = np.arange(n) % G if n >= 2 else np.zeros(n, dtype=np.int64)
    codes = ctx.rng.permutation(codes)
    r = ctx.rng.random()
    if r < 0.15:
        values: Any = np.array(["cat", "dog", "eel", "fox", "gnu"])[codes]
    elif r < 0.25:
        values = np.array(["cat", "dog", "eel", "fox", "gnu"], dtype=object)[codes]
    elif r < 0.35:
        values = codes.astype(np.float64) * 0.5
    elif r < 0.42 and n >= 1:
        values = codes.copy()
        values[0] = G + 7  # a group of one row
        return ctx.note("strata", values, "bad"), None
    elif r < 0.48:
        return ctx.note("strata", codes[:-1] if n else np.zeros(1), "bad"), None
    elif r < 0.52 and n >= 1:
        values = codes.astype(np.float64)
        values[0] = np.nan
        return ctx.note("strata", values, "bad"), None
    elif r < 0.55:
        return ctx.note("strata", np.ones((n, 2)), "bad"), None
    else:
        values = codes.astype(ctx.pick([np.int64, np.int32, np.uint8]))
    if n < 2:
        return ctx.note("strata", values, "bad"), None  # one row: a group of one
    return ctx.note("strata", values), G


def _design_kwargs(ctx: Ctx, n: int) -> Dict[str, Any]:
    kw: Dict[str, Any] = {}
    if ctx.p(0.4):
        kw["strata"], kw["_G"] = _groups(ctx, n)
    if ctx.p(0.4):
        kw["proxy"] = ctx.vector("proxy", n, kind_pool=["uniform", "ones", "zeros_some", "int",
                                                        "f32", "list", "huge", "tiny"])
    if ctx.p(0.4):
        kw["allocation"] = ctx.scalar("allocation", ["auto", "proportional", "neyman"],
                                      ["magic", None])
    if ctx.p(0.3):
        kw["sample_weight"] = ctx.vector("sample_weight", n)
    if ctx.p(0.3):
        kw["z"] = ctx.z()
    if ctx.p(0.2):
        kw["max_points_per_center"] = ctx.scalar("max_points_per_center", [None, 2, 48, "auto"],
                                                 [0, "fast"])
    kw["random_state"] = ctx.random_state()
    if ctx.p(0.3):
        kw["n_threads"] = ctx.n_threads()
    return kw


def _positive_rows(u: Any, n: int) -> int:
    if isinstance(u, np.ndarray) and u.ndim == 1 and u.dtype.kind in "fiub" and u.shape[0] == n:
        with np.errstate(invalid="ignore"):
            return int(np.count_nonzero(np.nan_to_num(u.astype(np.float64)) > 0))
    return n


def _weights_of(u: Any, n: int) -> Optional[np.ndarray]:
    if isinstance(u, np.ndarray) and u.ndim == 1 and u.shape[0] == n and u.dtype.kind in "fiub":
        return u.astype(np.float64)
    if isinstance(u, list) and len(u) == n:
        return np.asarray(u, dtype=np.float64)
    return None


def _call_kwargs(kw: Dict[str, Any]) -> Dict[str, Any]:
    kk = {k: v for k, v in kw.items() if not k.startswith("_")}
    if "random_state" in kk:
        kk["random_state"] = materialize(kk["random_state"])
    return kk


# ---- select with the designs' arguments ---------------------------------------------------------


def g_select_design(ctx: Ctx) -> Case:
    X = ctx.matrix("X", bad_prob=0.1)
    n = _rows(X)
    replace = ctx.scalar("replace", ["auto", "auto", True, False], ["sometimes"])
    design = ctx.scalar("design", list(DESIGNS), ["magic", None])
    k = ctx.n_clusters(n)
    kw = _design_kwargs(ctx, n)
    if "strata" in kw and design == "sensitivity" and ctx.bad_scale < 1:
        del kw["strata"], kw["_G"]  # refused together (kept at the usual rates)
        ctx.desc.pop("strata")
        ctx.bad.discard("strata")
    if ctx.p(0.6):
        kw["loss_fn"] = make_loss_fn(ctx, n)
    if ctx.p(0.4):
        kw["estimator"] = ctx.scalar("estimator", ["auto", "plain", "regression", "difference",
                                                   "poststratified"], ["magic"])
    if ctx.p(0.3):
        kw["defensive"] = ctx.scalar("defensive", [0.0, 0.2, 0.5, 1.0],
                                     [-0.1, 1.5, float("nan"), "x"])
    if ctx.p(0.3):
        kw["lam"] = ctx.scalar("lam", [1.0, 0.0, "auto"], [-1.0, float("nan")])
    u = kw.get("sample_weight")
    positive = _positive_rows(u, n)
    # "auto" draws with replacement when the budget exceeds the rows of positive weight
    budget = ctx.budget(positive if replace is False else n, replace is not False)
    kw["n_clusters"], kw["replace"], kw["design"] = k, replace, design
    _judge_select(ctx, kw, budget, n, positive)
    kw_call = _call_kwargs(kw)
    G = kw.get("_G")

    def call(impl):
        return impl.select(X, budget, **_call_kwargs(kw))

    def check(sel):
        skip = bool({"loss_fn", "sample_weight", "proxy"} & ctx.maybe)
        check_selection(sel, n, budget, k if _is_int(k) else None, sel.replace,
                        skip_estimate=skip, X=X)
        need(sel.design == ("stratified" if design == "auto" else design),
             f"design {sel.design!r} for design={design!r}")
        w = _weights_of(u, n)
        check_positivity(sel, w, kw_call.get("defensive", 0.2))
        if sel.design == "stratified":
            check_stratified(sel, n, budget, w, kw.get("strata") if G else None)
        if sel.estimate is not None and not skip:
            est = sel.estimate_from(
                sel.losses, poststratify=sel.design == "sensitivity"
                and kw_call.get("estimator") == "poststratified",
                representative_losses=sel.representative_losses
                if kw_call.get("estimator") == "difference" else None)
            need(repr(est.mean) == repr(sel.estimate) and repr(est.stderr) == repr(sel.stderr),
                 f"estimate_from gives {est.mean!r} +- {est.stderr!r}, select gave "
                 f"{sel.estimate!r} +- {sel.stderr!r}")

    return Case(ctx.seed, "select(designs)", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck=select_crosscheck(ctx, X, n), argnames=("X", "budget") + tuple(kw_call),
                data=select_data(X, budget, {k_: v for k_, v in kw.items()
                                             if not k_.startswith("_")}),
                refusal_ties=_refusal_ties(kw_call))


def _refusal_ties(kw: Dict[str, Any]) -> Tuple[str, ...]:
    """Refusals whose occurrence depends on the clustering, which the core and the reference may
    tie-break differently: with defensive=0 (the paper's distribution) rows that coincide with a
    zero-loss representative get p = 0, so whether a without-replacement budget fits depends on
    which rows are representatives (seeds 777093221, 777117875 before the defensive share)."""
    return ("rows with positive probability",) if kw.get("defensive") == 0.0 else ()


def _judge_select(ctx: Ctx, kw: Dict[str, Any], budget: Any, n: int, positive: int) -> None:
    """Mark the combinations select refuses by its documented rules (options.resolve_design,
    resolve_estimator, strata.check_group_budget)."""
    design, est = kw["design"], kw.get("estimator", "auto")
    stratified = design in ("auto", "stratified")
    has_loss, has_proxy = "loss_fn" in kw, "proxy" in kw
    if "strata" in kw and design == "sensitivity":
        ctx.bad.add("strata")
    if est == "regression" and not has_proxy:
        ctx.bad.add("estimator")
    if est == "difference" and (not has_loss or stratified):
        ctx.bad.add("estimator")
    if est == "poststratified" and stratified:
        ctx.bad.add("estimator")
    if kw.get("lam") == "auto" and not has_loss:
        ctx.bad.add("lam")
    G = kw.get("_G")
    if G and G > 1 and _is_int(budget) and budget < 2 * G:
        ctx.maybe.add("budget")  # two draws per group
    if kw.get("defensive") == 0.0 and design == "sensitivity" and kw.get("replace") is False:
        ctx.maybe.add("budget")  # p may vanish on rows (see _refusal_ties)


# ---- evaluate and the Plan round trip -----------------------------------------------------------


def _evaluate_args(ctx: Ctx) -> Tuple[Any, int, Any, Dict[str, Any]]:
    X = ctx.matrix("X", bad_prob=0.1)
    n = _rows(X)
    loss_fn = make_loss_fn(ctx, n)
    kw = _design_kwargs(ctx, n)
    kw["n_clusters"] = ctx.n_clusters(n)
    if ctx.p(0.5):
        kw["rtol"] = ctx.scalar("rtol", [0.05, 0.2, 1e-3, 1.0], [0.0, -1.0, float("nan")])
    if ctx.p(0.3):
        kw["atol"] = ctx.scalar("atol", [0.01, 0.5, 1e-9], [0.0, -1.0, "x"])
    if ctx.p(0.5):
        kw["max_queries"] = ctx.scalar("max_queries", sorted({1, 2, 10, max(1, n // 2), n}),
                                       [0, -1, 1.5, "10"])
    if ctx.p(0.3):
        kw["batch"] = ctx.scalar("batch", [1, 5, 50], [0, -2, 1.5])
    if ctx.p(0.3):
        kw["interval"] = ctx.scalar("interval", ["fixed", "anytime"], ["magic", None])
    if ctx.p(0.2):
        kw["confidence"] = ctx.scalar("confidence", [0.5, 0.9, 0.99], [0.0, 1.0, float("nan")])
    mq, G = kw.get("max_queries"), kw.get("_G")
    if _is_int(mq) and mq >= 1 and G and G > 1 and mq < 2 * G:
        ctx.maybe.add("max_queries")  # two queries per group
    if _is_int(mq) and mq >= 1 and mq < 2:
        ctx.maybe.add("max_queries")
    return X, n, loss_fn, kw


def g_evaluate(ctx: Ctx) -> Case:
    X, n, loss_fn, kw = _evaluate_args(ctx)
    u = kw.get("sample_weight")

    def call(impl):
        return impl.evaluate(X, loss_fn, **_call_kwargs(kw))

    def check(ev):
        check_evaluation(ev, n, _weights_of(u, n), kw, loss_fn,
                         edge=bool({"loss_fn", "sample_weight", "proxy"} & ctx.maybe))

    cross = None
    if isinstance(X, np.ndarray) and X.dtype == np.float64 and ctx.data_kind == "blobs" \
            and n <= 100:
        cross = "evaluate"
    clustering = {k_: v for k_, v in kw.items() if k_ in (
        "n_clusters", "z", "sample_weight", "max_points_per_center", "random_state",
        "n_threads")}
    return Case(ctx.seed, "evaluate", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck=cross, argnames=("X", "loss_fn") + tuple(_call_kwargs(kw)),
                data=select_data(X, 1, dict(clustering, design="sensitivity", replace=True)))


def g_plan(ctx: Ctx) -> Case:
    """evaluate, its plan saved and loaded, and evaluate again on the plan (by object or by path,
    with X or with None): the same rows in the same order, the same estimate."""
    X, n, loss_fn, kw = _evaluate_args(ctx)
    how = ctx.pick(["path", "path", "object", "with_X"])
    misuse = ctx.pick([None, None, None, None, "strata", "allocation", "wrong_X"])
    path = os.path.join(ctx.tmpdir, f"plan_{ctx.seed}.npz")
    ctx.desc["plan"] = f"saved to a temporary .npz, reused by {how}"
    again: Dict[str, Any] = {k: v for k, v in kw.items() if k in (
        "rtol", "atol", "max_queries", "batch", "interval", "confidence", "proxy")}
    if misuse == "strata":
        again["strata"] = np.zeros(n, dtype=np.int64)
        ctx.note("strata_with_plan", "strata= beside plan=", "bad")
    elif misuse == "allocation":
        again["allocation"] = "proportional"
        ctx.note("allocation_with_plan", "allocation= beside plan=", "bad")
    elif misuse == "wrong_X":
        how = "with_X"
        ctx.note("X_with_plan", "an X of another length beside plan=", "bad")

    def call(impl):
        first = impl.evaluate(X, loss_fn, **_call_kwargs(kw))
        first.plan.save(path)
        loaded = impl.Plan.load(path)
        _same_plan(first.plan, loaded)
        plan = loaded if how == "object" else path
        X2 = None if how != "with_X" else (X if misuse != "wrong_X" else np.ones((n + 1, 2)))
        return first, impl.evaluate(X2, loss_fn, plan=plan, **_call_kwargs(again))

    def check(pair):
        first, second = pair
        w = _weights_of(kw.get("sample_weight"), n)
        edge = bool({"loss_fn", "sample_weight", "proxy"} & ctx.maybe)
        check_evaluation(first, n, w, kw, loss_fn, edge=edge)
        need(np.array_equal(first.indices, second.indices),
             "the plan's second evaluation queried other rows")
        need(first.estimate == second.estimate or (np.isnan(first.estimate)
                                                   and np.isnan(second.estimate)),
             f"the plan's estimate {second.estimate!r} != {first.estimate!r}")
        need(first.stopped == second.stopped, f"stopped {second.stopped!r} vs {first.stopped!r}")

    names = ("X", "loss_fn", "plan", "strata_with_plan", "allocation_with_plan", "X_with_plan")
    return Case(ctx.seed, "Plan", call, ctx.desc, ctx.bad, ctx.maybe, check,
                argnames=names + tuple(_call_kwargs(kw)))


def _same_plan(a: Any, b: Any) -> None:
    need(a.seed == b.seed, "Plan.load: seed differs")
    for name in ("codes", "sizes", "weights", "shares"):
        x, y = getattr(a.strata, name), getattr(b.strata, name)
        need(x.dtype == y.dtype and np.array_equal(x, y), f"Plan.load: strata.{name} differs")
    need(np.array_equal(a.representatives, b.representatives), "Plan.load: representatives")
    need((a.sample_weight is None) == (b.sample_weight is None) and (
        a.sample_weight is None or np.array_equal(a.sample_weight, b.sample_weight)),
        "Plan.load: sample_weight differs")


# ---- the engine plan on LocalEngine --------------------------------------------------------------


def g_engine(ctx: Ctx) -> Case:
    """coresample._engine's plan on LocalEngine (1024-aligned partitions of an in-memory array),
    which must give `select`'s Selection bit for bit (docs/DISTRIBUTED.md)."""
    n = int(ctx.pick([5, 40, 257, 1100, 2500]))
    d = int(ctx.pick([1, 2, 3, 8]))
    X = ctx.layout(ctx.data(n, d, ctx.pick([np.float32, np.float64])))
    X = np.ascontiguousarray(X)
    ctx.note("X", X, "ok" if np.isfinite(X).all() else "bad")  # float32 overflow to inf
    ctx.track("X", X)
    chunks = ctx.pick([(n,), (1024,), (700, 2300), (2048, 1000)])
    ctx.desc["chunks"] = repr(chunks)
    replace = ctx.scalar("replace", ["auto", True, False], [])
    design = ctx.scalar("design", list(DESIGNS), [])
    kw = _design_kwargs(ctx, n)
    if kw["random_state"] is None or "RandomState" in ctx.desc.get("random_state", ""):
        kw["random_state"] = ctx.note("random_state", 7)  # two calls must draw alike
    if ctx.p(0.6):
        kw["loss_fn"] = make_loss_fn(ctx, n)
    positive = _positive_rows(kw.get("sample_weight"), n)
    # "auto" draws with replacement when the budget exceeds the rows of positive weight
    budget = ctx.budget(positive if replace is False else n, replace is not False)
    kw["n_clusters"] = ctx.n_clusters(n)
    kw["replace"], kw["design"] = replace, design
    _judge_select(ctx, kw, budget, n, positive)

    def call(impl):
        from coresample._base.validation import check_sample_weight
        from coresample._engine.engine import LocalEngine
        from coresample._engine.plan import runner
        from coresample._engine.result import EngineSelection

        def make(X_, u_):
            # the adapters check sample_weight before partitioning it (ray: check_sample_weight)
            u_ = None if u_ is None else check_sample_weight(u_, X_.shape[0])
            return LocalEngine(X_, u_, cover(chunks, n))

        bound = inspect.signature(impl.select).bind(X, budget, **_call_kwargs(kw))
        bound.apply_defaults()
        # the engines' own runner (coresample.dask / .ray use it) for the core; the same steps
        # with the reference's backend for the reference
        run = runner(make, EngineSelection) if _backend(impl).name == "core" else \
            _reference_runner(make)
        try:
            want = impl.select(X, budget, **_call_kwargs(kw))
        except (TypeError, ValueError) as exc:
            want = exc
        try:
            got = run(**bound.arguments)
        except (TypeError, ValueError) as exc:
            if isinstance(want, Exception):  # both refuse (checks may run in another order)
                raise
            raise InvariantError(f"the engine plan raised {type(exc).__name__}: {exc}; select "
                                 f"{'raised ' + repr(want) if isinstance(want, Exception) else 'returned'}"
                                 ) from exc
        if isinstance(want, Exception):
            raise InvariantError(f"the engine plan returned where select raised {want!r}")
        return got, want

    def check(pair):
        got, want = pair
        for name in ("indices", "weights", "representatives", "centers", "cluster_weights",
                     "labels", "cost", "probabilities", "strata", "stratum_sizes", "allocation",
                     "losses"):
            a, b = getattr(got, name), getattr(want, name)
            need((a is None) == (b is None) and (a is None or (
                np.asarray(a).shape == np.asarray(b).shape
                and np.asarray(a).tobytes() == np.asarray(b).tobytes())),
                f"LocalEngine's {name} differs from select's")
        for name in ("inertia", "total_weight", "lam", "n_queries", "estimate", "stderr", "ci",
                     "design", "replace", "proxy_total"):
            a, b = getattr(got, name), getattr(want, name)
            need(repr(a) == repr(b), f"LocalEngine's {name} {a!r} != select's {b!r}")

    return Case(ctx.seed, "LocalEngine", call, ctx.desc, ctx.bad, ctx.maybe, check,
                argnames=("X", "budget") + tuple(_call_kwargs(kw)),
                refusal_ties=_refusal_ties(_call_kwargs(kw)))


def _reference_runner(make: Any) -> Any:
    """plan.runner's steps with the reference backend."""
    from coresample._algorithm.options import SelectOptions
    from coresample._engine.plan import run_select
    from coresample._engine.result import EngineSelection
    from coresample.reference.select import BACKEND

    def run(*, X: Any, sample_weight: Any, progress: Any, **arguments: Any) -> Any:
        engine = make(X, sample_weight)
        opts = SelectOptions.resolve(engine.n, engine.d, **arguments)
        extras = {nm: None if arguments[nm] is None else engine.vector_parts(arguments[nm], nm)
                  for nm in ("strata", "proxy")}
        return run_select(engine, BACKEND, opts, EngineSelection, progress, extras)

    return run


def _backend(impl: Any) -> Any:
    import coresample.reference

    if impl is coresample.reference:
        from coresample.reference.select import BACKEND
    else:
        from coresample.core.select import BACKEND
    return BACKEND


def cover(pattern: Tuple[int, ...], n: int) -> list:
    """Chunk sizes repeating `pattern` that add up to exactly n."""
    sizes, total, i = [], 0, 0
    while total < n:
        sizes.append(min(pattern[i % len(pattern)], n - total))
        total += sizes[-1]
        i += 1
    return sizes

"""Case generators for coresample.baselines.* (uniform, k_center_greedy, the uncertainty
selectors) and coresample.regression.* (fit, sample_rows, row_probabilities, leverage scores,
solve)."""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from .cases import Case, materialize
from .gen_public import _rows
from .inputs import Ctx
from .invariants import check_index_array, check_weights, need


def g_uniform(ctx: Ctx) -> Case:
    first = ctx.pick(["int", "int", "X"])
    if first == "int":
        n = int(ctx.pick([1, 2, 5, 100]))
        n_or_X = ctx.scalar("n_or_X", [n, np.int64(n)], [0, -1, 2.5, "5", None])
    else:
        n_or_X = ctx.matrix("n_or_X", bad_prob=0.0)
        ctx.bad.discard("n_or_X")  # documented: only the first dimension is read, values unchecked
        n = n_or_X.shape[0]
    replace = ctx.pick([True, False])
    budget = ctx.budget(n, replace)
    kw: Dict[str, Any] = {"replace": replace, "random_state": ctx.random_state()}
    if ctx.p(0.3):
        kw["sample_weight"] = ctx.vector("sample_weight", n)
        sw = kw["sample_weight"]
        if not replace and isinstance(sw, np.ndarray) and sw.ndim == 1 and sw.dtype.kind in "fiub" \
                and isinstance(budget, int) and budget > np.count_nonzero(sw):
            ctx.maybe.add("budget")
    if ctx.p(0.3):
        kw["n_threads"] = ctx.n_threads()

    def call(impl):
        kk = dict(kw)
        kk["random_state"] = materialize(kk["random_state"])
        return impl.baselines.uniform(n_or_X, budget, **kk)

    def check(sel):
        check_index_array(sel.indices, n, "indices", budget)
        check_weights(sel.weights, budget)

    return Case(ctx.seed, "baselines.uniform", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck="exact", argnames=("n_or_X", "budget") + tuple(kw))


def g_k_center(ctx: Ctx) -> Case:
    X = ctx.matrix("X")
    n = _rows(X)
    budget = ctx.budget(n, False)
    kw: Dict[str, Any] = {"random_state": ctx.random_state()}
    if ctx.p(0.3):
        kw["initial"] = _k_center_initial(ctx, n)
    if ctx.p(0.3):
        kw["n_threads"] = ctx.n_threads()

    def call(impl):
        kk = dict(kw)
        kk["random_state"] = materialize(kk["random_state"])
        return impl.baselines.k_center_greedy(X, budget, **kk)

    def check(sel):
        check_index_array(sel.indices, n, "indices", budget)
        need(len(np.unique(sel.indices)) == budget, "k_center_greedy repeated a row")
        check_weights(sel.weights, budget)

    return Case(ctx.seed, "baselines.k_center_greedy", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck="close" if isinstance(X, np.ndarray) and X.dtype == np.float64 else None,
                argnames=("X", "budget") + tuple(kw),
                data={"X": X, "initial": kw.get("initial")})


def _k_center_initial(ctx: Ctx, n: int) -> np.ndarray:
    r = ctx.rng.random()
    if r < 0.5:
        return ctx.note("initial", ctx.rng.choice(n, size=min(n, int(ctx.pick([1, 2]))),
                                                  replace=False))
    if r < 0.7:
        return ctx.note("initial", np.array([n + 3]), "bad")
    if r < 0.8:
        return ctx.note("initial", np.array([0, 0]), "maybe")
    if r < 0.9:
        return ctx.note("initial", np.array([0.5]), "bad")
    return ctx.note("initial", np.array([], dtype=np.int64), "maybe")


# ---- uncertainty selectors ----------------------------------------------------------------------


def g_uncertainty(ctx: Ctx) -> Case:
    which = ctx.pick(["least_confidence", "margin", "entropy", "uncertainty_scores"])
    n = int(ctx.pick([1, 2, 5, 50]))
    c = int(ctx.pick([1, 2, 3, 10]))
    proba = _class_probabilities(ctx, n, c)
    ctx.track("proba", proba)
    if which == "uncertainty_scores":
        method = ctx.scalar("method", ["entropy", "margin", "least_confidence"], ["magic", None])

        def call(impl):
            return impl.baselines.uncertainty_scores(proba, method)

        def check(s):
            need(s.shape == (n,) and np.isfinite(s).all(), "scores shape/finite")
        args = ("proba", "method")
    else:
        budget = ctx.budget(n, False)

        def call(impl):
            return getattr(impl.baselines, which)(proba, budget)

        def check(sel):
            check_index_array(sel.indices, n, "indices", budget)
            need(len(np.unique(sel.indices)) == budget, "repeated rows")
        args = ("proba", "budget")
    return Case(ctx.seed, f"baselines.{which}", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck="close", argnames=args)


def _class_probabilities(ctx: Ctx, n: int, c: int) -> Any:
    """An n x c probability table, sometimes malformed (NaN, negative, 1-D, object, ...)."""
    raw = ctx.rng.random((n, c)) ** ctx.pick([1, 5])
    proba = raw / raw.sum(1, keepdims=True)
    kind = "ok" if c >= 2 else "bad"
    r = ctx.rng.random()
    if r < 0.06:
        proba[0, 0] = np.nan
        kind = "bad"
    elif r < 0.1:
        proba = proba * 2
        kind = "maybe"
    elif r < 0.14:
        proba = -proba
        kind = "bad"
    elif r < 0.18:
        proba = proba[:, 0]
        kind = "bad"
    elif r < 0.22:
        proba = proba.astype(np.float32)
    elif r < 0.26:
        proba = np.asfortranarray(proba)
    elif r < 0.3:
        proba = np.eye(max(n, c))[:n, :c] if c >= 2 else proba
    elif r < 0.33:
        proba = proba.astype(object)
        kind = "bad"
    elif r < 0.36:
        proba = proba.tolist()
    elif r < 0.39:
        proba = np.full((n, c), 1.0 / c)
    ctx.note("proba", proba, kind)
    return proba


# ---- regression ---------------------------------------------------------------------------------


def g_regression(ctx: Ctx) -> Case:
    which = ctx.pick(["fit", "sample_rows", "row_probabilities", "leverage_scores",
                      "approximate_leverage_scores", "solve"])
    A = ctx.matrix("A", bad_prob=0.15)
    n = (A.shape[0] if isinstance(A, np.ndarray) and A.ndim >= 1
         else len(A) if isinstance(A, list) else 10)
    b = ctx.vector("b", n, nonneg=False, kind_pool=["uniform", "ones", "int", "f32", "list"],
                   bad_prob=0.12)
    if which in ("leverage_scores", "approximate_leverage_scores"):
        ctx.bad.discard("b")  # not an argument of these
        ctx.desc.pop("b", None)
    kw: Dict[str, Any] = {}
    budget = idx = w = None
    if which in ("fit", "sample_rows", "row_probabilities"):
        _regression_sampling_kwargs(ctx, n, kw)
    if which in ("fit", "sample_rows"):
        replace = ctx.pick([True, False])
        kw["replace"] = replace
        budget = ctx.budget(n, replace)
        if ctx.p(0.3):
            kw["include_representatives"] = ctx.pick([True, False])
    if which == "approximate_leverage_scores":
        _leverage_sketch_kwargs(ctx, kw)
    if which == "solve":
        idx, w = _solve_rows(ctx, n)
        if ctx.p(0.2):
            kw["rcond"] = ctx.scalar("rcond", [None, 1e-10], [-1.0, "x"], [float("nan")])
    for nm in ("n_clusters", "scaling", "pilot_residuals", "lam", "sketch", "sketch_size", "jl_dim",
               "rcond"):
        if nm in ctx.bad:  # ignored by some methods, numpy-defined for rcond
            ctx.bad.discard(nm)
            ctx.maybe.add(nm)

    def call(impl):
        kk = dict(kw)
        if "random_state" in kk:
            kk["random_state"] = materialize(kk["random_state"])
        f = getattr(impl.regression, which)
        if which in ("fit", "sample_rows"):
            return f(A, b, budget, **kk)
        if which == "row_probabilities":
            return f(A, b, **kk)
        if which == "solve":
            return f(A, b, idx, w, **kk)
        return f(A, **kk)

    def check(res):
        _check_regression_result(which, res, n)

    return Case(ctx.seed, f"regression.{which}", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck=None, argnames=("A", "b", "indices", "weights", "budget") + tuple(kw))


def _regression_sampling_kwargs(ctx: Ctx, n: int, kw: Dict[str, Any]) -> None:
    """Options of fit / sample_rows / row_probabilities, added to kw."""
    if ctx.p(0.6):
        kw["method"] = ctx.scalar("method", ["cluster", "leverage", "approx_leverage", "uniform"],
                                  ["magic", None])
    if ctx.p(0.3):
        kw["n_clusters"] = ctx.n_clusters(n)
    if ctx.p(0.2):
        kw["scaling"] = ctx.scalar("scaling", ["whiten", "none", "standardize"], ["magic"],
                                   ["none"])
    if ctx.p(0.2):
        kw["pilot_residuals"] = ctx.scalar("pilot_residuals", [None, "fit"], ["magic", 3])
    if ctx.p(0.2):
        kw["lam"] = ctx.scalar("lam", [None, 1.0, 0.0], [-1.0, float("nan")])
    if ctx.p(0.2):
        kw["include_target"] = ctx.pick([True, False])
    if ctx.p(0.2):
        kw["sketch"] = ctx.scalar("sketch", ["countsketch", "gaussian"], ["magic"])
    if ctx.p(0.2):
        kw["sketch_size"] = ctx.scalar("sketch_size", [None, 1, 10, 100], [0, -1, 1.5])
    kw["random_state"] = ctx.random_state()
    if ctx.p(0.3):
        kw["n_threads"] = ctx.n_threads()


def _leverage_sketch_kwargs(ctx: Ctx, kw: Dict[str, Any]) -> None:
    if ctx.p(0.4):
        kw["sketch"] = ctx.scalar("sketch", ["countsketch", "gaussian"], ["magic"])
    if ctx.p(0.4):
        kw["sketch_size"] = ctx.scalar("sketch_size", [None, 1, 10, 100], [0, -1, 1.5])
    if ctx.p(0.3):
        kw["jl_dim"] = ctx.scalar("jl_dim", [None, 1, 5], [0, -1])
    kw["random_state"] = ctx.random_state()


def _solve_rows(ctx: Ctx, n: int):
    """(indices, weights) of the rows solve() fits, sometimes out of range or mismatched."""
    m = int(ctx.pick([1, 3, 10]))
    idx = ctx.rng.integers(0, max(n, 1), size=m)
    w = ctx.rng.uniform(0.1, 2, size=m)
    r = ctx.rng.random()
    if r < 0.1:
        idx = idx + n
        ctx.note("indices", idx, "bad")
    elif r < 0.15:
        w = -w
        ctx.note("weights", w, "bad")
    elif r < 0.2:
        w = w[:-1] if m > 1 else np.r_[w, 1.0]
        ctx.note("weights", w, "bad")
    elif r < 0.25:
        idx = idx.astype(float)
        ctx.note("indices", idx, "bad")
    else:
        ctx.note("indices", idx)
        ctx.note("weights", w)
    return idx, w


def _check_regression_result(which: str, res: Any, n: int) -> None:
    if which in ("leverage_scores", "approximate_leverage_scores", "row_probabilities"):
        need(res.shape == (n,) and np.isfinite(res).all() and (res >= 0).all(),
             f"{which}: not finite/non-negative of shape ({n},)")
    elif which == "solve":
        need(np.isfinite(res).all(), "solve: coef not finite")
    else:
        check_index_array(res.indices, n, "indices")
        check_weights(res.weights, len(res.indices))
        if which == "fit":
            need(np.all(np.isfinite(res.coef)), "coef not finite")

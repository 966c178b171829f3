"""Case generators for coresample's main public entry points: select, select_adaptive, KMeans,
kmeans_plusplus, assign, snap_to_rows, sensitivities, sample, estimate, sample_size,
estimate_lam and Shards. Each takes a `Ctx` and returns a `Case`; its `check` holds the
invariants documented for that entry point."""
from __future__ import annotations

import os
from typing import Any, Dict, Optional, Tuple

import numpy as np

from .cases import Case, OracleError, describe, materialize
from .inputs import Ctx, make_loss_fn
from .invariants import check_index_array, check_selection, check_weights, need


def _shape2(X: Any) -> Tuple[int, int]:
    """(rows, columns) of a 2-D input however malformed, else a stand-in (10, 2)."""
    try:
        a = np.asarray(X, dtype=object)
        if a.ndim == 2 and a.shape[1] > 0:
            return int(a.shape[0]), int(a.shape[1])
    except Exception:
        pass
    return 10, 2


def _rows(X: Any, default: int = 10) -> int:
    try:
        a = np.asarray(X, dtype=object)
        return int(a.shape[0]) if a.ndim >= 1 else default
    except Exception:
        return default


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# ---- select -------------------------------------------------------------------------------------


def g_select(ctx: Ctx) -> Case:
    X = ctx.matrix("X")
    n = _rows(X)
    replace = ctx.scalar("replace", [True, True, False], [], [1, 0, "yes", None], maybe_prob=0.04)
    budget = ctx.budget(n, bool(replace))
    k = ctx.n_clusters(n)
    kw = _select_kwargs(ctx, n, k, replace)

    def call(impl):
        kk = dict(kw)
        kk["random_state"] = materialize(kk["random_state"])
        return impl.select(X, budget, **kk)

    def check(sel):
        # losses/weights near 1e300: an overflowing estimate/stderr is fair
        skip = "loss_fn" in ctx.maybe or "sample_weight" in ctx.maybe
        check_selection(sel, n, budget, k if isinstance(k, (int, np.integer)) else None,
                        sel.replace, skip_estimate=skip, X=X)
        if "loss_fn" in kw:
            need(sel.n_queries <= len(np.unique(np.r_[sel.indices, sel.representatives])),
                 f"n_queries {sel.n_queries} > distinct rows")

    return Case(ctx.seed, "select", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck=select_crosscheck(ctx, X, n), argnames=("X", "budget") + tuple(kw),
                data=select_data(X, budget, kw))


def select_crosscheck(ctx: Ctx, X: Any, n: Any) -> Optional[str]:
    """The crosscheck "select" (exact agreement with the reference) only where no near-ties
    can break differently: small float64 blobs; None elsewhere."""
    if isinstance(X, np.ndarray) and X.dtype == np.float64 and ctx.data_kind == "blobs" \
            and n <= 100:
        return "select"
    return None


def select_data(X: Any, budget: Any, kw: Dict[str, Any]) -> Dict[str, Any]:
    """What ties.check_select needs: the call's arguments (a fresh Generator each time)."""
    def kwargs() -> Dict[str, Any]:
        kk = dict(kw)
        kk["random_state"] = materialize(kk["random_state"])
        kk.pop("progress", None)
        return kk

    return {"X": X, "budget": budget, "kwargs": kwargs}


def _select_kwargs(ctx: Ctx, n: int, k: Any, replace: Any) -> Dict[str, Any]:
    kw: Dict[str, Any] = dict(n_clusters=k, replace=replace)
    if ctx.p(0.6):
        kw["z"] = ctx.z()
    if ctx.p(0.5):
        kw["lam"] = ctx.scalar("lam", [1.0, 0.0, 0.5, 1e-300, 1e300, 3],
                               [-1.0, float("nan"), float("inf"), "x", None, True], ["auto"])
    if ctx.p(0.4):
        kw["loss_fn"] = make_loss_fn(ctx, n)
    if ctx.p(0.3):
        kw["sample_weight"] = ctx.vector("sample_weight", n)
    if ctx.p(0.3):
        kw["method"] = ctx.scalar("method", ["lightweight", "coreset"], ["magic", None, 1])
    if ctx.p(0.3):
        kw["estimator"] = ctx.scalar("estimator", ["plain", "difference"], ["magic", None])
        if kw["estimator"] == "difference":
            # needs a loss_fn, and the representatives' losses, which select's default design
            # (stratified) does not query: refused either way here (gen_designs varies design)
            ctx.bad.add("estimator")
    if ctx.p(0.3):
        kw["init"] = ctx.scalar("init", ["auto", "k-means++", "k-means||"], ["random", None, 3])
    if ctx.p(0.3):
        kw["max_iter"] = ctx.scalar("max_iter", [0, 1, 5, 20, 300], [-1, 1.5, "3", None])
    if ctx.p(0.3):
        kw["tol"] = ctx.scalar("tol", [0.0, 1e-4, 1.0, 1e300],
                               [-1.0, float("nan"), "x", float("inf")])
    if ctx.p(0.3):
        kw["max_points_per_center"] = ctx.scalar("max_points_per_center",
                                                 ["auto", None, 1, 2, 48], [0, -1, "fast", 1.5])
    kw["random_state"] = ctx.random_state()
    if ctx.p(0.5):
        kw["n_threads"] = ctx.n_threads()
    if ctx.p(0.1):
        kw["progress"] = ctx.scalar("progress", [False, None], [], [lambda *a: None])
    if kw.get("lam") == "auto" and "loss_fn" not in kw:
        ctx.maybe.add("lam")
    return kw


# ---- select_adaptive ----------------------------------------------------------------------------


def g_select_adaptive(ctx: Ctx) -> Case:
    X = ctx.matrix("X", bad_prob=0.15)
    n = _rows(X)
    rounds = ctx.scalar("rounds", [1, 1, 2, 3], [0, -1, 1.5, None, n + 1])
    budget = ctx.scalar("budget", sorted({min(n, 2), min(n, 3), max(1, n // 2), n}),
                        [0, -1, n + 1, 1.5, None])
    if isinstance(budget, int) and _is_int(rounds) and rounds >= 1 and budget < rounds + 1:
        ctx.maybe.add("budget")
    k = ctx.n_clusters(n)
    warm = ctx.scalar("warm_start", [0.2, 0.5, 0.99], [0.0, -0.1, 1.5, float("nan"), "x"], [1.0])
    kind = ctx.pick(["array", "array", "callable", "zeros", "wrong_len", "neg", "nan", "raises",
                     "none", "callable_bad"])
    table = ctx.rng.uniform(0, 2, size=max(n, 1))
    score_fn = _score_fn(kind, table, n)
    ctx.raises = kind == "raises"
    ctx.note("score_fn", score_fn, "ok" if kind in ("array", "zeros", "callable") else "bad")
    kw = dict(n_clusters=k, score_fn=score_fn, warm_start=warm, rounds=rounds)
    if ctx.p(0.3):
        kw["z"] = ctx.z()
    if ctx.p(0.3):
        kw["sample_weight"] = ctx.vector("sample_weight", n)
    if ctx.p(0.3):
        kw["lam"] = ctx.scalar("lam", [1.0, 0.0, "auto"], [-1.0, float("nan")])
    kw["random_state"] = ctx.random_state()
    if ctx.p(0.4):
        kw["n_threads"] = ctx.n_threads()

    def call(impl):
        kk = dict(kw)
        kk["random_state"] = materialize(kk["random_state"])
        return impl.select_adaptive(X, budget, **kk)

    def check(res):
        check_index_array(res.indices, n, "indices", budget)
        need(len(np.unique(res.indices)) == len(res.indices), "adaptive selection repeated a row")
        check_weights(res.weights, len(res.indices), positive=False)
        need((res.weights >= 0).all(), "negative weight")

    return Case(ctx.seed, "select_adaptive", call, ctx.desc, ctx.bad, ctx.maybe, check,
                argnames=("X", "budget") + tuple(kw))


def _score_fn(kind: str, table: np.ndarray, n: int):
    """A select_adaptive scorer: right (array, zeros, callable) or broken one way."""
    def score_fn(rows, weights):
        if kind == "array":
            return table[:n].copy()
        if kind == "zeros":
            return np.zeros(n)
        if kind == "callable":
            return lambda r: table[np.asarray(r)]
        if kind == "callable_bad":
            return lambda r: -np.ones(len(r))
        if kind == "wrong_len":
            return np.ones(n + 1)
        if kind == "neg":
            return -np.ones(n)
        if kind == "nan":
            return np.full(n, np.nan)
        if kind == "raises":
            raise OracleError("score_fn failed on purpose")
        return None

    score_fn.fuzz_desc = f"<score_fn {kind}>"
    return score_fn


# ---- KMeans and kmeans_plusplus -----------------------------------------------------------------


def g_kmeans(ctx: Ctx) -> Case:
    method = ctx.pick(["fit", "predict", "transform", "score", "fit_predict", "fit_transform"])
    X = ctx.matrix("X", bad_prob=0.2)
    n = _rows(X)
    d = _shape2(X)[1] if _shape2(X)[1] > 0 else 2
    k = ctx.n_clusters(n)
    kw = _kmeans_kwargs(ctx, k, d)
    sw = ctx.vector("sample_weight", n) if ctx.p(0.3) else None
    X2 = X
    if method in ("predict", "transform", "score") and ctx.p(0.5):
        X2 = ctx.matrix("X_predict", d=d if ctx.p(0.8) else d + 1, bad_prob=0.2)
        if isinstance(X2, np.ndarray) and X2.ndim == 2 and X2.shape[1] != d:
            ctx.bad.add("X_predict")
    if method in ("predict", "transform", "score") and "X_predict" in ctx.bad:
        ctx.bad.add("X")  # sklearn's message names "X"

    def call(impl):
        kk = dict(kw)
        kk["random_state"] = materialize(kk["random_state"])
        km = impl.KMeans(k, **kk)
        if method == "fit":
            return km.fit(X, sample_weight=sw)
        if method == "fit_predict":
            return km.fit_predict(X, sample_weight=sw)
        if method == "fit_transform":
            return km.fit_transform(X, sample_weight=sw)
        km.fit(X, sample_weight=sw)
        if method == "score":
            return km.score(X2)
        return getattr(km, method)(X2)

    def check(res):
        m = _rows(X2) if method in ("predict", "transform") else n
        _check_kmeans_result(method, res, n, m, k, d)

    return Case(ctx.seed, f"KMeans.{method}", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck=None,
                argnames=("X", "n_clusters", "sample_weight", "X_predict") + tuple(kw))


def _kmeans_kwargs(ctx: Ctx, k: Any, d: int) -> Dict[str, Any]:
    kw: Dict[str, Any] = {}
    if ctx.p(0.5):
        kw["z"] = ctx.z()
    if ctx.p(0.4):
        kw["init"] = _kmeans_init(ctx, k, d)
    if ctx.p(0.3):
        kw["max_iter"] = ctx.scalar("max_iter", [0, 1, 10, 300], [-1, 1.5, None])
    if ctx.p(0.3):
        kw["tol"] = ctx.scalar("tol", [0.0, 1e-4, 10.0], [-1.0, float("nan")])
    if ctx.p(0.3):
        kw["max_points_per_center"] = ctx.scalar("max_points_per_center", [None, 1, 3, 50],
                                                 [0, -2, "x", 2.5])
    kw["random_state"] = ctx.random_state()
    if ctx.p(0.4):
        kw["n_threads"] = ctx.n_threads()
    return kw


def _kmeans_init(ctx: Ctx, k: Any, d: int) -> Any:
    """An init array (k x d, or with a wrong column count) or an init name."""
    r = ctx.rng.random()
    if r < 0.3 and _is_int(k) and 1 <= k <= 10**5:
        init = ctx.rng.normal(size=(k, d))
        if ctx.p(0.3):
            init = init[:, :max(1, d - 1)] if d > 1 else np.ones((k, 2))
            ctx.note("init", init, "bad")
        else:
            ctx.note("init", init)
        return init
    return ctx.scalar("init", ["k-means++", "k-means||"], ["random", None, 5])


def _check_kmeans_result(method: str, res: Any, n: int, m: int, k: Any, d: int) -> None:
    """m: rows of the input the method answers for (X_predict for predict/transform)."""
    if method == "fit":
        check_index_array(res.labels_, k, "labels_", n)
        need(res.cluster_centers_.shape == (k, d), f"centers shape {res.cluster_centers_.shape}")
        need(np.isfinite(res.cluster_centers_).all(), "cluster_centers_ not finite")
        need(np.isfinite(res.inertia_) and res.inertia_ >= 0, f"inertia_ {res.inertia_!r}")
    elif method in ("predict", "fit_predict"):
        check_index_array(res, k, "labels", m)
    elif method in ("transform", "fit_transform"):
        need(res.shape == (m, k), f"transform shape {res.shape}")
        need(np.isfinite(res).all() and (res >= 0).all(), "transform: distances not finite/>=0")
    elif method == "score":
        need(np.isfinite(res) and res <= 0, f"score {res!r} not finite and <= 0")


def g_kmeans_plusplus(ctx: Ctx) -> Case:
    X = ctx.matrix("X")
    n = _rows(X)
    k = ctx.n_clusters(n)
    kw: Dict[str, Any] = {}
    if ctx.p(0.5):
        kw["z"] = ctx.z()
    if ctx.p(0.3):
        kw["sample_weight"] = ctx.vector("sample_weight", n)
    if ctx.p(0.4):
        # k * n_local_trials * n * d flops: big trial counts only for small n (a 60 s "hang"
        # is no bug)
        kw["n_local_trials"] = ctx.scalar("n_local_trials",
                                          [None, 1, 2, 10, 1000 if n <= 300 else 20],
                                          [0, -1, 1.5, "2"], [2**31, 2**40])
    kw["random_state"] = ctx.random_state()
    if ctx.p(0.5):
        kw["n_threads"] = ctx.n_threads()

    def call(impl):
        kk = dict(kw)
        kk["random_state"] = materialize(kk["random_state"])
        return impl.kmeans_plusplus(X, k, **kk)

    def check(idx):
        check_index_array(idx, n, "indices", k)

    blobs64 = isinstance(X, np.ndarray) and X.dtype == np.float64 and ctx.data_kind == "blobs"
    return Case(ctx.seed, "kmeans_plusplus", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck="close" if blobs64 else None,
                argnames=("X", "n_clusters") + tuple(kw),
                data=_plusplus_data(X, k, kw) if blobs64 else {})


def _plusplus_data(X: Any, k: Any, kw: Dict[str, Any]) -> Dict[str, Any]:
    """What ties.check_plusplus needs to replay the seeding (empty if the arguments are bad)."""
    from coresample._algorithm.kmeans import default_local_trials
    from coresample._base.random import seed_from_random_state

    try:
        return {"X": X, "sample_weight": kw.get("sample_weight"), "z": float(kw.get("z", 2.0)),
                "seed": seed_from_random_state(materialize(kw["random_state"])),
                "n_trials": kw.get("n_local_trials") or default_local_trials(int(k))}
    except Exception:  # noqa: BLE001 - refused arguments: the call raises, no crosscheck
        return {}


# ---- assign and snap_to_rows --------------------------------------------------------------------


def g_assign(ctx: Ctx) -> Case:
    X = ctx.matrix("X")
    n, d = _shape2(X)
    kc = int(ctx.pick([1, 2, 3, 7, 40]))
    C = ctx.matrix("centers", n=kc, d=d if ctx.p(0.85) else d + 1, bad_prob=0.15)
    if isinstance(C, np.ndarray) and C.ndim == 2 and C.shape[1] != d:
        ctx.bad.add("centers")
    kw: Dict[str, Any] = {}
    zz = ctx.z() if ctx.p(0.6) else 2.0
    if ctx.p(0.5):
        kw["n_threads"] = ctx.n_threads()

    def call(impl):
        return impl.assign(X, C, zz, **kw)

    def check(res):
        labels, cost = res
        check_index_array(labels, kc, "labels", n)
        need(cost.shape == (n,) and cost.dtype == np.float64, "cost shape/dtype")
        need((cost >= 0).all(), "cost negative")
        need(np.isfinite(cost).all(),
             f"cost not finite ({int((~np.isfinite(cost)).sum())} entries)")

    return Case(ctx.seed, "assign", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck="cost", argnames=("X", "centers", "z") + tuple(kw),
                data={"X": X, "C": C, "z": zz})


def g_snap(ctx: Ctx) -> Case:
    X = ctx.matrix("X")
    n, d = _shape2(X)
    kc = int(ctx.pick([1, 2, 3, 5]))
    C = ctx.matrix("centers", n=kc, d=d if ctx.p(0.9) else d + 1, bad_prob=0.1)
    if isinstance(C, np.ndarray) and C.ndim == 2 and C.shape[1] != d:
        ctx.bad.add("centers")
    labels = _snap_labels(ctx, n, kc)
    ctx.track("labels", labels)
    kw = {"n_threads": ctx.n_threads()} if ctx.p(0.5) else {}

    def call(impl):
        return impl.snap_to_rows(X, C, labels, **kw)

    def check(out):
        need(isinstance(out, np.ndarray) and out.dtype == np.int64 and out.shape == (kc,),
             f"snap output {describe(out)}")
        need(((out >= -1) & (out < n)).all(), f"snap index out of range: {out}")
        for c, r_ in enumerate(out):
            # documented: a member of cluster c; a center with no members takes any (nearest) row
            if (np.asarray(labels) == c).any():
                need(labels[r_] == c, f"representative {r_} of cluster {c} has label {labels[r_]}")

    return Case(ctx.seed, "snap_to_rows", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck="exact", argnames=("X", "centers", "labels") + tuple(kw),
                data={"X": X, "centers": C})


def _snap_labels(ctx: Ctx, n: int, kc: int) -> np.ndarray:
    """Labels in [0, kc), out of range, short, float, another int dtype, or all one cluster."""
    r = ctx.rng.random()
    labels = ctx.rng.integers(0, kc, size=n)
    if r < 0.1:
        labels = labels + kc
        ctx.note("labels", labels, "bad")
    elif r < 0.15:
        labels = labels[:-1]
        ctx.note("labels", labels, "bad")
    elif r < 0.2:
        labels = labels.astype(float)
        ctx.note("labels", labels, "bad")
    elif r < 0.25:
        labels = -labels - 1
        ctx.note("labels", labels, "bad")
    elif r < 0.35:
        labels = labels.astype(ctx.pick([np.int32, np.uint8, np.uint64]))
        ctx.note("labels", labels)
    elif r < 0.45:
        labels = np.zeros(n, dtype=np.int64)   # empty clusters
        ctx.note("labels", labels)
    else:
        ctx.note("labels", labels)
    return labels


# ---- sensitivities, sample, estimate, sample_size, estimate_lam ---------------------------------


def g_sensitivities(ctx: Ctx) -> Case:
    n = int(ctx.pick([1, 2, 5, 30, 100]))
    kc = int(ctx.pick([1, 2, 3, 8]))
    cost = ctx.vector("cost", n, kind_pool=["uniform", "zeros_some", "ones", "huge", "tiny", "int"])
    labels = _sensitivity_labels(ctx, n, kc)
    kw = _sensitivity_kwargs(ctx, n, kc)
    n = ctx.settle_lengths("cost", {"cost": cost, "labels": labels,
                                    "sample_weight": kw.get("sample_weight")}) or n
    if "center_losses" not in kw and kw.get("n_clusters", None) is None and labels.size:
        ctx.maybe.add("n_clusters")
    for nm in ("labels", "center_losses"):
        # validity depends on n_clusters / len(center_losses): leave it to the library
        if nm in ctx.bad and isinstance(ctx.desc.get(nm), str) \
                and ("int64" in ctx.desc[nm] or "float64" in ctx.desc[nm]):
            ctx.bad.discard(nm)
            ctx.maybe.add(nm)

    def call(impl):
        return impl.sensitivities(cost, labels, **kw)

    def check(p):
        need(isinstance(p, np.ndarray) and p.dtype == np.float64 and p.shape == (n,), "p shape")
        need(np.isfinite(p).all() and (p >= 0).all(), "p not finite/non-negative")
        need(abs(p.sum() - 1) < 1e-9, f"p sums to {p.sum()!r}")

    return Case(ctx.seed, "sensitivities", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck="close", argnames=("cost", "labels") + tuple(kw))


def _sensitivity_labels(ctx: Ctx, n: int, kc: int) -> np.ndarray:
    labels = ctx.rng.integers(0, kc, size=n)
    r = ctx.rng.random()
    if r < 0.08:
        labels = labels + kc
        ctx.note("labels", labels, "bad")
    elif r < 0.12:
        labels = labels[:-1]
        ctx.note("labels", labels, "bad")
        ctx.how["labels"] = "short"
    elif r < 0.16:
        labels = labels + 0.5
        ctx.note("labels", labels, "bad")
    else:
        ctx.note("labels", labels)
    return labels


def _sensitivity_kwargs(ctx: Ctx, n: int, kc: int) -> Dict[str, Any]:
    kw: Dict[str, Any] = {}
    if ctx.p(0.5):
        kw["center_losses"] = ctx.vector("center_losses", kc,
                                         kind_pool=["uniform", "ones", "zeros_some", "huge", "int"])
    if ctx.p(0.5):
        kw["lam"] = ctx.scalar("lam", [0.0, 1.0, 2.5, 1e-300],
                               [-1.0, float("nan"), float("inf"), "x"], [1e300])
    if ctx.p(0.3):
        kw["sample_weight"] = ctx.vector("sample_weight", n)
    if ctx.p(0.4):
        kw["method"] = ctx.scalar("method", ["lightweight", "coreset"], ["magic", None])
    if "center_losses" not in kw or ctx.p(0.5):
        kw["n_clusters"] = ctx.scalar("n_clusters", [kc, kc + 2], [0, -1, 1.5], [None])
    return kw


def g_sample(ctx: Ctx) -> Case:
    n = int(ctx.pick([1, 2, 3, 10, 100, 1000]))
    p = ctx.vector("p", n, free_len=True, kind_pool=["uniform", "zeros_some", "ones", "int",
                                                     "huge", "tiny", "f32", "list", "bool"])
    replace = ctx.scalar("replace", [True, False], [], [1, 0, None], maybe_prob=0.05)
    positive = int(np.count_nonzero(np.asarray(p, dtype=float))) if isinstance(p, np.ndarray) \
        and p.ndim == 1 and p.dtype.kind in "fiub" else n
    size = ctx.budget(positive, bool(replace), name="size")
    kw = {"replace": replace, "random_state": ctx.random_state()}
    if ctx.p(0.5):
        kw["n_threads"] = ctx.n_threads()

    def call(impl):
        kk = dict(kw)
        kk["random_state"] = materialize(kk["random_state"])
        return impl.sample(p, size, **kk)

    def check(res):
        idx, w = res
        n_p = len(np.asarray(p))  # p's own length (the generator may have made it longer/shorter)
        check_index_array(idx, n_p, "indices", size)
        check_weights(w, size)
        pp = np.asarray(p, dtype=float)
        need(np.all(pp[idx] > 0), "sampled a row with p = 0")
        if not replace:
            need(len(np.unique(idx)) == size, "replace=False repeated a row")

    return Case(ctx.seed, "sample", call, ctx.desc, ctx.bad, ctx.maybe, check, crosscheck="exact",
                argnames=("p", "size") + tuple(kw))


def g_estimate(ctx: Ctx) -> Case:
    s = int(ctx.pick([1, 2, 5, 50]))
    losses = ctx.vector("losses", s, nonneg=False)
    weights = ctx.vector("weights", s, kind_pool=["uniform", "ones", "int", "huge", "tiny", "list"])
    tw = ctx.scalar("total_weight", [1.0, 10.0, 1e6, 3],
                    [0.0, -1.0, float("nan"), float("inf"), "x", None], [1e-300, 1e308])
    kw = _estimate_kwargs(ctx, s)
    s = ctx.settle_lengths("weights", {"weights": weights, "losses": losses,
                                       "sample_weight": kw.get("sample_weight"),
                                       "control": kw.get("control")}) or s
    if kw.get("replace", True) and "sample_weight" in ctx.bad:
        ctx.bad.discard("sample_weight")   # documented: used only when replace=False
        ctx.maybe.add("sample_weight")

    def call(impl):
        return impl.estimate(losses, weights, tw, **kw)

    def check(est):
        need(est.n_samples == s, "n_samples")
        edge = bool({"losses", "weights", "total_weight", "control", "sample_weight"}
                    & ctx.maybe)  # values near 1e300: inf or 0 * inf on the way
        need(np.isfinite(est.total) or edge, f"total {est.total!r}")
        # The variance of i.i.d. draws needs two of them: NaN for a single draw with
        # replacement (documented by estimate), finite otherwise.
        single = s == 1 and kw.get("replace", True)
        need(np.isnan(est.stderr) if single else np.isfinite(est.stderr) or edge,
             f"stderr {est.stderr!r} with {s} draw(s)")

    return Case(ctx.seed, "estimate", call, ctx.desc, ctx.bad, ctx.maybe, check, crosscheck="close",
                argnames=("losses", "weights", "total_weight") + tuple(kw))


def _estimate_kwargs(ctx: Ctx, s: int) -> Dict[str, Any]:
    kw: Dict[str, Any] = {}
    if ctx.p(0.4):
        kw["replace"] = ctx.note("replace", ctx.pick([True, False]))
    if ctx.p(0.3):
        kw["sample_weight"] = ctx.vector("sample_weight", s)
        if kw.get("replace", True) and "sample_weight" in ctx.bad:
            ctx.bad.discard("sample_weight")   # documented: used only when replace=False
            ctx.maybe.add("sample_weight")
    if ctx.p(0.3):
        kw["control"] = ctx.vector("control", s, nonneg=False)
        kw["control_total"] = ctx.scalar("control_total", [0.0, 5.0, -3.0], [float("nan"), "x"])
    if ctx.p(0.3):
        kw["confidence"] = ctx.scalar("confidence", [0.5, 0.95, 0.999],
                                      [0.0, 1.5, -0.1, float("nan")], [1.0])
    if ctx.p(0.3):
        kw["self_normalized"] = ctx.note("self_normalized", ctx.pick([True, False]))
    return kw


def g_sample_size(ctx: Ctx) -> Case:
    eps = ctx.scalar("epsilon", [0.05, 0.5, 1.0, 0.01, 1e-3],
                     [0.0, -0.1, float("nan"), float("inf"), "x", None],
                     [1e-9, 1e-200, 2.0, 1e10], bad_prob=0.25, maybe_prob=0.2)
    kw: Dict[str, Any] = {}
    if ctx.p(0.5):
        kw["delta"] = ctx.scalar("delta", [0.05, 0.5, 0.01], [0.0, 1.0, -1.0, 1.5, float("nan")],
                                 [1e-300, 0.9999999])
    if ctx.p(0.5):
        kw["bound"] = ctx.scalar("bound", ["normal", "chebyshev"], ["magic", None])

    def call(impl):
        return impl.sample_size(eps, **kw)

    def check(s):
        need(isinstance(s, int) and s >= 1, f"sample_size returned {s!r}")

    return Case(ctx.seed, "sample_size", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck="exact", argnames=("epsilon",) + tuple(kw))


def g_estimate_lam(ctx: Ctx) -> Case:
    Xr = ctx.matrix("X_rows")
    m = Xr.shape[0] if isinstance(Xr, np.ndarray) and Xr.ndim >= 1 else 5
    losses = ctx.vector("losses", m)
    zz = ctx.z() if ctx.p(0.5) else 2.0

    def call(impl):
        return impl.estimate_lam(Xr, losses, zz)

    def check(lam):
        need(isinstance(lam, float) and lam >= 0, f"estimate_lam returned {lam!r}")
        need(np.isfinite(lam) or "losses" in ctx.maybe, f"estimate_lam returned {lam!r}")

    return Case(ctx.seed, "estimate_lam", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck="close", argnames=("X_rows", "losses", "z"))


# ---- Shards (out-of-core select) ----------------------------------------------------------------


def g_shards(ctx: Ctx) -> Case:
    n_parts = int(ctx.pick([1, 2, 3]))
    d = int(ctx.pick([1, 3, 4]))
    parts: Any = [ctx.matrix(f"parts[{i}]", n=int(ctx.pick([1, 5, 40])), d=d, bad_prob=0.08)
                  for i in range(n_parts)]
    kind = "ok"
    if n_parts > 1 and ctx.p(0.15):
        parts[-1] = np.ones((3, d + 1))
        kind = "bad"
    form = ctx.pick(["arrays", "arrays", "paths", "folder", "empty", "ndarray"])
    if form in ("paths", "folder"):
        paths, folder = _save_shards(ctx, parts, d)
        parts = folder if form == "folder" else paths
    elif form == "empty":
        parts = []
        kind = "bad"
    elif form == "ndarray":
        parts = np.ones((4, 2))
        kind = "bad"
    if any(k.startswith("parts") for k in ctx.bad | ctx.maybe) and kind == "ok":
        kind = "maybe"  # NaN/empty/odd dtype shards: refused by Shards or by select (as "X")
    ctx.bad = {b for b in ctx.bad if not b.startswith("parts")}
    ctx.note("parts", parts if not isinstance(parts, list) else f"list of {len(parts)}", kind)
    budget = int(ctx.pick([1, 3, 10]))
    k = int(ctx.pick([1, 2, 3]))
    mppc = ctx.pick([None, 2, 50])
    rs = int(ctx.rng.integers(100))
    ctx.desc["select"] = (f"select(Shards, {budget}, n_clusters={k}, "
                          f"max_points_per_center={mppc}, random_state={rs})")

    def call(impl):
        sh = impl.Shards(parts)
        n_ = sh.shape[0]
        if k > n_:
            return ("small", sh.shape)
        sel = impl.select(sh, budget, n_clusters=k, max_points_per_center=mppc, random_state=rs)
        return sh.shape, sel.indices, sel.weights

    return Case(ctx.seed, "Shards", call, ctx.desc, ctx.bad, ctx.maybe, None, crosscheck=None,
                argnames=("parts",))


def _save_shards(ctx: Ctx, parts: list, d: int) -> Tuple[list, str]:
    """Each part as a .npy file in a folder of its own (an unsavable part as a 2 x d stand-in)."""
    folder = os.path.join(ctx.tmpdir, f"shards_{ctx.seed}")
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i, a in enumerate(parts):
        path = os.path.join(folder, f"{i:03d}.npy")
        try:
            np.save(path, np.asarray(a))
        except Exception:
            np.save(path, np.ones((2, d)))
        paths.append(path)
    return paths, folder

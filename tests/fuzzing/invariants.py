"""The checks applied to a call's result: documented invariants (index ranges and dtypes, finite
positive weights, lengths, probabilities summing to 1, ...), and the comparison of two results
leaf by leaf (a repeated call, or the core against coresample.reference)."""
from __future__ import annotations

import dataclasses
import math
from typing import Any, List, Optional

import numpy as np


class InvariantError(AssertionError):
    pass


def need(cond: bool, msg: str) -> None:
    if not cond:
        raise InvariantError(msg)


def check_index_array(a: Any, n: int, name: str, length: Optional[int] = None) -> None:
    need(isinstance(a, np.ndarray), f"{name} is {type(a).__name__}, not ndarray")
    need(a.dtype == np.int64, f"{name} dtype {a.dtype}, not int64")
    need(a.ndim == 1, f"{name} has shape {a.shape}")
    if length is not None:
        need(a.shape[0] == length, f"{name} has length {a.shape[0]}, expected {length}")
    if a.size:
        need(a.min() >= 0 and a.max() < n, f"{name} outside [0, {n}): [{a.min()}, {a.max()}]")


def check_weights(w: Any, length: int, name: str = "weights", positive: bool = True) -> None:
    need(isinstance(w, np.ndarray) and w.ndim == 1, f"{name} not a 1-D ndarray")
    need(w.shape[0] == length, f"{name} has length {w.shape[0]}, expected {length}")
    need(np.isfinite(w).all(), f"{name} not finite: {w[~np.isfinite(w)][:5]}")
    if positive:
        need((w > 0).all(), f"{name} not > 0: min {w.min() if w.size else None}")


def check_selection(sel, n: int, budget: Optional[int], k: Optional[int], replace: bool,
                    skip_estimate: bool = False, X: Any = None) -> None:
    """A Selection from select(): sampled rows, probabilities, clustering and estimate."""
    check_index_array(sel.indices, n, "indices", budget)
    check_weights(sel.weights, len(sel.indices))
    if not replace:
        need(len(np.unique(sel.indices)) == len(sel.indices), "replace=False gave repeated rows")
    check_probabilities(sel, n)
    if k is not None:
        check_clustering(sel, n, k)
        check_representatives(sel, X)
    need(np.isfinite(sel.total_weight) and sel.total_weight > 0,
         f"total_weight {sel.total_weight!r}")
    if sel.estimate is not None and not skip_estimate:
        need(np.isfinite(sel.estimate), f"estimate {sel.estimate!r} not finite")
        need(sel.stderr is None or np.isfinite(sel.stderr) or len(sel.indices) < 2,
             f"stderr {sel.stderr!r}")


def check_probabilities(sel, n: int) -> None:
    p = sel.probabilities
    need(isinstance(p, np.ndarray) and p.shape == (n,),
         f"probabilities shape {getattr(p, 'shape', None)}")
    need(np.isfinite(p).all() and (p >= 0).all(), "probabilities not finite/non-negative")
    need(abs(p.sum() - 1.0) < 1e-6, f"probabilities sum to {p.sum()!r}")
    need(np.all(p[sel.indices] > 0), "a sampled row has probability 0")


def check_clustering(sel, n: int, k: int) -> None:
    check_index_array(sel.representatives, n, "representatives", k)
    check_index_array(sel.labels, k, "labels", n)
    need(isinstance(sel.cost, np.ndarray) and sel.cost.shape == (n,), "cost shape")
    need(np.isfinite(sel.cost).all() and (sel.cost >= 0).all(), "cost not finite/non-negative")
    need(np.isfinite(sel.inertia) and sel.inertia >= 0, f"inertia {sel.inertia!r}")


def check_representatives(sel, X: Any) -> None:
    """Each representative is a row of X at cost 0 from itself, so its own label's cost is 0 up
    to the ranking's rounding (another representative within rounding may win: ties.py checks
    the labels of the representatives' rows against that bound, and their costs directly).
    This is the check that `need(np.all(sel.cost[sel.representatives] == 0) or True, "")`
    in the old tests/fuzzing.py meant and could not fail."""
    from . import ties

    if not isinstance(X, np.ndarray) or X.ndim != 2 or X.dtype.kind != "f" or X.size == 0:
        return
    reps = np.asarray(sel.representatives)
    if reps.size * reps.size * X.shape[1] > 4_000_000:
        reps = reps[:: max(1, reps.size // 200)]  # bound the k x k distance matrix
    R = np.asarray(X, np.float64)[np.asarray(sel.representatives)]
    rows = np.asarray(X, np.float64)[reps]
    labels = np.asarray(sel.labels)[reps]
    dtype = np.float32 if X.dtype == np.float16 else X.dtype
    D = ties.squared_distances(rows, R)
    own = D[np.arange(reps.size), labels]
    xn = np.sqrt((rows ** 2).sum(1))
    rn = np.sqrt((R ** 2).sum(1))
    slack = ties.rank_slack(xn, rn[labels], xn, X.shape[1], dtype)
    bad = np.flatnonzero(own > slack)
    need(not bad.size, f"representative row {int(reps[bad[0]]) if bad.size else -1} is labelled "
                       f"with a representative at squared distance "
                       f"{own[bad[0]] if bad.size else 0!r} (not a tie with itself)")


# ---- the designs: positivity, strata, evaluate --------------------------------------------------


def check_positivity(sel, u: Optional[np.ndarray], defensive: Any) -> None:
    """Every row of positive sample weight can carry loss, so the design must reach it: p > 0
    there (the stratified design always; the sensitivity design with a defensive share a > 0,
    p >= a u / U, except where that share underflows), and p = 0 on rows of zero weight."""
    p = sel.probabilities
    u = np.ones(p.shape[0]) if u is None else u
    pos = u > 0
    need(np.all(p[~pos] == 0), "a row of zero sample weight has p > 0")
    if sel.design == "sensitivity":
        if not (isinstance(defensive, (float, int)) and defensive > 0):
            return  # the paper's distribution: p = 0 where the bound is 0 (documented)
        reach = pos & (defensive * (u / u.sum()) > 1e-300)
    else:
        reach = pos
    bad = np.flatnonzero(reach & ~(p > 0))
    need(not bad.size, f"positivity: row {int(bad[0]) if bad.size else -1} has sample weight "
                       f"{u[bad[0]] if bad.size else 0!r} > 0 and p = 0 ({sel.design})")


def check_stratified(sel, n: int, budget: int, u: Optional[np.ndarray], groups: Any) -> None:
    """The stratified design's bookkeeping (python/coresample/_algorithm/strata.py): strata and
    sizes, an allocation of the budget that gives every stratum of positive weight at least one
    draw (min(2, N_h); none to the stratum of zero-weight rows), the draws per stratum, the
    weights u_i N_h / n_h, strata nested in the user's groups, at most budget // 5 strata per
    group."""
    h = sel.strata
    check_index_array(h, len(sel.stratum_sizes), "strata", n)
    H = len(sel.stratum_sizes)
    need(np.array_equal(np.bincount(h, minlength=H), sel.stratum_sizes), "stratum_sizes")
    a = sel.allocation
    need(a.shape == (H,) and (a >= 0).all() and int(a.sum()) == budget,
         f"allocation {a} does not split budget={budget}")
    if not sel.replace:
        need((a <= sel.stratum_sizes).all(), "allocation above a stratum's size")
    w = np.ones(n) if u is None else u
    U = np.bincount(h, w, minlength=H)
    need(np.all(a[U > 0] >= 1), f"positivity: a stratum of positive weight got no draw ({a})")
    cap = sel.stratum_sizes[U > 0] if not sel.replace else np.full(int((U > 0).sum()), 2)
    need(np.all(a[U > 0] >= np.minimum(min(2, budget), cap)),
         "a stratum of positive weight got fewer than min(2, N_h) draws")
    need(np.all(a[U == 0] == 0), "the stratum of zero-weight rows got draws")
    need(np.array_equal(np.bincount(h[sel.indices], minlength=H), a), "draws per stratum")
    want = sel.stratum_sizes[h[sel.indices]] / a[h[sel.indices]] * w[sel.indices]
    need(np.allclose(sel.weights, want, rtol=1e-12, atol=0), "weights are not u N_h / n_h")
    G = 1
    if groups is not None:
        g = np.asarray(groups).astype(str)
        G = len(np.unique(g))
        for s in np.flatnonzero(U > 0):  # the rows of weight 0 share one stratum, any group
            need(len(np.unique(g[h == s])) <= 1, f"stratum {s} mixes strata= groups")
    most = G * max(1, budget // 5 // G) + 1   # + the stratum of zero-weight rows
    need(H <= most, f"{H} strata for budget={budget} and {G} group(s) (at most {most})")


def check_evaluation(ev, n: int, u: Optional[np.ndarray], kw: dict, loss_fn: Any,
                     edge: bool = False) -> None:
    """evaluate()'s answer: the queried rows, the stopping rule, the plan's positivity (every
    stratum of positive weight gets min(2, N_h) queries first), the strata table, the history,
    and the exact mean when every row was queried."""
    need(ev.stopped in ("target", "max_queries", "exhausted"), f"stopped {ev.stopped!r}")
    m = ev.n_queries
    need(m == len(ev.indices) == len(ev.losses) == len(ev.weights), "lengths of the result")
    check_index_array(ev.indices, n, "indices", m)
    need(len(np.unique(ev.indices)) == m, "a row queried twice")
    w = np.ones(n) if u is None else u
    need(np.all(w[ev.indices] > 0), "a row of zero sample weight was queried")
    available = int(np.count_nonzero(w > 0))
    mq = kw.get("max_queries")
    need(m <= available and (mq is None or m <= mq), f"{m} queries (max_queries={mq})")
    plan = ev.plan
    st = plan.strata
    need(plan.n_samples == n and st.codes.shape == (n,), "plan size")
    need(np.array_equal(ev.strata_table["size"], st.sizes), "strata_table sizes")
    q = np.bincount(st.codes[ev.indices], minlength=st.sizes.shape[0])
    need(np.array_equal(ev.strata_table["queried"], q), "strata_table queried")
    positive = st.weights > 0
    need(np.all(q[positive] >= np.minimum(2, st.sizes[positive])),
         f"positivity: a stratum of positive weight got fewer than min(2, N_h) queries {q}")
    need(np.all(q[~positive] == 0), "the stratum of zero-weight rows was queried")
    hist = [h_["n_queries"] for h_ in ev.history]
    need(hist and hist[-1] == m and all(a < b for a, b in zip(hist, hist[1:])), "history")
    if edge:
        return
    need(np.isfinite(ev.estimate) and np.isfinite(ev.stderr), f"estimate {ev.estimate!r}")
    need(ev.ci[0] <= ev.estimate <= ev.ci[1], f"ci {ev.ci} around {ev.estimate!r}")
    need(ev.history[-1]["estimate"] == ev.estimate, "history's last estimate")
    table = np.asarray(loss_fn(np.arange(n)), dtype=np.float64).ravel()
    need(np.array_equal(ev.losses, table[ev.indices]), "losses are not loss_fn's")
    if ev.stopped == "exhausted":
        exact = float(w @ table) / float(w.sum())
        need(np.isclose(ev.estimate, exact, rtol=1e-9, atol=1e-12 * (abs(exact) + 1.0)),
             f"every row queried, estimate {ev.estimate!r} != the exact mean {exact!r}")
    if ev.stopped == "target":
        hw = (ev.ci[1] - ev.ci[0]) / 2.0
        target = max(kw.get("atol") or 0.0, (kw.get("rtol") or 0.0) * abs(ev.estimate))
        need(hw <= target * (1 + 1e-9) + 1e-300, f"stopped at target with half-width {hw!r}")


# ---- comparing two results ----------------------------------------------------------------------


def flatten(res: Any, depth: int = 0) -> List[Any]:
    """A canonical list of leaves (arrays and scalars) for determinism/reference comparison."""
    if depth > 4:
        return [repr(type(res))]
    if isinstance(res, np.ndarray):
        return [res]
    if isinstance(res, (float, int, np.floating, np.integer, bool, str, type(None))):
        return [res]
    if isinstance(res, (tuple, list)):
        out: List[Any] = []
        for r in res:
            out += flatten(r, depth + 1)
        return out
    if dataclasses.is_dataclass(res):
        out = []
        for f in dataclasses.fields(res):
            out += [f.name] + flatten(getattr(res, f.name), depth + 1)
        return out
    if hasattr(res, "__dict__"):
        # fitted estimators: their fitted attributes (trailing underscore) and n_clusters
        out = []
        for key in sorted(vars(res)):
            if key.endswith("_") or key in ("n_clusters",):
                out += [key] + flatten(vars(res)[key], depth + 1)
        return out
    return [repr(res)]


def leaves_equal(a: List[Any], b: List[Any], rtol: float = 0.0) -> Optional[str]:
    """None if the leaves agree (bit for bit, or within rtol for floats), else what differs."""
    if len(a) != len(b):
        return f"different structure ({len(a)} vs {len(b)} leaves)"
    for i, (x, y) in enumerate(zip(a, b)):
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            diff = _array_leaves_differ(i, np.asarray(x), np.asarray(y), rtol)
        elif isinstance(x, float) or isinstance(y, float):
            diff = _float_leaves_differ(i, x, y, rtol)
        elif isinstance(x, (np.floating,)) or isinstance(y, (np.floating,)):
            ok = x == y or (np.isnan(x) and np.isnan(y)) or (rtol and np.isclose(x, y, rtol=rtol))
            diff = None if ok else f"leaf {i}: {x!r} vs {y!r}"
        else:
            diff = None if x == y else f"leaf {i}: {x!r} vs {y!r}"
        if diff:
            return diff
    return None


def _array_leaves_differ(i: int, x: np.ndarray, y: np.ndarray, rtol: float) -> Optional[str]:
    if x.shape != y.shape:
        return f"leaf {i}: shape {x.shape} vs {y.shape}"
    if x.dtype.kind in "iub" or not rtol:
        if x.dtype.kind in "fc" and y.dtype.kind in "fc":
            if not np.array_equal(x, y, equal_nan=True):
                max_diff = np.nanmax(np.abs(x - y)) if x.size else 0
                return f"leaf {i}: arrays differ (max abs diff {max_diff!r})"
        elif not np.array_equal(x, y):
            return f"leaf {i}: arrays differ"
    elif not np.allclose(x, y, rtol=rtol, atol=0, equal_nan=True):
        return f"leaf {i}: arrays differ beyond rtol {rtol}"
    return None


def _float_leaves_differ(i: int, x: Any, y: Any, rtol: float) -> Optional[str]:
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        if not (x == y or (math.isnan(x) and math.isnan(y))
                or (rtol and math.isclose(x, y, rel_tol=rtol))):
            return f"leaf {i}: {x!r} vs {y!r}"
    elif repr(x) != repr(y):
        return f"leaf {i}: {x!r} vs {y!r}"
    return None

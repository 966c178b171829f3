"""Telling a tie from a bug when the core and `coresample.reference` disagree.

docs/ARCHITECTURE.md lets the two differ where distances or potentials tie to rounding: the
core ranks centers by ||c||^2 - 2 x.c in the input dtype (section 4) and k-means++ trials in
dot-product form (section 5); the reference uses float64 differences. A bare "the indices
differ" is therefore no finding on its own, and a relative tolerance on costs is the wrong
measure (a zero row against centers of 1e-38 in float32: every center is at distance 0 to the
dtype's precision, so the labels are free, and the costs differ by orders of magnitude; fuzz
seeds 777170337 and kin). Each function here replays the computation the core made, in float64
from exact differences, and accepts the core's answer only if every choice in it is within the
rounding bound of the best choice. They return None for an accepted tie, or what is wrong.

The bound on ranking a row x against a center c in a dtype of unit roundoff eps (float32 2^-24,
float64 2^-53) and smallest subnormal eta: |fl(||c||^2 - 2 x.c) - (||c||^2 - 2 x.c)| <=
gamma_{d+2} (||x|| + ||c||)^2 + (d + 2) eta (Higham, Accuracy and Stability, 3.1; each product can
underflow by eta). Two centers compared: twice that. `SAFETY` covers the constants.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

SAFETY = 4.0
MANY_CANDIDATES = 32


def _eps_eta(dtype: Any):
    dt = np.dtype(dtype)
    if dt == np.float16:
        dt = np.dtype(np.float32)  # float16 input is computed in float32
    info = np.finfo(dt)
    return float(info.eps) / 2.0, float(info.smallest_subnormal)


def rank_slack(xn: np.ndarray, cn_a: np.ndarray, cn_b: np.ndarray, d: int, dtype: Any) -> np.ndarray:
    """How far apart (in squared distance) two centers of norms cn_a, cn_b may be for a row of
    norm xn and still be ranked either way in `dtype`."""
    eps, eta = _eps_eta(dtype)
    g = (d + 2) * eps / (1.0 - (d + 2) * eps)
    return SAFETY * (g * ((xn + cn_a) ** 2 + (xn + cn_b) ** 2) + 2 * (d + 2) * eta)


def squared_distances(X: np.ndarray, C: np.ndarray) -> np.ndarray:
    """(n, k) squared distances from float64 differences."""
    X64, C64 = np.asarray(X, np.float64), np.asarray(C, np.float64)
    diff = X64[:, None, :] - C64[None, :, :]
    return np.einsum("ijk,ijk->ij", diff, diff)


def cost_of(d2: np.ndarray, z: float) -> np.ndarray:
    with np.errstate(over="ignore"):
        return d2 if z == 2.0 else np.sqrt(d2) ** z


def check_assignment(X: np.ndarray, C: np.ndarray, z: float, labels: np.ndarray,
                     cost: np.ndarray, dtype: Any, who: str) -> Optional[str]:
    """labels/cost of `assign`-like output: each label within the rank slack of the nearest
    center, each cost the direct cost to its labelled center (rtol 1e-9)."""
    X64 = np.asarray(X, np.float64)
    D = squared_distances(X64, C)
    n, d = X64.shape
    best = np.argmin(D, axis=1)
    rows = np.arange(n)
    xn = np.sqrt((X64 ** 2).sum(1))
    cn = np.sqrt((np.asarray(C, np.float64) ** 2).sum(1))
    slack = rank_slack(xn, cn[labels], cn[best], d, dtype)
    bad = np.flatnonzero(D[rows, labels] > D[rows, best] + slack)
    if bad.size:
        e = int(bad[0])
        return (f"{who}: row {e} labelled {int(labels[e])} at squared distance "
                f"{D[e, labels[e]]!r}, center {int(best[e])} is at {D[e, best[e]]!r} (beyond "
                f"the rounding bound {slack[e]:.3g})")
    want = cost_of(D[rows, labels], z)
    off = ~np.isclose(cost, want, rtol=1e-9, atol=1e-300)
    if off.any():
        e = int(np.flatnonzero(off)[0])
        return f"{who}: cost[{e}] = {cost[e]!r}, the direct cost to its center is {want[e]!r}"
    return None


def check_k_center(X: np.ndarray, indices: np.ndarray, initial: Optional[np.ndarray],
                   first: Optional[int], labels: np.ndarray, cost: np.ndarray) -> Optional[str]:
    """k_center_greedy's picks replayed exactly: each pick's distance to the centers before it
    within the rounding bound of the farthest row's (the core's argmax runs on its costs, each
    up to the rank slack above the true minimum); then the final labels and costs."""
    X64 = np.asarray(X, np.float64)
    n, d = X64.shape
    xn = np.sqrt((X64 ** 2).sum(1))
    R = float(xn.max(initial=0.0))
    slack = rank_slack(xn, np.full(n, R), np.full(n, R), d, X.dtype) + 1e-12 * (xn + R) ** 2
    centers = [] if initial is None else [int(i) for i in initial]
    picks = [int(i) for i in indices]
    if initial is None:
        if first is not None and picks[0] != first:
            return f"k_center_greedy: first row {picks[0]}, the seed's row is {first}"
        centers.append(picks[0])
        picks = picks[1:]
    m = squared_distances(X64, X64[centers]).min(axis=1) if centers else np.full(n, np.inf)
    taken = np.zeros(n, dtype=bool)
    taken[centers] = True
    for j in picks:
        if taken[j]:
            return f"k_center_greedy: row {j} picked twice"
        far = float(np.max(np.where(taken, -np.inf, m)))
        if m[j] + slack[j] < far:
            return (f"k_center_greedy: picked row {j} at squared distance {m[j]!r} while an "
                    f"unpicked row is at {far!r}")
        centers.append(j)
        taken[j] = True
        m = np.minimum(m, squared_distances(X64, X64[j:j + 1])[:, 0])
    return check_assignment(X, X64[centers], 2.0, labels, cost, X.dtype, "k_center_greedy")


def check_plusplus(X: np.ndarray, u: Optional[np.ndarray], z: float, seed: int, n_trials: int,
                   picks: Sequence[int]) -> Optional[str]:
    """Greedy k-means++ (ARCHITECTURE section 5) replayed on the core's own picks: the first
    pick is the seed's row exactly; at each later step the pick must be a candidate of one of
    the step's trials (the row whose CDF interval holds r_j * total, widened by the rounding
    of the core's D) and its potential must be within rounding of the best the trials offer."""
    from coresample._base import stream
    from coresample._base.blocks import blocked_cdf, blocked_sum, search
    from coresample._base.random import SEEDING

    X64 = np.asarray(X, np.float64)
    n, d = X64.shape
    w = np.ones(n) if u is None else np.asarray(u, np.float64)
    xn2 = (X64 ** 2).sum(1)
    eps = 2.0 ** -53
    picks = [int(p) for p in picks]
    first = int(search(w, stream.unit(stream.draw(seed, SEEDING, np.array([0]))))[0])
    if picks[0] != first:
        return f"kmeans_plusplus: first center {picks[0]}, the seed's row is {first}"

    def d2_to(p: int) -> np.ndarray:
        return squared_distances(X64, X64[p:p + 1])[:, 0]

    def err_of(p: Any, d2: np.ndarray) -> np.ndarray:
        # the core's dot-product distance is off by up to this (then raised to z/2, weighted);
        # p an index (d2 of shape (n,)) or an index array (d2 of shape (n, len(p)))
        rows = (slice(None),) + (None,) * (d2.ndim - 1)
        e = SAFETY * (d + 2) * eps * (xn2[rows] + xn2[p])
        with np.errstate(over="ignore", invalid="ignore"):
            return w[rows] * (cost_of(d2 + e, z) - cost_of(np.maximum(d2 - e, 0.0), z))

    d2 = d2_to(picks[0])
    D, Derr = w * cost_of(d2, z), err_of(picks[0], d2)
    for c, pick in enumerate(picks[1:], start=1):
        r = stream.unit(stream.draw(seed, SEEDING, np.arange(c * n_trials, (c + 1) * n_trials)))
        total = blocked_sum(D)
        tol = float(Derr.sum()) + 1e-12 * total
        cdf = blocked_cdf(D)
        lo = np.concatenate(([0.0], cdf[:-1]))
        trial_sets = []
        for rj in r:
            if total <= tol:  # D vanishes to rounding: the core's draws are free among rows
                trial_sets.append(np.arange(n))
                continue
            x = rj * total
            near = np.flatnonzero((lo - tol <= x) & (x < cdf + tol) & (D + Derr > 0))
            trial_sets.append(near if near.size else np.array([min(int(np.searchsorted(
                cdf, x, side="right")), n - 1)]))
        if not any(pick in s for s in trial_sets):
            return f"kmeans_plusplus: step {c} picked row {pick}, no trial's candidate"
        if total <= tol:  # every potential is within rounding of every other: any pick ties
            dp = d2_to(pick)  # (and ranking all n rows at each such step is O(n^2): seed
            closer = w * cost_of(dp, z) < D  # 20261205340157, k = n = 2500, took 84 s)
            D = np.where(closer, w * cost_of(dp, z), D)
            Derr = np.where(closer, err_of(pick, dp), Derr)
            continue
        # Every candidate's potential and its rounding bound, vectorised over candidates in
        # chunks (one at a time took 84 s on seed 20261205340157: k = n = 2500, ~500 candidates
        # per late step). np.sum instead of blocked_sum: the order changes the sums by far less
        # than the 1e-12 relative slack of the comparison below.
        # A trial with more than MANY_CANDIDATES rows in its rounding window (late steps of
        # k close to n, where D is a sum of rounding errors) bounds its best potential by the
        # total instead: such steps are accepted without ranking every row (O(n^2) per step).
        if any(np.asarray(t).size > MANY_CANDIDATES for t in trial_sets):
            trial_sets = [t for t in trial_sets if np.asarray(t).size <= MANY_CANDIDATES]
            if not trial_sets:
                dp = d2_to(pick)
                closer = w * cost_of(dp, z) < D
                D = np.where(closer, w * cost_of(dp, z), D)
                Derr = np.where(closer, err_of(pick, dp), Derr)
                continue
        cands = np.unique(np.concatenate([np.asarray(t) for t in trial_sets] + [[pick]]))
        pot, perr = np.empty(cands.size), np.empty(cands.size)
        step = max(1, 2 ** 22 // max(1, n * d))
        for a in range(0, cands.size, step):
            ps = cands[a:a + step]
            dps = squared_distances(X64[ps], X64).T  # (n, len(ps))
            with np.errstate(over="ignore", invalid="ignore"):
                cost = w[:, None] * cost_of(dps, z)
            pot[a:a + ps.size] = np.minimum(D[:, None], cost).sum(axis=0)
            perr[a:a + ps.size] = (Derr[:, None] + err_of(ps, dps)).sum(axis=0)
        where = {int(c): i for i, c in enumerate(cands)}
        bound = min(max(pot[where[int(i)]] for i in t) for t in trial_sets)
        mine, err = pot[where[pick]], perr[where[pick]]
        if mine > bound + 2 * err + 1e-12 * abs(bound):
            return (f"kmeans_plusplus: step {c} picked row {pick} of potential {mine!r}; a trial "
                    f"offered {bound!r} (rounding bound {2 * err:.3g})")
        dp = d2_to(pick)
        closer = w * cost_of(dp, z) < D
        D = np.where(closer, w * cost_of(dp, z), D)
        Derr = np.where(closer, err_of(pick, dp), Derr)
    return None


def check_snap_ties(X: np.ndarray, centers_a: np.ndarray, centers_b: np.ndarray,
                    reps_a: np.ndarray, reps_b: np.ndarray) -> Optional[str]:
    """Representatives that differ must be equidistant from their (nearly equal) center up to
    rounding: the two members of a two-row cluster are, exactly, from their mean."""
    X64 = np.asarray(X, np.float64)
    d = X64.shape[1]
    for c in np.flatnonzero(reps_a != reps_b):
        ca, cb = np.asarray(centers_a[c], np.float64), np.asarray(centers_b[c], np.float64)
        xa, xb = X64[reps_a[c]], X64[reps_b[c]]
        da, db = float(((xa - ca) ** 2).sum()), float(((xb - ca) ** 2).sum())
        shift = float(np.sqrt(((ca - cb) ** 2).sum()))
        scale = max(float(np.abs(xa).max()), float(np.abs(xb).max()), float(np.abs(ca).max()))
        tol = SAFETY * (d + 2) * 2.0 ** -53 * (2 * scale * np.sqrt(d)) ** 2 + \
            4 * shift * (2 * scale * np.sqrt(d) + shift)
        if abs(da - db) > tol:
            return (f"representative of cluster {c}: row {int(reps_a[c])} at {da!r}, row "
                    f"{int(reps_b[c])} at {db!r} from the center (no tie: bound {tol:.3g})")
    return None


def check_select(X: np.ndarray, budget: Any, kwargs: dict, res: Any, rres: Any) -> Optional[str]:
    """Why two selections of the same call differ, if it is a tie: the sampling itself is exact
    (ARCHITECTURE section 9), so a difference must start in the clustering. Walks the steps in
    order: the seeding (replayed by check_plusplus on the core's picks), Lloyd (replayed step by
    step by check_lloyd when the centers end more than 1e-9 apart), the representatives
    (check_snap_ties), the labels (check_assignment)."""
    scale = float(np.abs(np.asarray(X, np.float64)).max(initial=0.0)) or 1.0
    same_centers = res.centers.shape == rres.centers.shape and np.allclose(
        res.centers, rres.centers, rtol=1e-9, atol=1e-9 * scale)
    if not same_centers:
        return _seeding_tie(X, budget, kwargs)
    if not np.array_equal(res.representatives, rres.representatives):
        return check_snap_ties(X, res.centers, rres.centers, res.representatives,
                               rres.representatives)
    if not np.array_equal(res.labels, rres.labels):
        reps = np.asarray(X, np.float64)[res.representatives]
        return check_assignment(X, reps, 2.0, res.labels, np.asarray(
            squared_distances(X, reps)[np.arange(len(res.labels)), res.labels]),
            np.float64, "select's labels")
    return "select: the same clustering sampled different rows"


def _seeding_tie(X: np.ndarray, budget: Any, kwargs: dict) -> Optional[str]:
    """The select call's fit redone with each backend, recording every greedy k-means++ call:
    the first call that differs must be a tie (on the same input rows and weights)."""
    import inspect

    import coresample
    from coresample._algorithm.kmeans import default_local_trials
    from coresample._algorithm.options import SelectOptions
    from coresample._base.validation import check_sample_weight
    from coresample.core.select import BACKEND as CORE
    from coresample.reference.select import BACKEND as REFERENCE

    bound = inspect.signature(coresample.select).bind(X, budget, **kwargs)
    bound.apply_defaults()
    args = dict(bound.arguments)
    Xc = np.ascontiguousarray(args.pop("X"))
    u = check_sample_weight(args.pop("sample_weight"), Xc.shape[0])
    args.pop("progress")
    opts = SelectOptions.resolve(Xc.shape[0], Xc.shape[1], **args)
    calls = []
    lloyd_calls: list = [None]  # the core's Lloyd call (X, u, initial centers, z, ...)
    for backend in (CORE, REFERENCE):
        km = backend.kmeans(opts.n_clusters, **opts.kmeans_params())
        seen = []
        plain = km._seed

        def recorder(Xs, us, k, z, seed, nt, _plain=plain, _seen=seen):
            out = _plain(Xs, us, k, z, seed, nt)
            _seen.append((np.array(Xs), None if us is None else np.array(us), k, z, seed,
                          np.array(out)))
            return out

        km._seed = recorder
        if backend is CORE:
            plain_lloyd = km._lloyd

            def lloyd_recorder(Xs, us, centers, z, max_iter, tol, nt, _plain=plain_lloyd):
                lloyd_calls[0] = (np.array(Xs), None if us is None else np.array(us),
                                  np.array(centers), z, max_iter, tol, nt)
                return _plain(Xs, us, centers, z, max_iter, tol, nt)

            km._lloyd = lloyd_recorder
        km.fit_centers(Xc, u)
        calls.append((seen, km.cluster_centers_))
    (core_calls, core_centers), (ref_calls, ref_centers) = calls
    for a, b in zip(core_calls, ref_calls):
        if np.array_equal(a[5], b[5]):
            continue
        if not (np.array_equal(a[0], b[0]) and (a[1] is None) == (b[1] is None)
                and (a[1] is None or np.array_equal(a[1], b[1]))):
            return "select: k-means|| kept different rows (not verified as a tie)"
        return check_plusplus(a[0], a[1], a[3], a[4], default_local_trials(a[2]), a[5])
    if len(core_calls) != len(ref_calls):
        return "select: the seedings made different numbers of k-means++ calls"
    if lloyd_calls[0] is None:
        return "select: the same seeding gave centers more than 1e-9 apart (Lloyd not run)"
    return check_lloyd(*lloyd_calls[0])


def _close(a: np.ndarray, b: np.ndarray, scale: float) -> np.ndarray:
    """Per center: equal to 1e-9 (the tolerance check_select allows on the final centers)."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.all(np.isclose(a64, b64, rtol=1e-9, atol=1e-9 * scale), axis=1)


def check_lloyd(X: np.ndarray, u: Optional[np.ndarray], init: np.ndarray, z: float,
                max_iter: int, tol: float, nt: int) -> Optional[str]:
    """Why the core's Lloyd from `init` ended elsewhere than the reference's, if it is a tie.

    Replays the core iteration by iteration (its run cut at i = 1, 2, ... iterations) and takes
    the reference's step (reference.kmeans.update_centers) from the core's own centers, so that
    every step starts from one state. The first step that differs must be a tie: labels within
    the rank slack (check_assignment), or empty clusters moved to rows whose costs tie with the
    reference's choices to rounding (ARCHITECTURE section 6: the rows of largest cost, whose
    costs the core computes in the input dtype by the norm expansion)."""
    from coresample.core.kmeans import KMeans as CoreKMeans
    from coresample.reference.assign import nearest
    from coresample.reference.kmeans import update_centers

    core = CoreKMeans(n_clusters=init.shape[0])
    weights = np.ones(X.shape[0]) if u is None else u
    scale = float(np.abs(np.asarray(X, np.float64)).max(initial=0.0)) or 1.0
    prev = init.copy()
    for i in range(1, max_iter + 1):
        cur = init.copy()
        n_iter = core._lloyd(X, u, cur, z, i, tol, nt)[2]
        labels, cost = nearest(X, prev, z)
        want = update_centers(X, weights, labels, cost, prev, z, reweight=i > 1)
        same = _close(cur, want, scale)
        if same.all():
            if n_iter < i:
                return "Lloyd: the core stopped where the reference steps on (not a tie)"
            prev = cur
            continue
        core_labels, core_cost = core._assign(X, prev, z, u, nt)[:2]
        if not np.array_equal(core_labels, labels):
            why = check_assignment(X, prev, z, core_labels, core_cost, X.dtype,
                                   f"Lloyd iteration {i}'s labels")
            if why is not None:
                return why
            # A label tie: the core's step must still be the reference's step on its labels.
            labels = core_labels
            cost = cost_of(_labelled_d2(X, prev, labels), z)
            want = update_centers(X, weights, labels, cost, prev, z, reweight=i > 1)
            same = _close(cur, want, scale)
            if same.all():
                return None
        return _relocation_tie(X, weights, labels, prev, cur, want, z, np.flatnonzero(~same), i)
    return "Lloyd: every step agrees, yet the runs ended apart"


def _labelled_d2(X: np.ndarray, C: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each row's squared distance to its labelled center, from float64 differences."""
    diff = np.asarray(X, np.float64) - np.asarray(C, np.float64)[labels]
    return np.einsum("ij,ij->i", diff, diff)


def _relocation_tie(X: np.ndarray, weights: np.ndarray, labels: np.ndarray, prev: np.ndarray,
                    cur: np.ndarray, want: np.ndarray, z: float, differ: np.ndarray,
                    i: int) -> Optional[str]:
    """The centers that differ after one step from the same state and labels must be empty
    clusters, moved by the core to data rows whose costs (to their own centers) tie, in
    descending order, with those of the rows the reference moved them to."""
    k = prev.shape[0]
    totals = np.bincount(labels, weights=weights, minlength=k)
    full = [int(c) for c in differ if totals[c] != 0]
    if full:
        c = full[0]
        return (f"Lloyd iteration {i}: center {c} (weight {totals[c]!r}) is "
                f"{cur[c]!r} in the core, {want[c]!r} in the reference (not a tie)")
    empty = np.flatnonzero(totals == 0)
    X64 = np.asarray(X, np.float64)
    moved = []
    for c in empty:
        rows = np.flatnonzero(np.all(np.asarray(X) == cur[c], axis=1))
        if rows.size == 0:
            return f"Lloyd iteration {i}: empty center {int(c)} moved to no data row"
        moved.append(int(rows[0]))
    d2 = _labelled_d2(X64, prev, labels)
    xn = np.sqrt((X64 ** 2).sum(1))
    cn = np.sqrt((np.asarray(prev, np.float64) ** 2).sum(1))[labels]
    eps, eta = _eps_eta(X.dtype)
    d = X64.shape[1]
    g = (d + 2) * eps / (1.0 - (d + 2) * eps)
    err = SAFETY * (g * (xn + cn) ** 2 + (d + 2) * eta)
    lo, hi = cost_of(np.maximum(d2 - err, 0.0), z), cost_of(d2 + err, z)
    ref_rows = np.lexsort((np.arange(len(d2)), -cost_of(d2, z)))[: empty.size]
    core_rows = np.array(moved)
    # Largest first: the j-th largest of either choice must be able to be the other's j-th.
    core_rows = core_rows[np.argsort(-cost_of(d2[core_rows], z), kind="stable")]
    for j, (a, b) in enumerate(zip(core_rows, ref_rows)):
        if lo[a] > hi[b] or lo[b] > hi[a]:
            return (f"Lloyd iteration {i}: an empty center moved to row {int(a)} (cost "
                    f"{cost_of(d2[a], z)!r}), the reference's {j}-th choice is row {int(b)} "
                    f"(cost {cost_of(d2[b], z)!r}): no tie")
    return None

"""Case generators for the compiled `coresample._core` functions, called directly.

The core trusts the Python layer for range checks, so a `_core` call may refuse anything with a
TypeError/ValueError; what it must never do is crash, hang, or write outside its output buffers.
Output buffers therefore live between canary-filled padding (`_guarded`), checked after the call.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Dict, List, Tuple

import numpy as np

from .cases import Case
from .inputs import Ctx
from .invariants import need

CORE_FUNCTIONS = ["assign", "kmeans_plusplus", "lloyd", "mean_variance", "snap_to_rows",
                  "sensitivities", "sample_with_replacement", "sample_without_replacement",
                  "random_uint64", "log_unit", "set_progress", "simd_level",
                  "available_simd_levels", "has_openmp", "max_threads"]
CLUSTERING = ("assign", "lloyd", "kmeans_plusplus", "snap_to_rows", "mean_variance")
SAMPLERS = ("sample_with_replacement", "sample_without_replacement")
CANARY = 0x5A5A5A5A5A5A5A5A

Post = Callable[[Any], None]   # invariants on the output buffers after a call that returned


def _no_post(res: Any) -> None:
    pass


def g_core(ctx: Ctx) -> Case:
    from coresample import _core  # noqa: F401 - imported in the worker only

    fname = ctx.pick(CORE_FUNCTIONS)
    if fname == "sensitivities":  # one slot of the table for the three sensitivity entries
        fname = ctx.pick(["sensitivities", "sensitivities", "sensitivity_masses",
                          "sensitivity_probabilities"])
    args, post = _core_args(ctx, fname)
    ctx.desc["_core"] = fname
    for nm in ("lam", "tol", "method", "z", "defensive", "S", "U", "a", "phi"):
        if nm in ctx.bad:  # range checks live in the Python layer; the core must only not crash
            ctx.bad.discard(nm)
            ctx.maybe.add(nm)

    def call(impl):
        try:
            return getattr(_core, fname)(*args)
        finally:
            if fname == "set_progress":
                _core.set_progress(None)

    def check(res):
        post(res)

    return Case(ctx.seed, f"_core.{fname}", call, ctx.desc, ctx.bad, ctx.maybe, check,
                deterministic=fname not in ("set_progress",), argnames=tuple(ctx.desc),
                core_only=True)


def _core_args(ctx: Ctx, fname: str) -> Tuple[List[Any], Post]:
    if fname in CLUSTERING:
        return _clustering_args(ctx, fname)
    if fname in ("sensitivities", "sensitivity_masses"):
        return _sensitivities_args(ctx, fname), _no_post
    if fname == "sensitivity_probabilities":
        return _probabilities_args(ctx), _no_post
    if fname in SAMPLERS:
        return _sampler_args(ctx, fname)
    if fname == "random_uint64":
        return _random_uint64_args(ctx), _no_post
    if fname == "log_unit":
        return _log_unit_args(ctx), _no_post
    if fname == "set_progress":
        return _set_progress_args(ctx), _no_post
    return [], _no_post   # simd_level, available_simd_levels, has_openmp, max_threads


# ---- argument builders --------------------------------------------------------------------------


def _guarded(ctx: Ctx, name: str, length: int, dtype, *, shape=None):
    """An output buffer of `length` elements living inside a canary-filled allocation."""
    pad = 16
    total = (int(np.prod(shape)) if shape is not None else max(length, 0)) + 2 * pad
    base = np.empty(total, dtype=dtype)
    if np.dtype(dtype) == np.float64:
        base[:] = np.array(CANARY, dtype=np.uint64).view(np.float64)
    elif np.dtype(dtype) == np.float32:
        base[:] = np.float32(1.2345e-7)
    else:
        base[:] = np.array(CANARY, dtype=np.uint64).astype(dtype)
    ctx.guards.append((base, pad, total - pad, base.copy()))
    inner = base[pad:total - pad]
    if shape is not None:
        inner = inner.reshape(shape)
    return inner


def core_array(ctx: Ctx, name: str, length: int, dtype, *, output=False, values=None,
               free_len=False):
    """An array argument for `_core`: usually right, sometimes wrong length/dtype/layout."""
    r = ctx.rng.random()
    kind = "ok"
    L = length
    dt = dtype
    strided = False
    if r < 0.07:
        L = max(0, length - ctx.pick([1, 2, length]))
        kind = "bad" if L != length else "ok"
    elif r < 0.12:
        L = length + ctx.pick([1, 5])
        kind = "maybe"  # a longer output buffer may be refused or accepted
    elif r < 0.18:
        dt = ctx.pick([np.float32, np.int32, np.float64, np.int64, np.uint64, np.bool_])
        kind = "bad" if np.dtype(dt) != np.dtype(dtype) else "ok"
    elif r < 0.22:
        strided = True
        kind = "bad"
    if L == 0 and length == 0 and np.dtype(dt) == np.dtype(dtype):
        kind = "ok"  # an empty array is contiguous whatever its strides
    if output and not strided:
        arr = _guarded(ctx, name, L, dt)
    else:
        arr = _filled(L, dt, strided, values, length, dtype)
    if arr.flags.c_contiguous and arr.dtype == np.dtype(dtype) \
            and (free_len or arr.shape == (length,)):
        kind = "ok"  # e.g. a "strided" view of one element is contiguous
    ctx.note(name, arr, kind)
    return arr


def _filled(L: int, dt, strided: bool, values, length: int, dtype) -> np.ndarray:
    """An input array of L elements of dt holding (a cast prefix of) values, maybe strided."""
    arr = np.zeros(L * (2 if strided else 1), dtype=dt)
    if values is not None and np.dtype(dt) == np.dtype(dtype) and L == length:
        arr[:L] = values
    elif values is not None:
        m = min(L, len(values))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr[:m] = np.asarray(values[:m]).astype(dt)
    return arr[::2] if strided else arr


def _core_z(ctx: Ctx):
    """z for a _core call: the core trusts the Python layer's range check, so any float is an
    edge."""
    if ctx.p(0.7):
        return ctx.note("z", 2.0)
    return ctx.note("z", ctx.pick([1.0, 3.0, 0.5, 0.0, -1.0, 64.0, float("nan")]), "maybe")


def core_X(ctx: Ctx, name="X"):
    n, d = ctx.shape_nd()
    if ctx.p(0.08):
        n = 0
    dtype = ctx.pick([np.float32, np.float64])
    X = ctx.data(n, d, dtype)
    r = ctx.rng.random()
    kind = "ok" if n > 0 else "maybe"
    if r < 0.05:
        X = np.asfortranarray(X) if n > 1 and d > 1 else X
        kind = "bad" if not X.flags.c_contiguous else kind
    elif r < 0.1:
        X = X.astype(np.float16)
        kind = "bad"
    elif r < 0.13:
        X = X[:, 0].copy()
        kind = "bad"
    elif r < 0.18:
        X = X.copy()
        X.flags.writeable = False
    elif r < 0.22 and X.size:
        X = np.array(X)
        X.flat[0] = np.nan
        kind = "maybe"
    if not np.isfinite(X.astype(np.float64)).all():
        kind = "maybe"
    ctx.note(name, X, kind)
    ctx.track(name, X)
    return X, n, d, dtype


def core_int(ctx: Ctx, name: str, good: list, bad: list = (), maybe: list = ()):
    return ctx.scalar(name, good, list(bad) + [1.5, "3", None],
                      list(maybe) + [-1, 2**63, -(2**63), 2**64], bad_prob=0.06, maybe_prob=0.08)


def core_nt(ctx: Ctx):
    return ctx.scalar("n_threads", [0, 1, 2], [1.5, None], [-1, 2**31, 10**6, -(2**31)],
                      bad_prob=0.04, maybe_prob=0.06)


def _simd_arg(ctx: Ctx) -> str:
    return ctx.note("simd", ctx.pick(["", "scalar", "avx2", "avx512", "bogus"]), "maybe")


def _corrupt_label(ctx: Ctx, labels: Any, kc: int, at: int) -> Any:
    """With probability 0.15, labels[at] out of range: the core must refuse it or cope."""
    if ctx.p(0.15) and isinstance(labels, np.ndarray) and labels.size \
            and labels.dtype == np.int64:
        labels = labels.copy()
        labels[at] = ctx.pick([kc, -1, 2**40, -(2**62)])
        ctx.bad.discard("labels")
        ctx.note("labels", labels, "maybe")
    return labels


def _indices_within(name: str, arr: Any, length: int, n: int) -> Post:
    """Post-check: an int64 output buffer of the expected length holds indices in [0, n)."""
    def post(res):
        if isinstance(arr, np.ndarray) and arr.dtype == np.int64 and arr.shape[0] == length:
            need(((arr >= 0) & (arr < max(n, 1))).all(), f"{name} wrote indices {arr[:8]}")
    return post


# ---- per function -------------------------------------------------------------------------------


def _clustering_args(ctx: Ctx, fname: str) -> Tuple[List[Any], Post]:
    X, n, d, dtype = core_X(ctx)
    if fname == "mean_variance":
        return [X, core_nt(ctx)], _no_post
    if fname == "kmeans_plusplus":
        return _kmeans_plusplus_args(ctx, X, n)
    kc = int(ctx.pick([1, 2, 3, 8]))
    C = _core_centers(ctx, kc, d, dtype)
    if fname == "snap_to_rows":
        return _snap_args(ctx, X, C, n, kc)
    return _assign_or_lloyd_args(ctx, fname, X, C, n, kc)


def _kmeans_plusplus_args(ctx: Ctx, X: np.ndarray, n: int) -> Tuple[List[Any], Post]:
    rng = ctx.rng
    k = core_int(ctx, "n_clusters", [1, max(1, n), max(1, n // 2)], [], [0, n + 1, 10**9])
    sw = None if ctx.p(0.6) else core_array(ctx, "sample_weight", n, np.float64,
                                             values=rng.uniform(0, 2, n))
    kk = k if isinstance(k, int) and 0 <= k < 10**6 else 1   # output length for absurd k
    idx = core_array(ctx, "indices", kk, np.int64, output=True)
    args = [X, sw, k, _core_z(ctx),
            core_int(ctx, "seed", [0, 1, 2**64 - 1]),
            core_int(ctx, "n_local_trials", [1, 2, 5], [], [0, 10**6]), idx, core_nt(ctx)]
    if ctx.p(0.2):
        args.append(_simd_arg(ctx))
    return args, _indices_within("kmeans_plusplus", idx, kk, n)


def _core_centers(ctx: Ctx, kc: int, d: int, dtype) -> np.ndarray:
    """kc centers, sometimes with the wrong column count or the other float dtype."""
    cd = d if ctx.p(0.9) else d + 1
    cdt = dtype if ctx.p(0.9) else ({np.float32: np.float64, np.float64: np.float32}[dtype])
    C = np.ascontiguousarray(ctx.rng.normal(size=(kc, cd)).astype(cdt))
    if cd != d or cdt != dtype:
        ctx.note("centers", C, "bad")
    else:
        ctx.note("centers", C)
    return C


def _snap_args(ctx: Ctx, X, C, n: int, kc: int) -> Tuple[List[Any], Post]:
    labels = core_array(ctx, "labels", n, np.int64, values=ctx.rng.integers(0, kc, n))
    labels = _corrupt_label(ctx, labels, kc, 0)
    out = core_array(ctx, "out", kc, np.int64, output=True)
    args = [X, C, labels, out, core_nt(ctx)]

    def post(res):
        if isinstance(out, np.ndarray) and out.dtype == np.int64 and out.shape[0] == kc:
            need(((out >= -1) & (out < max(n, 1))).all(), f"snap wrote {out}")
    return args, post


def _assign_or_lloyd_args(ctx: Ctx, fname: str, X, C, n: int, kc: int) -> Tuple[List[Any], Post]:
    rng = ctx.rng
    sw = None if ctx.p(0.6) else core_array(ctx, "sample_weight", n, np.float64,
                                             values=rng.uniform(0, 2, n))
    labels = core_array(ctx, "labels", n, np.int64, output=True)
    cost = core_array(ctx, "cost", n, np.float64, output=True)
    zz = _core_z(ctx)
    if fname == "assign":
        args = [X, C, zz, sw, labels, cost, core_nt(ctx)]
        if ctx.p(0.2):
            args.append(_simd_arg(ctx))
    else:
        # A huge max_iter must stop when the centers settle, but with tol = 0 and z != 2 they
        # may cycle in the last bit and run every iteration (10^7 at 257 rows: 112 s, seed
        # 27182834867, a harness timeout, no hang): at most 2 * 10^7 row-iterations.
        big = max(10, 2 * 10**7 // max(n, 1)) if isinstance(n, int) else 10**5
        args = [X, sw, C.copy(), zz, core_int(ctx, "max_iter", [0, 1, 10], [], [big]),
                ctx.scalar("tol", [0.0, 1e-4], [float("nan"), -1.0], bad_prob=0.05),
                labels, cost, core_nt(ctx)]

    def post(res):
        # labels are only meaningful for finite rows
        if isinstance(labels, np.ndarray) and labels.dtype == np.int64 and labels.shape[0] == n \
                and isinstance(X, np.ndarray) and np.isfinite(X).all():
            need(((labels >= 0) & (labels < kc)).all(),
                 f"labels written out of range: {labels[:8]}")
    return args, post


def _defensive(ctx: Ctx, name: str = "defensive"):
    return ctx.scalar(name, [0.0, 0.2, 1.0], [float("nan"), -1.0, 2.0], bad_prob=0.06)


def _probabilities_args(ctx: Ctx) -> List[Any]:
    """sensitivity_probabilities(masses, sample_weight, S, U, defensive, out, n_threads)."""
    rng = ctx.rng
    n = int(ctx.pick([0, 1, 3, 20]))
    m = rng.uniform(0, 1, n) * (rng.random(n) < 0.8)
    masses = core_array(ctx, "masses", n, np.float64, values=m)
    sw = None if ctx.p(0.6) else core_array(ctx, "sample_weight", n, np.float64,
                                             values=rng.uniform(0, 1, n))
    S = ctx.scalar("S", [float(m.sum()), 1.0, 0.0], [float("nan"), -1.0], [float("inf"), 1e-320])
    U = ctx.scalar("U", [float(n), 1.0], [0.0, float("nan"), -1.0], [float("inf")])
    out = core_array(ctx, "out", n, np.float64, output=True)
    _settle_lengths(ctx, {"masses": masses, "sample_weight": sw, "out": out})
    return [masses, sw, S, U, _defensive(ctx), out, core_nt(ctx)]


def _settle_lengths(ctx: Ctx, arrays: Dict[str, Any], dtypes: Dict[str, Any] = None) -> None:
    """Vectors shortened alike are a valid call: a contiguous vector of its dtype (float64
    unless `dtypes` says otherwise) whose length equals every other one's had its length as its
    only flaw (fuzz seeds 20261750711, 20261762681, 20261833156: masses and out both one
    shorter, or all empty; 20261204587909: sensitivities' cost, labels and out all empty)."""
    given = {k: v for k, v in arrays.items() if v is not None}
    dtypes = dtypes or {}
    fine = all(isinstance(v, np.ndarray) and v.ndim == 1
               and v.dtype == np.dtype(dtypes.get(k, np.float64))
               and v.flags.c_contiguous for k, v in given.items())
    if fine and len({v.shape[0] for v in given.values()}) == 1:
        for k in given:
            ctx.bad.discard(k)


def _sensitivities_args(ctx: Ctx, fname: str = "sensitivities") -> List[Any]:
    """sensitivities(cost, labels, center_losses, n_clusters, lam, sample_weight, method,
    defensive, out, n_threads); sensitivity_masses(..., method, a, cluster_size, phi, out,
    n_threads)."""
    rng = ctx.rng
    n = int(ctx.pick([0, 1, 3, 20]))
    kc = int(ctx.pick([1, 2, 4]))
    cost = core_array(ctx, "cost", n, np.float64, values=rng.uniform(0, 1, n))
    labels = core_array(ctx, "labels", n, np.int64, values=rng.integers(0, kc, n))
    labels = _corrupt_label(ctx, labels, kc, -1)
    cl = None if ctx.p(0.5) else core_array(ctx, "center_losses", kc, np.float64,
                                             values=rng.uniform(0, 1, kc))
    sw = None if ctx.p(0.7) else core_array(ctx, "sample_weight", n, np.float64,
                                             values=rng.uniform(0, 1, n))
    out = core_array(ctx, "out", n, np.float64, output=True)
    if isinstance(labels, np.ndarray) and labels.size and not (
            (labels >= 0) & (labels < kc)).all():
        pass  # a label out of range stays a flaw whatever the lengths
    else:
        _settle_lengths(ctx, {"cost": cost, "labels": labels, "sample_weight": sw, "out": out},
                        {"labels": np.int64})
    head = [cost, labels, cl, core_int(ctx, "n_clusters", [kc, kc + 1], [], [0]),
            ctx.scalar("lam", [1.0, 0.0], [float("nan"), -1.0, float("inf")], bad_prob=0.06),
            sw, ctx.scalar("method", ["lightweight", "coreset"], ["magic"], bad_prob=0.05)]
    if fname == "sensitivities":
        return head + [_defensive(ctx), out, core_nt(ctx)]
    size = None if ctx.p(0.3) else core_array(ctx, "cluster_size", kc, np.float64,
                                               values=rng.integers(0, 5, kc).astype(np.float64))
    a = ctx.scalar("a", [0.0, 0.5], [float("nan")], [float("inf"), -1.0])
    phi = ctx.scalar("phi", [1.0, 0.0, 1e300], [float("nan")], [float("inf"), -1.0])
    return head + [a, size, phi, out, core_nt(ctx)]


def _sampler_args(ctx: Ctx, fname: str) -> Tuple[List[Any], Post]:
    rng = ctx.rng
    n = int(ctx.pick([0, 1, 2, 5, 100]))
    p = core_array(ctx, "p", n, np.float64, free_len=True,
                   values=rng.uniform(0, 1, n) * (rng.random(n) < 0.8))
    if ctx.p(0.1) and isinstance(p, np.ndarray) and p.size and p.dtype == np.float64:
        p = p.copy()
        p[0] = ctx.pick([np.nan, -1.0, np.inf, 1e308])
        ctx.bad.discard("p")
        ctx.note("p", p, "maybe")
    size = core_int(ctx, "size", [1, max(1, n), max(1, n // 2)], [], [0, n + 1, 10**9])
    sz = size if isinstance(size, int) and 0 <= size < 10**6 else 1   # output length
    idx = core_array(ctx, "indices", sz, np.int64, output=True)
    w = core_array(ctx, "weights", sz, np.float64, output=True)
    seed = core_int(ctx, "seed", [0, 5, 2**64 - 1])
    if fname == "sample_with_replacement":
        args = [p, size, seed, idx, w, core_nt(ctx)]
    else:
        args = [p, size, seed, core_int(ctx, "stream", [4, 0, 2**64 - 1]), idx, w, core_nt(ctx)]
    return args, _indices_within("sampler", idx, sz, n)


def _random_uint64_args(ctx: Ctx) -> List[Any]:
    m = int(ctx.pick([0, 1, 10]))
    out = core_array(ctx, "out", m, np.uint64, output=True, free_len=True)
    return [core_int(ctx, "seed", [0, 2**64 - 1]), core_int(ctx, "stream", [0, 3]),
            core_int(ctx, "start", [0, 2**64 - 2, 2**63]), out]


def _log_unit_args(ctx: Ctx) -> List[Any]:
    m = int(ctx.pick([0, 1, 10]))
    u = core_array(ctx, "u", m, np.float64,
                   values=ctx.rng.choice([0.0, 1e-300, 0.5, 1.0, np.nan, -1.0, 2.0], m))
    out = core_array(ctx, "out", m, np.float64, output=True)
    if isinstance(u, np.ndarray) and isinstance(out, np.ndarray) and u.shape == out.shape \
            and u.dtype == out.dtype == np.float64 and u.flags.c_contiguous \
            and out.flags.c_contiguous:
        ctx.bad.discard("u")   # both shortened/lengthened alike: still a consistent call
        ctx.bad.discard("out")
    return [u, out]


def _set_progress_args(ctx: Ctx) -> List[Any]:
    cb = ctx.pick([None, None, "print", "raise", 3])
    if cb == "print":
        return [lambda *a: None]
    if cb == "raise":
        return [lambda *a: 1 / 0]
    if cb == 3:
        return [ctx.note("callback", 3, "maybe")]
    return [None]

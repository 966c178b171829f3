#!/usr/bin/env python3
"""Fuzz harness for coresample: every public entry point and every `_core` function.

Each case is built from one integer *case seed* (entry point = seed % number of entries, then a
NumPy Generator keyed by the seed draws the arguments), so any case reruns exactly with

    PYTHONPATH=python python3 tests/fuzzing.py --case SEED

Cases run in a child worker process (a fresh `python3 tests/fuzzing.py --worker`), one at a time
with a per-case timeout; a worker that dies (segfault, abort) or hangs is recorded as a FINDING for
that exact case seed, replaced, and the run goes on.

Classification of a case:
  OK              it returned, and the invariants held (index ranges and dtypes, finite positive
                  weights, lengths, labels in [0, k), costs >= 0, inputs not mutated, the same
                  output for the same seed (second call with n_threads=1), core == reference
                  where documented, output buffers of `_core` calls not overrun).
  EXPECTED_ERROR  TypeError/ValueError whose message names the offending argument (for `_core`:
                  any TypeError/ValueError, buffers intact), and the reference raises the same.
  FINDING         anything else: another exception type, a message that names no argument, an
                  invariant violation, invalid input silently accepted, a crash or a hang.

CLI:
  python3 tests/fuzzing.py --seconds 3600 [--seed S] [--out findings.jsonl] [--timeout 60]
  python3 tests/fuzzing.py --case SEED            # rerun one case in-process, with traceback
  python3 tests/fuzzing.py --seeds A:B            # a fixed range of case seeds (used by CI)
"""
from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import math
import os
import select as _select
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


class OracleError(Exception):
    """Raised on purpose by a fuzzed loss_fn / score_fn: must propagate unchanged."""


# ------------------------------------------------------------------------------------------------
# Case description


@dataclasses.dataclass
class Case:
    seed: int
    entry: str
    call: Callable[..., Any]          # call(impl) -> result; impl = coresample or coresample.reference
    desc: Dict[str, str]              # argument name -> readable description
    bad: set                          # arguments the generator made invalid (must be refused)
    maybe: set                        # arguments at an edge (refusal or success both fine)
    check: Optional[Callable[[Any], None]] = None   # invariants on an OK result
    deterministic: bool = True        # same output for a rebuilt case
    crosscheck: Optional[str] = None  # None | "exact" | "close": compare with coresample.reference
    argnames: Tuple[str, ...] = ()
    guards: List[Tuple[np.ndarray, int, int]] = dataclasses.field(default_factory=list)
    inputs: List[Tuple[str, np.ndarray, bytes]] = dataclasses.field(default_factory=list)
    allowed_errors: Tuple[type, ...] = ()
    core_only: bool = False           # `_core` call: any TypeError/ValueError is a refusal


class Ctx:
    """Argument builder for one case: a Generator plus bookkeeping of bad/edge arguments."""

    def __init__(self, seed: int, tmpdir: str):
        self.seed = seed
        self.rng = np.random.default_rng([seed, 0xC0FE])
        self.tmpdir = tmpdir
        self.bad: set = set()
        self.maybe: set = set()
        self.desc: Dict[str, str] = {}
        self.inputs: List[Tuple[str, np.ndarray, bytes]] = []
        self.guards: List[Tuple[np.ndarray, int, int]] = []

    def p(self, prob: float) -> bool:
        return bool(self.rng.random() < prob)

    def pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def note(self, name: str, value: Any, kind: str = "ok") -> Any:
        self.desc[name] = describe(value)
        if kind == "bad":
            self.bad.add(name)
        elif kind == "maybe":
            self.maybe.add(name)
        return value

    def track(self, name: str, arr: Any) -> Any:
        """Remember an input array to verify that the call does not modify it."""
        if isinstance(arr, np.ndarray) and arr.dtype != object:
            self.inputs.append((name, arr, np.array(arr, copy=True).tobytes()))
        return arr

    # ---- data ---------------------------------------------------------------------------------
    def shape_nd(self) -> Tuple[int, int]:
        n = int(self.pick([1, 2, 3, 5, 8, 17, 40, 64, 100, 257]))
        if self.p(0.03):
            n = int(self.pick([1023, 1025, 2500]))  # block boundaries of the core (1024 rows)
        d = int(self.pick([1, 1, 2, 3, 5, 8, 16]))
        return n, d

    def data(self, n: int, d: int, dtype=np.float64) -> np.ndarray:
        kind = self.pick(["normal", "blobs", "blobs", "identical", "duplicates", "extreme",
                          "tiny", "denormal", "zeros", "int_grid", "huge_spread"])
        rng = self.rng
        if kind == "normal":
            X = rng.normal(size=(n, d))
        elif kind == "blobs":
            k = int(rng.integers(1, max(2, min(n, 6)) + 1))
            c = rng.uniform(-10, 10, size=(k, d))
            X = c[rng.integers(k, size=n)] + 0.05 * rng.normal(size=(n, d))
        elif kind == "identical":
            X = np.tile(rng.normal(size=(1, d)), (n, 1))
        elif kind == "duplicates":
            base = rng.normal(size=(max(1, n // 3), d))
            X = base[rng.integers(len(base), size=n)]
        elif kind == "extreme":
            big = self.pick([1e38, 3e38, 1e150, 1e300])
            X = rng.choice([-big, big, 0.0, 1.0], size=(n, d))
        elif kind == "tiny":
            X = rng.normal(size=(n, d)) * self.pick([1e-38, 1e-300, 1e-20])
        elif kind == "denormal":
            X = rng.integers(-3, 4, size=(n, d)) * self.pick([1e-45, 5e-324, 1e-310])
        elif kind == "zeros":
            X = np.zeros((n, d))
        elif kind == "int_grid":
            X = rng.integers(-2, 3, size=(n, d)).astype(float)
        else:
            X = rng.normal(size=(n, d)) * np.logspace(-30, 30, d)[None, :]
        with np.errstate(over="ignore"):
            X = X.astype(dtype)
        self.data_kind = kind
        return X

    def layout(self, X: np.ndarray, name: str = "X") -> np.ndarray:
        """C order, Fortran order, strided view, read-only or a memmap (all valid)."""
        lay = self.pick(["c", "c", "c", "fortran", "strided", "readonly", "memmap", "colstride"])
        if lay == "fortran":
            X = np.asfortranarray(X)
        elif lay == "strided":
            big = np.empty((X.shape[0] * 2,) + X.shape[1:], dtype=X.dtype)
            big[::2] = X
            X = big[::2]
        elif lay == "colstride" and X.ndim == 2:
            big = np.empty((X.shape[0], X.shape[1] * 2), dtype=X.dtype)
            big[:, ::2] = X
            X = big[:, ::2]
        elif lay == "readonly":
            X = X.copy()
            X.flags.writeable = False
        elif lay == "memmap" and X.size > 0 and X.dtype != object:
            path = os.path.join(self.tmpdir, f"mm_{self.seed}_{name}.dat")
            mm = np.memmap(path, dtype=X.dtype, mode="w+", shape=X.shape)
            mm[:] = X
            mm.flush()
            X = np.memmap(path, dtype=X.dtype, mode=self.pick(["r", "r+", "c"]), shape=X.shape)
        self.layout_kind = lay
        return X

    def matrix(self, name: str = "X", n: Optional[int] = None, d: Optional[int] = None,
               bad_prob: float = 0.25, allow_f16: bool = True) -> np.ndarray:
        """A 2-D float input, valid or (with probability bad_prob) malformed."""
        if n is None or d is None:
            n0, d0 = self.shape_nd()
            n = n0 if n is None else n
            d = d0 if d is None else d
        dtype = self.pick([np.float64, np.float64, np.float32, np.float32]
                          + ([np.float16] if allow_f16 else []))
        X = self.data(n, d, np.float64 if dtype == np.float16 else dtype)
        kind = "ok"
        if dtype == np.float16:
            with np.errstate(over="ignore"):
                X = X.astype(np.float16)
            if not np.isfinite(X).all():
                kind = "bad"  # overflowed to inf in float16
        elif not np.isfinite(X).all():
            kind = "bad"
        if self.p(bad_prob):
            how = self.pick(["nan", "inf", "-inf", "int", "bool", "object", "complex", "1d", "3d",
                             "empty_rows", "empty_cols", "list", "longdouble", "uint8", "scalar",
                             "none", "string"])
            kind = "bad"
            if how in ("nan", "inf", "-inf"):
                X = np.array(X, dtype=X.dtype if X.dtype.kind == "f" else np.float64)
                X.flat[int(self.rng.integers(X.size))] = {"nan": np.nan, "inf": np.inf,
                                                          "-inf": -np.inf}[how]
            elif how == "int":
                X = X.astype(np.int64) if np.isfinite(X).all() else np.ones(X.shape, np.int64)
            elif how == "uint8":
                X = np.ones(X.shape, np.uint8)
            elif how == "bool":
                X = X > 0
            elif how == "object":
                X = X.astype(object)
            elif how == "complex":
                X = X.astype(np.complex128)
            elif how == "longdouble":
                X = X.astype(np.longdouble)
                if X.dtype.itemsize <= 8:
                    kind = "ok"
            elif how == "1d":
                X = X[:, 0].copy()
            elif how == "3d":
                X = X[None]
            elif how == "empty_rows":
                X = X[:0]
            elif how == "empty_cols":
                X = X[:, :0]
            elif how == "list":
                X = X.tolist()
                kind = "maybe"
            elif how == "scalar":
                X = 1.0
            elif how == "none":
                X = None
            elif how == "string":
                X = "X"
        if isinstance(X, np.ndarray):
            X = self.layout(X, name)
        self.note(name, X, kind)
        return self.track(name, X)

    def vector(self, name: str, n: int, *, nonneg: bool = True, bad_prob: float = 0.2,
               kind_pool=None, free_len: bool = False) -> Any:
        """A 1-D float vector (weights, losses, costs), valid or malformed."""
        base = self.pick(kind_pool or ["ones", "uniform", "zeros_some", "int", "bool", "tiny",
                                        "huge", "f32", "list"])
        rng = self.rng
        if base == "ones":
            v = np.ones(n)
        elif base == "uniform":
            v = rng.uniform(0, 5, size=n)
        elif base == "zeros_some":
            v = rng.uniform(0, 1, size=n) * (rng.random(n) < 0.5)
            if n and v.sum() == 0:
                v[int(rng.integers(n))] = 1.0
        elif base == "int":
            v = rng.integers(1, 4, size=n)
        elif base == "bool":
            v = np.ones(n, dtype=bool)
        elif base == "tiny":
            v = rng.uniform(0, 1, size=n) * 1e-300
        elif base == "huge":
            v = rng.uniform(0.5, 1, size=n) * 1e300
        elif base == "f32":
            v = rng.uniform(0, 2, size=n).astype(np.float32)
        else:
            v = rng.uniform(0, 2, size=n).tolist()
        kind = "ok" if base not in ("tiny", "huge") else "maybe"
        if self.p(bad_prob):
            how = self.pick(["nan", "inf", "neg", "short", "long", "2d", "allzero", "object",
                             "complex", "string", "scalar"])
            v = np.array(v, dtype=np.float64)
            kind = "bad"
            if how == "nan" and n:
                v[int(rng.integers(n))] = np.nan
            elif how == "inf" and n:
                v[int(rng.integers(n))] = np.inf
            elif how == "neg" and n:
                v[int(rng.integers(n))] = -1.0
                if not nonneg:
                    kind = "ok"
            elif how == "short":
                v = v[:-1] if n else np.ones(1)
            elif how == "long":
                v = np.r_[v, 1.0]
            elif how == "2d":
                v = np.tile(v, (2, 1))
            elif how == "allzero":
                v = np.zeros(n)
                kind = "maybe"
            elif how == "object":
                v = v.astype(object)
            elif how == "complex":
                v = v.astype(complex)
            elif how == "string":
                v = np.array(["a"] * n)
            elif how == "scalar":
                v = 1.0
            else:
                kind = "maybe" if n == 0 else "bad"
            if free_len and how in ("short", "long"):
                kind = "maybe" if v.size == 0 else "ok"
        if isinstance(v, np.ndarray) and v.ndim == 1 and self.p(0.2):
            big = np.empty(2 * len(v), dtype=v.dtype)
            big[::2] = v
            v = big[::2]
        self.note(name, v, kind)
        return self.track(name, v)

    # ---- scalars ------------------------------------------------------------------------------
    def scalar(self, name: str, good: list, bad: list, maybe: list = (), bad_prob=0.12,
               maybe_prob=0.08):
        r = self.rng.random()
        if bad and r < bad_prob:
            return self.note(name, self.pick(bad), "bad")
        if maybe and r < bad_prob + maybe_prob:
            return self.note(name, self.pick(list(maybe)), "maybe")
        return self.note(name, self.pick(good))

    def random_state(self, name="random_state"):
        r = self.rng.random()
        if r < 0.08:
            return self.note(name, self.pick([-1, "x", 1.5, True, [1, 2], np.float64(3.0)]), "bad")
        if r < 0.15:
            return self.note(name, self.pick([None, np.random.RandomState(3)]), "nodet")
        if r < 0.30:
            return self.note(name, GenSpec(int(self.rng.integers(1000))))
        return self.note(name, self.pick([0, 1, 7, 123, 2**31, 2**63, 2**64 - 1, 2**70,
                                          np.int64(5), np.uint64(2**64 - 1)]))

    def n_threads(self, name="n_threads"):
        return self.scalar(name, [None, None, 1, 2, 3], [0, -1, 2.0, "2", True, -(2**40)],
                           [2**31, 2**31 - 1, 10**6, 2**63, 2**64], bad_prob=0.08,
                           maybe_prob=0.06)

    def z(self, name="z"):
        return self.scalar(name, [1.0, 2.0, 2.0, 1.5, 3.0, 2], [0.5, -1.0, float("nan"),
                           float("inf"), 0.0, 65.0, "2", None, True, 1e308],
                           [64.0, 1.0000001, 50.0, np.float32(2.0)], bad_prob=0.12)

    def n_clusters(self, n: int, name="n_clusters"):
        good = sorted({1, min(n, 2), min(n, 3), max(1, n // 2), max(1, n - 1), n})
        return self.scalar(name, good, [0, -1, n + 1, 2 * n + 5, 2.5, "3", None, True, 2**63,
                                        np.float64(2.0)], [np.int32(1), np.int64(min(n, 2))])

    def budget(self, n: int, replace: bool, name="budget"):
        good = sorted({1, min(n, 2), max(1, n // 2), n} | ({n + 1, 3 * n} if replace else set()))
        bad = [0, -1, -(2**63), 1.5, "5", None, True, 2**64 + 1, np.float64(3)]
        if not replace:
            bad += [n + 1, 10 * n + 3]
        return self.scalar(name, good, bad, [2**40, 2**62] if replace else [])


class GenSpec:
    """A numpy Generator to be built fresh at call time (so rebuilt cases get the same state)."""

    def __init__(self, seed: int):
        self.seed = seed

    def __repr__(self):
        return f"np.random.default_rng({self.seed})"


def materialize(v: Any) -> Any:
    return np.random.default_rng(v.seed) if isinstance(v, GenSpec) else v


def describe(v: Any) -> str:
    if isinstance(v, np.memmap):
        return f"np.memmap(shape={v.shape}, dtype={v.dtype}, mode={v.mode!r})"
    if isinstance(v, np.ndarray):
        flags = []
        if not v.flags.c_contiguous:
            flags.append("F-order" if v.flags.f_contiguous else "strided")
        if not v.flags.writeable:
            flags.append("read-only")
        if v.size <= 12 and v.dtype != object:
            body = np.array2string(v.ravel(), precision=17, separator=",", threshold=20)
            return f"array({body}, dtype={v.dtype}, shape={v.shape}{', ' + ','.join(flags) if flags else ''})"
        extra = ""
        if v.dtype.kind in "fc" and v.size:
            with np.errstate(all="ignore"):
                fin = np.isfinite(v)
                extra = f", nonfinite={int((~fin).sum())}"
                if fin.any():
                    extra += f", absmax={np.abs(v[fin]).max():.3g}"
        return f"array(shape={v.shape}, dtype={v.dtype}{extra}{', ' + ','.join(flags) if flags else ''})"
    if isinstance(v, list):
        return f"list(len={len(v)})"
    if callable(v) and hasattr(v, "fuzz_desc"):
        return v.fuzz_desc
    r = repr(v)
    return r if len(r) < 120 else r[:117] + "..."


# ------------------------------------------------------------------------------------------------
# Oracles


def make_loss_fn(ctx: Ctx, n: int, name: str = "loss_fn"):
    kind = ctx.pick(["sq", "sq", "zeros", "const", "ints", "col", "list", "wrong_len", "neg",
                     "nan", "inf", "none", "strings", "raises", "2d", "scalar", "not_callable",
                     "huge", "f32", "dict"])
    table = ctx.rng.uniform(0, 3, size=max(n, 1))

    def f(idx):
        idx = np.asarray(idx)
        if kind in ("sq", "f32", "huge"):
            out = table[idx] * (1e300 if kind == "huge" else 1.0)
            return out.astype(np.float32) if kind == "f32" else out
        if kind == "zeros":
            return np.zeros(len(idx))
        if kind == "const":
            return np.full(len(idx), 0.7)
        if kind == "ints":
            return (idx % 3).astype(np.int64)
        if kind == "col":
            return table[idx][:, None]
        if kind == "list":
            return [float(table[i]) for i in idx]
        if kind == "wrong_len":
            return np.ones(len(idx) + 1)
        if kind == "neg":
            return -np.ones(len(idx))
        if kind == "nan":
            out = np.ones(len(idx))
            out[0] = np.nan
            return out
        if kind == "inf":
            return np.full(len(idx), np.inf)
        if kind == "none":
            return None
        if kind == "strings":
            return ["a"] * len(idx)
        if kind == "raises":
            raise OracleError("oracle failed on purpose")
        if kind == "2d":
            return np.ones((len(idx), 2))
        if kind == "scalar":
            return 1.0
        if kind == "dict":
            return {"a": 1}
        raise AssertionError(kind)

    f.fuzz_desc = f"<loss_fn {kind}>"
    if kind == "not_callable":
        return ctx.note(name, 3, "bad")
    if kind in ("sq", "zeros", "const", "ints", "col", "list", "f32"):
        verdict = "ok"
    elif kind == "huge":
        verdict = "maybe"
    elif kind == "raises":
        verdict = "raises"
    elif kind == "scalar":
        verdict = "maybe"  # a scalar is a valid answer when only one row is asked for
    else:
        verdict = "bad"
    if verdict == "raises":
        ctx.desc[name] = f.fuzz_desc
        ctx.bad.add(name)
        ctx.raises = True
        return f
    ctx.note(name, f, verdict)
    return f


# ------------------------------------------------------------------------------------------------
# Invariant checks


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
                    skip_estimate: bool = False) -> None:
    check_index_array(sel.indices, n, "indices", budget)
    check_weights(sel.weights, len(sel.indices))
    if not replace:
        need(len(np.unique(sel.indices)) == len(sel.indices), "replace=False gave repeated rows")
    p = sel.probabilities
    need(isinstance(p, np.ndarray) and p.shape == (n,), f"probabilities shape {getattr(p, 'shape', None)}")
    need(np.isfinite(p).all() and (p >= 0).all(), "probabilities not finite/non-negative")
    need(abs(p.sum() - 1.0) < 1e-6, f"probabilities sum to {p.sum()!r}")
    need(np.all(p[sel.indices] > 0), "a sampled row has probability 0")
    if k is not None:
        check_index_array(sel.representatives, n, "representatives", k)
        check_index_array(sel.labels, k, "labels", n)
        need(isinstance(sel.cost, np.ndarray) and sel.cost.shape == (n,), "cost shape")
        need(np.isfinite(sel.cost).all() and (sel.cost >= 0).all(), "cost not finite/non-negative")
        need(np.isfinite(sel.inertia) and sel.inertia >= 0, f"inertia {sel.inertia!r}")
        need(np.all(sel.cost[sel.representatives] == 0) or True, "")
    need(np.isfinite(sel.total_weight) and sel.total_weight > 0, f"total_weight {sel.total_weight!r}")
    if sel.estimate is not None and not skip_estimate:
        need(np.isfinite(sel.estimate), f"estimate {sel.estimate!r} not finite")
        need(sel.stderr is None or np.isfinite(sel.stderr) or len(sel.indices) < 2,
             f"stderr {sel.stderr!r}")


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
        out = []
        for key in sorted(vars(res)):
            if key.endswith("_") or key in ("n_clusters",):
                out += [key] + flatten(vars(res)[key], depth + 1)
        return out
    return [repr(res)]


def leaves_equal(a: List[Any], b: List[Any], rtol: float = 0.0, exact_int: bool = True) -> Optional[str]:
    if len(a) != len(b):
        return f"different structure ({len(a)} vs {len(b)} leaves)"
    for i, (x, y) in enumerate(zip(a, b)):
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            x, y = np.asarray(x), np.asarray(y)
            if x.shape != y.shape:
                return f"leaf {i}: shape {x.shape} vs {y.shape}"
            if x.dtype.kind in "iub" or not rtol:
                if x.dtype.kind in "fc" and y.dtype.kind in "fc":
                    if not np.array_equal(x, y, equal_nan=True):
                        return f"leaf {i}: arrays differ (max abs diff {np.nanmax(np.abs(x - y)) if x.size else 0!r})"
                elif not np.array_equal(x, y):
                    return f"leaf {i}: arrays differ"
            else:
                if not np.allclose(x, y, rtol=rtol, atol=0, equal_nan=True):
                    return f"leaf {i}: arrays differ beyond rtol {rtol}"
        elif isinstance(x, float) or isinstance(y, float):
            if isinstance(x, (int, float)) and isinstance(y, (int, float)):
                if not (x == y or (math.isnan(x) and math.isnan(y))
                        or (rtol and math.isclose(x, y, rel_tol=rtol))):
                    return f"leaf {i}: {x!r} vs {y!r}"
            elif repr(x) != repr(y):
                return f"leaf {i}: {x!r} vs {y!r}"
        elif isinstance(x, (np.floating,)) or isinstance(y, (np.floating,)):
            if not (x == y or (np.isnan(x) and np.isnan(y)) or (rtol and np.isclose(x, y, rtol=rtol))):
                return f"leaf {i}: {x!r} vs {y!r}"
        elif x != y:
            return f"leaf {i}: {x!r} vs {y!r}"
    return None


# ------------------------------------------------------------------------------------------------
# Generators, one per entry point. Each returns a Case.


def _mod(impl, path: str):
    obj = impl
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _shape2(X: Any) -> Tuple[int, int]:
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


def g_select(ctx: Ctx) -> Case:
    X = ctx.matrix("X")
    n = _rows(X)
    replace = ctx.scalar("replace", [True, True, False], [], [1, 0, "yes", None], maybe_prob=0.04)
    budget = ctx.budget(n, bool(replace))
    k = ctx.n_clusters(n)
    kw: Dict[str, Any] = dict(n_clusters=k, replace=replace)
    if ctx.p(0.6):
        kw["z"] = ctx.z()
    if ctx.p(0.5):
        kw["lam"] = ctx.scalar("lam", [1.0, 0.0, 0.5, 1e-300, 1e300, 3],
                               [-1.0, float("nan"), float("inf"), "x", None, True], ["auto"])
    ctx.raises = False
    if ctx.p(0.4):
        kw["loss_fn"] = make_loss_fn(ctx, n)
    if ctx.p(0.3):
        kw["sample_weight"] = ctx.vector("sample_weight", n)
    if ctx.p(0.3):
        kw["method"] = ctx.scalar("method", ["lightweight", "coreset"], ["magic", None, 1])
    if ctx.p(0.3):
        kw["estimator"] = ctx.scalar("estimator", ["plain", "difference"], ["magic", None])
        if kw["estimator"] == "difference" and "loss_fn" not in kw:
            ctx.bad.add("estimator")
    if ctx.p(0.3):
        kw["init"] = ctx.scalar("init", ["auto", "k-means++", "k-means||"], ["random", None, 3])
    if ctx.p(0.3):
        kw["max_iter"] = ctx.scalar("max_iter", [0, 1, 5, 20, 300], [-1, 1.5, "3", None])
    if ctx.p(0.3):
        kw["tol"] = ctx.scalar("tol", [0.0, 1e-4, 1.0, 1e300], [-1.0, float("nan"), "x", float("inf")])
    if ctx.p(0.3):
        kw["max_points_per_center"] = ctx.scalar("max_points_per_center", ["auto", None, 1, 2, 48],
                                                 [0, -1, "fast", 1.5])
    kw["random_state"] = ctx.random_state()
    if ctx.p(0.5):
        kw["n_threads"] = ctx.n_threads()
    if ctx.p(0.1):
        kw["progress"] = ctx.scalar("progress", [False, None], [], [lambda *a: None])
    if kw.get("lam") == "auto" and "loss_fn" not in kw:
        ctx.maybe.add("lam")
    replace_eff = bool(replace)

    def call(impl):
        kk = dict(kw)
        kk["random_state"] = materialize(kk["random_state"])
        return impl.select(X, budget, **kk)

    def check(sel):
        # losses/weights near 1e300: an overflowing estimate/stderr is fair
        skip = "loss_fn" in ctx.maybe or "sample_weight" in ctx.maybe
        check_selection(sel, n, budget, k if isinstance(k, (int, np.integer)) else None, replace_eff,
                        skip_estimate=skip)
        if "loss_fn" in kw:
            need(sel.n_queries <= len(np.unique(np.r_[sel.indices, sel.representatives])),
                 f"n_queries {sel.n_queries} > distinct rows")

    cross = None
    if isinstance(X, np.ndarray) and X.dtype == np.float64 and getattr(ctx, "data_kind", "") == "blobs" \
            and n <= 100:
        cross = "select"
    return Case(ctx.seed, "select", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck=cross, argnames=("X", "budget") + tuple(kw))


def g_select_adaptive(ctx: Ctx) -> Case:
    X = ctx.matrix("X", bad_prob=0.15)
    n = _rows(X)
    rounds = ctx.scalar("rounds", [1, 1, 2, 3], [0, -1, 1.5, None, n + 1])
    budget = ctx.scalar("budget", sorted({min(n, 2), min(n, 3), max(1, n // 2), n}),
                        [0, -1, n + 1, 1.5, None])
    if isinstance(budget, int) and isinstance(rounds, int) and not isinstance(rounds, bool) \
            and rounds >= 1 and budget < rounds + 1:
        ctx.maybe.add("budget")
    k = ctx.n_clusters(n)
    warm = ctx.scalar("warm_start", [0.2, 0.5, 0.99], [0.0, -0.1, 1.5, float("nan"), "x"], [1.0])
    kind = ctx.pick(["array", "array", "callable", "zeros", "wrong_len", "neg", "nan", "raises",
                     "none", "callable_bad"])
    table = ctx.rng.uniform(0, 2, size=max(n, 1))

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


def g_kmeans(ctx: Ctx) -> Case:
    method = ctx.pick(["fit", "predict", "transform", "score", "fit_predict", "fit_transform"])
    X = ctx.matrix("X", bad_prob=0.2)
    n = _rows(X)
    d = _shape2(X)[1] if _shape2(X)[1] > 0 else 2
    k = ctx.n_clusters(n)
    kw: Dict[str, Any] = {}
    if ctx.p(0.5):
        kw["z"] = ctx.z()
    if ctx.p(0.4):
        r = ctx.rng.random()
        if r < 0.3 and isinstance(k, int) and not isinstance(k, bool) and 1 <= k <= 10**5:
            init = ctx.rng.normal(size=(k, d))
            if ctx.p(0.3):
                init = init[:, :max(1, d - 1)] if d > 1 else np.ones((k, 2))
                ctx.note("init", init, "bad")
            else:
                ctx.note("init", init)
        else:
            init = ctx.scalar("init", ["k-means++", "k-means||"], ["random", None, 5])
        kw["init"] = init
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
    sw = ctx.vector("sample_weight", n) if ctx.p(0.3) else None
    X2 = X
    if method in ("predict", "transform", "score") and ctx.p(0.5):
        X2 = ctx.matrix("X_predict", d=d if ctx.p(0.8) else d + 1, bad_prob=0.2)
        if isinstance(X2, np.ndarray) and X2.ndim == 2 and X2.shape[1] != d:
            ctx.bad.add("X_predict")
    if method in ("predict", "transform") and "X_predict" in ctx.bad:
        ctx.bad.add("X")  # sklearn's message names "X"
    if method in ("score",) and "X_predict" in ctx.bad:
        ctx.bad.add("X")

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
        if method == "fit":
            check_index_array(res.labels_, k, "labels_", n)
            need(res.cluster_centers_.shape == (k, d), f"centers shape {res.cluster_centers_.shape}")
            need(np.isfinite(res.cluster_centers_).all(), "cluster_centers_ not finite")
            need(np.isfinite(res.inertia_) and res.inertia_ >= 0, f"inertia_ {res.inertia_!r}")
        elif method in ("predict", "fit_predict"):
            m = _rows(X2) if method == "predict" else n
            check_index_array(res, k, "labels", m)
        elif method in ("transform", "fit_transform"):
            m = _rows(X2) if method == "transform" else n
            need(res.shape == (m, k), f"transform shape {res.shape}")
            need(np.isfinite(res).all() and (res >= 0).all(), "transform: distances not finite/>=0")
        elif method == "score":
            need(np.isfinite(res) and res <= 0, f"score {res!r} not finite and <= 0")

    return Case(ctx.seed, f"KMeans.{method}", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck=None, argnames=("X", "n_clusters", "sample_weight", "X_predict") + tuple(kw))


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
        # k * n_local_trials * n * d flops: keep big trial counts to small n (a 60 s "hang" is no bug)
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

    return Case(ctx.seed, "kmeans_plusplus", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck="close" if isinstance(X, np.ndarray) and X.dtype == np.float64
                and getattr(ctx, "data_kind", "") in ("blobs",) else None,
                argnames=("X", "n_clusters") + tuple(kw))


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
        need(np.isfinite(cost).all(), f"cost not finite ({int((~np.isfinite(cost)).sum())} entries)")

    return Case(ctx.seed, "assign", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck="cost", argnames=("X", "centers", "z") + tuple(kw))


def g_snap(ctx: Ctx) -> Case:
    X = ctx.matrix("X")
    n, d = _shape2(X)
    kc = int(ctx.pick([1, 2, 3, 5]))
    C = ctx.matrix("centers", n=kc, d=d if ctx.p(0.9) else d + 1, bad_prob=0.1)
    if isinstance(C, np.ndarray) and C.ndim == 2 and C.shape[1] != d:
        ctx.bad.add("centers")
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
    ctx.track("labels", labels)
    kw = {"n_threads": ctx.n_threads()} if ctx.p(0.5) else {}

    def call(impl):
        return impl.snap_to_rows(X, C, labels, **kw)

    def check(out):
        need(isinstance(out, np.ndarray) and out.dtype == np.int64 and out.shape == (kc,),
             f"snap output {describe(out)}")
        # documented: representative row of each cluster; empty clusters: documented as -1?
        need(((out >= -1) & (out < n)).all(), f"snap index out of range: {out}")
        for c, r_ in enumerate(out):
            # documented: a member of cluster c; a center with no members takes any (nearest) row
            if (np.asarray(labels) == c).any():
                need(labels[r_] == c, f"representative {r_} of cluster {c} has label {labels[r_]}")

    return Case(ctx.seed, "snap_to_rows", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck="exact", argnames=("X", "centers", "labels") + tuple(kw))


def g_sensitivities(ctx: Ctx) -> Case:
    n = int(ctx.pick([1, 2, 5, 30, 100]))
    kc = int(ctx.pick([1, 2, 3, 8]))
    cost = ctx.vector("cost", n, kind_pool=["uniform", "zeros_some", "ones", "huge", "tiny", "int"])
    if isinstance(cost, np.ndarray) and cost.ndim == 1 and cost.size and np.all(cost == 0):
        pass
    labels = ctx.rng.integers(0, kc, size=n)
    r = ctx.rng.random()
    if r < 0.08:
        labels = labels + kc
        ctx.note("labels", labels, "bad")
    elif r < 0.12:
        labels = labels[:-1]
        ctx.note("labels", labels, "bad")
    elif r < 0.16:
        labels = labels + 0.5
        ctx.note("labels", labels, "bad")
    else:
        ctx.note("labels", labels)
    kw: Dict[str, Any] = {}
    if ctx.p(0.5):
        kw["center_losses"] = ctx.vector("center_losses", kc,
                                         kind_pool=["uniform", "ones", "zeros_some", "huge", "int"])
    if ctx.p(0.5):
        kw["lam"] = ctx.scalar("lam", [0.0, 1.0, 2.5, 1e-300], [-1.0, float("nan"), float("inf"), "x"],
                               [1e300])
    if ctx.p(0.3):
        kw["sample_weight"] = ctx.vector("sample_weight", n)
    if ctx.p(0.4):
        kw["method"] = ctx.scalar("method", ["lightweight", "coreset"], ["magic", None])
    if "center_losses" not in kw or ctx.p(0.5):
        kw["n_clusters"] = ctx.scalar("n_clusters", [kc, kc + 2], [0, -1, 1.5], [None])
    if "center_losses" not in kw and kw.get("n_clusters", None) is None and labels.size:
        ctx.maybe.add("n_clusters")
    for nm in ("labels", "center_losses"):
        # validity depends on n_clusters / len(center_losses): leave it to the library
        if nm in ctx.bad and isinstance(ctx.desc.get(nm), str) and ("int64" in ctx.desc[nm] or "float64" in ctx.desc[nm]):
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


def g_sample(ctx: Ctx) -> Case:
    n = int(ctx.pick([1, 2, 3, 10, 100, 1000]))
    p = ctx.vector("p", n, free_len=True, kind_pool=["uniform", "zeros_some", "ones", "int", "huge", "tiny", "f32",
                                      "list", "bool"])
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
    tw = ctx.scalar("total_weight", [1.0, 10.0, 1e6, 3], [0.0, -1.0, float("nan"), float("inf"), "x", None],
                    [1e-300, 1e308])
    kw: Dict[str, Any] = {}
    if ctx.p(0.4):
        kw["replace"] = ctx.pick([True, False])
    if ctx.p(0.3):
        kw["sample_weight"] = ctx.vector("sample_weight", s)
        if kw.get("replace", True) and "sample_weight" in ctx.bad:
            ctx.bad.discard("sample_weight")   # documented: used only when replace=False
            ctx.maybe.add("sample_weight")
    if ctx.p(0.3):
        kw["control"] = ctx.vector("control", s, nonneg=False)
        kw["control_total"] = ctx.scalar("control_total", [0.0, 5.0, -3.0], [float("nan"), "x"])
    if ctx.p(0.3):
        kw["confidence"] = ctx.scalar("confidence", [0.5, 0.95, 0.999], [0.0, 1.5, -0.1, float("nan")],
                                      [1.0])
    if ctx.p(0.3):
        kw["self_normalized"] = ctx.pick([True, False])

    def call(impl):
        return impl.estimate(losses, weights, tw, **kw)

    def check(est):
        need(est.n_samples == s, "n_samples")
        need(np.isfinite(est.total) or "losses" in ctx.maybe or "weights" in ctx.maybe
             or "total_weight" in ctx.maybe, f"total {est.total!r}")

    return Case(ctx.seed, "estimate", call, ctx.desc, ctx.bad, ctx.maybe, check, crosscheck="close",
                argnames=("losses", "weights", "total_weight") + tuple(kw))


def g_sample_size(ctx: Ctx) -> Case:
    eps = ctx.scalar("epsilon", [0.05, 0.5, 1.0, 0.01, 1e-3], [0.0, -0.1, float("nan"), float("inf"),
                     "x", None], [1e-9, 1e-200, 2.0, 1e10], bad_prob=0.25, maybe_prob=0.2)
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

    return Case(ctx.seed, "sample_size", call, ctx.desc, ctx.bad, ctx.maybe, check, crosscheck="exact",
                argnames=("epsilon",) + tuple(kw))


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


def g_shards(ctx: Ctx) -> Case:
    n_parts = int(ctx.pick([1, 2, 3]))
    d = int(ctx.pick([1, 3, 4]))
    parts = []
    for i in range(n_parts):
        parts.append(ctx.matrix(f"parts[{i}]", n=int(ctx.pick([1, 5, 40])), d=d, bad_prob=0.08))
    kind = "ok"
    if n_parts > 1 and ctx.p(0.15):
        parts[-1] = np.ones((3, d + 1))
        kind = "bad"
    form = ctx.pick(["arrays", "arrays", "paths", "folder", "empty", "ndarray"])
    if form in ("paths", "folder"):
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
    rs = int(ctx.integers_seed()) if hasattr(ctx, "integers_seed") else int(ctx.rng.integers(100))
    ctx.desc["select"] = f"select(Shards, {budget}, n_clusters={k}, max_points_per_center={mppc}, random_state={rs})"

    def call(impl):
        sh = impl.Shards(parts)
        n_ = sh.shape[0]
        if k > n_:
            return ("small", sh.shape)
        sel = impl.select(sh, budget, n_clusters=k, max_points_per_center=mppc, random_state=rs)
        return sh.shape, sel.indices, sel.weights

    return Case(ctx.seed, "Shards", call, ctx.desc, ctx.bad, ctx.maybe, None, crosscheck=None,
                argnames=("parts",))


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
        r = ctx.rng.random()
        if r < 0.5:
            kw["initial"] = ctx.note("initial", ctx.rng.choice(n, size=min(n, int(ctx.pick([1, 2]))),
                                                              replace=False))
        elif r < 0.7:
            kw["initial"] = ctx.note("initial", np.array([n + 3]), "bad")
        elif r < 0.8:
            kw["initial"] = ctx.note("initial", np.array([0, 0]), "maybe")
        elif r < 0.9:
            kw["initial"] = ctx.note("initial", np.array([0.5]), "bad")
        else:
            kw["initial"] = ctx.note("initial", np.array([], dtype=np.int64), "maybe")
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
                argnames=("X", "budget") + tuple(kw))


def g_uncertainty(ctx: Ctx) -> Case:
    which = ctx.pick(["least_confidence", "margin", "entropy", "uncertainty_scores"])
    n = int(ctx.pick([1, 2, 5, 50]))
    c = int(ctx.pick([1, 2, 3, 10]))
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
    if which in ("fit", "sample_rows", "row_probabilities"):
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
    if which in ("fit", "sample_rows"):
        replace = ctx.pick([True, False])
        kw["replace"] = replace
        budget = ctx.budget(n, replace)
        if ctx.p(0.3):
            kw["include_representatives"] = ctx.pick([True, False])
    if which == "approximate_leverage_scores":
        if ctx.p(0.4):
            kw["sketch"] = ctx.scalar("sketch", ["countsketch", "gaussian"], ["magic"])
        if ctx.p(0.4):
            kw["sketch_size"] = ctx.scalar("sketch_size", [None, 1, 10, 100], [0, -1, 1.5])
        if ctx.p(0.3):
            kw["jl_dim"] = ctx.scalar("jl_dim", [None, 1, 5], [0, -1])
        kw["random_state"] = ctx.random_state()
    if which == "solve":
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

    return Case(ctx.seed, f"regression.{which}", call, ctx.desc, ctx.bad, ctx.maybe, check,
                crosscheck=None, argnames=("A", "b", "indices", "weights", "budget") + tuple(kw))


# ---- _core --------------------------------------------------------------------------------------


def _guarded(ctx: Ctx, name: str, length: int, dtype, *, shape=None):
    """An output buffer of `length` elements living inside a canary-filled allocation."""
    pad = 16
    total = (int(np.prod(shape)) if shape is not None else max(length, 0)) + 2 * pad
    base = np.empty(total, dtype=dtype)
    canary = np.array(0x5A5A5A5A5A5A5A5A, dtype=np.uint64).view(np.float64) \
        if np.dtype(dtype) == np.float64 else 0x5A5A5A5A5A5A5A5A
    if np.dtype(dtype) == np.float64:
        base[:] = canary
    elif np.dtype(dtype) == np.float32:
        base[:] = np.float32(1.2345e-7)
    else:
        base[:] = np.array(0x5A5A5A5A5A5A5A5A, dtype=np.uint64).astype(dtype)
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
        arr = np.zeros(L * (2 if strided else 1), dtype=dt)
        if values is not None and np.dtype(dt) == np.dtype(dtype) and L == length:
            arr[:L] = values
        elif values is not None:
            m = min(L, len(values))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                arr[:m] = np.asarray(values[:m]).astype(dt)
        if strided:
            arr = arr[::2]
    if arr.flags.c_contiguous and arr.dtype == np.dtype(dtype) and (free_len or arr.shape == (length,)):
        kind = "ok"  # e.g. a "strided" view of one element is contiguous
    ctx.note(name, arr, kind)
    return arr


def _core_z(ctx: Ctx):
    """z for a _core call: the core trusts the Python layer's range check, so any float is an edge."""
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
    return ctx.scalar(name, good, list(bad) + [1.5, "3", None], list(maybe) + [-1, 2**63, -(2**63), 2**64],
                      bad_prob=0.06, maybe_prob=0.08)


def core_nt(ctx: Ctx):
    return ctx.scalar("n_threads", [0, 1, 2], [1.5, None], [-1, 2**31, 10**6, -(2**31)],
                      bad_prob=0.04, maybe_prob=0.06)


def g_core(ctx: Ctx) -> Case:
    from coresample import _core  # noqa: F401
    fname = ctx.pick(["assign", "kmeans_plusplus", "lloyd", "mean_variance", "snap_to_rows",
                      "sensitivities", "sample_with_replacement", "sample_without_replacement",
                      "random_uint64", "log_unit", "set_progress", "simd_level",
                      "available_simd_levels", "has_openmp", "max_threads"])
    args: List[Any] = []
    kwargs: Dict[str, Any] = {}
    post: Callable[[Any], None] = lambda res: None
    rng = ctx.rng
    if fname in ("assign", "lloyd", "kmeans_plusplus", "snap_to_rows", "mean_variance"):
        X, n, d, dtype = core_X(ctx)
        if fname == "mean_variance":
            args = [X, core_nt(ctx)]
        elif fname == "kmeans_plusplus":
            k = core_int(ctx, "n_clusters", [1, max(1, n), max(1, n // 2)], [], [0, n + 1, 10**9])
            sw = None if ctx.p(0.6) else core_array(ctx, "sample_weight", n, np.float64,
                                                     values=rng.uniform(0, 2, n))
            kk = k if isinstance(k, int) and 0 <= k < 10**6 else 1
            idx = core_array(ctx, "indices", kk, np.int64, output=True)
            args = [X, sw, k, _core_z(ctx),
                    core_int(ctx, "seed", [0, 1, 2**64 - 1]),
                    core_int(ctx, "n_local_trials", [1, 2, 5], [], [0, 10**6]), idx, core_nt(ctx)]
            if ctx.p(0.2):
                args.append(ctx.note("simd", ctx.pick(["", "scalar", "avx2", "avx512", "bogus"]), "maybe"))

            def post(res, idx=idx, n=n, kk=kk):
                if isinstance(idx, np.ndarray) and idx.dtype == np.int64 and idx.shape[0] == kk:
                    need(((idx >= 0) & (idx < max(n, 1))).all(), f"kmeans_plusplus wrote indices {idx[:8]}")
        else:
            kc = int(ctx.pick([1, 2, 3, 8]))
            cd = d if ctx.p(0.9) else d + 1
            cdt = dtype if ctx.p(0.9) else ({np.float32: np.float64, np.float64: np.float32}[dtype])
            C = np.ascontiguousarray(rng.normal(size=(kc, cd)).astype(cdt))
            if cd != d or cdt != dtype:
                ctx.note("centers", C, "bad")
            else:
                ctx.note("centers", C)
            if fname == "snap_to_rows":
                labels = core_array(ctx, "labels", n, np.int64, values=rng.integers(0, kc, n))
                if ctx.p(0.15) and isinstance(labels, np.ndarray) and labels.size and labels.dtype == np.int64:
                    labels = labels.copy()
                    labels[0] = ctx.pick([kc, -1, 2**40, -(2**62)])
                    ctx.bad.discard("labels")
                    ctx.note("labels", labels, "maybe")
                out = core_array(ctx, "out", kc, np.int64, output=True)
                args = [X, C, labels, out, core_nt(ctx)]

                def post(res, out=out, n=n, kc=kc):
                    if isinstance(out, np.ndarray) and out.dtype == np.int64 and out.shape[0] == kc:
                        need(((out >= -1) & (out < max(n, 1))).all(), f"snap wrote {out}")
            else:
                sw = None if ctx.p(0.6) else core_array(ctx, "sample_weight", n, np.float64,
                                                         values=rng.uniform(0, 2, n))
                labels = core_array(ctx, "labels", n, np.int64, output=True)
                cost = core_array(ctx, "cost", n, np.float64, output=True)
                zz = _core_z(ctx)
                if fname == "assign":
                    args = [X, C, zz, sw, labels, cost, core_nt(ctx)]
                    if ctx.p(0.2):
                        args.append(ctx.note("simd", ctx.pick(["", "scalar", "avx2", "avx512", "bogus"]),
                                             "maybe"))
                else:
                    Cw = C.copy()
                    args = [X, sw, Cw, zz, core_int(ctx, "max_iter", [0, 1, 10], [], [10**7]),
                            ctx.scalar("tol", [0.0, 1e-4], [float("nan"), -1.0], bad_prob=0.05),
                            labels, cost, core_nt(ctx)]

                def post(res, labels=labels, cost=cost, n=n, kc=kc):
                    if isinstance(labels, np.ndarray) and labels.dtype == np.int64 and labels.shape[0] == n \
                            and isinstance(X, np.ndarray) and np.isfinite(X).all():
                        need(((labels >= 0) & (labels < kc)).all(), f"labels written out of range: {labels[:8]}")
    elif fname == "sensitivities":
        n = int(ctx.pick([0, 1, 3, 20]))
        kc = int(ctx.pick([1, 2, 4]))
        cost = core_array(ctx, "cost", n, np.float64, values=rng.uniform(0, 1, n))
        labels = core_array(ctx, "labels", n, np.int64, values=rng.integers(0, kc, n))
        if ctx.p(0.15) and isinstance(labels, np.ndarray) and labels.size and labels.dtype == np.int64:
            labels = labels.copy()
            labels[-1] = ctx.pick([kc, -1, 2**40, -(2**62)])
            ctx.bad.discard("labels")
            ctx.note("labels", labels, "maybe")
        cl = None if ctx.p(0.5) else core_array(ctx, "center_losses", kc, np.float64,
                                                 values=rng.uniform(0, 1, kc))
        sw = None if ctx.p(0.7) else core_array(ctx, "sample_weight", n, np.float64,
                                                 values=rng.uniform(0, 1, n))
        out = core_array(ctx, "out", n, np.float64, output=True)
        args = [cost, labels, cl, core_int(ctx, "n_clusters", [kc, kc + 1], [], [0]),
                ctx.scalar("lam", [1.0, 0.0], [float("nan"), -1.0, float("inf")], bad_prob=0.06),
                sw, ctx.scalar("method", ["lightweight", "coreset"], ["magic"], bad_prob=0.05),
                out, core_nt(ctx)]
    elif fname in ("sample_with_replacement", "sample_without_replacement"):
        n = int(ctx.pick([0, 1, 2, 5, 100]))
        p = core_array(ctx, "p", n, np.float64, free_len=True, values=rng.uniform(0, 1, n) * (rng.random(n) < 0.8))
        if ctx.p(0.1) and isinstance(p, np.ndarray) and p.size and p.dtype == np.float64:
            p = p.copy()
            p[0] = ctx.pick([np.nan, -1.0, np.inf, 1e308])
            ctx.bad.discard("p")
            ctx.note("p", p, "maybe")
        size = core_int(ctx, "size", [1, max(1, n), max(1, n // 2)], [], [0, n + 1, 10**9])
        sz = size if isinstance(size, int) and 0 <= size < 10**6 else 1
        idx = core_array(ctx, "indices", sz, np.int64, output=True)
        w = core_array(ctx, "weights", sz, np.float64, output=True)
        seed = core_int(ctx, "seed", [0, 5, 2**64 - 1])
        if fname == "sample_with_replacement":
            args = [p, size, seed, idx, w, core_nt(ctx)]
        else:
            args = [p, size, seed, core_int(ctx, "stream", [4, 0, 2**64 - 1]), idx, w, core_nt(ctx)]

        def post(res, idx=idx, n=n, sz=sz):
            if isinstance(idx, np.ndarray) and idx.dtype == np.int64 and idx.shape[0] == sz:
                need(((idx >= 0) & (idx < max(n, 1))).all(), f"sampler wrote indices {idx[:8]}")
    elif fname == "random_uint64":
        m = int(ctx.pick([0, 1, 10]))
        out = core_array(ctx, "out", m, np.uint64, output=True, free_len=True)
        args = [core_int(ctx, "seed", [0, 2**64 - 1]), core_int(ctx, "stream", [0, 3]),
                core_int(ctx, "start", [0, 2**64 - 2, 2**63]), out]
    elif fname == "log_unit":
        m = int(ctx.pick([0, 1, 10]))
        u = core_array(ctx, "u", m, np.float64, values=rng.choice([0.0, 1e-300, 0.5, 1.0, np.nan, -1.0, 2.0], m))
        out = core_array(ctx, "out", m, np.float64, output=True)
        args = [u, out]
        if isinstance(u, np.ndarray) and isinstance(out, np.ndarray) and u.shape == out.shape \
                and u.dtype == out.dtype == np.float64 and u.flags.c_contiguous and out.flags.c_contiguous:
            ctx.bad.discard("u")   # both shortened/lengthened alike: still a consistent call
            ctx.bad.discard("out")
    elif fname == "set_progress":
        cb = ctx.pick([None, None, "print", "raise", 3])
        if cb == "print":
            args = [lambda *a: None]
        elif cb == "raise":
            args = [lambda *a: 1 / 0]
        elif cb == 3:
            args = [ctx.note("callback", 3, "maybe")]
        else:
            args = [None]
    else:
        args = []
    ctx.desc["_core"] = fname
    for nm in ("lam", "tol", "method", "z"):
        if nm in ctx.bad:  # range checks live in the Python layer; the core must only not crash
            ctx.bad.discard(nm)
            ctx.maybe.add(nm)

    def call(impl):
        try:
            return getattr(_core, fname)(*args, **kwargs)
        finally:
            if fname == "set_progress":
                _core.set_progress(None)

    def check(res):
        post(res)

    return Case(ctx.seed, f"_core.{fname}", call, ctx.desc, ctx.bad, ctx.maybe, check,
                deterministic=fname not in ("set_progress",), argnames=tuple(ctx.desc),
                core_only=True)


ENTRIES: List[Tuple[str, Callable[[Ctx], Case]]] = [
    ("select", g_select), ("select", g_select), ("select_adaptive", g_select_adaptive),
    ("KMeans", g_kmeans), ("KMeans", g_kmeans), ("kmeans_plusplus", g_kmeans_plusplus),
    ("assign", g_assign), ("snap_to_rows", g_snap), ("sensitivities", g_sensitivities),
    ("sample", g_sample), ("estimate", g_estimate), ("sample_size", g_sample_size),
    ("estimate_lam", g_estimate_lam), ("Shards", g_shards), ("baselines.uniform", g_uniform),
    ("baselines.k_center_greedy", g_k_center), ("baselines.uncertainty", g_uncertainty),
    ("regression", g_regression), ("_core", g_core), ("_core", g_core), ("_core", g_core),
]


def build_case(seed: int, tmpdir: str) -> Case:
    gen = ENTRIES[seed % len(ENTRIES)][1]
    ctx = Ctx(seed, tmpdir)
    ctx.raises = False
    case = gen(ctx)
    case.inputs = ctx.inputs
    case.guards = ctx.guards
    case.raises = getattr(ctx, "raises", False)
    case.nodet = any(v in ("None", "RandomState(MT19937)") or v.startswith("RandomState")
                     for k, v in ctx.desc.items() if k == "random_state")
    return case


# ------------------------------------------------------------------------------------------------
# Running one case (inside the worker)


def names_argument(msg: str, names) -> bool:
    return any(nm and nm.split("[")[0] in msg for nm in names)


def run_call(case: Case, impl) -> Tuple[str, Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                return "ok", case.call(impl)
    except BaseException as exc:  # noqa: BLE001 - everything is classified
        if isinstance(exc, KeyboardInterrupt):
            raise
        return "exc", exc


def exc_str(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:600]


def run_case(seed: int, tmpdir: str) -> Dict[str, Any]:
    import coresample
    import coresample.reference

    case = build_case(seed, tmpdir)
    out: Dict[str, Any] = {"seed": seed, "entry": case.entry, "args": case.desc,
                           "bad": sorted(case.bad), "maybe": sorted(case.maybe)}
    t0 = time.perf_counter()
    status, res = run_call(case, coresample)
    out["secs"] = round(time.perf_counter() - t0, 3)
    problems: List[str] = []
    # Output buffers of _core calls: the canaries around them must be intact.
    for base, lo, hi, saved in case.guards:
        if not (np.array_equal(base[:lo].view(np.uint8), saved[:lo].view(np.uint8))
                and np.array_equal(base[hi:].view(np.uint8), saved[hi:].view(np.uint8))):
            problems.append("out-of-bounds write: canary around an output buffer was overwritten")
    for name, arr, before in case.inputs:
        try:
            if np.array(arr, copy=True).tobytes() != before:
                problems.append(f"input {name} was modified by the call")
        except Exception:
            pass
    if status == "exc":
        exc = res
        out["exception"] = exc_str(exc)
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        out["where"] = "".join(tb[-3:])[-800:]
        if isinstance(exc, OracleError) and getattr(case, "raises", False):
            out["status"] = "EXPECTED_ERROR"
        elif case.core_only:
            if isinstance(exc, (TypeError, ValueError)):
                out["status"] = "EXPECTED_ERROR"
            else:
                out["status"] = "FINDING"
                problems.append(f"_core raised {type(exc).__name__} (not TypeError/ValueError)")
        elif isinstance(exc, (TypeError, ValueError)):
            msg = str(exc)
            names = (case.bad or case.maybe) if (case.bad or case.maybe) else case.argnames
            if not case.bad and not case.maybe:
                out["refused_valid"] = True
            if names_argument(msg, names):
                out["status"] = "EXPECTED_ERROR"
            elif names_argument(msg, case.argnames):
                out["status"] = "EXPECTED_ERROR"
                out["named_other"] = True
            elif case.entry == "Shards" and ("parts" in msg or "shards" in msg or ".npy" in msg
                                             or msg.startswith("X ")):
                out["status"] = "EXPECTED_ERROR"
            else:
                out["status"] = "FINDING"
                problems.append(f"message does not name the offending argument {sorted(case.bad) or sorted(case.maybe)}")
        elif isinstance(exc, AttributeError) and "not fitted" in str(exc):
            out["status"] = "EXPECTED_ERROR"
        else:
            out["status"] = "FINDING"
            problems.append(f"unexpected exception type {type(exc).__name__}")
        # Reference must refuse the same way (same type; _validation promises the same message).
        if not case.core_only and case.entry != "Shards" and out["status"] == "EXPECTED_ERROR" \
                and not isinstance(exc, OracleError):
            rstatus, rres = run_call(build_case(seed, tmpdir), coresample.reference)
            if rstatus == "ok":
                problems.append(f"reference accepted what the core refused ({exc_str(exc)})")
            elif type(rres) is not type(exc):
                problems.append(f"reference raised {exc_str(rres)} where the core raised {exc_str(exc)}")
    else:
        out["status"] = "OK"
        if case.bad and not getattr(case, "raises", False):
            problems.append(f"invalid argument(s) {sorted(case.bad)} accepted without an error")
        elif case.check is not None:
            try:
                with np.errstate(all="ignore"):
                    case.check(res)
            except InvariantError as e:
                problems.append(f"invariant: {e}")
            except Exception as e:  # noqa: BLE001
                problems.append(f"invariant check crashed: {exc_str(e)}")
        if not problems and case.deterministic and not case.nodet:
            case2 = build_case(seed, tmpdir)
            # Same seed, n_threads=1 where the call takes a valid n_threads: same bits.
            status2, res2 = run_call(case2, coresample)
            if status2 != "ok":
                problems.append(f"second identical call raised {exc_str(res2)}")
            else:
                diff = leaves_equal(flatten(res), flatten(res2))
                if diff:
                    problems.append(f"not deterministic: {diff}")
        if not problems and case.crosscheck and not case.core_only and not case.nodet and not case.maybe:
            rstatus, rres = run_call(build_case(seed, tmpdir), coresample.reference)
            if rstatus != "ok":
                problems.append(f"reference raised {exc_str(rres)} where the core returned")
            else:
                a, b = flatten(res), flatten(rres)
                if case.crosscheck == "exact":
                    diff = leaves_equal(a, b, rtol=1e-12)
                    if case.entry in ("sample", "baselines.uniform"):
                        ia, ib = a[0] if case.entry == "sample" else res.indices, \
                            b[0] if case.entry == "sample" else rres.indices
                        if not np.array_equal(ia, ib):
                            diff = "sampled indices differ from the reference"
                elif case.crosscheck == "select":
                    diff = None if np.array_equal(res.indices, rres.indices) else \
                        "select indices differ from the reference on well-separated float64 blobs"
                elif case.crosscheck == "cost":
                    diff = None if np.allclose(res[1], rres[1], rtol=1e-4, atol=1e-300) else \
                        "assign cost differs from the reference beyond rtol 1e-4"
                else:
                    diff = leaves_equal(a, b, rtol=1e-4)
                if diff:
                    problems.append(f"core vs reference: {diff}")
    if problems:
        out["status"] = "FINDING"
        out["problems"] = problems
    if out["status"] == "FINDING" and "exception" not in out and status == "ok":
        out["result"] = describe(res) if not hasattr(res, "indices") else describe(res.indices)
    out["repro"] = f"PYTHONPATH=python python3 tests/fuzzing.py --case {seed}"
    return out


# ------------------------------------------------------------------------------------------------
# Worker process and supervisor


def worker_main() -> None:
    import faulthandler

    faulthandler.enable(sys.stderr)
    # The machine is shared: a runaway allocation must fail (MemoryError), not invoke the OOM
    # killer. CORESAMPLE_FUZZ_MEM_GB=0 turns the cap off; so does AddressSanitizer (.ci/sanitize),
    # whose shadow memory reserves terabytes of address space.
    gb = int(os.environ.get("CORESAMPLE_FUZZ_MEM_GB", "6"))
    if gb > 0 and "libasan" not in os.environ.get("LD_PRELOAD", ""):
        try:
            import resource
            resource.setrlimit(resource.RLIMIT_AS, (gb << 30, gb << 30))
        except Exception:
            pass
    result_fd = os.dup(1)
    os.dup2(2, 1)  # anything the library prints goes to stderr, not to the result channel
    res_out = os.fdopen(result_fd, "w", buffering=1)
    tmpdir = tempfile.mkdtemp(prefix="csfuzz_")
    try:
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            seed = int(line)
            try:
                r = run_case(seed, tmpdir)
            except BaseException as e:  # noqa: BLE001
                r = {"seed": seed, "entry": "?", "status": "FINDING",
                     "problems": [f"harness error: {exc_str(e)}"], "where": traceback.format_exc()[-800:]}
            # clean temp files of this case
            for f in os.listdir(tmpdir):
                p = os.path.join(tmpdir, f)
                shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else os.remove(p)
            res_out.write(json.dumps(r, default=str) + "\n")
            res_out.flush()
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


class Worker:
    def __init__(self):
        self.errlog = tempfile.NamedTemporaryFile(prefix="csfuzz_err_", suffix=".log", delete=False)
        env = dict(os.environ)
        env.setdefault("OMP_NUM_THREADS", "2")
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.errlog, env=env, text=True, bufsize=1)

    def run(self, seed: int, timeout: float) -> Optional[Dict[str, Any]]:
        """The result, or None if the worker died or timed out (then call .failure())."""
        self.errpos = os.path.getsize(self.errlog.name)
        try:
            self.proc.stdin.write(f"{seed}\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            return None
        ready, _, _ = _select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        if not line:
            return None
        return json.loads(line)

    def stderr_tail(self) -> str:
        try:
            with open(self.errlog.name, "rb") as f:
                f.seek(self.errpos)
                return f.read()[-3000:].decode(errors="replace")
        except OSError:
            return ""

    def close(self, kill: bool = False) -> Optional[int]:
        if kill and self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.stdin.close()
        except Exception:
            pass
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        for f in (self.proc.stdout, self.errlog):
            try:
                f.close()
            except Exception:
                pass
        try:
            os.unlink(self.errlog.name)
        except OSError:
            pass
        return rc


def supervise(seeds, *, deadline: Optional[float], timeout: float, out_path: Optional[str],
              progress_every: float = 60.0, quiet: bool = False) -> Dict[str, Any]:
    counts: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    findings: List[Dict[str, Any]] = []
    refused_valid: List[Dict[str, Any]] = []
    out_f = open(out_path, "a") if out_path else None
    worker = Worker()
    last = time.time()
    n_run = 0
    try:
        for seed in seeds:
            if deadline is not None and time.time() > deadline:
                break
            r = worker.run(seed, timeout)
            if r is None:
                hung = worker.proc.poll() is None
                tail = worker.stderr_tail()
                rc = worker.close(kill=True)
                entry = ENTRIES[seed % len(ENTRIES)][0]
                r = {"seed": seed, "entry": entry, "status": "FINDING",
                     "problems": [f"hang: no result in {timeout:.0f} s" if hung else
                                  f"worker crashed (exit code {rc}, signal {-rc if rc and rc < 0 else None})"],
                     "stderr": tail,
                     "repro": f"PYTHONPATH=python python3 tests/fuzzing.py --case {seed}"}
                worker = Worker()
            n_run += 1
            counts[r["entry"]][r["status"]] += 1
            if r.get("named_other") and r["status"] == "EXPECTED_ERROR":
                counts[r["entry"]]["(named another argument)"] += 1
            if r.get("refused_valid") and r["status"] == "EXPECTED_ERROR":
                counts[r["entry"]]["(refused valid-looking input)"] += 1
                if len(refused_valid) < 200:
                    refused_valid.append(r)
            if r["status"] == "FINDING":
                findings.append(r)
                if out_f:
                    out_f.write(json.dumps(r, default=str) + "\n")
                    out_f.flush()
                if not quiet:
                    print(f"FINDING seed={seed} {r['entry']}: {r.get('problems')} {r.get('exception', '')}",
                          flush=True)
            if not quiet and time.time() - last > progress_every:
                last = time.time()
                print(f"... {n_run} cases, {len(findings)} findings", flush=True)
    finally:
        worker.close(kill=True)
        if out_f:
            out_f.close()
    return {"counts": counts, "findings": findings, "refused_valid": refused_valid, "n_run": n_run}


def print_summary(summary: Dict[str, Any]) -> None:
    counts = summary["counts"]
    print(f"\n{summary['n_run']} cases")
    print(f"{'entry point':34s} {'cases':>6s} {'OK':>6s} {'EXPECTED':>9s} {'FINDING':>8s} {'refused-valid':>13s}")
    tot = collections.Counter()
    for entry in sorted(counts):
        c = counts[entry]
        n = c["OK"] + c["EXPECTED_ERROR"] + c["FINDING"]
        tot.update({"n": n, "OK": c["OK"], "E": c["EXPECTED_ERROR"], "F": c["FINDING"]})
        print(f"{entry:34s} {n:6d} {c['OK']:6d} {c['EXPECTED_ERROR']:9d} {c['FINDING']:8d} "
              f"{c['(refused valid-looking input)']:13d}")
    print(f"{'total':34s} {tot['n']:6d} {tot['OK']:6d} {tot['E']:9d} {tot['F']:8d}")
    by = collections.defaultdict(list)
    for f in summary["findings"]:
        key = (f["entry"], (f.get("problems") or [""])[0][:80], (f.get("exception") or "")[:60])
        by[key].append(f["seed"])
    if by:
        print("\nfindings (grouped by entry / problem / exception):")
        for (entry, prob, exc), seeds in sorted(by.items()):
            print(f"  {entry}: {prob} | {exc} | seeds {seeds[:8]}{' ...' if len(seeds) > 8 else ''}"
                  f" (x{len(seeds)})")
        print("repro: PYTHONPATH=python python3 tests/fuzzing.py --case SEED")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=0, help="first case seed")
    ap.add_argument("--seeds", type=str, default=None, help="A:B, a fixed range of case seeds")
    ap.add_argument("--out", type=str, default=None, help="append findings as JSON lines")
    ap.add_argument("--timeout", type=float, default=60.0, help="per-case timeout (s)")
    ap.add_argument("--case", type=int, default=None, help="run one case in-process and print it")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        worker_main()
        return 0
    if a.case is not None:
        tmp = tempfile.mkdtemp(prefix="csfuzz_")
        try:
            case = build_case(a.case, tmp)
            print(f"case {a.case}: {case.entry}")
            for k, v in case.desc.items():
                tag = " [bad]" if k in case.bad else " [edge]" if k in case.maybe else ""
                print(f"  {k} = {v}{tag}")
            r = run_case(a.case, tmp)
            print(json.dumps(r, indent=1, default=str))
            status, res = run_call(build_case(a.case, tmp), __import__("coresample"))
            if status == "exc":
                traceback.print_exception(type(res), res, res.__traceback__)
            return 1 if r["status"] == "FINDING" else 0
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if a.seeds:
        lo, hi = (int(x) for x in a.seeds.split(":"))
        seeds = range(lo, hi)
        deadline = None
    else:
        seeds = range(a.seed, 2**62)
        deadline = time.time() + a.seconds
    t0 = time.time()
    summary = supervise(seeds, deadline=deadline, timeout=a.timeout, out_path=a.out)
    print_summary(summary)
    print(f"wall time {time.time() - t0:.1f} s")
    return 1 if summary["findings"] else 0


if __name__ == "__main__":
    sys.exit(main())

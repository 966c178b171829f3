"""Input generation: `Ctx`, the argument builder of one case (arrays in every dtype and layout,
weight and loss vectors, scalars at and past their edges, loss oracles), which records for each
argument whether it is valid, invalid ("bad": must be refused) or at an edge ("maybe").

Every draw comes from one Generator keyed by the case seed, in a fixed order: reordering or
adding draws here changes every case after it, so replayed seeds would no longer match."""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .cases import GenSpec, OracleError, describe


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
        self.guards: List[Tuple[np.ndarray, int, int, np.ndarray]] = []
        self.raises = False      # an oracle of this case raises OracleError on purpose
        self.data_kind = ""      # last kind drawn by data(): crosschecks only on separated blobs
        # per vector argument: how it was malformed ("short", "nan", ...; None: not) and its base
        # kind ("tiny", "ones", ...), so that settle_lengths can judge lengths relative to
        # each other (no draws: recording them changes no case)
        self.how: Dict[str, Optional[str]] = {}
        self.base: Dict[str, str] = {}
        # multiplies every probability of a malformed argument (1: as drawn); a generator with
        # many arguments lowers it so that a good share of its cases gets past validation. The
        # draws are the same either way, only the thresholds change.
        self.bad_scale = 1.0

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
            X = self._memmap(X, name)
        return X

    def _memmap(self, X: np.ndarray, name: str) -> np.memmap:
        path = os.path.join(self.tmpdir, f"mm_{self.seed}_{name}.dat")
        mm = np.memmap(path, dtype=X.dtype, mode="w+", shape=X.shape)
        mm[:] = X
        mm.flush()
        return np.memmap(path, dtype=X.dtype, mode=self.pick(["r", "r+", "c"]), shape=X.shape)

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
        if self.p(bad_prob * self.bad_scale):
            X, kind = self._malformed_matrix(X)
        if isinstance(X, np.ndarray):
            X = self.layout(X, name)
        self.note(name, X, kind)
        return self.track(name, X)

    def _malformed_matrix(self, X: np.ndarray) -> Tuple[Any, str]:
        """X made invalid one way (kind "bad"), or into a form that may be accepted."""
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
                kind = "ok"  # long double is plain double on this platform
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
        return X, kind

    def vector(self, name: str, n: int, *, nonneg: bool = True, bad_prob: float = 0.2,
               kind_pool=None, free_len: bool = False) -> Any:
        """A 1-D float vector (weights, losses, costs), valid or malformed."""
        base = self.pick(kind_pool or ["ones", "uniform", "zeros_some", "int", "bool", "tiny",
                                        "huge", "f32", "list"])
        v = self._base_vector(base, n)
        kind = "ok" if base not in ("tiny", "huge") else "maybe"
        self.base[name], self.how[name] = base, None
        if self.p(bad_prob * self.bad_scale):
            v, kind = self._malformed_vector(v, n, nonneg, free_len)
            self.how[name] = self._last_how
        if isinstance(v, np.ndarray) and v.ndim == 1 and self.p(0.2):
            big = np.empty(2 * len(v), dtype=v.dtype)
            big[::2] = v
            v = big[::2]
        self.note(name, v, kind)
        return self.track(name, v)

    def _base_vector(self, base: str, n: int) -> Any:
        rng = self.rng
        if base == "ones":
            return np.ones(n)
        if base == "uniform":
            return rng.uniform(0, 5, size=n)
        if base == "zeros_some":
            v = rng.uniform(0, 1, size=n) * (rng.random(n) < 0.5)
            if n and v.sum() == 0:
                v[int(rng.integers(n))] = 1.0
            return v
        if base == "int":
            return rng.integers(1, 4, size=n)
        if base == "bool":
            return np.ones(n, dtype=bool)
        if base == "tiny":
            return rng.uniform(0, 1, size=n) * 1e-300
        if base == "huge":
            return rng.uniform(0.5, 1, size=n) * 1e300
        if base == "f32":
            return rng.uniform(0, 2, size=n).astype(np.float32)
        return rng.uniform(0, 2, size=n).tolist()

    def _malformed_vector(self, v: Any, n: int, nonneg: bool, free_len: bool) -> Tuple[Any, str]:
        rng = self.rng
        how = self.pick(["nan", "inf", "neg", "short", "long", "2d", "allzero", "object",
                         "complex", "string", "scalar"])
        self._last_how = how
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
            kind = "maybe" if n == 0 else "bad"  # nan/inf/neg asked of an empty vector
        if free_len and how in ("short", "long"):
            kind = "maybe" if v.size == 0 else "ok"
        return v, kind

    def settle_lengths(self, ref: str, values: Dict[str, Any]) -> Optional[int]:
        """Judge the lengths of related vectors against each other, not against the n they were
        drawn for: the vector `ref` sets the length (estimate's weights, sensitivities' cost) and
        the others must match it. A vector made "short" or "long" is invalid only if its length
        then differs from ref's (losses and weights both one shorter make a valid call: fuzz
        seeds 777068470, 777276410 and their kin were that). Returns ref's length if it is a
        1-D array, else None (nothing to settle)."""
        arr = values.get(ref)
        if not (isinstance(arr, np.ndarray) and arr.ndim == 1):
            return None
        n_ref = arr.shape[0]
        for name, v in values.items():
            if name not in self.desc or not (isinstance(v, np.ndarray) and v.ndim == 1):
                continue
            fits = n_ref > 0 if name == ref else v.shape[0] == n_ref
            if self.how.get(name) in ("short", "long"):
                if fits:  # the length was its only flaw
                    self.bad.discard(name)
                    if self.base.get(name) in ("tiny", "huge"):
                        self.maybe.add(name)
            elif not fits:
                self.bad.add(name)  # right for the n drawn, wrong against ref's new length
        return n_ref

    # ---- scalars ------------------------------------------------------------------------------
    def scalar(self, name: str, good: list, bad: list, maybe: list = (), bad_prob=0.12,
               maybe_prob=0.08):
        r = self.rng.random()
        bad_prob *= self.bad_scale
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


# ---- oracles ------------------------------------------------------------------------------------

LOSS_KINDS = ["sq", "sq", "zeros", "const", "ints", "col", "list", "wrong_len", "neg", "nan",
              "inf", "none", "strings", "raises", "2d", "scalar", "not_callable", "huge", "f32",
              "dict"]


def make_loss_fn(ctx: Ctx, n: int, name: str = "loss_fn"):
    """A loss oracle: right, broken one way (wrong length, negative, NaN, ...) or raising."""
    kind = ctx.pick(LOSS_KINDS)
    if ctx.bad_scale < 1 and _loss_verdict(kind) != "ok" and not ctx.p(ctx.bad_scale):
        kind = ctx.pick([k for k in LOSS_KINDS if _loss_verdict(k) == "ok"])  # fewer broken
    table = ctx.rng.uniform(0, 3, size=max(n, 1))
    f = _loss_fn(kind, table)
    if kind == "not_callable":
        return ctx.note(name, 3, "bad")
    verdict = _loss_verdict(kind)
    if verdict == "raises":
        ctx.desc[name] = f.fuzz_desc
        ctx.bad.add(name)
        ctx.raises = True
        return f
    ctx.note(name, f, verdict)
    return f


def _loss_verdict(kind: str) -> str:
    if kind in ("sq", "zeros", "const", "ints", "col", "list", "f32"):
        return "ok"
    if kind == "huge":
        return "maybe"
    if kind == "raises":
        return "raises"
    if kind == "scalar":
        return "maybe"  # a scalar is a valid answer when only one row is asked for
    return "bad"


def _loss_fn(kind: str, table: np.ndarray):
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
    return f

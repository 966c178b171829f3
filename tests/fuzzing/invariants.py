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
                    skip_estimate: bool = False) -> None:
    """A Selection from select(): sampled rows, probabilities, clustering and estimate."""
    check_index_array(sel.indices, n, "indices", budget)
    check_weights(sel.weights, len(sel.indices))
    if not replace:
        need(len(np.unique(sel.indices)) == len(sel.indices), "replace=False gave repeated rows")
    check_probabilities(sel, n)
    if k is not None:
        check_clustering(sel, n, k)
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

"""Every user-facing check in one place; each message names the argument and its value.

Both `coresample` and `coresample.reference` call these functions, so bad input is refused the
same way, with the same exception type and message, whichever implementation is used.
"""
from __future__ import annotations

import numbers
import os
import warnings
from typing import Any, Optional

import numpy as np

# Rows per chunk when scanning a large X for NaN/inf, so the scan needs only a small
# temporary mask rather than an n x d one.
_FINITE_CHECK_ROWS = 1 << 14


class CopyWarning(UserWarning):
    """Input had to be copied (wrong layout or dtype) before the core could use it."""


def check_array(X: Any, name: str = "X") -> np.ndarray:
    """`check_array_top` without the magnitude."""
    return check_array_top(X, name)[0]


def check_array_top(X: Any, name: str = "X") -> "tuple[np.ndarray, float]":
    """Return X as a C-contiguous float32/float64 2-D array, refusing what cannot be used.

    C-contiguous float32 and float64 arrays (memmaps included) pass through without a copy.
    Non-contiguous float arrays and float16 are copied with a CopyWarning; other dtypes raise.
    A list or tuple (of rows) is converted with np.asarray and a CopyWarning that names the
    conversion, like the other copies (issue 13): a float-valued sequence becomes the float64 (or
    float32) array NumPy makes of it, and a sequence of integers is refused, as integer arrays
    are. A warning rather than an error because a sequence cannot be used in place anyway (there
    is no copy to avoid, only a dtype to choose) and scikit-learn's estimators accept lists.
    Other array-likes (a memoryview, a CPU torch tensor) go through np.asarray, which views them.
    """
    # "list" or "tuple" for a Python sequence of rows, None for anything else.
    sequence = type(X).__name__ if isinstance(X, (list, tuple)) else None
    if not isinstance(X, np.ndarray):
        try:
            X = np.asarray(X)
        except (TypeError, ValueError) as exc:  # ragged rows: "inhomogeneous shape"
            raise ValueError(f"{name} could not be converted to an array: {exc}") from None
        if X.dtype.kind in "iu" and X.size == 0:
            X = X.astype(np.float64)
    if X.dtype.kind != "f" or X.dtype.itemsize > 8:
        how = f"np.asarray({name}, dtype=np.float32)" if sequence else f"{name}.astype(np.float32)"
        what = f"a {sequence} of " if sequence else ""
        raise TypeError(
            f"{name} must have dtype float32 or float64, got {what}{X.dtype}; convert it with {how}"
        )
    if X.ndim != 2:
        hint = (
            " Reshape your data either using array.reshape(-1, 1) if your data has a single "
            "feature or array.reshape(1, -1) if it contains a single sample."
            if X.ndim == 1 else ""
        )
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}.{hint}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        what = "sample(s)" if X.shape[0] == 0 else "feature(s)"
        raise ValueError(
            f"{name} is empty: shape {X.shape}; need at least one row and one column (found 0 "
            f"{what} (shape={X.shape}) while a minimum of 1 is required)"
        )
    if sequence:
        warnings.warn(
            f"{name} is a {sequence}: copied into a {X.dtype} array ({X.nbytes / 2**20:.1f} MiB) "
            f"by np.asarray({name}); pass np.asarray({name}, dtype=np.float32) (or np.float64) "
            "to choose the dtype yourself",
            CopyWarning,
            stacklevel=3,
        )
    if X.dtype == np.float16:
        warnings.warn(f"{name} is float16: copied to float32", CopyWarning, stacklevel=3)
        X = np.ascontiguousarray(X, dtype=np.float32)
    elif not X.flags.c_contiguous:
        warnings.warn(
            f"{name} is not C-contiguous: copied ({X.nbytes / 2**20:.1f} MiB); "
            f"pass np.ascontiguousarray({name}) to avoid the copy",
            CopyWarning,
            stacklevel=3,
        )
        X = np.ascontiguousarray(X)
    top = check_finite(X, name)
    check_magnitude(top, X.dtype, X.shape[0], X.shape[1], name)
    return X, top


def check_finite(a: np.ndarray, name: str, first_row: int = 0) -> float:
    """Raise ValueError if a holds NaN or inf; return max |a| (0.0 for an empty array).

    Scanned in row chunks with two reductions each (max and min propagate NaN and inf), so no
    temporary the size of a is made; rows are numbered from `first_row` in the message.
    """
    flat = a.reshape(a.shape[0], -1) if a.ndim > 1 else a.reshape(-1, 1)
    top = 0.0
    for start in range(0, flat.shape[0], _FINITE_CHECK_ROWS):
        chunk = flat[start : start + _FINITE_CHECK_ROWS]
        if chunk.size == 0:
            continue
        hi, lo = float(chunk.max()), float(chunk.min())
        if not (np.isfinite(hi) and np.isfinite(lo)):
            bad = first_row + start + int(np.flatnonzero(~np.isfinite(chunk).all(axis=1))[0])
            raise ValueError(f"{name} contains NaN or inf (first at row {bad})")
        top = max(top, hi, -lo)
    return top


def check_magnitude(
    top: float, dtype: Any, n: int, d: int, name: str, *, low: bool = True
) -> None:
    """Refuse data whose squared distances overflow or underflow its dtype (docs/RELIABILITY.md).

    `top` is max |value|. The float32 kernels compute ||x||^2 + ||c||^2 - 2 x.c in float32:
    every squared distance, at most (2 top)^2 d, must stay finite there; costs are summed in
    double, and for float64 input the sum of n of them must stay finite too. At the other end,
    when top^2 is below the dtype's smallest normal number every squared norm is subnormal or
    zero and nearest-center search has no precision left. Limits: float32 9e18 / sqrt(d) and
    1.1e-19, float64 6.7e153 / sqrt(n d) and 1.5e-154, far from any embedding. All-zero data
    (top = 0) is fine. The core and the reference refuse the same data.
    """
    info = np.finfo(dtype)
    limit = np.sqrt(float(info.max)) / (2.0 * np.sqrt(d))
    if np.dtype(dtype) == np.float64:
        limit /= np.sqrt(max(n, 1))
    hint = " or pass it as float64" if np.dtype(dtype) == np.float32 else ""
    if top > limit:
        raise ValueError(
            f"{name} has values up to {top:.3g} in magnitude: squared distances would overflow "
            f"{np.dtype(dtype).name} (the limit here is {limit:.3g}); scale {name} down{hint}"
        )
    smallest = np.sqrt(float(info.tiny))
    if low and 0.0 < top < smallest:
        raise ValueError(
            f"{name} {'have' if ' and ' in name else 'has'} values only up to {top:.3g} in "
            f"magnitude: squared distances underflow "
            f"{np.dtype(dtype).name} (below {smallest:.3g}); scale {name} up{hint}"
        )


def check_cost_scale(
    top: float, n: int, d: int, z: float, u: Optional[np.ndarray], name: str = "X"
) -> None:
    """Refuse sums that would overflow double: costs are distance^z, at most (2 top sqrt(d))^z
    per row, summed with weights u (or n ones); Lloyd sums weight * x, and for z < 2 its
    Weiszfeld step multiplies weights by up to (1e-12)^(z - 2) (distances are clamped at 1e-12,
    cpp/kmeans.cpp). check_magnitude covers z = 2 without weights; this covers large z and large
    sample weights. Names the argument to change.
    """
    log_max = np.log(np.finfo(np.float64).max) - 1.0  # a margin for the sums' rounding
    log_mass = np.log(float(u.sum())) if u is not None else np.log(max(n, 1))
    if u is not None:
        log_sums = log_mass + max(0.0, 2.0 - z) * np.log(1e12) + max(0.0, np.log(max(top, 1e-300)))
        if log_sums >= log_max:
            raise ValueError(
                f"sample_weight sums to {float(u.sum()):.3g}: Lloyd's weighted sums (z={z:g}, "
                f"{name} up to {top:.3g}) would overflow double; scale sample_weight down"
            )
    if top <= 0.0:
        return
    log_cost = z * np.log(2.0 * top * np.sqrt(d))
    if log_cost + log_mass < log_max:
        return
    if u is not None and log_cost + np.log(max(n, 1)) < log_max:
        raise ValueError(
            f"sample_weight sums to {float(u.sum()):.3g}: times the largest possible cost of "
            f"{name} ({np.exp(log_cost):.3g}) it overflows double; scale sample_weight down"
        )
    raise ValueError(
        f"{name}'s costs (distance^z with z={z:g}, up to exp({log_cost:.0f})) would overflow "
        f"double when summed; scale {name} down or use a smaller z"
    )


def check_vector(
    v: Any, name: str, length: Optional[int] = None, *, nonnegative: bool = False
) -> np.ndarray:
    """A finite 1-D float64 array (copied only if it is not one already: vectors are small)."""
    arr = np.asarray(v)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if length is not None and arr.shape[0] != length:
        raise ValueError(f"{name} must have length {length}, got {arr.shape[0]}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf")
    if nonnegative and arr.size and arr.min() < 0:
        raise ValueError(f"{name} must be non-negative, got min {arr.min():g}")
    return arr


def check_sample_weight(sample_weight: Any, n_samples: int) -> Optional[np.ndarray]:
    """None (all ones) or a non-negative float64 vector of length n_samples with positive sum."""
    if sample_weight is None:
        return None
    u = check_vector(sample_weight, "sample_weight", n_samples, nonnegative=True)
    with np.errstate(over="ignore"):  # an infinite sum is refused below, without a warning
        total = u.sum()
    if not total > 0:
        raise ValueError("sample_weight must have a positive sum (all weights are zero)")
    if not np.isfinite(total):
        raise ValueError("sample_weight sums to inf; scale the weights down")
    return u


def check_labels(labels: Any, n_samples: int, n_clusters: int) -> np.ndarray:
    """int64 cluster labels of length n_samples, each in [0, n_clusters)."""
    arr = np.asarray(labels)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"labels must be integers, got dtype {arr.dtype}")
    if arr.ndim != 1 or arr.shape[0] != n_samples:
        raise ValueError(f"labels must have shape ({n_samples},), got {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= n_clusters):
        raise ValueError(
            f"labels must lie in [0, n_clusters={n_clusters}), got [{arr.min()}, {arr.max()}]"
        )
    return arr


def check_int(value: Any, name: str, low: int, high: Optional[int] = None) -> int:
    """An integer in [low, high] (high=None: no upper bound)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < low or (high is not None and value > high):
        upper = "" if high is None else f" and <= {high}"
        raise ValueError(f"{name}={value} must be >= {low}{upper}")
    return value


def check_float(
    value: Any, name: str, low: float, high: float = np.inf, *, low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """A finite real number in [low, high]; either end open when its *_inclusive is False."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    ok_low = value >= low if low_inclusive else value > low
    ok_high = value <= high if high_inclusive else value < high
    if not (np.isfinite(value) and ok_low and ok_high):
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        raise ValueError(f"{name}={value!r} must be a finite number in {left}{low}, {high}{right}")
    return value


def check_float_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """float32 or float64, given as anything np.dtype accepts."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"{name}={dtype!r} must be float32 or float64")
    return dt


def check_n_clusters(n_clusters: Any, n_samples: int) -> int:
    k = check_int(n_clusters, "n_clusters", 1)
    if k > n_samples:
        raise ValueError(f"n_clusters={k} must be <= n_samples={n_samples}")
    return k


def check_z(z: Any) -> float:
    return check_float(z, "z", 1.0, 64.0)


def max_threads_allowed() -> int:
    """The cap on n_threads: 4 threads per core. More only adds overhead (results never depend on
    the count), and an absurd count (say 2**31) would make OpenMP fail to create its threads,
    which GNU OpenMP answers by exiting the process."""
    return 4 * max(1, os.cpu_count() or 1)


def check_n_threads(n_threads: Any) -> int:
    """None -> 0 (the OpenMP default: all cores); else a positive integer, capped at
    `max_threads_allowed()` (a speed setting only: the results are bit-identical)."""
    if n_threads is None:
        return 0
    return min(check_int(n_threads, "n_threads", 1), max_threads_allowed())


def as_probability_vector(p: Any) -> np.ndarray:
    """p as a non-empty 1-D C-contiguous float64 array: the checks that need no pass over the values.

    A C-contiguous float64 array passes through without a copy (the core reads it in place);
    lists and other numeric dtypes are converted. The value checks (finite, non-negative, positive
    sum) are `check_probability_values`, or the core's own fused pass with the same messages.
    """
    arr = np.asarray(p)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"p must be numeric, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"p must be 1-D, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if arr.size == 0:
        raise ValueError("p is empty")
    return arr


def check_probability_values(p: np.ndarray) -> None:
    """NumPy twin of the core's check of p: finite, non-negative, positive sum (same messages)."""
    if not np.isfinite(p).all():
        raise ValueError("p contains NaN or inf")
    if p.min() < 0:
        raise ValueError(f"p must be non-negative, got min {p.min():g}")
    with np.errstate(over="ignore"):  # a sum that overflows to inf is still positive
        positive_sum = p.sum() > 0
    if not positive_sum:
        raise ValueError("p must have a positive sum (all entries are zero)")


def check_probabilities(p: Any) -> np.ndarray:
    """Non-negative finite float64 sampling masses with a positive sum (need not sum to 1)."""
    arr = as_probability_vector(p)
    check_probability_values(arr)
    return arr


# Most draws one call makes (with replacement): 2^31 - 1, i.e. 32 GiB of indices and weights.
MAX_DRAWS = 2**31 - 1


def max_draws(replace: bool, n: int) -> int:
    """The upper bound of a budget: n rows without replacement, MAX_DRAWS draws with."""
    return n if not replace else MAX_DRAWS


def check_sample_size(size: Any, p: np.ndarray, replace: bool, name: str = "size") -> int:
    """size >= 1 and <= MAX_DRAWS; without replacement also <= the number of rows with positive
    probability."""
    size = check_int(size, name, 1, MAX_DRAWS)
    if not replace:
        positive = int(np.count_nonzero(p))
        if size > positive:
            raise ValueError(
                f"{name}={size} must be <= the number of rows with positive probability "
                f"({positive}) when replace=False"
            )
    return size


def check_losses(values: Any, length: int, name: str) -> np.ndarray:
    """What a loss oracle returned: `length` finite, non-negative real numbers."""
    if np.iscomplexobj(values):
        raise TypeError(f"{name} must return real numbers, got complex values")
    if isinstance(values, np.ndarray) and values.dtype.kind not in "fiub":
        raise TypeError(f"{name} must return real numbers, got an array of dtype {values.dtype}")
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must return numbers, got {type(values).__name__}") from exc
    arr = arr.reshape(-1) if arr.ndim == 2 and 1 in arr.shape else arr
    if arr.shape != (length,):
        raise ValueError(f"{name} returned shape {np.shape(values)}, expected ({length},)")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} returned NaN or inf")
    if arr.min(initial=0.0) < 0:
        raise ValueError(f"{name} returned a negative loss ({arr.min():g}); losses must be >= 0")
    return arr


def check_choice(value: Any, name: str, choices: tuple) -> Any:
    if value not in choices:
        raise ValueError(f"{name}={value!r} must be one of {choices}")
    return value


def check_centers(centers: Any, X: np.ndarray) -> np.ndarray:
    """Centers with X's number of features, in X's dtype (a small copy when the dtype differs)."""
    centers = check_array(centers, "centers")
    if centers.shape[1] != X.shape[1]:
        raise ValueError(f"centers has {centers.shape[1]} features but X has {X.shape[1]}")
    return check_centers_fit(centers, X, "centers")


def check_centers_fit(centers: np.ndarray, X: np.ndarray, name: str) -> np.ndarray:
    """Validated centers converted to X's dtype, which they must fit: float64 centers may
    overflow float32. X passed the same overflow limit, so no row-to-center distance can
    overflow: it is at most (2 limit)^2 d. (Tiny centers are fine: X's scale sets the distances.)
    """
    with np.errstate(over="ignore"):
        converted = centers.astype(X.dtype, copy=False)
    if not np.isfinite(converted).all() and np.isfinite(centers).all():
        raise ValueError(
            f"{name} do not fit X's dtype {X.dtype} (values up to "
            f"{float(np.abs(centers).max()):.3g}); pass X as {centers.dtype}"
        )
    top = check_finite(converted, name)
    check_magnitude(top, X.dtype, X.shape[0], X.shape[1], name, low=False)
    return converted

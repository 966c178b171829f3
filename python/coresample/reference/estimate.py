"""Textbook estimators of a total from a weighted sample: the independent oracle of `estimate`.

Written from the formulas, not from the production code (python/coresample/_base/estimate.py):
every sum is an exact-rounded `math.fsum` over a Python loop, the interval's quantile is found by
bisection on `math.erfc`, and the tests compare the two to about 1e-12 (they agree to rounding, never
by construction). Input checks reuse the shared validators, so both raise the same errors.

Notation: draw i has loss l_i, weight w_i, sample weight u_i (1 by default) and optionally a
control g_i whose total G = sum_e u_e g_e is known; y_i = l_i - g_i (l_i without a control);
s draws; U = total_weight = sum_e u_e.

- Horvitz-Thompson / Hansen-Hurwitz total: T = G + sum_i w_i y_i. With w_i = u_i / (s p_i) for
  i.i.d. draws, E[w_i y_i] = sum_e p_e u_e y_e / (s p_e) = Y / s, so T is unbiased (Hansen and
  Hurwitz 1943); for distinct rows w_i = u_i / pi_i and E[sum_i w_i y_i] = sum_e pi_e u_e y_e /
  pi_e = Y (Horvitz and Thompson 1952).
- Its variance with replacement: z_i = s w_i y_i are i.i.d. with mean Y, so
  v = sum_i (z_i - zbar)^2 / (s (s - 1)) is unbiased for var(sum_i w_i y_i) = var(z) / s
  (Cochran, Sampling Techniques, 3rd ed., 9A.4). Undefined (NaN) for s = 1.
- Without replacement (the package's order-sampling keys, rank-conditioned): the Poisson-design
  form v = sum_i (1 - pi_i) (w_i y_i)^2 with pi_i = u_i / w_i (Sarndal, Swensson and Wretman,
  Model Assisted Survey Sampling, 3.4 for Poisson sampling; Rosen 1997 for order sampling).
- Hajek's ratio form: ybar = sum_i w_i y_i / sum_i w_i, T = G + U ybar; its linearised variance is
  the formula above applied to w_i (y_i - ybar), times (U / sum_i w_i)^2 (Sarndal et al. 5.7).
- The interval: mean +- z sqrt(v) / U, z the (1 + confidence) / 2 quantile of the standard normal.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._base.estimate import Estimate
from .._base.validation import check_float, check_vector


def upper_quantile(tail: float) -> float:
    """The x with P(Z > x) = tail for a standard normal Z (0 < tail < 1), by bisection on
    P(Z > x) = erfc(x / sqrt 2) / 2, which keeps its relative precision far into the tail; 200
    halvings of [-40, 40] reach adjacent doubles."""
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if 0.5 * math.erfc(mid / math.sqrt(2.0)) > tail:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def interval(mean: float, stderr: float, confidence: float) -> tuple:
    """The two-sided normal interval mean +- z stderr, z = the upper (1 - confidence) / 2 point."""
    half = upper_quantile((1.0 - confidence) / 2.0) * stderr
    return (mean - half, mean + half)


def hansen_hurwitz_variance(terms: list) -> float:
    """Unbiased variance of sum_i t_i for i.i.d. draws with t_i = w_i y_i (module docstring)."""
    s = len(terms)
    if s < 2:
        return math.nan
    z = [s * t for t in terms]
    zbar = math.fsum(z) / s
    # x * x, not x ** 2: Python's ** raises OverflowError where * gives inf (refused below)
    return math.fsum((zi - zbar) * (zi - zbar) for zi in z) / (s * (s - 1))


def poisson_variance(terms: list, inclusion: list) -> float:
    """sum_i (1 - pi_i) t_i^2 (module docstring)."""
    return math.fsum((1.0 - pi) * t * t for t, pi in zip(terms, inclusion))


def estimate(
    losses: Any,
    weights: Any,
    total_weight: float,
    *,
    replace: bool = True,
    sample_weight: Any = None,
    control: Any = None,
    control_total: float = 0.0,
    confidence: float = 0.95,
    self_normalized: bool = False,
) -> Estimate:
    """`coresample.estimate`, computed from the textbook formulas (module docstring)."""
    w = check_vector(weights, "weights", nonnegative=True)
    if w.size == 0:
        raise ValueError("weights is empty")
    lv = check_vector(losses, "losses", w.shape[0])
    U = check_float(total_weight, "total_weight", 0.0, low_inclusive=False)
    confidence = check_float(confidence, "confidence", 0.0, 1.0, low_inclusive=False,
                             high_inclusive=False)
    gv = None if control is None else check_vector(control, "control", w.shape[0])
    G = check_float(control_total, "control_total", -np.inf)
    s = w.shape[0]
    u = [1.0] * s if sample_weight is None else check_vector(
        sample_weight, "sample_weight", s, nonnegative=True).tolist()
    w_, l_ = w.tolist(), lv.tolist()
    y = l_ if gv is None else [li - gi for li, gi in zip(l_, gv.tolist())]
    if not replace:
        inclusion = [ui / wi if wi > 0 else 1.0 for ui, wi in zip(u, w_)]
        if max(inclusion) > 1.0 + 1e-9:
            i = int(np.argmax(inclusion))
            raise ValueError(
                f"weights[{i}]={w_[i]:.6g} is below sample_weight[{i}]={u[i]:.6g}: without "
                "replacement each weight is sample_weight / (inclusion probability <= 1)"
            )
        inclusion = [min(pi, 1.0) for pi in inclusion]

    if self_normalized:
        wsum = math.fsum(w_)
        if wsum <= 0:
            raise ValueError("self_normalized needs weights with a positive sum")
        ybar = math.fsum(wi * yi for wi, yi in zip(w_, y)) / wsum
        total = G + U * ybar
        terms = [wi * (yi - ybar) for wi, yi in zip(w_, y)]
        factor = (U / wsum) * (U / wsum)
    else:
        terms = [wi * yi for wi, yi in zip(w_, y)]
        total = G + math.fsum(terms)
        factor = 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        var = hansen_hurwitz_variance(terms) if replace else poisson_variance(terms, inclusion)
        var = float(np.float64(var) * np.float64(factor))
    if not (math.isfinite(total) and (math.isfinite(var) or math.isnan(var) and s == 1)):
        raise ValueError(
            "weights: the estimate or its variance overflows double (weights up to "
            f"{float(w.max()):.3g}, total_weight={U:.3g}); scale them down"
        )
    mean = total / U
    stderr = math.sqrt(var) / U if not math.isnan(var) else math.nan
    return Estimate(total, mean, stderr, interval(mean, stderr, confidence), confidence, s)


def sample_size(epsilon: float, *, delta: float = 0.05, bound: str = "normal") -> int:
    """`coresample.sample_size`: s = ceil(c / epsilon^2) draws bound the error of the
    with-replacement estimate by epsilon V with probability 1 - delta, V = L + 2 lambda Phi.

    The standard error is at most V / sqrt(s) (see the production docstring's derivation), so
    c = z_{1 - delta / 2}^2 under the normal approximation and c = 1 / delta by Chebyshev's
    inequality (P(|X - EX| >= k sd) <= 1 / k^2 with k = 1 / sqrt(delta))."""
    epsilon = check_float(epsilon, "epsilon", 0.0, 1.0, low_inclusive=False)
    delta = check_float(delta, "delta", 0.0, 1.0, low_inclusive=False, high_inclusive=False)
    if bound == "normal":
        c = upper_quantile(delta / 2.0) ** 2
    elif bound == "chebyshev":
        c = 1.0 / delta
    else:
        raise ValueError(f"bound must be 'normal' or 'chebyshev', got {bound!r}")
    s = c / (epsilon * epsilon) if epsilon > 1e-150 else math.inf
    if not s < 2.0**62:
        raise ValueError(
            f"epsilon={epsilon!r} (with delta={delta!r}) needs {s:.3g} rows, more than any "
            "sample can hold; ask for a larger epsilon"
        )
    return max(1, math.ceil(s))

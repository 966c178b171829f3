"""Estimating the dataset's total and mean loss from a weighted sample, with a standard error."""
from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Tuple

import numpy as np

from .validation import check_float, check_vector


@dataclass(frozen=True)
class Estimate:
    """An estimate of sum_e u_e l(e) (total) and of total / sum_e u_e (mean).

    stderr is the standard error of the mean; ci is a normal-approximation confidence interval
    for the mean at the stated confidence level.
    """

    total: float
    mean: float
    stderr: float
    ci: Tuple[float, float]
    confidence: float
    n_samples: int


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
    """Weighted estimate of the mean loss over a dataset from the losses of sampled rows.

    Parameters
    ----------
    losses : array-like of shape (n_sampled,)
        Loss of each sampled row (one entry per draw; repeated draws repeat).
    weights : array-like of shape (n_sampled,)
        The weights that `sample` or `select` returned with the rows.
    total_weight : float
        sum of the sample weights over the whole dataset (n_samples when unweighted).
    replace : bool, default=True
        How the rows were drawn. True: i.i.d. draws, Hansen-Hurwitz variance
        var = sum_i (s w_i l_i - T)^2 / (s (s - 1)). False: exponential keys, Horvitz-Thompson
        with rank conditioning, var = sum_i (1 - pi_i) (w_i l_i)^2 with pi_i = u_i / w_i.
    sample_weight : array-like of shape (n_sampled,), default=None
        Sample weights u_i of the sampled rows (ones by default); used only when replace=False
        (checked either way).
    control : array-like of shape (n_sampled,), default=None
        Difference estimator: a known proxy g(e) at the sampled rows (for example the loss of
        the row's representative). The estimate is control_total + sum_i w_i (l_i - g_i), which
        is unbiased too and much tighter when g tracks l.
    control_total : float, default=0.0
        sum_e u_e g(e) over the whole dataset (with `control`).
    confidence : float, default=0.95
        Level of the normal-approximation interval. With one draw with replacement the
        variance cannot be estimated: stderr and the interval are NaN.
    self_normalized : bool, default=False
        Hajek's ratio form: the weighted mean sum_i w_i y_i / sum_i w_i (y = l, or l - g with a
        control) times total_weight, instead of sum_i w_i y_i. Biased by O(1/s) but free of the
        noise of sum_i w_i, the sample's implied dataset size, which without replacement varies
        by about 1/sqrt(s) and multiplies the plain estimate (docs/RESULTS.md, a.5: on text losses
        it cut the error at 2,000 queries from 2.76% to 1.87%). It is exact for constant losses.
        The variance is the linearised one: the formulas below applied to w_i (y_i - ybar),
        scaled by (total_weight / sum_i w_i)^2.

    Returns
    -------
    Estimate

    Examples
    --------
    >>> import numpy as np
    >>> est = estimate(np.array([1.0, 3.0]), np.array([2.0, 2.0]), total_weight=4.0)
    >>> est.total, est.mean
    (8.0, 2.0)
    """
    w = check_vector(weights, "weights", nonnegative=True)
    if w.size == 0:
        raise ValueError("weights is empty")
    y = check_vector(losses, "losses", w.shape[0])
    total_weight = check_float(total_weight, "total_weight", 0.0, low_inclusive=False)
    confidence = check_float(confidence, "confidence", 0.0, 1.0, low_inclusive=False,
                             high_inclusive=False)
    if control is not None:
        y = y - check_vector(control, "control", w.shape[0])
    control_total = check_float(control_total, "control_total", -np.inf)
    s = w.shape[0]
    # Checked even where unused (replace=True): a mismatched array is a mistake either way.
    u_given = None if sample_weight is None else check_vector(
        sample_weight, "sample_weight", s, nonnegative=True)
    terms = w * y
    scale = 1.0
    if self_normalized:
        wsum = float(w.sum())
        if wsum <= 0:
            raise ValueError("self_normalized needs weights with a positive sum")
        ybar = float(terms.sum()) / wsum
        scale = total_weight / wsum
        terms = w * (y - ybar)  # the linearised ratio's terms: they sum to 0
        total = control_total + total_weight * ybar
    else:
        total = control_total + float(terms.sum())
    if replace:
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused below
            var = float(np.var(s * terms, ddof=1) / s) if s > 1 else np.nan
    else:
        u = np.ones(s) if u_given is None else u_given
        with np.errstate(divide="ignore", invalid="ignore"):
            pi = np.where(w > 0, u / np.where(w > 0, w, 1.0), 1.0)
        if (pi > 1.0 + 1e-9).any():  # w_i = u_i / pi_i with pi_i <= 1, up to rounding
            i = int(np.argmax(pi))
            raise ValueError(
                f"weights[{i}]={w[i]:.6g} is below sample_weight[{i}]={u[i]:.6g}: without "
                "replacement each weight is sample_weight / (inclusion probability <= 1)"
            )
        # Rows taken with certainty (pi = 1) add no variance, even where (w l)^2 overflows.
        with np.errstate(over="ignore", invalid="ignore"):  # 0 * inf where pi = 1: dropped
            var = float(np.sum(np.where(pi < 1.0, (1.0 - np.minimum(pi, 1.0)) * terms**2, 0.0)))
    with np.errstate(over="ignore", invalid="ignore"):  # refused just below
        var = float(np.float64(var) * np.float64(scale) ** 2)
    if not (np.isfinite(total) and (np.isfinite(var) or np.isnan(var) and s == 1)):
        raise ValueError(
            "weights: the estimate or its variance overflows double (weights up to "
            f"{float(w.max()):.3g}, total_weight={total_weight:.3g}); scale them down"
        )
    mean = total / total_weight
    stderr = float(np.sqrt(var)) / total_weight
    half = NormalDist().inv_cdf(0.5 + confidence / 2.0) * stderr
    return Estimate(total, mean, stderr, (mean - half, mean + half), confidence, s)


def control_coefficient(
    losses: np.ndarray, control: np.ndarray, weights: np.ndarray, replace: bool,
    sample_weight: Any = None,
) -> float:
    """The b that minimises `estimate`'s variance of sum_i w_i (l_i - b g_i) (0 when g has no
    spread in the sample): the regression estimator's coefficient for a proxy g.

    With replacement the terms s w_i y_i have sample variance; b is their least-squares slope on
    s w_i g_i. Without, the variance is sum_i (1 - pi_i) (w_i (l_i - b g_i))^2, a weighted least
    squares in b."""
    w = weights
    if replace:
        t, q = w * losses, w * control
        if t.shape[0] < 2:
            return 0.0
        dq = q - q.mean()
        sqq = float(dq @ dq)
        return float((t - t.mean()) @ dq) / sqq if sqq > 0 else 0.0
    u = np.ones(w.shape[0]) if sample_weight is None else sample_weight
    with np.errstate(divide="ignore", invalid="ignore"):
        pi = np.where(w > 0, np.minimum(u / np.where(w > 0, w, 1.0), 1.0), 1.0)
    c = (1.0 - pi) * w**2
    sqq = float(c @ control**2)
    return float(c @ (losses * control)) / sqq if sqq > 0 else 0.0


def sample_size(epsilon: float, *, delta: float = 0.05, bound: str = "normal") -> int:
    """Rows to sample for an additive error epsilon (L + 2 lambda Phi) with probability 1 - delta.

    s = ceil(c / epsilon^2). Why: with p proportional to v(e) = l(c(e)) + lambda cost(e) >= l(e)
    (the Hoelder bound), the total V = sum_e u_e v(e) is at most L + 2 lambda Phi (because
    l(c(e)) <= l(e) + lambda cost(e)), and the with-replacement estimate of L has variance
    (sum_e u_e^2 l(e)^2 / p(e) - L^2) / s <= V L / s <= V^2 / s. So its standard error is at most
    V / sqrt(s), and s = c / epsilon^2 gives an error of at most epsilon V <= epsilon (L + 2
    lambda Phi) with probability 1 - delta when c is
      bound="normal":     z_{1 - delta/2}^2 (the normal approximation; 3.84 for delta = 0.05),
      bound="chebyshev":  1 / delta (rigorous for any s; 20 for delta = 0.05).
    The bound is for draws with replacement; distinct rows (replace=False) do no worse in practice.

    Examples
    --------
    >>> sample_size(0.05), sample_size(0.05, bound="chebyshev")
    (1537, 8000)
    """
    epsilon = check_float(epsilon, "epsilon", 0.0, 1.0, low_inclusive=False)
    delta = check_float(delta, "delta", 0.0, 1.0, low_inclusive=False, high_inclusive=False)
    if bound == "normal":
        c = NormalDist().inv_cdf(delta / 2.0) ** 2  # = z_{1 - delta/2}^2, exact for tiny delta
    elif bound == "chebyshev":
        c = 1.0 / delta
    else:
        raise ValueError(f"bound must be 'normal' or 'chebyshev', got {bound!r}")
    with np.errstate(over="ignore", divide="ignore"):
        s = np.ceil(np.float64(c) / np.float64(epsilon) ** 2)
    if not s < 2.0**62:
        raise ValueError(
            f"epsilon={epsilon!r} (with delta={delta!r}) needs {s:.3g} rows, more than any "
            "sample can hold; ask for a larger epsilon"
        )
    return max(1, int(s))

"""The stratified estimator of a total, with an optional control variate (a proxy) whose
coefficient is estimated, its variance estimate and a normal interval.

Design: stratum h holds N_h rows; n_h of them are drawn uniformly, without replacement (simple
random sampling within the stratum) or i.i.d. with replacement. With t_i = u_i l_i (u the sample
weight, 1 by default) the total T = sum_e u_e l_e is estimated by

    T_st = sum_h N_h tbar_h,          var(T_st) = sum_h c_h S_h^2,   c_h = N_h^2 (1 - f_h) / n_h,

f_h = n_h / N_h without replacement and 0 with it (Cochran, Sampling Techniques, 3rd ed., 5.2 and
5.9); S_h^2 is estimated without bias by the sample variance s_h^2 (ddof 1).

With a proxy g known on every row (q_i = u_i g_i, known total Q = sum_e u_e g_e), the combined
regression estimator (Cochran 7.9) is T_reg = T_st + b (Q - Q_st), with the b that minimises the
estimated variance, b = sum_h c_h s_tq,h / sum_h c_h s_q,h^2, and variance sum_h c_h s_e,h^2 on
the residuals e = t - b q. It is consistent whatever the proxy (a useless proxy gives b near 0 and
the stratified estimator back); its bias is O(1 / n), and the interval accounts for the estimated
b only to first order, as in prediction-powered inference with a tuned coefficient (Angelopoulos et
al., "PPI++", 2023).
"""
from __future__ import annotations

from statistics import NormalDist
from typing import Optional, Tuple

import numpy as np

from .estimate import Estimate

Arr = np.ndarray


def stratum_moments(h: Arr, a: Arr, b: Arr, H: int) -> Tuple[Arr, Arr]:
    """Per stratum: the count of draws and the sample covariance (ddof 1) of a and b (NaN where
    a stratum has fewer than two draws)."""
    n = np.bincount(h, minlength=H).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma = np.bincount(h, weights=a, minlength=H) / n
        mb = np.bincount(h, weights=b, minlength=H) / n
        cov = np.bincount(h, weights=(a - ma[h]) * (b - mb[h]), minlength=H) / (n - 1)
    return n, np.where(n > 1, cov, np.nan)


def stratified_estimate(
    losses: Arr, strata: Arr, sizes: Arr, allocation: Arr, total_weight: float, *,
    replace: bool, sample_weight: Optional[Arr] = None, control: Optional[Arr] = None,
    control_total: float = 0.0, confidence: float = 0.95,
) -> Estimate:
    """Estimate of the mean loss from a stratified sample (module docstring).

    losses, strata, sample_weight, control: one entry per draw (the draw's loss, stratum, sample
    weight u and proxy g); sizes: N_h; allocation: n_h (draws per stratum, matching `strata`);
    total_weight: sum_e u_e; control_total: sum_e u_e g_e.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused just below
        total, var = _total_and_variance(
            losses, strata, sizes, allocation, replace, sample_weight, control, control_total)
    if not np.isfinite(total) or np.isinf(var):
        raise ValueError(
            "weights: the estimate or its variance overflows double (losses up to "
            f"{float(np.max(np.abs(losses))):.3g}); scale them down"
        )
    mean = total / total_weight
    stderr = float(np.sqrt(max(var, 0.0))) / total_weight if np.isfinite(var) else np.nan
    half = NormalDist().inv_cdf(0.5 + confidence / 2.0) * stderr
    return Estimate(total, mean, stderr, (mean - half, mean + half), confidence, losses.shape[0])


def _total_and_variance(losses, strata, sizes, allocation, replace, sample_weight, control,
                        control_total):
    """The estimated total and its variance (module docstring)."""
    H = sizes.shape[0]
    N = sizes.astype(np.float64)
    n = allocation.astype(np.float64)
    u = np.ones(losses.shape[0]) if sample_weight is None else sample_weight
    t = u * losses
    drawn = n > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        tbar = np.bincount(strata, weights=t, minlength=H) / np.where(drawn, n, 1.0)
        f = np.zeros(H) if replace else n / N
        c = np.where(drawn, N**2 * (1.0 - f) / np.where(drawn, n, 1.0), 0.0)
    total = float(N @ tbar)
    _, s_tt = stratum_moments(strata, t, t, H)
    if control is None:
        var = _combine(c, s_tt)
    else:
        q = u * control
        qbar = np.bincount(strata, weights=q, minlength=H) / np.where(drawn, n, 1.0)
        _, s_tq = stratum_moments(strata, t, q, H)
        _, s_qq = stratum_moments(strata, q, q, H)
        sxx = _combine(c, s_qq)
        b = _combine(c, s_tq) / sxx if np.isfinite(sxx) and sxx > 0 else 0.0
        total += b * (control_total - float(N @ qbar))
        e = t - b * q
        _, s_ee = stratum_moments(strata, e, e, H)
        var = _combine(c, s_ee)
    return total, var


def _combine(c: Arr, s: Arr) -> float:
    """sum_h c_h s_h over the strata that need a variance (c_h > 0; census strata have c = 0)."""
    need = c > 0
    if np.isnan(s[need]).any():
        return np.nan  # a sampled stratum with one draw: its variance cannot be estimated
    return float(c[need] @ s[need])

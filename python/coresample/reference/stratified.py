"""The stratified and combined regression estimators, stratum by stratum: the independent oracle of
python/coresample/_base/stratified.py (written from Cochran, not from that file).

Stratum h holds N_h rows, of which n_h are drawn uniformly (without replacement: simple random
sampling; with: i.i.d.). With t_i = u_i l_i:

    T_st = sum_h N_h tbar_h                                    (Cochran 5.1; unbiased, 5.2)
    v(T_st) = sum_h N_h^2 (1 - f_h) s_h^2 / n_h                (Cochran 5.9, for the total)

with f_h = n_h / N_h without replacement, 0 with it, and s_h^2 the stratum's sample variance
(divisor n_h - 1), unbiased for S_h^2. A stratum with n_h = N_h (a census) has no variance; an
undrawn stratum has no rows of positive weight (the design draws from every such stratum), so it
adds 0 to T. A stratum with one draw and f_h < 1 leaves the variance inestimable: NaN.

With a control q_i = u_i g_i of known total Q, the combined regression estimator (Cochran 7.9):

    b = sum_h a_h s_tq,h / sum_h a_h s_q,h^2,      a_h = N_h^2 (1 - f_h) / n_h,
    T_reg = T_st + b (Q - Q_st),                   v = sum_h a_h s_e,h^2 on e = t - b q,

b minimising the estimated variance of T_st - b Q_st (0 when the control has no spread).
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

from .._base.estimate import Estimate
from .estimate import interval


def _mean(xs: list) -> float:
    return math.fsum(xs) / len(xs)


def _covariance(xs: list, ys: list) -> float:
    """Sample covariance with divisor n - 1 (n >= 2)."""
    mx, my = _mean(xs), _mean(ys)
    return math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys)) / (len(xs) - 1)


def stratified_estimate(
    losses: np.ndarray, strata: np.ndarray, sizes: np.ndarray, allocation: np.ndarray,
    total_weight: float, *, replace: bool, sample_weight: Optional[np.ndarray] = None,
    control: Optional[np.ndarray] = None, control_total: float = 0.0,
    confidence: float = 0.95,
) -> Estimate:
    """The stratified (or, with a control, combined regression) estimate of the mean loss.

    losses, strata, sample_weight, control: one entry per draw; sizes: N_h; allocation: n_h
    (draws per stratum); total_weight: sum_e u_e; control_total: sum_e u_e g_e."""
    s = len(losses)
    u = [1.0] * s if sample_weight is None else [float(x) for x in sample_weight]
    t_by = {}  # stratum -> its draws' t
    q_by = {}
    for i in range(s):
        h = int(strata[i])
        t_by.setdefault(h, []).append(u[i] * float(losses[i]))
        if control is not None:
            q_by.setdefault(h, []).append(u[i] * float(control[i]))
    a = {}  # the variance factors a_h of the strata that need a variance
    for h, ts in t_by.items():
        n_h, N_h = int(allocation[h]), float(sizes[h])
        assert n_h == len(ts), "allocation must count the draws of each stratum"
        f = 0.0 if replace else n_h / N_h
        if f < 1.0:
            a[h] = N_h * N_h * (1.0 - f) / n_h
    one_draw = any(len(t_by[h]) < 2 for h in a)

    T_st = math.fsum(float(sizes[h]) * _mean(ts) for h, ts in t_by.items())
    if control is None:
        total = T_st
        var = math.nan if one_draw else math.fsum(a[h] * _covariance(t_by[h], t_by[h]) for h in a)
    else:
        Q_st = math.fsum(float(sizes[h]) * _mean(qs) for h, qs in q_by.items())
        if one_draw:
            b = 0.0
        else:
            sxx = math.fsum(a[h] * _covariance(q_by[h], q_by[h]) for h in a)
            sxy = math.fsum(a[h] * _covariance(t_by[h], q_by[h]) for h in a)
            b = sxy / sxx if sxx > 0 and math.isfinite(sxx) else 0.0
        total = T_st + b * (control_total - Q_st)
        if one_draw:
            var = math.nan
        else:
            e_by = {h: [t - b * q for t, q in zip(t_by[h], q_by[h])] for h in t_by}
            var = math.fsum(a[h] * _covariance(e_by[h], e_by[h]) for h in a)
    if not math.isfinite(total) or math.isinf(var):
        raise ValueError("weights: the estimate or its variance overflows double; scale the "
                         "losses down")
    mean = total / total_weight
    stderr = math.sqrt(max(var, 0.0)) / total_weight if math.isfinite(var) else math.nan
    return Estimate(total, mean, stderr, interval(mean, stderr, confidence), confidence, s)

"""What `Selection.estimate_from` must return, from a Selection's public fields and the textbook
estimators of this package (the independent oracle of python/coresample/_base/results.py).

- Stratified design: the stratified estimator, or the combined regression estimator with the
  selection's proxy (reference/stratified.py).
- Sensitivity design (and the baselines):
  - plain: Horvitz-Thompson / Hansen-Hurwitz (reference/estimate.py), optionally Hajek's ratio;
  - representative_losses: the difference estimator with g_i = l(r_c(i)), G = sum_c U_c l(r_c);
  - poststratify: the clusters as post-strata, T = sum_c U_c ybar_c over the clusters with draws,
    ybar_c = sum_{i in c} w_i l_i / sum_{i in c} w_i, whose variance is the design's formula on the
    residuals l_i - ybar_c(i) (Sarndal, Swensson and Wretman, 7.6);
  - a proxy g (estimator "regression"): the difference estimator with b g, G = b sum_e u_e g_e,
    b the variance-minimising slope: with replacement the least-squares slope of s w_i l_i on
    s w_i g_i; without, b = sum_i c_i l_i g_i / sum_i c_i g_i^2 with c_i = (1 - pi_i) w_i^2.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._base.estimate import Estimate
from .._base.results import Selection
from .estimate import estimate
from .stratified import stratified_estimate


def estimate_from(
    selection: Selection, losses: Any, *, representative_losses: Any = None,
    confidence: float = 0.95, self_normalized: bool = False, poststratify: bool = False,
) -> Estimate:
    """The estimate that `selection.estimate_from(losses, ...)` must return (module docstring)."""
    sel = selection
    idx = sel.indices
    l_ = np.asarray(losses, dtype=np.float64)
    u = None if sel.sample_weight is None else sel.sample_weight[idx]
    proxy = None if sel.proxy is None else sel.proxy[idx]
    if sel.design == "stratified":
        return stratified_estimate(
            l_, sel.strata[idx], sel.stratum_sizes, sel.allocation, sel.total_weight,
            replace=sel.replace, sample_weight=u, control=proxy,
            control_total=sel.proxy_total or 0.0, confidence=confidence)
    control, total = None, 0.0
    if representative_losses is not None:
        rep = np.asarray(representative_losses, dtype=np.float64)
        control = rep[sel.labels[idx]]
        total = math.fsum(float(U) * float(r) for U, r in zip(sel.cluster_weights, rep))
    elif poststratify:
        labels = sel.labels[idx]
        w = sel.weights
        ybar = {}
        for c in set(labels.tolist()):
            mine = labels == c
            ybar[c] = math.fsum((w[mine] * l_[mine]).tolist()) / math.fsum(w[mine].tolist())
        control = np.array([ybar[c] for c in labels.tolist()])
        total = math.fsum(float(sel.cluster_weights[c]) * m for c, m in ybar.items())
    elif proxy is not None:
        b = _slope(l_, proxy, sel.weights, sel.replace, u)
        control, total = b * proxy, b * float(sel.proxy_total)
    return estimate(l_, sel.weights, sel.total_weight, replace=sel.replace, sample_weight=u,
                    control=control, control_total=total, confidence=confidence,
                    self_normalized=self_normalized)


def _slope(l_: np.ndarray, g: np.ndarray, w: np.ndarray, replace: bool, u: Any) -> float:
    """The variance-minimising coefficient b of the proxy (module docstring)."""
    s = w.shape[0]
    if replace:
        if s < 2:
            return 0.0
        x = [s * wi * gi for wi, gi in zip(w.tolist(), g.tolist())]
        y = [s * wi * li for wi, li in zip(w.tolist(), l_.tolist())]
        mx, my = math.fsum(x) / s, math.fsum(y) / s
        sxx = math.fsum((xi - mx) ** 2 for xi in x)
        return math.fsum((xi - mx) * (yi - my) for xi, yi in zip(x, y)) / sxx if sxx > 0 else 0.0
    uu = [1.0] * s if u is None else u.tolist()
    c = [(1.0 - min(ui / wi, 1.0)) * wi * wi if wi > 0 else 0.0 for ui, wi in zip(uu, w.tolist())]
    sxx = math.fsum(ci * gi * gi for ci, gi in zip(c, g.tolist()))
    sxy = math.fsum(ci * li * gi for ci, li, gi in zip(c, l_.tolist(), g.tolist()))
    return sxy / sxx if sxx > 0 else 0.0

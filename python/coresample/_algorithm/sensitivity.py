"""Argument checks for `sensitivities`, shared by the core and the reference."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from .._base.validation import (
    check_choice, check_float, check_int, check_labels, check_sample_weight, check_vector,
)

METHODS = ("lightweight", "coreset")

# The defensive uniform share of every sensitivity distribution (sensitivities' and select's
# `defensive`): p = a u / U + (1 - a) p_sens keeps p > 0 on every row of positive weight.
# Chosen by measurement: experiments/defensive.py, docs/RESULTS.md "Defensive share".
DEFENSIVE = 0.2


def check_defensive(defensive: Any) -> float:
    """The uniform share a, a real number in [0, 1]."""
    return check_float(defensive, "defensive", 0.0, 1.0)


def check_sensitivity_args(
    cost: Any, labels: Any, center_losses: Any, lam: Any, sample_weight: Any, method: Any,
    n_clusters: Any, defensive: Any = DEFENSIVE,
) -> Tuple[np.ndarray, np.ndarray, Optional[np.ndarray], float, Optional[np.ndarray], str, int, float]:
    cost = check_vector(cost, "cost", nonnegative=True)
    if cost.size == 0:
        raise ValueError("cost is empty")
    n = cost.shape[0]
    lam = check_float(lam, "lam", 0.0)
    method = check_choice(method, "method", METHODS)
    if center_losses is not None:
        center_losses = check_vector(center_losses, "center_losses", nonnegative=True)
        if center_losses.size == 0:
            raise ValueError("center_losses is empty")
    if n_clusters is not None:
        k = check_int(n_clusters, "n_clusters", 1)
    elif center_losses is not None:
        k = center_losses.shape[0]
    else:
        k = int(np.max(labels)) + 1 if np.size(labels) else 1
    if center_losses is not None and center_losses.shape[0] != k:
        raise ValueError(f"center_losses must have length n_clusters={k}, got {center_losses.shape[0]}")
    labels = check_labels(labels, n, k)
    u = check_sample_weight(sample_weight, n)
    check_total_bound(cost, labels, center_losses, lam, u)
    return cost, labels, center_losses, lam, u, method, k, check_defensive(defensive)


def check_total_bound(
    cost: np.ndarray, labels: np.ndarray, center_losses: Optional[np.ndarray], lam: float,
    u: Optional[np.ndarray],
) -> None:
    """The normaliser sum_e u_e (l(c(e)) + lam cost(e)) must be finite, else p would be NaN.

    A bound first (one max over cost, no temporaries): (max l + (lam + 1) max cost) times the
    total weight; only when that overflows are the sums formed exactly.
    """
    mass = float(cost.shape[0]) if u is None else float(u.sum())
    top_loss = 0.0 if center_losses is None else float(center_losses.max(initial=0.0))
    with np.errstate(over="ignore"):
        bound = (top_loss + (lam + 1.0) * float(cost.max(initial=0.0))) * mass
    if np.isfinite(bound):
        return
    with np.errstate(over="ignore", invalid="ignore"):
        v = lam * cost if center_losses is None else center_losses[labels] + lam * cost
        total = float(np.sum(v if u is None else u * v)) + float(np.sum(cost if u is None else u * cost))
    if not np.isfinite(total):
        culprit = "sample_weight" if u is not None else ("center_losses" if center_losses is not None else "cost")
        raise ValueError(
            f"the weighted total of the bound (sum of u * (center loss + lam * cost)) overflows; "
            f"scale {culprit} (or lam) down"
        )

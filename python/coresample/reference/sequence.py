"""The half-widths of `evaluate`'s intervals, from the papers' formulas: the independent oracle of
python/coresample/_base/sequence.py.

- "fixed": z sigma_hat, the normal interval at a fixed sample size (valid at evaluate's stopping
  time asymptotically: Chow and Robbins 1965).
- "anytime": the two-sided normal-mixture confidence sequence of Robbins (1970), made asymptotic by
  Waudby-Smith, Arbour, Sinha, Kennedy and Ramdas (Annals of Statistics 2024, Theorem 2.2 with
  their eq. (14)): with sigma the standard deviation of one draw and t draws, the radius is

      sigma / t * sqrt( 2 (t rho^2 + 1) / rho^2 * log( sqrt(t rho^2 + 1) / alpha ) ),

  the same as stderr * sqrt(2 (t rho^2 + 1) / (t rho^2) log(sqrt(t rho^2 + 1) / alpha)) since
  stderr = sigma / sqrt(t). rho^2 = (-2 log alpha + log(1 - 2 log alpha)) / t_opt puts the
  tightest point at t_opt draws (their section 3.5).
"""
from __future__ import annotations

import math

from .estimate import upper_quantile


def mixture_rho2(alpha: float, t_opt: float) -> float:
    """rho^2 of the normal mixture that is tightest at t_opt draws."""
    return (-2.0 * math.log(alpha) + math.log(1.0 - 2.0 * math.log(alpha))) / t_opt


def half_width(stderr: float, t: int, confidence: float, kind: str, rho2: float) -> float:
    """The interval's half-width after t draws with standard error `stderr`."""
    alpha = 1.0 - confidence
    if kind == "fixed":
        return upper_quantile(alpha / 2.0) * stderr
    if kind != "anytime":
        raise ValueError(f"kind must be 'fixed' or 'anytime', got {kind!r}")
    sigma = stderr * math.sqrt(t)
    return sigma / t * math.sqrt(2.0 * (t * rho2 + 1.0) / rho2
                                 * math.log(math.sqrt(t * rho2 + 1.0) / alpha))

"""The sampling distribution of sensitivity sampling (cpp/sensitivity.cpp)."""
from __future__ import annotations

from functools import partial
from typing import Optional

import numpy as np

from .. import _core
from .._algorithm import functions
from .._algorithm.api import bind


def probabilities(
    cost: np.ndarray, labels: np.ndarray, center_losses: Optional[np.ndarray], k: int, lam: float,
    u: Optional[np.ndarray], method: str, defensive: float,
) -> np.ndarray:
    """Unvalidated core call: p."""
    out = np.empty(cost.shape[0], dtype=np.float64)
    _core.sensitivities(cost, labels, center_losses, k, lam, u, method, defensive, out, 0)
    return out


def sensitivity_probabilities(
    m: np.ndarray, u: Optional[np.ndarray], S: float, U: float, defensive: float, nt: int
) -> np.ndarray:
    """p of a run of rows from its masses and the whole dataset's S and U (validated input):
    the defensive mixture of cpp/sensitivity.cpp, for the engines' partition kernels."""
    out = np.empty(m.shape[0], dtype=np.float64)
    _core.sensitivity_probabilities(m, u, S, U, defensive, out, nt)
    return out


def sensitivity_masses(
    cost: np.ndarray, labels: np.ndarray, center_losses: Optional[np.ndarray], k: int, lam: float,
    u: Optional[np.ndarray], method: str, a: float, cluster_size: Optional[np.ndarray], phi: float,
    nt: int,
) -> np.ndarray:
    """The masses m = u v of a run of rows from the whole dataset's totals (validated input): the
    engines' partition kernels call this, so the formula lives in cpp/sensitivity.cpp only."""
    out = np.empty(cost.shape[0], dtype=np.float64)
    _core.sensitivity_masses(cost, labels, center_losses, k, lam, u, method, a, cluster_size, phi,
                             out, nt)
    return out


sensitivities = bind(
    functions.sensitivities, partial(functions.run_sensitivities, probabilities), __name__
)

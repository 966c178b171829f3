"""Pure NumPy counterpart of `coresample.regression`.

The linear algebra (leverage scores, sketches, whitening, the weighted solve) is the same NumPy
code as in `coresample.regression`; only the clustering (`coresample.reference.select`), the
sensitivities and the sampler (`coresample.reference.sample`) are the reference's own, so for
the same seed both modules draw the same rows.
"""
from __future__ import annotations

from functools import partial

from .._algorithm import regression as _plan
from .._algorithm.api import bind
from .._algorithm.regression import RegressionFit, RowSample  # noqa: F401 (public names)
from .sampling import sample
from .select import select
from .sensitivity import sensitivities

BACKEND = _plan.Backend(select=select, sensitivities=sensitivities, sample=sample)

_SAME_CODE = "(the same NumPy code)"
leverage_scores = bind(
    _plan.leverage_scores, _plan.leverage_scores, __name__,
    doc=f"Pure NumPy counterpart of `coresample.regression.leverage_scores` {_SAME_CODE}.",
)
approximate_leverage_scores = bind(
    _plan.approximate_leverage_scores, _plan.approximate_leverage_scores, __name__,
    doc="Pure NumPy counterpart of `coresample.regression.approximate_leverage_scores` "
    f"{_SAME_CODE[:-1]}, the same sketch for the same seed).",
)
solve = bind(
    _plan.solve, _plan.solve, __name__,
    doc=f"Pure NumPy counterpart of `coresample.regression.solve` {_SAME_CODE}.",
)
row_probabilities = bind(
    _plan.row_probabilities, partial(_plan.run_row_probabilities, BACKEND), __name__,
    doc="Pure NumPy counterpart of `coresample.regression.row_probabilities` (clustering and "
    "sensitivities from `coresample.reference`; n_threads is ignored).",
)
sample_rows = bind(
    _plan.sample_rows, partial(_plan.run_sample_rows, BACKEND), __name__,
    doc="Pure NumPy counterpart of `coresample.regression.sample_rows` (draws with "
    "`coresample.reference.sample`: the same rows for the same seed and p).",
)
fit = bind(
    _plan.fit, partial(_plan.run_fit, BACKEND), __name__,
    doc="Pure NumPy counterpart of `coresample.regression.fit`.",
)

__all__ = [
    "RegressionFit", "RowSample", "approximate_leverage_scores", "fit", "leverage_scores",
    "row_probabilities", "sample_rows", "solve",
]

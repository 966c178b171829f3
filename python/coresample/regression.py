"""Row sampling for least squares (see `coresample._algorithm.regression` for the methods).

`coresample.reference.regression` binds the same functions to the NumPy backend; the linear
algebra is one shared NumPy implementation, so for the same seed both draw the same rows.
"""
from __future__ import annotations

from functools import partial

from ._algorithm import regression as _plan
from ._algorithm.api import bind
from ._algorithm.regression import (  # noqa: F401 (DEFAULT_*: public constants)
    DEFAULT_N_CLUSTERS, DEFAULT_POINTS_PER_CENTER, RegressionFit, RowSample,
    approximate_leverage_scores, leverage_scores, solve,
)
from .core.sampling import sample
from .core.select import select
from .core.sensitivity import sensitivities

BACKEND = _plan.Backend(select=select, sensitivities=sensitivities, sample=sample)

row_probabilities = bind(
    _plan.row_probabilities, partial(_plan.run_row_probabilities, BACKEND), __name__
)
sample_rows = bind(_plan.sample_rows, partial(_plan.run_sample_rows, BACKEND), __name__)
fit = bind(_plan.fit, partial(_plan.run_fit, BACKEND), __name__)

__all__ = [
    "RegressionFit", "RowSample", "approximate_leverage_scores", "fit", "leverage_scores",
    "row_probabilities", "sample_rows", "solve",
]

"""Pure NumPy counterpart of `coresample.evaluate`."""
from __future__ import annotations

from functools import partial

from .._algorithm import evaluate as _evaluate
from .._algorithm.api import bind
from .select import BACKEND

evaluate = bind(
    _evaluate.evaluate, partial(_evaluate.run_evaluate, BACKEND), __name__,
    doc="Pure NumPy counterpart of `coresample.evaluate` (the same queries for the same seed).",
)

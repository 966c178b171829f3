"""evaluate(): a model's mean loss to a stated precision, backed by the C++ core."""
from __future__ import annotations

from functools import partial

from .._algorithm import evaluate as _evaluate
from .._algorithm.api import bind
from .select import BACKEND

evaluate = bind(_evaluate.evaluate, partial(_evaluate.run_evaluate, BACKEND), __name__)

"""`select_adaptive`: a uniform warm start, the user's model scores, then Algorithm 1 (core)."""
from __future__ import annotations

from functools import partial

from .._algorithm import options
from .._algorithm.adaptive import run_select_adaptive
from .._algorithm.api import bind
from .sampling import sample
from .select import select

select_adaptive = bind(
    options.select_adaptive, partial(run_select_adaptive, select, sample), __name__
)

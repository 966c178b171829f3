"""select(): Algorithm 1 end to end, backed by the C++ core."""
from __future__ import annotations

from functools import partial

from .. import _core
from .._algorithm import options
from .._algorithm.api import bind
from .._algorithm.select import Backend, run_select
from .assign import assign_rows
from .kmeans import KMeans
from .sampling import sample_rows, stratified_rows
from .sensitivity import sensitivities
from .snap import snap_rows

BACKEND = Backend(
    name="core", kmeans=KMeans, assign=assign_rows, snap=snap_rows, sensitivities=sensitivities,
    sample=sample_rows, stratified=stratified_rows, set_progress=_core.set_progress,
)

select = bind(options.select, partial(run_select, BACKEND), __name__)

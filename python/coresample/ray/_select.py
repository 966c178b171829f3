"""coresample.ray.select: `coresample.select` over a Ray Dataset of embeddings."""
from __future__ import annotations

from .._algorithm import evaluate as _evaluate
from .._algorithm import options
from .._algorithm.api import bind
from .._engine.evaluate import evaluate_runner
from .._engine.plan import runner
from .._engine.result import EngineSelection
from ._engine import RayEngine


class RaySelection(EngineSelection):
    """`coresample.Selection` from `coresample.ray.select`: the n-length fields (labels, cost,
    probabilities, sample_weight) are `RayVector`s left in Ray's object store."""

    engine_name = "Ray"


_DOC = """`coresample.select` for a Ray Dataset.

Same parameters, order and defaults as `coresample.select`, and the same Selection bit for bit
for any block layout (docs/DISTRIBUTED.md). Call `ray.init()` (or connect to a cluster) first.

X : ray.data.Dataset with one column of embeddings of n_features floats each (a tensor column,
    or per-row lists); `ds.select_columns([name])` when it has more columns. Row order is the
    dataset's order; the blocks are regrouped on the workers into partitions starting at
    multiples of 1024 rows.
sample_weight : NumPy array of shape (n_samples,) in the dataset's row order, default=None
loss_fn : called on the driver with global row indices (positions in the dataset's order).
n_threads : threads of the core calls on the driver (None: all cores) and inside each task
    (None: 1, as Ray runs tasks in parallel). Results are identical for any value.

An all-rows fit (`max_points_per_center=None`, or "auto" on a problem small enough that select
fits on all rows) gathers the rows to the driver for the fit, as `coresample.select`
materialises out-of-core input. Returns a `RaySelection`: labels, cost, probabilities and
sample_weight are `RayVector`s (`.compute()` brings one to the driver), the other fields NumPy.
"""

select = bind(options.select, runner(RayEngine, RaySelection), __name__, doc=_DOC)

_EVALUATE_DOC = """`coresample.evaluate` for a Ray Dataset: the same Evaluation (estimate, interval,
queried rows in order, losses, weights, per-stratum table) bit for bit for any block layout,
except `plan`, which is None (`plan=` is refused: a plan holds n-length strata codes). X,
sample_weight, strata and proxy as in `coresample.ray.select`; loss_fn is called on the driver
with global row indices. See `coresample.evaluate` for the rest.
"""

evaluate = bind(_evaluate.evaluate, evaluate_runner(RayEngine), __name__, doc=_EVALUATE_DOC)

"""coresample.dask.select: `coresample.select` over the partitions of a dask array."""
from __future__ import annotations

from .._algorithm import evaluate as _evaluate
from .._algorithm import options
from .._algorithm.api import bind
from .._engine.evaluate import evaluate_runner
from .._engine.plan import runner
from .._engine.result import EngineSelection
from ._engine import DaskEngine


class DaskSelection(EngineSelection):
    """`coresample.Selection` from `coresample.dask.select`: the n-length fields (labels, cost,
    probabilities, sample_weight) are lazy dask arrays over the persisted partitions."""

    engine_name = "Dask"


_DOC = """`coresample.select` for a dask array of rows.

Same parameters, order and defaults as `coresample.select`, and the same Selection bit for bit
for any chunking of the rows (docs/DISTRIBUTED.md): indices, weights, representatives, inertia,
cluster_weights, total_weight and the estimate. Runs on whatever Dask scheduler is active (a
`distributed.Client` for a cluster); the client holds O(k d + budget + n / 1024) values, except
in an all-rows fit (`max_points_per_center=None`, or "auto" on a problem small enough that
select fits on all rows), where the rows are gathered to the client for the fit exactly as
`coresample.select` materialises out-of-core input.

X : dask.array.Array of shape (n_samples, n_features), float16/32/64. Rows may be chunked any
    way; chunks are rechunked to boundaries that are multiples of 1024 rows (the core's
    reduction block) when they are not already, and to one chunk of columns.
sample_weight : NumPy or dask array of shape (n_samples,), default=None
loss_fn : called on the client with global row indices.
n_threads : threads of the core calls on the client (None: all cores) and inside each partition
    task (None: 1, as Dask runs partitions in parallel). Results are identical for any value.
progress : as `coresample.select`; phases "assign", "oracle" and "sample" are reported per pass.

Returns a `DaskSelection`: labels, cost, probabilities and sample_weight are lazy dask arrays
(never gathered to the client), the other fields NumPy. See `coresample.select` for the rest.
"""

select = bind(options.select, runner(DaskEngine, DaskSelection), __name__, doc=_DOC)

_EVALUATE_DOC = """`coresample.evaluate` for a dask array of rows: the same Evaluation (estimate, interval,
queried rows in order, losses, weights, per-stratum table) bit for bit for any chunking, except
`plan`, which is None (`plan=` is refused: a plan holds n-length strata codes). X, sample_weight,
strata and proxy as in `coresample.dask.select`; loss_fn is called on the client with global row
indices. See `coresample.evaluate` for the rest.
"""

evaluate = bind(_evaluate.evaluate, evaluate_runner(DaskEngine), __name__, doc=_EVALUATE_DOC)

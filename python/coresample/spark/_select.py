"""coresample.spark.select: `coresample.select` over a Spark DataFrame of embeddings."""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import numpy as np

from .._algorithm import evaluate as _evaluate
from .._algorithm import options
from .._algorithm.api import bind, parameters_of
from .._engine.evaluate import evaluate_runner
from .._engine.plan import runner
from .._engine.result import EngineSelection
from ._engine import SparkEngine

# Where monotonically_increasing_id() puts the partition index (the position is below it).
_PARTITION_SHIFT = 33


def _numbered(frame: Any, name: str) -> Any:
    """frame with monotonically_increasing_id() as `name`, cached: one run of its plan."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    return frame.withColumn(name, F.monotonically_increasing_id()).persist(
        StorageLevel.MEMORY_AND_DISK)


def _positions(indexed: Any, name: str, rows: np.ndarray, n: int) -> np.ndarray:
    """The ids (partition << 33 | position) of global rows in `indexed`, from its partition
    sizes (one row per partition reaches the driver)."""
    from pyspark.sql import functions as F

    pid = F.shiftright(F.col(name), _PARTITION_SHIFT)  # exact, unlike a division in double
    sizes = dict(indexed.groupBy(pid.alias("pid")).count().collect())
    pids = np.array(sorted(sizes), dtype=np.int64)
    counts = np.array([sizes[p] for p in pids], dtype=np.int64)
    if counts.sum() != n:
        raise RuntimeError(f"X has {int(counts.sum())} rows now, {n} when selected")
    firsts = np.cumsum(counts) - counts
    where = np.searchsorted(firsts, rows, side="right") - 1
    return (pids[where] << _PARTITION_SHIFT) + (rows - firsts[where])


@dataclass(frozen=True, eq=False)
class SparkSelection(EngineSelection):
    """`coresample.Selection` from `coresample.spark.select`.

    The n-length fields (labels, cost, probabilities, sample_weight, strata, proxy) are
    `SparkVector`s over the partitions cached on the executors; the rest are NumPy values equal
    to `coresample.select`'s on the same rows. `transfer`: what the call moved between driver and
    executors (jobs, pickled bytes each way). `sampled_rows()` gives the chosen rows as a
    DataFrame; `release()` frees the cached partitions.
    """

    engine_name = "Spark"
    transfer: Dict[str, int] = field(default_factory=dict, repr=False)
    _engine: Any = field(default=None, repr=False)

    def sampled_rows(self, weight_column: str = "weight", draw_column: str = "draw") -> Any:
        """The sampled rows of the DataFrame given to select, one line per draw, in draw order,
        with their weight and draw number (a row drawn twice appears twice).

        With `row_id=` they are found by that column. Otherwise by their position in the
        DataFrame's row order, numbered in one cached pass (a partition's size may change from
        one run of a plan to the next, e.g. after repartitionByRange, but not the order); the
        chosen rows are checkpointed and the pass freed."""
        from pyspark.sql import functions as F

        eng = self._engine
        frame = eng.frame
        for name in (weight_column, draw_column):
            if name in frame.columns:
                raise ValueError(f"{name!r} is already a column of X; pass another name")
        draws = list(range(self.indices.shape[0]))
        weights = self.weights.tolist()
        spark = frame.sparkSession
        if eng.row_id is not None:
            on, keys, indexed = eng.row_id, eng.row_ids(self.indices).tolist(), frame
        else:
            on, indexed = "_cs_position", _numbered(frame, "_cs_position")
            keys = _positions(indexed, "_cs_position", self.indices, eng.n).tolist()
        small = spark.createDataFrame(list(zip(keys, draws, weights)),
                                      f"`{on}` long, `{draw_column}` long, `{weight_column}` double")
        joined = frame.join(F.broadcast(small), on=on) if eng.row_id is not None else \
            indexed.join(F.broadcast(small), on=on).drop(on)
        out = joined.orderBy(draw_column)
        if eng.row_id is None:
            out = out.localCheckpoint(eager=True)
            indexed.unpersist()
        return out

    def release(self) -> None:
        """Free the partitions cached on the executors (lazy fields cannot compute afterwards)."""
        self._engine.release()


_INSERT = [
    inspect.Parameter("column", inspect.Parameter.KEYWORD_ONLY, default="embedding",
                      annotation="str"),
    inspect.Parameter("row_id", inspect.Parameter.KEYWORD_ONLY, default=None,
                      annotation="Optional[str]"),
]
_COLUMN_OR_VECTOR = "Union[str, np.ndarray, None]"


@parameters_of(options.select, returns="SparkSelection", insert=_INSERT, after="budget",
               changes={name: {"annotation": _COLUMN_OR_VECTOR}
                        for name in ("sample_weight", "strata", "proxy")})
def _prototype(*args: Any, **kwargs: Any) -> SparkSelection:
    """The signature of coresample.spark.select (documented in _DOC)."""


def _engine_maker(column: str, row_id: Optional[str], arguments: Dict[str, Any], made: list):
    """engine(X, sample_weight) for the shared runners, with the Spark-only arguments."""

    def engine(X: Any, sample_weight: Any) -> SparkEngine:
        made.append(SparkEngine(X, sample_weight, column=column, row_id=row_id,
                                strata=arguments["strata"], proxy=arguments["proxy"]))
        return made[-1]

    return engine


def _run(*, column: str, row_id: Optional[str], **arguments: Any) -> SparkSelection:
    made: list = []
    sel = runner(_engine_maker(column, row_id, arguments, made), SparkSelection)(**arguments)
    object.__setattr__(sel, "_engine", made[0])
    object.__setattr__(sel, "transfer", dict(made[0].transfer))
    return sel


def _run_evaluate(*, column: str, row_id: Optional[str], **arguments: Any) -> Any:
    made: list = []
    try:
        return evaluate_runner(_engine_maker(column, row_id, arguments, made))(**arguments)
    finally:
        for engine in made:  # the Evaluation keeps nothing lazy: free the cached partitions
            engine.release()


_DOC = """`coresample.select` for a Spark DataFrame of embeddings.

Same parameters, order and defaults as `coresample.select`, plus `column` and `row_id`, and the
same Selection bit for bit for any partitioning of the rows (docs/DISTRIBUTED.md): indices,
weights, representatives, centers, inertia, cluster_weights, total_weight and the estimate.
Kernels run on the executors through the RDD API of the DataFrame's SparkContext (a classic
session; Spark Connect is not supported); the driver holds O(k d + budget + n / 1024) values,
except in an all-rows fit (`max_points_per_center=None`, or "auto" on a problem small enough that
select fits on all rows), which gathers the rows to the driver as `coresample.select`
materialises out-of-core input.

X : pyspark.sql.DataFrame. Any other columns are ignored (and kept by `sampled_rows()`).
column : the column of embeddings: array<float>, array<double> or an ML vector
    (pyspark.ml.linalg; converted with `vector_to_array`). No nulls; one length.
row_id : None, or a column of unique integers. None: the row order is the DataFrame's own
    (`df.collect()`'s order: partition by partition), so `indices` are positions in it. A
    column: the rows are ordered by it (a sort), so that any partitioning of the same rows gives
    the same selection.
sample_weight, strata, proxy : a column name, or a NumPy vector in that row order, or None.
loss_fn : called on the driver with global row indices (positions in that order).
n_threads : threads of the core calls on the driver (None: all cores) and inside each task
    (None: 1, as Spark runs tasks in parallel). Results are identical for any value.

Returns a `SparkSelection`: labels, cost, probabilities and sample_weight are `SparkVector`s
(`.compute()` brings one to the driver); `sampled_rows()` gives the chosen rows as a DataFrame
with their weights; `transfer` counts what crossed between driver and executors.
"""

select = bind(_prototype, _run, __name__, doc=_DOC)


@parameters_of(_evaluate.evaluate, returns="Evaluation", insert=_INSERT, after="loss_fn",
               changes={name: {"annotation": _COLUMN_OR_VECTOR}
                        for name in ("sample_weight", "strata", "proxy")})
def _evaluate_prototype(*args: Any, **kwargs: Any) -> Any:
    """The signature of coresample.spark.evaluate (documented in _EVALUATE_DOC)."""


_EVALUATE_DOC = """`coresample.evaluate` for a Spark DataFrame of embeddings.

The same Evaluation (estimate, interval, queried rows in order, losses, weights, per-stratum
table) bit for bit for any partitioning, except `plan`, which is None (`plan=` is refused: a
plan holds n-length strata codes). X, column, row_id, sample_weight, strata and proxy as in
`coresample.spark.select`; loss_fn is called on the driver with global row indices (positions
in that row order). The cached partitions are freed when it returns. See `coresample.evaluate`
for the rest.
"""

evaluate = bind(_evaluate_prototype, _run_evaluate, __name__, doc=_EVALUATE_DOC)

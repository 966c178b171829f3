"""SparkVector: an n-length result left on the Spark executors, one piece per partition."""
from __future__ import annotations

from .._engine.vector import EngineVector


class SparkVector(EngineVector):
    """A lazy 1-D array in row order over the cached partitions of `coresample.spark.select`.

    What the n-length fields of its Selection are (labels, cost, probabilities, sample_weight,
    strata, proxy): nothing n-length reaches the driver until `compute()`, which runs one Spark
    job over the cached partitions (so call it before `release()`).
    """

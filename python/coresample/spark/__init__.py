"""coresample.spark: `select` on a Spark DataFrame of embeddings (docs/DISTRIBUTED.md).

`select` has `coresample.select`'s parameters, order and defaults (plus `column` and `row_id`)
and returns its selection bit for bit, for any partitioning of the DataFrame. The plan is
`coresample._engine`'s, shared with coresample.dask and coresample.ray; this package only
schedules it on Spark: the rows are regrouped once into partitions that start at multiples of
1024 rows and cached on the executors, kernels run as Spark jobs over them, and their small
results meet on the driver. Needs `pyspark` and a classic SparkSession (local or a cluster).
"""
from ._select import SparkSelection, evaluate, select
from ._vector import SparkVector

__all__ = ["SparkSelection", "SparkVector", "evaluate", "select"]

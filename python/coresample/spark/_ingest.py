"""A Spark DataFrame of embeddings regrouped into 1024-aligned partitions of NumPy blocks.

The row order is the DataFrame's own (the order of `df.collect()`: partition by partition), or,
with `row_id=`, the ascending order of that column. One pass over the source turns each Arrow
batch of each Spark partition into NumPy pieces (`_pieces`), kept cached; their lengths give the
global offsets (a few numbers per batch reach the driver); one shuffle moves each piece, cut at
the aligned edges, to the partition that owns it (`_assemble`), which becomes that partition's
store: {"index", "start", "x", and "u", "g", "q", "ids" when given}. Nothing n-long reaches the
driver.
"""
from __future__ import annotations

import pickle
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np

from .._engine.combine import aligned_chunks

Arr = np.ndarray

# Internal names of the carried columns when sorting by row_id (a column may serve twice).
X_COL, ID_COL = "_cs_x", "_cs_id"
_INTERNAL = {"x": X_COL, "u": "_cs_u", "g": "_cs_g", "q": "_cs_q", "ids": ID_COL}
_ARGUMENT = {"x": "column", "u": "sample_weight", "g": "strata", "q": "proxy", "ids": "row_id"}
PIECES_SCHEMA = "pid int, seq int, rows long, d int, dtype string, data binary"


def check_frame(df: Any) -> Any:
    """The SparkContext of a classic DataFrame (Spark Connect has no RDD API to run kernels)."""
    try:
        from pyspark.sql import DataFrame
    except ImportError as e:  # pragma: no cover - the extra is missing
        raise ImportError("coresample.spark needs pyspark: pip install 'coresample[spark]'") from e
    if not isinstance(df, DataFrame):
        raise TypeError(f"X must be a pyspark.sql.DataFrame, got {type(df).__name__}")
    try:
        return df.sparkSession.sparkContext
    except Exception as e:
        raise TypeError("X: coresample.spark needs a classic Spark session (it runs kernels "
                        "through the RDD API); Spark Connect sessions are not supported") from e


def embedding_column(df: Any, column: str) -> Any:
    """None for an array<float> / array<double> column; for ML vectors, the conversion."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, DoubleType, FloatType

    if not isinstance(column, str) or column not in df.columns:
        raise ValueError(f"column={column!r} is not a column of X (columns: {df.columns})")
    kind = df.schema[column].dataType
    if isinstance(kind, ArrayType) and isinstance(kind.elementType, (FloatType, DoubleType)):
        return None
    if type(kind).__name__ == "VectorUDT":
        from pyspark.ml.functions import vector_to_array

        return vector_to_array(F.col(column), "float64")
    raise TypeError(f"column {column!r} must hold array<float>, array<double> or ML vectors, "
                    f"got {kind.simpleString()}")


def carried_frame(df: Any, column: str, named: Dict[str, Optional[str]]) -> Tuple[Any, Dict]:
    """The frame to read, in the selection's row order, and where each field is in it
    (field -> column). named: "u", "g", "q", "ids" -> the user's column, or None.

    Without row_id the frame is df itself, every column kept (an ML vector column converted in
    place): dropping columns lets Spark prune them below a round-robin repartition, whose
    local sort then sees other rows and deals them differently from df.collect(). With row_id
    the carried columns alone are sorted by it."""
    from pyspark.sql import functions as F

    for key, name in named.items():
        if name is not None and name not in df.columns:
            raise ValueError(f"{_ARGUMENT[key]}={name!r} is not a column of X "
                             f"(columns: {df.columns})")
    x = embedding_column(df, column)
    if named.get("ids") is None:
        frame = df if x is None else df.withColumn(column, x)
        return frame, dict({k: v for k, v in named.items() if v is not None}, x=column)
    fields = {"x": (F.col(column) if x is None else x).alias(X_COL)}
    fields.update({k: F.col(v).alias(_INTERNAL[k]) for k, v in named.items() if v is not None})
    frame = df.select(*fields.values()).orderBy(ID_COL)
    return frame, {k: _INTERNAL[k] for k in fields}


def _column_array(batch: Any, key: str, name: str) -> Arr:
    """One scalar column of an Arrow batch as NumPy, refusing nulls."""
    arr = batch.column(batch.schema.get_field_index(name))
    if arr.null_count:
        raise ValueError(f"{_ARGUMENT[key]}: the column {name!r} has null values")
    if key == "g":  # any sortable labels; text as a NumPy string array
        import pyarrow.types as pt

        text = pt.is_string(arr.type) or pt.is_large_string(arr.type)
        return np.asarray(arr.to_pylist()) if text else arr.to_numpy(zero_copy_only=False)
    dtype = np.int64 if key == "ids" else np.float64
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=dtype)


def _embedding_array(batch: Any, name: str, column: str) -> Arr:
    arr = batch.column(batch.schema.get_field_index(name))
    if arr.null_count:
        raise ValueError(f"X: column {column!r} has a null embedding")
    values = arr.flatten()
    if values.null_count:
        raise ValueError(f"X: column {column!r} has a null value inside an embedding")
    lengths = np.asarray(arr.value_lengths().to_numpy(zero_copy_only=False))
    d = int(lengths[0]) if lengths.size else 0
    if lengths.size and (lengths != d).any():
        raise ValueError(f"X: the embeddings of column {column!r} have different lengths "
                         f"({d} and {int(lengths[lengths != d][0])})")
    return values.to_numpy(zero_copy_only=False).reshape(len(arr), d)


def pieces_function(column: str, names: Dict[str, str]) -> Any:
    """The mapInArrow function: one row (pid, seq, rows, d, dtype, pickled fields) per batch.
    names: field ("x", "u", "g", "q", "ids") -> its column in the frame read."""

    def pieces(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa
        from pyspark import TaskContext

        pid = TaskContext.get().partitionId()
        schema = pa.schema([("pid", pa.int32()), ("seq", pa.int32()), ("rows", pa.int64()),
                            ("d", pa.int32()), ("dtype", pa.string()), ("data", pa.binary())])
        for seq, batch in enumerate(batches):
            if batch.num_rows == 0:
                continue
            fields = {key: _embedding_array(batch, name, column) if key == "x"
                      else _column_array(batch, key, name) for key, name in names.items()}
            x = fields["x"]
            yield pa.RecordBatch.from_pydict({
                "pid": [pid], "seq": [seq], "rows": [x.shape[0]], "d": [x.shape[1]],
                "dtype": [x.dtype.str], "data": [pickle.dumps(fields, protocol=5)],
            }, schema=schema)

    return pieces


class Layout:
    """Where the rows are: each piece's global start and the aligned partitions' edges (the
    Spark partitions' sizes rounded to multiples of 1024)."""

    def __init__(self, meta: List[Tuple[int, int, int, int, str]]) -> None:
        meta = sorted(meta)
        if not meta:
            raise ValueError("X must have at least one row")
        ds = {m[3] for m in meta}
        if len(ds) > 1:
            raise ValueError(f"X: the embeddings have different lengths ({sorted(ds)})")
        kinds = {m[4] for m in meta}
        if len(kinds) > 1:  # pragma: no cover - one Spark column has one type
            raise ValueError(f"X: the embeddings have different dtypes ({sorted(kinds)})")
        self.d = ds.pop()
        if self.d == 0:
            raise ValueError("X: the embeddings are empty (0 features)")
        self.dtype = np.dtype(kinds.pop())
        self.starts: Dict[Tuple[int, int], int] = {}
        sizes: Dict[int, int] = {}
        at = 0
        for pid, seq, rows, _, _ in meta:
            self.starts[(pid, seq)] = at
            sizes[pid] = sizes.get(pid, 0) + rows
            at += rows
        self.n = at
        chunks = aligned_chunks([sizes[p] for p in sorted(sizes)])
        self.edges = np.concatenate([[0], np.cumsum(chunks)]).astype(np.int64)


def split_piece(row: Any, starts: Dict[Tuple[int, int], int], edges: Arr) -> Iterator[Any]:
    """A piece cut at the aligned edges: (partition, (global start, fields)) for each part."""
    lo = starts[(row[0], row[1])]
    hi = lo + row[2]
    fields = pickle.loads(row[5])
    first = int(np.searchsorted(edges, lo, side="right")) - 1
    for part in range(first, len(edges) - 1):
        a, b = max(lo, int(edges[part])), min(hi, int(edges[part + 1]))
        if a >= b:
            break
        yield part, (a, {k: v[a - lo : b - lo] for k, v in fields.items()})


def assemble(index: int, items: Iterator[Any], edges: Arr) -> Iterator[Dict[str, Any]]:
    """A partition's store from its pieces, in row order; the pieces must tile its rows."""
    pieces = sorted((item[1] for item in items), key=lambda p: p[0])
    start, stop = int(edges[index]), int(edges[index + 1])
    at = start
    for lo, fields in pieces:
        if lo != at:
            raise RuntimeError(f"X: partition {index} received rows from {lo}, expected {at}: "
                               "the DataFrame gave different rows when read again (make its "
                               "source deterministic, or cache it)")
        at += next(iter(fields.values())).shape[0]
    if at != stop:
        raise RuntimeError(f"X: partition {index} holds rows up to {at}, expected {stop}")
    store: Dict[str, Any] = {"index": index, "start": start}
    for key in pieces[0][1]:
        joined = np.concatenate([p[1][key] for p in pieces])
        store[key] = np.ascontiguousarray(joined) if key == "x" else joined
    yield store

"""The Spark engine: 1024-aligned partitions of a cached RDD, kernels run in waves of jobs.

Each partition of the store RDD holds one dict (`_ingest.assemble`): its rows, weights, strata,
proxy and, after `persist`, the plan's partition states. A wave of deferred calls (`_graph`)
becomes one `SparkContext.runJob` over the partitions that hold their inputs; the results (small
by the plan's construction) come back to the driver, which counts their bytes (`transfer`).
Cached blocks that Spark loses, and tasks it retries, are recomputed from the lineage with the
same kernels on the same rows, so they give the same bits.
"""
from __future__ import annotations

import collections
import os
import pickle
import re
import weakref
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from .._algorithm.strata import check_length
from .._base.source import compute_dtype
from .._base.validation import check_sample_weight
from .._engine.engine import Engine
from . import _ingest
from ._graph import Call, Resident, bound_args, pending, ready, run_in_store

Arr = np.ndarray

#: Spark local property that makes every task of coresample's jobs fail on its first attempt
#: (the retry test; set with `sc.setLocalProperty`). Needs a master that retries, local[N, M>1].
FAIL_FIRST_ATTEMPT = "coresample.failFirstAttempt"


def _task_guard() -> None:
    from pyspark import TaskContext

    ctx = TaskContext.get()
    if ctx is not None and ctx.getLocalProperty(FAIL_FIRST_ATTEMPT) == "1" \
            and ctx.attemptNumber() == 0:
        os._exit(3)  # the worker dies mid-task, as a killed executor would


def _unpersist(holder: List[Any]) -> None:
    """Free a store that nobody references any more (quietly: the context may be stopped)."""
    try:
        holder[0].unpersist()
    except Exception:  # noqa: BLE001 - at interpreter exit Spark may already be gone
        pass


def _identity(value: Any) -> Any:
    return value


def _take(part: Arr, local: Arr) -> Arr:
    return np.asarray(part)[local]


def _bounds(ids: Arr) -> Any:
    """First and last row id of a partition (row_id= must increase strictly)."""
    if ids.shape[0] > 1 and not (np.diff(ids) > 0).all():
        raise ValueError("row_id: the column's values must be unique")
    return int(ids[0]), int(ids[-1])


_PY_ERROR = re.compile(r"^(ValueError|TypeError|OverflowError|KeyboardInterrupt): (.*)$", re.M)


def _reraise(error: Exception) -> None:
    """A kernel's ValueError / TypeError raised again on the driver with its own message (Spark
    wraps it in a Py4J or PythonException holding the worker's traceback)."""
    found = _PY_ERROR.findall(str(error))
    if found:
        kind, message = found[-1]
        cls = {"ValueError": ValueError, "TypeError": TypeError,
               "OverflowError": OverflowError, "KeyboardInterrupt": KeyboardInterrupt}[kind]
        raise cls(message) from error
    raise error


class SparkEngine(Engine):
    """Runs the plan on the DataFrame's SparkContext (see the module docstring).

    X: a DataFrame; `column` holds the embeddings (array<float>, array<double>, ML vector).
    sample_weight, strata, proxy: None, a column name, or a NumPy vector in the row order.
    row_id: None (the DataFrame's own row order) or a column of unique integers to order by.
    """

    def __init__(self, X: Any, sample_weight: Any, *, column: str, row_id: Optional[str],
                 strata: Any = None, proxy: Any = None) -> None:
        from pyspark import StorageLevel

        self.sc = _ingest.check_frame(X)
        self.frame, self.column, self.row_id = X, column, row_id
        self.transfer = {"jobs": 0, "to_driver": 0, "from_driver": 0}
        self._done: Dict[int, Any] = {}
        named = {
            "u": sample_weight if isinstance(sample_weight, str) else None,
            "g": strata if isinstance(strata, str) else None,
            "q": proxy if isinstance(proxy, str) else None,
            "ids": row_id,
        }
        if row_id is not None and not isinstance(row_id, str):
            raise TypeError(f"row_id must be a column name or None, got {type(row_id).__name__}")
        frame, names = _ingest.carried_frame(X, column, named)
        pieces = frame.mapInArrow(_ingest.pieces_function(column, names), _ingest.PIECES_SCHEMA)
        rdd = pieces.rdd.map(tuple).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            meta = self._received(self._guarded(lambda: rdd.map(lambda r: r[:5]).collect()))
            self.layout = layout = _ingest.Layout(meta)
            self.n, self.d = layout.n, layout.d
            self.dtype = compute_dtype(layout.dtype)
            self.edges = layout.edges
            P = len(self.edges) - 1
            starts, edges = layout.starts, self.edges
            self.store = (
                rdd.flatMap(lambda r: _ingest.split_piece(r, starts, edges))
                .partitionBy(P, lambda part: part)
                .mapPartitionsWithIndex(lambda i, it: _ingest.assemble(i, it, edges), True)
                .persist(StorageLevel.MEMORY_AND_DISK)
            )
            self._materialize(self.store)
        finally:
            rdd.unpersist()
        # The cached partitions go with the engine (its Selection's lazy fields hold it).
        self._cache = [self.store]
        weakref.finalize(self, _unpersist, self._cache)
        parts = range(P)
        self.x_parts = [Resident(i, "x") for i in parts]
        self._add_vectors({"u": sample_weight, "g": strata, "q": proxy})
        self.u_parts = [None] * P if sample_weight is None else [Resident(i, "u") for i in parts]
        if row_id is not None:
            bounds = self.fetch([self.submit(_bounds, Resident(i, "ids")) for i in parts])
            for (_, last), (first, _) in zip(bounds[:-1], bounds[1:]):
                if not first > last:
                    raise ValueError("row_id: the column's values must be unique")

    # --- jobs -----------------------------------------------------------------------------------

    def _guarded(self, job: Callable[[], Any]) -> Any:
        try:
            return job()
        except Exception as e:  # noqa: BLE001 - Spark wraps the kernels' errors
            _reraise(e)

    def _materialize(self, rdd: Any) -> None:
        """Compute and cache every partition of rdd (one count each reaches the driver)."""
        self._received(self._guarded(lambda: self.sc.runJob(rdd, lambda it: [sum(1 for _ in it)])))

    def _received(self, value: Any) -> Any:
        """Count a job's results, which Spark pickled to the driver."""
        self.transfer["jobs"] += 1
        self.transfer["to_driver"] += len(pickle.dumps(value, protocol=5))
        return value

    def _run_job(self, tasks: Dict[int, List[Any]]) -> List[Any]:
        """One job: partition i runs tasks[i] = [(result key, fn, args)] against its store."""
        self.transfer["from_driver"] += len(pickle.dumps(tasks, protocol=5))

        def job(it: Any) -> List[Any]:
            _task_guard()
            store = next(iter(it))
            return [(key, run_in_store(store, fn, args)) for key, fn, args in
                    tasks[store["index"]]]

        return self._received(self._guarded(lambda: self.sc.runJob(self.store, job,
                                                                    sorted(tasks))))

    def _evaluate(self, calls: Sequence[Call], skip: Sequence[Call] = ()) -> None:
        """Run `calls` and what they need, in waves (driver calls at once, partition calls one
        job per wave); `skip`: calls left unrun (persist runs them into the store itself)."""
        done = self._done
        skipped = {c.id for c in skip}
        todo = [c for c in pending(calls, done) if c.id not in skipped]
        while todo:
            wave = ready(todo, done)
            here = [c for c in wave if c.home is None]
            for c in here:
                done[c.id] = c.fn(*bound_args(c, done))
            if not here:
                tasks: Dict[int, List[Any]] = collections.defaultdict(list)
                for c in wave:
                    tasks[c.home].append((c.id, c.fn, bound_args(c, done)))
                done.update(self._run_job(dict(tasks)))
            finished = {c.id for c in (here or wave)}
            todo = [c for c in todo if c.id not in finished]

    def _add_vectors(self, vectors: Dict[str, Any]) -> None:
        """NumPy n-vectors of the user (sample_weight, strata, proxy) put in the store, cut like
        the rows (sent once; they are already on the driver)."""
        names = {"u": "sample_weight", "g": "strata", "q": "proxy"}
        given = {}
        for key, v in vectors.items():
            if v is None or isinstance(v, str):
                continue
            v = check_sample_weight(v, self.n) if key == "u" else check_length(v, self.n,
                                                                                names[key])
            given[key] = np.require(v, np.float64, ["C", "A"]) if key == "u" else np.asarray(v)
        if given:
            cut = {i: {k: v[int(a):int(b)] for k, v in given.items()} for i, (a, b) in
                   enumerate(zip(self.edges[:-1], self.edges[1:]))}
            self._extend(lambda store: dict(store, **cut[store["index"]]))

    def _extend(self, add: Callable[[Dict[str, Any]], Dict[str, Any]]) -> None:
        """A new store, each partition's dict replaced by add(dict), cached; the old one freed."""
        from pyspark import StorageLevel

        old = self.store
        self.store = old.map(add, preservesPartitioning=True).persist(
            StorageLevel.MEMORY_AND_DISK)
        self._materialize(self.store)
        self._cache[0] = self.store
        old.unpersist()

    # --- the Engine interface -------------------------------------------------------------------

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return Call(fn, args)

    def fetch(self, handles: Sequence[Any]) -> List[Any]:
        calls = [Call(_identity, (h,)) if isinstance(h, Resident) else h for h in handles]
        self._evaluate([c for c in calls if isinstance(c, Call)])
        return [self._done[c.id] if isinstance(c, Call) else c for c in calls]

    def persist(self, handles: Sequence[Any]) -> List[Any]:
        """Partition calls run into the store (`Resident`s); the values stay on the executors."""
        calls = [h for h in handles if isinstance(h, Call) and h.home is not None]
        self._evaluate(calls, skip=calls)
        by_part: Dict[int, List[Any]] = collections.defaultdict(list)
        for c in calls:
            by_part[c.home].append((f"s{c.id}", c.fn, bound_args(c, self._done)))
        shipped = dict(by_part)
        self.transfer["from_driver"] += len(pickle.dumps(shipped, protocol=5))

        def add(store: Dict[str, Any]) -> Dict[str, Any]:
            _task_guard()
            out = dict(store)
            for key, fn, args in shipped.get(store["index"], []):
                out[key] = run_in_store(store, fn, args)
            return out

        if calls:
            self._extend(add)
        return [Resident(h.home, f"s{h.id}") if isinstance(h, Call) and h.home is not None
                else self.fetch([h])[0] for h in handles]

    def _gather(self, parts: Sequence[Any], indices: Arr, dtype: Any, width: tuple = ()) -> Arr:
        """values[indices] of a resident n-vector (or matrix) cut like the rows: each partition
        sends its own entries."""
        indices = np.asarray(indices, dtype=np.int64)
        part = np.searchsorted(self.edges, indices, side="right") - 1
        out = np.empty((indices.shape[0],) + width, dtype=dtype)
        hits = np.unique(part)
        got = self.fetch([self.submit(_take, parts[j], indices[part == j] - self.edges[j])
                          for j in hits])
        for j, values in zip(hits, got):
            out[part == j] = values
        return out

    def take_rows(self, indices: Arr) -> Arr:
        return self._gather(self.x_parts, indices, self.dtype, (self.d,))

    def all_rows(self) -> Arr:
        return np.require(np.concatenate(self.fetch(self.x_parts)), self.dtype, ["C", "A"])

    def take_weights(self, indices: Arr) -> Arr:
        return self._gather(self.u_parts, indices, np.float64)

    def all_weights(self) -> Arr:
        return np.require(np.concatenate(self.fetch(self.u_parts)), np.float64, ["C", "A"])

    def vector_parts(self, values: Any, name: str) -> List[Any]:
        """strata= or proxy=: a column's (or a NumPy vector's) pieces, held in the store."""
        key = {"strata": "g", "proxy": "q"}[name]
        return [Resident(i, key) for i in range(len(self.edges) - 1)]

    def vector(self, handles: Sequence[Any], fn: Callable[..., Arr], arg: Any, dtype: Any) -> Any:
        from ._vector import SparkVector

        return SparkVector(self._fetch_and_forget, [self.submit(fn, h, arg) for h in handles],
                           np.diff(self.edges).tolist(), dtype)

    def _fetch_and_forget(self, calls: Sequence[Any]) -> List[Any]:
        """fetch, not keeping the values (a lazy vector's n-long pieces; no call depends on
        them), so that compute() does not leave a second copy with the engine."""
        values = self.fetch(calls)
        for c in calls:
            self._done.pop(c.id, None)
        return values

    def row_ids(self, indices: Arr) -> Arr:
        """The row_id values of global rows (the sampled ones: a short vector)."""
        ids = [Resident(i, "ids") for i in range(len(self.edges) - 1)]
        return self._gather(ids, indices, np.int64)

    def release(self) -> None:
        """Free the cached partitions (the lazy vectors cannot be computed afterwards)."""
        self.store.unpersist()

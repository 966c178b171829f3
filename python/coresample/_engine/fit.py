"""Pass (a) on an engine: the KMeans subsample drawn from the partitions, the fit and the snap on
the client with the backend's KMeans, exactly select()'s code path."""
from __future__ import annotations

import warnings
from typing import Tuple

import numpy as np

from .._algorithm.options import SelectOptions
from .._algorithm.select import Backend
from .._base.source import RowSource
from .._base.validation import (
    CopyWarning, check_cost_scale, check_finite, check_sample_weight,
)
from .combine import merge_tree
from .engine import Engine
from .kernels import subsample_candidates

Arr = np.ndarray


class EngineRows(RowSource):
    """A RowSource whose `take` gathers rows through the engine (for KMeans.fit_centers)."""

    def __init__(self, engine: Engine, name: str = "X") -> None:  # noqa: D107 - rows are remote
        self.engine = engine
        self.name = name
        self.file_backed = False
        self.n, self.d = engine.n, engine.d
        self.dtype = engine.dtype
        self.parts = []
        self.offsets = np.array([0, self.n], dtype=np.int64)

    def take(self, indices: Arr) -> Arr:
        return self.engine.take_rows(indices)


class EngineWeights:
    """sample_weight[rows] gathered through the engine: what KMeans.fit_centers asks of u."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __getitem__(self, rows: Arr) -> Arr:
        return self.engine.take_weights(rows)


def subsample_rows(engine: Engine, size: int, seed: int) -> Arr:
    """KMeans._subsample(n, size, seed) from the partitions: each reports its `size` smallest
    SUBSAMPLE keys (computed from the row indices alone), the client keeps the smallest overall."""
    edges = engine.edges
    tasks = [
        engine.submit(subsample_candidates, int(a), int(b), size, seed)
        for a, b in zip(edges[:-1], edges[1:])
    ]
    return np.sort(engine.fetch([merge_tree(engine, tasks, size)])[0]["rows"])


def fit_representatives(
    engine: Engine, backend: Backend, opts: SelectOptions, weighted: bool
) -> Tuple[Arr, Arr, Arr]:
    """(representatives as global rows, their rows, the fitted centers), as select() finds them.

    A subsample fit gathers k * max_points_per_center rows; an all-rows fit (select's default on
    small problems, or max_points_per_center=None) gathers every row to the client, as the
    out-of-core path materialises its source: the same default on every engine.
    """
    n, k = engine.n, opts.n_clusters
    km = backend.kmeans(k, **opts.kmeans_params())
    if opts.fits_on_subsample(n):
        rows = subsample_rows(engine, k * opts.max_points_per_center, opts.seed)
        u = EngineWeights(engine) if weighted else None
        fit = km.fit_centers(EngineRows(engine), u, subsample=rows)  # type: ignore[arg-type]
    else:
        warnings.warn(
            f"X: the all-rows fit gathers all {n} rows to the client "
            f"({n * engine.d * np.dtype(engine.dtype).itemsize / 2**20:.1f} MiB); pass "
            "max_points_per_center=<int> to fit on a subsample gathered from the partitions",
            CopyWarning, stacklevel=5,
        )
        X_all = engine.all_rows()
        top = check_finite(X_all, "X")
        u_all = check_sample_weight(engine.all_weights(), n) if weighted else None
        # What select checks before an in-memory fit (the plan checks again after its pass (b)).
        check_cost_scale(top, n, engine.d, opts.z, u_all)
        fit = km.fit_centers(X_all, u_all)
    local = backend.snap(fit.X_fit, km.cluster_centers_, fit.labels, opts.nt)
    reps = local if fit.rows is None else fit.rows[local]
    return reps, np.ascontiguousarray(fit.X_fit[local]), km.cluster_centers_

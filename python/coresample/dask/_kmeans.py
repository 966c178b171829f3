"""coresample.dask.KMeans: fit on a gathered subsample, then map-reduce Lloyd passes."""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from .._base.random import seed_from_random_state
from .._base.validation import check_int, check_n_clusters, check_n_threads, check_z
from .._engine import kernels as K
from .._engine.combine import blocked_total
from .._engine.fit import EngineRows, EngineWeights, subsample_rows
from ..core.assign import assign_rows
from ..core.kmeans import KMeans as CoreKMeans
from ._engine import DaskEngine
from ._rows import as_dask_rows

Arr = np.ndarray


def lloyd_partition(
    block: Any, start: int, centers: Arr, u: Optional[Arr], k: int, n: int, nt: int
) -> Dict[str, Any]:
    """One partition's share of a Lloyd step (z = 2): per-cluster sums of u x and of u, and the
    per-block sums of u * cost against `centers`."""
    part = K.assign_partition(block, start, centers, 2.0, u, n, nt)
    X = K.as_rows(block)
    w = np.ones(X.shape[0]) if part["u"] is None else part["u"]
    labels = part["labels"]
    sums = np.empty((k, X.shape[1]))
    for j in range(X.shape[1]):  # row order within the partition: deterministic
        sums[:, j] = np.bincount(labels, weights=w * X[:, j], minlength=k)
    return {
        "sums": sums,
        "weights": np.bincount(part["labels"], weights=w, minlength=k),
        "phi_blocks": K.block_totals(part["cost"] * w),
    }


def predict_block(block: Any, centers: Arr, nt: int) -> Arr:
    """Labels of one partition (map_blocks)."""
    X = K.as_rows(block)
    return assign_rows(X, K.aligned(centers, X.dtype), 2.0, None, nt)[0]


class KMeans:
    """k-means (z = 2) on a dask array: `coresample.KMeans` on a uniform subsample of
    n_clusters * max_points_per_center rows gathered from the partitions (the rows
    `coresample.KMeans(max_points_per_center=...)` uses on one machine), then `lloyd_passes`
    Lloyd iterations over all rows, each one map-reduce pass (per-partition cluster sums,
    added on the client in partition order).

    With lloyd_passes=0 the centers equal `coresample.KMeans(...).fit(X.compute())`'s bit for
    bit; the Lloyd passes are deterministic for a given chunking, and equal across chunkings
    up to the rounding of the partition sums.

    Attributes after fit: cluster_centers_, inertia_ (cost of every row to the final centers,
    the core's blocked sum), n_iter_ (Lloyd passes run), n_features_in_.
    """

    def __init__(
        self, n_clusters: int = 8, *, max_points_per_center: int = 48, lloyd_passes: int = 2,
        init: Any = "k-means++", max_iter: int = 300, tol: float = 1e-4,
        random_state: Any = None, n_threads: Optional[int] = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.max_points_per_center = max_points_per_center
        self.lloyd_passes = lloyd_passes
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> "KMeans":
        import dask

        engine = DaskEngine(X, sample_weight)
        X, u, edges, n = engine.X, engine.u, engine.edges, engine.n
        k = check_n_clusters(self.n_clusters, n)
        passes = check_int(self.lloyd_passes, "lloyd_passes", 0)
        mppc = check_int(self.max_points_per_center, "max_points_per_center", 1)
        nt = check_n_threads(self.n_threads)
        part_nt = 1 if self.n_threads is None else nt
        seed = seed_from_random_state(self.random_state)
        km = CoreKMeans(
            k, z=check_z(2.0), init=self.init, max_iter=self.max_iter, tol=self.tol,
            max_points_per_center=mppc, random_state=seed, n_threads=self.n_threads,
        )
        if n > k * mppc:
            km.fit_centers(
                EngineRows(engine), None if u is None else EngineWeights(engine),  # type: ignore[arg-type]
                subsample=subsample_rows(engine, k * mppc, seed),
            )
        else:
            km.fit_centers(engine.all_rows(), None if u is None else engine.all_weights())
        centers = np.array(km.cluster_centers_, dtype=np.float64)
        x_parts, u_parts = engine.x_parts, engine.u_parts
        phi = np.nan
        for it in range(passes + 1):
            c = dask.delayed(centers.astype(km.cluster_centers_.dtype))
            out = dask.compute(*[
                dask.delayed(lloyd_partition, pure=True)(xp, int(edges[i]), c, up, k, n, part_nt)
                for i, (xp, up) in enumerate(zip(x_parts, u_parts))
            ])
            phi = blocked_total([o["phi_blocks"] for o in out])
            if it == passes:
                break  # this pass measured the final centers' cost
            sums = np.zeros_like(centers)
            weights = np.zeros(k)
            for o in out:  # partition order: deterministic
                sums += o["sums"]
                weights += o["weights"]
            moved = weights > 0  # an empty cluster keeps its center
            centers[moved] = sums[moved] / weights[moved, None]
        self.cluster_centers_ = centers.astype(km.cluster_centers_.dtype)
        self.inertia_ = float(phi)
        self.n_iter_ = passes
        self.n_features_in_ = int(X.shape[1])
        return self

    def predict(self, X: Any) -> Any:
        """Index of the nearest center for each row: a lazy int64 dask array (map_blocks)."""
        if not hasattr(self, "cluster_centers_"):
            raise AttributeError("this KMeans is not fitted yet; call fit first")
        X = as_dask_rows(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, expected {self.n_features_in_}")
        part_nt = 1 if self.n_threads is None else check_n_threads(self.n_threads)
        return X.map_blocks(
            predict_block, self.cluster_centers_, part_nt, dtype=np.int64, drop_axis=1,
            chunks=(X.chunks[0],),
        )

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:
        return self.fit(X, sample_weight=sample_weight).predict(X)

    def __repr__(self) -> str:
        return (f"KMeans(n_clusters={self.n_clusters}, max_points_per_center="
                f"{self.max_points_per_center}, lloyd_passes={self.lloyd_passes})")

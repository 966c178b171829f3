"""EngineSelection: a Selection whose n-length fields stay with the engine (lazy)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .._base.results import Selection


@dataclass(frozen=True, eq=False)
class EngineSelection(Selection):
    """`coresample.Selection` from an engine's `select` (coresample.dask, coresample.ray).

    indices, weights, representatives, centers, inertia, cluster_weights, total_weight, losses,
    representative_losses, estimate, stderr, ci, n_queries and lam are NumPy values / floats,
    equal to those of `coresample.select` on the same rows. The n-length fields are the engine's
    lazy vectors over the (1024-aligned) partitions: `labels` and `cost` (backed by the pass-(b)
    results held on the workers), `probabilities` (recomputed from them on demand) and
    `sample_weight` (None without weights). Call `.compute()` on one to bring it to the client.

    sample_labels, sample_u, sample_strata and sample_proxy: clusters (design "sensitivity"),
    sample weights, strata and proxies of the sampled rows (NumPy), so that `estimate_from` needs
    no n-length array. `strata` is lazy like `labels`.
    """

    sample_labels: Optional[np.ndarray] = None
    sample_u: Optional[np.ndarray] = None
    sample_strata: Optional[np.ndarray] = None
    sample_proxy: Optional[np.ndarray] = None

    def _sample_strata(self) -> np.ndarray:
        return self.sample_strata

    def _sample_proxy(self) -> Optional[np.ndarray]:
        return self.sample_proxy

    def _sample_labels(self) -> np.ndarray:
        return self.sample_labels

    def _sample_u(self) -> Optional[np.ndarray]:
        return self.sample_u

    #: prefix of the repr: the engine's name
    engine_name = ""

    def __repr__(self) -> str:
        return self.engine_name + super().__repr__()

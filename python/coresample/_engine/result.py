"""EngineSelection: a Selection whose n-length fields stay with the engine (lazy)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from .._base.results import Selection
from .._base.estimate import Estimate, estimate


@dataclass(frozen=True, eq=False)
class EngineSelection(Selection):
    """`coresample.Selection` from an engine's `select` (coresample.dask, coresample.ray).

    indices, weights, representatives, centers, inertia, cluster_weights, total_weight, losses,
    representative_losses, estimate, stderr, ci, n_queries and lam are NumPy values / floats,
    equal to those of `coresample.select` on the same rows. The n-length fields are the engine's
    lazy vectors over the (1024-aligned) partitions: `labels` and `cost` (backed by the pass-(b)
    results held on the workers), `probabilities` (recomputed from them on demand) and
    `sample_weight` (None without weights). Call `.compute()` on one to bring it to the client.

    sample_labels and sample_u: labels and sample weights of the sampled rows (NumPy), so that
    `estimate_from` needs no n-length array.
    """

    sample_labels: Optional[np.ndarray] = None
    sample_u: Optional[np.ndarray] = None

    def estimate_from(
        self,
        losses: Any,
        *,
        representative_losses: Any = None,
        confidence: float = 0.95,
        self_normalized: bool = False,
    ) -> Estimate:
        """As `Selection.estimate_from`, from the sampled rows' labels and weights kept here."""
        control, control_total = None, 0.0
        if representative_losses is not None:
            rep = np.asarray(representative_losses, dtype=np.float64)
            if rep.shape != self.representatives.shape:
                raise ValueError(
                    f"representative_losses must have shape {self.representatives.shape}, got {rep.shape}"
                )
            control = rep[self.sample_labels]
            control_total = float(self.cluster_weights @ rep)
        return estimate(
            losses, self.weights, self.total_weight, replace=self.replace,
            sample_weight=self.sample_u, control=control, control_total=control_total,
            confidence=confidence, self_normalized=self_normalized,
        )

    #: prefix of the repr: the engine's name
    engine_name = ""

    def __repr__(self) -> str:
        return self.engine_name + super().__repr__()

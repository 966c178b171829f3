"""select(): Algorithm 1 end to end, backed by the C++ core."""
from __future__ import annotations

from typing import Any, Callable, Optional, Union

import numpy as np

from . import _core
from ._algorithm import Backend, run_select
from ._results import Selection
from .assign import assign_rows
from .kmeans import KMeans
from .sampling import sample_rows
from .sensitivity import sensitivities
from .snap import snap_rows

_BACKEND = Backend(
    kmeans=KMeans, assign=assign_rows, snap=snap_rows, sensitivities=sensitivities,
    sample=sample_rows, set_progress=_core.set_progress,
)


def select(
    X: np.ndarray,
    budget: int,
    *,
    n_clusters: int,
    z: float = 2.0,
    lam: Union[float, str] = 1.0,
    loss_fn: Optional[Callable[[np.ndarray], Any]] = None,
    replace: bool = True,
    sample_weight: Optional[np.ndarray] = None,
    method: str = "lightweight",
    estimator: str = "plain",
    init: Any = "auto",
    max_iter: int = 20,
    tol: float = 1e-4,
    max_points_per_center: Union[int, str, None] = "auto",
    random_state: Any = None,
    n_threads: Optional[int] = None,
    progress: Any = None,
) -> Selection:
    """Pick a small, weighted, representative subset of the rows of X.

    Clustering-based sensitivity sampling (Axiotis et al., "Data-efficient learning via
    clustering-based sensitivity sampling", ICML 2024):

    1. (k, z)-cluster X (`KMeans`), snap every center to its nearest member row (the
       representative) and measure each row's cost ||x_e - x_rep||^z to its representative.
    2. If `loss_fn` is given, query it once for the representatives: l(c).
    3. Sample `budget` rows with p(e) proportional to u_e (l(c(e)) + lam * cost(e)) (without an
       oracle, the `method` of `sensitivities`).
    4. Weight each sampled row so that sum(weights * loss) is an unbiased estimate of the total
       loss; with an oracle, query the sampled rows and report the estimated mean loss.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), or Shards
        Embeddings. C-contiguous float32/float64 input (memmaps included) is used in place,
        without a copy. float16, strided arrays and `Shards` are read in row blocks when the
        centers are fitted on a subsample (`max_points_per_center`), with the same result as
        the in-memory float32/float64 array (docs/OUT_OF_CORE.md); an all-rows fit copies them
        first (CopyWarning; a temporary file for memmaps and shards).
    budget : int
        Number of sampled rows s: i.i.d. draws (replace=True) or distinct rows (replace=False,
        at most n_samples). The n_clusters representatives come in addition.
    n_clusters : int
        k, 1 <= k <= n_samples.
    z : float, default=2.0
        Cost exponent (2: k-means; 1: k-median).
    lam : float or "auto", default=1.0
        Hoelder constant lambda >= 0 of the loss: |l(e) - l(e')| <= lam ||x_e - x_e'||^z.
        "auto" (with loss_fn): `estimate_lam` on the k representatives and their losses, no
        extra queries; a lower bound on the true constant (see `estimate_lam` for what that
        guarantees). The value used is `Selection.lam`.
    loss_fn : callable, default=None
        loss_fn(indices: int64 ndarray) -> losses of those rows (non-negative, one per index).
        Called once for the representatives and once for the sampled rows not already
        queried; each distinct row is asked for at most once (see `n_queries`).
    replace : bool, default=True
        Sample with replacement (the theory's i.i.d. draws) or distinct rows.
    sample_weight : ndarray of shape (n_samples,), default=None
        Row multiplicities u_e; the targets are then sum_e u_e l(e) and its mean.
    method : {"lightweight", "coreset"}, default="lightweight"
        Distribution used without an oracle (see `sensitivities`).
    estimator : {"plain", "difference"}, default="plain"
        "difference" (needs loss_fn) estimates sum_c |C_c| l(c) + sum_i w_i (l_i - l(c(i))):
        also unbiased, usually much tighter.
    init : {"auto", "k-means++", "k-means||"} or ndarray, default="auto"
        Seeding of `KMeans`. "auto": "k-means||" when the problem is large (n * k * d > 1e10
        and n > 96 k), exact greedy k-means++ otherwise.
    max_iter, tol
        Passed to `KMeans`. max_iter defaults to 20, not KMeans's 300: the guarantee needs only
        a constant-factor clustering, and Lloyd's late iterations change the cost by little
        (faiss uses 25).
    max_points_per_center : int, None or "auto", default="auto"
        If an int and n_samples > n_clusters * max_points_per_center, fit the centers on a
        uniform subsample of that many rows and snap each to its nearest subsample member; one
        exact pass over all rows then measures every row's cost to the representatives. None
        fits on all rows. "auto": 48 on large problems (as for `init`), else None. On 1M x 256,
        k = 1000 the "auto" pair costs 2.8x one X @ C.T end to end, at a clustering cost 4%
        above a full-data k-means (bench/RESULTS.md, target C).
    random_state : None, int or numpy Generator, default=None
        One seed drives seeding, subsampling and sampling (separate streams).
    n_threads : int, default=None
        Threads; None uses all cores. The output is bit-identical for any value.
    progress : None, bool or callable, default=None
        True: a tqdm bar per phase (if tqdm is installed; else lines on stderr); a callable is
        called as progress(phase, done, total) from the calling thread (k-means++ centers and
        Lloyd iterations from the core, then assign, oracle, sample). Raising in it stops the call.

    Returns
    -------
    Selection
        indices, weights, probabilities, representatives, labels, cost, estimate, stderr, ci,
        n_queries and more; see `Selection`.

    Examples
    --------
    >>> import numpy as np, coresample
    >>> X = np.random.default_rng(0).normal(size=(1000, 8)).astype(np.float32)
    >>> sel = coresample.select(X, 50, n_clusters=10, random_state=0,
    ...                         loss_fn=lambda idx: (X[idx] ** 2).sum(axis=1))
    >>> len(sel.indices), len(sel.representatives), sel.n_queries <= 60
    (50, 10, True)
    """
    return run_select(
        _BACKEND, X, budget, n_clusters=n_clusters, z=z, lam=lam, loss_fn=loss_fn,
        replace=replace, sample_weight=sample_weight, method=method, estimator=estimator,
        init=init, max_iter=max_iter, tol=tol, max_points_per_center=max_points_per_center,
        random_state=random_state, n_threads=n_threads, progress=progress,
    )

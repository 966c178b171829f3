"""The public functions both backends implement, written once: signature, docstring, validation.

`assign`, `snap_to_rows`, `sensitivities`, `sample` and `kmeans_plusplus` are prototypes
(`api.bind`); `coresample.core.*` and `coresample.reference.*` bind them to their numeric step
through the runners below, which validate the arguments once and then call the step. `sample`
is the exception on validation: the core checks p's values inside its own first pass over p (one
parallel pass instead of a NumPy one), so each backend keeps its own runner for it.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

import numpy as np

from .._base.validation import (
    check_array, check_array_top, check_centers, check_cost_scale, check_labels, check_magnitude,
    check_n_threads, check_z,
)
from .kmeans import check_plusplus_args
from .sensitivity import DEFENSIVE, check_sensitivity_args

Arr = np.ndarray


def assign(
    X: np.ndarray, centers: np.ndarray, z: float = 2.0, *, n_threads: Optional[int] = None
) -> Tuple[np.ndarray, np.ndarray]:
    """Assign each row to its nearest center and return the cost of that assignment.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Rows to assign. C-contiguous input is used in place, without a copy.
    centers : ndarray of shape (n_clusters, n_features)
        Centers; converted to X's dtype if it differs (a small copy).
    z : float, default=2.0
        Exponent of the cost: cost = ||x - c||^z (2: k-means, 1: k-median).
    n_threads : int, default=None
        Threads to use; None uses all cores. The result does not depend on it.

    Returns
    -------
    labels : ndarray of shape (n_samples,), int64
        Index of the nearest center (Euclidean; ties go to the lowest index).
    cost : ndarray of shape (n_samples,), float64
        ||x - c(x)||^z, computed directly in float64 for the chosen center.

    Examples
    --------
    >>> import numpy as np, coresample
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0]])
    >>> labels, cost = coresample.assign(X, np.array([[0.0, 0.0], [5.0, 5.0]]))
    >>> labels.tolist(), cost.tolist()
    ([0, 0, 1], [0.0, 1.0, 0.0])
    """



def snap_to_rows(
    X: np.ndarray, centers: np.ndarray, labels: np.ndarray, *, n_threads: Optional[int] = None
) -> np.ndarray:
    """Replace each center by the real row that represents it.

    Center c becomes the member of cluster c (labels == c) nearest to it, ties to the lowest
    row index; a center with no members takes the nearest row overall. The representative is a
    real row, so a model's loss can be queried for it.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
    centers : ndarray of shape (n_clusters, n_features)
    labels : ndarray of shape (n_samples,), int
        Cluster of each row, in [0, n_clusters).
    n_threads : int, default=None

    Returns
    -------
    representatives : ndarray of shape (n_clusters,), int64
        Row indices; X[representatives] are the snapped centers.
    """



def sensitivities(
    cost: np.ndarray,
    labels: np.ndarray,
    center_losses: Optional[np.ndarray] = None,
    lam: float = 1.0,
    sample_weight: Optional[np.ndarray] = None,
    *,
    method: str = "lightweight",
    n_clusters: Optional[int] = None,
    defensive: float = DEFENSIVE,
) -> np.ndarray:
    """Sampling probabilities p(e) from u_e * v(e), with v an upper bound on the loss, mixed with
    a defensive uniform share: p(e) = a u_e / U + (1 - a) u_e v(e) / sum(u v), a = `defensive`.

    With center losses l_c (the representatives' losses from the oracle):
    v(e) = l_{c(e)} + lam * cost(e), the Hoelder bound on l(e). Without them, `method` chooses:

    - "lightweight" (default): v(e) = lam * Phi / U + lam * cost(e), with Phi = sum u cost and
      U = sum u: half the mass uniform, half by cost, so every row keeps p > 0 (Bachem, Lucic &
      Krause, KDD 2018).
    - "coreset": the classic sensitivity bound v(e) = cost(e) / Phi + 1 / |C_c(e)|.

    If every v is zero (lam = 0 and no positive center loss), p is proportional to u.

    The uniform share keeps p(e) >= a u_e / U > 0 on every row of positive weight, whatever v:
    a row the bound calls lossless (lam = 0, or a row equal to a zero-loss representative) can
    still be drawn, so weighted estimates stay unbiased for any loss, and their variance is at most
    1 / a times that of uniform sampling's second moment (defensive importance sampling,
    Hesterberg 1995).

    Parameters
    ----------
    cost : ndarray of shape (n_samples,)
        Clustering cost of each row (from `assign`).
    labels : ndarray of shape (n_samples,), int
    center_losses : ndarray of shape (n_clusters,), default=None
        Non-negative loss of each cluster's representative.
    lam : float, default=1.0
        Hoelder constant lambda >= 0.
    sample_weight : ndarray of shape (n_samples,), default=None
    method : {"lightweight", "coreset"}, default="lightweight"
        Used only without center_losses.
    n_clusters : int, default=None
        Number of clusters; None infers it from center_losses or labels.
    defensive : float, default=DEFENSIVE
        The uniform share a in [0, 1]. 0 is the plain sensitivity distribution, which can give
        p = 0 to rows of positive loss (then estimates are biased); 1 is uniform sampling. The
        default was chosen by measurement (docs/RESULTS.md, "Defensive share").

    Returns
    -------
    p : ndarray of shape (n_samples,), float64, summing to 1.
    """



def sample(
    p: np.ndarray,
    size: int,
    *,
    replace: bool = True,
    random_state: Any = None,
    n_threads: Optional[int] = None,
) -> Tuple[np.ndarray, np.ndarray]:
    """Draw rows with probability proportional to p, and the weights of an unbiased estimator.

    With replacement: `size` i.i.d. draws by inverse-CDF search on the blocked cumulative sum of p;
    weight 1 / (size * p_e) with p normalised (Hansen-Hurwitz). Without replacement: the `size`
    rows with the smallest exponential keys E_e / p_e (Efraimidis-Spirakis), in key order; weight 1 / pi_e with
    pi_e = 1 - exp(-p_e tau), tau the next key (Horvitz-Thompson with rank conditioning, Cohen &
    Kaplan 2007). Either way sum(weights * y[indices]) is an unbiased estimate of sum(y).

    The draws come from the counter-based stream of docs/ARCHITECTURE.md: the same seed gives the
    same rows on any machine and thread count, and the same rows as `coresample.reference.sample`.

    Parameters
    ----------
    p : ndarray of shape (n_samples,)
        Non-negative sampling masses with a positive sum (normalised internally). A C-contiguous
        float64 array is read in place; other arrays and lists are converted to one (a copy).
    size : int
        Number of draws (replace=True) or of distinct rows (replace=False, at most the number of
        rows with p > 0).
    replace : bool, default=True
    random_state : None, int or numpy Generator, default=None
    n_threads : int, default=None

    Returns
    -------
    indices : ndarray of shape (size,), int64
    weights : ndarray of shape (size,), float64

    Examples
    --------
    >>> import numpy as np, coresample
    >>> idx, w = coresample.sample(np.array([0.0, 1.0, 3.0]), 4, random_state=0)
    >>> bool(np.all(idx > 0))
    True
    """



def kmeans_plusplus(
    X: np.ndarray,
    n_clusters: int,
    *,
    z: float = 2.0,
    sample_weight: Optional[np.ndarray] = None,
    random_state: Any = None,
    n_local_trials: Optional[int] = None,
    n_threads: Optional[int] = None,
) -> np.ndarray:
    """Choose initial centers by greedy k-means++ (Arthur & Vassilvitskii, 2007).

    Each new center is the best of `n_local_trials` candidates drawn with probability
    proportional to u_e * D(e)^z, D the distance to the nearest chosen center, as scikit-learn's
    `kmeans_plusplus` does.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
    n_clusters : int
        Number of centers, 1 <= n_clusters <= n_samples.
    z : float, default=2.0
        Exponent of the clustering cost.
    sample_weight : ndarray of shape (n_samples,), default=None
    random_state : None, int or numpy Generator, default=None
    n_local_trials : int, default=None
        Candidates per step; None means 2 + floor(ln(n_clusters)).
    n_threads : int, default=None

    Returns
    -------
    indices : ndarray of shape (n_clusters,), int64
        Rows of X chosen as centers (X[indices] are the centers).
    """



# --- runners: validate once, then the backend's numeric step -----------------------------------


def run_assign(
    step: Callable[..., Tuple[Arr, Arr, float]], *, X: Any, centers: Any, z: Any, n_threads: Any
) -> Tuple[Arr, Arr]:
    """assign: step(X, centers, z, u, nt) -> (labels, cost, weighted total)."""
    X, top = check_array_top(X)
    centers = check_centers(centers, X)
    top = max(top, float(np.abs(centers).max(initial=0.0)))
    check_magnitude(top, X.dtype, X.shape[0], X.shape[1], "X and centers")  # both tiny: underflow
    check_cost_scale(top, X.shape[0], X.shape[1], check_z(z), None)
    labels, cost, _ = step(X, centers, check_z(z), None, check_n_threads(n_threads))
    return labels, cost


def run_snap_to_rows(
    step: Callable[..., Arr], *, X: Any, centers: Any, labels: Any, n_threads: Any
) -> Arr:
    """snap_to_rows: step(X, centers, labels, nt) -> representatives."""
    X = check_array(X)
    centers = check_centers(centers, X)
    labels = check_labels(labels, X.shape[0], centers.shape[0])
    return step(X, centers, labels, check_n_threads(n_threads))


def run_sensitivities(step: Callable[..., Arr], **arguments: Any) -> Arr:
    """sensitivities: step(cost, labels, center_losses, k, lam, u, method, defensive) -> p."""
    cost, labels, center_losses, lam, u, method, k, a = check_sensitivity_args(**arguments)
    return step(cost, labels, center_losses, k, lam, u, method, a)


def run_kmeans_plusplus(step: Callable[..., Arr], **arguments: Any) -> Arr:
    """kmeans_plusplus: step(X, u, k, z, seed, n_local_trials, nt) -> seed rows."""
    X, k, z, u, seed, n_local_trials, nt = check_plusplus_args(**arguments)
    return step(X, u, k, z, seed, n_local_trials, nt)

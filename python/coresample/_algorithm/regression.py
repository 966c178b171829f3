"""Row sampling for least squares: clustering-based sensitivity sampling and its baselines.

Minimise ||A x - b||^2 on a small weighted subset of the rows of A: pick rows with probability p,
weight them so that the weighted sum of squared residuals is an unbiased estimate of the full one
for every x, and solve the weighted least-squares problem on the subset (DESIGN.md section 1,
"Linear regression"). Methods for p:

- ``"cluster"``: clustering-based sensitivity sampling (`coresample.select` on the rows, by
  default on [A, b] in whitened coordinates), optionally with a pilot fit's residuals at the
  representatives;
- ``"leverage"``: exact leverage scores (Householder QR);
- ``"approx_leverage"``: leverage scores through a sketch (Drineas, Magdon-Ismail, Mahoney &
  Woodruff, "Fast approximation of matrix coherence and statistical leverage", JMLR 2012);
- ``"uniform"``.

The linear algebra (leverage, sketches, whitening, the weighted solve) is one NumPy
implementation shared with `coresample.reference.regression`; the two modules differ only in the
clustering, the sensitivities and the sampler they call (the C++ core here, the NumPy twin there),
so for the same seed they draw the same rows (docs/ARCHITECTURE.md, section 1).

This module is that shared implementation and the public signatures (prototypes, `api.bind`);
`coresample.regression` and `coresample.reference.regression` bind them to their backend.
"""
from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple, Union

import numpy as np

from .._base.random import SKETCH, seed_from_random_state
from .api import parameters_of
from .._base.validation import (
    CopyWarning, check_array, check_choice, check_float, check_int, check_n_clusters,
    check_n_threads, check_sample_size, check_vector, max_draws,
)

METHODS = ("cluster", "leverage", "approx_leverage", "uniform")
SCALINGS = ("whiten", "standardize", "none")
SKETCHES = ("countsketch", "gaussian")

# Purpose number of the sketch's random numbers: the next free entry of the stream table in
# docs/ARCHITECTURE.md section 2. The sketch is NumPy code shared by the core and the reference,
# so it draws from a NumPy Generator keyed by (seed, SKETCH) rather than from the counter stream
# (Gaussian entries from the counter stream would need a Box-Muller pass in uint64 arithmetic,
# several times slower than NumPy's ziggurat); both implementations get the same bits.

# Default n_clusters of the "cluster" method. Chosen on diamonds and movies before the full run
# of experiments/regression.py (20 seeds, s = 100-3000, whitened [A, b], representatives
# included): k = 8 was best or tied among k in {1, 8, d, 2d, 4d}. Larger k gives the rows of a
# far-out cluster a small cost, and those are the rows with high leverage. cps1988 was held out.
DEFAULT_N_CLUSTERS = 8
# The default fit of the k centers: on k * 48 uniformly drawn rows, then one exact assignment
# pass (issue 14: as accurate as the all-rows fit on the regression experiment's three datasets
# and 3.4-5.7x faster; the all-rows fit was slower than exact leverage scores).
DEFAULT_POINTS_PER_CENTER = 48

# Default sketch size of "approx_leverage": SKETCH_ROWS_PER_FEATURE * n_features rows (at most
# n_samples). Measured on diamonds (d = 24), movies (17) and cps1988 (10), 5 seeds, both
# sketches: with 20 d rows every row's approximate leverage lies within [0.74, 1.58] times the
# exact one (10 d: [0.70, 1.92]; about d^2 rows: [0.83, 1.3]).
SKETCH_ROWS_PER_FEATURE = 20

# Rows per chunk when forming S A (bounds the temporaries to about 8 MB for the Gaussian sketch).
_SKETCH_CHUNK_ROWS = 1 << 13

# Whitening keeps the directions whose eigenvalue of the column-equilibrated Gram matrix exceeds
# this fraction of the largest (singular values above 1e-6 of the largest): the rest are taken
# as exact collinearities, which Gram matrices blur to about 1e-16 relative.
_WHITEN_RTOL = 1e-12

Arr = np.ndarray
PilotResiduals = Union[None, str, np.ndarray, Callable[[np.ndarray], Any]]


@dataclass(frozen=True, eq=False)
class RowSample:
    """Weighted rows of a least-squares problem.

    sum(weights * (A[indices] @ x - b[indices]) ** 2) is an unbiased estimate of
    ||A x - b||^2 for every x.

    Attributes
    ----------
    indices : ndarray of shape (n_rows,), int64
        The representatives first (when included: each once, weight 1), then the `budget` drawn
        rows in draw order (replace=True; may repeat) or key order (replace=False; distinct).
    weights : ndarray of shape (n_rows,), float64
        1 for the representatives; Hansen-Hurwitz 1 / (budget q_e) (replace=True) or
        Horvitz-Thompson 1 / pi_e (replace=False) for the drawn rows.
    probabilities : ndarray of shape (n_samples,), float64
        q: the distribution the drawn rows came from (sums to 1; 0 at included representatives).
    method : str
    representatives : ndarray of shape (n_clusters,), int64, or None
        Representative row of each cluster ("cluster" method only), in cluster order.
    pilot_coef : ndarray of shape (n_features,) or None
        The pilot coefficients whose residuals shaped p (pilot_residuals="fit" or an array).
    """

    indices: Arr
    weights: Arr
    probabilities: Arr
    method: str
    representatives: Optional[Arr] = None
    pilot_coef: Optional[Arr] = None

    def __repr__(self) -> str:
        reps = "" if self.representatives is None else f", n_clusters={len(self.representatives)}"
        return f"RowSample(method={self.method!r}, n_rows={len(self.indices)}{reps})"


@dataclass(frozen=True, eq=False)
class RegressionFit:
    """A least-squares fit on weighted rows (what `fit` returns).

    Attributes
    ----------
    coef : ndarray of shape (n_features,)
        Minimiser of sum(weights * (A[indices] @ x - b[indices]) ** 2) (minimum norm if the
        sampled rows do not determine it).
    indices, weights, probabilities, method, representatives, pilot_coef
        As in `RowSample`.
    """

    coef: Arr
    indices: Arr
    weights: Arr
    probabilities: Arr
    method: str
    representatives: Optional[Arr] = None
    pilot_coef: Optional[Arr] = None

    def __repr__(self) -> str:
        return (
            f"RegressionFit(method={self.method!r}, n_rows={len(self.indices)}, coef={self.coef!r})"
        )


# --------------------------------------------------------------------------------------------
# Validation (shared by the core and the reference)


def _check_design(A: Any, stacklevel: int = 3) -> Arr:
    """A as a C-contiguous float64 matrix; float32 is converted (a copy, with a CopyWarning).

    stacklevel: frames between this function and the user's call (the warning points there).
    """
    A = check_array(A, "A")
    if A.dtype != np.float64:
        warnings.warn(
            "A is float32: copied to float64 (least squares and leverage scores are computed in "
            "float64)", CopyWarning, stacklevel=stacklevel,
        )
        A = A.astype(np.float64)
    return A


def _check_target(b: Any, n: int) -> Arr:
    return check_vector(b, "b", n)


def _check_common(
    A: Any, b: Any, method: Any, n_clusters: Any, scaling: Any, pilot_residuals: Any, lam: Any,
    sketch: Any, sketch_size: Any, jl_dim: Any, n_threads: Any, *, need_b: bool,
) -> Tuple[Arr, Optional[Arr], int, Optional[float], Optional[int], Optional[int], int]:
    A = _check_design(A, stacklevel=5)
    n, d = A.shape
    if b is None:
        if need_b:
            raise ValueError("b is required (the targets, shape (n_samples,))")
    else:
        b = _check_target(b, n)
    check_choice(method, "method", METHODS)
    check_choice(scaling, "scaling", SCALINGS)
    check_choice(sketch, "sketch", SKETCHES)
    # n_clusters matters to "cluster" only: its default must not refuse small inputs elsewhere.
    k = check_n_clusters(n_clusters, n) if method == "cluster" else 0
    if lam is not None:
        lam = check_float(lam, "lam", 0.0)
    _check_pilot_kind(pilot_residuals, lam, method, b, k, d)
    if sketch_size is not None:
        sketch_size = check_int(sketch_size, "sketch_size", 1)
    if jl_dim is not None:
        jl_dim = check_int(jl_dim, "jl_dim", 1)
    nt = check_n_threads(n_threads)
    return A, b, k, lam, sketch_size, jl_dim, nt


def _check_pilot_kind(
    pilot: Any, lam: Optional[float], method: str, b: Optional[Arr], k: int, d: int
) -> None:
    if pilot is None:
        if lam is not None:
            raise ValueError(
                "lam is used only with pilot_residuals (without a pilot, p does not depend on it)"
            )
        return
    if method != "cluster":
        raise ValueError(f"pilot_residuals applies to method='cluster' only, got method={method!r}")
    if b is None:
        raise ValueError("pilot_residuals needs b")
    if isinstance(pilot, str):
        if pilot != "fit":
            raise ValueError(
                f"pilot_residuals={pilot!r} must be None, 'fit', an array of coefficients or a "
                "callable"
            )
        if k < d:
            raise ValueError(
                f"pilot_residuals='fit' needs n_clusters >= n_features: n_clusters={k} < {d} "
                "(the pilot is a least-squares fit on the representatives)"
            )
        return
    if callable(pilot):
        if lam is None:
            raise ValueError(
                "lam must be given with a callable pilot_residuals: the Lipschitz constant of "
                "your pilot's residual in the clustering coordinates, squared"
            )
        return
    coef = np.asarray(pilot)
    if coef.dtype.kind not in "fiu" or coef.ndim != 1:
        raise TypeError(
            "pilot_residuals must be None, 'fit', a 1-D array of coefficients or a callable, "
            f"got {type(pilot).__name__}"
        )
    check_vector(coef, "pilot_residuals", d)


# --------------------------------------------------------------------------------------------
# Leverage scores


def _svd_leverage(A: Arr) -> Arr:
    """Leverage scores from the thin SVD, keeping singular values above NumPy's rank tolerance."""
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    tol = s.max(initial=0.0) * max(A.shape) * np.finfo(np.float64).eps
    U = U[:, s > tol]
    return np.einsum("ij,ij->i", U, U)


def _leverage(A: Arr) -> Arr:
    n, d = A.shape
    if n < d:
        return _svd_leverage(A)
    # R alone (dgeqrf), then Q = A R^{-1} as one GEMM: 2-4x faster than forming Q with dorgqr
    # on 50,000 x 24 (OpenBLAS, one thread), with an orthogonality error of about cond(A) * eps.
    R = np.linalg.qr(A, mode="r")
    diag = np.abs(np.diag(R))
    if diag.min() <= diag.max() * max(n, d) * np.finfo(np.float64).eps:
        return _svd_leverage(A)  # rank-deficient: the leverage of the column space (sums to rank)
    Q = A @ np.linalg.inv(R)
    return np.einsum("ij,ij->i", Q, Q)


def _sketch(A: Arr, kind: str, size: int, rng: np.random.Generator) -> Arr:
    """S A for a (size x n) CountSketch or Gaussian S (entries N(0, 1/size)), in row chunks."""
    n, d = A.shape
    SA = np.zeros((size, d))
    if kind == "countsketch":
        # Each row lands in one bucket with a random sign (Clarkson & Woodruff, STOC 2013).
        bucket = rng.integers(0, size, n)
        sign = rng.integers(0, 2, n).astype(np.float64) * 2.0 - 1.0
        cols = np.arange(d)
        for start in range(0, n, _SKETCH_CHUNK_ROWS):
            stop = min(n, start + _SKETCH_CHUNK_ROWS)
            flat = (bucket[start:stop, None] * d + cols).ravel()
            SA += np.bincount(
                flat, weights=(A[start:stop] * sign[start:stop, None]).ravel(), minlength=size * d
            ).reshape(size, d)
        return SA
    scale = 1.0 / np.sqrt(size)
    for start in range(0, n, _SKETCH_CHUNK_ROWS):
        stop = min(n, start + _SKETCH_CHUNK_ROWS)
        SA += rng.standard_normal((size, stop - start)) @ A[start:stop]
    return SA * scale


def _approx_leverage(
    A: Arr, kind: str, size: Optional[int], jl_dim: Optional[int], seed: int
) -> Arr:
    n, d = A.shape
    size = min(n, SKETCH_ROWS_PER_FEATURE * d) if size is None else size
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, SKETCH])))
    SA = _sketch(A, kind, size, rng)
    # SA = U S V^T; A V S^{-1} plays A R^{-1} (same row norms, R from a QR of SA), and the SVD
    # also drops directions the sketch sees as null, so rank-deficient A needs no special case.
    _, s, Vt = np.linalg.svd(SA, full_matrices=False)
    keep = s > s.max(initial=0.0) * max(SA.shape) * np.finfo(np.float64).eps
    T = Vt[keep].T / s[keep]
    if jl_dim is not None:
        # Johnson-Lindenstrauss: row norms of A (T G), G Gaussian (rank, jl_dim) / sqrt(jl_dim).
        T = T @ (rng.standard_normal((T.shape[1], jl_dim)) / np.sqrt(jl_dim))
    Omega = A @ T
    return np.einsum("ij,ij->i", Omega, Omega)


def _leverage_probabilities(h: Arr) -> Arr:
    """p proportional to the leverage scores; uniform when A has rank 0 (all scores zero: every
    row is equally uninformative, and h / h.sum() would be NaN)."""
    total = h.sum()
    return h / total if total > 0 else np.full(h.shape[0], 1.0 / h.shape[0])


def leverage_scores(A: np.ndarray) -> np.ndarray:
    """Exact statistical leverage scores: the diagonal of the hat matrix A (A^T A)^+ A^T.

    h_i = ||q_i||^2 for the rows q_i of an orthonormal basis Q of the column space of A, computed
    as Q = A R^{-1} from a Householder QR (numpy.linalg.qr, mode="r"). When R is numerically
    singular (A rank-deficient) the scores come from the thin SVD, keeping the singular values
    above NumPy's rank tolerance: they then sum to the rank of A.

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_features), float64 or float32
        float32 is converted to float64 (a copy, with a `CopyWarning`).

    Returns
    -------
    h : ndarray of shape (n_samples,), float64
        Each in [0, 1]; they sum to rank(A).

    Examples
    --------
    >>> import numpy as np
    >>> from coresample import regression
    >>> A = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 10.0]])
    >>> h = regression.leverage_scores(A)
    >>> round(float(h.sum()), 12), int(np.argmax(h))
    (2.0, 3)
    """
    return _leverage(_check_design(A))


def approximate_leverage_scores(
    A: np.ndarray,
    *,
    sketch: str = "countsketch",
    sketch_size: Optional[int] = None,
    jl_dim: Optional[int] = None,
    random_state: Any = None,
) -> np.ndarray:
    """Leverage scores through a sketch (Drineas, Magdon-Ismail, Mahoney & Woodruff, JMLR 2012).

    1. S A with a random `sketch_size` x n_samples matrix S (CountSketch: each row of A added to
       one random bucket with a random sign, O(nnz(A)); Gaussian: N(0, 1/sketch_size) entries,
       O(sketch_size n d)).
    2. S A = U Sigma V^T (the SVD plays the role of the paper's R from a QR of S A: the same row
       norms, and directions the sketch sees as null are dropped).
    3. h_i ~ ||a_i V Sigma^{-1}||^2, or with `jl_dim` the squared row norms of
       A V Sigma^{-1} G for a Gaussian G of shape (rank, jl_dim) / sqrt(jl_dim), which costs
       O(n d jl_dim) instead of O(n d^2).

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_features)
    sketch : {"countsketch", "gaussian"}, default="countsketch"
    sketch_size : int, default=None
        Rows of S; None takes min(n_samples, 20 * n_features). With 20 d rows every row's
        estimate was within [0.78, 1.37] times its exact leverage on diamonds (d = 24) and movies
        (17), and within [0.74, 1.58] on cps1988 (10), for either sketch (5 seeds each; 10 d
        rows: [0.70, 1.92]). CountSketch's worst-case theory asks for O(d^2) rows.
    jl_dim : int, default=None
        Width of the Johnson-Lindenstrauss projection; None computes the norms exactly.
    random_state : None, int or numpy Generator, default=None
        The sketch's numbers come from a NumPy PCG64 generator keyed by (seed, 6): the same in
        `coresample.reference`.

    Returns
    -------
    h : ndarray of shape (n_samples,), float64

    Examples
    --------
    >>> import numpy as np
    >>> from coresample import regression
    >>> A = np.random.default_rng(0).normal(size=(2000, 5))
    >>> approx = regression.approximate_leverage_scores(A, random_state=0)
    >>> ratio = approx / regression.leverage_scores(A)
    >>> bool(0.5 < ratio.min() and ratio.max() < 2.0)
    True
    """
    A = _check_design(A)
    check_choice(sketch, "sketch", SKETCHES)
    if sketch_size is not None:
        sketch_size = check_int(sketch_size, "sketch_size", 1)
    if jl_dim is not None:
        jl_dim = check_int(jl_dim, "jl_dim", 1)
    return _approx_leverage(A, sketch, sketch_size, jl_dim, seed_from_random_state(random_state))


# --------------------------------------------------------------------------------------------
# Clustering coordinates


def _clustering_coordinates(
    A: Arr, b: Optional[Arr], include_target: bool, scaling: str
) -> Tuple[Arr, Callable[[Arr], float]]:
    """The rows Y to cluster, and w -> L(w)^2, the squared Lipschitz constant of the residual
    z_e . w (z_e = [a_e, b_e] or a_e) in Y's coordinates:
    |z_e . w - z_c . w| <= L(w) ||y_e - y_c||."""
    Z = np.column_stack([A, b]) if include_target and b is not None else A
    if scaling == "whiten":
        # y_e = W^T z_e with W W^T = G^+ for the Gram matrix G = Z^T Z: ||y_e||^2 is the leverage
        # of row e of Z (with the target: leverage of A plus the squared normalised residual of
        # the full least-squares fit). Column equilibration first keeps the eigenvalues of G
        # meaningful; L(w)^2 = w^T G w = ||Z w||^2 (for w = (x, -1): the residual sum of squares).
        G = Z.T @ Z
        norms = np.sqrt(np.diag(G))
        D = np.where(norms > 0, 1.0 / np.where(norms > 0, norms, 1.0), 0.0)
        ev, V = np.linalg.eigh(G * D[:, None] * D[None, :])
        keep = ev > ev.max(initial=0.0) * _WHITEN_RTOL
        W = (D[:, None] * V[:, keep]) / np.sqrt(ev[keep])
        if W.shape[1] == 0:  # Z = 0: one zero coordinate (all rows coincide), not zero columns
            W = np.zeros((Z.shape[1], 1))
        return np.ascontiguousarray(Z @ W), lambda w: float(max(w @ G @ w, 0.0))
    if scaling == "standardize":
        mean = Z.mean(axis=0)
        std = Z.std(axis=0)
        inv = np.where(std > 0, 1.0 / np.where(std > 0, std, 1.0), 0.0)  # constant columns -> 0
        return np.ascontiguousarray((Z - mean) * inv), lambda w: float(np.sum((std * w) ** 2))
    return np.ascontiguousarray(Z), lambda w: float(w @ w)


# --------------------------------------------------------------------------------------------
# The shared pipeline, parametrised by the clustering / sensitivity / sampling backend


@dataclass(frozen=True)
class Backend:
    select: Callable[..., Any]
    sensitivities: Callable[..., Arr]
    sample: Callable[..., Tuple[Arr, Arr]]


def _weighted_lstsq(A: Arr, b: Arr, indices: Arr, weights: Arr, rcond: Optional[float]) -> Arr:
    sw = np.sqrt(weights)
    coef, *_ = np.linalg.lstsq(A[indices] * sw[:, None], b[indices] * sw, rcond=rcond)
    return coef


def _probabilities(
    backend: Backend, A: Arr, b: Optional[Arr], method: str, k: int, include_target: bool,
    scaling: str, mppc: Any, pilot: PilotResiduals, lam: Optional[float], sketch: str,
    sketch_size: Optional[int], jl_dim: Optional[int], seed: int, n_threads: Optional[int],
) -> Tuple[Arr, Optional[Arr], Optional[Arr]]:
    """(p, representatives, pilot_coef) on validated input."""
    n = A.shape[0]
    if method == "uniform":
        return np.full(n, 1.0 / n), None, None
    if method == "leverage":
        return _leverage_probabilities(_leverage(A)), None, None
    if method == "approx_leverage":
        return _leverage_probabilities(_approx_leverage(A, sketch, sketch_size, jl_dim, seed)), None, None

    Y, lipschitz2 = _clustering_coordinates(A, b, bool(include_target), scaling)
    # No defensive share here: this lightweight distribution is already half uniform (p >= u / 2U
    # whenever Phi > 0, uniform when Phi = 0), and the share measured 1.0-1.3x worse on it
    # (docs/RESULTS.md section d). The pilot's distribution below, r^2 + lam cost, can be 0 on a
    # row and keeps the default share.
    sel = backend.select(
        Y, 1, n_clusters=k, max_points_per_center=mppc, random_state=seed, n_threads=n_threads,
        defensive=0.0, design="sensitivity",
    )
    reps = sel.representatives
    if pilot is None:
        return sel.probabilities, reps, None

    x0 = None
    if isinstance(pilot, str):  # "fit": least squares on the representatives, cluster-size weights
        x0 = _weighted_lstsq(A, b, reps, sel.cluster_weights, None)
    elif not callable(pilot):
        x0 = np.asarray(pilot, dtype=np.float64)
    if x0 is not None:
        r = A[reps] @ x0 - b[reps]
        w = np.append(x0, -1.0) if include_target else x0
        lam = lipschitz2(w) if lam is None else lam
    else:
        r = check_vector(pilot(reps.copy()), "pilot_residuals(representatives)", reps.shape[0])
    p = backend.sensitivities(sel.cost, sel.labels, r * r, lam, n_clusters=k)
    return p, reps, x0


def run_row_probabilities(
    backend: Backend, A: Any, b: Any, *, method: str, n_clusters: Any, include_target: bool,
    scaling: str, max_points_per_center: Any, pilot_residuals: PilotResiduals, lam: Any,
    sketch: str, sketch_size: Any, jl_dim: Any, random_state: Any, n_threads: Any,
) -> Arr:
    A, b, k, lam, sketch_size, jl_dim, _ = _check_common(
        A, b, method, n_clusters, scaling, pilot_residuals, lam, sketch, sketch_size, jl_dim,
        n_threads, need_b=False,
    )
    seed = seed_from_random_state(random_state)
    p, _, _ = _probabilities(
        backend, A, b, method, k, include_target, scaling, max_points_per_center,
        pilot_residuals, lam, sketch, sketch_size, jl_dim, seed, n_threads,
    )
    return p


def _sample_rows(
    backend: Backend, A: Any, b: Any, budget: Any, *, method: str, replace: bool,
    include_representatives: bool, n_clusters: Any, include_target: bool, scaling: str,
    max_points_per_center: Any, pilot_residuals: PilotResiduals, lam: Any, sketch: str,
    sketch_size: Any, jl_dim: Any, random_state: Any, n_threads: Any,
) -> Tuple[Arr, Arr, RowSample]:
    A, b, k, lam, sketch_size, jl_dim, _ = _check_common(
        A, b, method, n_clusters, scaling, pilot_residuals, lam, sketch, sketch_size, jl_dim,
        n_threads, need_b=True,
    )
    n = A.shape[0]
    replace = bool(replace)
    budget = check_int(budget, "budget", 1, max_draws(replace, n))
    seed = seed_from_random_state(random_state)
    p, reps, x0 = _probabilities(
        backend, A, b, method, k, include_target, scaling, max_points_per_center,
        pilot_residuals, lam, sketch, sketch_size, jl_dim, seed, n_threads,
    )
    fixed = np.empty(0, dtype=np.int64)
    if reps is not None and include_representatives:
        # The representatives enter with certainty (weight 1) and the draws estimate the sum over
        # the other rows, so the estimate stays unbiased; a far-out row that k-means++ made a
        # center (cost 0, hence a small p) is still in the fit.
        fixed = np.unique(reps)
        p = p.copy()
        p[fixed] = 0.0
        if not p.sum() > 0:
            raise ValueError(
                f"include_representatives=True leaves no row to draw: the {fixed.size} "
                "representatives carry all the probability; lower n_clusters or pass "
                "include_representatives=False"
            )
        p /= p.sum()
    check_sample_size(budget, p, replace, "budget")
    drawn, w = backend.sample(p, budget, replace=replace, random_state=seed, n_threads=n_threads)
    rows = RowSample(
        indices=np.concatenate([fixed, drawn]),
        weights=np.concatenate([np.ones(fixed.size), w]),
        probabilities=p,
        method=method,
        representatives=reps,
        pilot_coef=x0,
    )
    return A, b, rows


def run_sample_rows(backend: Backend, **kwargs: Any) -> RowSample:
    """sample_rows's runner: the RowSample of `_sample_rows`."""
    return _sample_rows(backend, **kwargs)[2]


def run_fit(backend: Backend, A: Any, b: Any, budget: Any, **kwargs: Any) -> RegressionFit:
    A, b, rows = _sample_rows(backend, A, b, budget, **kwargs)
    coef = _weighted_lstsq(A, b, rows.indices, rows.weights, None)
    return RegressionFit(
        coef=coef, indices=rows.indices, weights=rows.weights, probabilities=rows.probabilities,
        method=rows.method, representatives=rows.representatives, pilot_coef=rows.pilot_coef,
    )


def _solve(A: Any, b: Any, indices: Any, weights: Any, rcond: Any) -> Arr:
    A = _check_design(A, stacklevel=4)
    n = A.shape[0]
    b = _check_target(b, n)
    idx = np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"indices must be integers, got dtype {idx.dtype}")
    if idx.ndim != 1 or idx.size == 0:
        raise ValueError(f"indices must be a non-empty 1-D array, got shape {idx.shape}")
    if idx.min() < 0 or idx.max() >= n:
        raise ValueError(f"indices must lie in [0, n_samples={n}), got [{idx.min()}, {idx.max()}]")
    w = check_vector(weights, "weights", idx.shape[0], nonnegative=True)
    if rcond is not None and (isinstance(rcond, bool) or not isinstance(rcond, numbers.Real)):
        raise TypeError(f"rcond must be a real number or None, got {rcond!r}")
    return _weighted_lstsq(A, b, idx.astype(np.int64, copy=False), w, rcond)


# --------------------------------------------------------------------------------------------
# The public signatures: prototypes that coresample.regression and coresample.reference.regression
# bind to their backend (api.bind), so the 17 keywords are written once.


def sample_rows(
    A: np.ndarray,
    b: np.ndarray,
    budget: int,
    *,
    method: str = "cluster",
    replace: bool = True,
    include_representatives: bool = True,
    n_clusters: int = DEFAULT_N_CLUSTERS,
    include_target: bool = True,
    scaling: str = "whiten",
    max_points_per_center: Union[int, str, None] = DEFAULT_POINTS_PER_CENTER,
    pilot_residuals: PilotResiduals = None,
    lam: Optional[float] = None,
    sketch: str = "countsketch",
    sketch_size: Optional[int] = None,
    jl_dim: Optional[int] = None,
    random_state: Any = None,
    n_threads: Optional[int] = None,
) -> RowSample:
    """Weighted rows whose weighted squared residuals estimate ||A x - b||^2 without bias.

    p comes from `row_probabilities`; the rows are drawn with `coresample.sample` (the same
    rows as `coresample.reference.regression.sample_rows` for the same seed). For "cluster" with
    include_representatives=True (default) the distinct representatives are taken with
    certainty (weight 1), p is set to 0 on them and renormalised, and the `budget` draws
    estimate the sum over the other rows: the estimate stays unbiased, and a far-out row that
    k-means++ made a center (cost 0, so a small p) is still in the fit. In a 20-seed pilot study
    on diamonds (whitened, k = 24, 3,000 rows) this lowered the mean excess residual from 0.046 to
    0.012.

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_features)
    b : ndarray of shape (n_samples,)
    budget : int
        Number of drawn rows s (replace=False: distinct, at most the rows with p > 0). For
        "cluster" with include_representatives the representatives come in addition, so the
        sample has up to s + n_clusters rows.
    method, n_clusters, include_target, scaling, pilot_residuals, lam, sketch, sketch_size, jl_dim
        See `row_probabilities`.
    replace : bool, default=True
        i.i.d. draws with Hansen-Hurwitz weights 1 / (s q_e), or distinct rows with
        rank-conditioned Horvitz-Thompson weights (`coresample.sample`).
    include_representatives : bool, default=True
        For "cluster": put the representatives in the sample with weight 1 (see above).
    random_state : None, int or numpy Generator, default=None
        One seed drives the clustering, the sketch and the draws (separate streams).
    n_threads : int, default=None

    Returns
    -------
    RowSample
        indices, weights, probabilities, method, representatives, pilot_coef.

    Examples
    --------
    >>> import numpy as np
    >>> from coresample import regression
    >>> rng = np.random.default_rng(0)
    >>> A = rng.normal(size=(1000, 3)); b = A @ [1.0, 2.0, 3.0] + rng.normal(size=1000)
    >>> rows = regression.sample_rows(A, b, 50, random_state=0)
    >>> len(rows.indices) <= 58, bool(np.all(rows.weights > 0))
    (True, True)
    """



def solve(
    A: np.ndarray,
    b: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    *,
    rcond: Optional[float] = None,
) -> np.ndarray:
    """Weighted least squares on a subset of rows: argmin_x sum_i w_i (a_{j_i} . x - b_{j_i})^2.

    Rows are scaled by sqrt(w_i) and passed to numpy.linalg.lstsq (SVD-based), so a sample that
    does not determine x (fewer independent rows than features) gives the minimum-norm
    minimiser rather than an error. Repeated indices count once per occurrence.

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_features)
    b : ndarray of shape (n_samples,)
    indices : ndarray of shape (n_rows,), int
        Rows of A, in [0, n_samples).
    weights : ndarray of shape (n_rows,)
        Non-negative, finite.
    rcond : float, default=None
        Passed to numpy.linalg.lstsq (None: machine precision times max(n_rows, n_features)).

    Returns
    -------
    coef : ndarray of shape (n_features,), float64

    Examples
    --------
    >>> import numpy as np
    >>> from coresample import regression
    >>> A = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]); b = np.array([1.0, 3.0, 5.0])
    >>> regression.solve(A, b, np.array([0, 2]), np.array([1.0, 1.0])).round(12).tolist()
    [1.0, 2.0]
    """
    return _solve(A, b, indices, weights, rcond)


@parameters_of(
    sample_rows, returns="np.ndarray", drop=("budget", "replace", "include_representatives"),
    changes={"b": dict(default=None, annotation="Optional[np.ndarray]")},
)
def row_probabilities(*args: Any, **kwargs: Any) -> np.ndarray:
    """Sampling probabilities over the rows of a least-squares problem min ||A x - b||^2.

    Methods:

    - ``"cluster"``: cluster the rows y_e of [A, b] (or of A) with `coresample.select`
      (k-means++ and Lloyd, each center snapped to its nearest row, the representative) and
      take its sensitivities. Without a pilot, the lightweight-coreset distribution
      p_e ~ Phi / n + cost(e), cost(e) = ||y_e - y_rep(e)||^2: half uniform, half by distance to
      the representative. With a pilot coefficient vector x0 the bound of DESIGN.md section 1:
      p_e ~ r_c(e)^2 + lam cost(e), r_c = a_c . x0 - b_c the pilot's residual at the
      representative (see Notes).
    - ``"leverage"``: p ~ the exact leverage scores (`leverage_scores`).
    - ``"approx_leverage"``: p ~ sketched leverage scores (`approximate_leverage_scores`).
    - ``"uniform"``: p = 1/n.

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_features), float64 or float32
        Design matrix. float32 is converted to float64 (a copy, with a `CopyWarning`).
    b : ndarray of shape (n_samples,), default=None
        Targets; needed by include_target and by a pilot, ignored by the other methods.
    method : {"cluster", "leverage", "approx_leverage", "uniform"}, default="cluster"
    n_clusters : int, default=8
        k for "cluster" (8 was best or tied among 1, 8, d, 2d and 4d on the two datasets of
        experiments/regression.py).
    include_target : bool, default=True
        Cluster the rows of [A, b] rather than of A (ignored when b is None).
    scaling : {"whiten", "standardize", "none"}, default="whiten"
        Coordinates of the clustering. "whiten": y_e = W^T z_e with W W^T = (Z^T Z)^+, so that
        ||y_e||^2 is the leverage of row e of Z = [A, b] and distances are Mahalanobis distances
        (one Gram matrix, O(n d^2)). "standardize": each column centred and divided by its
        standard deviation (O(n d)). "none": raw columns. On diamonds, standardised clustering
        had 4-21x the mean excess residual of whitened clustering at s = 200-5000 rows; on movies
        and cps1988 0.9-1.4x (experiments/out/regression.md).
    max_points_per_center : int, None or "auto", default=DEFAULT_POINTS_PER_CENTER (48)
        For "cluster": passed to `coresample.select` (fit the centers on a uniform subsample of
        n_clusters * max_points_per_center rows, then one exact assignment pass; None or "auto"
        fit on all rows at this size). 48 made the whole fit 3.4-5.7x faster than the all-rows
        fit on diamonds, movies and cps1988 at about the same accuracy
        (experiments/out/regression.md), and is the default since issue 14.
    pilot_residuals : None, "fit", ndarray of shape (n_features,) or callable, default=None
        None: no pilot (lightweight distribution). "fit": x0 = the least-squares fit on the k
        representatives weighted by their cluster sizes (needs n_clusters >= n_features). An
        array: your pilot coefficients x0. A callable: f(rows) -> your pilot model's residuals at
        those rows (called once, with the k representatives); then `lam` is required.
    lam : float, default=None
        Weight of the cost in the pilot bound. None (with "fit" or an array) takes L^2, the
        squared Lipschitz constant of the pilot's residual in the clustering coordinates (Notes).
        Refused without a pilot, where p does not depend on it.
    sketch : {"countsketch", "gaussian"}, default="countsketch"
        For "approx_leverage".
    sketch_size : int, default=None
        For "approx_leverage": rows of the sketch; None takes min(n_samples, 20 * n_features).
    jl_dim : int, default=None
        For "approx_leverage": width of the Johnson-Lindenstrauss projection (None: exact norms).
    random_state : None, int or numpy Generator, default=None
        One seed drives the clustering and the sketch (separate streams).
    n_threads : int, default=None
        Threads of the clustering; None uses all cores. The result does not depend on it.

    Returns
    -------
    p : ndarray of shape (n_samples,), float64, summing to 1.

    Notes
    -----
    The pilot bound. Write z_e = [a_e, b_e] and w = (x0, -1), so the pilot's residual is
    r_e = z_e . w. In the clustering coordinates y_e = T(z_e) (T affine), Cauchy-Schwarz gives
    |r_e - r_c| <= L ||y_e - y_c|| with L = ||w|| for "none", ||std * w|| for "standardize" and
    ||Z w|| (the pilot's residual norm on all rows, from the Gram matrix) for "whiten"; hence
    r_e^2 <= 2 (r_c^2 + L^2 cost(e)), the Hoelder bound of DESIGN.md section 1 with lam = L^2
    (the factor 2 does not change p). With include_target=False the b part of r_e - r_c is not
    bounded by the cost, and the same formula (with w = x0) is a heuristic, not a bound. The
    bound holds at x0 only; the solve then moves away from x0. Measured on two datasets the pilot
    helped on one and hurt on the other, so it is off by default. Note also that with a linear
    pilot its exact residuals on all rows cost O(n d), less than the clustering.

    Examples
    --------
    >>> import numpy as np
    >>> from coresample import regression
    >>> rng = np.random.default_rng(0)
    >>> A = rng.normal(size=(1000, 3)); b = A @ [1.0, 2.0, 3.0] + rng.normal(size=1000)
    >>> p = regression.row_probabilities(A, b, random_state=0)
    >>> p.shape, bool(abs(p.sum() - 1) < 1e-12), bool(p.min() > 0)
    ((1000,), True, True)
    """



@parameters_of(sample_rows, returns="RegressionFit")
def fit(*args: Any, **kwargs: Any) -> RegressionFit:
    """Approximate least squares: `sample_rows`, then `solve` on the weighted sample.

    Parameters are those of `sample_rows`.

    Returns
    -------
    RegressionFit
        coef and the sample (indices, weights, probabilities, method, representatives,
        pilot_coef).

    Examples
    --------
    >>> import numpy as np
    >>> from coresample import regression
    >>> rng = np.random.default_rng(0)
    >>> A = rng.normal(size=(5000, 3)); b = A @ [1.0, 2.0, 3.0] + 0.1 * rng.normal(size=5000)
    >>> res = regression.fit(A, b, 200, random_state=0)
    >>> bool(np.abs(res.coef - [1.0, 2.0, 3.0]).max() < 0.05)
    True
    """


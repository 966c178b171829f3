"""The KMeans estimator's logic, shared by the core and the reference.

Validation, subsampling, initialisation and attribute bookkeeping live here once; subclasses
supply the numeric steps (seeding, Lloyd iterations, assignment) from their own backend.
"""
from __future__ import annotations

import inspect
import math
import numbers
import sys
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

import numpy as np

from .._base import stream as _rng
from .._base.blocks import blocked_sum
from .._base.progress import current as current_progress
from .._base.progress import reporting
from .._base.random import KMEANS_PARALLEL, seed_from_random_state
from .._base.source import take_rows
from .._base.validation import (
    check_array, check_array_top, check_centers_fit, check_cost_scale, check_float, check_int,
    check_magnitude, check_n_clusters, check_n_threads, check_sample_weight, check_z,
)

Arr = np.ndarray

# k-means|| parameters: rounds and oversampling factor l / k. Bahmani et al. use about 5 rounds
# with l from 0.1k to 10k; l = k keeps about 5k rows for the final weighted k-means++, whose cost
# dominates for large k (bench/RESULTS.md, target C: l = 2k spent 2.5 s of a 9.3 s select).
KMEANS_PARALLEL_ROUNDS = 5
KMEANS_PARALLEL_OVERSAMPLING = 1.0

# Rows per block in transform: bounds the float64 temporaries to TRANSFORM_BLOCK_ROWS x k.
TRANSFORM_BLOCK_ROWS = 4096


def check_not_sparse(X: Any, name: str = "X") -> None:
    """Refuse scipy.sparse input by name (np.asarray would make a 0-d object array of it)."""
    if not isinstance(X, np.ndarray) and hasattr(X, "tocsr") and hasattr(X, "nnz"):
        raise TypeError(
            f"{name} is a sparse {type(X).__name__}: sparse input is not supported; "
            f"pass a dense float32/float64 array ({name}.toarray())"
        )


class CenterFit(NamedTuple):
    """What `KMeansBase.fit_centers` found: `rows` is None when all of X was used, else the
    subsample's row indices, and `X_fit` = X[rows]; the rest describe X_fit."""

    rows: Optional[Arr]
    X_fit: Arr
    labels: Arr
    cost: Arr
    n_iter: int
    inertia: float


class KMeansBase:
    """(k, z)-clustering: k-means++ seeding, then Lloyd-style iterations (see `coresample.KMeans`)."""

    # Routes the C++ loops' progress reports to a callback (the core's KMeans sets it).
    _set_core_progress: Optional[Callable[[Any], None]] = None

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        z: float = 2.0,
        init: Any = "k-means++",
        max_iter: int = 300,
        tol: float = 1e-4,
        max_points_per_center: Optional[int] = None,
        random_state: Any = None,
        n_threads: Optional[int] = None,
        progress: Any = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.z = z
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.max_points_per_center = max_points_per_center
        self.random_state = random_state
        self.n_threads = n_threads
        self.progress = progress

    # --- parameters, as scikit-learn's BaseEstimator (no scikit-learn import) ----------------
    @classmethod
    def _get_param_names(cls) -> List[str]:
        """The constructor's keyword names, sorted (what get_params returns)."""
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values() if p.name != "self")

    def get_params(self, deep: bool = True) -> Dict[str, Any]:
        """Parameters of this estimator, as scikit-learn's ``BaseEstimator.get_params``.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of parameters that are estimators (``name__param``).

        Returns
        -------
        params : dict
            Parameter names mapped to their values (the objects themselves, not copies).
        """
        out: Dict[str, Any] = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{name}__{k}", v) for k, v in value.get_params().items())
            out[name] = value
        return out

    def set_params(self, **params: Any) -> "KMeansBase":
        """Set parameters, as scikit-learn's ``BaseEstimator.set_params``; returns self.

        Raises
        ------
        ValueError
            If a name is not a parameter of this estimator.

        Examples
        --------
        >>> import coresample
        >>> coresample.KMeans(3).set_params(n_clusters=5, random_state=0)
        KMeans(n_clusters=5, random_state=0)
        """
        if not params:
            return self
        valid = self.get_params(deep=True)
        nested: Dict[str, Dict[str, Any]] = {}
        for key, value in params.items():
            name, delim, sub = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {type(self).__name__}; "
                    f"valid parameters are {sorted(self._get_param_names())}"
                )
            if delim:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
                valid[name] = value
        for name, sub_params in nested.items():
            valid[name].set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        """The class name and the parameters that differ from their defaults."""
        defaults = {
            p.name: p.default
            for p in inspect.signature(type(self).__init__).parameters.values()
            if p.name != "self"
        }
        shown = []
        for name, default in defaults.items():
            value = getattr(self, name)
            if not _same_param(value, default):
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def __sklearn_tags__(self) -> Any:
        """scikit-learn (>= 1.6) tags; scikit-learn is imported only when it asks for them."""
        from sklearn.utils import Tags, TargetTags, TransformerTags

        return Tags(
            estimator_type="clusterer",
            target_tags=TargetTags(required=False),
            transformer_tags=TransformerTags(preserves_dtype=["float64", "float32"]),
        )

    # --- numeric steps, provided by the core or the reference -------------------------------
    def _seed(self, X: Arr, u: Optional[Arr], k: int, z: float, seed: int, nt: int) -> Arr:
        raise NotImplementedError

    def _lloyd(
        self, X: Arr, u: Optional[Arr], centers: Arr, z: float, max_iter: int, tol: float, nt: int
    ) -> Tuple[Arr, Arr, int, float]:
        raise NotImplementedError

    def _assign(self, X: Arr, centers: Arr, z: float, u: Optional[Arr], nt: int) -> Tuple[Arr, Arr, float]:
        raise NotImplementedError

    def _mean_variance(self, X: Arr, nt: int) -> float:
        raise NotImplementedError

    def _subsample(self, n: int, m: int, seed: int, nt: int) -> Arr:
        raise NotImplementedError

    # --- estimator API ------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> "KMeansBase":
        """Compute the clustering of X (y is ignored; it is there for pipeline compatibility).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features), float32 or float64
            Used in place when C-contiguous; other layouts are copied with a CopyWarning; integer,
            object and sparse input raise TypeError (convert explicitly).
        y : ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights with a positive sum; None weighs every row 1.

        Returns
        -------
        self : KMeans
            Fitted: cluster_centers_, labels_, cost_, inertia_, n_iter_, n_features_in_.
        """
        check_not_sparse(X)
        X, top = check_array_top(X)
        u = check_sample_weight(sample_weight, X.shape[0])
        check_cost_scale(top, X.shape[0], X.shape[1], check_z(self.z), u)
        with reporting(self.progress, self._set_core_progress):
            rows, _, labels, cost, n_iter, inertia = self.fit_centers(X, u)
        if rows is not None:  # fitted on a subsample: one exact pass labels every row
            labels, cost, inertia = self._assign(
                X, self.cluster_centers_, check_z(self.z), u, check_n_threads(self.n_threads)
            )
        self.labels_ = labels
        self.cost_ = cost
        self.inertia_ = float(inertia)
        self.n_iter_ = int(n_iter)
        return self

    def fit_centers(
        self, X: Arr, u: Optional[Arr], subsample: Optional[Arr] = None
    ) -> CenterFit:
        """Seed and iterate on validated X (or on its subsample); sets cluster_centers_.

        select() and the engines call this (not `fit`): they snap the centers on X_fit, so they
        need no labels of the other rows, and they validate X once themselves.
        `subsample`: the rows `_subsample` would draw, drawn beforehand by an engine's partitions
        (so that no n-length array is formed on the client).
        """
        n, d = X.shape
        k = check_n_clusters(self.n_clusters, n)
        z = check_z(self.z)
        max_iter = check_int(self.max_iter, "max_iter", 0)
        tol = check_float(self.tol, "tol", 0.0)
        nt = check_n_threads(self.n_threads)
        seed = seed_from_random_state(self.random_state)
        mppc = self.max_points_per_center
        if mppc is not None:
            mppc = check_int(mppc, "max_points_per_center", 1)

        rows, Xs, us = None, X, u
        if mppc is not None and n > k * mppc:
            rows = self._subsample(n, k * mppc, seed, nt) if subsample is None else subsample
            Xs = take_rows(X, rows)  # X may be a RowSource (select's out-of-core input)
            us = None if u is None else u[rows]
            if not isinstance(X, np.ndarray):  # a source is not scanned up front: check the fit's rows
                top = float(max(Xs.max(initial=0.0), -Xs.min(initial=0.0)))
                check_cost_scale(top, Xs.shape[0], d, z, us)
        centers = self._initial_centers(Xs, us, k, z, seed, nt)
        tol_abs = tol * self._mean_variance(Xs, nt) if tol > 0 else 0.0
        labels, cost, n_iter, inertia = self._lloyd(Xs, us, centers, z, max_iter, tol_abs, nt)
        self.cluster_centers_ = centers
        self.n_features_in_ = d
        return CenterFit(rows, Xs, labels, cost, n_iter, inertia)

    def _initial_centers(self, X: Arr, u: Optional[Arr], k: int, z: float, seed: int, nt: int) -> Arr:
        if isinstance(self.init, str):
            if self.init == "k-means++":
                return X[self._seed(X, u, k, z, seed, nt)]
            if self.init == "k-means||":
                return X[self._seed_parallel(X, u, k, z, seed, nt)]
            raise ValueError(
                f"init={self.init!r} must be 'k-means++', 'k-means||' or an array of centers"
            )
        init = check_array(self.init, "init")
        if init.shape != (k, X.shape[1]):
            raise ValueError(f"init must have shape ({k}, {X.shape[1]}), got {init.shape}")
        return np.array(init, dtype=X.dtype, order="C", copy=True)

    def _seed_parallel(self, X: Arr, u: Optional[Arr], k: int, z: float, seed: int, nt: int) -> Arr:
        """k-means|| (Bahmani, Moseley, Vattani, Kumar & Vassilvitskii, VLDB 2012).

        Starts from k-means++'s first center; each round r keeps every row e independently when
        unit(draw(seed, KMEANS_PARALLEL, r n + e)) * psi < l * D_e (l = k, psi = blocked sum of D),
        so a round costs one assignment pass against the new rows (the fast tiled kernel) instead of
        one pass per center. After KMEANS_PARALLEL_ROUNDS rounds (more while fewer than k rows are
        kept), greedy k-means++ on the kept rows, weighted by the sample weight of the rows nearest
        to each, picks the k centers. Falls back to k-means++ on X if fewer than k rows are kept.
        """
        n = X.shape[0]
        w = np.ones(n) if u is None else u
        chosen = [int(self._seed(X, u, 1, z, seed, nt)[0])]
        _, cost, _ = self._assign(X, X[chosen], z, None, nt)
        owner = np.zeros(n, dtype=np.int64)
        ell = KMEANS_PARALLEL_OVERSAMPLING * k
        report = current_progress()  # the rounds are Python: they report here, not from C++
        for r in range(4 * KMEANS_PARALLEL_ROUNDS):
            if r >= KMEANS_PARALLEL_ROUNDS and len(chosen) >= k:
                break
            if report is not None:
                report("k-means||", r + 1, max(KMEANS_PARALLEL_ROUNDS, r + 1))
            D = w * cost
            psi = blocked_sum(D)
            if not psi > 0:
                break
            U = _rng.unit(_rng.draw(seed, KMEANS_PARALLEL, np.arange(r * n, (r + 1) * n, dtype=np.uint64)))
            new = np.flatnonzero(U * psi < ell * D)
            if new.size == 0:
                continue
            labels_new, cost_new, _ = self._assign(X, np.ascontiguousarray(X[new]), z, None, nt)
            closer = cost_new < cost
            cost[closer] = cost_new[closer]
            owner[closer] = len(chosen) + labels_new[closer]
            chosen.extend(new.tolist())
        if len(chosen) < k:
            return self._seed(X, u, k, z, seed, nt)
        candidates = np.array(chosen, dtype=np.int64)
        weights = np.bincount(owner, weights=w, minlength=len(candidates))
        picks = self._seed(np.ascontiguousarray(X[candidates]), weights, k, z, seed, nt)
        return candidates[picks]

    def _check_fitted(self) -> None:
        if not hasattr(self, "cluster_centers_"):
            # scikit-learn's NotFittedError (an AttributeError and a ValueError) when scikit-learn
            # is loaded already, so its model-selection tools recognise the case; never imported.
            sk = sys.modules.get("sklearn.exceptions")
            exc_type = getattr(sk, "NotFittedError", AttributeError)
            raise exc_type(f"this {type(self).__name__} is not fitted yet; call fit first")

    def _check_predict_input(self, X: Any) -> Tuple[Arr, Arr]:
        """Validated X and the centers in X's dtype, for predict, score and transform."""
        self._check_fitted()
        check_not_sparse(X)
        X, top = check_array_top(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but KMeans is expecting {self.n_features_in_} "
                "features as input (the number it was fitted on)"
            )
        try:
            centers = check_centers_fit(self.cluster_centers_, X, "the fitted centers")
        except ValueError as exc:  # name predict's argument: X's dtype is what to change
            raise ValueError(f"X: {exc}") from None
        top = max(top, float(np.abs(centers).max(initial=0.0)))
        check_magnitude(top, X.dtype, X.shape[0], X.shape[1], "X and the fitted centers")
        check_cost_scale(top, X.shape[0], X.shape[1], check_z(self.z), None)
        return X, centers

    def predict(self, X: Any) -> Arr:
        """Index of the nearest cluster center for each row of X (ties: lowest index).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features), float32 or float64

        Returns
        -------
        labels : ndarray of shape (n_samples,), int64
        """
        X, centers = self._check_predict_input(X)
        labels, _, _ = self._assign(X, centers, check_z(self.z), None, check_n_threads(self.n_threads))
        return labels

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> Arr:
        """fit(X).labels_."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the clustering cost of X: -sum(sample_weight * ||x - c(x)||^z).

        As scikit-learn's ``KMeans.score`` (for z = 2): higher is better, so model selection
        that maximises a score picks the lower cost. One assignment pass; no n x k matrix.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features), float32 or float64
        y : ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        X, centers = self._check_predict_input(X)
        u = check_sample_weight(sample_weight, X.shape[0])
        nt = check_n_threads(self.n_threads)
        _, _, inertia = self._assign(X, centers, check_z(self.z), u, nt)
        return -float(inertia)

    def transform(self, X: Any) -> Arr:
        """Euclidean distance from every row of X to every center (cluster-distance space).

        The result is a dense (n_samples, n_clusters) array in X's dtype: n_samples * n_clusters *
        itemsize bytes (4e6 rows x 1000 clusters in float32 is 16 GB), unlike fit, predict and
        score, which never form it. Distances, not costs: ``transform(X) ** z`` is the cost to
        each center. Computed in float64 on blocks of TRANSFORM_BLOCK_ROWS rows.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features), float32 or float64

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters), dtype of X

        Examples
        --------
        >>> import numpy as np, coresample
        >>> X = np.array([[0.0, 0.0], [3.0, 4.0]])
        >>> km = coresample.KMeans(2, init=X.copy(), max_iter=0).fit(X)
        >>> km.transform(X)
        array([[0., 5.],
               [5., 0.]])
        """
        X, centers = self._check_predict_input(X)
        c = centers.astype(np.float64)
        c_sq = np.einsum("ij,ij->i", c, c)
        out = np.empty((X.shape[0], c.shape[0]), dtype=X.dtype)
        for start in range(0, X.shape[0], TRANSFORM_BLOCK_ROWS):
            x = X[start : start + TRANSFORM_BLOCK_ROWS].astype(np.float64)
            d2 = np.einsum("ij,ij->i", x, x)[:, None] - 2.0 * (x @ c.T) + c_sq[None, :]
            np.maximum(d2, 0.0, out=d2)  # the norms expansion can round below 0
            out[start : start + x.shape[0]] = np.sqrt(d2)
        return out

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> Arr:
        """fit(X).transform(X)."""
        return self.fit(X, sample_weight=sample_weight).transform(X)


def _same_param(value: Any, default: Any) -> bool:
    """Whether a parameter still has its default (arrays and Generators never do)."""
    if value is default:
        return True
    if isinstance(value, np.ndarray) or isinstance(default, np.ndarray):
        return False
    try:
        same_kind = type(value) is type(default) or (
            isinstance(value, numbers.Real) and isinstance(default, numbers.Real)
            and not isinstance(value, (bool, np.bool_))
        )
        return bool(same_kind and value == default)
    except Exception:  # noqa: BLE001 - odd __eq__: treat as changed, repr shows it
        return False



def default_local_trials(n_clusters: int) -> int:
    """2 + floor(ln k) candidates per step, as scikit-learn's kmeans_plusplus."""
    return 2 + int(math.log(n_clusters))


def check_plusplus_args(
    X: Any, n_clusters: Any, z: Any, sample_weight: Any, random_state: Any,
    n_local_trials: Any, n_threads: Any,
) -> Tuple[Arr, int, float, Optional[Arr], int, int, int]:
    """Validated (X, k, z, u, seed, n_local_trials, n_threads) for kmeans_plusplus."""
    X, top = check_array_top(X)
    k = check_n_clusters(n_clusters, X.shape[0])
    z = check_z(z)
    u = check_sample_weight(sample_weight, X.shape[0])
    check_cost_scale(top, X.shape[0], X.shape[1], z, u)
    # At most n trials: more are duplicates of rows already tried, and an absurd count would only
    # allocate n * L distances.
    L = (default_local_trials(k) if n_local_trials is None
         else check_int(n_local_trials, "n_local_trials", 1, X.shape[0]))
    nt = check_n_threads(n_threads)
    return X, k, z, u, seed_from_random_state(random_state), L, nt

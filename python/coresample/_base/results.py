"""The Selection that `select()` returns (shared by the core and the reference)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Tuple

import numpy as np

from .validation import check_vector
from .estimate import Estimate, control_coefficient, estimate
from .stratified import stratified_estimate


@dataclass(frozen=True, eq=False)
class Selection:
    """A weighted, representative subset of the rows of X.

    `select()` returns one, and so do the methods of `coresample.baselines`, so that one can be
    swapped for another. A baseline without a clustering (uniform, least_confidence, margin,
    entropy) has empty (length 0) representatives, labels, cost and cluster_weights, centers of
    shape (0, n_features) and inertia NaN; each baseline's docstring says what its weights and
    probabilities mean.

    Attributes
    ----------
    indices : ndarray of shape (budget,), int64
        Sampled rows, in draw order (replace=True; may repeat) or ascending key order
        (replace=False; distinct).
    weights : ndarray of shape (budget,), float64
        Estimator weights: sum(weights * loss[indices]) estimates the total (weighted) loss.
    probabilities : ndarray of shape (n_samples,), float64
        The sampling distribution p over all rows (sums to 1).
    representatives : ndarray of shape (n_clusters,), int64
        For each cluster, the real row nearest its center.
    labels, cost : ndarray of shape (n_samples,), or (0,) without a clustering
        Each row's cluster (nearest representative) and its cost ||x - x_rep||^z.
    centers : ndarray of shape (n_clusters, n_features)
        The fitted cluster centers before snapping.
    inertia : float
        Phi = sum_e u_e cost_e, measured to the representatives.
    cluster_weights : ndarray of shape (n_clusters,)
        Total sample weight of each cluster.
    total_weight : float
        Total sample weight of the dataset (n_samples when unweighted).
    losses, representative_losses : ndarray or None
        Oracle losses of the sampled rows and of the representatives (None without loss_fn).
    estimate, stderr : float or None
        Estimated mean loss over the dataset and its standard error (None without loss_fn).
    ci : (float, float) or None
        Confidence interval of the mean loss.
    n_queries : int
        Distinct rows passed to loss_fn.
    replace : bool
        Whether the sample was drawn with replacement.
    lam : float or None
        The Hoelder constant used (the estimate when select was called with lam="auto").
    design : str
        "stratified" or "sensitivity" (select's `design`; "sensitivity" for the baselines).
    strata : ndarray of shape (n_samples,) or None
        Stratified design: the stratum of each row (clusters crossed with select's `strata`).
    stratum_sizes, allocation : ndarray of shape (n_strata,) or None
        Stratified design: rows N_h in each stratum and draws n_h from it.
    proxy : ndarray of shape (n_samples,) or None
        select's `proxy` when the estimate uses it (estimator "regression", the default with a
        proxy): `estimate_from` then uses it as a control variate. None otherwise (a proxy used
        only for the allocation is not kept).
    """

    indices: np.ndarray
    weights: np.ndarray
    probabilities: np.ndarray
    representatives: np.ndarray
    labels: np.ndarray
    cost: np.ndarray
    centers: np.ndarray
    inertia: float
    cluster_weights: np.ndarray
    total_weight: float
    replace: bool
    sample_weight: Optional[np.ndarray] = field(default=None, repr=False)
    losses: Optional[np.ndarray] = None
    representative_losses: Optional[np.ndarray] = None
    estimate: Optional[float] = None
    stderr: Optional[float] = None
    ci: Optional[Tuple[float, float]] = None
    n_queries: int = 0
    lam: Optional[float] = None
    design: str = "sensitivity"
    strata: Optional[np.ndarray] = field(default=None, repr=False)
    stratum_sizes: Optional[np.ndarray] = None
    allocation: Optional[np.ndarray] = None
    proxy: Optional[np.ndarray] = field(default=None, repr=False)
    proxy_total: Optional[float] = None

    def estimate_from(
        self,
        losses: Any,
        *,
        representative_losses: Any = None,
        confidence: float = 0.95,
        self_normalized: bool = False,
        poststratify: bool = False,
    ) -> Estimate:
        """Estimate the mean loss from the losses of the sampled rows (one per entry of indices).

        The design's estimator: stratified (with the proxy as a control variate when select was
        given one) or, for design "sensitivity", Horvitz-Thompson / Hansen-Hurwitz. With
        `representative_losses` (one per cluster; design "sensitivity") the difference estimator
        is used: sum_c |C_c| l(r_c) + sum_i w_i (l_i - l(r_{c(i)})). self_normalized: Hajek's
        ratio form (see `estimate`), usually tighter without replacement. poststratify (design
        "sensitivity"): the clusters as post-strata, sum_c U_c ybar_c with ybar_c the weighted
        mean of the cluster's draws (Sarndal, Swensson and Wretman, Model Assisted Survey
        Sampling, 7.6): free of the noise of each cluster's sum of weights, consistent; a
        cluster without draws adds nothing, a bias of U_c ybar_c times the chance of that
        (negligible once the budget is a few times k; it is the estimate's only bias).
        """
        u = self._sample_u()
        if self.design == "stratified":
            if representative_losses is not None or self_normalized or poststratify:
                raise ValueError(
                    "a stratified selection has its own estimator: representative_losses, "
                    "self_normalized and poststratify apply to design='sensitivity'"
                )
            y = check_vector(losses, "losses", self.indices.shape[0])
            return stratified_estimate(
                y, self._sample_strata(), self.stratum_sizes, self.allocation, self.total_weight,
                replace=self.replace, sample_weight=u, control=self._sample_proxy(),
                control_total=self.proxy_total or 0.0, confidence=confidence,
            )
        control, control_total = None, 0.0
        if representative_losses is not None and poststratify:
            raise ValueError("pass representative_losses (difference estimator) or poststratify, "
                             "not both")
        if representative_losses is not None:
            if self.representatives.shape[0] == 0:
                raise ValueError(
                    "representative_losses needs a clustering, and this selection has none "
                    "(a baseline without clusters); use the plain estimator"
                )
            rep = np.asarray(representative_losses, dtype=np.float64)
            if rep.shape != self.representatives.shape:
                raise ValueError(
                    f"representative_losses must have shape {self.representatives.shape}, got {rep.shape}"
                )
            control = rep[self._sample_labels()]
            control_total = float(self.cluster_weights @ rep)
        elif poststratify:
            if self.representatives.shape[0] == 0:
                raise ValueError("poststratify needs a clustering, and this selection has none")
            y = check_vector(losses, "losses", self.indices.shape[0])
            control, control_total = _cluster_means(
                y, self.weights, self._sample_labels(), self.cluster_weights)
        elif self._sample_proxy() is not None:
            g = self._sample_proxy()
            y = check_vector(losses, "losses", self.indices.shape[0])
            b = control_coefficient(y, g, self.weights, self.replace, u)
            control, control_total = b * g, b * float(self.proxy_total)
        return estimate(
            losses, self.weights, self.total_weight, replace=self.replace, sample_weight=u,
            control=control, control_total=control_total, confidence=confidence,
            self_normalized=self_normalized,
        )

    def _sample_labels(self) -> np.ndarray:
        """The clusters of the sampled rows (an engine's Selection keeps them: labels are lazy)."""
        return self.labels[self.indices]

    def _sample_strata(self) -> np.ndarray:
        """The strata of the sampled rows (stratified design)."""
        return self.strata[self.indices]

    def _sample_proxy(self) -> Optional[np.ndarray]:
        """select's proxy at the sampled rows, None without one."""
        return None if self.proxy is None else self.proxy[self.indices]

    def _sample_u(self) -> Optional[np.ndarray]:
        """The sample weights of the sampled rows, None when unweighted."""
        return None if self.sample_weight is None else self.sample_weight[self.indices]

    @property
    def all_indices(self) -> np.ndarray:
        """Distinct rows of the selection: the representatives and the sampled rows, sorted."""
        return np.union1d(self.representatives, self.indices)

    def __repr__(self) -> str:
        est = "" if self.estimate is None else f", estimate={self.estimate:.6g} +- {self.stderr:.3g}"
        return (
            f"Selection(budget={len(self.indices)}, n_clusters={len(self.representatives)}, "
            f"design={self.design!r}, replace={self.replace}, inertia={self.inertia:.6g}, n_queries={self.n_queries}{est})"
        )


def _cluster_means(y: np.ndarray, w: np.ndarray, labels: np.ndarray, sizes: np.ndarray):
    """Post-stratification as a control variate: g_i = ybar of draw i's cluster (weighted by w)
    and its known total sum_c U_c ybar_c over the clusters with draws; then sum_i w_i (y_i - g_i)
    is 0 and the variance formulas apply to the residuals y_i - g_i."""
    k = sizes.shape[0]
    wsum = np.bincount(labels, weights=w, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        ybar = np.where(wsum > 0, np.bincount(labels, weights=w * y, minlength=k) / wsum, 0.0)
    return ybar[labels], float(sizes[wsum > 0] @ ybar[wsum > 0])

"""select's parameters, written once: the public signatures and the validated options object.

`select` and `select_adaptive` below are *prototypes* (`api.bind`): their signature, defaults and
docstring are the ones `coresample.select`, `coresample.reference.select`,
`coresample.dask.select`, `coresample.ray.select` and the adaptive variants expose. Every entry
point turns the bound arguments into one `SelectOptions`, validated against the data's shape, and
hands that to the plan (`_algorithm.select`) or to an engine; nothing downstream re-reads
the raw arguments.
"""
from __future__ import annotations

from dataclasses import dataclass
from inspect import Parameter
from typing import Any, Callable, Optional, Tuple, Union

import numpy as np

from .._base.random import seed_from_random_state
from .._base.results import Selection
from .._base.validation import (
    MAX_DRAWS, check_choice, check_float, check_int, check_n_clusters, check_n_threads, check_z,
)
from .adaptive import AdaptiveSelection
from .api import parameters_of
from .sensitivity import DEFENSIVE, METHODS, check_defensive
from .strata import ALLOCATIONS

ESTIMATORS = ("auto", "plain", "difference", "regression", "poststratified")
DESIGNS = ("auto", "stratified", "sensitivity")
# What design="auto" means, decided by measurement (docs/RESULTS.md, "Designs"): the stratified
# design never lost to uniform sampling there; sensitivity sampling did on every real dataset.
AUTO_DESIGN = "stratified"

# select()'s "auto" clustering: above AUTO_LARGE_WORK = n * k * d (a full-data fit of 20 Lloyd
# iterations is then tens of seconds on 2 cores) the centers are fitted on AUTO_POINTS_PER_CENTER
# rows per center, seeded with k-means||; below it, on all rows with exact k-means++. Measured
# under issue 3 (bench/RESULTS.md, target C): on 1M x 256, k = 1000 this setting costs 2.8x one
# X @ C.T end to end, at a clustering cost 1.04x a full-data k-means.
AUTO_LARGE_WORK = 1e10
AUTO_POINTS_PER_CENTER = 48


def resolve_auto(init: Any, max_points_per_center: Any, n: int, k: int, d: int) -> Tuple[Any, Any]:
    """select()'s init and max_points_per_center with "auto" replaced (see AUTO_LARGE_WORK)."""
    large = float(n) * k * d > AUTO_LARGE_WORK and n > 2 * AUTO_POINTS_PER_CENTER * k
    if isinstance(init, str):
        if init not in ("auto", "k-means++", "k-means||"):
            raise ValueError(
                f"init={init!r} must be 'auto', 'k-means++', 'k-means||' or an array of centers"
            )
        if init == "auto":
            init = "k-means||" if large else "k-means++"
    if isinstance(max_points_per_center, str):
        if max_points_per_center != "auto":
            raise ValueError(
                "max_points_per_center must be an int, None or 'auto', "
                f"got {max_points_per_center!r}"
            )
        max_points_per_center = AUTO_POINTS_PER_CENTER if large else None
    return init, max_points_per_center


def check_budget(budget: Any, n: int, replace: bool) -> int:
    """budget >= 1; without replacement at most n_samples, and the message says why."""
    if not replace and not isinstance(budget, bool) and isinstance(budget, (int, np.integer)):
        if budget > n:
            raise ValueError(
                f"budget={int(budget)} must be <= n_samples={n} when replace=False (distinct "
                "rows); pass replace=True for i.i.d. draws"
            )
    return check_int(budget, "budget", 1, n if not replace else MAX_DRAWS)


@dataclass(frozen=True)
class SelectOptions:
    """select's scalar arguments, validated once for data of n rows and d columns.

    `lam` is 1.0 while `lam_auto` (it is estimated once the representatives' losses are known);
    `init` and `max_points_per_center` have "auto" resolved; `n_threads` is the argument as
    given (an engine reads None as "one thread per task") and `nt` the core's thread count.
    """

    budget: int
    n_clusters: int
    z: float
    lam: float
    lam_auto: bool
    loss_fn: Optional[Callable[[np.ndarray], Any]]
    replace: bool
    method: str
    defensive: float
    design: str
    allocation: str
    estimator: str
    init: Any
    max_iter: Any
    tol: Any
    max_points_per_center: Optional[int]
    seed: int
    n_threads: Optional[int]
    nt: int

    @classmethod
    def resolve(
        cls, n: int, d: int, *, budget: Any, n_clusters: Any, z: Any, lam: Any, loss_fn: Any,
        replace: Any, method: Any, defensive: Any, design: Any = "sensitivity",
        allocation: Any = "auto", estimator: Any, init: Any, max_iter: Any, tol: Any,
        max_points_per_center: Any, random_state: Any, n_threads: Any, **data: Any,
    ) -> "SelectOptions":
        """The options from select's bound arguments (`data`: X, sample_weight, strata, proxy
        and progress, which the caller handles; only whether strata / proxy are given is read)."""
        k = check_n_clusters(n_clusters, n)
        design = resolve_design(design, data.get("strata") is not None)
        if isinstance(replace, str):
            if replace != "auto":
                raise ValueError(f"replace must be True, False or 'auto', got {replace!r}")
            # The stratified design gains by distinct rows (while the budget fits in the rows of
            # positive weight; an engine counts those over its partitions: positive_rows).
            u = data.get("sample_weight")
            rows = data.get("positive_rows")
            if rows is None:
                rows = n if not isinstance(u, np.ndarray) else int(np.count_nonzero(u))
            fits = isinstance(budget, (int, np.integer)) and not isinstance(budget, bool) and \
                budget <= rows
            replace = design == "sensitivity" or not fits
        replace = bool(replace)
        budget = check_budget(budget, n, replace)
        z = check_z(z)
        lam_auto = isinstance(lam, str)
        if lam_auto and lam != "auto":
            raise ValueError(f"lam must be a number >= 0 or 'auto', got {lam!r}")
        if loss_fn is not None and not callable(loss_fn):
            raise TypeError(f"loss_fn must be callable or None, got {type(loss_fn).__name__}")
        if lam_auto and loss_fn is None:
            raise ValueError(
                "lam='auto' estimates lambda from the representatives' losses and needs a "
                "loss_fn; pass a number for lam (or a loss_fn)"
            )
        check_choice(method, "method", METHODS)
        check_choice(allocation, "allocation", ALLOCATIONS)
        estimator = resolve_estimator(estimator, design, loss_fn, data.get("proxy") is not None)
        init, mppc = resolve_auto(init, max_points_per_center, n, k, d)
        return cls(
            budget=budget, n_clusters=k, z=z, lam=1.0 if lam_auto else check_float(lam, "lam", 0.0),
            lam_auto=lam_auto, loss_fn=loss_fn, replace=replace, method=method,
            defensive=check_defensive(defensive), design=design, allocation=allocation,
            estimator=estimator, init=init, max_iter=max_iter, tol=tol,
            max_points_per_center=mppc, seed=seed_from_random_state(random_state),
            n_threads=n_threads, nt=check_n_threads(n_threads),
        )

    def fits_on_subsample(self, n: int) -> bool:
        """Whether KMeans fits on a subsample of k * max_points_per_center rows."""
        return fits_on_subsample(self.max_points_per_center, n, self.n_clusters)

    def kmeans_params(self) -> dict:
        """The KMeans constructor's arguments for this selection."""
        return dict(
            z=self.z, init=self.init, max_iter=self.max_iter, tol=self.tol,
            max_points_per_center=self.max_points_per_center, random_state=self.seed,
            n_threads=self.n_threads,
        )


def resolve_design(design: Any, has_strata: bool) -> str:
    """design with "auto" replaced (AUTO_DESIGN); strata= needs the stratified design."""
    check_choice(design, "design", DESIGNS)
    design = AUTO_DESIGN if design == "auto" else design
    if has_strata and design != "stratified":
        raise ValueError("strata= is used by design='stratified' (or 'auto'), not by "
                         f"design={design!r}")
    return design


def resolve_estimator(estimator: Any, design: str, loss_fn: Any, has_proxy: bool) -> str:
    """estimator with "auto" replaced: "regression" (the proxy as a control variate) when a proxy
    is given, else "plain"; the combinations that cannot work raise ValueError."""
    check_choice(estimator, "estimator", ESTIMATORS)
    if estimator == "auto":
        return "regression" if has_proxy else "plain"
    if estimator == "difference":
        if loss_fn is None:
            raise ValueError("estimator='difference' needs a loss_fn")
        if design == "stratified":
            raise ValueError(
                "estimator='difference' uses the representatives' losses, which the stratified "
                "design does not query; use design='sensitivity' or a proxy (estimator='regression')"
            )
    if estimator == "regression" and not has_proxy:
        raise ValueError("estimator='regression' needs a proxy (proxy=)")
    if estimator == "poststratified" and design == "stratified":
        raise ValueError("estimator='poststratified' is for design='sensitivity' (the stratified "
                         "design's strata are fixed in advance already)")
    return estimator


def fits_on_subsample(max_points_per_center: Any, n: int, k: int) -> bool:
    """Whether KMeans fits on a subsample (`max_points_per_center` resolved, not "auto")."""
    return max_points_per_center is not None and n > k * max_points_per_center


# --- the public signatures (prototypes for api.bind) ------------------------------------------

def select(
    X: np.ndarray,
    budget: int,
    *,
    n_clusters: int,
    z: float = 2.0,
    lam: Union[float, str] = 1.0,
    loss_fn: Optional[Callable[[np.ndarray], Any]] = None,
    replace: Union[bool, str] = "auto",
    sample_weight: Optional[np.ndarray] = None,
    method: str = "lightweight",
    defensive: float = DEFENSIVE,
    design: str = "auto",
    strata: Optional[np.ndarray] = None,
    proxy: Optional[np.ndarray] = None,
    allocation: str = "auto",
    estimator: str = "auto",
    init: Any = "auto",
    max_iter: int = 20,
    tol: float = 1e-4,
    max_points_per_center: Union[int, str, None] = "auto",
    random_state: Any = None,
    n_threads: Optional[int] = None,
    progress: Any = None,
) -> Selection:
    """Pick a small, weighted, representative subset of the rows of X.

    Two designs on one clustering (`design`); both cluster X first ((k, z)-clustering,
    `KMeans`), snap every center to its nearest member row (the representative) and measure each
    row's cost ||x_e - x_rep||^z to its representative.

    - "stratified" (what "auto" means): the clusters, crossed with the groups of `strata`, are
      strata; each gets a share of the budget (`allocation`) drawn uniformly within it, and each
      row's weight is N_h / n_h (times its sample weight). Proportional allocation makes the
      estimate's variance at most uniform sampling's, and smaller by the share of the loss's
      variance that lies between strata. With a `proxy` (a cheap predicted loss per row) the
      allocation leans to the strata where the proxy varies most, and the estimate uses it as a
      control variate ("regression" estimator). The representatives are not queried.
    - "sensitivity": clustering-based sensitivity sampling (Axiotis et al., "Data-efficient
      learning via clustering-based sensitivity sampling", ICML 2024). With `loss_fn` the k
      representatives are queried once, l(c); `budget` rows are drawn with p(e) proportional to
      u_e (l(c(e)) + lam * cost(e)) (without an oracle, the `method` of `sensitivities`), mixed
      with a `defensive` uniform share, and weighted 1 / (s p) (Horvitz-Thompson without
      replacement).

    Either way sum(weights * loss) estimates the total loss without bias (the "regression"
    estimator up to O(1/budget)); with `loss_fn` the sampled rows are queried and the estimated
    mean loss, its standard error and interval are reported.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), or Shards
        Embeddings. C-contiguous float32/float64 input (memmaps included) is used in place,
        without a copy. float16, strided arrays and `Shards` are read in row blocks when the
        centers are fitted on a subsample (`max_points_per_center`), with the same result as
        the in-memory float32/float64 array (docs/OUT_OF_CORE.md); an all-rows fit copies them
        first (CopyWarning; a temporary file for memmaps and shards). A list of rows is
        converted by np.asarray with a CopyWarning; integer input raises TypeError.
    budget : int
        Number of sampled rows s: i.i.d. draws (replace=True) or distinct rows (replace=False,
        at most n_samples). With design "sensitivity" and a loss_fn the n_clusters
        representatives are queried in addition.
    n_clusters : int
        k, 1 <= k <= n_samples.
    z : float, default=2.0
        Cost exponent (2: k-means; 1: k-median).
    lam : float or "auto", default=1.0
        Design "sensitivity": the Hoelder constant lambda >= 0 of the loss: |l(e) - l(e')| <= lam ||x_e - x_e'||^z.
        "auto" (with loss_fn): `estimate_lam` on the k representatives and their losses, no
        extra queries; a lower bound on the true constant (see `estimate_lam` for what that
        guarantees). The value used is `Selection.lam`. "auto" without a loss_fn raises
        ValueError (there are no losses to estimate it from).
    loss_fn : callable, default=None
        loss_fn(indices: int64 ndarray) -> losses of those rows (non-negative, one per index).
        Called once for the representatives and once for the sampled rows not already
        queried; each distinct row is asked for at most once (see `n_queries`).
    replace : bool or "auto", default="auto"
        Sample with replacement (the theory's i.i.d. draws) or distinct rows. "auto": distinct
        rows for the stratified design when the budget fits in the rows of positive
        sample_weight (no query is spent twice, and the finite-population factor tightens the
        estimate), else i.i.d. draws.
    sample_weight : ndarray of shape (n_samples,), default=None
        Row multiplicities u_e; the targets are then sum_e u_e l(e) and its mean.
    method : {"lightweight", "coreset"}, default="lightweight"
        Design "sensitivity": the distribution used without an oracle (see `sensitivities`).
    defensive : float, default=DEFENSIVE
        Design "sensitivity": the uniform share a in [0, 1] mixed into p:
        p = a u / U + (1 - a) p_sensitivity, so every row of positive weight keeps
        p >= a u / U > 0 and the estimate stays unbiased whatever the loss, lam included
        (lam = 0, or rows equal to a zero-loss representative, would otherwise get p = 0). 0 is the paper's distribution; 1 is uniform sampling. The default
        was chosen by measurement (docs/RESULTS.md, "Defensive share").
    design : {"auto", "stratified", "sensitivity"}, default="auto"
        The sampling design (above). "auto" is "stratified": on every dataset of
        experiments/evaluation.py it matched or beat uniform sampling at equal queries, which
        "sensitivity" did not (docs/RESULTS.md, "Designs").
    strata : array-like of shape (n_samples,), default=None
        Group labels known for every row before any query (e.g. the class labels of an
        evaluation set), crossed with the clusters to form the strata of the stratified design.
        Every group needs two rows, and the budget two draws per group.
    proxy : array-like of shape (n_samples,), default=None
        A cheap, non-negative predicted loss for every row (a smaller model, an earlier
        checkpoint, the model's confidence). Used by the allocation and as a control variate
        (estimator "regression"); a poor proxy costs little: its coefficient is estimated.
    allocation : {"auto", "proportional", "neyman"}, default="auto"
        Stratified design: how the budget is split between strata (after two rows each).
        "proportional": by the strata's sample weight. "neyman": half proportional, half
        N_h S_h (Neyman) with S_h the spread in stratum h of the proxy (with a proxy) or of the
        rows' costs to their representatives (without: known before any query; exact SD 0.89-0.92x
        proportional's on diamonds, 0.98-0.99x on Fashion-MNIST, 1.00-1.01x on the Gemma pool,
        docs/RESULTS.md e; not the default, which keeps proportional's guarantee).
        "auto": "neyman" with a proxy, else "proportional".
    estimator : {"auto", "plain", "difference", "regression", "poststratified"}, default="auto"
        "plain": the design's weighted sum (stratified or Horvitz-Thompson). "difference"
        (design "sensitivity", needs loss_fn) estimates sum_c |C_c| l(c) + sum_i w_i (l_i -
        l(c(i))). "poststratified" (design "sensitivity"): the clusters as post-strata
        (`Selection.estimate_from`). "regression" (needs proxy): the proxy as a control variate with an estimated
        coefficient. "auto": "regression" with a proxy, else "plain".
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


@parameters_of(
    select, returns="AdaptiveSelection", drop=("loss_fn", "replace", "design", "strata", "proxy", "allocation"),
    after="n_clusters",
    insert=[
        Parameter("score_fn", Parameter.KEYWORD_ONLY,
                  annotation="Callable[[np.ndarray, np.ndarray], Any]"),
        Parameter("warm_start", Parameter.KEYWORD_ONLY, default=0.2, annotation="float"),
        Parameter("rounds", Parameter.KEYWORD_ONLY, default=1, annotation="int"),
    ],
)
def select_adaptive(*args: Any, **kwargs: Any) -> AdaptiveSelection:
    """Choose `budget` distinct rows in rounds: uniform first, then by the user's model's losses.

    The protocol of the paper's classification experiments (Axiotis et al., ICML 2024):
    1. Warm start: round(warm_start * budget) rows uniformly at random, without replacement.
    2. For r = 1 .. rounds: ``score_fn(indices, weights)`` gets every row chosen so far and their
       weights (train a model on them, weighted); it returns the losses of that model, either as
       an array over all n rows or as a callable ``scorer(rows) -> losses`` that the library calls
       on the rows it needs (the k representatives and the sampled rows; counted in n_queries).
       Then Algorithm 1 (`select`, without replacement) picks this round's share of the rest of
       the budget among the rows not chosen yet, with those losses as the oracle.

    Weights: rows of the warm start and of every round but the last are known exactly, so they
    keep their sample weight (1 by default); the last round's rows get Horvitz-Thompson weights for
    the rows left at that round. For any loss l, sum(weights * l[indices]) is an unbiased estimate
    of the dataset's total loss, and training on the rows with these weights approximates training
    on all rows.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), or Shards
        Embeddings, as for `select` (out-of-core input is read in blocks by every round).
    budget : int
        Rows to choose in all (warm start included), rounds + 1 <= budget <= n_samples.
    n_clusters : int
        k of each round's clustering.
    score_fn : callable
        score_fn(indices: int64 ndarray, weights: float64 ndarray) -> ndarray of shape
        (n_samples,) of non-negative losses, or a callable rows -> losses.
    warm_start : float, default=0.2
        Share of the budget spent on the uniform warm start, in (0, 1); at least one row.
    rounds : int, default=1
        Rounds of scoring and sensitivity sampling after the warm start; the rest of the budget is
        split evenly between them.
    z, lam, sample_weight, method, estimator, init, max_iter, tol, max_points_per_center, n_threads,
    progress
        As in `select` (applied in every round; progress also reports "round").
    random_state : None, int or numpy Generator, default=None
        One seed for the whole run; round r uses a seed derived from it (stream 6,
        docs/ARCHITECTURE.md section 2).

    Returns
    -------
    AdaptiveSelection
        indices, weights, round of each row, each round's Selection, the estimate of the mean
        loss under the last round's scores, and call counts.

    Examples
    --------
    >>> import numpy as np, coresample
    >>> X = np.random.default_rng(0).normal(size=(2000, 5))
    >>> def score(idx, w):  # "train" on the chosen rows: here, distance to their weighted mean
    ...     m = np.average(X[idx], axis=0, weights=w)
    ...     return ((X - m) ** 2).sum(axis=1)
    >>> sel = coresample.select_adaptive(X, 100, n_clusters=10, score_fn=score, random_state=0)
    >>> len(np.unique(sel.indices)), int((sel.round == 0).sum())
    (100, 20)
    """

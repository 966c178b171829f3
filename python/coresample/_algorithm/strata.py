"""The stratified design's deterministic part: the strata and how many rows each gets.

Strata are the clustering's clusters, crossed with the user's groups (`strata=`). A stratum needs
two draws for its variance to be estimated, and the allocation stays near proportional only with
a few more, so at most budget // ROWS_PER_STRATUM strata are used: when the cells (group, cluster)
are more than that, similar clusters are merged first (a weighted k-means of the centers, sizes
as weights). The allocation is a divisor method (Webster / Sainte-Lague): every
stratum first gets min(2, N_h) rows, then each further row goes to the stratum with the largest
a_h / (n_h + 1/2). Being a sequence of single seats, the allocation for budget s is contained in
the allocation for s + 1, which `evaluate` relies on (its batches extend one sample).

a_h is U_h (proportional allocation: the stratified estimator's variance is then at most uniform
sampling's, up to the finite-population terms and the rounding to whole rows; Cochran 5.6) or,
with a proxy, half proportional and half Neyman by the proxy's spread, N_h S_h(u g): Neyman's
optimum if the proxy's spread tracks the loss's, and never below half the proportional share
where it does not.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple

import numpy as np

from .._base.blocks import blocked_sum
from .._base.validation import check_vector

Arr = np.ndarray
ALLOCATIONS = ("auto", "proportional", "neyman")
MIN_PER_STRATUM = 2
# At most budget // ROWS_PER_STRATUM strata: with fewer draws per stratum the two-row minimum
# pulls the allocation away from proportional, which can cost more than the strata gain. Chosen
# by the exact variances in docs/RESULTS.md section e: with 2, labels x clusters on the Gemma
# pool at 250 queries had 1.20x uniform's standard deviation (5: 1.00x); clusters alone were
# unaffected (k = 50 <= budget / 5 there).
ROWS_PER_STRATUM = 5


def check_strata(strata: Any, n: int) -> Optional[Tuple[Arr, int]]:
    """strata= as (codes 0..G-1 per row, G), or None. Any 1-D array of labels (ints, strings);
    every group needs at least two rows (a group of one row has no spread to estimate)."""
    if strata is None:
        return None
    arr = np.asarray(check_length(strata, n, "strata"))
    values, codes, counts = np.unique(as_labels(arr), return_inverse=True, return_counts=True)
    check_group_sizes(values, counts)
    return codes.astype(np.int64), int(values.shape[0])


def as_labels(arr: Arr) -> Arr:
    """strata values as a sortable array of labels: checked for NaN, strings for objects."""
    if arr.dtype.kind == "O":  # e.g. a pandas column of strings
        arr = arr.astype(str)
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError("strata contains NaN or inf")
    if arr.dtype.kind not in "biuUSf":
        raise TypeError(f"strata must hold integer or string labels, got dtype {arr.dtype}")
    return arr


def check_group_sizes(values: Arr, counts: Arr) -> None:
    if counts.min() < 2:
        raise ValueError(
            f"strata: group {values[int(np.argmin(counts))].item()!r} has one row; every group "
            "needs at least two (merge it into a neighbouring group)"
        )


def proxy_total(proxy: Optional[Arr], u: Optional[Arr]) -> Optional[float]:
    """sum_e u_e g_e, blocked (the core's order of additions; the engines combine its blocks)."""
    if proxy is None:
        return None
    return blocked_sum(proxy if u is None else u * proxy)


def check_proxy(proxy: Any, n: int) -> Optional[Arr]:
    """proxy= as a finite, non-negative float64 vector of length n, or None."""
    if proxy is None:
        return None
    return check_vector(check_length(proxy, n, "proxy"), "proxy", n, nonnegative=True)


def check_length(values: Any, n: int, name: str) -> Any:
    """A 1-D array of length n (NumPy, or a dask array: anything with .shape), else ValueError."""
    v = values if hasattr(values, "shape") and hasattr(values, "ndim") else np.asarray(values)
    if v.ndim != 1 or v.shape[0] != n:
        raise ValueError(f"{name} must be a 1-D array of length n_samples={n}, got shape "
                         f"{tuple(v.shape)}")
    return v


@dataclass(frozen=True)
class Strata:
    """A stratification of n rows: stratum of each row, N_h (rows), U_h (sample weight) and the
    allocation weights a_h."""

    codes: Arr
    sizes: Arr
    weights: Arr
    shares: Arr

    @property
    def n_strata(self) -> int:
        return int(self.sizes.shape[0])

    def max_rows(self, replace: bool) -> Arr:
        """How many draws a stratum can take: its size without replacement, none for the
        stratum of rows of zero sample weight (they carry no loss)."""
        most = self.sizes if not replace else np.full(self.n_strata, np.iinfo(np.int64).max)
        return np.where(self.weights > 0, most, 0)


def form_strata(
    labels: Arr, centers: Arr, cluster_weights: Arr, groups: Optional[Tuple[Arr, int]],
    proxy: Optional[Arr], u: Optional[Arr], budget: int, allocation: str,
    group_clusters: Callable[[Arr, Arr, int], Arr], budget_name: str = "budget",
    cost: Optional[Arr] = None,
) -> Strata:
    """The strata for a budget (module docstring). `group_clusters(centers, weights, m)` maps the
    k clusters to m groups (the backend's weighted k-means)."""
    k = centers.shape[0]
    check_allocation(allocation)
    G = 1 if groups is None else groups[1]
    cluster_map = cluster_map_for(
        centers, cluster_weights, check_group_budget(G, budget, budget_name), group_clusters)
    zero = None if u is None or u.min() > 0 else u == 0  # rows that carry no loss
    if groups is None:  # per cluster, as the engines compute it (no pass over the rows)
        of_cluster, sizes, weights = cluster_cells(
            cluster_map, np.bincount(labels if zero is None else labels[~zero], minlength=k),
            cluster_weights, 0 if zero is None else int(zero.sum()))
        codes = of_cluster[labels]
        if zero is not None:
            codes[zero] = sizes.shape[0] - 1
    else:
        cell = groups[0] * k + cluster_map[labels]
        if zero is not None:
            cell[zero] = G * k  # one stratum of their own, after the others, never drawn
        used, codes = np.unique(cell, return_inverse=True)
        codes = codes.astype(np.int64)
        sizes = np.bincount(codes, minlength=used.shape[0]).astype(np.int64)
        weights = sizes.astype(np.float64) if u is None else np.bincount(
            codes, u, minlength=used.shape[0])
    shares = weights.copy()
    spread = spread_source(allocation, proxy is not None)
    if spread is not None:
        g = proxy if spread == "proxy" else cost
        with np.errstate(over="ignore", invalid="ignore"):  # refused by neyman_shares
            shares = _neyman_shares(codes, weights, g if u is None else u * g, sizes.shape[0],
                                    spread)
    return Strata(codes=codes, sizes=sizes, weights=weights, shares=shares)


def spread_source(allocation: str, has_proxy: bool) -> Optional[str]:
    """Whose spread the Neyman half of the allocation uses: the proxy's ("neyman" or "auto" with
    a proxy), the rows' costs ("neyman" without a proxy: known before any query), or None
    (proportional)."""
    if allocation == "proportional" or (allocation == "auto" and not has_proxy):
        return None
    return "proxy" if has_proxy else "cost"


def check_group_budget(G: int, budget: int, name: str = "budget") -> int:
    """How many groups of clusters each of G user groups is split into: the budget allows
    budget // ROWS_PER_STRATUM strata (at least one per group; each group needs two draws)."""
    if G > 1 and G * MIN_PER_STRATUM > budget:
        raise ValueError(
            f"strata has {G} groups, and each needs {MIN_PER_STRATUM} draws: {name} must be at "
            f"least {MIN_PER_STRATUM * G}, got {budget}"
        )
    return max(1, budget // ROWS_PER_STRATUM // G)


def cluster_map_for(
    centers: Arr, cluster_weights: Arr, most: int, group_clusters: Callable[[Arr, Arr, int], Arr],
) -> Arr:
    """Clusters -> at most `most` groups (identity when there are no more clusters than that)."""
    k = centers.shape[0]
    if k <= most:
        return np.arange(k, dtype=np.int64)
    return np.asarray(group_clusters(centers, cluster_weights, most), np.int64)


def cluster_cells(
    cluster_map: Arr, counts: Arr, cluster_weights: Arr, n_zero: int,
) -> Tuple[Arr, Arr, Arr]:
    """The strata of clusters grouped by cluster_map: each cluster's stratum (numbered over the
    groups that hold rows of positive weight), N_h and U_h (summed from the clusters' counts of
    such rows and weights). With n_zero rows of zero sample weight, a last stratum holds them
    (weight 0: never drawn)."""
    held = np.unique(cluster_map[counts > 0])
    of_cluster = np.searchsorted(held, cluster_map).astype(np.int64)
    of_cluster[counts == 0] = 0  # no row of positive weight maps through it
    H = held.shape[0]
    sizes = np.bincount(of_cluster, counts, minlength=H).astype(np.int64)
    weights = np.bincount(of_cluster, cluster_weights, minlength=H)
    if n_zero:
        sizes, weights = np.append(sizes, n_zero), np.append(weights, 0.0)
    return of_cluster, sizes, weights


def check_allocation(allocation: str) -> None:
    if allocation not in ALLOCATIONS:
        raise ValueError(f"allocation must be one of {ALLOCATIONS}, got {allocation!r}")


def _neyman_shares(codes: Arr, weights: Arr, q: Arr, H: int, source: str = "proxy") -> Arr:
    """Half proportional, half Neyman by the spread of q in each stratum (normalised shares).
    The sums run in row order (np.bincount), as the engines' chained per-partition sums do."""
    n = np.bincount(codes, minlength=H).astype(np.float64)
    mean = np.bincount(codes, q, minlength=H) / n
    return neyman_shares(n, np.bincount(codes, (q - mean[codes]) ** 2, minlength=H), weights,
                         source)


def neyman_shares(n: Arr, squared_deviations: Arr, weights: Arr, source: str = "proxy") -> Arr:
    """The shares from the per-stratum row counts, sums of squared deviations of q and weights:
    half proportional (weights), half Neyman, N_h S_h(q) (the optimum for the total of u l
    when q = u g tracks it; Cochran 5.5).

    Spreads that overflow double (a proxy or costs near 1e154 and above: their squares are
    inf) are refused, naming what to scale: NaN shares would make the allocation arbitrary.
    `source` is spread_source's answer ("proxy" or "cost")."""
    if not np.isfinite(squared_deviations[n > 0]).all():
        what = ("proxy= (times sample_weight)" if source == "proxy"
                else "the rows' costs to their representatives (X's scale, z, sample_weight)")
        raise ValueError(
            f"allocation='neyman': the spread of {what} overflows double in a stratum; scale "
            f"{'proxy' if source == 'proxy' else 'X'} down, or pass allocation='proportional'"
        )
    spread = np.sqrt(squared_deviations / n)
    prop = weights / weights.sum()
    ney = np.where(weights > 0, n * spread, 0.0)
    if not ney.sum() > 0:
        return prop
    return 0.5 * prop + 0.5 * ney / ney.sum()


def allocate(shares: Arr, max_rows: Arr, budget: int) -> Arr:
    """Rows per stratum for `budget` (module docstring): min(2, max) first, then Webster seats.

    Nested: allocate(.., s) <= allocate(.., s + 1) in every stratum."""
    n = np.minimum(min(MIN_PER_STRATUM, budget), max_rows).astype(np.int64)
    rest = budget - int(n.sum())
    if rest < 0:
        raise ValueError(f"budget={budget} is below the {int(n.sum())} rows the strata need")
    if rest > int(np.minimum(max_rows - n, budget).sum()):
        raise ValueError(f"budget={budget} exceeds the rows the strata hold ({int(max_rows.sum())})")
    return n + np.bincount(seat_order(shares, max_rows, n, rest), minlength=n.shape[0])


def seat_order(shares: Arr, max_rows: Arr, start: Arr, count: int) -> Arr:
    """The strata of the next `count` rows after `start` rows each, in Webster order: each goes
    to the stratum of largest shares[h] / (n_h + 1/2) below its max_rows (ties: lower h)."""
    n = start.copy()
    heap = [(-shares[h] / (n[h] + 0.5), h) for h in range(n.shape[0]) if n[h] < max_rows[h]]
    heapq.heapify(heap)
    seats = np.empty(count, dtype=np.int64)
    for i in range(count):
        _, h = heapq.heappop(heap)
        seats[i] = h
        n[h] += 1
        if n[h] < max_rows[h]:
            heapq.heappush(heap, (-shares[h] / (n[h] + 0.5), h))
    return seats


def first_per_stratum(codes: Arr, keys: Arr, rows: Arr, allocation: Arr) -> Arr:
    """Positions of the allocation[h] smallest (key, row) in each stratum h, ordered by
    (stratum, key, row): the stratified design's draw without replacement."""
    order = np.lexsort((rows, keys, codes))
    sc = codes[order]
    rank = np.arange(sc.shape[0]) - np.searchsorted(sc, sc)  # position within its stratum
    return order[rank < allocation[sc]]


def design_weights(strata: Arr, sizes: Arr, allocation: Arr, u: Optional[Arr]) -> Arr:
    """w_i = u_i N_h / n_h for draws i of stratum h: sum_i w_i l_i is the stratified total."""
    w = sizes[strata].astype(np.float64) / allocation[strata].astype(np.float64)
    return w if u is None else w * u


def design_probabilities(strata: Strata, allocation: Arr, budget: int) -> Arr:
    """p_e = n_h / (N_h s): the inclusion probability over s (or the per-draw share with
    replacement), summing to 1; the weights are u_e / (s p_e)."""
    per = allocation.astype(np.float64) / (strata.sizes.astype(np.float64) * budget)
    return per[strata.codes]

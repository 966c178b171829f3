"""Partition kernels of the distributed `select`: pure functions of one partition, no scheduler.

Each function works on one partition of rows, rows [start, start + len) of the global matrix,
with `start` a multiple of BLOCK (1024, the core's reduction block). It returns small summaries
(per-block partial sums, per-cluster counts, a few candidate rows) that the client combines in
block / row order, so the combined values are the bits of one call on the whole matrix
(DESIGN.md sections 3.2 and 3.3). The numeric steps (assignment, the sensitivity masses) are the
backend's, named by `spec["backend"]` ("core" or "reference") and imported where the kernel runs,
so the formulas exist only in cpp/ and in coresample.reference. Every engine (Dask, Ray, the
local one) calls these; nothing here knows about the scheduler.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from .._base.random import SAMPLE_WITHOUT_REPLACEMENT, STRATIFIED, SUBSAMPLE
from .._base.source import BLOCK, compute_dtype
from .._base.validation import check_finite, check_magnitude, check_vector
from .._algorithm.strata import as_labels, first_per_stratum
from .._base import stream as _rng
from .._base.blocks import _local_sums

Arr = np.ndarray


def block_totals(a: Arr) -> Arr:
    """Sum of each BLOCK-row block of `a`, each from 0.0 in row order (the core's local sums)."""
    if a.shape[0] == 0:
        return np.zeros(0)
    return _local_sums(a)[:, -1].copy()


def exponential_keys(seed: int, stream: int, start: int, stop: int) -> Arr:
    """E_e for the global rows e in [start, stop): the shared stream keyed by the global index."""
    counters = np.arange(start, stop, dtype=np.uint64)
    return -_rng.log_unit(_rng.unit_open(_rng.draw(seed, stream, counters)))


def smallest(keys: Arr, rows: Arr, count: int) -> Arr:
    """Positions of the `count` smallest (key, row) pairs, in that order (ties: lower row)."""
    if keys.shape[0] > count:
        kth = np.partition(keys, count - 1)[count - 1] if count > 0 else -np.inf
        keep = np.flatnonzero(keys <= kth)  # every tie of the count-th key stays in the race
    else:
        keep = np.arange(keys.shape[0])
    order = np.lexsort((rows[keep], keys[keep]))
    return keep[order[:count]]


def subsample_candidates(start: int, stop: int, size: int, seed: int) -> Dict[str, Arr]:
    """The KMeans subsample's candidates among rows [start, stop).

    KMeans._subsample draws `size` rows without replacement from p = 1 (unnormalised), keys
    E_e / 1.0 = E_e of stream SUBSAMPLE: the `size` smallest keys overall are among the union of
    every partition's `size` smallest. Needs no data, only the row range.
    """
    keys = exponential_keys(seed, SUBSAMPLE, start, stop)
    rows = np.arange(start, stop, dtype=np.int64)
    pick = smallest(keys, rows, size)
    return {"rows": rows[pick], "keys": keys[pick]}


def as_rows(block: Any) -> Arr:
    """A partition as a C-contiguous array in the compute dtype (float16 -> float32)."""
    block = np.asarray(block)
    return aligned(block, compute_dtype(block.dtype))


def aligned(a: Any, dtype: Any) -> Arr:
    """C-contiguous and aligned (the core refuses unaligned buffers, which arrays deserialised
    from the network can be): a copy only when needed."""
    return np.require(a, dtype=dtype, requirements=["C", "A"])


def numeric(backend: str) -> Any:
    """The backend's numeric steps: (assign(X, centers, z, u, nt), sensitivity_masses,
    sensitivity_probabilities)."""
    if backend == "core":
        from ..core.assign import assign_rows
        from ..core.sensitivity import sensitivity_masses, sensitivity_probabilities

        return assign_rows, sensitivity_masses, sensitivity_probabilities
    if backend == "reference":
        from ..reference import sensitivity
        from ..reference.select import BACKEND

        return BACKEND.assign, sensitivity.sensitivity_masses, sensitivity.sensitivity_probabilities
    raise ValueError(f"backend must be 'core' or 'reference', got {backend!r}")


def assign_partition(
    block: Any, start: int, reps: Arr, z: float, u: Optional[Arr], n: int, nt: int,
    backend: str = "core",
) -> Dict[str, Any]:
    """Pass (b): labels and costs of the partition against the representatives' rows, with the
    value checks select() applies (NaN/inf naming the global row, magnitudes for the global n)."""
    X = as_rows(block)
    top = check_finite(X, "X", first_row=start)
    check_magnitude(top, X.dtype, n, X.shape[1], "X")
    if u is not None:
        u = aligned(u, np.float64)
    labels, cost, _ = numeric(backend)[0](X, aligned(reps, X.dtype), z, u, nt)
    return {"start": start, "labels": labels, "cost": cost, "u": u, "top": top}


def assign_summary(part: Dict[str, Any], k: int) -> Dict[str, Any]:
    """Pass (b) summaries: block totals of u * cost and of u, cluster counts, checks of u."""
    cost, u = part["cost"], part["u"]
    out: Dict[str, Any] = {
        "phi_blocks": block_totals(cost if u is None else u * cost),
        "top": part["top"],
        "rows": cost.shape[0],
        # rows of positive weight per cluster, and rows of zero weight (the stratified design)
        "members": np.bincount(part["labels"] if u is None else part["labels"][u > 0], minlength=k),
        "zeros": 0 if u is None else int(np.count_nonzero(u == 0)),
    }
    if u is None:
        out["counts"] = np.bincount(part["labels"], minlength=k).astype(np.float64)
    else:
        out["u_blocks"] = block_totals(u)
        out["u_min"] = float(u.min()) if u.size else 0.0
        out["u_finite"] = bool(np.isfinite(u).all())
    return out


def add_cluster_weights(prior: Arr, part: Dict[str, Any]) -> Arr:
    """prior + the partition's u added row by row into its clusters (np.add.at runs in index
    order): chained over the partitions in order, the bits of np.bincount(labels, weights=u) and
    of the core's `size[labels[e]] += u[e]` loop."""
    out = np.array(prior, dtype=np.float64, copy=True)
    np.add.at(out, part["labels"], part["u"])
    return out


def masses(part: Dict[str, Any], spec: Dict[str, Any]) -> Arr:
    """m_e = u_e v_e of the partition's rows, from the whole dataset's totals in `spec`."""
    masses_of = numeric(spec["backend"])[1]
    losses, u = spec["center_losses"], part["u"]
    # The core refuses unaligned buffers, which arrays moved over the network can be.
    return masses_of(
        aligned(part["cost"], np.float64), aligned(part["labels"], np.int64),
        None if losses is None else aligned(losses, np.float64), spec["sizes"].shape[0],
        spec["lam"], None if u is None else aligned(u, np.float64), spec["method"], spec["a"],
        aligned(spec["sizes"], np.float64), spec["phi"], 1,
    )


def mass_blocks(part: Dict[str, Any], spec: Dict[str, Any]) -> Arr:
    """Pass (b'): block totals of m, for S = blocked_sum(m)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return block_totals(masses(part, spec))


def probabilities(part: Dict[str, Any], spec: Dict[str, Any]) -> Arr:
    """p of the partition's rows: the backend's defensive mixture of m / S and u / U."""
    u = part["u"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        m = masses(part, spec)
    return numeric(spec["backend"])[2](
        m, None if u is None else aligned(u, np.float64), spec["S"], spec["U"],
        spec["defensive"], 1,
    )


def sample_candidates(part: Dict[str, Any], spec: Dict[str, Any]) -> Dict[str, Any]:
    """Pass (c): this partition's `budget + 1` smallest keys E_e / p_e over rows with p_e > 0,
    E_e from stream SAMPLE_WITHOUT_REPLACEMENT at the global row index."""
    start = part["start"]
    p = probabilities(part, spec)
    pos = np.flatnonzero(p > 0)
    E = exponential_keys(spec["seed"], SAMPLE_WITHOUT_REPLACEMENT, start, start + p.shape[0])
    with np.errstate(over="ignore"):  # a tiny p overflows its key to inf: it sorts last
        keys = E[pos] / p[pos]
    rows = pos + start
    pick = smallest(keys, rows, spec["budget"] + 1)
    local = pos[pick]
    u = part["u"]
    return {
        "rows": rows[pick].astype(np.int64), "keys": keys[pick], "p": p[local],
        "labels": part["labels"][local], "u": None if u is None else u[local],
        "n_positive": int(pos.shape[0]),
    }


def segment_values(u: Arr, start: int, segments: Any) -> Dict[Any, Any]:
    """For total_weight: np.sum of each (lo, hi, whole) global segment inside this partition
    (whole=True), or its raw values (a piece of a pairwise-sum leaf that straddles partitions)."""
    out = {}
    for lo, hi, whole in segments:
        piece = u[lo - start : hi - start]
        out[(lo, hi)] = float(np.sum(piece)) if whole else piece.copy()
    return out


def probability_blocks(part: Dict[str, Any], spec: Dict[str, Any]) -> Dict[str, Any]:
    """With replacement: block totals of p (the core's BlockedCdf offsets come from them) and
    the partition's last row with p > 0 (the core's fallback row), -1 if none."""
    p = probabilities(part, spec)
    pos = np.flatnonzero(p > 0)
    return {
        "blocks": block_totals(p),
        "last_positive": int(part["start"] + pos[-1]) if pos.size else -1,
    }


def draw_rows(part: Dict[str, Any], spec: Dict[str, Any], draws: Dict[str, Arr]) -> Dict[str, Any]:
    """With replacement: for each draw (its global block, x = r * total and the block's offset),
    the first row j of the block with offset + local_j > x, local_j the in-order running sum of p
    within the block: search_without_cdf of cpp/sampling.cpp."""
    start = part["start"]
    p = probabilities(part, spec)
    rows = np.empty(draws["block"].shape[0], dtype=np.int64)
    for b in np.unique(draws["block"]):
        lo = int(b) * BLOCK - start
        local = np.cumsum(p[lo : lo + BLOCK])  # adds in order from p[lo], as `local += p[j]`
        which = np.flatnonzero(draws["block"] == b)
        for i in which:
            hit = np.flatnonzero(draws["offset"][i] + local > draws["x"][i])
            rows[i] = lo + (int(hit[0]) if hit.size else local.shape[0] - 1)
    u = part["u"]
    return {
        "order": draws["order"], "rows": rows + start, "p": p[rows], "labels": part["labels"][rows],
        "u": None if u is None else u[rows],
    }


def field(part: Dict[str, Any], name: str) -> Arr:
    """One n-length field of the partition state (labels, cost, u), for the lazy vectors."""
    return part[name]


# --- the stratified design: kernels on a partition's strata state (`strata_state`) ---------------


def group_values(g: Any) -> Dict[str, Arr]:
    """The distinct values of strata= in this partition and their counts."""
    values, counts = np.unique(as_labels(np.asarray(g)), return_counts=True)
    return {"values": values, "counts": counts}


def strata_state(part: Dict[str, Any], g: Any, proxy: Any, spec: Dict[str, Any]) -> Dict[str, Any]:
    """The partition's rows as strata cells: `cell` is the stratum itself without strata= (the
    clusters grouped by `of_cluster`), else group * k + cluster group, numbered later by
    `strata_codes` through the sorted cells in use. Rows of zero weight get a cell of their own
    (the last stratum). The proxy is checked here, for the global rows."""
    labels, u = part["labels"], part["u"]
    zero = None if u is None else u == 0
    if spec["values"] is None:
        cell = spec["of_cluster"][labels]
        last = spec["n_strata"] - 1
    else:
        group = np.searchsorted(spec["values"], as_labels(np.asarray(g)))
        cell = group * spec["k"] + spec["cluster_map"][labels]
        last = spec["G"] * spec["k"]
    if zero is not None and zero.any():
        cell[zero] = last
    if proxy is not None:
        proxy = check_vector(proxy, "proxy", nonnegative=True)
    return {"start": part["start"], "cell": cell, "u": u, "proxy": proxy, "cost": part["cost"]}


def cells_used(state: Dict[str, Any]) -> Arr:
    return np.unique(state["cell"])


def strata_codes(state: Dict[str, Any], spec: Dict[str, Any]) -> Arr:
    """The stratum of each of the partition's rows."""
    used = spec["used"]
    return state["cell"] if used is None else np.searchsorted(used, state["cell"])


def stratum_members(state: Dict[str, Any], spec: Dict[str, Any]) -> Arr:
    """Rows of each stratum in this partition."""
    return np.bincount(strata_codes(state, spec), minlength=spec["n_strata"])


def proxy_state(part: Dict[str, Any], proxy: Any) -> Dict[str, Any]:
    """The partition's checked proxy with its sample weights (design "sensitivity")."""
    return {"u": part["u"], "proxy": check_vector(proxy, "proxy", nonnegative=True)}


def proxy_at(state: Dict[str, Any], local: Arr) -> Arr:
    """The proxy at some of the partition's rows (local positions)."""
    return state["proxy"][local]


def positive_count(u: Arr) -> int:
    """Rows of positive sample weight in a partition's weights."""
    return int(np.count_nonzero(np.asarray(u) > 0))


def proxy_terms(state: Dict[str, Any]) -> Arr:
    """q = u g (g without sample weights): the proxy's contribution to the totals."""
    u = state["u"]
    return state["proxy"] if u is None else u * state["proxy"]


def proxy_blocks(state: Dict[str, Any]) -> Arr:
    """Block totals of q, for sum_e u_e g_e = blocked_sum(q)."""
    return block_totals(proxy_terms(state))


def add_by_stratum(prior: Arr, state: Dict[str, Any], spec: Dict[str, Any], what: str) -> Arr:
    """prior + this partition's u, q or (q - mean)^2 added row by row into the strata: chained
    over the partitions in order, the bits of np.bincount(codes, weights) over all rows."""
    codes = strata_codes(state, spec)
    if what == "u":
        values = state["u"]
    else:  # the spread's values: u g for the proxy, u cost for the costs
        g = state[spec["spread"]]
        with np.errstate(over="ignore", invalid="ignore"):  # refused by neyman_shares
            q = g if state["u"] is None else state["u"] * g
            values = q if what == "q" else (q - spec["mean"][codes]) ** 2
    out = np.array(prior, dtype=np.float64, copy=True)
    np.add.at(out, codes, values)
    return out


def design_probabilities(state: Dict[str, Any], spec: Dict[str, Any]) -> Arr:
    """p_e = n_h / (N_h s) of the partition's rows (the stratified design's Selection field)."""
    return spec["per_row"][strata_codes(state, spec)]


def stratified_candidates(state: Dict[str, Any], spec: Dict[str, Any]) -> Dict[str, Any]:
    """Without replacement: in each stratum, the partition's allocation[h] rows of smallest key
    (stream STRATIFIED at the global row): the stratum's sample is among their union."""
    start = state["start"]
    codes = strata_codes(state, spec)
    rows = np.arange(start, start + codes.shape[0], dtype=np.int64)
    keys = _rng.order_keys(spec["seed"], STRATIFIED, rows.astype(np.uint64))
    pick = first_per_stratum(codes, keys, rows, spec["allocation"])
    return {"rows": rows[pick], "keys": keys[pick], "codes": codes[pick],
            **_at(state, pick)}


def _at(state: Dict[str, Any], local: Arr) -> Dict[str, Any]:
    """The sample weights and proxies of some of the partition's rows (None where absent)."""
    return {name: None if state[name] is None else state[name][local] for name in ("u", "proxy")}


def stratum_rows(state: Dict[str, Any], spec: Dict[str, Any], asks: Dict[str, Arr]) -> Dict[str, Any]:
    """With replacement: the global rows (and u, proxy) of the partition's asks[h]-th rows of
    stratum h, rows of a stratum counted in row order."""
    codes = strata_codes(state, spec)
    by_stratum = np.argsort(codes, kind="stable")
    first = np.searchsorted(codes[by_stratum], np.arange(spec["n_strata"]))
    local = by_stratum[first[asks["h"]] + asks["rank"]]
    return {"order": asks["order"], "rows": local + state["start"], **_at(state, local)}

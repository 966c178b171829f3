"""Sampling with replacement over the partitions: inverse-CDF draws on the blocked CDF of p.

The core (cpp/sampling.cpp) draws r_i = unit(draw(seed, SAMPLE_WITH_REPLACEMENT, i)), finds the
first block whose last cdf offsets[b + 1] exceeds x_i = r_i * total, then scans that block's
running sum. Here the client builds `offsets` from the partitions' block totals of p (in block
order, as the core's sequential loop), assigns each draw to its block, and the partition owning
that block scans it. Weights S / (size * p_row), as the core. Draw order is kept.
"""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

import numpy as np

from .._base.random import SAMPLE_WITH_REPLACEMENT
from .._base.source import BLOCK
from .._base import stream as _rng
from . import kernels as K
from .engine import Engine

Arr = np.ndarray


def sample_with_replacement(
    engine: Engine, parts: List[Any], spec_h: Any, budget: int, seed: int,
) -> Tuple[Arr, Arr, Arr, Any]:
    """(indices, weights before sample weights, labels, u) of the sampled rows, in draw order."""
    edges = engine.edges
    info = engine.fetch([engine.submit(K.probability_blocks, p, spec_h) for p in parts])
    totals = np.concatenate([i["blocks"] for i in info])
    offsets = np.zeros(totals.shape[0] + 1)
    offsets[1:] = np.cumsum(totals)  # offsets[b + 1] = offsets[b] + t_b, in order
    total = float(offsets[-1])
    last_positive = max(i["last_positive"] for i in info)
    r = _rng.unit(_rng.draw(seed, SAMPLE_WITH_REPLACEMENT, np.arange(budget, dtype=np.uint64)))
    with np.errstate(invalid="ignore"):
        x = r * total
    block = np.searchsorted(offsets[1:], x, side="right")  # std::upper_bound: first offset > x
    if not np.isfinite(total):
        block[:] = totals.shape[0]
    out: Dict[str, Arr] = {
        "rows": np.full(budget, last_positive, dtype=np.int64), "p": np.zeros(budget),
        "labels": np.zeros(budget, dtype=np.int64),
    }
    u_rows = None
    part_of_block = np.searchsorted(edges, block * BLOCK, side="right") - 1
    tasks = []
    for j, part in enumerate(parts):
        which = np.flatnonzero((part_of_block == j) & (block < totals.shape[0]))
        if which.size:
            draws = {"order": which, "block": block[which], "x": x[which],
                     "offset": offsets[block[which]]}
            tasks.append(engine.submit(K.draw_rows, part, spec_h, draws))
    fallback = np.flatnonzero(block >= totals.shape[0])  # rounding or an infinite total
    if fallback.size:  # the core takes the last row with p > 0
        owner = int(np.searchsorted(edges, last_positive, side="right") - 1)
        draws = {"order": fallback, "block": np.full(fallback.size, last_positive // BLOCK),
                 "x": np.full(fallback.size, -1.0), "offset": np.zeros(fallback.size)}
        tasks.append(engine.submit(_exact_row, parts[owner], spec_h, draws, last_positive))
    for got in engine.fetch(tasks):
        for name in ("rows", "p", "labels"):
            out[name][got["order"]] = got[name]
        if got["u"] is not None:
            if u_rows is None:
                u_rows = np.zeros(budget)
            u_rows[got["order"]] = got["u"]
    with np.errstate(over="ignore", divide="ignore"):
        weights = total / (float(budget) * out["p"])
    return out["rows"], weights, out["labels"], u_rows


def _exact_row(
    part: Dict[str, Any], spec: Dict[str, Any], draws: Dict[str, Arr], row: int
) -> Dict[str, Any]:
    """The fallback draws: all at `row` (the last row with p > 0)."""
    got = K.draw_rows(part, spec, draws)  # x = -1: the block's first row, replaced below
    local = row - part["start"]
    p = K.probabilities(part, spec)
    got["rows"][:] = row
    got["p"][:] = p[local]
    got["labels"][:] = part["labels"][local]
    if got["u"] is not None:
        got["u"][:] = part["u"][local]
    return got

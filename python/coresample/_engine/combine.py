"""Client-side combination of the partition summaries, in the order one machine adds them.

Everything here holds O(number of blocks), O(k) or O(budget) values, never n-length arrays.
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from .._base.source import BLOCK

Arr = np.ndarray


def aligned_chunks(chunks: Sequence[int]) -> Tuple[int, ...]:
    """Row chunks whose boundaries are the given ones rounded down to a multiple of BLOCK.

    Every partition then starts at a multiple of BLOCK, so its blocks are global blocks and the
    core's blocked reductions split exactly at partition edges. Chunks shorter than BLOCK merge
    into their neighbours; already aligned chunks are returned unchanged.
    """
    n = int(sum(chunks))
    bounds = np.cumsum(chunks)[:-1]
    cuts = sorted({int(b) // BLOCK * BLOCK for b in bounds} - {0})
    edges = [0] + [c for c in cuts if c < n] + [n]
    return tuple(int(b - a) for a, b in zip(edges[:-1], edges[1:]))


def blocked_total(block_totals: Sequence[Arr]) -> float:
    """blocked_sum of the whole array from its partitions' block totals (in partition order):
    the block totals added in order from 0.0, as cpp/blocks.h and _base/blocks.py do."""
    totals = np.concatenate([np.asarray(t, dtype=np.float64) for t in block_totals])
    if totals.size == 0:
        return 0.0
    with np.errstate(over="ignore"):
        return float(np.cumsum(totals)[-1])


def merge_smallest(cands: List[Dict[str, Any]], count: int) -> Dict[str, Any]:
    """The `count` smallest (key, row) candidates over all partitions, in that order."""
    keys = np.concatenate([c["keys"] for c in cands])
    rows = np.concatenate([c["rows"] for c in cands])
    order = np.lexsort((rows, keys))[:count]
    out: Dict[str, Any] = {"keys": keys[order], "rows": rows[order]}
    for name in ("p", "labels", "u"):
        if name in cands[0] and cands[0][name] is not None:
            out[name] = np.concatenate([c[name] for c in cands])[order]
    if "n_positive" in cands[0]:
        out["n_positive"] = sum(int(c["n_positive"]) for c in cands)
    return out


def merge_tree(engine: Any, handles: List[Any], count: int, fan_in: int = 8) -> Any:
    """A handle of merge_smallest over the partitions' candidates, as a tree of fan_in-way
    merges run by the engine: the client receives `count` candidates, not partitions x count.
    Exact: (key, row) orders the candidates totally, so the merge order cannot change the result."""
    level = list(handles)
    while len(level) > 1:
        level = [
            engine.submit(_merge_list, count, *level[i : i + fan_in])
            for i in range(0, len(level), fan_in)
        ]
    return engine.submit(_merge_list, count, *level)


def _merge_list(count: int, *cands: Dict[str, Any]) -> Dict[str, Any]:
    return merge_smallest(list(cands), count)


# --- total_weight = u.sum() (NumPy's pairwise summation), from the partitions --------------------
# NumPy sums a contiguous float64 vector pairwise: a segment of at most 128 values is summed by its
# unrolled leaf loop, a longer one of length L as sum(first n2) + sum(rest), n2 = L // 2 rounded
# down to a multiple of 8. np.sum of any segment of that tree is the segment's node value, so a
# node inside one partition is summed there; only nodes straddling partition edges are combined
# on the client (O(P log n) of them), and a straddling leaf (<= 128 values) is summed here.
_PW_LEAF = 128


def pairwise_plan(lo: int, hi: int, edges: Arr) -> Any:
    """The tree of u[lo:hi].sum(): ("seg", lo, hi) for a node inside one partition, ("leaf", lo,
    hi) for a straddling leaf, (left, right) for a straddling inner node. edges: partition starts
    followed by n."""
    first = int(np.searchsorted(edges, lo, side="right")) - 1
    if hi <= edges[first + 1]:
        return ("seg", lo, hi)
    if hi - lo <= _PW_LEAF:
        return ("leaf", lo, hi)
    n2 = (hi - lo) // 2
    n2 -= n2 % 8
    return (pairwise_plan(lo, lo + n2, edges), pairwise_plan(lo + n2, hi, edges))


def plan_requests(plan: Any, edges: Arr) -> Dict[int, List[Tuple[int, int, bool]]]:
    """Per partition, the (lo, hi, whole) segments it must report for `plan`."""
    out: Dict[int, List[Tuple[int, int, bool]]] = {}

    def walk(node: Any) -> None:
        if node[0] == "seg":
            part = int(np.searchsorted(edges, node[1], side="right")) - 1
            out.setdefault(part, []).append((node[1], node[2], True))
        elif node[0] == "leaf":
            lo, hi = node[1], node[2]
            while lo < hi:
                part = int(np.searchsorted(edges, lo, side="right")) - 1
                stop = min(hi, int(edges[part + 1]))
                out.setdefault(part, []).append((lo, stop, False))
                lo = stop
        else:
            walk(node[0])
            walk(node[1])

    walk(plan)
    return out


def evaluate_plan(plan: Any, values: Dict[Tuple[int, int], Any]) -> float:
    """The value of `plan` from the partitions' answers (segment sums and straddling pieces)."""
    if plan[0] == "seg":
        return values[(plan[1], plan[2])]
    if plan[0] == "leaf":
        pieces = [v for (lo, hi), v in sorted(values.items())
                  if isinstance(v, np.ndarray) and plan[1] <= lo and hi <= plan[2]]
        return float(np.sum(np.concatenate(pieces)))
    return evaluate_plan(plan[0], values) + evaluate_plan(plan[1], values)

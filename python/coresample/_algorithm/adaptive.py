"""Adaptive rounds (DESIGN.md section 1): a uniform warm start, the user's scores, then Algorithm 1.

Written once for both backends, like `_algorithm.run_select`: the core and the reference pass their
own `select` and `sample`.

Design. Round 0 draws a uniform warm start (without replacement). Before each later round r the
user's `score_fn(indices, weights)` sees every row chosen so far and returns the losses of the
model it trained on them: an array over all rows, or a callable that the library asks about the
rows it needs (the representatives and the sampled rows). Round r then runs Algorithm 1 on the
rows not chosen yet, with those losses as the oracle. The chosen rows are excluded through zero
sample weights, not by copying X: a row with u_e = 0 gets probability 0 and does not move the
centers.

Weights. The rows of every round but the last are known exactly once chosen, so they keep their
own weight u_e (1 by default) and the last round's weights estimate the total over the rows that
were left: for any loss l, sum_i w_i l(e_i) over all chosen rows is an unbiased estimate of
sum_e u_e l(e) (condition on the earlier rounds; the last round's sample is unbiased for the rest).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, List, Optional

import numpy as np

from .._base.source import check_input
from .._base.progress import make_callback
from .._base.random import ADAPTIVE_ROUNDS, derive_seed, seed_from_random_state
from .._base.results import Selection
from .._base.validation import (
    check_float, check_int, check_losses, check_sample_weight,
)

Arr = np.ndarray


@dataclass(frozen=True, eq=False)
class AdaptiveSelection:
    """Rows chosen by `select_adaptive`, with weights for estimates and weighted training.

    Attributes
    ----------
    indices : ndarray of shape (budget,), int64
        All chosen rows, distinct: the warm start first, then each round's sample.
    weights : ndarray of shape (budget,), float64
        sum(weights * l[indices]) is an unbiased estimate of sum_e u_e l(e) for any loss l: rows
        of earlier rounds carry their own sample weight, the last round's rows 1 / pi.
    round : ndarray of shape (budget,), int64
        The round that chose each row (0: warm start).
    selections : list of Selection
        The Selection of each round 1 .. rounds, on the rows left at that round.
    n_score_calls : int
        Calls of score_fn.
    n_queries : int
        Rows whose loss the library looked up in the scores, over all rounds: each round's
        `Selection.n_queries` (its representatives and sampled rows, each distinct row once), plus
        the earlier rounds' rows, looked up in the last round's scores for the estimate. Counted
        the same way whether score_fn returns an array (rows read from it) or a callable (rows it
        was asked about), so it is the number of model inferences a callable scorer costs.
    estimate, stderr : float
        Estimated mean loss over the dataset under the last round's scores, and its standard
        error (the earlier rounds' rows enter exactly).
    """

    indices: Arr
    weights: Arr
    round: Arr
    selections: List[Selection]
    n_score_calls: int
    n_queries: int
    estimate: float
    stderr: float

    def __repr__(self) -> str:
        # Short, like Selection's: counts and the estimate, never the arrays.
        return (
            f"AdaptiveSelection(budget={len(self.indices)}, rounds={len(self.selections)}, "
            f"warm_start={int(np.count_nonzero(self.round == 0))}, "
            f"n_score_calls={self.n_score_calls}, n_queries={self.n_queries}, "
            f"estimate={self.estimate:.6g} +- {self.stderr:.3g})"
        )


def _round_budgets(budget: int, warm_start: float, rounds: int) -> List[int]:
    warm = int(round(warm_start * budget))
    if rounds > 0:
        warm = min(max(warm, 1), budget - rounds)  # every round gets at least one row
    rest = budget - warm
    return [warm] + [rest // rounds + (1 if r < rest % rounds else 0) for r in range(rounds)]


class _Oracle:
    """The losses of one round's scores, looked up row by row; `queries` counts the rows looked
    up, for array scores as for a callable scorer (issue 13: array scores counted 0)."""

    def __init__(self, scores: Any, n: int):
        self.fn: Optional[Callable[[Arr], Any]] = None
        self.values: Optional[Arr] = None
        self.queries = 0
        if callable(scores):
            self.fn = scores
        else:
            self.values = check_losses(scores, n, "score_fn's result")

    def __call__(self, indices: Arr) -> Arr:
        self.queries += indices.shape[0]
        if self.values is not None:
            return self.values[indices]
        return check_losses(self.fn(indices), indices.shape[0], "score_fn's scorer")


def run_select_adaptive(
    select: Callable[..., Selection],
    sample: Callable[..., Any],
    X: Any,
    budget: Any,
    *,
    progress: Any = None,
    **kwargs: Any,
) -> AdaptiveSelection:
    """select_adaptive's rounds (see `_run`), with one progress reporter for all of them."""
    callback = make_callback(progress)  # one reporter for all rounds (one set of bars)
    try:
        return _run(select, sample, X, budget, callback=callback, **kwargs)
    finally:
        close = getattr(callback, "close", None)
        if callable(close):
            close()


def _run(
    select: Callable[..., Selection],
    sample: Callable[..., Any],
    X: Any,
    budget: Any,
    *,
    n_clusters: Any,
    score_fn: Callable[[Arr, Arr], Any],
    warm_start: Any,
    rounds: Any,
    sample_weight: Any,
    random_state: Any,
    n_threads: Any,
    callback: Any,
    **select_kw: Any,
) -> AdaptiveSelection:
    X, _ = check_input(X)  # arrays, or a RowSource read in blocks by each round's select
    n = X.shape[0]
    rounds = check_int(rounds, "rounds", 1)
    budget = check_int(budget, "budget", rounds + 1, n)
    warm_start = check_float(warm_start, "warm_start", 0.0, 1.0, low_inclusive=False)
    if warm_start == 1.0:
        raise ValueError("warm_start=1.0 must be < 1: the rounds need a share of the budget")
    if not callable(score_fn):
        raise TypeError(f"score_fn must be callable, got {type(score_fn).__name__}")
    u = check_sample_weight(sample_weight, n)
    base_u = np.ones(n) if u is None else u
    seed = seed_from_random_state(random_state)
    sizes = _round_budgets(budget, warm_start, rounds)
    positive = int(np.count_nonzero(base_u))
    if budget > positive:
        raise ValueError(
            f"budget={budget} must be <= the number of rows with positive sample_weight ({positive}): "
            "select_adaptive draws distinct rows"
        )

    # Round 0: uniform over the rows with positive weight, without replacement.
    warm, _ = sample(np.where(base_u > 0, 1.0, 0.0), sizes[0], replace=False, random_state=seed,
                     n_threads=n_threads)
    chosen = [warm]
    weights = [base_u[warm]]
    round_of = [np.zeros(warm.shape[0], dtype=np.int64)]
    left = base_u.copy()
    left[warm] = 0.0
    selections: List[Selection] = []
    oracle = None
    calls = queries = 0
    for r in range(1, rounds + 1):
        so_far = np.concatenate(chosen)
        so_far_w = np.concatenate(weights)
        if callback is not None:
            callback("round", r - 1, rounds)
        oracle = _Oracle(score_fn(so_far, so_far_w), n)
        calls += 1
        sel = select(X, sizes[r], n_clusters=n_clusters, loss_fn=oracle, replace=False,
                     sample_weight=left, random_state=derive_seed(seed, ADAPTIVE_ROUNDS, r),
                     n_threads=n_threads, progress=callback, design="sensitivity", **select_kw)
        queries += oracle.queries
        selections.append(sel)
        chosen.append(sel.indices)
        round_of.append(np.full(sel.indices.shape[0], r, dtype=np.int64))
        last = r == rounds
        weights.append(sel.weights if last else base_u[sel.indices])
        # A new array: the round's Selection keeps the sample weights it was drawn with (its
        # sample_weight is `left` itself, not a copy, and estimate_from reads it).
        left = left.copy()
        left[sel.indices] = 0.0

    # The estimate under the last round's scores: earlier rows exactly, the rest by its sample.
    last_sel = selections[-1]
    earlier = np.concatenate(chosen[:-1])
    before = oracle.queries
    known = float(base_u[earlier] @ oracle(earlier))
    queries += oracle.queries - before
    total_weight = float(base_u.sum())
    mean = (known + last_sel.estimate * last_sel.total_weight) / total_weight
    stderr = last_sel.stderr * last_sel.total_weight / total_weight
    return AdaptiveSelection(
        indices=np.concatenate(chosen),
        weights=np.concatenate(weights).astype(np.float64),
        round=np.concatenate(round_of),
        selections=selections,
        n_score_calls=calls,
        n_queries=queries,
        estimate=mean,
        stderr=stderr,
    )

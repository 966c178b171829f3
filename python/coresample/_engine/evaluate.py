"""evaluate() on an engine: the plan's clustering and strata as passes over the partitions, the
query loop of `_algorithm.evaluate` on the client.

The clustering is select's (`plan.cluster_pass`) and the strata are `form_strata`'s
(`plan.engine_strata`), for the budget evaluate forms them for (max_queries, or every row).
The query order needs each stratum's first `most[h]` rows by key, where `most` is how many rows
of stratum h the max_queries queries take (`_algorithm.evaluate.schedule`): one draw of them
(`plan.first_rows`) gives every query's row, sample weight and proxy, so the loop (shared with
the in-memory path, `run_queries`) holds O(max_queries) values and reads nothing n-long. The
answer is `coresample.evaluate`'s, bit for bit, except `plan`, which is None (a plan holds
n-length strata codes; `plan=` is refused).
"""
from __future__ import annotations

from typing import Any, Callable, Dict

from .._algorithm.evaluate import (
    Evaluation, Queries, check_stopping, plan_options, run_queries, schedule, strata_budget,
)
from .._algorithm.select import Backend
from .._base.progress import reporting
from .engine import Engine
from .plan import _silent, cluster_pass, engine_strata, first_rows


def evaluate_runner(engine_type: Callable[[Any, Any], Engine]) -> Callable[..., Evaluation]:
    """An engine's `evaluate` runner (for `api.bind`), on the core backend."""
    from ..core.select import BACKEND  # the layer above: imported when an engine is made

    def run(*, X: Any, loss_fn: Any, progress: Any, **arguments: Any) -> Evaluation:
        return run_evaluate(engine_type, BACKEND, X, loss_fn, progress, arguments)

    return run


def run_evaluate(engine_type: Callable[[Any, Any], Engine], backend: Backend, X: Any,
                 loss_fn: Any, progress: Any, a: Dict[str, Any]) -> Evaluation:
    stop = check_stopping(loss_fn, a)
    if a["plan"] is not None:
        raise ValueError("plan= is not supported by an engine's evaluate (a plan holds n-length "
                         "strata codes): evaluate again with the same arguments and random_state")
    if X is None:
        raise ValueError("evaluate needs X")
    if a["n_clusters"] is None:
        raise ValueError("evaluate needs n_clusters")
    engine = engine_type(X, a["sample_weight"])
    opts = plan_options(engine.n, engine.d, a)
    extras = {name: None if a[name] is None else engine.vector_parts(a[name], name)
              for name in ("strata", "proxy")}
    with reporting(progress, backend.set_progress) as report:
        report = report or _silent
        clus = cluster_pass(engine, backend, opts, report)
        es = engine_strata(engine, opts, clus, extras, strata_budget(engine.n, stop.max_queries),
                           "max_queries")
        sched = schedule(es.strata, stop.max_queries)
        spec_h = engine.share(dict(es.codes_spec, seed=opts.seed, allocation=sched.most))
        drawn = first_rows(engine, es, spec_h, sched.most)
        at = sched.positions()
        queries = Queries(
            rows=drawn["rows"][at], strata=sched.strata,
            u=drawn["u"][at] if "u" in drawn else None,
            proxy=drawn["proxy"][at] if "proxy" in drawn else None,
            total_weight=clus.fields["total_weight"], proxy_total=es.proxy_total,
        )
        return run_queries(loss_fn, stop, sched, es.strata, queries, None, report)

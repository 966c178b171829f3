"""The engine plan (coresample._engine, docs/ARCHITECTURE.md section 1) without a scheduler:
LocalEngine runs the same passes and combiners as coresample.dask and coresample.ray, so every
claim about the plan (the single-machine bits for any partitioning, for either backend) is
checked here on every CI run, and the adapters' tests only add their scheduling."""
import inspect

import numpy as np
import pytest

import coresample
import coresample.reference as reference
from coresample._algorithm.options import SelectOptions
from coresample._engine import kernels as Kn
from coresample._engine.combine import aligned_chunks, blocked_total, merge_smallest, merge_tree
from coresample._engine.engine import LocalEngine
from coresample._engine.fit import subsample_rows
from fuzzing.gen_designs import cover  # chunk sizes repeating a pattern, summing to n
from coresample._engine.plan import run_select
from coresample._engine.result import EngineSelection
from coresample._base.stream import inverse_inclusion
from coresample._algorithm.sensitivity import DEFENSIVE
from coresample.core.select import BACKEND as CORE
from coresample.reference.select import BACKEND as REFERENCE

from conftest import (
    ENGINE_D, ENGINE_K, ENGINE_N, assert_same_evaluation, assert_same_selection, engine_rows,
    engine_weights, evaluation_case,
)

N, D, K, B, M = ENGINE_N, ENGINE_D, ENGINE_K, 60, 24
CHUNKINGS = [(1000,), (1024,), (3000,), (700, 2300, 1000, 1000), (5000,)]


@pytest.fixture(scope="module")
def X():
    return engine_rows()


@pytest.fixture(scope="module")
def u():
    return engine_weights()


def plan_select(impl, X, budget, chunks, **kwargs):
    """The engine plan on LocalEngine, with select's own argument binding and defaults."""
    bound = inspect.signature(impl.select).bind(X, budget, **kwargs)
    bound.apply_defaults()
    args = dict(bound.arguments)
    X, u = args.pop("X"), args.pop("sample_weight")
    args.pop("progress")
    opts = SelectOptions.resolve(X.shape[0], X.shape[1], **args)
    engine = LocalEngine(X, u, cover(chunks, X.shape[0]))
    backend = CORE if impl is coresample else REFERENCE
    extras = {name: None if args[name] is None else engine.vector_parts(args[name], name)
              for name in ("strata", "proxy")}
    return run_select(engine, backend, opts, EngineSelection, None, extras)


def assert_same(got, ref, estimate=False):
    """assert_same_selection, and the n-length fields (NumPy on LocalEngine)."""
    assert_same_selection(got, ref, estimate)
    assert got.design == ref.design and got.proxy_total == ref.proxy_total
    for name in ("labels", "cost", "probabilities", "strata", "stratum_sizes", "allocation",
                 "proxy"):
        np.testing.assert_array_equal(getattr(got, name), getattr(ref, name), err_msg=name)


def loss_of(X):
    return lambda rows: np.asarray(X[rows, 0], dtype=np.float64) ** 2 + 0.5


@pytest.mark.parametrize("chunks", CHUNKINGS, ids=str)
def test_defaults_match_select(X, chunks):
    ref = coresample.select(X, B, n_clusters=K, random_state=3)
    with pytest.warns(coresample.CopyWarning, match="all-rows fit gathers all 5000 rows"):
        got = plan_select(coresample, X, B, chunks, n_clusters=K, random_state=3)
    assert_same(got, ref)


@pytest.mark.parametrize(
    "extra",
    [dict(replace=False), dict(max_points_per_center=M),
     dict(method="coreset", sample_weight="u", design="sensitivity"),
     dict(loss_fn="loss", lam="auto", estimator="difference", sample_weight="u",
          design="sensitivity"),
     dict(loss_fn="loss", replace=False, max_points_per_center=M),
     dict(loss_fn="loss", replace=False, max_points_per_center=M, design="sensitivity"),
     dict(z=1.0, lam=0.0, design="sensitivity"),
     dict(init="k-means||", max_points_per_center=M),
     dict(loss_fn="loss", lam=0.0, defensive=0.3, replace=False, design="sensitivity"),
     dict(defensive=1.0, design="sensitivity"),
     dict(loss_fn="loss", sample_weight="u"), dict(loss_fn="loss", sample_weight="u", replace=False),
     dict(loss_fn="loss", replace=False, budget=2 * K + 7), dict(loss_fn="loss", budget=7),
     dict(budget=N, replace=False),
     dict(loss_fn="loss", strata="g", sample_weight="u"), dict(loss_fn="loss", proxy="p"),
     dict(loss_fn="loss", strata="g", proxy="p", sample_weight="u", replace=True),
     dict(loss_fn="loss", strata="g", proxy="p", budget=12),
     dict(loss_fn="loss", proxy="p", sample_weight="u0", allocation="proportional"),
     dict(loss_fn="loss", design="sensitivity", estimator="poststratified", sample_weight="u"),
     dict(loss_fn="loss", design="sensitivity", proxy="p", sample_weight="u"),
     dict(loss_fn="loss", design="sensitivity", proxy="p", replace=False),
     dict(loss_fn="loss", proxy="p", estimator="plain"),
     dict(loss_fn="loss", allocation="neyman", sample_weight="u0")],
    ids=["without", "subsample", "coreset_u", "oracle_u", "oracle_without", "sens_without",
         "z1_lam0", "kmpar", "defensive", "uniform", "strat_u", "strat_u_without",
         "strat_every_cluster", "strat_grouped", "strat_census", "strata_u", "proxy",
         "strata_proxy_with", "strata_proxy_grouped", "proxy_zero_u", "poststratified",
         "sens_proxy", "sens_proxy_without", "proxy_plain", "neyman_by_cost"],
)
@pytest.mark.parametrize("chunks", [(1000,), (700, 2300, 1000, 1000)], ids=str)
def test_options_match_select(X, u, extra, chunks):
    given = {  # names in the parameter list -> the arrays
        "u": u, "u0": np.where(np.arange(N) % 3 == 0, 0.0, u),  # u0: a third carry no weight
        "loss": loss_of(X), "g": np.array(["a", "b", "c"])[np.arange(N) * 7 % 3],
        "p": loss_of(X)(np.arange(N)) * (1.0 + 0.3 * np.sin(np.arange(N))),
    }
    extra = {k: given[v] if isinstance(v, str) and v in given and k != "allocation" else v
             for k, v in extra.items()}
    extra.setdefault("max_points_per_center", 2 * M)  # the all-rows fit: test_defaults_match_select
    budget = extra.pop("budget", B)
    ref = coresample.select(X, budget, n_clusters=K, random_state=4, **extra)
    got = plan_select(coresample, X, budget, chunks, n_clusters=K, random_state=4, **extra)
    assert_same(got, ref, estimate="loss_fn" in extra)


@pytest.mark.parametrize("replace", [True, False])
def test_reference_backend_through_the_plan(X, u, replace):
    """The plan is backend-agnostic: on the NumPy backend it gives reference.select's bits."""
    X64 = X.astype(np.float64)
    kw = dict(n_clusters=K, random_state=5, replace=replace, sample_weight=u, loss_fn=loss_of(X64),
              max_points_per_center=M)
    ref = reference.select(X64, B, **kw)
    assert_same(plan_select(reference, X64, B, (2048, 1000), **kw), ref, estimate=True)


def test_aligned_chunks():
    assert aligned_chunks((1000, 1000, 3000)) == (1024, 3976)
    assert aligned_chunks((2100, 2100, 800)) == (2048, 2048, 904)
    assert aligned_chunks((1024, 1024, 10)) == (1024, 1024, 10)
    assert aligned_chunks((500, 500, 500)) == (1500,)
    assert aligned_chunks((5000,)) == (5000,)


def test_merge_tree_is_exact():
    rng = np.random.default_rng(3)
    keys = rng.exponential(size=400).round(2)  # ties on the key: the row breaks them
    rows = rng.permutation(400)
    cands = [{"keys": keys[i::13], "rows": rows[i::13], "n_positive": 31} for i in range(13)]
    want = merge_smallest(cands, 50)
    engine = LocalEngine(np.zeros((1, 1)), None, [1])
    got = merge_tree(engine, cands, 50, fan_in=2)
    np.testing.assert_array_equal(got["rows"], want["rows"])
    order = np.lexsort((rows, keys))[:50]
    np.testing.assert_array_equal(got["rows"], rows[order])
    assert got["n_positive"] == 13 * 31


def test_subsample_rows_match_kmeans(X):
    engine = LocalEngine(X, None, [1024, 1024, 2048, 904])
    rows = subsample_rows(engine, K * M, 11)
    np.testing.assert_array_equal(rows, coresample.KMeans(K)._subsample(N, K * M, 11, 0))


def test_kernels_driven_by_hand(X):
    """The partition kernels driven by a plain loop (what any driver does), with the
    representatives taken from the single-machine call."""
    ref = coresample.select(X, B, n_clusters=K, max_points_per_center=M, random_state=6,
                            replace=False, design="sensitivity")
    reps = X[ref.representatives]
    edges = [0, 2048, 3072, N]
    parts = [Kn.assign_partition(X[a:b], a, reps, 2.0, None, N, 1)
             for a, b in zip(edges[:-1], edges[1:])]
    summ = [Kn.assign_summary(p, K) for p in parts]
    phi = blocked_total([s["phi_blocks"] for s in summ])
    assert phi == ref.inertia
    sizes = np.sum([s["counts"] for s in summ], axis=0)
    spec = dict(lam=1.0, center_losses=None, method="lightweight", a=1.0 * phi / N, sizes=sizes,
                phi=phi, U=float(N), seed=6, budget=B, backend="core", defensive=DEFENSIVE)
    spec["S"] = blocked_total([Kn.mass_blocks(p, spec) for p in parts])
    top = merge_smallest([Kn.sample_candidates(p, spec) for p in parts], B + 1)
    np.testing.assert_array_equal(top["rows"][:B], ref.indices)
    assert inverse_inclusion(top["p"][:B], top["keys"][B]).tobytes() == ref.weights.tobytes()


def test_masses_are_the_backends_formula(X, u):
    """The kernels' masses are the backend's (the formula exists once per backend): the core's
    and the reference's agree with p = m / S from `sensitivities` on every method."""
    sel = coresample.select(X, B, n_clusters=K, random_state=1, sample_weight=u,
                            design="sensitivity")
    sizes = sel.cluster_weights
    for center_losses, method in [(None, "lightweight"), (None, "coreset"), (np.arange(K) + 0.5, "lightweight")]:
        p = coresample.sensitivities(sel.cost, sel.labels, center_losses, 0.7, u, method=method,
                                     n_clusters=K, defensive=0.0)
        phi = float(u @ sel.cost)
        a = 0.7 * sel.inertia / sel.total_weight
        part = {"cost": sel.cost, "labels": sel.labels, "u": u}
        for name in ("core", "reference"):
            spec = dict(lam=0.7, center_losses=center_losses, method=method, a=a, sizes=sizes,
                        phi=sel.inertia if method == "coreset" else phi, backend=name)
            m = Kn.masses(part, spec)
            np.testing.assert_allclose(m / m.sum(), p, rtol=1e-12, err_msg=(name, method))



def local_evaluate(chunks):
    """evaluate on LocalEngine with `chunks`, through the engines' runner."""
    from coresample._engine.evaluate import evaluate_runner
    from coresample._algorithm.api import bind
    from coresample._algorithm import evaluate as ev

    return bind(ev.evaluate, evaluate_runner(lambda X, u: LocalEngine(X, u, cover(chunks, N))),
                __name__)


@pytest.mark.parametrize("chunks", [(1024,), (700, 2300, 1000, 1000), (5000,)])
@pytest.mark.parametrize("extra", [
    dict(rtol=0.05),
    dict(max_queries=400, batch=37, weights=True),
    dict(rtol=0.02, strata=True, proxy=True, interval="anytime"),
    dict(atol=0.05, proxy=True, allocation="proportional", weights=True, strata=True),
    dict(max_queries=300, allocation="neyman", max_points_per_center=None),
])
def test_evaluate_matches_evaluate(X, u, chunks, extra):
    """Issue 16: evaluate through the engine plan gives coresample.evaluate's answer bit for bit
    (queries in the same order, the same estimate, interval and history) for any partitioning."""
    loss, kw = evaluation_case(X, u, **extra)
    asked = []

    def loss_fn(rows):
        asked.append(rows.copy())
        return loss[rows]

    ref = coresample.evaluate(X, loss_fn, **kw)
    n_ref = len(asked)
    if kw["max_points_per_center"] is None:  # the all-rows fit gathers the rows, and says so
        with pytest.warns(coresample.CopyWarning, match="all-rows fit"):
            got = local_evaluate(chunks)(X, loss_fn, **kw)
    else:
        got = local_evaluate(chunks)(X, loss_fn, **kw)
    assert_same_evaluation(got, ref)
    assert len(asked) == 2 * n_ref  # the same batches
    for a, b in zip(asked[:n_ref], asked[n_ref:]):
        np.testing.assert_array_equal(a, b)


def test_evaluate_on_an_engine_refuses_a_plan(X):
    run = local_evaluate((5000,))
    ref = coresample.evaluate(X, lambda r: np.ones(len(r)), n_clusters=K, rtol=0.1,
                              random_state=0, max_points_per_center=M)
    with pytest.raises(ValueError, match="plan= is not supported"):
        run(X, lambda r: np.ones(len(r)), plan=ref.plan)
    with pytest.raises(ValueError, match="needs n_clusters"):
        run(X, lambda r: np.ones(len(r)))
    with pytest.raises(TypeError, match="loss_fn must be callable"):
        run(X, None, n_clusters=K)
    with pytest.raises(ValueError, match="max_queries=1 is below"):
        run(X, lambda r: np.ones(len(r)), n_clusters=K, max_queries=1, max_points_per_center=M)

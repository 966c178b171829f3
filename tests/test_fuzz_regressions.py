"""One test per root cause the fuzzer found (tests/fuzzing/; docs/RELIABILITY.md), each in the
core and the reference where both have the entry point. The fuzz seeds themselves are replayed
by tests/test_fuzz.py."""
import numpy as np
import pytest

import coresample
import coresample.reference as reference
from coresample import _core, regression
from coresample._base.validation import MAX_DRAWS, max_threads_allowed

X = np.random.default_rng(0).normal(size=(60, 3))
IMPLS = pytest.mark.parametrize("impl", [coresample, reference], ids=["core", "reference"])


def test_huge_n_threads_is_capped_not_fatal():
    # libgomp exits the process when it cannot create the threads asked for.
    a = coresample.select(X, 10, n_clusters=3, random_state=0, n_threads=2**31)
    b = coresample.select(X, 10, n_clusters=3, random_state=0, n_threads=1)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert max_threads_allowed() >= 4


@IMPLS
def test_float16_fortran_input(impl):
    Xf = np.asfortranarray(X.astype(np.float16))
    with pytest.warns(coresample.CopyWarning):
        labels, _ = impl.assign(Xf, X[:2].astype(np.float32))
    assert labels.shape == (60,)


@IMPLS
def test_draws_are_bounded(impl):
    with pytest.raises(ValueError, match="size"):
        impl.sample(np.ones(10), 2**40)
    with pytest.raises(ValueError, match="budget"):
        impl.select(X, MAX_DRAWS + 1, n_clusters=2)


@IMPLS
def test_n_local_trials_at_most_n(impl):
    with pytest.raises(ValueError, match="n_local_trials"):
        impl.kmeans_plusplus(X, 3, n_local_trials=61)
    with pytest.raises(ValueError, match="n_local_trials"):
        _core.kmeans_plusplus(X, None, 3, 2.0, 1, 10**6, np.empty(3, np.int64), 1)


def test_sample_size_edges():
    with pytest.raises(ValueError, match="epsilon"):
        coresample.sample_size(1e-200)
    with pytest.raises(ValueError, match="delta"):
        coresample.sample_size(0.5, delta=1.0)
    assert coresample.sample_size(0.5, delta=1e-300) > coresample.sample_size(0.5)


def test_estimate_edges():
    with pytest.raises(ValueError, match="confidence"):
        coresample.estimate(np.ones(3), np.ones(3), 3.0, confidence=1.0)
    with pytest.raises(ValueError, match="weights"):
        coresample.estimate([1.0, 2.0], [1e-300, 1e-300], 1e6, self_normalized=True)
    with pytest.raises(ValueError, match="sample_weight"):
        coresample.estimate(np.ones(2), np.ones(2), 2.0, replace=False, sample_weight=[-1.0, 1.0])
    with pytest.raises(ValueError, match=r"weights\[0\].*below sample_weight\[0\]"):
        coresample.estimate(np.ones(2), [1.0, 3.0], 2.0, replace=False, sample_weight=[2.0, 1.0])
    with pytest.raises(ValueError, match="sample_weight must have length 2"):
        coresample.estimate(np.ones(2), np.ones(2), 2.0, sample_weight=np.ones(3))


@IMPLS
def test_centers_that_do_not_fit_the_dtype(impl):
    with pytest.raises(ValueError, match="centers"):
        impl.assign(X.astype(np.float32), np.array([[1e300, 0.0, 0.0]]))
    km = impl.KMeans(2, random_state=0).fit(X * 1e150)
    with pytest.raises(ValueError, match="X: the fitted centers do not fit"):
        km.predict(X.astype(np.float32))


@IMPLS
def test_costs_that_overflow_double(impl):
    with pytest.raises(ValueError, match="z"):
        impl.select(X * 1e30, 5, n_clusters=2, z=64.0)
    with pytest.raises(ValueError, match="sample_weight"):
        impl.KMeans(2, z=1.0, random_state=0).fit(X, sample_weight=np.full(60, 1e299))
    with pytest.raises(ValueError, match="sample_weight"):
        impl.select(X, 5, n_clusters=2, sample_weight=np.full(60, 1e305))


@IMPLS
def test_tiny_centers_against_zero_rows(impl):
    # Every squared distance would underflow float32: refused, not a wrong label.
    with pytest.raises(ValueError, match="X and centers have values only up to"):
        impl.assign(np.zeros((5, 2), np.float32), np.array([[1e-38, 0.0], [3e-40, 1e-39]]))


@IMPLS
def test_losses_must_be_real_numbers(impl):
    with pytest.raises(TypeError, match="real numbers"):
        impl.estimate_lam(np.eye(3), np.array([1 + 2j, 0, 1]))
    with pytest.raises(TypeError, match="loss_fn"):
        impl.select(X, 5, n_clusters=2, loss_fn=lambda rows: rows.astype(object))


def test_reference_kmeans_plusplus_with_infinite_potentials():
    # Every trial's potential inf (weights times costs overflow): the first trial is kept.
    Y = np.array([[1e150, 0.0], [-1e150, 0.0], [0.0, 1e150], [0.0, 0.0]])
    with pytest.raises(ValueError, match="sample_weight"):
        reference.kmeans_plusplus(Y, 3, sample_weight=np.full(4, 1e300), random_state=0)


def test_zero_column_and_empty_shards():
    with pytest.raises(ValueError, match="at least one column"):
        coresample.Shards([np.ones((40, 0), np.float32)])
    with pytest.raises(ValueError, match="no rows"):
        coresample.Shards([np.ones((0, 3), np.float32)])


@IMPLS
def test_adaptive_budget_against_positive_weights(impl):
    u = np.r_[np.ones(47), np.zeros(13)]
    with pytest.raises(ValueError, match="budget=50 must be <= the number of rows with positive sample_weight"):
        impl.select_adaptive(X, 50, n_clusters=2, score_fn=lambda r, w: np.ones(60),
                             sample_weight=u, warm_start=0.5)


def test_uncertainty_scores_check_method_first_in_both():
    for impl in (coresample, reference):
        with pytest.raises(ValueError, match="method"):
            impl.baselines.uncertainty_scores(np.ones((3, 2), dtype=object), "magic")


@pytest.mark.parametrize("method", ["leverage", "approx_leverage", "cluster"])
def test_rank_zero_design_gives_uniform_probabilities(method):
    p = regression.row_probabilities(np.zeros((40, 3)), np.ones(40), method=method, n_clusters=4)
    np.testing.assert_allclose(p, 1 / 40)


# ---- issue 15: findings of fresh-seed runs ------------------------------------------------------


@IMPLS
@pytest.mark.parametrize("layout", ["c", "strided", "float16"])
@pytest.mark.filterwarnings("ignore::coresample.CopyWarning")
def test_cost_overflow_refused_alike_for_out_of_core_input(impl, layout):
    # Seeds 777070770, 777095466: a strided X (read in blocks, not scanned up front) skipped the
    # up-front check_cost_scale, and the only check was on the total cost after the clustering,
    # which the core and the reference may tie-break differently (k = n with a 1e30 column: the
    # reference found every row its own representative, Phi = 0, the core did not, Phi = inf).
    # Every layout is now refused before the fit (all-rows fit) or after the pass that reads
    # every row (subsample fit), with the in-memory array's message.
    rng = np.random.default_rng(5)
    scale = np.array([1e-2, 1.0, 2e4] if layout == "float16" else [1e-30, 1.0, 1e30])
    Y = np.clip(rng.normal(size=(100, 3)), -3, 3) * scale
    if layout == "strided":
        Y = np.repeat(Y, 2, axis=0)[::2]
    elif layout == "float16":
        Y = Y.astype(np.float16)
    with pytest.raises(ValueError, match=r"X's costs \(distance\^z with z=64.*would overflow"):
        impl.select(Y, 10, n_clusters=100, z=64.0, design="sensitivity", random_state=0)
    # A subsample fit of rows of magnitude 1, and one row far out that only the full pass reads.
    W = rng.normal(size=(300, 2))
    W[7] = 1e30
    W = np.repeat(W, 2, axis=0)[::2]
    with pytest.raises(ValueError, match=r"X's costs \(distance\^z with z=64.*would overflow"):
        impl.select(W, 10, n_clusters=2, z=64.0, max_points_per_center=2, random_state=0)
    # Weights: the sums of u * cost, whatever the representatives.
    V = rng.choice([-1e38, 1e38, 0.0, 1.0], size=(257, 5))
    u = rng.uniform(0.5, 1.0, size=257) * 1e300
    for X_ in (V, np.asfortranarray(V)):
        with pytest.raises(ValueError, match="sample_weight sums to 1.9e"):
            impl.select(X_, 10, n_clusters=256, sample_weight=u, random_state=0)


@IMPLS
def test_vectors_shortened_alike_are_a_valid_call(impl, tmp_path):
    # Seeds 777068470, 777078214, 777099424, 777224668, 777289579 (estimate) and 777276410,
    # 777284915, 777294974 (sensitivities): the harness made losses and weights (cost and labels)
    # one shorter or longer *both*, and called the consistent call invalid. A harness mistake:
    # lengths are judged against each other now (fuzzing/inputs.py, Ctx.settle_lengths).
    est = impl.estimate(np.array([0.0]), np.array([1.0]), 3)
    assert est.total == 0.0 and np.isnan(est.stderr)  # one i.i.d. draw has no spread to estimate
    assert np.isfinite(impl.estimate(np.array([0.0]), np.array([1.0]), 3, replace=False).stderr)
    p = impl.sensitivities(np.array([2.0, 2.0, 3.0, 2.0]), np.zeros(4, np.int64), n_clusters=1)
    assert p.shape == (4,) and abs(p.sum() - 1.0) < 1e-12
    import fuzzing
    for seed in (777068470, 777078214, 777276410, 777294974):
        case = fuzzing.build_case(seed, str(tmp_path))
        assert not case.bad, (seed, case.bad)
        assert fuzzing.run_case(seed, str(tmp_path))["status"] == "OK"


# Seed 777093221's data (select_adaptive): 17 float32 rows in two groups, several rows closer
# together than float32's ranking of ||c||^2 - 2 x.c can resolve.
ADAPTIVE_ROWS = np.array([-4.948984, -4.9023104, -4.950484, 7.534499, -4.8944488, -4.992801,
                          -4.9003725, 7.657844, 7.6246266, 7.544149, -4.8727136, -4.910061,
                          -4.9303303, -4.940406, -4.8931947, -4.9710217, 7.567299],
                         dtype=np.float32)[:, None]


@IMPLS
def test_adaptive_rounds_give_every_row_left_a_positive_probability(impl):
    # Seeds 777093221, 777117875: with the paper's distribution (defensive=0), zero scores and
    # k = n, p was positive only on the rows that do not coincide with their representative; which
    # rows those are depends on the clustering's float32 near-ties, so the core refused a round's
    # budget ("budget=2 must be <= the number of rows with positive probability (1)") that the
    # reference accepted (13 rows). The defensive share (p >= a u / U on every row of positive
    # weight) removed the cause: the up-front check against rows of positive sample_weight is then
    # the only one. (With defensive=0 passed explicitly the feasibility still follows the
    # clustering: a documented tie, docs/RELIABILITY.md.)
    for rounds, budget, k in ((3, 8, 17), (1, 9, 16)):
        sel = impl.select_adaptive(ADAPTIVE_ROWS, budget, n_clusters=k, rounds=rounds,
                                   score_fn=lambda rows, w: np.zeros(17), warm_start=0.5,
                                   random_state=np.random.default_rng(326))
        assert len(np.unique(sel.indices)) == budget
        for s in sel.selections:
            left = s.sample_weight > 0
            assert (s.probabilities[left] > 0).all() and (s.probabilities[~left] == 0).all()


@IMPLS
def test_adaptive_rounds_keep_the_sample_weights_they_drew_with(impl):
    # Found by the positivity invariant above: each round's Selection held select_adaptive's own
    # `left` array as its sample_weight, which later rounds (and the last round itself) zeroed at
    # the sampled rows; estimate_from on a returned round then used u = 0 for its draws (its
    # stderr 0.479 instead of the round's 0.425 in this case).
    X2 = np.random.default_rng(0).normal(size=(300, 3))
    loss = (X2**2).sum(axis=1)
    sel = impl.select_adaptive(X2, 60, n_clusters=5, score_fn=lambda r, w: loss, rounds=2,
                               random_state=0)
    for s in sel.selections:
        assert (s.sample_weight[s.indices] == 1.0).all()
        est = s.estimate_from(loss[s.indices])
        assert est.mean == s.estimate and est.stderr == s.stderr


# ---- differences the harness wrongly called findings: ties (tests/fuzzing/ties.py) -------------


def test_assign_labels_are_free_within_the_dtypes_rounding():
    # Seeds 777170337, 777182412, 777191211, 777252300: float32 rows at 0 against float64
    # centers near 1e-38 (their squares underflow float32), and float32 rows 1e-3 apart: the
    # core's ranking in float32 cannot tell the centers apart, the reference's float64 one can,
    # and the costs differ by orders of magnitude (1e-76 against 8e-78) while both are 0 at the
    # data's scale. The harness compared the costs with rtol 1e-4, the wrong measure: it now
    # checks each side's labels against the rounding bound of its ranking dtype and each cost
    # against the direct cost to its label.
    from fuzzing import ties

    Xs = np.r_[np.zeros(5), np.linspace(0.5, 2.0, 20)].astype(np.float32)[:, None]
    C64 = np.array([[1.0184902679570919e-38], [-2.7950799961068783e-39]])
    C = C64.astype(np.float32)  # what both backends compute with
    for impl, dtype in ((coresample, np.float32), (reference, np.float64)):
        labels, cost = impl.assign(Xs, C64)
        assert ties.check_assignment(Xs, C, 2.0, labels, cost, dtype, impl.__name__) is None
    labels, cost = coresample.assign(Xs, C64)
    assert not np.array_equal(labels, reference.assign(Xs, C64)[0])  # the tie itself
    far = np.array([[0.0], [5.0]], np.float32)  # no tie: a wrong label or cost is caught
    labels, cost = coresample.assign(Xs, far)
    assert ties.check_assignment(Xs, far, 2.0, 1 - labels, cost, np.float32, "x") is not None
    assert ties.check_assignment(Xs, far, 2.0, labels, cost * 1.001, np.float32, "x") is not None


def test_two_member_clusters_tie_their_representatives():
    # Seeds 777072955 (lam=1e300) and 777183646: "well-separated blobs" still make clusters of
    # two rows, whose center (their mean, or the Weiszfeld point for z = 1.5) is equidistant from
    # both in exact arithmetic; the last bit of the center picks the representative, and the
    # core's and the reference's centers differ there (ARCHITECTURE section 4). The harness now
    # replays the clustering (ties.check_select) instead of requiring equal indices.
    from fuzzing import ties

    X1 = np.array([-7.821651090885595, -7.86997400474231, -4.351908084206426, -7.911165080974593,
                   -4.277977402489133, -4.340632766378056, -7.930248984360577,
                   -7.959098759398778])[:, None]
    kw = dict(n_clusters=3, replace=False, z=1.5, lam=1e300, init="k-means++", random_state=1,
              design="sensitivity")
    a, b = coresample.select(X1, 4, **kw), reference.select(X1, 4, **kw)
    assert sorted(a.representatives) != sorted(b.representatives)  # rows 0 and 1 tie
    np.testing.assert_allclose(a.centers, b.centers, rtol=1e-15)
    assert ties.check_select(X1, 4, kw, a, b) is None
    wrong = a.representatives.copy()
    wrong[np.argmax(a.representatives != b.representatives)] = 3  # no tie: a farther member
    assert ties.check_snap_ties(X1, a.centers, b.centers, wrong, b.representatives) is not None


def test_lloyd_ties_are_replayed_step_by_step(tmp_path, monkeypatch):
    # Seed 20261205232150: select with z = 1, k = 99 and 39 of 100 rows of zero weight. Lloyd
    # leaves two centers a last bit apart on one row, so a row at distance 1e-31 from both may
    # take either label (the rank slack); the runs then drift apart. ties.check_lloyd replays
    # the core's iterations against the reference's step from the same centers and accepts the
    # first difference only if it is such a tie.
    from fuzzing import ties
    from fuzzing.generators import build_case

    from coresample.core.kmeans import KMeans as CoreKMeans

    case = build_case(20261205232150, str(tmp_path))
    X, kwargs = case.data["X"], case.data["kwargs"]
    a, b = coresample.select(X, 300, **kwargs()), reference.select(X, 300, **kwargs())
    assert not np.allclose(a.centers, b.centers)
    assert ties.check_select(X, 300, kwargs(), a, b) is None

    # A planted bug: a core whose Lloyd moves every center after the first step is no tie.
    plain = CoreKMeans._lloyd

    def drifting(self, X, u, centers, z, max_iter, tol, nt):
        out = plain(self, X, u, centers, z, max_iter, tol, nt)
        if max_iter >= 2:
            centers += 1e-6
        return out

    monkeypatch.setattr(CoreKMeans, "_lloyd", drifting)
    a = coresample.select(X, 300, **kwargs())
    assert "not a tie" in ties.check_select(X, 300, kwargs(), a, b)


def test_empty_clusters_move_to_rows_whose_costs_tie():
    # One step from centers 0 and 100 on rows 0, 1, 5, -5: every row joins center 0, so center 1
    # is empty and moves to the row of largest cost, 5 (index 2) in the reference. Row -5
    # (index 3) costs the same: a tie. Row 1 costs 1, not 25: a bug. So is a full center moved.
    from fuzzing import ties

    X = np.array([[0.0], [1.0], [5.0], [-5.0]])
    prev = np.array([[0.0], [100.0]])
    labels, w = np.zeros(4, dtype=np.int64), np.ones(4)
    want = np.array([[0.25], [5.0]])

    def check(cur):
        differ = np.flatnonzero(np.any(cur != want, axis=1))
        return ties._relocation_tie(X, w, labels, prev, cur, want, 2.0, differ, 1)

    assert check(np.array([[0.25], [-5.0]])) is None
    assert "no tie" in check(np.array([[0.25], [1.0]]))
    assert "not a tie" in check(np.array([[0.5], [5.0]]))
    assert "no data row" in check(np.array([[0.25], [4.0]]))


def test_k_center_and_plusplus_ties_are_replayed(tmp_path):
    # Seeds 913021614, 913024827, 913050951, 913054836 (k_center_greedy on rows of integer
    # multiples of 1e-45: exact distance ties everywhere), 913008279 (values in {0, 1, +-1e150})
    # and 913051739 (k-means++, 63 centers of 64 rows: two trials with potentials equal to
    # rounding). The harness replays the core's picks exactly (ties.check_k_center and
    # check_plusplus) and counts a verified tie, not a finding; a wrong pick is still caught.
    import fuzzing
    from coresample._algorithm.kmeans import default_local_trials
    from fuzzing import ties

    for seed in (913021614, 913008279, 913051739):
        r = fuzzing.run_case(seed, str(tmp_path))
        assert r["status"] == "OK" and r.get("tie"), (seed, r)
    Y = np.random.default_rng(1).normal(size=(120, 4))
    sel = coresample.baselines.k_center_greedy(Y, 20, random_state=3)
    first = int(sel.indices[0])
    assert ties.check_k_center(Y, sel.indices, None, first, sel.labels, sel.cost) is None
    swapped = sel.indices.copy()
    swapped[[5, 6]] = swapped[[6, 5]]
    assert ties.check_k_center(Y, swapped, None, first, sel.labels, sel.cost) is not None
    idx = coresample.kmeans_plusplus(Y, 15, random_state=4)
    L = default_local_trials(15)
    assert ties.check_plusplus(Y, None, 2.0, 4, L, idx) is None
    idx[7] = np.setdiff1d(np.arange(120), idx)[0]
    assert ties.check_plusplus(Y, None, 2.0, 4, L, idx) is not None


# ---- findings of the designs' entry (tests/fuzzing/gen_designs.py) ------------------------------


@IMPLS
def test_neyman_spread_that_overflows_is_refused(impl):
    # A proxy near 1e300 (or costs near 1e200) squared to inf in the Neyman half of the
    # allocation: the shares were NaN and the allocation arbitrary, without an error (fuzz,
    # designs entry; evaluate's saved Plan had NaN shares). Refused now, naming what to scale, in
    # select, evaluate and the engines' plan alike.
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(257, 3))
    proxy = rng.uniform(0.5, 1.0, size=257) * 1e300
    ones = lambda rows: np.ones(len(rows))  # noqa: E731
    with pytest.raises(ValueError, match=r"spread of proxy= .*scale proxy down"):
        impl.evaluate(Y, ones, n_clusters=1, strata=np.arange(257) % 3, proxy=proxy,
                      random_state=1, max_queries=20)
    with pytest.raises(ValueError, match=r"spread of proxy= .*scale proxy down"):
        impl.select(Y, 20, n_clusters=3, proxy=proxy, loss_fn=ones, random_state=0)
    with pytest.raises(ValueError, match=r"spread of the rows' costs .*scale X down"):
        impl.select(Y * 1e100, 20, n_clusters=3, allocation="neyman", random_state=0)
    sel = impl.select(Y, 20, n_clusters=3, proxy=proxy * 1e-290, loss_fn=ones, random_state=0)
    assert np.isfinite(sel.estimate)


def test_neyman_spread_that_overflows_is_refused_by_the_engines():
    from coresample._algorithm.options import SelectOptions
    from coresample._engine.engine import LocalEngine
    from coresample._engine.plan import run_select
    from coresample._engine.result import EngineSelection
    from coresample.core.select import BACKEND

    Y = np.random.default_rng(0).normal(size=(3000, 3)) * 1e100
    opts = SelectOptions.resolve(3000, 3, budget=20, n_clusters=3, z=2.0, lam=1.0, loss_fn=None,
                                 replace="auto", method="lightweight", defensive=0.2,
                                 design="stratified", allocation="neyman", estimator="auto",
                                 init="auto", max_iter=20, tol=1e-4, max_points_per_center=8,
                                 random_state=0, n_threads=None)
    engine = LocalEngine(Y, None, [1024, 1024, 952])
    with pytest.raises(ValueError, match=r"spread of the rows' costs .*scale X down"):
        run_select(engine, BACKEND, opts, EngineSelection, None, None)


@IMPLS
def test_evaluate_names_loss_fn_when_its_estimate_overflows(impl):
    # evaluate passed the stratified estimator's internal message on ("weights: the estimate
    # or its variance overflows double"): the user passed no weights. Named like select's.
    Y = np.random.default_rng(0).normal(size=(200, 2))
    with pytest.raises(ValueError, match="losses from loss_fn up to 1e.300.*scale loss_fn"):
        impl.evaluate(Y, lambda rows: np.full(len(rows), 1e300), n_clusters=3, max_queries=30,
                      random_state=0)
    with pytest.raises(ValueError, match="or sample_weight down"):
        impl.evaluate(Y, lambda rows: np.ones(len(rows)), n_clusters=3, max_queries=30,
                      sample_weight=np.full(200, 1e200), random_state=0)


@pytest.mark.filterwarnings("ignore::coresample.CopyWarning")
def test_engines_resolve_replace_auto_against_the_rows_of_positive_weight():
    # The engines' runner (coresample.dask / coresample.ray, plan.runner) resolved
    # replace="auto" without the sample weights, so it counted all n rows: with 20 of 40 rows
    # of weight 0 and budget 30 it drew distinct rows and refused ("budget=30 exceeds the rows
    # the strata hold (20)") where select draws with replacement. Found by the designs entry of
    # the fuzz harness, which now runs the engine plan beside select on every case.
    import inspect

    from coresample._engine.engine import LocalEngine
    from coresample._engine.plan import runner
    from coresample._engine.result import EngineSelection

    Y = np.random.default_rng(0).normal(size=(40, 3))
    u = np.r_[np.ones(20), np.zeros(20)]
    run = runner(lambda X_, u_: LocalEngine(X_, u_, [40]), EngineSelection)
    bound = inspect.signature(coresample.select).bind(Y, 30, n_clusters=3, sample_weight=u,
                                                      random_state=0)
    bound.apply_defaults()
    got = run(**bound.arguments)
    want = coresample.select(Y, 30, n_clusters=3, sample_weight=u, random_state=0)
    assert got.replace and want.replace
    np.testing.assert_array_equal(got.indices, want.indices)
    assert got.weights.tobytes() == want.weights.tobytes()


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # the core's np.var
def test_reference_estimate_refuses_overflow_like_the_core():
    # The new independent reference.estimate squared with Python's ** (OverflowError) where the
    # core's NumPy gives inf and refuses with ValueError: 7% of the fuzz's estimate cases.
    losses = np.array([-1.0, 5.6e299, 5.8e299, 7.8e299, 7.8e299])
    for impl in (coresample, reference):
        with pytest.raises(ValueError, match="overflows double"):
            impl.estimate(losses, np.ones(5), 3)
        with pytest.raises(ValueError, match="overflows double"):
            impl.estimate(np.ones(2), np.full(2, 1e-300), 1e308, self_normalized=True)


def test_evaluate_refuses_costs_that_would_overflow_before_fitting(impl):
    # Seed 20261204089410: evaluate skipped select's up-front check_cost_scale, so with z = 50 on
    # rows near 1e30 the core refused after its fit (the costs summed to inf) while the
    # reference's fit happened to put every row on its own representative and went on.
    X = np.array([[0, 0, 1e29], [0, 1, 5e29], [0, 2, -1e30], [1, 0, 3e30]])
    with pytest.raises(ValueError, match="would overflow double when summed"):
        impl.evaluate(X, lambda rows: np.ones(len(rows)), n_clusters=2, z=50.0, random_state=0)

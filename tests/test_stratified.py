"""The stratified design (select's default), its estimators and `evaluate` (issue 14).

Hand-worked values, core == reference on the draws, exact unbiasedness and variance calibration
against the design's exact variance over 400 seeds, the proxy's control variate, bad input, and
evaluate's stopping, plans and Ctrl-C."""
import numpy as np
import pytest

import coresample
import coresample.reference as reference
from coresample._algorithm.strata import allocate
from coresample._base.stratified import stratified_estimate
from conftest import blobs

IMPLS = pytest.mark.parametrize("impl", [coresample, reference], ids=["core", "reference"])


def task(n=1200, seed=0):
    X, truth = blobs(n, 4, 6, seed=seed)
    rng = np.random.default_rng(seed)
    loss = (truth + 1.0) * (1.0 + 0.5 * rng.random(n))  # loss tracks the cluster, plus noise
    return X, loss


# --- the estimator by hand ---------------------------------------------------------------------


def test_stratified_estimate_by_hand():
    """Strata of 4 and 6 rows, 2 and 3 drawn: tbar = (2, 3), total 4*2 + 6*3 = 26; s^2 = (2, 3);
    without replacement c = N^2 (1 - f) / n = (4, 6) so var = 4*2 + 6*3 = 26; with, c = (8, 12)
    and var = 52."""
    y = np.array([1.0, 3.0, 2.0, 2.0, 5.0])
    h = np.array([0, 0, 1, 1, 1])
    N, n = np.array([4, 6]), np.array([2, 3])
    est = stratified_estimate(y, h, N, n, 10.0, replace=False)
    assert est.total == 26.0 and est.mean == 2.6
    assert est.stderr == pytest.approx(np.sqrt(26.0) / 10.0, rel=1e-14)
    assert est.ci[1] - est.mean == pytest.approx(1.959963984540054 * np.sqrt(26.0) / 10.0)
    est = stratified_estimate(y, h, N, n, 10.0, replace=True)
    assert est.stderr == pytest.approx(np.sqrt(52.0) / 10.0, rel=1e-14)
    # A census stratum (n = N) adds no variance; a sampled stratum of one draw has none to give.
    est = stratified_estimate(y, h, np.array([2, 6]), n, 8.0, replace=False)
    assert est.stderr == pytest.approx(np.sqrt(6 * 3.0) / 8.0)
    assert np.isnan(stratified_estimate(y[:3], h[:3], N, np.array([2, 1]), 10.0,
                                        replace=False).stderr)


def test_regression_estimator_is_exact_for_a_linear_proxy():
    """l = 3 g: the control variate removes all variance; the estimate is the known 3 G / N."""
    y = np.array([3.0, 6.0, 9.0, 12.0, 3.0])
    g = y / 3.0
    h = np.array([0, 0, 1, 1, 1])
    est = stratified_estimate(y, h, np.array([5, 5]), np.array([2, 3]), 10.0, replace=False,
                              control=g, control_total=17.0)
    assert est.mean == pytest.approx(3 * 17.0 / 10.0, rel=1e-14)
    assert est.stderr == pytest.approx(0.0, abs=1e-12)


def test_selection_weights_and_probabilities():
    X, loss = task()
    sel = coresample.select(X, 120, n_clusters=6, random_state=1)
    assert sel.design == "stratified" and not sel.replace  # replace="auto": distinct rows
    assert len(np.unique(sel.indices)) == 120 and sel.allocation.sum() == 120
    h = sel.strata[sel.indices]
    np.testing.assert_array_equal(sel.weights, sel.stratum_sizes[h] / sel.allocation[h])
    np.testing.assert_allclose(sel.probabilities.sum(), 1.0)
    np.testing.assert_allclose(sel.weights, 1.0 / (120 * sel.probabilities[sel.indices]))
    assert (np.bincount(h, minlength=len(sel.allocation)) == sel.allocation).all()
    assert (sel.allocation >= 2).all()


def test_allocation_is_nested_and_proportional():
    shares = np.array([5.0, 1.0, 3.0, 0.5])
    sizes = np.array([50, 10, 30, 5])
    prev = allocate(shares, sizes, 8)
    for s in range(9, 96):
        cur = allocate(shares, sizes, s)
        assert cur.sum() == s and (cur >= prev).all() and (cur <= sizes).all()
        prev = cur
    np.testing.assert_array_equal(allocate(shares, sizes, 38), [20, 4, 12, 2])  # the quotas 38 w / 9.5
    np.testing.assert_array_equal(allocate(shares, sizes, 9), [3, 2, 2, 2])  # two each first
    with pytest.raises(ValueError, match="budget=96 exceeds"):
        allocate(shares, sizes, 96)


# --- core and reference draw the same rows ----------------------------------------------------


@pytest.mark.parametrize("kw", [
    dict(), dict(replace=True), dict(sample_weight="u"), dict(sample_weight="u", replace=True),
    dict(strata="g"), dict(proxy="p"), dict(proxy="p", allocation="proportional"),
    dict(budget=9), dict(strata="g", proxy="p", replace=True),
], ids=["default", "with", "u", "u_with", "strata", "proxy", "proxy_prop", "grouped", "all"])
def test_core_and_reference_draw_the_same_rows(kw):
    X, loss = task(seed=2)
    rng = np.random.default_rng(5)
    kw = dict(kw)
    extra = {"u": rng.integers(0, 4, X.shape[0]).astype(float), "g": np.arange(X.shape[0]) % 3,
             "p": loss * rng.uniform(0.5, 1.5, X.shape[0])}
    kw = {k: extra.get(v, v) if isinstance(v, str) else v for k, v in kw.items()}
    budget = kw.pop("budget", 90)
    args = dict(n_clusters=6, random_state=4, loss_fn=lambda i: loss[i], max_points_per_center=50)
    a = coresample.select(X.astype(np.float64), budget, **args, **kw)
    b = reference.select(X.astype(np.float64), budget, **args, **kw)
    np.testing.assert_array_equal(a.strata, b.strata)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert a.weights.tobytes() == b.weights.tobytes()
    assert a.estimate == b.estimate and a.stderr == b.stderr


# --- unbiased, and the standard error is right -------------------------------------------------


def exact_variance(pop, codes, sizes, alloc, replace):
    """The design's exact variance of the stratified total, from the population (Cochran 5.3)."""
    var = 0.0
    for h in range(len(sizes)):
        y = pop[codes == h]
        S2 = y.var(ddof=0 if replace else 1)
        f = 0.0 if replace else alloc[h] / sizes[h]
        var += sizes[h] ** 2 * (1 - f) * S2 / alloc[h]
    return var


@pytest.mark.parametrize("replace", [True, False], ids=["with", "without"])
def test_unbiased_and_calibrated_on_a_zero_one_loss(replace):
    """400 seeds on a 0-1 loss, a fifth of the rows drawn: the mean estimate is within 4 standard
    errors of the truth (a planted N_h / (n_h + 1) weight is 5 sigma off), and the mean reported
    variance and the seeds' spread both match the exact design variance within 15% (a dropped
    finite-population factor is off by 25%, ddof=0 by 10-20% at these stratum sizes)."""
    X, _ = blobs(600, 3, 5, seed=3)
    loss = (np.random.default_rng(1).random(600) < 0.25 + 0.1 * (X[:, 0] > 0)).astype(float)
    truth = loss.mean()
    est, var = [], []
    first = None
    for seed in range(400):
        sel = coresample.select(X, 120, n_clusters=5, random_state=seed, replace=replace,
                                loss_fn=lambda i: loss[i], max_iter=5)
        first = first or sel
        est.append(sel.estimate)
        var.append(sel.stderr**2)
    est = np.array(est)
    exact = exact_variance(loss, first.strata, first.stratum_sizes, first.allocation, replace)
    exact /= 600.0**2
    assert abs(est.mean() - truth) < 4 * np.sqrt(exact / 400)
    assert 0.85 < np.mean(var) / exact < 1.15
    assert 0.85 < est.var(ddof=1) / exact < 1.15


def test_proxy_control_variate_tightens_and_stays_valid():
    """A proxy correlated with the loss cuts the error; a useless one costs almost nothing; the
    95% intervals cover in 90-99% of 300 seeds either way."""
    X, loss = task(n=3000, seed=4)
    rng = np.random.default_rng(0)
    good = loss * rng.uniform(0.95, 1.05, loss.shape[0])
    bad = rng.random(loss.shape[0])
    errs = {"none": [], "good": [], "bad": []}
    cover = {"good": 0, "bad": 0}
    for seed in range(300):
        for name, proxy in (("none", None), ("good", good), ("bad", bad)):
            sel = coresample.select(X, 100, n_clusters=6, random_state=seed, proxy=proxy,
                                    loss_fn=lambda i: loss[i], max_iter=5)
            errs[name].append(sel.estimate - loss.mean())
            if name in cover:
                cover[name] += sel.ci[0] <= loss.mean() <= sel.ci[1]
    rmse = {k: np.sqrt(np.mean(np.square(v))) for k, v in errs.items()}
    assert rmse["good"] < 0.6 * rmse["none"]
    assert rmse["bad"] < 1.1 * rmse["none"]
    assert abs(np.mean(errs["good"])) < 4 * np.std(errs["good"]) / np.sqrt(300)
    for name in cover:
        assert 0.90 <= cover[name] / 300 <= 0.99, name


# --- bad input ---------------------------------------------------------------------------------


@IMPLS
@pytest.mark.parametrize("kw,match", [
    (dict(strata=np.zeros(10)), "strata must be a 1-D array of length n_samples=300"),
    (dict(strata=np.r_[np.zeros(299), np.nan]), "strata contains NaN"),
    (dict(strata=np.r_[np.zeros(299), 1]), "group 1.0 has one row"),
    (dict(strata=np.arange(300) % 40), "strata has 40 groups.*budget must be at least 80"),
    (dict(proxy=np.ones(10)), "proxy must be a 1-D array of length n_samples=300"),
    (dict(proxy=np.r_[np.ones(299), np.nan]), "proxy contains NaN"),
    (dict(proxy=np.r_[np.ones(299), -1.0]), "proxy must be non-negative"),
    (dict(estimator="regression"), "estimator='regression' needs a proxy"),
    (dict(estimator="difference", loss_fn=lambda i: np.ones(len(i))),
     "estimator='difference' uses the representatives"),
    (dict(strata=np.arange(300) % 2, design="sensitivity"), "strata= is used by design="),
    (dict(allocation="even"), "allocation='even' must be one of"),
    (dict(design="best"), "design='best' must be one of"),
    (dict(replace="sometimes"), "replace must be True, False or 'auto'"),
])
def test_bad_input_names_the_argument(impl, kw, match):
    X = np.random.default_rng(0).normal(size=(300, 3))
    with pytest.raises(ValueError, match=match):
        impl.select(X, 40, n_clusters=3, **kw)


# --- evaluate ----------------------------------------------------------------------------------


@IMPLS
def test_evaluate_stops_at_the_target_and_reuses_its_plan(impl, tmp_path):
    X, loss = task(n=4000, seed=6)
    ev = impl.evaluate(X, lambda i: loss[i], n_clusters=6, rtol=0.01, random_state=2)
    assert ev.stopped == "target" and ev.n_queries < 4000
    assert ev.ci[1] - ev.estimate <= 0.01 * ev.estimate
    assert ev.n_queries == len(np.unique(ev.indices)) == ev.strata_table["queried"].sum()
    assert [h["n_queries"] for h in ev.history] == sorted(h["n_queries"] for h in ev.history)
    path = str(tmp_path / "plan.npz")
    ev.plan.save(path)
    again = impl.evaluate(None, lambda i: loss[i], plan=path, rtol=0.01)
    np.testing.assert_array_equal(again.indices, ev.indices)
    assert again.estimate == ev.estimate
    # Another "model" on the same plan: a prefix of the same query order within each stratum.
    other = impl.evaluate(None, lambda i: 2 * loss[i], plan=coresample.Plan.load(path), rtol=0.05)
    assert set(other.indices) <= set(ev.indices) or set(ev.indices) <= set(other.indices)


def test_evaluate_core_equals_reference_and_census_is_exact():
    X, loss = task(n=500, seed=7)
    a = coresample.evaluate(X.astype(np.float64), lambda i: loss[i], n_clusters=4, rtol=0.02,
                            random_state=3)
    b = reference.evaluate(X.astype(np.float64), lambda i: loss[i], n_clusters=4, rtol=0.02,
                           random_state=3)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert a.estimate == b.estimate
    full = coresample.evaluate(X, lambda i: loss[i], n_clusters=4, random_state=3)
    assert full.stopped == "exhausted" and full.n_queries == 500
    assert full.estimate == pytest.approx(loss.mean(), rel=1e-12) and full.stderr == 0.0


def test_evaluate_keeps_what_was_queried_on_ctrl_c():
    X, loss = task(n=3000, seed=8)
    calls = []

    def loss_fn(rows):
        calls.append(len(rows))
        if len(calls) == 4:
            raise KeyboardInterrupt
        return loss[rows]

    ev = coresample.evaluate(X, loss_fn, n_clusters=6, rtol=1e-6, random_state=0)
    assert ev.stopped == "interrupted" and ev.n_queries == sum(calls[:3])
    assert np.isfinite(ev.estimate) and len(ev.history) == 3


@pytest.mark.parametrize("interval,low", [("fixed", 0.91), ("anytime", 0.95)])
def test_evaluate_covers_at_its_stopping_time(interval, low):
    """200 seeds, stopping at +-3%: the interval at the stopping time covers the truth in at
    least `low` of them (fixed: the nominal 95% up to the Chow-Robbins approximation; anytime:
    a confidence sequence covers at least its level)."""
    X, loss = task(n=3000, seed=9)
    cover, used = 0, []
    for seed in range(200):
        ev = coresample.evaluate(X, lambda i: loss[i], n_clusters=6, rtol=0.03, batch=20,
                                 random_state=seed, interval=interval, max_iter=5)
        cover += ev.ci[0] <= loss.mean() <= ev.ci[1]
        used.append(ev.n_queries)
    assert cover / 200 >= low
    assert np.mean(used) < 3000


def test_evaluate_bad_input():
    X, loss = task(n=300)
    with pytest.raises(TypeError, match="loss_fn must be callable"):
        coresample.evaluate(X, None, n_clusters=3)
    with pytest.raises(ValueError, match="evaluate needs n_clusters"):
        coresample.evaluate(X, lambda i: loss[i])
    with pytest.raises(ValueError, match="evaluate needs X"):
        coresample.evaluate(None, lambda i: loss[i], n_clusters=3)
    with pytest.raises(ValueError, match="interval='bayes' must be one of"):
        coresample.evaluate(X, lambda i: loss[i], n_clusters=3, interval="bayes")
    with pytest.raises(ValueError, match="max_queries=1 is below the 2 rows"):
        coresample.evaluate(X, lambda i: loss[i], n_clusters=3, max_queries=1)
    # A small max_queries merges the clusters into max_queries // 5 strata instead.
    ev = coresample.evaluate(X, lambda i: loss[i], n_clusters=3, max_queries=10, random_state=0)
    assert ev.n_queries == 10 and len(ev.strata_table["size"]) == 2


def test_evaluate_reads_shards_as_the_array_and_reports_progress():
    X, loss = task(n=2500, seed=10)
    X = X.astype(np.float32)
    parts = [X[:1000], X[1000:1700], X[1700:]]
    kw = dict(n_clusters=5, rtol=0.03, random_state=1, max_points_per_center=40)
    log = []
    a = coresample.evaluate(coresample.Shards(parts), lambda i: loss[i],
                            progress=lambda *e: log.append(e), **kw)
    b = coresample.evaluate(X, lambda i: loss[i], **kw)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert a.estimate == b.estimate
    steps = [e for e in log if e[0] == "evaluate"]
    assert [d for _, d, _ in steps] == [h["n_queries"] for h in a.history]
    assert all(t == 2500 for *_, t in steps)


def test_evaluate_skips_rows_of_zero_weight():
    X, loss = task(n=900, seed=11)
    u = np.where(np.arange(900) % 4 == 0, 0.0, 1.0)
    ev = coresample.evaluate(X, lambda i: loss[i], n_clusters=4, sample_weight=u, random_state=0)
    assert ev.stopped == "exhausted" and ev.n_queries == 675 and (u[ev.indices] > 0).all()
    assert ev.estimate == pytest.approx(loss[u > 0].mean(), rel=1e-12)


# --- post-stratification of the sensitivity design ----------------------------------------------


def test_poststratified_estimate_by_hand():
    X, loss = task(n=1500, seed=12)
    sel = coresample.select(X, 200, n_clusters=6, design="sensitivity", random_state=3,
                            replace=False, estimator="poststratified", loss_fn=lambda i: loss[i])
    y, w, c = loss[sel.indices], sel.weights, sel.labels[sel.indices]
    ybar = np.array([np.sum(w[c == h] * y[c == h]) / np.sum(w[c == h]) for h in range(6)])
    assert sel.estimate == pytest.approx(sel.cluster_weights @ ybar / 1500, rel=1e-12)
    assert sel.estimate == sel.estimate_from(y, poststratify=True).mean
    # The residual variance: the without-replacement formula on w (y - ybar_c).
    pi = 1.0 / w
    e = w * (y - ybar[c])
    assert sel.stderr == pytest.approx(np.sqrt(np.sum((1 - pi) * e**2)) / 1500, rel=1e-10)
    with pytest.raises(ValueError, match="poststratify apply to design='sensitivity'"):
        coresample.select(X, 50, n_clusters=6, random_state=0).estimate_from(
            loss[:50], poststratify=True)
    with pytest.raises(ValueError, match="estimator='poststratified' is for design='sensitivity'"):
        coresample.select(X, 50, n_clusters=6, estimator="poststratified")


def test_poststratified_is_nearly_unbiased_and_tighter_on_a_uniform_design():
    """300 seeds, uniform draws (defensive=1) with replacement: post-stratifying on the clusters
    removes the between-cluster noise; the mean is within 4 standard errors of the truth."""
    X, loss = task(n=2000, seed=13)
    errs = {"plain": [], "post": []}
    for seed in range(300):
        sel = coresample.select(X, 120, n_clusters=6, design="sensitivity", defensive=1.0,
                                random_state=seed, loss_fn=lambda i: loss[i], max_iter=5)
        errs["plain"].append(sel.estimate - loss.mean())
        errs["post"].append(sel.estimate_from(sel.losses, poststratify=True).mean - loss.mean())
    post = np.array(errs["post"])
    assert np.sqrt(np.mean(post**2)) < 0.8 * np.sqrt(np.mean(np.square(errs["plain"])))
    assert abs(post.mean()) < 4 * post.std(ddof=1) / np.sqrt(300)


@pytest.mark.parametrize("replace", [False, True])
def test_core_draw_equals_the_reference_loop_with_and_without_shortfalls(monkeypatch, replace):
    """The core's threshold shortcut is exact: with no margin most strata fall short and are
    redone from all their rows, and the draw is still the reference's, row for row."""
    from coresample.core import sampling as core_sampling
    from coresample.reference.sampling import stratified

    codes = np.random.default_rng(3).integers(0, 9, size=4000)
    sizes = np.bincount(codes, minlength=9)
    alloc = allocate(sizes.astype(float), sizes, 300)
    for margin in [(5.0, 10.0), (0.0, 0.0)]:
        monkeypatch.setattr(core_sampling, "CANDIDATE_MARGIN", margin)
        for seed in range(5):
            np.testing.assert_array_equal(
                core_sampling.stratified_rows(codes, alloc, seed, replace),
                stratified(codes, alloc, seed, replace))


# --- review findings (issue 14 review): each a test a planted bug would fail ---------------------


def test_regression_coefficient_weights_the_strata_by_hand():
    """Two strata with different c_h = N^2 (1 - f) / n: b = sum c s_tq / sum c s_qq, not the
    pooled slope. Stratum 0: N 4, n 2, t (1, 3), q (0, 1): s_tq 1, s_qq 0.5, c 4. Stratum 1:
    N 10, n 2, t (2, 2), q (0, 2): s_tq 0, s_qq 2, c 40. b = 4 / (2 + 80) = 4 / 82."""
    y = np.array([1.0, 3.0, 2.0, 2.0])
    g = np.array([0.0, 1.0, 0.0, 2.0])
    h = np.array([0, 0, 1, 1])
    N, n = np.array([4, 10]), np.array([2, 2])
    est = stratified_estimate(y, h, N, n, 14.0, replace=False, control=g, control_total=7.0)
    b = 4.0 / 82.0
    total = 4 * 2.0 + 10 * 2.0 + b * (7.0 - (4 * 0.5 + 10 * 1.0))
    assert est.total == pytest.approx(total, rel=1e-14)
    e = y - b * g
    var = 4 * np.var(e[:2], ddof=1) + 40 * np.var(e[2:], ddof=1)
    assert est.stderr == pytest.approx(np.sqrt(var) / 14.0, rel=1e-12)


def test_interval_half_widths_by_hand():
    from coresample._base.sequence import half_width, mixture_rho2

    assert half_width(0.5, 100, 0.95, "fixed", 1.0) == pytest.approx(0.5 * 1.959963984540054)
    # rho^2 = (-2 log a + log(1 - 2 log a)) / t_opt; at t = t_opt the radius is
    # se * sqrt(2 (A + 1) / A * log(sqrt(A + 1) / a)) with A = t rho^2.
    rho2 = mixture_rho2(0.05, 400.0)
    A = -2 * np.log(0.05) + np.log(1 - 2 * np.log(0.05))
    assert rho2 == pytest.approx(A / 400.0)
    want = 0.5 * np.sqrt(2 * (A + 1) / A * np.log(np.sqrt(A + 1) / 0.05))
    assert half_width(0.5, 400, 0.95, "anytime", rho2) == pytest.approx(want, rel=1e-12)
    assert want / (0.5 * 1.96) == pytest.approx(1.549, abs=0.002)  # 1.55x wider at t_opt


def test_plain_estimator_ignores_a_proxy_used_for_the_allocation():
    X, loss = task(n=1500, seed=14)
    proxy = loss * np.random.default_rng(0).uniform(0.5, 1.5, 1500)
    sel = coresample.select(X, 100, n_clusters=5, random_state=2, proxy=proxy,
                            estimator="plain", loss_fn=lambda i: loss[i])
    assert sel.proxy is None
    assert sel.estimate == pytest.approx(np.sum(sel.weights * sel.losses) / 1500, rel=1e-12)
    reg = coresample.select(X, 100, n_clusters=5, random_state=2, proxy=proxy,
                            loss_fn=lambda i: loss[i])
    np.testing.assert_array_equal(reg.indices, sel.indices)  # same design, other estimator
    assert reg.proxy is proxy or np.array_equal(reg.proxy, proxy)
    assert reg.estimate != sel.estimate


def test_neyman_shares_by_hand():
    """Two strata of 500 rows, sample weights 10 and 1, the same proxy spread: the Neyman half
    is N_h S_h(u g), so the shares are 0.5 U_h / U + 0.5 N_h S_h / sum(N S)."""
    from coresample._algorithm.strata import _neyman_shares

    codes = np.repeat([0, 1], 500)
    u = np.where(codes == 0, 10.0, 1.0)
    g = np.tile([0.0, 1.0], 500)
    q = u * g
    weights = np.array([5000.0, 500.0])
    got = _neyman_shares(codes, weights, q, 2)
    S = np.array([5.0, 0.5])  # population SD of q in each stratum
    want = 0.5 * weights / weights.sum() + 0.5 * 500 * S / (500 * S).sum()
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_evaluate_estimate_and_weights_by_hand():
    """At a fixed max_queries the estimate is the stratified one with its finite-population
    factors, and the weights (with sample weights) reproduce it."""
    X, loss = task(n=1200, seed=15)
    u = np.random.default_rng(1).integers(1, 4, 1200).astype(float)
    ev = coresample.evaluate(X, lambda i: loss[i], n_clusters=4, max_queries=300,
                             sample_weight=u, random_state=3)
    st = ev.plan.strata
    h = st.codes[ev.indices]
    n_h = np.bincount(h, minlength=st.n_strata)
    t = u[ev.indices] * ev.losses
    total, var = 0.0, 0.0
    for s in range(st.n_strata):
        ts = t[h == s]
        total += st.sizes[s] * ts.mean()
        var += st.sizes[s] ** 2 * (1 - n_h[s] / st.sizes[s]) * ts.var(ddof=1) / n_h[s]
    assert ev.estimate == pytest.approx(total / u.sum(), rel=1e-12)
    assert ev.stderr == pytest.approx(np.sqrt(var) / u.sum(), rel=1e-12)
    assert np.sum(ev.weights * ev.losses) / u.sum() == pytest.approx(ev.estimate, rel=1e-12)


def test_overflow_and_argument_names():
    X, loss = task(n=400, seed=16)
    with pytest.raises(ValueError, match="overflows double"):
        coresample.select(X, 40, n_clusters=3, random_state=0,
                          loss_fn=lambda i: np.full(len(i), 1e306))
    with pytest.raises(ValueError, match="overflows double"):
        coresample.evaluate(X, lambda i: np.full(len(i), 1e306), n_clusters=3, rtol=0.01)
    with pytest.raises(ValueError, match="max_queries must be at least 20"):
        coresample.evaluate(X, lambda i: loss[i], n_clusters=3, strata=np.arange(400) % 10,
                            max_queries=15)
    with pytest.raises(TypeError, match="max_queries"):
        coresample.evaluate(X, lambda i: loss[i], n_clusters=3, max_queries="abc")
    ev = coresample.evaluate(X, lambda i: loss[i], n_clusters=3, max_queries=50, random_state=0)
    with pytest.raises(ValueError, match="sample_weight= is fixed by the plan"):
        coresample.evaluate(None, lambda i: loss[i], plan=ev.plan, sample_weight=np.ones(400))
    sel = coresample.select(X, 40, n_clusters=3, design="sensitivity", random_state=0)
    with pytest.raises(ValueError, match="not both"):
        sel.estimate_from(loss[sel.indices], representative_losses=np.ones(3), poststratify=True)
    # replace="auto" draws with replacement when the budget exceeds the rows of positive weight
    u = np.where(np.arange(400) < 30, 1.0, 0.0)
    auto = coresample.select(X, 50, n_clusters=3, sample_weight=u, random_state=0)
    assert auto.replace and (u[auto.indices] > 0).all()


def test_ctrl_c_while_estimating_keeps_a_consistent_result(monkeypatch):
    from coresample._algorithm import evaluate as ev_module

    X, loss = task(n=2000, seed=17)
    real, calls = ev_module._estimate, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(ev_module, "_estimate", flaky)
    ev = coresample.evaluate(X, lambda i: loss[i], n_clusters=4, rtol=1e-9, random_state=0)
    assert ev.stopped == "interrupted" and ev.n_queries == ev.history[-1]["n_queries"]
    assert np.sum(ev.weights * ev.losses) / 2000 == pytest.approx(ev.estimate, rel=1e-12)


def test_select_allocates_by_the_neyman_shares_with_a_proxy():
    from coresample._algorithm.strata import _neyman_shares

    X, loss = task(n=2000, seed=18)
    proxy = np.where(np.arange(2000) % 2 == 0, loss, loss.mean())  # spread differs by cluster
    kw = dict(n_clusters=5, random_state=4, proxy=proxy)
    sel = coresample.select(X, 200, **kw)
    prop = coresample.select(X, 200, allocation="proportional", **kw)
    H = len(sel.stratum_sizes)
    shares = _neyman_shares(sel.strata, sel.stratum_sizes.astype(float), proxy, H)
    np.testing.assert_array_equal(sel.allocation, allocate(shares, sel.stratum_sizes, 200))
    np.testing.assert_array_equal(
        prop.allocation, allocate(prop.stratum_sizes.astype(float), prop.stratum_sizes, 200))
    assert not np.array_equal(sel.allocation, prop.allocation)


def test_evaluate_takes_the_allocation_before_the_first_query():
    X, loss = task(n=1500, seed=19)
    proxy = np.where(np.arange(1500) % 2 == 0, loss, loss.mean())
    ney = coresample.evaluate(X, lambda i: loss[i], n_clusters=4, proxy=proxy, max_queries=200,
                              random_state=0)
    prop = coresample.evaluate(X, lambda i: loss[i], n_clusters=4, proxy=proxy, max_queries=200,
                               random_state=0, allocation="proportional")
    np.testing.assert_array_equal(prop.plan.strata.shares, prop.plan.strata.weights)
    assert not np.array_equal(ney.plan.strata.shares, ney.plan.strata.weights)
    with pytest.raises(ValueError, match="allocation='neyman' is fixed by the plan"):
        coresample.evaluate(None, lambda i: loss[i], plan=ney.plan, allocation="neyman")


def test_neyman_without_a_proxy_uses_the_spread_of_the_costs():
    from coresample._algorithm.strata import _neyman_shares

    X, loss = task(n=2000, seed=20)
    sel = coresample.select(X, 200, n_clusters=5, random_state=4, allocation="neyman")
    H = len(sel.stratum_sizes)
    shares = _neyman_shares(sel.strata, sel.stratum_sizes.astype(float), sel.cost, H)
    np.testing.assert_array_equal(sel.allocation, allocate(shares, sel.stratum_sizes, 200))
    ref = reference.select(X, 200, n_clusters=5, random_state=4, allocation="neyman")
    np.testing.assert_array_equal(ref.allocation, sel.allocation)

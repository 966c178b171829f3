"""Every estimator and interval against hand-worked values and against coresample.reference's own
textbook implementation (python/coresample/reference/{estimate,stratified,sequence,hoelder,
estimate_from}.py, written from the formulas and sharing no arithmetic with the production code).

Three kinds of checks:
- hand-worked: small cases whose estimate, standard error and interval are worked out in the
  comments and compared at 1e-12;
- exact expectations by enumeration: for every possible sample of a small population (ordered
  i.i.d. draws, or all combinations within strata) with its probability, E[estimate] equals the
  truth and E[variance estimate] equals the estimator's true variance, to 1e-9; a 5% bias, a
  dropped finite-population factor or a ddof-0 variance moves them by far more;
- cross-checks: the production path (coresample.estimate, Selection.estimate_from and select's own
  estimate for every design and estimator, evaluate's intervals, estimate_lam, sample_size)
  against the reference on many random cases, to 1e-10 relative.
"""
import itertools
import math

import numpy as np
import pytest

import coresample
from coresample import reference
from coresample._base import sequence as prod_sequence
from coresample._base.stratified import stratified_estimate as prod_stratified
from coresample.reference.estimate import upper_quantile
from coresample.reference.estimate_from import estimate_from as ref_estimate_from
from coresample.reference.sequence import half_width as ref_half_width
from coresample.reference.sequence import mixture_rho2 as ref_rho2
from coresample.reference.stratified import stratified_estimate as ref_stratified

Z95 = 1.959963984540054  # the 0.975 quantile of the standard normal (tables: 1.95996398454005)
TOL = dict(rtol=1e-12, atol=1e-12)


def close(a, b, tol=1e-12):
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def check(est, total, mean, stderr, z=Z95):
    assert close(est.total, total) and close(est.mean, mean) and close(est.stderr, stderr)
    assert close(est.ci[0], mean - z * stderr) and close(est.ci[1], mean + z * stderr)


IMPLS = [coresample.estimate, reference.estimate]


# --- hand-worked ----------------------------------------------------------------------------


@pytest.mark.parametrize("est", IMPLS)
def test_hand_plain_with_replacement(est):
    # z_i = s w_i l_i = [2*2*1, 2*2*3] = [4, 12], zbar = 8 = T;
    # v = ((4-8)^2 + (12-8)^2) / (s (s-1)) = 32 / 2 = 16; stderr of the mean = 4 / U = 1.
    check(est([1.0, 3.0], [2.0, 2.0], 4.0), total=8.0, mean=2.0, stderr=1.0)


@pytest.mark.parametrize("est", IMPLS)
def test_hand_plain_without_replacement(est):
    # pi = u / w = [1/2, 1/4]; terms w l = [2, 12], T = 14;
    # v = (1 - 1/2) 2^2 + (1 - 1/4) 12^2 = 2 + 108 = 110; U = 6.
    check(est([1.0, 3.0], [2.0, 4.0], 6.0, replace=False), 14.0, 14.0 / 6, math.sqrt(110) / 6)


@pytest.mark.parametrize("est", IMPLS)
def test_hand_sample_weight_without_replacement(est):
    # u = [2, 1], w = [4, 4]: pi = [1/2, 1/4]; terms [4, 12], T = 16, U = 8 -> mean 2;
    # v = (1/2) 16 + (3/4) 144 = 8 + 108 = 116.
    e = est([1.0, 3.0], [4.0, 4.0], 8.0, replace=False, sample_weight=[2.0, 1.0])
    check(e, 16.0, 2.0, math.sqrt(116) / 8)


@pytest.mark.parametrize("est", IMPLS)
def test_hand_self_normalized(est):
    # ybar = (2*1 + 4*3) / (2 + 4) = 7/3, T = U ybar = 14 (U = 6 = sum w: factor 1);
    # terms w (l - ybar) = [-8/3, 8/3], z = s terms = [-16/3, 16/3], v = 2 (16/3)^2 / 2 = 256/9.
    check(est([1.0, 3.0], [2.0, 4.0], 6.0, self_normalized=True), 14.0, 14.0 / 6, (16 / 3) / 6)
    # U = 12 = 2 sum w: T = 12 * 7/3 = 28 and the variance scales by (12 / 6)^2 = 4.
    check(est([1.0, 3.0], [2.0, 4.0], 12.0, self_normalized=True), 28.0, 28.0 / 12,
          2 * (16 / 3) / 12)


@pytest.mark.parametrize("est", IMPLS)
def test_hand_control(est):
    # y = l - g = [0.5, 1]; T = G + sum w y = 5 + 1 + 2 = 8; z = [2, 4], v = (1 + 1) / 2 = 1.
    e = est([1.0, 3.0], [2.0, 2.0], 4.0, control=[0.5, 2.0], control_total=5.0)
    check(e, 8.0, 2.0, 0.25)


@pytest.mark.parametrize("est", IMPLS)
def test_hand_self_normalized_with_control(est):
    # y = [0.5, 1]; ybar = (2*0.5 + 4*1) / 6 = 5/6; T = G + U ybar = 5 + 5 = 10;
    # terms w (y - ybar) = [-2/3, 2/3], z = [-4/3, 4/3], v = 2 (4/3)^2 / 2 = 16/9.
    e = est([1.0, 3.0], [2.0, 4.0], 6.0, control=[0.5, 2.0], control_total=5.0,
            self_normalized=True)
    check(e, 10.0, 10.0 / 6, (4 / 3) / 6)


@pytest.mark.parametrize("est", IMPLS)
def test_hand_confidence_level(est):
    # 90%: z = 1.6448536269514722 (tables: 1.64485); a one-sided or mis-scaled z fails.
    e = est([1.0, 3.0], [2.0, 2.0], 4.0, confidence=0.90)
    check(e, 8.0, 2.0, 1.0, z=1.6448536269514722)
    assert close(upper_quantile(0.005), 2.5758293035489004)


@pytest.mark.parametrize("est", IMPLS)
def test_hand_single_draw_has_no_variance(est):
    e = est([2.0], [3.0], 3.0)
    assert e.total == 6.0 and e.mean == 2.0 and math.isnan(e.stderr)


STRATA = dict(  # N = [4, 6]; stratum 0 drew l = [1, 3], stratum 1 drew [2, 2, 5]
    losses=np.array([1.0, 2.0, 3.0, 2.0, 5.0]), strata=np.array([0, 1, 0, 1, 1]),
    sizes=np.array([4, 6]), allocation=np.array([2, 3]), total_weight=10.0,
)


@pytest.mark.parametrize("impl", [prod_stratified, ref_stratified])
def test_hand_stratified(impl):
    # tbar = [2, 3], T = 4*2 + 6*3 = 26; s_h^2 = [2, ((-1)^2 + (-1)^2 + 2^2) / 2 = 3].
    # Without replacement a_h = N_h^2 (1 - n_h/N_h) / n_h = [16 (1/2) / 2, 36 (1/2) / 3] = [4, 6]:
    # v = 4*2 + 6*3 = 26. With replacement a_h = [8, 12]: v = 52.
    check(impl(**STRATA, replace=False), 26.0, 2.6, math.sqrt(26) / 10)
    check(impl(**STRATA, replace=True), 26.0, 2.6, math.sqrt(52) / 10)


@pytest.mark.parametrize("impl", [prod_stratified, ref_stratified])
def test_hand_stratified_regression(impl):
    # q = [1, 2 | 1, 2, 3] (draw order [1, 1, 2, 2, 3]), Q = 22. s_q^2 = [0.5, 1];
    # s_tq = [((-1)(-0.5) + (1)(0.5)) / 1, ((-1)(-1) + (-1)(0) + (2)(1)) / 2] = [1, 1.5].
    # a = [4, 6]: b = (4*1 + 6*1.5) / (4*0.5 + 6*1) = 13/8; Q_st = 4*1.5 + 6*2 = 18;
    # T = 26 + 13/8 (22 - 18) = 32.5. Residuals e = t - b q: [-0.625, -0.25] (s^2 = 0.0703125)
    # and [0.375, -1.25, 0.125] (s^2 = 0.765625): v = 4*0.0703125 + 6*0.765625 = 4.875.
    q = np.array([1.0, 1.0, 2.0, 2.0, 3.0])
    e = impl(**STRATA, replace=False, control=q, control_total=22.0)
    check(e, 32.5, 3.25, math.sqrt(4.875) / 10)


@pytest.mark.parametrize("impl", [prod_stratified, ref_stratified])
def test_hand_stratified_census_and_single_draw(impl):
    # Stratum 0 is a census (n = N = 2): no variance from it; stratum 1 as before.
    e = impl(np.array([1.0, 3.0, 2.0, 2.0, 5.0]), np.array([0, 0, 1, 1, 1]), np.array([2, 6]),
             np.array([2, 3]), 8.0, replace=False)
    check(e, 2 * 2 + 6 * 3, 22 / 8, math.sqrt(6 * 3) / 8)
    # A sampled stratum with one draw: the variance cannot be estimated.
    e = impl(np.array([1.0, 2.0, 2.0]), np.array([0, 1, 1]), np.array([3, 4]),
             np.array([1, 2]), 7.0, replace=False)
    assert e.total == 3 * 1 + 4 * 2 and math.isnan(e.stderr)


@pytest.mark.parametrize("mod", [prod_sequence, "reference"])
def test_hand_confidence_sequence(mod):
    half_width = ref_half_width if mod == "reference" else mod.half_width
    rho2_fn = ref_rho2 if mod == "reference" else mod.mixture_rho2
    # alpha = 0.05, t_opt = 100: rho^2 = (-2 ln 0.05 + ln(1 - 2 ln 0.05)) / 100.
    la = -2 * math.log(0.05)
    rho2 = (la + math.log(1 + la)) / 100
    assert close(rho2_fn(0.05, 100.0), rho2)
    assert close(rho2, 0.07936154601737565)
    # At t = 100 with stderr 0.1: 0.1 sqrt(2 (100 rho^2 + 1) / (100 rho^2) ln(sqrt(100 rho^2 + 1) / 0.05)).
    a = 100 * rho2
    expect = 0.1 * math.sqrt(2 * (a + 1) / a * math.log(math.sqrt(a + 1) / 0.05))
    assert close(half_width(0.1, 100, 0.95, "anytime", rho2), expect)
    assert close(expect, 0.3035208990376253)
    assert close(half_width(0.1, 100, 0.95, "fixed", rho2), 0.1 * Z95)


@pytest.mark.parametrize("fn", [coresample.sample_size, reference.sample_size])
def test_hand_sample_size(fn):
    # ceil(z^2 / eps^2): 1.959964^2 / 0.0025 = 1536.6 -> 1537; / 0.01 = 384.1 -> 385.
    assert fn(0.05) == 1537 and fn(0.1) == 385
    # Chebyshev: ceil(1 / (delta eps^2)) = 1 / (0.05 * 0.0025) = 8000.
    assert fn(0.05, bound="chebyshev") == 8000
    # delta = 0.01: z = 2.5758; 2.5758^2 / 0.01 = 663.5 -> 664.
    assert fn(0.1, delta=0.01) == 664


@pytest.mark.parametrize("fn", [coresample.estimate_lam, reference.estimate_lam])
def test_hand_estimate_lam(fn):
    X = np.array([[0.0], [1.0], [3.0]])
    # pairs: |0-2|/1 = 2, |0-3|/3 = 1, |2-3|/2 = 0.5 (z = 1); z = 2: 2/1, 3/9, 1/4 -> 2.
    assert fn(X, [0.0, 2.0, 3.0], z=1.0) == 2.0
    assert fn(X, [0.0, 2.0, 3.0], z=2.0) == 2.0
    X2 = np.array([[0.0, 0.0], [3.0, 4.0]])  # distance 5: |1 - 6| / 5^z
    assert close(fn(X2, [1.0, 6.0], z=1.0), 1.0) and close(fn(X2, [1.0, 6.0], z=2.0), 0.2)
    # Identical rows with different losses admit no finite constant: the pair (0, 1) is
    # skipped; (0, 2): |0 - 1| / 1 = 1, (1, 2): |5 - 1| / 1 = 4.
    X3 = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 3.0]])
    assert close(fn(X3, [0.0, 5.0, 1.0], z=2.0), 4.0)


# --- exact expectations by enumeration ------------------------------------------------------


def test_exact_expectation_with_replacement():
    # Every ordered pair of i.i.d. draws (s = 2) from 5 rows with p: E[T_hat] = T and
    # E[v_hat] = var(T_hat) exactly (Hansen-Hurwitz), for the plain and the control forms.
    loss = np.array([0.0, 1.0, 4.0, 2.0, 7.0])
    g = np.array([0.5, 1.0, 3.0, 2.0, 5.0])
    p = np.array([0.1, 0.3, 0.2, 0.15, 0.25])
    s = 2
    for control in (None, g):
        G = 0.0 if control is None else float(g.sum())
        totals, variances, probs = [], [], []
        for draw in itertools.product(range(5), repeat=s):
            idx = np.array(draw)
            e = coresample.estimate(loss[idx], 1.0 / (s * p[idx]), 5.0, control=(
                None if control is None else control[idx]), control_total=G)
            totals.append(e.total)
            variances.append((e.stderr * 5.0) ** 2)
            probs.append(np.prod(p[idx]))
        probs = np.array(probs)
        mean_t = probs @ np.array(totals)
        assert math.isclose(mean_t, loss.sum(), rel_tol=1e-12)
        true_var = probs @ (np.array(totals) - mean_t) ** 2
        assert math.isclose(probs @ np.array(variances), true_var, rel_tol=1e-9)


@pytest.mark.parametrize("replace", [False, True])
@pytest.mark.parametrize("with_control", [False, True])
def test_exact_expectation_stratified(replace, with_control):
    # Strata of 4 and 5 rows, 2 and 3 draws: every sample (all combinations within strata, or all
    # ordered i.i.d. draws) equally likely. The stratified estimator is unbiased and its variance
    # estimate unbiased, exactly; the regression estimator is not exactly unbiased (O(1/n)), so
    # with a control only the plain estimator's identity is checked, plus its bias being small.
    loss = [np.array([1.0, 3.0, 0.0, 6.0]), np.array([2.0, 2.5, 9.0, 4.0, 1.0])]
    g = [np.array([1.5, 2.0, 0.0, 5.0]), np.array([2.0, 3.0, 7.0, 4.0, 0.5])]
    n = [2, 3]
    sizes = np.array([4, 5])
    picks = [list(itertools.product(range(4), repeat=2)) if replace
             else list(itertools.combinations(range(4), 2)),
             list(itertools.product(range(5), repeat=3)) if replace
             else list(itertools.combinations(range(5), 3))]
    T = loss[0].sum() + loss[1].sum()
    totals, variances = [], []
    for a in picks[0]:
        for b in picks[1]:
            y = np.concatenate([loss[0][list(a)], loss[1][list(b)]])
            h = np.repeat([0, 1], n)
            kw = {}
            if with_control:
                kw = dict(control=np.concatenate([g[0][list(a)], g[1][list(b)]]),
                          control_total=float(g[0].sum() + g[1].sum()))
            e = prod_stratified(y, h, sizes, np.array(n), 9.0, replace=replace, **kw)
            totals.append(e.total)
            variances.append((e.stderr * 9.0) ** 2)
    totals, variances = np.array(totals), np.array(variances)
    if not with_control:
        assert math.isclose(totals.mean(), T, rel_tol=1e-12)
        assert math.isclose(variances.mean(), totals.var(), rel_tol=1e-9)
    else:
        assert abs(totals.mean() - T) < 0.05 * T  # O(1/n) bias only
        # and a control that tracks the loss cuts the spread below the plain estimator's
        assert totals.var() < 0.8 * _plain_stratified_variance(loss, n, sizes, replace)


def _plain_stratified_variance(loss, n, sizes, replace):
    out = 0.0
    for lh, nh, Nh in zip(loss, n, sizes):
        S2 = lh.var(ddof=1)
        out += Nh**2 * (1 - (0 if replace else nh / Nh)) * (S2 if not replace else lh.var()) / nh
    return out


def test_exact_expectation_without_replacement_poisson():
    # Poisson sampling (row e in with probability pi_e, independently) is the design whose
    # variance v = sum_i (1 - pi_i) (l_i / pi_i)^2 is exactly unbiased; enumerate all 2^6 samples.
    loss = np.array([1.0, 0.0, 3.0, 2.5, 8.0, 4.0])
    pi = np.array([0.2, 0.5, 0.3, 0.9, 0.6, 0.4])
    totals, variances, probs = [], [], []
    for mask in itertools.product([0, 1], repeat=6):
        m = np.array(mask, dtype=bool)
        prob = np.prod(np.where(m, pi, 1 - pi))
        if not m.any():
            totals.append(0.0)
            variances.append(0.0)
        else:
            e = coresample.estimate(loss[m], 1.0 / pi[m], 6.0, replace=False)
            totals.append(e.total)
            variances.append((e.stderr * 6.0) ** 2)
        probs.append(prob)
    probs, totals, variances = map(np.array, (probs, totals, variances))
    mean_t = probs @ totals
    assert math.isclose(mean_t, loss.sum(), rel_tol=1e-12)
    assert math.isclose(probs @ variances, probs @ (totals - mean_t) ** 2, rel_tol=1e-9)


# --- cross-checks against the reference -----------------------------------------------------


def _random_estimate_args(rng):
    s = int(rng.integers(1, 40))
    replace = bool(rng.integers(2))
    losses = rng.gamma(1.0, 2.0, s) * (rng.random(s) > 0.2)
    u = rng.uniform(0.5, 2.0, s) if rng.random() < 0.5 else None
    base = np.ones(s) if u is None else u
    weights = base / rng.uniform(0.01, 1.0, s)  # inclusion probabilities pi <= 1
    kw = dict(replace=replace, sample_weight=u, confidence=float(rng.uniform(0.5, 0.99)),
              self_normalized=bool(rng.integers(2)))
    if rng.random() < 0.5:
        kw.update(control=rng.gamma(1.0, 2.0, s), control_total=float(rng.uniform(0, 100)))
    return losses, weights, float(rng.uniform(10, 1000)), kw


def _same(a, b, tol=1e-10):
    for x, y in ((a.total, b.total), (a.mean, b.mean), (a.stderr, b.stderr),
                 (a.ci[0], b.ci[0]), (a.ci[1], b.ci[1])):
        if math.isnan(x) or math.isnan(y):
            assert math.isnan(x) and math.isnan(y)
        else:
            assert math.isclose(x, y, rel_tol=tol, abs_tol=tol * max(1.0, abs(a.mean)))
    assert a.n_samples == b.n_samples and a.confidence == b.confidence


def test_estimate_matches_reference_on_random_cases():
    rng = np.random.default_rng(20261204)
    for _ in range(500):
        losses, weights, U, kw = _random_estimate_args(rng)
        _same(coresample.estimate(losses, weights, U, **kw),
              reference.estimate(losses, weights, U, **kw))


def test_stratified_matches_reference_on_random_cases():
    rng = np.random.default_rng(7)
    for _ in range(300):
        H = int(rng.integers(1, 8))
        sizes = rng.integers(2, 30, H)
        replace = bool(rng.integers(2))
        alloc = np.array([int(rng.integers(1 if rng.random() < 0.1 else 2, (N if not replace
                                                                             else 2 * N) + 1))
                          for N in sizes])
        h = rng.permutation(np.repeat(np.arange(H), alloc))
        y = rng.gamma(1.0, 1.0, h.shape[0])
        kw = dict(replace=replace, confidence=0.9)
        if rng.random() < 0.5:
            kw["sample_weight"] = rng.uniform(0.2, 3.0, h.shape[0])
        if rng.random() < 0.5:
            kw.update(control=y + rng.normal(0, 0.5, h.shape[0]),
                      control_total=float(rng.uniform(0, 50)))
        U = float(sizes.sum())
        _same(prod_stratified(y, h, sizes, alloc, U, **kw), ref_stratified(y, h, sizes, alloc, U, **kw))


SELECT_CASES = [
    dict(),                                                     # the default: stratified
    dict(replace=True),
    dict(strata="labels"),
    dict(proxy=True),
    dict(proxy=True, strata="labels", allocation="neyman"),
    dict(sample_weight=True),
    dict(sample_weight=True, proxy=True),
    dict(design="sensitivity"),
    dict(design="sensitivity", replace=False),
    dict(design="sensitivity", estimator="difference"),
    dict(design="sensitivity", estimator="poststratified"),
    dict(design="sensitivity", proxy=True),
    dict(design="sensitivity", proxy=True, replace=False),
    dict(design="sensitivity", sample_weight=True, replace=False),
]


@pytest.mark.parametrize("case", SELECT_CASES, ids=lambda c: ",".join(c) or "default")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_selection_estimates_match_reference(case, seed):
    rng = np.random.default_rng(100 + seed)
    n = 600
    X = np.concatenate([rng.normal(c, 1.0, (n // 3, 4)) for c in (0.0, 4.0, 9.0)])
    loss = rng.gamma(2.0, 1.0, n) + (X[:, 0] > 5)
    kw = dict(n_clusters=6, random_state=seed, loss_fn=lambda rows: loss[rows])
    case = dict(case)
    if case.pop("strata", None):
        kw["strata"] = (X[:, 1] > 0).astype(int)
    if case.pop("proxy", None):
        kw["proxy"] = np.abs(loss + rng.normal(0, 1.0, n))
    if case.pop("sample_weight", None):
        kw["sample_weight"] = rng.uniform(0.5, 2.0, n)
    kw.update(case)
    for module in (coresample, reference):
        sel = module.select(X, 80, **kw)
        y = loss[sel.indices]
        options = {}
        if kw.get("estimator") == "difference":
            options["representative_losses"] = loss[sel.representatives]
        if kw.get("estimator") == "poststratified":
            options["poststratify"] = True
        want = ref_estimate_from(sel, y, **options)
        # select's own estimate, and estimate_from at two confidence levels and in Hajek form
        assert math.isclose(sel.estimate, want.mean, rel_tol=1e-10)
        assert math.isclose(sel.stderr, want.stderr, rel_tol=1e-10)
        assert np.allclose(sel.ci, want.ci, rtol=1e-10)
        for confidence in (0.8, 0.99):
            _same(sel.estimate_from(y, confidence=confidence, **options),
                  ref_estimate_from(sel, y, confidence=confidence, **options))
        if sel.design == "sensitivity" and not options:
            _same(sel.estimate_from(y, self_normalized=True),
                  ref_estimate_from(sel, y, self_normalized=True))


@pytest.mark.parametrize("interval", ["fixed", "anytime"])
@pytest.mark.parametrize("with_proxy", [False, True])
def test_evaluate_interval_matches_reference(interval, with_proxy):
    # evaluate's final estimate and interval from its own queries, recomputed by the reference:
    # the stratified (or regression) estimate of the rows it queried and the half-width.
    rng = np.random.default_rng(3)
    n = 2000
    X = np.concatenate([rng.normal(c, 1.0, (n // 2, 3)) for c in (0.0, 5.0)])
    loss = rng.gamma(2.0, 1.0, n) * (1 + (X[:, 0] > 2.5))
    proxy = np.abs(loss + rng.normal(0, 0.7, n)) if with_proxy else None
    ev = coresample.evaluate(X, lambda rows: loss[rows], n_clusters=8, rtol=0.05,
                             interval=interval, proxy=proxy, random_state=1)
    plan = ev.plan
    h = plan.strata.codes[ev.indices]
    taken = np.bincount(h, minlength=plan.strata.n_strata)
    ref = ref_stratified(ev.losses, h, plan.strata.sizes, taken, float(n), replace=False,
                         control=None if proxy is None else proxy[ev.indices],
                         control_total=0.0 if proxy is None else float(proxy.sum()))
    assert math.isclose(ev.estimate, ref.mean, rel_tol=1e-10)
    assert math.isclose(ev.stderr, ref.stderr, rel_tol=1e-10)
    # the half-width: the reference's formula with evaluate's rho^2 (tightest at 4 x the first batch)
    first = ev.history[0]["n_queries"]
    rho2 = ref_rho2(0.05, 4.0 * first)
    hw = ref_half_width(ref.stderr, ev.n_queries, 0.95, interval, rho2)
    assert math.isclose(ev.ci[1] - ev.estimate, hw, rel_tol=1e-10)
    assert math.isclose(ev.estimate - ev.ci[0], hw, rel_tol=1e-10)
    assert ev.history[-1]["half_width"] == pytest.approx(hw, rel=1e-10)


def test_estimate_lam_matches_reference():
    rng = np.random.default_rng(5)
    for _ in range(40):
        m, d = int(rng.integers(2, 60)), int(rng.integers(1, 6))
        X = rng.normal(0, 1, (m, d)) * rng.uniform(0.1, 10)
        y = rng.gamma(1.0, 1.0, m)
        z = float(rng.choice([1.0, 2.0, 1.5]))
        assert math.isclose(coresample.estimate_lam(X, y, z), reference.estimate_lam(X, y, z),
                            rel_tol=1e-8)


def test_sample_size_matches_reference():
    rng = np.random.default_rng(11)
    for _ in range(300):
        eps = float(10 ** rng.uniform(-4, -0.01))
        delta = float(10 ** rng.uniform(-12, -0.01))
        for bound in ("normal", "chebyshev"):
            try:
                a = coresample.sample_size(eps, delta=delta, bound=bound)
            except ValueError:  # more rows than a sample can hold: both refuse
                with pytest.raises(ValueError, match="more than any sample can hold"):
                    reference.sample_size(eps, delta=delta, bound=bound)
                continue
            b = reference.sample_size(eps, delta=delta, bound=bound)
            assert abs(a - b) <= max(1, 1e-12 * a)  # ceil of a quotient that differs by rounding


# --- calibration ----------------------------------------------------------------------------


@pytest.mark.parametrize("with_control", [False, True])
def test_stratified_interval_coverage(with_control):
    # 2,000 stratified samples (5 strata, 200 of 2,000 rows, without replacement) of a skewed
    # loss: the 95% interval must cover in [93.5%, 96.5%] of them (binomial sd 0.49%), so a 90%
    # interval sold as 95% (coverage ~90%) or a variance off by a factor 1.5 either way fails;
    # the mean error must be within 3 Monte Carlo sd of 0, and a 5% bias is over 10 of them.
    rng = np.random.default_rng(42)
    N = 2000
    h_all = np.repeat(np.arange(5), [300, 500, 400, 600, 200])
    loss = rng.gamma(2.0, 1.0 + h_all, N)
    proxy = loss * rng.uniform(0.5, 1.5, N) + rng.gamma(1.0, 1.0, N)
    sizes = np.bincount(h_all)
    alloc = sizes // 10
    truth = loss.mean()
    covered, errors = 0, []
    for _ in range(2000):
        rows = np.concatenate([rng.choice(np.flatnonzero(h_all == h), alloc[h], replace=False)
                               for h in range(5)])
        kw = dict(control=proxy[rows], control_total=float(proxy.sum())) if with_control else {}
        e = prod_stratified(loss[rows], h_all[rows], sizes, alloc, float(N), replace=False, **kw)
        covered += e.ci[0] <= truth <= e.ci[1]
        errors.append(e.mean - truth)
    assert 0.935 <= covered / 2000 <= 0.965, covered / 2000
    errors = np.array(errors)
    mc_sd = errors.std() / np.sqrt(errors.size)  # Monte Carlo sd of the mean error
    assert abs(errors.mean()) < 3 * mc_sd
    assert 0.05 * truth > 10 * mc_sd  # so a 5% bias could not pass the line above


def test_estimate_lam_duplicate_rows_match_reference():
    # Found by the reference: with rows duplicated among random ones, the blocked expansion
    # ||a||^2 + ||b||^2 - 2 a.b left identical rows at a distance of ~1e-10 (not 0), and lambda
    # came out near 1e10 in 18% of such draws instead of being skipped.
    rng = np.random.default_rng(0)
    for _ in range(100):
        X = rng.normal(0, 100, (6, 7))
        X[1] = X[0]
        X[4] = X[2] + 1e-6
        y = rng.random(6)
        for z in (1.0, 2.0):
            assert math.isclose(coresample.estimate_lam(X, y, z), reference.estimate_lam(X, y, z),
                                rel_tol=1e-6)


@pytest.mark.parametrize("fn", [coresample.estimate_lam, reference.estimate_lam])
def test_estimate_lam_refuses_an_overflowing_ratio(fn):
    X = np.array([[0.0], [1.5e-5]])  # distance^64 ~ 1.9e-309, a subnormal: 1 / it overflows
    with pytest.raises(ValueError, match="z=64"):
        fn(X, [0.0, 1.0], z=64.0)


@pytest.mark.parametrize("est", IMPLS)
def test_certain_rows_add_no_variance_even_near_overflow(est):
    # Without replacement a row with inclusion probability 1 (w = u) adds (1 - 1) (w l)^2 = 0 to
    # the variance, also when (w l)^2 overflows: the estimate is exact for it, not refused.
    e = est([1e300, 2.0], [1.0, 2.0], 3.0, replace=False)
    # only the second row varies: (1 - 1/2) (2 * 2)^2 = 8
    assert e.total == 1e300 and close(e.stderr, math.sqrt(8) / 3)


# --- edges the mutation run found untested (tests/mutation/mutate.py on _base/estimate.py) ----


@pytest.mark.parametrize("est", IMPLS)
def test_estimate_refuses_bad_arguments(est):
    with pytest.raises(ValueError, match="weights"):
        est([1.0, 2.0], [1.0, -1.0], 2.0)
    for confidence in (0.0, 1.0, -0.5, 1.5):
        with pytest.raises(ValueError, match="confidence"):
            est([1.0, 2.0], [1.0, 1.0], 2.0, confidence=confidence)
    with pytest.raises(ValueError, match="positive sum"):
        est([1.0, 2.0], [0.0, 0.0], 2.0, self_normalized=True)
    # Without replacement w = u / pi >= u: a weight below its sample weight (pi = 2) is refused
    with pytest.raises(ValueError, match="below sample_weight"):
        est([1.0], [1.0], 2.0, replace=False, sample_weight=[2.0])
    # ... and so is pi = 1.01: only rounding (pi - 1 <= 1e-9) is let through
    with pytest.raises(ValueError, match="below sample_weight"):
        est([1.0], [1.0], 2.0, replace=False, sample_weight=[1.01])


@pytest.mark.parametrize("est", IMPLS)
def test_estimate_without_replacement_edges(est):
    # A row of weight 0 adds nothing (whatever its sample weight): the estimate of the others.
    a = est([1.0, 5.0], [2.0, 0.0], 4.0, replace=False, sample_weight=[1.0, 2.0])
    b = est([1.0], [2.0], 4.0, replace=False, sample_weight=[1.0])
    assert a.total == b.total == 2.0 and close(a.stderr, b.stderr)
    assert close(b.stderr, math.sqrt(0.5 * 4.0) / 4.0)  # (1 - 1/2) (2 * 1)^2
    # Rounding may leave w a hair below u (pi = 1 + 1e-12): accepted as a certain row.
    e = est([3.0], [1.0 - 1e-12], 1.0, replace=False)
    assert close(e.total, 3.0) and e.stderr == 0.0


@pytest.mark.parametrize("fn", [coresample.sample_size, reference.sample_size])
def test_sample_size_edges(fn):
    for delta in (0.0, 1.0):
        with pytest.raises(ValueError, match="delta"):
            fn(0.1, delta=delta)
    for epsilon in (0.0, 1.01):
        with pytest.raises(ValueError, match="epsilon"):
            fn(epsilon)
    assert fn(1.0) == 4  # ceil(1.96^2)
    assert fn(1.0, delta=0.999) == 1  # z_{0.9995} = 0.0013: the minimum is one row
    # Chebyshev 1 / (delta eps^2) = 2^61 rows is the largest power of two allowed; 2^62 is not.
    assert fn(2.0**-30, delta=0.5, bound="chebyshev") == 2**61
    with pytest.raises(ValueError, match="more than any sample can hold"):
        fn(2.0**-30, delta=0.25, bound="chebyshev")


def test_control_coefficient_hand_worked():
    from coresample._base.estimate import control_coefficient as b_of
    from coresample.reference.estimate_from import _slope

    for fn in (b_of, lambda l_, g, w, r, u=None: _slope(l_, g, w, r, u)):
        one = np.ones(2)
        # With replacement: the least-squares slope of t = w l on q = w g: t = [1, 3], q = [1, 2],
        # dq = [-1/2, 1/2], sqq = 1/2 (below 1 on purpose), sum (t - tbar) dq = 1: b = 2.
        assert close(fn(np.array([1.0, 3.0]), np.array([1.0, 2.0]), one, True), 2.0)
        # Shifting t by a constant does not change the slope.
        assert close(fn(np.array([11.0, 13.0]), np.array([1.0, 2.0]), one, True), 2.0)
        # One draw, or a control without spread: no slope (0).
        assert fn(np.array([1.0]), np.array([1.0]), np.ones(1), True) == 0.0
        assert fn(np.array([1.0, 3.0]), np.array([2.0, 2.0]), one, True) == 0.0
        # Without replacement: c = (1 - pi) w^2 with pi = u / w, b = sum c l g / sum c g^2.
        # w = [2, 4], u = 1: c = [2, 12]; g = [0.1, 0.2]: sqq = 0.02 + 0.48 = 0.5,
        # sxy = 2 * 1 * 0.1 + 12 * 3 * 0.2 = 7.4: b = 14.8.
        w = np.array([2.0, 4.0])
        assert close(fn(np.array([1.0, 3.0]), np.array([0.1, 0.2]), w, False), 14.8)
        # Fractional sample weights u = [0.4, 0.5] with w = [0.8, 2] (a weight below 1):
        # pi = [1/2, 1/4], c = [0.5 * 0.64, 0.75 * 4] = [0.32, 3]; g = [1, 2]:
        # sqq = 0.32 + 12 = 12.32, sxy = 0.32 + 18 = 18.32: b = 18.32 / 12.32.
        assert close(fn(np.array([1.0, 3.0]), np.array([1.0, 2.0]), np.array([0.8, 2.0]), False,
                        np.array([0.4, 0.5])), 18.32 / 12.32)
        # pi is clipped at 1 (a certain row has c = 0): u = [2, 1], w = [1, 4] leaves only row 2:
        # b = 12 * 3 * 2 / (12 * 4) = 1.5.
        assert close(fn(np.array([1.0, 3.0]), np.array([1.0, 2.0]), np.array([1.0, 4.0]), False,
                        np.array([2.0, 1.0])), 1.5)
        # A zero control without replacement: no slope.
        assert fn(np.array([1.0, 3.0]), np.zeros(2), w, False) == 0.0

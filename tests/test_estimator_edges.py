"""Edge cases of the estimator modules that the hand-worked tests in tests/test_estimators.py do
not reach: what mutation testing (tests/mutation/mutate.py, issue 15) found unpinned in
python/coresample/_base/{stratified,sequence,hoelder}.py. Each test pins one documented behaviour,
with the expected values worked by hand (or, where noted, taken from the independent reference
implementations in python/coresample/reference/).
"""
import math

import numpy as np
import pytest

import coresample
from coresample import reference
from coresample._base.stratified import stratified_estimate as prod_stratified
from coresample.reference.stratified import stratified_estimate as ref_stratified

LAMS = [coresample.estimate_lam, reference.estimate_lam]


# --- estimate_lam (_base/hoelder.py) --------------------------------------------------------


@pytest.mark.parametrize("fn", LAMS)
def test_estimate_lam_default_z_is_two(fn):
    # The documented default z=2.0: rows at distance 2 with losses 0 and 4 give 4 / 2^2 = 1
    # (z = 1 would give 2).
    X = np.array([[0.0], [2.0]])
    assert fn(X, [0.0, 4.0]) == 1.0
    assert fn(X, [0.0, 4.0], z=1.0) == 2.0


@pytest.mark.parametrize("fn", LAMS)
def test_estimate_lam_distances_below_one(fn):
    # Rows closer than 1: distance 0.5, losses 0 and 1: 1 / 0.5^2 = 4 (z = 2), 1 / 0.5 = 2 (z = 1).
    X = np.array([[0.0], [0.5]])
    assert fn(X, [0.0, 1.0], z=2.0) == 4.0
    assert fn(X, [0.0, 1.0], z=1.0) == 2.0


@pytest.mark.parametrize("fn", LAMS)
def test_estimate_lam_close_rows_far_from_the_origin(fn):
    # Two rows 2^-10 apart at 1024 (both exact in binary): their squared distance 2^-20 is far
    # below 1e-6 of ||a||^2 + ||b||^2 ~ 2^21, the pair that is measured again from its difference.
    # Losses 0 and 1: lambda = 1 / 2^-20 = 2^20 (z = 2) and 1 / 2^-10 = 2^10 (z = 1), exactly.
    X = np.array([[1024.0], [1024.0 + 2.0**-10], [-3.0]])
    y = [0.0, 1.0, 0.5]  # the third row is far away: its ratios are below 1e-3
    assert fn(X, y, z=2.0) == 2.0**20
    assert fn(X, y, z=1.0) == 2.0**10


@pytest.mark.parametrize("fn", LAMS)
def test_estimate_lam_more_rows_than_one_block(fn):
    # 300 rows on a line (x_i = i), losses 0 except l_299 = 5: the largest ratio is the pair
    # (298, 299), 5 / 1^z = 5 for any z; every pair with a row below 256 has ratio <= 5 / 44.
    # The pair lies past the first block of 256 rows of the production code.
    X = np.arange(300.0)[:, None]
    y = np.zeros(300)
    y[299] = 5.0
    assert fn(X, y, z=1.0) == 5.0
    assert fn(X, y, z=2.0) == 5.0
    # A pair straddling the blocks: l_256 = 7 next to l_255 = 0 (ratio 7).
    y[256] = 7.0
    assert fn(X, y, z=2.0) == 7.0


@pytest.mark.parametrize("fn", LAMS)
def test_estimate_lam_rows_far_from_the_origin(fn):
    # lambda depends on the differences of the rows only. The hand-worked rows 0, 1, 3 (losses
    # 0, 2, 3: ratios 2/1, 3/3, 1/2 at z = 1; 2/1, 3/9, 1/4 at z = 2, so 2.0 for both) moved by
    # 1e6 + 0.1, with a duplicate of the first row with loss 1 (the pair at distance 0 is skipped;
    # its other ratios are 1/1 and 2/3 or 2/9): still 2.0, up to the rounding of the moved rows (~1e-10). At |x| ~ 1e6 the expansion ||a||^2 +
    # ||b||^2 - 2 a.b is off by ~1e-4, so each pair must be measured from its difference.
    X = np.array([[0.0], [1.0], [3.0], [0.0]]) + (1e6 + 0.1)
    y = [0.0, 2.0, 3.0, 1.0]
    assert math.isclose(fn(X, y, z=1.0), 2.0, rel_tol=1e-9)
    assert math.isclose(fn(X, y, z=2.0), 2.0, rel_tol=1e-9)
    # The same in 7 dimensions, against the reference (which measures every pair from its
    # difference): random rows around 1e6, two of them identical.
    rng = np.random.default_rng(3)
    X = rng.normal(1e6, 1.0, (6, 7))
    X[1] = X[0]
    y = rng.random(6)
    for z in (1.0, 2.0):
        assert math.isclose(coresample.estimate_lam(X, y, z), reference.estimate_lam(X, y, z),
                            rel_tol=1e-9)


def test_estimate_lam_float32_rows_are_measured_in_double():
    # float32 embeddings are taken at their values and measured in double, as the reference
    # does: the result equals the reference's (which works from exact differences) to 1e-9 (the
    # expansion in double is within ~1e-10 here), where single precision would be off by ~1e-3.
    X = np.array([[0.1, 100.0], [1.1, 100.0], [0.3, 99.7], [2.7, 101.3]], dtype=np.float32)
    y = [0.0, 1.0, 3.0, 0.5]
    for z in (1.0, 2.0, 1.5):
        got = coresample.estimate_lam(X, y, z)
        assert math.isclose(got, reference.estimate_lam(X, y, z), rel_tol=1e-9)
        assert math.isclose(got, reference.estimate_lam(X.astype(np.float64), y, z),
                            rel_tol=1e-9)


@pytest.mark.parametrize("fn", LAMS)
def test_estimate_lam_fewer_than_two_distinct_rows(fn):
    # Documented: 0.0 for fewer than two distinct rows (pairs at distance 0 are skipped).
    assert fn(np.array([[3.0, 4.0]]), [2.0]) == 0.0
    assert fn(np.array([[3.0, 4.0], [3.0, 4.0]]), [2.0, 9.0]) == 0.0


# --- the stratified estimator (_base/stratified.py) -----------------------------------------

# As in tests/test_estimators.py: N = [4, 6]; stratum 0 drew l = [1, 3], stratum 1 drew [2, 2, 5].
# tbar = [2, 3], T = 4*2 + 6*3 = 26, s_h^2 = [2, 3]; without replacement a_h = N_h^2 (1 - n_h/N_h)
# / n_h = [4, 6] and v = 4*2 + 6*3 = 26, so stderr = sqrt(26) / 10 with total weight 10.
LOSSES = np.array([1.0, 2.0, 3.0, 2.0, 5.0])
STRATA = np.array([0, 1, 0, 1, 1])
Q = np.array([1.0, 1.0, 2.0, 2.0, 3.0])  # the control of the hand-worked regression case
Z95 = 1.959963984540054
STRATIFIED = [prod_stratified, ref_stratified]


def _close(a, b, tol=1e-12):
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def _check(est, total, mean, stderr, z=Z95):
    assert _close(est.total, total) and _close(est.mean, mean) and _close(est.stderr, stderr)
    assert _close(est.ci[0], mean - z * stderr) and _close(est.ci[1], mean + z * stderr)


@pytest.mark.parametrize("impl", STRATIFIED)
def test_stratified_undrawn_stratum_adds_nothing(impl):
    # A stratum with n_h = 0 (its rows have weight 0, so the design draws none of them) adds 0 to
    # the total and nothing to the variance, wherever it sits among the strata: the same 26, 2.6
    # and sqrt(26) / 10 as with the two drawn strata alone.
    for strata, sizes, alloc in [
        (STRATA, [4, 6, 5], [2, 3, 0]),        # last
        (2 * STRATA, [4, 5, 6], [2, 0, 3]),    # in the middle
        (STRATA + 1, [5, 4, 6], [0, 2, 3]),    # first
    ]:
        est = impl(LOSSES, strata, np.array(sizes), np.array(alloc), 10.0, replace=False)
        _check(est, 26.0, 2.6, math.sqrt(26.0) / 10.0)


@pytest.mark.parametrize("impl", STRATIFIED)
def test_stratified_regression_undrawn_stratum_adds_nothing(impl):
    # The hand-worked regression case of tests/test_estimators.py (b = 13/8, T = 26 + 13/8 (22 -
    # 18) = 32.5, v = 4.875) with an undrawn third stratum last or in the middle: unchanged.
    for strata, sizes, alloc in [(STRATA, [4, 6, 5], [2, 3, 0]), (2 * STRATA, [4, 5, 6], [2, 0, 3])]:
        est = impl(LOSSES, strata, np.array(sizes), np.array(alloc), 10.0, replace=False,
                   control=Q, control_total=22.0)
        _check(est, 32.5, 3.25, math.sqrt(4.875) / 10.0)


@pytest.mark.parametrize("impl", STRATIFIED)
def test_stratified_small_and_zero_variance(impl):
    # Losses scaled by 0.1: T = 2.6 and v = 26 * 0.01 = 0.26 (a variance below 1 is used as is),
    # stderr sqrt(0.26) / 10.
    _check(impl(0.1 * LOSSES, STRATA, np.array([4, 6]), np.array([2, 3]), 10.0, replace=False),
           2.6, 0.26, math.sqrt(0.26) / 10.0)
    # Equal losses within each stratum ([1, 1] and [2, 2, 2]): T = 4*1 + 6*2 = 16, v = 0, so the
    # standard error is 0 and the interval is the point (1.6, 1.6).
    est = impl(np.array([1.0, 2.0, 1.0, 2.0, 2.0]), STRATA, np.array([4, 6]), np.array([2, 3]),
               10.0, replace=False)
    _check(est, 16.0, 1.6, 0.0)
    assert est.ci == (1.6, 1.6)


@pytest.mark.parametrize("impl", STRATIFIED)
def test_stratified_regression_ignores_the_scale_of_the_control(impl):
    # The combined regression estimate does not depend on the control's units: with q and Q
    # scaled by 0.1, b becomes 16.25 (sum_h a_h s_q,h^2 = 0.08) and b q, b Q_st and b Q are
    # unchanged, so T = 32.5 and v = 4.875 as in the hand-worked case.
    est = impl(LOSSES, STRATA, np.array([4, 6]), np.array([2, 3]), 10.0, replace=False,
               control=0.1 * Q, control_total=2.2)
    _check(est, 32.5, 3.25, math.sqrt(4.875) / 10.0)


@pytest.mark.parametrize("impl", STRATIFIED)
def test_stratified_regression_control_without_spread(impl):
    # A control that is constant within every stratum (g = 1 in stratum 0, 5 in stratum 1) has
    # s_q,h^2 = 0: b = 0 (documented: "0 when the control has no spread"), whatever the gap
    # Q - Q_st (here 100 - 34), so the estimate is the plain stratified one: 26 and v = 26.
    est = impl(LOSSES, STRATA, np.array([4, 6]), np.array([2, 3]), 10.0, replace=False,
               control=np.array([1.0, 5.0, 1.0, 5.0, 5.0]), control_total=100.0)
    _check(est, 26.0, 2.6, math.sqrt(26.0) / 10.0)


@pytest.mark.parametrize("impl", STRATIFIED)
def test_stratified_census_stratum_with_one_draw(impl):
    # A stratum of one row, drawn (n = N = 1): a census, so it needs no variance estimate even
    # with a single draw. Stratum 1 as before ([2, 2, 5] of 6, a = 6, s^2 = 3):
    # T = 1*4 + 6*3 = 22, v = 6*3 = 18, total weight 7.
    est = impl(np.array([4.0, 2.0, 2.0, 5.0]), np.array([0, 1, 1, 1]), np.array([1, 6]),
               np.array([1, 3]), 7.0, replace=False)
    _check(est, 22.0, 22.0 / 7.0, math.sqrt(18.0) / 7.0)


@pytest.mark.parametrize("impl", STRATIFIED)
def test_stratified_with_replacement_more_draws_than_rows(impl):
    # With replacement a stratum of N = 2 rows can be drawn n = 4 times (l = [1, 3, 1, 3]):
    # f = 0, a = N^2 / n = 1, s^2 = (1 + 1 + 1 + 1) / 3 = 4/3; T = 2 * 2 = 4, v = 4/3.
    # With n = 8 draws ([1, 3] four times) a = 0.5 and s^2 = 8 / 7: v = 4/7.
    est = impl(np.array([1.0, 3.0, 1.0, 3.0]), np.zeros(4, dtype=np.int64), np.array([2]),
               np.array([4]), 2.0, replace=True)
    _check(est, 4.0, 2.0, math.sqrt(4.0 / 3.0) / 2.0)
    est = impl(np.tile([1.0, 3.0], 4), np.zeros(8, dtype=np.int64), np.array([2]),
               np.array([8]), 2.0, replace=True)
    _check(est, 4.0, 2.0, math.sqrt(4.0 / 7.0) / 2.0)


@pytest.mark.parametrize("impl", STRATIFIED)
def test_stratified_default_and_other_confidence(impl):
    # The default confidence is 0.95 (z = 1.959964); at 0.9 z = 1.644854 (the 0.95 quantile).
    args = (LOSSES, STRATA, np.array([4, 6]), np.array([2, 3]), 10.0)
    est = impl(*args, replace=False)
    assert est.confidence == 0.95
    _check(est, 26.0, 2.6, math.sqrt(26.0) / 10.0)
    est = impl(*args, replace=False, confidence=0.9)
    assert est.confidence == 0.9
    _check(est, 26.0, 2.6, math.sqrt(26.0) / 10.0, z=1.6448536269514722)


@pytest.mark.parametrize("impl", STRATIFIED)
def test_stratified_variance_of_losses_with_a_large_offset(impl):
    # The sample variance is that of the losses' spread, however large their common level: a
    # stratum of N = 6 rows drew l = 2^27 + [0, 0.25, 1] (exact in binary; the mean 2^27 + 5/12
    # is not). Deviations -5/12, -1/6, 7/12: s^2 = (25 + 4 + 49) / 144 / 2 = 39/144; a = 36 (1/2)
    # / 3 = 6, so v = 6 * 39/144 = 1.625 and T = 6 (2^27 + 5/12). With replacement a = 12: 3.25.
    # (Products of deviations from anything but the stratum means lose this to rounding: an
    # error of ~1e-8 in a mean times 2^28 is ~10.)
    base = 2.0**27
    args = (base + np.array([0.0, 0.25, 1.0]), np.zeros(3, dtype=np.int64), np.array([6]),
            np.array([3]), 6.0)
    est = impl(*args, replace=False)
    assert math.isclose(est.total, 6.0 * (base + 5.0 / 12.0), rel_tol=1e-15)
    assert math.isclose(est.stderr, math.sqrt(1.625) / 6.0, rel_tol=1e-9)
    est = impl(*args, replace=True)
    assert math.isclose(est.stderr, math.sqrt(3.25) / 6.0, rel_tol=1e-9)


@pytest.mark.parametrize("impl", STRATIFIED)
def test_stratified_control_total_defaults_to_zero(impl):
    # control_total's default is 0.0 (the signature's, in both implementations): the hand-worked
    # regression case with Q left out is T = 26 + 13/8 (0 - 18) = -3.25, v still 4.875.
    est = impl(LOSSES, STRATA, np.array([4, 6]), np.array([2, 3]), 10.0, replace=False,
               control=Q)
    _check(est, -3.25, -0.325, math.sqrt(4.875) / 10.0)

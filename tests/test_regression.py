"""coresample.regression (issue 4, item 4): leverage scores, sketches, the weighted solve,
clustering-based row sampling for least squares, core vs reference, and bad input.

Statistical tests state their false-alarm rate; data are small and synthetic (the real-data
comparison is experiments/regression.py).
"""
import numpy as np
import pytest

import coresample
from coresample import regression
from coresample._algorithm import regression as _regression_plan
from coresample.reference import regression as ref_regression

from conftest import blobs

METHODS = ["cluster", "leverage", "approx_leverage", "uniform"]


@pytest.fixture(params=["core", "reference"])
def reg(request):
    return regression if request.param == "core" else ref_regression


def tall_problem(n=4000, d=6, seed=0, noise=0.5):
    """A linear model with heavy-tailed rows (some rows have high leverage)."""
    rng = np.random.default_rng(seed)
    A = rng.standard_t(3, size=(n, d))
    A[:, 0] = 1.0
    x = rng.normal(size=d)
    b = A @ x + noise * rng.normal(size=n)
    return A, b


def hat_diagonal(A):
    return np.einsum("ij,ji->i", A, np.linalg.pinv(A))


def relative_excess(A, b, coef):
    full = np.linalg.lstsq(A, b, rcond=None)[0]
    best = np.sum((A @ full - b) ** 2)
    return np.sum((A @ coef - b) ** 2) / best - 1.0


# --- leverage scores --------------------------------------------------------------------------


def test_leverage_equals_hat_diagonal_and_sums_to_rank(reg):
    rng = np.random.default_rng(1)
    A = rng.normal(size=(60, 5)) * [1.0, 10.0, 0.1, 1.0, 1e3]
    h = reg.leverage_scores(A)
    np.testing.assert_allclose(h, hat_diagonal(A), rtol=1e-10, atol=1e-14)
    assert h.sum() == pytest.approx(5.0, rel=1e-12)
    assert h.min() >= 0 and h.max() <= 1 + 1e-12


def test_leverage_rank_deficient_uses_the_column_space(reg):
    rng = np.random.default_rng(2)
    A = rng.normal(size=(40, 4))
    A = np.column_stack([A, A[:, 0] + A[:, 1]])  # rank 4, 5 columns
    h = reg.leverage_scores(A)
    np.testing.assert_allclose(h, hat_diagonal(A), rtol=1e-8, atol=1e-12)
    assert h.sum() == pytest.approx(4.0, rel=1e-10)


def test_leverage_wide_matrix_is_all_ones():
    A = np.random.default_rng(3).normal(size=(4, 7))
    np.testing.assert_allclose(regression.leverage_scores(A), np.ones(4), rtol=1e-12)


@pytest.mark.parametrize("sketch", ["countsketch", "gaussian"])
def test_approximate_leverage_within_a_factor_of_exact(sketch):
    # Tall Gaussian matrix with a few heavy rows. The default sketch (20 d rows) keeps every row's
    # estimate within [0.5, 2] of its exact leverage; the subspace-embedding bound for a Gaussian
    # sketch with r = 20 d gives [(1 + 1/sqrt(20))^-2, (1 - 1/sqrt(20))^-2] = [0.67, 1.66] for
    # the extreme singular values at this size (seed fixed: a deterministic check).
    A, _ = tall_problem(n=5000, d=8, seed=4)
    exact = regression.leverage_scores(A)
    approx = regression.approximate_leverage_scores(A, sketch=sketch, random_state=0)
    ratio = approx / exact
    assert 0.5 < ratio.min() and ratio.max() < 2.0
    # A JL projection to 60 columns adds a (1 +- eps) factor per row: allow [0.3, 3].
    jl = regression.approximate_leverage_scores(A, sketch=sketch, jl_dim=60, random_state=0)
    assert 0.3 < (jl / exact).min() and (jl / exact).max() < 3.0


@pytest.mark.parametrize("sketch", ["countsketch", "gaussian"])
def test_approximate_leverage_same_seed_same_bits_in_core_and_reference(sketch):
    A, _ = tall_problem(n=3000, d=5, seed=5)
    a = regression.approximate_leverage_scores(A, sketch=sketch, sketch_size=70, random_state=9)
    b = ref_regression.approximate_leverage_scores(A, sketch=sketch, sketch_size=70, random_state=9)
    np.testing.assert_array_equal(a, b)
    c = regression.approximate_leverage_scores(A, sketch=sketch, sketch_size=70, random_state=10)
    assert not np.array_equal(a, c)


def test_approximate_leverage_sums_near_the_rank():
    # sum_i ||a_i T||^2 = trace(T^T A^T A T): d when the sketch is an exact embedding, within the
    # same distortion factor otherwise.
    A, _ = tall_problem(n=3000, d=5, seed=6)
    for sketch in ["countsketch", "gaussian"]:
        total = regression.approximate_leverage_scores(A, sketch=sketch, random_state=0).sum()
        assert 0.6 * 5 < total < 1.6 * 5, sketch


# --- the weighted solve -----------------------------------------------------------------------


def test_solve_with_unit_weights_on_all_rows_is_lstsq(reg):
    A, b = tall_problem(n=500, d=5, seed=7)
    coef = reg.solve(A, b, np.arange(500), np.ones(500))
    np.testing.assert_allclose(coef, np.linalg.lstsq(A, b, rcond=None)[0], rtol=1e-10, atol=1e-12)


def test_solve_integer_weights_equal_repeated_rows():
    A, b = tall_problem(n=200, d=4, seed=8)
    idx = np.array([3, 10, 17, 42, 99, 150, 151])
    w = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 1.0, 4.0])
    repeated = np.repeat(idx, w.astype(int))
    np.testing.assert_allclose(
        regression.solve(A, b, idx, w), regression.solve(A, b, repeated, np.ones(repeated.size)),
        rtol=1e-10,
    )


def test_solve_underdetermined_sample_gives_minimum_norm():
    A, b = tall_problem(n=100, d=6, seed=9)
    coef = regression.solve(A, b, np.array([0, 1, 2]), np.ones(3))
    np.testing.assert_allclose(coef, np.linalg.pinv(A[:3]) @ b[:3], rtol=1e-8, atol=1e-12)


# --- sampling and fitting ---------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_fit_is_accurate_on_an_easy_problem(method):
    # n = 20000, d = 6, 600 draws: leverage sampling's relative excess is about d / s = 0.01
    # (its expectation to first order); every method must stay below 0.1 for this fixed seed.
    A, b = tall_problem(n=20000, d=6, seed=10)
    res = regression.fit(A, b, 600, method=method, random_state=1)
    assert res.coef.shape == (6,)
    assert relative_excess(A, b, res.coef) < 0.1


def test_fit_equals_sample_rows_then_solve():
    A, b = tall_problem(n=3000, d=4, seed=11)
    res = regression.fit(A, b, 80, random_state=2)
    rows = regression.sample_rows(A, b, 80, random_state=2)
    np.testing.assert_array_equal(res.indices, rows.indices)
    np.testing.assert_array_equal(res.coef, regression.solve(A, b, rows.indices, rows.weights))


# Seeds of the unbiasedness test: enough that 4.5 standard errors of the mean are below 2.5% of
# the truth for each method (relative SD of one estimate at budget 200: about 0.06-0.09, uniform
# 0.22-0.24; 4.5 standard errors: 0.7-1.0% of the truth, uniform 1.5-1.6%), so a 5% bias fails
# it with room to spare. Was 200 seeds at budget 40: 4.5-18% of the truth.
UNBIASED_SEEDS = {"cluster": 1500, "leverage": 1500, "approx_leverage": 1500, "uniform": 4000}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("replace", [True, False])
def test_weighted_squared_residual_is_unbiased(method, replace):
    # For a fixed x, sum(w (A[idx] x - b[idx])^2) estimates ||A x - b||^2. Over 1,500-4,000 seeds
    # (a new clustering, sketch and sample each time) the mean must lie within 4.5 standard
    # errors of the truth: a false alarm has probability about 7e-6 per case under the normal
    # approximation (the per-draw losses are bounded here, so the CLT applies at this size). The
    # test's resolution is asserted too: 4.5 standard errors stay below 2.5% of the truth, so a
    # 5% bias (weights 1.05x too large, say) fails it.
    A, b = tall_problem(n=1000, d=3, seed=12)
    x = np.array([0.5, -1.0, 2.0])
    loss = (A @ x - b) ** 2
    truth = loss.sum()
    budget = 200
    est = np.empty(UNBIASED_SEEDS[method])
    for s in range(est.size):
        rows = regression.sample_rows(A, b, budget, method=method, replace=replace, random_state=s)
        est[s] = np.sum(rows.weights * loss[rows.indices])
        if replace and s < 50:
            # Exactly, given p: the representatives (p = 0) enter with weight 1 and each draw
            # with weight 1 / (s p_e), so E[estimate | p] = sum_reps l + sum_{p_e > 0}
            # s p_e l_e / (s p_e) = ||A x - b||^2 when p > 0 on every other row.
            p = rows.probabilities
            fixed = np.zeros(p.size, dtype=bool)
            n_fixed = rows.indices.size - budget
            fixed[rows.indices[:n_fixed]] = True
            assert np.all(p[fixed] == 0) and np.all(p[~fixed] > 0)
            np.testing.assert_array_equal(rows.weights[:n_fixed], 1.0)
            drawn = rows.indices[n_fixed:]
            np.testing.assert_allclose(rows.weights[n_fixed:], 1.0 / (budget * p[drawn]),
                                       rtol=1e-12)
    se = est.std(ddof=1) / np.sqrt(est.size)
    assert 4.5 * se < 0.025 * truth, (se, truth)  # the test resolves a 5% bias
    assert abs(est.mean() - truth) < 4.5 * se, (est.mean(), truth, se)


def test_representatives_enter_with_weight_one_and_probability_zero():
    A, b = tall_problem(n=2000, d=4, seed=13)
    rows = regression.sample_rows(A, b, 50, n_clusters=6, random_state=3)
    reps = np.unique(rows.representatives)
    np.testing.assert_array_equal(rows.indices[: reps.size], reps)
    np.testing.assert_array_equal(rows.weights[: reps.size], np.ones(reps.size))
    assert np.all(rows.probabilities[reps] == 0)
    assert rows.probabilities.sum() == pytest.approx(1.0, rel=1e-12)
    assert not np.isin(rows.indices[reps.size:], reps).any()
    off = regression.sample_rows(A, b, 50, n_clusters=6, include_representatives=False, random_state=3)
    assert off.indices.size == 50 and np.all(off.probabilities > 0)


def test_row_probabilities_sum_to_one_and_depend_on_the_seed_only():
    A, b = tall_problem(n=1500, d=4, seed=14)
    for method in METHODS:
        p = regression.row_probabilities(A, b, method=method, random_state=4)
        assert p.shape == (1500,) and p.sum() == pytest.approx(1.0, rel=1e-12) and p.min() > 0
        np.testing.assert_array_equal(p, regression.row_probabilities(A, b, method=method, random_state=4))
    np.testing.assert_allclose(
        regression.row_probabilities(A, method="leverage"),
        regression.leverage_scores(A) / regression.leverage_scores(A).sum(), rtol=1e-14,
    )


def test_whitened_coordinates_have_leverage_as_squared_norm():
    A, b = tall_problem(n=800, d=5, seed=15)
    Z = np.column_stack([A, b])
    Y, lipschitz2 = _regression_plan._clustering_coordinates(A, b, True, "whiten")
    np.testing.assert_allclose(np.sum(Y * Y, axis=1), hat_diagonal(Z), rtol=1e-8)
    w = np.append(np.ones(5), -1.0)
    assert lipschitz2(w) == pytest.approx(np.sum((Z @ w) ** 2), rel=1e-12)
    # |r_e - r_c| <= L ||y_e - y_c||: the Cauchy-Schwarz bound the pilot relies on.
    r = Z @ w
    gaps = np.abs(r[1:] - r[0]) / np.linalg.norm(Y[1:] - Y[0], axis=1)
    assert gaps.max() <= np.sqrt(lipschitz2(w)) * (1 + 1e-9)


@pytest.mark.parametrize("scaling", ["whiten", "standardize", "none"])
def test_pilot_bound_matches_sensitivities(scaling):
    # p with a pilot is sensitivities(cost, labels, r_c^2, L^2) on the clustering select() made;
    # the "fit" pilot is the cluster-weighted least squares on the representatives.
    A, b = tall_problem(n=1200, d=4, seed=16)
    res = regression.sample_rows(A, b, 30, n_clusters=10, scaling=scaling, pilot_residuals="fit", random_state=5)
    Y, lipschitz2 = _regression_plan._clustering_coordinates(A, b, True, scaling)
    sel = coresample.select(Y, 1, n_clusters=10, random_state=5,
                            max_points_per_center=regression.DEFAULT_POINTS_PER_CENTER)
    x0 = regression.solve(A, b, sel.representatives, sel.cluster_weights)
    np.testing.assert_allclose(res.pilot_coef, x0, rtol=1e-12)
    r = A[sel.representatives] @ x0 - b[sel.representatives]
    p = coresample.sensitivities(sel.cost, sel.labels, r * r, lipschitz2(np.append(x0, -1.0)))
    np.testing.assert_allclose(
        regression.row_probabilities(A, b, n_clusters=10, scaling=scaling, pilot_residuals="fit", random_state=5),
        p, rtol=1e-12,
    )
    # The same pilot given as coefficients, or as a callable with the same lam, gives the same p.
    lam = lipschitz2(np.append(x0, -1.0))
    from_coef = regression.row_probabilities(A, b, n_clusters=10, scaling=scaling, pilot_residuals=x0, random_state=5)
    from_call = regression.row_probabilities(
        A, b, n_clusters=10, scaling=scaling, lam=lam, random_state=5,
        pilot_residuals=lambda rows: A[rows] @ x0 - b[rows],
    )
    np.testing.assert_allclose(from_coef, p, rtol=1e-12)
    np.testing.assert_allclose(from_call, p, rtol=1e-12)


def test_rank_deficient_design_still_fits():
    # A duplicated column: leverage sums to the rank, and the sampled fit (minimum norm) reaches
    # the full fit's residual up to the usual sampling error.
    A, b = tall_problem(n=5000, d=4, seed=17)
    A2 = np.column_stack([A, A[:, 1]])
    for method in METHODS:
        res = regression.fit(A2, b, 400, method=method, random_state=6)
        assert relative_excess(A2, b, res.coef) < 0.2, method
    assert regression.leverage_scores(A2).sum() == pytest.approx(4.0, rel=1e-10)


def test_float32_design_is_converted_with_a_warning():
    A, b = tall_problem(n=500, d=3, seed=18)
    with pytest.warns(coresample.CopyWarning, match="A is float32"):
        h32 = regression.leverage_scores(A.astype(np.float32))
    np.testing.assert_allclose(h32, regression.leverage_scores(A.astype(np.float32).astype(np.float64)), rtol=1e-12)


# --- core vs reference: the same rows for the same seed ---------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("replace", [True, False])
def test_core_and_reference_draw_the_same_rows(method, replace):
    # Well-separated blobs (no near-ties in the clustering); targets linear plus noise.
    X, _ = blobs(1500, 4, 6, seed=19)
    rng = np.random.default_rng(19)
    b = X @ rng.normal(size=4) + 0.1 * rng.normal(size=1500)
    kw = dict(method=method, replace=replace, n_clusters=6, random_state=7)
    a = regression.fit(X, b, 60, **kw)
    c = ref_regression.fit(X, b, 60, **kw)
    np.testing.assert_array_equal(a.indices, c.indices)
    np.testing.assert_allclose(a.weights, c.weights, rtol=1e-10)
    np.testing.assert_allclose(a.probabilities, c.probabilities, rtol=1e-10)
    np.testing.assert_allclose(a.coef, c.coef, rtol=1e-8)
    if method == "cluster":
        np.testing.assert_array_equal(a.representatives, c.representatives)


def test_core_and_reference_agree_with_a_subsampled_clustering():
    X, _ = blobs(3000, 3, 5, seed=21)
    b = X @ np.array([1.0, 2.0, -1.0]) + np.random.default_rng(21).normal(size=3000)
    kw = dict(n_clusters=5, max_points_per_center=40, random_state=9)
    a = regression.fit(X, b, 50, **kw)
    c = ref_regression.fit(X, b, 50, **kw)
    np.testing.assert_array_equal(a.indices, c.indices)
    assert not np.array_equal(a.probabilities, regression.row_probabilities(X, b, n_clusters=5, random_state=9))


def test_core_and_reference_agree_with_a_pilot():
    X, _ = blobs(1500, 4, 8, seed=20)
    b = X @ np.array([1.0, -2.0, 0.5, 3.0]) + np.random.default_rng(20).normal(size=1500)
    kw = dict(n_clusters=8, pilot_residuals="fit", random_state=8)
    a = regression.fit(X, b, 60, **kw)
    c = ref_regression.fit(X, b, 60, **kw)
    np.testing.assert_array_equal(a.indices, c.indices)
    np.testing.assert_allclose(a.pilot_coef, c.pilot_coef, rtol=1e-8)


def test_same_signatures_as_the_reference():
    import inspect

    for name in regression.__all__:
        a, b = getattr(regression, name), getattr(ref_regression, name)
        if inspect.isclass(a):
            assert a is b, name
            continue
        assert inspect.signature(a) == inspect.signature(b), name
        assert b.__doc__.startswith(f"Pure NumPy counterpart of `coresample.regression.{name}`"), name
        assert a.__doc__ and "Examples" in a.__doc__ and "return" in a.__annotations__, name


# --- bad input --------------------------------------------------------------------------------

GOOD_A, GOOD_B = tall_problem(n=50, d=3, seed=21)


def with_value(arr, index, value):
    out = arr.copy()
    out[index] = value
    return out


BAD = [
    # (id, call(module), exception, message regex)
    ("A nan", lambda m: m.fit(with_value(GOOD_A, (7, 1), np.nan), GOOD_B, 5), ValueError, r"A contains NaN or inf \(first at row 7\)"),
    ("A inf", lambda m: m.row_probabilities(with_value(GOOD_A, (3, 0), np.inf)), ValueError, r"A contains NaN or inf"),
    ("b nan", lambda m: m.fit(GOOD_A, with_value(GOOD_B, 4, np.nan), 5), ValueError, r"b contains NaN or inf"),
    ("b length", lambda m: m.fit(GOOD_A, GOOD_B[:-1], 5), ValueError, r"b must have length 50"),
    ("b 2-D", lambda m: m.fit(GOOD_A, GOOD_B[:, None], 5), ValueError, r"b must be 1-D"),
    ("b missing", lambda m: m.sample_rows(GOOD_A, None, 5), ValueError, r"b is required"),
    ("A 1-D", lambda m: m.fit(GOOD_A[:, 0], GOOD_B, 5), ValueError, r"A must be 2-D"),
    ("A int", lambda m: m.leverage_scores(GOOD_A.astype(np.int64)), TypeError, r"A must have dtype float32 or float64"),
    ("A empty", lambda m: m.leverage_scores(np.empty((0, 3))), ValueError, r"A is empty"),
    ("method", lambda m: m.fit(GOOD_A, GOOD_B, 5, method="qr"), ValueError, r"method='qr' must be one of"),
    ("scaling", lambda m: m.row_probabilities(GOOD_A, scaling="pca"), ValueError, r"scaling='pca' must be one of"),
    ("sketch", lambda m: m.approximate_leverage_scores(GOOD_A, sketch="srht"), ValueError, r"sketch='srht' must be one of"),
    ("sketch_size 0", lambda m: m.approximate_leverage_scores(GOOD_A, sketch_size=0), ValueError, r"sketch_size=0 must be >= 1"),
    ("jl_dim float", lambda m: m.approximate_leverage_scores(GOOD_A, jl_dim=2.5), TypeError, r"jl_dim must be an integer"),
    ("budget 0", lambda m: m.fit(GOOD_A, GOOD_B, 0), ValueError, r"budget=0 must be >= 1"),
    ("budget > n", lambda m: m.fit(GOOD_A, GOOD_B, 51, method="uniform", replace=False), ValueError, r"budget=51 must be >= 1 and <= 50"),
    ("budget > rows left", lambda m: m.fit(GOOD_A, GOOD_B, 48, n_clusters=5, replace=False), ValueError, r"budget=48 must be <= the number of rows with positive probability \(45\)"),
    ("budget str", lambda m: m.fit(GOOD_A, GOOD_B, "5"), TypeError, r"budget must be an integer"),
    ("k > n", lambda m: m.fit(GOOD_A, GOOD_B, 5, n_clusters=51), ValueError, r"n_clusters=51 must be <= n_samples=50"),
    ("all rows representatives", lambda m: m.fit(GOOD_A, GOOD_B, 5, n_clusters=50), ValueError, r"include_representatives=True leaves no row to draw"),
    ("lam without pilot", lambda m: m.row_probabilities(GOOD_A, GOOD_B, lam=1.0), ValueError, r"lam is used only with pilot_residuals"),
    ("lam < 0", lambda m: m.row_probabilities(GOOD_A, GOOD_B, lam=-1.0, pilot_residuals="fit"), ValueError, r"lam=-1.0 must be"),
    ("pilot k < d", lambda m: m.fit(GOOD_A, GOOD_B, 5, n_clusters=2, pilot_residuals="fit"), ValueError, r"n_clusters=2 < 3"),
    ("pilot string", lambda m: m.fit(GOOD_A, GOOD_B, 5, pilot_residuals="ols"), ValueError, r"pilot_residuals='ols' must be None, 'fit'"),
    ("pilot coef length", lambda m: m.fit(GOOD_A, GOOD_B, 5, pilot_residuals=np.ones(4)), ValueError, r"pilot_residuals must have length 3"),
    ("pilot coef nan", lambda m: m.fit(GOOD_A, GOOD_B, 5, pilot_residuals=np.array([1.0, np.nan, 0.0])), ValueError, r"pilot_residuals contains NaN"),
    ("pilot type", lambda m: m.fit(GOOD_A, GOOD_B, 5, pilot_residuals={"a": 1}), TypeError, r"pilot_residuals must be None, 'fit'"),
    ("pilot callable no lam", lambda m: m.fit(GOOD_A, GOOD_B, 5, pilot_residuals=lambda r: np.zeros(len(r))), ValueError, r"lam must be given with a callable"),
    ("pilot callable shape", lambda m: m.fit(GOOD_A, GOOD_B, 5, lam=1.0, pilot_residuals=lambda r: np.zeros(len(r) + 1)), ValueError, r"pilot_residuals\(representatives\) must have length 8"),
    ("pilot callable nan", lambda m: m.fit(GOOD_A, GOOD_B, 5, lam=1.0, pilot_residuals=lambda r: np.full(len(r), np.nan)), ValueError, r"pilot_residuals\(representatives\) contains NaN"),
    ("pilot with leverage", lambda m: m.fit(GOOD_A, GOOD_B, 5, method="leverage", pilot_residuals="fit"), ValueError, r"pilot_residuals applies to method='cluster' only"),
    ("pilot without b", lambda m: m.row_probabilities(GOOD_A, pilot_residuals="fit"), ValueError, r"pilot_residuals needs b"),
    ("solve index range", lambda m: m.solve(GOOD_A, GOOD_B, np.array([0, 50]), np.ones(2)), ValueError, r"indices must lie in \[0, n_samples=50\)"),
    ("solve index float", lambda m: m.solve(GOOD_A, GOOD_B, np.array([0.0, 1.0]), np.ones(2)), TypeError, r"indices must be integers"),
    ("solve index empty", lambda m: m.solve(GOOD_A, GOOD_B, np.array([], dtype=int), np.ones(0)), ValueError, r"indices must be a non-empty 1-D array"),
    ("solve weights length", lambda m: m.solve(GOOD_A, GOOD_B, np.array([0, 1]), np.ones(3)), ValueError, r"weights must have length 2"),
    ("solve weights negative", lambda m: m.solve(GOOD_A, GOOD_B, np.array([0, 1]), np.array([1.0, -1.0])), ValueError, r"weights must be non-negative"),
    ("solve weights inf", lambda m: m.solve(GOOD_A, GOOD_B, np.array([0, 1]), np.array([1.0, np.inf])), ValueError, r"weights contains NaN or inf"),
    ("n_threads 0", lambda m: m.fit(GOOD_A, GOOD_B, 5, n_threads=0), ValueError, r"n_threads=0 must be >= 1"),
    ("max_points_per_center", lambda m: m.fit(GOOD_A, GOOD_B, 5, max_points_per_center="many"), ValueError, r"max_points_per_center must be an int, None or 'auto'"),
    ("random_state", lambda m: m.fit(GOOD_A, GOOD_B, 5, random_state=-1), ValueError, r"random_state=-1 must be >= 0"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input(reg, case):
    _, call, exc, regex = case
    with pytest.raises(exc, match=regex):
        call(reg)

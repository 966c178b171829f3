"""One table of bad inputs, each with its exact exception type and a message that names the
argument; run against both the core and the reference."""
import numpy as np
import pytest

import coresample

GOOD = np.random.default_rng(0).normal(size=(50, 3))
P = np.ones(50)
COST = np.ones(50)
LABELS = np.zeros(50, dtype=np.int64)


def with_nan():
    X = GOOD.copy()
    X[7, 1] = np.nan
    return X


def with_inf():
    X = GOOD.copy()
    X[3, 0] = np.inf
    return X


def select(impl, X=GOOD, budget=5, **kw):
    kw.setdefault("n_clusters", 3)
    return impl.select(X, budget, **kw)


CASES = [
    # (id, call(impl), exception, message regex)
    ("nan", lambda m: select(m, with_nan()), ValueError, r"X contains NaN or inf \(first at row 7\)"),
    ("inf", lambda m: select(m, with_inf()), ValueError, r"X contains NaN or inf"),
    ("int dtype", lambda m: select(m, GOOD.astype(np.int64)), TypeError, r"X must have dtype float32 or float64"),
    ("object dtype", lambda m: select(m, GOOD.astype(object)), TypeError, r"X must have dtype"),
    ("complex", lambda m: select(m, GOOD.astype(complex)), TypeError, r"X must have dtype"),
    # Lists follow the no-silent-copy rule (issue 13, item 6): integers are refused with the
    # conversion to write, ragged rows name X; float lists convert with a CopyWarning (below).
    ("int list", lambda m: select(m, GOOD.astype(np.int64).tolist()), TypeError, r"X must have dtype float32 or float64, got a list of int64; convert it with np\.asarray\(X, dtype=np\.float32\)"),
    ("ragged list", lambda m: select(m, [[0.0, 1.0], [2.0]]), ValueError, r"X could not be converted to an array"),
    ("init ragged list", lambda m: m.KMeans(2, init=[[0.0, 1.0, 2.0], [1.0]]).fit(GOOD), ValueError, r"init could not be converted to an array"),
    ("1-D", lambda m: select(m, GOOD[:, 0]), ValueError, r"X must be 2-D"),
    ("3-D", lambda m: select(m, GOOD[None]), ValueError, r"X must be 2-D"),
    ("empty rows", lambda m: select(m, np.empty((0, 3))), ValueError, r"X is empty"),
    ("empty cols", lambda m: select(m, np.empty((5, 0))), ValueError, r"X is empty"),
    ("k > n", lambda m: select(m, n_clusters=51), ValueError, r"n_clusters=51 must be <= n_samples=50"),
    ("k = 0", lambda m: select(m, n_clusters=0), ValueError, r"n_clusters=0 must be >= 1"),
    ("k float", lambda m: select(m, n_clusters=2.5), TypeError, r"n_clusters must be an integer"),
    ("budget 0", lambda m: select(m, budget=0), ValueError, r"budget=0 must be >= 1"),
    ("budget > n", lambda m: select(m, budget=51, replace=False), ValueError, r"budget=51 must be <= n_samples=50 when replace=False"),
    ("budget str", lambda m: select(m, budget="5"), TypeError, r"budget must be an integer"),
    ("lam < 0", lambda m: select(m, lam=-1.0), ValueError, r"lam=-1.0 must be"),
    ("lam nan", lambda m: select(m, lam=float("nan")), ValueError, r"lam=nan must be"),
    ("z < 1", lambda m: select(m, z=0.5), ValueError, r"z=0.5 must be"),
    ("weights length", lambda m: select(m, sample_weight=np.ones(49)), ValueError, r"sample_weight must have length 50"),
    ("weights negative", lambda m: select(m, sample_weight=-P), ValueError, r"sample_weight must be non-negative"),
    ("weights zero", lambda m: select(m, sample_weight=0 * P), ValueError, r"sample_weight must have a positive sum"),
    ("weights nan", lambda m: select(m, sample_weight=P * np.nan), ValueError, r"sample_weight contains NaN"),
    ("loss_fn not callable", lambda m: select(m, loss_fn=3), TypeError, r"loss_fn must be callable"),
    ("loss_fn shape", lambda m: select(m, loss_fn=lambda i: np.ones(len(i) + 1)), ValueError, r"loss_fn returned shape"),
    ("loss_fn nan", lambda m: select(m, loss_fn=lambda i: np.full(len(i), np.nan)), ValueError, r"loss_fn returned NaN"),
    ("loss_fn negative", lambda m: select(m, loss_fn=lambda i: -np.ones(len(i))), ValueError, r"loss_fn returned a negative loss"),
    ("loss_fn strings", lambda m: select(m, loss_fn=lambda i: ["a"] * len(i)), TypeError, r"loss_fn must return numbers"),
    ("method", lambda m: select(m, method="magic"), ValueError, r"method='magic' must be one of"),
    ("estimator", lambda m: select(m, estimator="magic"), ValueError, r"estimator='magic' must be one of"),
    ("difference no oracle", lambda m: select(m, estimator="difference"), ValueError, r"estimator='difference' needs a loss_fn"),
    ("random_state neg", lambda m: select(m, random_state=-1), ValueError, r"random_state=-1 must be >= 0"),
    ("random_state type", lambda m: select(m, random_state="x"), TypeError, r"random_state must be"),
    ("n_threads 0", lambda m: select(m, n_threads=0), ValueError, r"n_threads=0 must be >= 1"),
    ("max_iter neg", lambda m: select(m, max_iter=-1), ValueError, r"max_iter=-1 must be >= 0"),
    ("tol neg", lambda m: select(m, tol=-1.0), ValueError, r"tol=-1.0 must be"),
    ("p negative", lambda m: m.sample(-P, 3), ValueError, r"p must be non-negative"),
    ("p zero", lambda m: m.sample(0 * P, 3), ValueError, r"p must have a positive sum"),
    ("p nan", lambda m: m.sample(P * np.nan, 3), ValueError, r"p contains NaN or inf"),
    ("p 2-D", lambda m: m.sample(np.ones((5, 2)), 3), ValueError, r"p must be 1-D"),
    ("p empty", lambda m: m.sample(np.ones(0), 3), ValueError, r"p is empty"),
    ("size 0", lambda m: m.sample(P, 0), ValueError, r"size=0 must be >= 1"),
    ("size > positive", lambda m: m.sample(np.array([1.0, 0, 0]), 2, replace=False), ValueError, r"size=2 must be <= the number of rows with positive probability \(1\)"),
    ("cost negative", lambda m: m.sensitivities(-COST, LABELS), ValueError, r"cost must be non-negative"),
    ("labels range", lambda m: m.sensitivities(COST, LABELS + 3, np.ones(2)), ValueError, r"labels must lie in \[0, n_clusters=2\)"),
    ("labels float", lambda m: m.sensitivities(COST, LABELS + 0.5, n_clusters=2), TypeError, r"labels must be integers"),
    ("center_losses negative", lambda m: m.sensitivities(COST, LABELS, -np.ones(1)), ValueError, r"center_losses must be non-negative"),
    ("center_losses length", lambda m: m.sensitivities(COST, LABELS, np.ones(2), n_clusters=3), ValueError, r"center_losses must have length n_clusters=3"),
    ("centers features", lambda m: m.assign(GOOD, np.ones((2, 4))), ValueError, r"centers has 4 features but X has 3"),
    ("centers nan", lambda m: m.assign(GOOD, np.full((2, 3), np.nan)), ValueError, r"centers contains NaN"),
    ("snap labels", lambda m: m.snap_to_rows(GOOD, GOOD[:2], LABELS + 2), ValueError, r"labels must lie in \[0, n_clusters=2\)"),
    ("snap labels length", lambda m: m.snap_to_rows(GOOD, GOOD[:2], LABELS[:4]), ValueError, r"labels must have shape \(50,\)"),
    ("init shape", lambda m: m.KMeans(3, init=np.ones((2, 3))).fit(GOOD), ValueError, r"init must have shape \(3, 3\)"),
    ("init name", lambda m: m.KMeans(3, init="random").fit(GOOD), ValueError, r"init='random' must be"),
    ("predict unfitted", lambda m: m.KMeans(3).predict(GOOD), AttributeError, r"not fitted yet"),
    ("predict features", lambda m: m.KMeans(3, random_state=0).fit(GOOD).predict(np.ones((2, 4))), ValueError, r"X has 4 features, but KMeans is expecting 3 features as input"),
    ("mppc zero", lambda m: m.KMeans(3, max_points_per_center=0).fit(GOOD), ValueError, r"max_points_per_center=0 must be >= 1"),
    ("select mppc name", lambda m: select(m, max_points_per_center="fast"), ValueError, r"max_points_per_center must be an int, None or 'auto', got 'fast'"),
    ("select mppc zero", lambda m: select(m, max_points_per_center=0), ValueError, r"max_points_per_center=0 must be >= 1"),
    ("select init name", lambda m: select(m, init="random"), ValueError, r"init='random' must be 'auto', 'k-means\+\+', 'k-means\|\|' or an array"),
    ("plusplus trials", lambda m: m.kmeans_plusplus(GOOD, 3, n_local_trials=0), ValueError, r"n_local_trials=0 must be >= 1"),
    ("estimate lengths", lambda m: m.estimate(np.ones(3), np.ones(4), 10.0), ValueError, r"losses must have length 4"),
    ("estimate total", lambda m: m.estimate(np.ones(3), np.ones(3), 0.0), ValueError, r"total_weight=0.0 must be"),
]


@pytest.mark.parametrize("call, exc, pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(impl, call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call(impl)


def test_non_contiguous_input_is_copied_with_warning(impl):
    X = np.asfortranarray(GOOD)
    with pytest.warns(coresample.CopyWarning, match="X is not C-contiguous"):
        labels, _ = impl.assign(X, GOOD[:3])
    np.testing.assert_array_equal(labels, impl.assign(GOOD, GOOD[:3])[0])


LIST_CALLS = {
    "select": lambda m, X: m.select(X, 5, n_clusters=3, random_state=0).indices,
    "KMeans.fit": lambda m, X: m.KMeans(3, random_state=0).fit(X).labels_,
    "assign": lambda m, X: m.assign(X, GOOD[:3])[0],
}


@pytest.mark.parametrize("kind", [list, tuple])
@pytest.mark.parametrize("call", list(LIST_CALLS), ids=list(LIST_CALLS))
def test_list_input_is_converted_with_warning(impl, call, kind):
    # issue 13, item 6: a list of lists was converted silently, unlike float16 and strided input.
    X = kind(kind(row) for row in GOOD.tolist())
    with pytest.warns(coresample.CopyWarning, match=rf"X is a {kind.__name__}: copied into a "
                      r"float64 array .* pass np\.asarray\(X, dtype=np\.float32\)"):
        got = LIST_CALLS[call](impl, X)
    np.testing.assert_array_equal(got, LIST_CALLS[call](impl, GOOD))


def test_list_centers_are_converted_with_warning(impl):
    with pytest.warns(coresample.CopyWarning, match=r"centers is a list"):
        labels, _ = impl.assign(GOOD, GOOD[:3].tolist())
    np.testing.assert_array_equal(labels, impl.assign(GOOD, GOOD[:3])[0])


def test_float16_is_converted_with_warning(impl):
    with pytest.warns(coresample.CopyWarning, match="float16"):
        impl.assign(GOOD.astype(np.float16), GOOD[:3])


def test_core_binding_refuses_wrong_arrays():
    # The private extension checks shapes and dtypes itself: it never reads out of bounds.
    from coresample import _core

    X = np.ones((10, 3))
    labels, cost = np.empty(10, dtype=np.int64), np.empty(10)
    with pytest.raises((ValueError, TypeError)):
        _core.assign(X, np.ones((2, 4)), 2.0, None, labels, cost, 0)
    with pytest.raises((ValueError, TypeError)):
        _core.assign(X, np.ones((2, 3)), 2.0, None, labels[:5], cost, 0)
    with pytest.raises(TypeError):
        _core.assign(X.astype(np.float32), np.ones((2, 3)), 2.0, None, labels, cost, 0)
    with pytest.raises(TypeError):
        _core.assign(np.asfortranarray(np.ones((10, 3)))[:, :2], np.ones((2, 2)), 2.0, None, labels, cost, 0)
    with pytest.raises(ValueError):
        _core.snap_to_rows(X, X[:2], np.full(10, 5, dtype=np.int64), np.empty(2, dtype=np.int64), 0)
    with pytest.raises(ValueError):
        _core.sample_without_replacement(np.array([1.0, 0.0]), 2, 0, 4, np.empty(2, dtype=np.int64), np.empty(2), 0)

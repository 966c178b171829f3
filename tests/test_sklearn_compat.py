"""scikit-learn compatibility of KMeans (issue 5, item 6), core and reference alike.

get_params / set_params / repr are implemented without scikit-learn (an optional dependency);
clone and scikit-learn's estimator checks run when it is installed (>= 1.6 for the checks, whose
`expected_failed_checks` documents what does not apply).
"""
import subprocess
import sys
import warnings

import numpy as np
import pytest

import coresample
from coresample import reference

MODULES = [coresample, reference]
PARAMS = ["init", "max_iter", "max_points_per_center", "n_clusters", "n_threads", "progress",
          "random_state", "tol", "z"]


@pytest.fixture(params=MODULES, ids=["core", "reference"])
def m(request):
    return request.param


def test_get_params(m):
    km = m.KMeans(5, z=1.0, random_state=3)
    params = km.get_params()
    assert sorted(params) == PARAMS
    assert params["n_clusters"] == 5 and params["z"] == 1.0 and params["random_state"] == 3
    assert km.get_params(deep=False) == params


def test_set_params_returns_self_and_sets(m):
    km = m.KMeans(5)
    assert km.set_params(n_clusters=2, tol=0.0) is km
    assert (km.n_clusters, km.tol) == (2, 0.0)
    assert km.set_params() is km


def test_set_params_unknown_name_raises(m):
    with pytest.raises(ValueError, match=r"Invalid parameter 'n_init' for estimator KMeans"):
        m.KMeans(5).set_params(n_init=3)


def test_repr_shows_non_default_params(m):
    assert repr(m.KMeans()) == "KMeans()"
    assert repr(m.KMeans(3, z=2, random_state=0)) == "KMeans(n_clusters=3, random_state=0)"
    assert repr(m.KMeans(3, z=1.0, max_iter=10)) == "KMeans(n_clusters=3, z=1.0, max_iter=10)"
    assert repr(m.KMeans(2, init=np.zeros((2, 1)))).startswith("KMeans(n_clusters=2, init=array(")


def test_import_does_not_load_sklearn():
    code = (
        "import sys, numpy as np, coresample\n"
        "km = coresample.KMeans(2, random_state=0).fit(np.arange(8.0).reshape(4, 2))\n"
        "repr(km); km.get_params(); km.set_params(z=1.0)\n"
        "try:\n    coresample.KMeans(2).predict(np.ones((1, 2)))\n"
        "except AttributeError:\n    pass\n"
        "assert not any(n == 'sklearn' or n.startswith('sklearn.') for n in sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_score_transform(m):
    X = np.random.default_rng(0).normal(size=(60, 3))
    km = m.KMeans(4, random_state=0).fit(X)
    assert km.score(X) == pytest.approx(-km.inertia_, rel=1e-12)
    u = np.arange(60.0)
    assert km.score(X, sample_weight=u) == pytest.approx(-(u * km.cost_).sum(), rel=1e-12)
    D = km.transform(X)
    assert D.shape == (60, 4) and D.dtype == X.dtype
    assert np.array_equal(D.argmin(axis=1), km.labels_)
    np.testing.assert_allclose(D[np.arange(60), km.labels_] ** 2, km.cost_, rtol=1e-9, atol=1e-12)
    X32 = X.astype(np.float32)
    assert m.KMeans(4, random_state=0).fit_transform(X32).dtype == np.float32


def test_unfitted_is_attribute_error(m):
    with pytest.raises(AttributeError, match="not fitted yet"):
        m.KMeans(2).transform(np.ones((3, 2)))


def test_sparse_input_named():
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="sparse input is not supported"):
        coresample.KMeans(2).fit(sparse.csr_matrix(np.ones((4, 2))))


def test_clone(m):
    base = pytest.importorskip("sklearn.base")
    init = np.zeros((2, 3))
    km = m.KMeans(2, init=init, z=1.5, random_state=7)
    c = base.clone(km)
    assert c is not km and type(c) is type(km)
    assert c.get_params().keys() == km.get_params().keys()
    for name, value in km.get_params().items():
        if name != "init":
            assert c.get_params()[name] == value
    assert np.array_equal(c.init, init)
    X = np.random.default_rng(1).normal(size=(30, 3))
    fitted = m.KMeans(3, random_state=0).fit(X)
    refit = base.clone(fitted)
    assert not hasattr(refit, "cluster_centers_")
    np.testing.assert_array_equal(refit.fit(X).labels_, fitted.labels_)


def test_grid_search_and_pipeline(m):
    """KMeans in a grid search scored by a downstream model (a held-out score that means the
    same thing for every candidate, unlike costs across different z), and set_params through a
    pipeline."""
    model_selection = pytest.importorskip("sklearn.model_selection")
    pipeline = pytest.importorskip("sklearn.pipeline")
    linear_model = pytest.importorskip("sklearn.linear_model")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    rng = np.random.default_rng(2)
    centers = rng.normal(scale=5.0, size=(6, 2))
    y = rng.integers(6, size=120)
    X = centers[y] + rng.normal(size=(120, 2))
    pipe = pipeline.make_pipeline(
        m.KMeans(2, random_state=0), preprocessing.StandardScaler(),
        linear_model.LogisticRegression(max_iter=5000),
    )
    search = model_selection.GridSearchCV(pipe, {"kmeans__n_clusters": [1, 6]}, cv=3).fit(X, y)
    assert search.best_params_["kmeans__n_clusters"] == 6  # one center carries no information
    assert search.best_score_ > 0.8
    pipe = pipeline.make_pipeline(m.KMeans(3, random_state=0)).set_params(kmeans__n_clusters=2)
    assert pipe.fit(X).transform(X).shape == (120, 2)


# --- scikit-learn's estimator checks ----------------------------------------------------------

# Checks that do not apply, by design of the library, not by accident. Each is an expected failure:
# with xfail_strict, a check that starts passing fails the run, so this list stays accurate.
POLICY = "by design: X must be float32/float64 (integer/object/complex input raises TypeError, " \
         "no silent conversion copies)"
EXPECTED_FAILED = {
    "check_estimators_dtypes": POLICY + "; the check fits int32/int64 X",
    "check_dtype_object": POLICY,
    "check_complex_data": POLICY + " (TypeError, the check wants ValueError)",
    "check_sample_weights_pandas_series": POLICY + "; the check's X is integer",
    "check_sample_weights_not_an_array": POLICY + "; the check's X is integer",
    "check_sample_weights_shape": POLICY + "; the check's X is integer",
    "check_sample_weight_equivalence_on_dense_data": (
        "k-means++ draws per row, so repeating a row is not the same draw as doubling its "
        "weight; scikit-learn's own KMeans lists this check as an expected failure too. "
        "The Lloyd step's equivalence is tested in test_properties.py"
    ),
}

# These checks pass non-C-contiguous X (X.T, np.asfortranarray(X)); KMeans accepts it with a
# copy announced by CopyWarning, which this suite's filterwarnings=error would turn into a failure.
# Checks that pass copies on purpose (Fortran order, lists): our CopyWarning is expected there.
COPYING_CHECKS = {
    "check_f_contiguous_array_estimator", "check_transformer_general",
    "check_transformer_data_not_an_array",
}

try:
    import sklearn
    from sklearn.utils.estimator_checks import parametrize_with_checks

    _major_minor = tuple(int(p) for p in sklearn.__version__.split(".")[:2])
    HAVE_CHECKS = _major_minor >= (1, 6)
except ImportError:
    HAVE_CHECKS = False

if HAVE_CHECKS:
    # KMeans deliberately does not inherit sklearn.base.BaseEstimator (scikit-learn is optional);
    # it implements the protocol instead (get_params, set_params, __sklearn_tags__).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Estimator KMeans does not inherit from")
        _checks = parametrize_with_checks(
            [coresample.KMeans(n_clusters=3, random_state=0),
             reference.KMeans(n_clusters=3, random_state=0)],
            expected_failed_checks=lambda est: EXPECTED_FAILED,
        )

    @_checks
    def test_sklearn_estimator_checks(estimator, check):
        with warnings.catch_warnings():
            if getattr(check, "func", check).__name__ in COPYING_CHECKS:
                warnings.simplefilter("ignore", coresample.CopyWarning)
            check(estimator)

else:

    def test_sklearn_estimator_checks():
        # Without scikit-learn this skips, as the other tests here; the test extra requires
        # scikit-learn >= 1.6 (expected_failed_checks), and an older one would silently run none
        # of the checks, so it fails instead.
        pytest.importorskip("sklearn")
        pytest.fail("scikit-learn's estimator checks need scikit-learn >= 1.6: "
                    'pip install ".[test]" installs it')


def test_docstring_examples_run():
    # The shared methods live in _kmeans_base, which test_demo's doctest list does not reach.
    import doctest

    from coresample._algorithm import kmeans as _kmeans_base

    result = doctest.testmod(_kmeans_base)
    assert result.failed == 0 and result.attempted > 0

"""coresample.baselines and coresample.reference.baselines: core vs reference, k-center greedy
against a brute-force oracle, hand-computed uncertainty scores, uniform's unbiased weights and a
table of bad inputs.

Statistical thresholds: means within 5 standard errors (two-sided normal tail 5.7e-7 per test).
"""
import doctest
import inspect
import math
import tracemalloc

import numpy as np
import pytest

import coresample
from coresample._algorithm import baselines as _baselines
from coresample import baselines as core_baselines
from coresample.reference import baselines as ref_baselines
from conftest import blobs

PUBLIC = ["uniform", "k_center_greedy", "uncertainty_scores", "least_confidence", "margin", "entropy"]
UNCERTAINTY = ["least_confidence", "margin", "entropy"]


@pytest.fixture(params=["core", "reference"])
def bl(request):
    return core_baselines if request.param == "core" else ref_baselines


# --- API -------------------------------------------------------------------------------------

def test_same_signatures_and_reference_docstrings():
    for name in PUBLIC:
        a, b = getattr(core_baselines, name), getattr(ref_baselines, name)
        assert inspect.signature(a) == inspect.signature(b), name
        assert b.__doc__.startswith(f"Pure NumPy counterpart of `coresample.baselines.{name}`"), name
        assert "Examples" in a.__doc__ and "return" in a.__annotations__, name


def test_docstring_examples():
    result = doctest.testmod(core_baselines)
    assert result.failed == 0 and result.attempted > 0


# --- uniform ---------------------------------------------------------------------------------

@pytest.mark.parametrize("replace", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_uniform_core_equals_reference(seed, replace, weighted):
    n = 5000  # several of the core's 1024-row blocks
    u = np.random.default_rng(seed).gamma(1.0, size=n) if weighted else None
    a = core_baselines.uniform(n, 300, replace=replace, sample_weight=u, random_state=seed)
    b = ref_baselines.uniform(n, 300, replace=replace, sample_weight=u, random_state=seed)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.weights, b.weights)
    np.testing.assert_array_equal(a.probabilities, b.probabilities)
    assert a.total_weight == b.total_weight


def test_uniform_is_sample_with_uniform_p(bl, seed):
    # The rows are exactly `sample`'s with p = 1 (without replacement: an SRS, in key order).
    idx, _ = coresample.sample(np.ones(100), 10, replace=False, random_state=seed)
    sel = bl.uniform(100, 10, random_state=seed)
    np.testing.assert_array_equal(sel.indices, idx)
    assert len(np.unique(sel.indices)) == 10
    np.testing.assert_array_equal(sel.weights, np.full(10, 10.0))


def test_uniform_fields(bl):
    X = np.full((40, 3), np.nan)  # uniform reads only the shape of X
    sel = bl.uniform(X, 8, random_state=0)
    assert isinstance(sel, coresample.Selection) and not sel.replace
    assert sel.indices.dtype == np.int64 and sel.indices.shape == (8,)
    np.testing.assert_array_equal(sel.probabilities, np.full(40, 1 / 40))
    assert sel.total_weight == 40.0 and sel.sample_weight is None
    assert sel.representatives.shape == sel.labels.shape == sel.cost.shape == (0,)
    assert sel.cluster_weights.shape == (0,) and sel.centers.shape == (0, 3)
    assert math.isnan(sel.inertia) and sel.n_queries == 0 and sel.estimate is None
    np.testing.assert_array_equal(sel.all_indices, np.sort(sel.indices))
    assert "n_clusters=0" in repr(sel)
    est = sel.estimate_from(np.ones(8))
    assert est.mean == pytest.approx(1.0) and est.total == pytest.approx(40.0)
    with pytest.raises(ValueError, match=r"representative_losses needs a clustering"):
        sel.estimate_from(np.ones(8), representative_losses=np.empty(0))


def test_uniform_equal_weights_are_unweighted(bl, seed):
    # Constant sample weights draw the same rows as none; the weights scale with the constant,
    # and zero-weight rows are never drawn (an SRS of the positive rows).
    plain = bl.uniform(200, 20, random_state=seed)
    scaled = bl.uniform(200, 20, sample_weight=np.full(200, 3.0), random_state=seed)
    np.testing.assert_array_equal(plain.indices, scaled.indices)
    np.testing.assert_allclose(scaled.weights, 3.0 * plain.weights, rtol=1e-15)
    u = np.where(np.arange(200) % 2 == 0, 2.0, 0.0)
    sel = bl.uniform(200, 20, sample_weight=u, random_state=seed)
    assert np.all(u[sel.indices] > 0)
    np.testing.assert_allclose(sel.weights, 200.0 / 20)  # sum(u) / budget
    np.testing.assert_allclose(sel.probabilities, u / 200.0)


@pytest.mark.parametrize(
    "replace, weighted", [(False, False), (False, True), (True, False), (True, True)]
)
def test_uniform_estimator_unbiased(replace, weighted):
    # Mean of sum(w * y[idx]) over 3000 seeds is within 5 standard errors of sum(u * y). A third
    # of the rows are taken and y grows with u, so weights of the wrong design are far off (the
    # constant sum(u) / budget with unequal u and replace=False misses by about 28 standard errors).
    rng = np.random.default_rng(7)
    u = rng.uniform(0.2, 3.0, size=300) if weighted else None
    y = rng.exponential(size=300) * (1.0 if u is None else u**2)
    truth = float(y.sum() if u is None else (u * y).sum())
    totals = np.array([
        np.sum(sel.weights * y[sel.indices])
        for sel in (
            core_baselines.uniform(300, 100, replace=replace, sample_weight=u, random_state=s)
            for s in range(3000)
        )
    ])
    se = totals.std(ddof=1) / np.sqrt(len(totals))
    assert abs(totals.mean() - truth) < 5 * se


# --- k-center greedy -------------------------------------------------------------------------

def brute_force_k_center(X, budget, initial=None, first=None):
    """Farthest-first traversal from the full distance matrix (float64), ties to the lowest index."""
    X = X.astype(np.float64)
    D = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=-1)
    centers = list(initial) if initial is not None else [first]
    n_initial = len(initial) if initial is not None else 0
    while len(centers) < n_initial + budget:
        mind = D[:, centers].min(axis=1)
        mind[centers] = -1.0
        centers.append(int(np.argmax(mind)))
    C = D[:, centers]
    return np.array(centers[n_initial:]), C.argmin(axis=1), C.min(axis=1)


@pytest.mark.parametrize("with_initial", [False, True])
def test_k_center_matches_brute_force(bl, dtype, seed, with_initial):
    X = np.random.default_rng(seed).normal(size=(80, 3)).astype(dtype)
    initial = [5, 17, 60] if with_initial else None
    sel = bl.k_center_greedy(X, 12, initial=initial, random_state=seed)
    first = None if with_initial else int(bl.uniform(80, 1, random_state=seed).indices[0])
    idx, labels, cost = brute_force_k_center(X, 12, initial, first)
    np.testing.assert_array_equal(sel.indices, idx)
    np.testing.assert_array_equal(sel.labels, labels)
    np.testing.assert_allclose(sel.cost, cost, rtol=1e-12, atol=1e-12)
    reps = np.concatenate([initial, idx]) if with_initial else idx
    np.testing.assert_array_equal(sel.representatives, reps)
    np.testing.assert_array_equal(sel.centers, X[reps])
    assert sel.inertia == pytest.approx(cost.sum(), rel=1e-12)
    np.testing.assert_array_equal(sel.cluster_weights, np.bincount(labels, minlength=len(reps)))


def test_k_center_ties_go_to_lowest_index(bl, dtype):
    # Integer grid points: distances are exact in both implementations and tie often.
    X = np.array([[x, y] for x in range(5) for y in range(4)], dtype=dtype)
    for initial in ([0], [7, 12], list(range(0, 20, 3))):
        sel = bl.k_center_greedy(X, 6, initial=initial)
        idx, labels, cost = brute_force_k_center(X, 6, initial)
        np.testing.assert_array_equal(sel.indices, idx)
        np.testing.assert_array_equal(sel.labels, labels)
        np.testing.assert_array_equal(sel.cost, cost)


def test_k_center_duplicates_then_ascending(bl):
    # Three distinct points, each repeated: after them, rows at distance 0 come in row order.
    X = np.array([[0.0], [5.0], [0.0], [9.0], [5.0], [9.0], [0.0]])
    sel = bl.k_center_greedy(X, 7, initial=None, random_state=3)
    first = int(bl.uniform(7, 1, random_state=3).indices[0])
    assert sel.indices[0] == first
    assert sorted(sel.indices.tolist()) == list(range(7))
    rest = sel.indices[3:]
    np.testing.assert_array_equal(rest, np.sort(rest))
    np.testing.assert_array_equal(sel.cost, np.zeros(7))
    assert len(set(X[sel.indices[:3], 0].tolist())) == 3


def test_k_center_empty_initial_draws_the_first_center(bl):
    X = np.random.default_rng(2).normal(size=(30, 2))
    a = bl.k_center_greedy(X, 4, initial=np.array([], dtype=np.int64), random_state=5)
    b = bl.k_center_greedy(X, 4, initial=[], random_state=5)
    c = bl.k_center_greedy(X, 4, random_state=5)
    np.testing.assert_array_equal(a.indices, c.indices)
    np.testing.assert_array_equal(b.indices, c.indices)


@pytest.mark.parametrize("with_initial", [False, True])
def test_k_center_core_equals_reference(dtype, seed, with_initial):
    X, _ = blobs(3000, 6, 20, seed, dtype=dtype, spread=0.5)
    initial = np.random.default_rng(seed).choice(3000, 1500, replace=False) if with_initial else None
    # 1500 initial rows: two groups of initial centers (INITIAL_CHUNK = 1024).
    a = core_baselines.k_center_greedy(X, 40, initial=initial, random_state=seed)
    b = ref_baselines.k_center_greedy(X, 40, initial=initial, random_state=seed)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.representatives, b.representatives)
    # Each core cost is the exact float64 distance to the center it labels.
    d2 = ((X.astype(np.float64) - X[a.representatives[a.labels]].astype(np.float64)) ** 2).sum(axis=1)
    np.testing.assert_allclose(a.cost, d2, rtol=1e-12)
    if dtype == np.float64:
        np.testing.assert_array_equal(a.labels, b.labels)
        np.testing.assert_allclose(a.cost, b.cost, rtol=1e-12)
    else:
        # The core's pass over the initial centers takes the argmin of ||c||^2 - 2 x.c in
        # float32 (ARCHITECTURE.md section 4); with 1500 centers among 3000 rows some rows have
        # two centers at distances closer than its rounding, about d 2^-24 (||x|| + ||c||)^2,
        # and may be labelled with the other one.
        scale = 4 * (X.astype(np.float64) ** 2).sum(axis=1).max()
        np.testing.assert_allclose(a.cost, b.cost, rtol=1e-5, atol=8 * X.shape[1] * 2.0**-24 * scale)
        assert np.mean(a.labels == b.labels) > 0.99
    np.testing.assert_array_equal(a.weights, b.weights)
    np.testing.assert_array_equal(a.probabilities, b.probabilities)


def test_k_center_same_bits_for_any_thread_count():
    # n x d above the core's 4e6 threshold, so every pass runs on the OpenMP team when allowed.
    X = np.random.default_rng(0).normal(size=(70000, 64)).astype(np.float32)
    initial = np.arange(0, 70000, 5000)
    a = core_baselines.k_center_greedy(X, 6, initial=initial, n_threads=1)
    b = core_baselines.k_center_greedy(X, 6, initial=initial, n_threads=2)
    for field in ["indices", "labels", "cost", "representatives"]:
        assert getattr(a, field).tobytes() == getattr(b, field).tobytes(), field


def test_k_center_fields(bl):
    X = np.random.default_rng(1).normal(size=(50, 2))
    sel = bl.k_center_greedy(X, 5, random_state=0)
    assert not sel.replace and sel.total_weight == 50.0 and sel.sample_weight is None
    np.testing.assert_array_equal(sel.weights, np.full(5, 10.0))
    expected_p = np.zeros(50)
    expected_p[sel.indices] = 0.2
    np.testing.assert_array_equal(sel.probabilities, expected_p)
    assert sel.cost[sel.indices].max() == 0.0
    np.testing.assert_array_equal(sel.labels[sel.representatives], np.arange(5))
    # The clustering supports the difference estimator: losses equal to the representatives'
    # give their total exactly.
    rep_losses = np.arange(1.0, 6.0)
    est = sel.estimate_from(rep_losses[sel.labels[sel.indices]], representative_losses=rep_losses)
    assert est.total == pytest.approx(float(rep_losses @ sel.cluster_weights))


def test_k_center_memory_is_linear_in_n(bl):
    # No n x budget matrix: the peak traced allocation is a few arrays of n (about 5 in the core,
    # 15 in the reference, whose first-center draw sorts all n keys) and does not grow with the
    # budget, whereas an n x 300 float64 matrix would be 300 arrays of n.
    n = 20000
    X = np.random.default_rng(0).normal(size=(n, 4))
    peaks = {}
    for budget in (10, 300):
        tracemalloc.start()
        try:
            bl.k_center_greedy(X, budget, random_state=0)
            peaks[budget] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peaks[300] < 20 * n * 8, peaks
    assert peaks[300] - peaks[10] < n * 8, peaks


# --- uncertainty -----------------------------------------------------------------------------

PROBA = np.array([
    [0.5, 0.3, 0.2],
    [1.0, 0.0, 0.0],
    [0.25, 0.25, 0.5],
    [1 / 3, 1 / 3, 1 / 3],
])


def entropy_of(row):
    return -sum(p * math.log(p) for p in row if p > 0)


def test_uncertainty_scores_by_hand(bl, dtype):
    proba = PROBA.astype(dtype)
    expected = {
        "least_confidence": [0.5, 0.0, 0.5, 2 / 3],
        "margin": [0.2, 1.0, 0.25, 0.0],
        "entropy": [entropy_of(r) for r in proba.astype(np.float64)],
    }
    for method, values in expected.items():
        got = bl.uncertainty_scores(proba, method)
        assert got.dtype == np.float64 and got.shape == (4,)
        np.testing.assert_allclose(got, values, rtol=1e-6 if dtype == np.float32 else 1e-14,
                                   atol=1e-7 if dtype == np.float32 else 1e-15)
    assert entropy_of(PROBA[3]) == pytest.approx(math.log(3))


def test_uncertainty_selections_by_hand(bl):
    assert bl.least_confidence(PROBA, 2).indices.tolist() == [3, 0]  # 0 and 2 tie: lowest
    assert bl.least_confidence(PROBA, 3).indices.tolist() == [3, 0, 2]
    assert bl.margin(PROBA, 3).indices.tolist() == [3, 0, 2]
    assert bl.entropy(PROBA, 4).indices.tolist() == [3, 2, 0, 1]


@pytest.mark.parametrize("method", UNCERTAINTY)
def test_uncertainty_ties_lowest_index(bl, method):
    # Rows 1, 3, 4 tie; row 5 is the most uncertain; rows 0 and 2 are sure.
    sure, mid, unsure = [0.9, 0.05, 0.05], [0.6, 0.3, 0.1], [0.4, 0.35, 0.25]
    proba = np.array([sure, mid, sure, mid, mid, unsure])
    sel = getattr(bl, method)(proba, 3)
    assert sel.indices.tolist() == [5, 1, 3]
    assert getattr(bl, method)(proba, 6).indices.tolist() == [5, 1, 3, 4, 0, 2]


@pytest.mark.parametrize("method", UNCERTAINTY)
def test_uncertainty_core_equals_reference(method, dtype, seed, monkeypatch):
    # Softmax rows, many repeated (exact ties), scanned by the core in small chunks.
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=2.0, size=(60, 7))
    base = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    proba = np.ascontiguousarray(base[rng.integers(0, 60, size=3000)], dtype=dtype)
    monkeypatch.setattr(_baselines, "CHUNK_ELEMENTS", 7 * 100)
    np.testing.assert_array_equal(
        core_baselines.uncertainty_scores(proba, method), ref_baselines.uncertainty_scores(proba, method)
    )
    for budget in (1, 37, 500, 3000):
        a = getattr(core_baselines, method)(proba, budget)
        b = getattr(ref_baselines, method)(proba, budget)
        np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(np.sort(a.indices), np.arange(3000))


def test_uncertainty_fields(bl):
    sel = bl.entropy(PROBA, 2)
    assert not sel.replace and sel.total_weight == 4.0
    np.testing.assert_array_equal(sel.weights, [2.0, 2.0])
    np.testing.assert_array_equal(sel.probabilities, [0.0, 0.0, 0.5, 0.5])
    assert sel.representatives.shape == sel.labels.shape == sel.cost.shape == (0,)
    assert sel.centers.shape == (0, 0) and math.isnan(sel.inertia)


def test_proba_used_in_place_or_copied_with_warning(bl):
    F = np.asfortranarray(PROBA)
    with pytest.warns(coresample.CopyWarning, match=r"proba is not C-contiguous"):
        sel = bl.margin(F, 2)
    assert sel.indices.tolist() == [3, 0]


# --- bad input -------------------------------------------------------------------------------

X50 = np.random.default_rng(0).normal(size=(50, 3))


def with_value(a, row, col, value):
    a = a.copy()
    a[row, col] = value
    return a


CASES = [
    # (id, call(module), exception, message regex)
    ("uniform n 0", lambda m: m.uniform(0, 1), ValueError, r"n_or_X=0 must be >= 1"),
    ("uniform n bool", lambda m: m.uniform(True, 1), TypeError, r"n_or_X must be an int or an array"),
    ("uniform n scalar", lambda m: m.uniform(2.5, 1), TypeError, r"n_or_X must be an int or an array"),
    ("uniform X empty", lambda m: m.uniform(np.empty((0, 3)), 1), ValueError, r"n_or_X is empty"),
    ("uniform budget 0", lambda m: m.uniform(10, 0), ValueError, r"budget=0 must be >= 1"),
    ("uniform budget > n", lambda m: m.uniform(10, 11), ValueError, r"budget=11 must be >= 1 and <= 10"),
    ("uniform budget float", lambda m: m.uniform(10, 2.0), TypeError, r"budget must be an integer"),
    ("uniform weights length", lambda m: m.uniform(10, 2, sample_weight=np.ones(9)), ValueError,
     r"sample_weight must have length 10"),
    ("uniform weights negative", lambda m: m.uniform(10, 2, sample_weight=-np.ones(10)), ValueError,
     r"sample_weight must be non-negative"),
    ("uniform weights nan", lambda m: m.uniform(10, 2, sample_weight=np.full(10, np.nan)), ValueError,
     r"sample_weight contains NaN"),
    ("uniform weights zero", lambda m: m.uniform(10, 2, sample_weight=np.zeros(10)), ValueError,
     r"sample_weight must have a positive sum"),
    ("uniform budget > positive", lambda m: m.uniform(10, 4, sample_weight=np.r_[np.ones(3), np.zeros(7)]),
     ValueError, r"budget=4 must be <= the number of rows with positive probability \(3\)"),
    ("uniform random_state", lambda m: m.uniform(10, 2, random_state=-1), ValueError, r"random_state=-1 must be >= 0"),
    ("uniform n_threads", lambda m: m.uniform(10, 2, n_threads=0), ValueError, r"n_threads=0 must be >= 1"),
    ("kcg nan", lambda m: m.k_center_greedy(with_value(X50, 7, 1, np.nan), 3), ValueError,
     r"X contains NaN or inf \(first at row 7\)"),
    ("kcg inf", lambda m: m.k_center_greedy(with_value(X50, 2, 0, np.inf), 3), ValueError, r"X contains NaN or inf"),
    ("kcg int", lambda m: m.k_center_greedy(X50.astype(np.int64), 3), TypeError, r"X must have dtype float32 or float64"),
    ("kcg 1-D", lambda m: m.k_center_greedy(X50[:, 0], 3), ValueError, r"X must be 2-D"),
    ("kcg empty", lambda m: m.k_center_greedy(np.empty((0, 3)), 1), ValueError, r"X is empty"),
    ("kcg budget 0", lambda m: m.k_center_greedy(X50, 0), ValueError, r"budget=0 must be >= 1"),
    ("kcg budget > n", lambda m: m.k_center_greedy(X50, 51), ValueError, r"budget=51 must be >= 1 and <= 50"),
    ("kcg budget > free", lambda m: m.k_center_greedy(X50, 48, initial=[1, 2, 3]), ValueError,
     r"budget=48 must be <= n_samples - len\(initial\) = 47"),
    ("kcg initial range", lambda m: m.k_center_greedy(X50, 2, initial=[3, 50]), ValueError,
     r"initial must lie in \[0, n_samples=50\), got \[3, 50\]"),
    ("kcg initial negative", lambda m: m.k_center_greedy(X50, 2, initial=[-1]), ValueError, r"initial must lie in"),
    ("kcg initial repeated", lambda m: m.k_center_greedy(X50, 2, initial=[4, 9, 4]), ValueError,
     r"initial contains row 4 more than once"),
    ("kcg initial float", lambda m: m.k_center_greedy(X50, 2, initial=[1.0, 2.0]), TypeError,
     r"initial must be integer row indices"),
    ("kcg initial 2-D", lambda m: m.k_center_greedy(X50, 2, initial=[[1, 2]]), ValueError, r"initial must be 1-D"),
    ("kcg n_threads", lambda m: m.k_center_greedy(X50, 2, n_threads=-2), ValueError, r"n_threads=-2 must be >= 1"),
    ("proba 1-D", lambda m: m.margin(PROBA[0], 1), ValueError, r"proba must be 2-D \(n_samples, n_classes\)"),
    ("proba 3-D", lambda m: m.entropy(PROBA[None], 1), ValueError, r"proba must be 2-D"),
    ("proba int", lambda m: m.entropy(np.eye(3, dtype=np.int64), 1), TypeError, r"proba must have dtype float32 or float64"),
    ("proba empty", lambda m: m.entropy(np.empty((0, 3)), 1), ValueError, r"proba is empty"),
    ("proba one class", lambda m: m.margin(np.ones((4, 1)), 1), ValueError, r"proba must have at least 2 classes"),
    ("proba nan", lambda m: m.least_confidence(with_value(PROBA, 2, 0, np.nan), 1), ValueError,
     r"proba contains NaN or inf \(first at row 2\)"),
    ("proba negative", lambda m: m.margin(np.array([[0.5, 0.5], [1.2, -0.2]]), 1), ValueError,
     r"proba must be non-negative, got -0.2 in row 1"),
    ("proba row sum", lambda m: m.entropy(with_value(PROBA, 3, 0, 0.9), 1), ValueError,
     r"proba rows must sum to 1 \(within 0.001\); row 3 sums to 1.56667"),
    ("proba budget > n", lambda m: m.margin(PROBA, 5), ValueError, r"budget=5 must be >= 1 and <= 4"),
    ("proba budget 0", lambda m: m.least_confidence(PROBA, 0), ValueError, r"budget=0 must be >= 1"),
    ("scores method", lambda m: m.uncertainty_scores(PROBA, "gini"), ValueError, r"method='gini' must be one of"),
]


@pytest.mark.parametrize("call, exc, regex", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(bl, call, exc, regex):
    with pytest.raises(exc, match=regex):
        call(bl)

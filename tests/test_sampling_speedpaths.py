"""The accelerated sampling paths of cpp/sampling.cpp against the reference (ARCHITECTURE.md section 9).

With replacement the core searches a guide table (Chen & Asau) over the blocked CDF, or, for a few
draws from many rows, scans one block per draw; without replacement it rejects rows by one hash
against a threshold t that grows until size + 1 keys lie below it. None of this may change a
single index: every test here compares bits. The chi-square test has a false-alarm rate of 1e-6.
"""
import numpy as np
import pytest
from scipy import stats

import coresample
import coresample.reference as ref
from coresample import _core
from coresample._base.random import SUBSAMPLE
from coresample._base.validation import as_probability_vector
from coresample.reference.sampling import rows_from_uniforms, without_replacement
from conftest import assert_same_sample


def gamma_p(n, seed, zeros=0.0):
    rng = np.random.default_rng(seed)
    p = rng.gamma(0.3, size=n)
    p[rng.random(n) < zeros] = 0.0
    p[rng.integers(n)] = 1.0
    return p


@pytest.mark.parametrize("n", [1, 2, 1023, 1024, 1025, 100000])
@pytest.mark.parametrize("zeros", [0.0, 0.5, 0.99])
def test_with_replacement_matches_reference(n, zeros, seed):
    p = gamma_p(n, seed, zeros)
    # Sizes below a quarter of the block count take the block-scan path, the others the guide.
    for size in sorted({1, 5, 24, 25, 1000, 3 * n}):
        assert_same_sample(p, size, True, seed)


@pytest.mark.parametrize("n", [1, 2, 1023, 1024, 1025, 100000])
@pytest.mark.parametrize("zeros", [0.0, 0.5, 0.99])
def test_without_replacement_matches_reference(n, zeros, seed):
    p = gamma_p(n, seed, zeros)
    positive = int(np.count_nonzero(p))
    for size in sorted({1, min(positive, 10), max(1, positive // 3), max(1, positive - 1), positive}):
        assert_same_sample(p, size, False, seed)


def test_huge_dynamic_range_and_subnormals(seed):
    rng = np.random.default_rng(seed)
    n = 5000
    p = 10.0 ** rng.uniform(-300, 300, size=n)
    p[rng.integers(n, size=50)] = 5e-324 * rng.integers(1, 100, size=50)  # subnormals
    p[rng.integers(n, size=500)] = 0.0
    p[rng.integers(n)] = 1e300
    for size in (1, 7, 3000):
        assert_same_sample(p, size, True, seed)
    positive = int(np.count_nonzero(p))
    for size in (1, 50, positive - 1, positive):
        assert_same_sample(p, size, False, seed)


def test_many_zeros_large_n(seed):
    rng = np.random.default_rng(seed)
    p = np.zeros(300000)
    hot = rng.choice(300000, size=40, replace=False)
    p[hot] = rng.exponential(size=40)
    idx, _ = assert_same_sample(p, 20000, True, seed)
    assert set(np.unique(idx)) <= set(hot)
    assert_same_sample(p, 40, False, seed)
    assert_same_sample(p, 39, False, seed)


def test_without_replacement_threshold_growth(seed):
    # A few giant masses make the first threshold t = 1.5 (size + 1) / S far too small for the
    # unit rows, so t must grow (several passes) before size + 1 keys lie below it.
    p = np.ones(50000)
    p[[3, 777, 40000]] = 1e9
    for size in (2000, 20000, 49999):
        assert_same_sample(p, size, False, seed)
    # A sum that overflows to inf starts from the smallest normal t.
    q = np.zeros(3000)
    q[[5, 2500]] = 1e308
    q[100:200] = 1.0
    assert_same_sample(q, 1, False, seed)
    assert_same_sample(q, 50, False, seed)


def test_sum_overflow_with_replacement(seed):
    # S = inf: no cdf exceeds r * S, so every draw takes the last positive row.
    p = np.array([1e308, 1e308, 0.0, 1.0, 0.0])
    idx, _ = assert_same_sample(p, 2000, True, seed)
    assert np.all(idx == 3)


def test_last_positive_row_when_r_total_rounds_up():
    # The total is two subnormal ulps: r * total rounds to total for r >= 0.75, and no cdf entry
    # exceeds it; the draw then takes the last row with p > 0, not row n - 1.
    p = np.array([5e-324, 5e-324, 0.0, 0.0])
    rows, total = rows_from_uniforms(p, np.array([0.0, 0.3, 0.74, 0.76, 0.999]))
    assert total == 1e-323
    assert 0.76 * total == total  # the case the rule is for
    np.testing.assert_array_equal(rows, [0, 1, 1, 1, 1])
    # Core and reference agree on many such draws.
    idx, _ = assert_same_sample(p, 5000, True, 3)
    assert set(np.unique(idx)) == {0, 1}
    q = np.array([0.0, 5e-324, 0.0, 0.0])
    idx, _ = assert_same_sample(q, 1000, True, 4)
    assert np.all(idx == 1)


@pytest.mark.parametrize("replace", [True, False])
def test_thread_counts_bit_identical(replace, seed):
    p = gamma_p(200000, seed, zeros=0.2)
    size = 150000 if replace else 5000
    outs = [coresample.sample(p, size, replace=replace, random_state=seed, n_threads=t)
            for t in (1, 2, 3)]
    for idx, w in outs[1:]:
        assert idx.tobytes() == outs[0][0].tobytes()
        assert w.tobytes() == outs[0][1].tobytes()


def test_subsample_stream_matches_reference(seed):
    # KMeans' subsample: the binding with stream SUBSAMPLE and p = ones.
    n, m = 20000, 700
    idx, w = np.empty(m, dtype=np.int64), np.empty(m)
    _core.sample_without_replacement(np.ones(n), m, seed, SUBSAMPLE, idx, w, 0)
    r_idx, r_w = without_replacement(np.ones(n), m, seed, SUBSAMPLE)
    np.testing.assert_array_equal(idx, r_idx)
    np.testing.assert_array_equal(w, r_w)


def test_with_replacement_chi_square(impl, seed):
    rng = np.random.default_rng(seed)
    p = rng.gamma(2.0, size=300)
    p[rng.random(300) < 0.2] = 0.0
    p[0] = 1.0
    size = 300000
    idx, _ = impl.sample(p, size, random_state=seed)
    counts = np.bincount(idx, minlength=300)
    keep = p > 0
    assert counts[~keep].sum() == 0
    assert stats.chisquare(counts[keep], size * p[keep] / p.sum()).pvalue > 1e-6


@pytest.mark.parametrize("bad, message", [
    (-2.5, r"p must be non-negative, got min -2\.5$"),
    (-1e-300, r"p must be non-negative, got min -1e-300$"),
    (-5e-324, r"p must be non-negative, got min -4\.94066e-324$"),
    (-123456789.0, r"p must be non-negative, got min -1\.23457e\+08$"),
    (np.nan, r"p contains NaN or inf$"),
    (-np.inf, r"p contains NaN or inf$"),
])
@pytest.mark.parametrize("replace", [True, False])
def test_core_checks_same_messages(impl, bad, message, replace):
    # The core's fused pass must word its errors exactly as the reference's NumPy checks;
    # the bad entry sits in a late block.
    p = np.ones(5000)
    p[4321] = bad
    with pytest.raises(ValueError, match=message):
        impl.sample(p, 3, replace=replace)


def test_checks_come_in_the_reference_order(impl):
    p = np.ones(10)
    p[2] = np.nan
    with pytest.raises(ValueError, match="p contains NaN"):
        impl.sample(p, 0)  # p's values are reported before size
    with pytest.raises(ValueError, match=r"size=11 must be <= .* \(10\)"):
        impl.sample(np.ones(10), 11, replace=False, n_threads=0)


def test_p_is_not_copied():
    p = np.random.default_rng(0).random(1000)
    assert as_probability_vector(p) is p
    strided = np.random.default_rng(1).random(2000)[::2]  # converted, then equal results
    np.testing.assert_array_equal(coresample.sample(strided, 50, random_state=1)[0],
                                  coresample.sample(strided.copy(), 50, random_state=1)[0])
    np.testing.assert_array_equal(coresample.sample([1, 2, 3], 20, random_state=1)[0],
                                  ref.sample(np.array([1.0, 2.0, 3.0]), 20, random_state=1)[0])

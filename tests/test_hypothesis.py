"""Property-based cross-checks (hypothesis): shapes, sizes and seeds the hand-written cases miss."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import coresample
import coresample.reference as ref
from conftest import blobs

SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def masses(draw):
    n = draw(st.integers(1, 3000))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shape = draw(st.sampled_from([0.05, 0.5, 1.0, 5.0]))
    p = rng.gamma(shape, size=n)
    p[rng.random(n) < draw(st.floats(0.0, 0.9))] = 0.0
    p[rng.integers(n)] = draw(st.floats(1e-3, 1e3))
    return p


@SETTINGS
@given(p=masses(), seed=st.integers(0, 2**64 - 1), replace=st.booleans(), frac=st.floats(0.0, 1.0))
def test_sampling_core_equals_reference(p, seed, replace, frac):
    positive = int(np.count_nonzero(p))
    size = max(1, int(frac * (positive if not replace else 2 * len(p))))
    a_idx, a_w = coresample.sample(p, size, replace=replace, random_state=seed)
    b_idx, b_w = ref.sample(p, size, replace=replace, random_state=seed)
    np.testing.assert_array_equal(a_idx, b_idx)
    np.testing.assert_array_equal(a_w, b_w)
    assert np.all(p[a_idx] > 0)
    if not replace:
        assert len(np.unique(a_idx)) == size


@SETTINGS
@given(
    n=st.integers(1, 700), d=st.integers(1, 40), k=st.integers(1, 40),
    seed=st.integers(0, 10**6), f32=st.booleans(), z=st.sampled_from([1.0, 2.0, 2.5]),
)
def test_assign_and_snap_core_equal_reference(n, d, k, seed, f32, z):
    k = min(k, n)
    dtype = np.float32 if f32 else np.float64
    X, _ = blobs(n, d, k, seed, dtype)
    centers = (X[:k] + dtype(0.01)).astype(dtype)
    lc, cc = coresample.assign(X, centers, z)
    lr, cr = ref.assign(X, centers, z)
    np.testing.assert_array_equal(lc, lr)
    np.testing.assert_allclose(cc, cr, rtol=1e-5 if f32 else 1e-12, atol=1e-30)
    np.testing.assert_array_equal(
        coresample.snap_to_rows(X, centers, lc), ref.snap_to_rows(X, centers, lr)
    )

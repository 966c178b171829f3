"""64-bit indexing: X with n * d above 2^31 elements (8 GiB of address space) in np.zeros' lazily
zeroed pages: reading a page never written maps the kernel's shared zero page, so only the ~10 MiB
of rows written below take memory (the run's RSS stays under 100 MiB, ~2 s). A sparse memory-mapped
file did the same with page-cache zero fills, which count in RSS: 8-10 GiB and ~25 s (issue 13,
item 5). C-contiguous float32 arrays and memmaps take the same path (used in place, no copy).

Rows past element 2^31 get distinctive values, so a 32-bit offset anywhere (row * d wrapping,
an int index in a kernel) would read the wrong bytes and change the checked labels and costs.
"""
import numpy as np
import pytest

import coresample

D = 1 << 16
N = (1 << 15) + 64  # N * D = 2^31 + 2^22
FAR = 40  # the last FAR rows: 3.0 everywhere, their row number in the last column


@pytest.fixture(scope="module")
def X():
    X = np.zeros((N, D), dtype=np.float32)  # untouched pages: no memory until written
    X[-FAR:] = 3.0
    X[-FAR:, -1] = np.arange(FAR, dtype=np.float32)
    X[5] = -1.0
    X.flags.writeable = False  # read-only, as the memory-mapped file was
    yield X


def test_sizes_exceed_32_bit_offsets(X):
    assert X.size > 2**31 and (N - FAR) * D > 2**31  # the far rows start past element 2^31


def test_assign_reads_rows_past_2_31(X):
    centers = np.stack([np.zeros(D), np.full(D, 3.0), np.full(D, -1.0)]).astype(np.float32)
    labels, cost = coresample.assign(X, centers)
    expected = np.zeros(N, dtype=np.int64)
    expected[-FAR:] = 1
    expected[5] = 2
    np.testing.assert_array_equal(labels, expected)
    far = (np.arange(FAR) - 3.0) ** 2  # only the last column differs from the center
    np.testing.assert_array_equal(cost[-FAR:], far)
    assert not cost[:-FAR].any()


def test_select_clusters_and_costs_rows_past_2_31(X):
    sel = coresample.select(X, 50, n_clusters=2, random_state=0, max_points_per_center=3000)
    far, near = sel.labels[-1], sel.labels[0]
    assert far != near and (sel.labels[-FAR:] == far).all() and (sel.labels[:-FAR] == near).all()
    np.testing.assert_array_equal(np.sort(sel.cluster_weights), [FAR, N - FAR])
    # Costs recomputed in NumPy from the rows themselves (only row 5 and the far rows differ
    # from the near representative, an all-zero row).
    reps = {int(sel.labels[r]): np.asarray(X[r], dtype=np.float64) for r in sel.representatives}
    assert not reps[near].any()
    for r in [5, *range(N - FAR, N)]:
        assert sel.cost[r] == np.sum((np.asarray(X[r], dtype=np.float64) - reps[sel.labels[r]]) ** 2)
    assert sel.inertia == pytest.approx(sel.cost[5] + sel.cost[-FAR:].sum(), rel=1e-12)
    assert set(sel.indices.tolist()) <= set(range(N))

"""Invariances that any correct implementation satisfies, run on the core and the reference."""
import numpy as np
import pytest

from conftest import blobs, smooth_data


def test_integer_weights_equal_repeated_rows(impl, dtype, seed):
    X, _ = blobs(400, 4, 5, seed, dtype, spread=0.8, scale=3.0)
    reps = np.random.default_rng(seed).integers(1, 4, size=400)
    X_rep = np.repeat(X, reps, axis=0)
    init = X[:5].copy()
    a = impl.KMeans(5, init=init, max_iter=30, tol=0).fit(X, sample_weight=reps.astype(float))
    b = impl.KMeans(5, init=init, max_iter=30, tol=0).fit(X_rep)
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(a.inertia_, b.inertia_, rtol=1e-5)


def test_scaling_weights_changes_nothing(impl, seed):
    X, _ = blobs(500, 3, 4, seed, np.float64, spread=0.8, scale=3.0)
    w = np.random.default_rng(seed).uniform(0.1, 2, size=500)
    a = impl.KMeans(4, random_state=seed).fit(X, sample_weight=w)
    b = impl.KMeans(4, random_state=seed).fit(X, sample_weight=w * 8.0)  # power of 2: exact
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-12)
    p1 = impl.sensitivities(a.cost_, a.labels_, sample_weight=w)
    p2 = impl.sensitivities(a.cost_, a.labels_, sample_weight=w * 8.0)
    np.testing.assert_allclose(p1, p2, rtol=1e-14)


def test_row_permutation_permutes_outputs(impl, dtype, seed):
    X, _ = blobs(600, 5, 6, seed, dtype)
    perm = np.random.default_rng(seed).permutation(600)
    init = X[:6].copy()
    a = impl.KMeans(6, init=init, max_iter=50, tol=0).fit(X)
    b = impl.KMeans(6, init=init, max_iter=50, tol=0).fit(X[perm])
    np.testing.assert_array_equal(a.labels_[perm], b.labels_)
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-5)
    la, ca = impl.assign(X, init)
    lb, cb = impl.assign(X[perm], init)
    np.testing.assert_array_equal(la[perm], lb)
    np.testing.assert_array_equal(ca[perm], cb)


@pytest.mark.parametrize("z", [1.0, 1.5, 2.0])
def test_cost_never_rises_over_iterations(impl, z, seed):
    X = smooth_data(1500, 4, seed)
    init = X[:10].copy()
    costs = [impl.KMeans(10, z=z, init=init, max_iter=m, tol=0).fit(X).inertia_ for m in range(2, 15)]
    assert all(b <= a * (1 + 1e-12) for a, b in zip(costs, costs[1:])), costs


def test_more_clusters_cost_less(impl, seed):
    X, _ = blobs(2000, 6, 16, seed, np.float64)
    inertia = [impl.KMeans(k, random_state=seed).fit(X).inertia_ for k in (2, 4, 8, 16)]
    assert inertia == sorted(inertia, reverse=True)


def test_probabilities_sum_to_one(impl, seed):
    rng = np.random.default_rng(seed)
    cost, labels = rng.exponential(size=1000), rng.integers(7, size=1000)
    for method in ["lightweight", "coreset"]:
        p = impl.sensitivities(cost, labels, method=method)
        assert abs(p.sum() - 1) < 1e-12 and p.min() > 0


def test_zero_lambda_and_zero_losses_fall_back_to_weights(impl):
    cost, labels = np.arange(10.0), np.zeros(10, dtype=int)
    w = np.arange(1.0, 11.0)
    p = impl.sensitivities(cost, labels, np.zeros(1), 0.0, w)
    np.testing.assert_allclose(p, w / w.sum(), rtol=1e-15)


def test_sensitivity_upper_bounds_loss_ratio(impl, seed):
    # With center losses, v(e) = l(c) + lam cost(e); p must be proportional to it, mixed with the
    # defensive uniform share a: p = a / n + (1 - a) v / sum(v).
    rng = np.random.default_rng(seed)
    cost, labels = rng.exponential(size=500), rng.integers(4, size=500)
    losses = np.array([0.0, 1.0, 2.0, 5.0])
    v = losses[labels] + 0.5 * cost
    for a in (0.0, 0.1, 0.5, 1.0):
        p = impl.sensitivities(cost, labels, losses, 0.5, defensive=a)
        np.testing.assert_allclose(p, a / 500 + (1 - a) * v / v.sum(), rtol=1e-13)


def test_without_replacement_prefix_property(impl, seed):
    # Exponential keys: the first m rows of a size-s sample are the size-m sample.
    p = np.random.default_rng(seed).gamma(1.0, size=3000)
    big, _ = impl.sample(p, 500, replace=False, random_state=seed)
    small, _ = impl.sample(p, 50, replace=False, random_state=seed)
    np.testing.assert_array_equal(big[:50], small)
    assert len(np.unique(big)) == 500


def test_without_replacement_partition_invariance(impl, seed):
    # Keys depend on the global row index only: rows split into two "partitions" by zeroing
    # masses elsewhere keep their relative order, so the merge of the two bottom-s samples
    # restricted to the s smallest keys is the full sample.
    rng = np.random.default_rng(seed)
    p = rng.gamma(1.0, size=2000)
    s = 100
    full, _ = impl.sample(p, s, replace=False, random_state=seed)
    left, right = p.copy(), p.copy()
    left[1000:], right[:1000] = 0.0, 0.0
    a, _ = impl.sample(left, s, replace=False, random_state=seed)
    b, _ = impl.sample(right, s, replace=False, random_state=seed)
    from coresample._base.stream import exponential_keys
    keys = exponential_keys(seed, 4, 2000) / p
    merged = np.concatenate([a, b])
    merged = merged[np.argsort(keys[merged], kind="stable")][:s]
    np.testing.assert_array_equal(merged, full)


def test_same_seed_same_bytes(impl, seed):
    X, _ = blobs(800, 4, 6, seed, np.float32)
    loss = np.linspace(0, 1, 800)
    a = impl.select(X, 60, n_clusters=6, random_state=seed, loss_fn=lambda i: loss[i])
    b = impl.select(X, 60, n_clusters=6, random_state=seed, loss_fn=lambda i: loss[i])
    for field in ["indices", "weights", "probabilities", "representatives", "labels", "cost", "centers"]:
        assert getattr(a, field).tobytes() == getattr(b, field).tobytes(), field
    assert a.estimate == b.estimate


def test_generator_random_state_is_consumed(impl):
    p = np.ones(100)
    g = np.random.default_rng(5)
    a, _ = impl.sample(p, 10, random_state=g)
    b, _ = impl.sample(p, 10, random_state=g)
    assert not np.array_equal(a, b)


def test_select_queries_each_row_once(impl, seed):
    X, _ = blobs(500, 3, 5, seed, np.float64)
    asked = []

    def loss_fn(rows):
        asked.extend(rows.tolist())
        return np.ones(len(rows))

    sel = impl.select(X, 400, n_clusters=5, loss_fn=loss_fn, random_state=seed,
                      design="sensitivity")
    assert len(asked) == len(set(asked)) == sel.n_queries
    assert set(asked) == set(sel.representatives.tolist()) | set(sel.indices.tolist())
    asked.clear()  # the stratified design queries the sampled rows only
    sel = impl.select(X, 400, n_clusters=5, loss_fn=loss_fn, random_state=seed)
    assert len(asked) == len(set(asked)) == sel.n_queries
    assert set(asked) == set(sel.indices.tolist())


def test_select_representatives_are_members(impl, seed):
    X, truth = blobs(1000, 5, 7, seed, np.float64)
    sel = impl.select(X, 50, n_clusters=7, random_state=seed)
    assert np.array_equal(sel.labels[sel.representatives], np.arange(7))
    assert np.all(sel.cost[sel.representatives] == 0)
    # Costs are measured to the representatives (real rows), not to the centroids.
    d2 = ((X - X[sel.representatives][sel.labels]) ** 2).sum(1)
    np.testing.assert_allclose(sel.cost, d2, rtol=1e-12)
    assert sel.inertia == pytest.approx(d2.sum(), rel=1e-12)

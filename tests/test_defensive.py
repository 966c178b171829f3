"""The defensive uniform share (issue 14, item 1): p = a u / U + (1 - a) p_sens keeps p > 0 on
every row of positive weight, so the estimate is unbiased for any loss, lam = 0 included."""
import numpy as np
import pytest

import coresample
import coresample.reference as reference
from coresample._algorithm.sensitivity import DEFENSIVE

IMPLS = pytest.mark.parametrize("impl", [coresample, reference], ids=["core", "reference"])


def zero_one_task(n=2000, seed=0):
    """Rows in 8 tight clusters; a 0-1 loss that the representatives mostly miss: with lam = 0
    the plain design gives p = 0 to every row of a cluster whose representative has loss 0."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=10.0, size=(8, 3))
    X = centers[rng.integers(8, size=n)] + 0.01 * rng.normal(size=(n, 3))
    loss = (rng.random(n) < 0.3).astype(np.float64)
    return X, loss


@IMPLS
def test_every_row_of_positive_weight_keeps_p_positive(impl):
    X, loss = zero_one_task()
    u = np.where(np.arange(X.shape[0]) % 5 == 0, 0.0, 1.0)
    kw = dict(n_clusters=8, lam=0.0, loss_fn=lambda i: loss[i], random_state=0, sample_weight=u,
              design="sensitivity")
    plain = impl.select(X, 50, defensive=0.0, **kw)
    assert (plain.probabilities[u > 0] == 0).any()  # the failure the share exists for
    sel = impl.select(X, 50, **kw)
    assert (sel.probabilities[u > 0] >= DEFENSIVE / u.sum() * (1 - 1e-12)).all()
    assert (sel.probabilities[u == 0] == 0).all()


@pytest.mark.parametrize("replace", [True, False], ids=["with", "without"])
@pytest.mark.parametrize("estimator", ["plain", "difference"])
def test_unbiased_on_a_zero_one_loss_with_lam_zero(replace, estimator):
    """300 seeds: the mean estimate lies within 4 standard errors of the true mean loss (a false
    alarm about once in 16,000 runs); the plain design (defensive=0) fails the same check."""
    X, loss = zero_one_task()
    truth = loss.mean()

    def estimates(defensive):
        return np.array([
            coresample.select(X, 40, n_clusters=8, lam=0.0, loss_fn=lambda i: loss[i],
                              replace=replace, estimator=estimator, defensive=defensive,
                              random_state=seed, design="sensitivity").estimate
            for seed in range(300)
        ])

    est = estimates(DEFENSIVE)
    t = (est.mean() - truth) / (est.std(ddof=1) / np.sqrt(est.size))
    assert abs(t) < 4, (est.mean(), truth, t)
    biased = estimates(0.0)
    t0 = (biased.mean() - truth) / (biased.std(ddof=1) / np.sqrt(biased.size) + 1e-300)
    assert abs(t0) > 4, (biased.mean(), truth, t0)


@pytest.mark.parametrize("a", [0.0, 0.1, 0.37, 1.0])
@pytest.mark.parametrize("method", ["lightweight", "coreset", "oracle"])
def test_core_and_reference_agree_bit_for_bit(a, method):
    rng = np.random.default_rng(3)
    cost, labels = rng.exponential(size=3000), rng.integers(6, size=3000)
    u = rng.gamma(1.0, size=3000)
    losses = None if method != "oracle" else np.array([0.0, 0.5, 1.0, 0.0, 2.0, 3.0])
    kw = dict(method="lightweight" if method == "oracle" else method, defensive=a, n_clusters=6)
    p = coresample.sensitivities(cost, labels, losses, 0.3, u, **kw)
    q = reference.sensitivities(cost, labels, losses, 0.3, u, **kw)
    assert p.tobytes() == q.tobytes()
    if a == 1.0:
        np.testing.assert_allclose(p, u / u.sum(), rtol=1e-14)


@IMPLS
@pytest.mark.parametrize("bad, exc", [(-0.1, ValueError), (1.5, ValueError), (np.nan, ValueError),
                                      ("half", TypeError)])
def test_bad_defensive_names_the_argument(impl, bad, exc):
    X, _ = zero_one_task(200)
    with pytest.raises(exc, match="defensive"):
        impl.select(X, 10, n_clusters=3, defensive=bad)
    with pytest.raises(exc, match="defensive"):
        impl.sensitivities(np.ones(5), np.zeros(5, dtype=np.int64), defensive=bad)


@IMPLS
def test_regression_distributions_keep_every_row(impl):
    """Regression's default distribution is half uniform by construction (p >= 1 / 2n); its pilot
    distribution r^2 + lam cost, which is 0 on a cluster whose representative has residual 0
    when lam = 0, keeps every row through the defensive share."""
    rng = np.random.default_rng(5)
    A = np.ascontiguousarray(np.c_[np.ones(3000), rng.normal(size=(3000, 3))])
    b = A @ np.array([1.0, 2.0, -1.0, 0.5]) + rng.normal(size=3000)
    p = impl.regression.row_probabilities(A, b, random_state=0)
    assert p.min() >= 0.5 / 3000 * (1 - 1e-9)
    zero = lambda reps: np.where(np.arange(reps.shape[0]) % 2 == 0, 0.0, 1.0)  # noqa: E731
    p = impl.regression.row_probabilities(A, b, pilot_residuals=zero, lam=0.0, random_state=0)
    assert p.min() >= DEFENSIVE / 3000 * (1 - 1e-9)

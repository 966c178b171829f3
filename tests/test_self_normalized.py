"""estimate(..., self_normalized=True): Hajek's ratio form, exact for constant losses, tighter
without replacement when the losses vary little (docs/RESULTS.md, a.5)."""
import numpy as np
import pytest

import coresample
from conftest import blobs


def test_by_hand():
    est = coresample.estimate(np.array([1.0, 3.0]), np.array([2.0, 6.0]), 10.0,
                              self_normalized=True)
    assert est.mean == pytest.approx((2 * 1 + 6 * 3) / 8) and est.total == pytest.approx(25.0)


@pytest.mark.parametrize("replace", [True, False])
def test_constant_losses_are_exact(replace):
    X, _ = blobs(2000, 3, 5, seed=1)
    sel = coresample.select(X, 100, n_clusters=5, replace=replace, random_state=3,
                            design="sensitivity")
    losses = np.full(100, 0.7)
    est = sel.estimate_from(losses, self_normalized=True)
    assert est.mean == pytest.approx(0.7, rel=1e-12) and est.stderr == pytest.approx(0.0, abs=1e-12)
    plain = sel.estimate_from(losses)
    assert plain.mean != pytest.approx(0.7, rel=1e-6)  # the plain form carries sum(w)'s noise


def test_tighter_and_nearly_unbiased_without_replacement():
    X, truth = blobs(3000, 4, 10, seed=2)
    loss = 1.0 + 0.3 * np.random.default_rng(0).random(3000)  # sd/mean small: sum(w) noise dominates
    errs = {"plain": [], "ratio": []}
    cover = 0
    for seed in range(300):
        sel = coresample.select(X, 150, n_clusters=10, replace=False, random_state=seed, max_iter=5,
                                design="sensitivity")
        y = loss[sel.indices]
        a = sel.estimate_from(y)
        b = sel.estimate_from(y, self_normalized=True)
        errs["plain"].append(a.mean - loss.mean())
        errs["ratio"].append(b.mean - loss.mean())
        cover += b.ci[0] <= loss.mean() <= b.ci[1]
    plain, ratio = np.array(errs["plain"]), np.array(errs["ratio"])
    assert np.sqrt((ratio**2).mean()) < 0.5 * np.sqrt((plain**2).mean())
    assert abs(ratio.mean()) < 3 * ratio.std(ddof=1) / np.sqrt(ratio.size) + 1e-3 * loss.mean()
    assert 0.85 <= cover / 300 <= 0.995

"""coresample.plot: the 2-D picture of a selection (matplotlib optional)."""
import subprocess
import sys

import numpy as np
import pytest

import coresample
from conftest import blobs

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def test_importing_coresample_does_not_import_matplotlib():
    code = "import coresample, sys; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_project_2d_is_principal_axes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 5)) * np.array([10.0, 5.0, 1.0, 0.1, 0.1])
    from coresample.plot import project_2d

    P = project_2d(X)
    assert P.shape == (500, 2)
    # the first axis carries the largest variance, the second the next
    assert P[:, 0].var() == pytest.approx(np.var(X[:, 0]), rel=0.1)
    assert P[:, 1].var() == pytest.approx(np.var(X[:, 1]), rel=0.2)
    np.testing.assert_array_equal(project_2d(np.ascontiguousarray(X[:, :2])), X[:, :2])


def test_plot_selection_draws_each_layer():
    import matplotlib.pyplot as plt
    from coresample.plot import plot_selection

    X, _ = blobs(1000, 4, 6, seed=0)
    sel = coresample.select(X, 60, n_clusters=6, replace=True, random_state=0)
    ax = plot_selection(X, sel)
    background, sampled, reps = ax.collections
    assert len(background.get_offsets()) == 1000
    assert len(sampled.get_offsets()) == np.unique(sel.indices).size
    assert len(reps.get_offsets()) == 6
    sizes = sampled.get_sizes()
    assert sizes.min() >= 6.0 and sizes.max() == pytest.approx(120.0)
    plt.close(ax.figure)


def test_plot_rejects_other_data():
    from coresample.plot import plot_selection

    X, _ = blobs(300, 2, 3, seed=1)
    sel = coresample.select(X, 20, n_clusters=3, random_state=0)
    with pytest.raises(ValueError, match="X has 200 rows but the selection was made on 300"):
        plot_selection(X[:200], sel)

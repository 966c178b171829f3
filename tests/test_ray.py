"""coresample.ray (docs/DISTRIBUTED.md): select over a Ray Dataset on a local Ray runtime gives
the single-machine selection bit for bit, for any block layout, with select's own defaults."""
import shutil
import tempfile

import numpy as np
import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")

import coresample  # noqa: E402
import coresample.ray as cray  # noqa: E402
from conftest import (  # noqa: E402
    ENGINE_D, ENGINE_K, ENGINE_N, assert_same_evaluation, assert_same_selection, engine_rows,
    engine_weights, evaluation_case,
)

# Ray's own deprecation notices must not fail the suite (warnings are errors in pyproject).
pytestmark = [pytest.mark.ray, pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::FutureWarning")]

N, D, K, B, M = ENGINE_N, ENGINE_D, ENGINE_K, 60, 24


@pytest.fixture(scope="module")
def local_ray():
    # A new local runtime (never one named by RAY_ADDRESS), no dashboard, and its session folder
    # in a temp dir removed afterwards instead of /tmp/ray (issue 13, item 5). A short path of our
    # own, not tmp_path: Ray puts unix sockets under it, and their paths must stay under 108 bytes.
    temp_dir = tempfile.mkdtemp(prefix="cs-ray-")
    try:
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
                 configure_logging=False, _temp_dir=temp_dir)
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        yield
    finally:
        ray.shutdown()
        shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def X():
    return engine_rows()


def dataset(X, blocks):
    return ray.data.from_numpy(X).repartition(blocks)




@pytest.mark.parametrize("blocks", [1, 3, 7])
def test_defaults_give_the_same_selection(local_ray, X, blocks):
    """Issue 13: only budget, n_clusters and random_state given; select's defaults everywhere."""
    ref = coresample.select(X, B, n_clusters=K, random_state=2)
    with pytest.warns(coresample.CopyWarning, match="all-rows fit gathers all 5000 rows"):
        got = cray.select(dataset(X, blocks), B, n_clusters=K, random_state=2)
    assert_same_selection(got, ref)
    assert isinstance(got.labels, cray.RayVector) and "Ray" in repr(got)
    np.testing.assert_array_equal(got.labels.compute(), ref.labels)
    np.testing.assert_array_equal(got.probabilities.compute(), ref.probabilities)


def loss_of(X):
    return lambda rows: np.asarray(X[rows, 0], dtype=np.float64) ** 2 + 0.5


@pytest.mark.parametrize("replace", [False, True])
@pytest.mark.parametrize("design", ["sensitivity", "stratified"])
def test_weights_oracle_and_subsample_fit(local_ray, X, replace, design):
    """Sample weights with zeros, an oracle and a subsample fit; Algorithm 1 with lam="auto" and
    the difference estimator, or the stratified design with strata= and proxy= (NumPy vectors
    in the dataset's order)."""
    u = np.random.default_rng(1).uniform(0.0, 3.0, size=N)
    u[::9] = 0.0
    loss = loss_of(X)
    kw = dict(n_clusters=K, max_points_per_center=M, random_state=5, replace=replace,
              sample_weight=u, loss_fn=loss, design=design)
    if design == "sensitivity":
        kw.update(estimator="difference", lam="auto")
    else:
        kw.update(strata=np.arange(N) % 4, proxy=loss(np.arange(N)) * (1.2 + np.cos(np.arange(N))))
    ref = coresample.select(X, B, **kw)
    got = cray.select(dataset(X, 4), B, **kw)
    assert_same_selection(got, ref, estimate=True)
    np.testing.assert_array_equal(got.sample_weight.compute(), u)
    if design == "stratified":
        np.testing.assert_array_equal(got.strata.compute(), ref.strata)


def test_float16_and_list_column(local_ray, X):
    X16 = X.astype(np.float16)
    kw = dict(n_clusters=K, random_state=7, replace=False, max_points_per_center=M)
    assert_same_selection(cray.select(dataset(X16, 2), B, **kw), coresample.select(X16, B, **kw))
    rows = ray.data.from_items([{"emb": X[i].tolist()} for i in range(1500)])
    ref = coresample.select(X[:1500].astype(np.float64), 30, **kw)
    assert_same_selection(cray.select(rows, 30, **kw), ref)


def test_errors(local_ray, X):
    with pytest.raises(TypeError, match="ray.data.Dataset"):
        cray.select(X, B, n_clusters=K)
    two = ray.data.from_items([{"a": [1.0, 2.0], "b": 1} for _ in range(10)])
    with pytest.raises(ValueError, match="select_columns"):
        cray.select(two, 5, n_clusters=2)
    with pytest.raises(ValueError, match="budget"):
        cray.select(dataset(X, 2), N + 1, n_clusters=K, replace=False)
    bad = X.copy()
    bad[4321, 2] = np.nan
    with pytest.raises(ValueError, match="4321"):
        cray.select(dataset(bad, 3), B, n_clusters=K, max_points_per_center=M, random_state=0)


def test_evaluate_matches_evaluate(local_ray, X):
    """Issue 16: coresample.ray.evaluate gives coresample.evaluate's answer bit for bit."""
    loss, kw = evaluation_case(X, engine_weights(), weights=True, proxy=True, max_queries=300)
    ref = coresample.evaluate(X, lambda rows: loss[rows], **kw)
    got = cray.evaluate(dataset(X, 3), lambda rows: loss[rows], **kw)
    assert_same_evaluation(got, ref)

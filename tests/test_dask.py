"""coresample.dask (docs/DISTRIBUTED.md): select over a dask array on a local multi-process
cluster gives the single-machine selection bit for bit, for any chunking, and survives the loss
of a worker mid-run."""
import os

import numpy as np
import pytest

pytest.importorskip("dask")
pytest.importorskip("distributed")

import dask.array as da  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

import coresample  # noqa: E402
import coresample.dask as cdask  # noqa: E402
from conftest import (  # noqa: E402
    ENGINE_D, ENGINE_K, ENGINE_N, assert_same_evaluation, assert_same_selection, engine_rows,
    engine_weights, evaluation_case,
)

pytestmark = pytest.mark.dask

N, D, K, B, M = ENGINE_N, ENGINE_D, ENGINE_K, 60, 24
CHUNKINGS = [1000, 1024, 3000, (700, 2300, 1000, 1000), (5000,)]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    # No fixed port (issue 13, item 5): the dashboard off, and the scheduler's HTTP server (which
    # distributed starts even without a dashboard, by default on 8787) on a free port of the
    # loopback; the scheduler and worker ports are free ports too. Spill files go under pytest's
    # temp folder, not into tempfile.gettempdir()/dask-scratch-space (the scheduler makes one
    # there too unless temporary-directory says otherwise).
    import dask

    scratch = str(tmp_path_factory.mktemp("dask"))
    with dask.config.set({"temporary-directory": scratch}):
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            local_directory=scratch, silence_logs=40,
        )
        c = Client(cluster)
        yield c
        c.close()
        cluster.close()


@pytest.fixture(scope="module")
def X():
    return engine_rows()


@pytest.fixture(scope="module")
def u():
    return engine_weights()


def loss_of(X):
    return lambda rows: np.asarray(X[rows, 0], dtype=np.float64) ** 2 + 0.5




@pytest.mark.parametrize("chunks", CHUNKINGS, ids=str)
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_same_selection_as_one_machine(client, X, chunks, seed):
    kw = dict(n_clusters=K, max_points_per_center=M, random_state=seed, replace=False)
    ref = coresample.select(X, B, **kw)
    got = cdask.select(da.from_array(X, chunks=(chunks, D)), B, **kw)
    assert_same_selection(got, ref)


@pytest.mark.parametrize("chunks", [1000, (700, 2300, 2000), (5000,)], ids=str)
def test_defaults_give_the_same_selection(client, X, chunks):
    """Issue 13: with only budget, n_clusters and random_state given, the defaults (design and
    replace "auto": the stratified design, distinct rows; max_points_per_center="auto": here an
    all-rows fit) are select's, and so is the result."""
    ref = coresample.select(X, B, n_clusters=K, random_state=21)
    with pytest.warns(coresample.CopyWarning, match="all-rows fit gathers all 5000 rows"):
        got = cdask.select(da.from_array(X, chunks=(chunks, D)), B, n_clusters=K, random_state=21)
    assert_same_selection(got, ref)
    assert got.replace is ref.replace is False
    np.testing.assert_array_equal(got.labels.compute(), ref.labels)


def _nbytes(obj):
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if isinstance(obj, dict):
        return sum(_nbytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_nbytes(v) for v in obj)
    return 8


@pytest.mark.parametrize("replace", [False, True])
def test_client_receives_no_n_length_array(client, X, u, monkeypatch, replace):
    """Every result brought to the client is far smaller than one n-length float64 vector
    (8 N bytes): the gathered k*m rows, block sums, counts and candidates only."""
    import dask
    import dask.base

    sizes = []
    real = dask.base.compute

    def recording(*args, **kwargs):
        out = real(*args, **kwargs)
        sizes.append(_nbytes(out))
        return out

    monkeypatch.setattr(dask.base, "compute", recording)
    monkeypatch.setattr(dask, "compute", recording)
    cdask.select(da.from_array(X, chunks=(1024, D)), B, n_clusters=K, max_points_per_center=M,
                 random_state=0, sample_weight=da.from_array(u, chunks=1024), replace=replace)
    assert len(sizes) >= 5 and max(sizes) < 8 * N / 4, sizes


@pytest.mark.parametrize("chunks", [1000, (2000, 100, 2900)], ids=str)
def test_lazy_n_length_fields(client, X, chunks):
    kw = dict(n_clusters=K, max_points_per_center=M, random_state=3, replace=False)
    ref = coresample.select(X, B, **kw)
    got = cdask.select(da.from_array(X, chunks=(chunks, D)), B, **kw)
    for name in ("labels", "cost", "probabilities"):
        field = getattr(got, name)
        assert isinstance(field, da.Array)
        np.testing.assert_array_equal(field.compute(), getattr(ref, name), err_msg=name)


@pytest.mark.parametrize("chunks", [1000, (700, 2300, 2000), (5000,)], ids=str)
@pytest.mark.parametrize("dask_weights", [False, True], ids=["np_u", "dask_u"])
def test_sample_weight(client, X, u, chunks, dask_weights):
    kw = dict(n_clusters=K, max_points_per_center=M, random_state=5, replace=False)
    ref = coresample.select(X, B, sample_weight=u, **kw)
    uu = da.from_array(u, chunks=600) if dask_weights else u
    got = cdask.select(da.from_array(X, chunks=(chunks, D)), B, sample_weight=uu, **kw)
    assert_same_selection(got, ref)


@pytest.mark.parametrize(
    "extra",
    [dict(), dict(design="sensitivity"),
     dict(lam="auto", estimator="difference", design="sensitivity"),
     dict(sample_weight="u", estimator="difference", design="sensitivity")],
    ids=["stratified", "plain", "auto_difference", "weighted_difference"],
)
def test_loss_fn_estimate(client, X, u, extra):
    extra = dict(extra)
    if extra.get("sample_weight") == "u":
        extra["sample_weight"] = u
    kw = dict(n_clusters=K, max_points_per_center=M, random_state=2, loss_fn=loss_of(X),
              replace=False, **extra)
    ref = coresample.select(X, B, **kw)
    got = cdask.select(da.from_array(X, chunks=(1000, D)), B, **kw)
    assert_same_selection(got, ref, estimate=True)
    if got.design == "stratified":
        return
    reps_loss = loss_of(X)(got.representatives)
    a = got.estimate_from(got.losses, representative_losses=reps_loss)
    b = ref.estimate_from(ref.losses, representative_losses=reps_loss)
    assert a.mean == b.mean and a.stderr == b.stderr


@pytest.mark.parametrize(
    "extra",
    [dict(method="coreset"), dict(method="coreset", sample_weight="u"), dict(z=1.0),
     dict(lam=0.0), dict(init="k-means||")],
    ids=["coreset", "coreset_weighted", "z1", "lam0", "kmeans_parallel"],
)
def test_options(client, X, u, extra):
    extra = dict(dict(n_clusters=K, max_points_per_center=M, random_state=4, replace=False), **extra)
    if extra.get("sample_weight") == "u":
        extra["sample_weight"] = u
    ref = coresample.select(X, B, **extra)
    got = cdask.select(da.from_array(X, chunks=(3000, D)), B, **extra)
    assert_same_selection(got, ref)


@pytest.mark.parametrize("dtype", [np.float64, np.float16])
def test_dtypes(client, X, dtype):
    Xd = X.astype(dtype)
    kw = dict(n_clusters=K, max_points_per_center=M, random_state=9, replace=False)
    ref = coresample.select(Xd, B, **kw)
    got = cdask.select(da.from_array(Xd, chunks=(1500, D)), B, **kw)
    assert_same_selection(got, ref)


def test_errors(client, X):
    Xd = da.from_array(X, chunks=(1000, D))
    with pytest.raises(ValueError, match="budget"):
        cdask.select(Xd, N + 1, n_clusters=K, max_points_per_center=M, replace=False)
    with pytest.raises(TypeError, match="dask"):
        cdask.select(X, B, n_clusters=K)
    bad = X.copy()
    bad[4321, 2] = np.nan
    with pytest.raises(ValueError, match="4321"):
        cdask.select(da.from_array(bad, chunks=(1000, D)), B, n_clusters=K, max_points_per_center=M,
                     random_state=0)


@pytest.mark.parametrize("chunks", [1000, (700, 2300, 2000), (5000,)], ids=str)
@pytest.mark.parametrize("budget", [B, 3000], ids=["search", "guided"])  # the core's two paths
def test_with_replacement(client, X, u, chunks, budget):
    kw = dict(n_clusters=K, max_points_per_center=M, random_state=8, replace=True)
    ref = coresample.select(X, budget, **kw)
    got = cdask.select(da.from_array(X, chunks=(chunks, D)), budget, **kw)
    assert_same_selection(got, ref)
    assert got.replace is True
    for design, estimator in (("sensitivity", "difference"), ("stratified", "auto")):
        ref = coresample.select(X, budget, sample_weight=u, loss_fn=loss_of(X), design=design,
                                estimator=estimator, **kw)
        got = cdask.select(da.from_array(X, chunks=(chunks, D)), budget, sample_weight=u,
                           loss_fn=loss_of(X), design=design, estimator=estimator, **kw)
        assert_same_selection(got, ref, estimate=True)


@pytest.mark.parametrize("chunks", [1000, (700, 2300, 2000)], ids=str)
@pytest.mark.parametrize("replace", [False, True])
def test_strata_and_proxy(client, X, u, chunks, replace):
    """The stratified design with strata= (dask, strings) and proxy= (NumPy), bit for bit."""
    g = np.array(["x", "y", "z"])[np.arange(N) % 3]
    proxy = loss_of(X)(np.arange(N)) * (1.2 + np.cos(np.arange(N)))
    kw = dict(n_clusters=K, max_points_per_center=M, random_state=9, replace=replace,
              sample_weight=u, loss_fn=loss_of(X), proxy=proxy)
    ref = coresample.select(X, B, strata=g, **kw)
    got = cdask.select(da.from_array(X, chunks=(chunks, D)), B,
                       strata=da.from_array(g, chunks=777), **kw)
    assert_same_selection(got, ref, estimate=True)
    np.testing.assert_array_equal(got.strata.compute(), ref.strata)
    with pytest.raises(ValueError, match="proxy must be a 1-D array of length n_samples=5000"):
        cdask.select(da.from_array(X, chunks=(chunks, D)), B, proxy=proxy[:10], **{
            k: v for k, v in kw.items() if k != "proxy"})


def test_worker_killed_mid_run(client, X, tmp_path):
    """The first partition re-read in pass (b) kills its worker process (os._exit); the scheduler
    reschedules its tasks (and recomputes what the dead worker held), the result is unchanged."""
    flags = str(tmp_path)

    def killer(block, block_info=None):
        start = block_info[0]["array-location"][0][0]
        seen = os.path.join(flags, f"seen-{start}")
        if os.path.exists(seen):  # second read of this chunk: pass (b), after the gather
            try:
                fd = os.open(os.path.join(flags, "killed"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return block
            os.close(fd)
            os._exit(1)
        open(seen, "w").close()
        return block

    kw = dict(n_clusters=K, max_points_per_center=M, random_state=13, replace=False)
    ref = coresample.select(X, B, **kw)
    before = set(client.scheduler_info()["workers"])
    Xd = da.from_array(X, chunks=(1024, D)).map_blocks(killer, dtype=X.dtype)
    got = cdask.select(Xd, B, **kw)
    assert os.path.exists(os.path.join(flags, "killed")), "no worker was killed"
    client.wait_for_workers(2, timeout=60)
    assert set(client.scheduler_info()["workers"]) != before  # a new worker process joined
    assert_same_selection(got, ref)


def test_kmeans(client, X):
    Xd = da.from_array(X, chunks=(1000, D))
    zero = cdask.KMeans(K, max_points_per_center=M, lloyd_passes=0, random_state=3).fit(Xd)
    one = coresample.KMeans(K, max_points_per_center=M, random_state=3).fit(X)
    np.testing.assert_array_equal(zero.cluster_centers_, one.cluster_centers_)
    assert zero.inertia_ == coresample.KMeans(K, init=one.cluster_centers_, max_iter=0).fit(X).inertia_
    two = cdask.KMeans(K, max_points_per_center=M, lloyd_passes=2, random_state=3).fit(Xd)
    assert two.inertia_ <= zero.inertia_ * (1 + 1e-12)
    other = cdask.KMeans(K, max_points_per_center=M, lloyd_passes=2, random_state=3).fit(
        da.from_array(X, chunks=(2500, D)))
    np.testing.assert_allclose(other.cluster_centers_, two.cluster_centers_, rtol=1e-5, atol=1e-5)
    labels = two.predict(Xd)
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), coresample.assign(X, two.cluster_centers_)[0])


@pytest.mark.parametrize("chunks", [1000, (700, 2300, 2000)], ids=str)
def test_evaluate_matches_evaluate(client, X, u, chunks):
    """Issue 16: coresample.dask.evaluate gives coresample.evaluate's answer bit for bit, with
    dask sample weights, NumPy strata and a proxy."""
    loss, kw = evaluation_case(X, u, weights=True, strata=True, proxy=True, rtol=0.03)
    ref = coresample.evaluate(X, lambda rows: loss[rows], **kw)
    kw["sample_weight"] = da.from_array(u, chunks=600)
    got = cdask.evaluate(da.from_array(X, chunks=(chunks, D)), lambda rows: loss[rows], **kw)
    assert_same_evaluation(got, ref)

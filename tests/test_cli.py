"""`coresample select` and `coresample info` (issue 5, item 4): inputs, outputs, exit codes."""

import inspect
import json
import os
import re
import subprocess
import sys

import coresample
import numpy as np
import pytest
from coresample.app.cli import main

N, D, K, B, SEED = 600, 8, 10, 40, 3


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, D)).astype(np.float32)
    losses = rng.random(N)
    root = tmp_path_factory.mktemp("cli")
    np.save(root / "emb.npy", X)
    np.save(root / "loss.npy", losses)
    np.savez(root / "one.npz", emb=X)
    np.savez(root / "two.npz", emb=X, other=X[:10])
    shards = root / "shards"
    shards.mkdir()
    # file names sort as shard_0, shard_1, shard_2: the order of the rows
    for i, part in enumerate(np.array_split(X, 3)):
        np.save(shards / f"shard_{i}.npy", part)
    return {"X": X, "losses": losses, "root": root}


def _expected(X, losses=None, **kw):
    loss_fn = None if losses is None else (lambda idx: losses[idx])
    return coresample.select(X, B, n_clusters=K, random_state=SEED, loss_fn=loss_fn, **kw)


def _run(args, capsys):
    rc = main(args)
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def _select(emb, out, *extra):
    return [
        "select",
        str(emb),
        "--budget",
        str(B),
        "--clusters",
        str(K),
        "--seed",
        str(SEED),
        "--out",
        str(out),
        *extra,
    ]


@pytest.mark.parametrize(
    "source,extra",
    [("emb.npy", []), ("one.npz", []), ("two.npz", ["--key", "emb"]), ("shards", [])],
)
def test_inputs_give_the_library_selection(data, tmp_path, capsys, source, extra):
    out = tmp_path / "sel.npz"
    rc, stdout, _ = _run(_select(data["root"] / source, out, "--quiet", *extra), capsys)
    assert rc == 0
    ref = _expected(data["X"])
    with np.load(out) as f:
        np.testing.assert_array_equal(f["indices"], ref.indices)
        np.testing.assert_array_equal(f["weights"], ref.weights)
        np.testing.assert_array_equal(f["representatives"], ref.representatives)
        np.testing.assert_array_equal(f["cluster_weights"], ref.cluster_weights)
        assert "probabilities" not in f.files and "estimate" not in f.files
        meta = json.loads(str(f["metadata"]))
    assert meta["n_samples"] == N and meta["params"]["random_state"] == SEED
    # stdout holds the one summary line and nothing else
    assert stdout.count("\n") == 1 and stdout.startswith(f"selected {B} rows")


def test_loss_file_estimate_and_options(data, tmp_path, capsys):
    out = tmp_path / "sel.npz"
    args = _select(
        data["root"] / "emb.npy",
        out,
        "--loss-file",
        str(data["root"] / "loss.npy"),
        "--lam",
        "auto",
        "--no-replace",
        "--estimator",
        "difference",
        "--design",
        "sensitivity",
        "--z",
        "1",
        "--threads",
        "1",
        "--save-probabilities",
        "--save-labels",
        "--json",
    )
    rc, stdout, stderr = _run(args, capsys)
    assert rc == 0
    ref = _expected(
        data["X"], data["losses"], lam="auto", replace=False, estimator="difference", z=1.0,
        design="sensitivity",
    )
    summary = json.loads(stdout)
    assert summary["estimate"] == pytest.approx(ref.estimate) and summary["out"] == str(out)
    with np.load(out) as f:
        np.testing.assert_array_equal(f["indices"], ref.indices)
        assert float(f["estimate"]) == pytest.approx(ref.estimate)
        assert float(f["stderr"]) == pytest.approx(ref.stderr)
        np.testing.assert_allclose(f["ci"], ref.ci)
        np.testing.assert_array_equal(f["losses"], data["losses"][ref.indices])
        np.testing.assert_array_equal(f["probabilities"], ref.probabilities)
        np.testing.assert_array_equal(f["labels"], ref.labels)
    assert "cluster" in stderr and "write" in stderr  # progress on stderr


def test_parquet_in_and_out(data, tmp_path, capsys):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq
    from coresample.app.io import read_parquet_metadata

    X = data["X"]
    src = tmp_path / "emb.parquet"
    table = pa.table(
        {"id": np.arange(N), "vec": pa.FixedSizeListArray.from_arrays(pa.array(X.ravel()), D)}
    )
    pq.write_table(table, src, row_group_size=250)
    src_list = tmp_path / "emb_list.parquet"
    pq.write_table(pa.table({"emb": pa.array(list(X.astype(np.float64)))}), src_list)
    ref = _expected(X, data["losses"])
    for path, extra in [(src, ["--column", "vec"]), (src_list, [])]:
        out = tmp_path / "sel.parquet"
        rc, _, _ = _run(
            _select(path, out, "--quiet", "--loss-file", str(data["root"] / "loss.npy"), *extra),
            capsys,
        )
        assert rc == 0
        got = pq.read_table(out)
        assert got.column_names == ["index", "weight", "probability", "is_representative", "loss"]
        np.testing.assert_array_equal(got.column("index").to_numpy(), ref.indices)
        np.testing.assert_array_equal(got.column("weight").to_numpy(), ref.weights)
        np.testing.assert_array_equal(
            got.column("probability").to_numpy(), ref.probabilities[ref.indices]
        )
        np.testing.assert_array_equal(got.column("loss").to_numpy(), data["losses"][ref.indices])
        meta = read_parquet_metadata(out)
        assert meta["representatives"] == ref.representatives.tolist()
        assert meta["estimate"] == pytest.approx(ref.estimate)


def _write_bad(root):
    np.save(root / "ints.npy", np.ones((20, 3), dtype=np.int64))
    nan = np.ones((20, 3))
    nan[7, 1] = np.nan
    np.save(root / "nan.npy", nan)
    np.save(root / "flat.npy", np.ones(20))
    np.save(root / "short_loss.npy", np.ones(5))
    (root / "text.csv").write_text("1,2\n")


@pytest.mark.parametrize(
    "name,extra,pattern",
    [
        ("missing.npy", [], "missing.npy: no such file"),
        ("ints.npy", [], "float dtype.*int64"),
        ("nan.npy", [], "NaN or inf.*row 7"),
        ("flat.npy", [], "must be 2-D"),
        ("text.csv", [], "unknown input format"),
        ("emb", ["--loss-file", "short_loss.npy"], r"losses must have shape \(600,\)"),
        ("emb", ["--clusters", "1000"], "n_clusters=1000 must be <= n_samples=600"),
        ("two.npz", [], "pick one with --key"),
    ],
)
def test_input_errors_exit_1_with_one_line(data, tmp_path, capsys, name, extra, pattern):
    import re

    _write_bad(tmp_path)
    src = (
        data["root"] / "emb.npy"
        if name == "emb"
        else (data["root"] / name if name == "two.npz" else tmp_path / name)
    )
    extra = [str(tmp_path / e) if e.endswith(".npy") else e for e in extra]
    rc, stdout, stderr = _run(_select(src, tmp_path / "o.npz", "--quiet", *extra), capsys)
    assert rc == 1 and stdout == ""
    assert stderr.count("\n") == 1 and stderr.startswith("coresample: error: ")
    assert re.search(pattern, stderr), stderr
    assert not (tmp_path / "o.npz").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["select", "x.npy", "--budget", "5"],  # --clusters missing
        ["select", "x.npy", "--budget", "0", "--clusters", "2", "--out", "o.npz"],
        ["select", "x.npy", "--budget", "5", "--clusters", "2", "--out", "o.csv"],
        ["select", "x.npy", "--budget", "5", "--clusters", "2", "--out", "o.npz", "--lam", "auto"],
        ["select", "x.npy", "--budget", "5", "--clusters", "2", "--out", "o.npz", "--lam", "-1"],
        ["frobnicate"],
    ],
)
def test_bad_arguments_exit_2(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_info_fields_and_json(capsys):
    rc, stdout, _ = _run(["info"], capsys)
    assert rc == 0
    for field in [
        "coresample:",
        "SIMD kernel:",
        "OpenMP:",
        "OpenMP runtime:",
        "threads:",
        "numpy:",
    ]:
        assert field in stdout
    assert coresample.simd_level() in stdout
    rc, stdout, _ = _run(["info", "--json"], capsys)
    info = json.loads(stdout)
    assert info["version"] == coresample.__version__
    assert info["simd_level"] == coresample.simd_level()
    assert info["simd_level"] in info["available_simd_levels"]
    assert isinstance(info["openmp"], bool) and info["threads"] >= 1
    if info["openmp"] and sys.platform.startswith("linux"):
        assert any(r.startswith(("libgomp", "libomp", "libiomp")) for r in info["openmp_runtime"])


def _subprocess(args, **kw):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    return subprocess.run(
        [sys.executable, "-m", "coresample", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        **kw,
    )


def test_version_flag_prints_the_version_and_exits_0(capsys):
    # issue 13, item 6: `coresample --version` was a usage error (exit 2).
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    captured = capsys.readouterr()
    assert captured.out == f"coresample {coresample.__version__}\n" and captured.err == ""
    proc = _subprocess(["--version"])  # python3 -m coresample --version
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"coresample {coresample.__version__}\n"


def test_progress_is_one_line_format_starting_at_once(data, tmp_path, capsys):
    # issue 13, item 6: phase messages and tqdm bars were two formats, and the clustering showed
    # nothing until a bar appeared. Now every stderr line is "[coresample  ELAPSEDs] what", and
    # the library's first report of each step is a line of its own.
    out = tmp_path / "sel.npz"
    rc, stdout, stderr = _run(_select(data["root"] / "emb.npy", out), capsys)
    assert rc == 0 and stdout.startswith("selected")
    prefix = r"\[coresample +\d+\.\d\ds\] "
    lines = stderr.splitlines()
    assert lines and all(re.match(prefix, line) for line in lines), stderr
    texts = [re.sub(prefix, "", line) for line in lines]
    start = texts.index(f"cluster + sample: k={K}, budget={B}, z=2.0, threads=all ...")
    assert texts[start + 1] == f"k-means++ 1/{K}"  # the first report, shown when it arrives
    assert "lloyd 1/20" in texts and texts[-1] == "write: done in " + texts[-1].split(" in ")[1]
    # -q: nothing on stderr at all
    rc, _, stderr = _run(_select(data["root"] / "emb.npy", out, "--quiet"), capsys)
    assert rc == 0 and stderr == ""


def test_end_to_end_subprocess(data, tmp_path):
    out = tmp_path / "sel.npz"
    proc = _subprocess(
        _select(data["root"] / "emb.npy", out, "--loss-file", str(data["root"] / "loss.npy"))
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1 and "mean loss" in proc.stdout
    assert "load" in proc.stderr and "write" in proc.stderr
    with np.load(out) as f:
        np.testing.assert_array_equal(f["indices"], _expected(data["X"], data["losses"]).indices)
    proc = _subprocess(_select(tmp_path / "missing.npy", out))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("coresample: error: ")


def test_keyboard_interrupt_exits_130(data, tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(coresample, "select", interrupted)
    rc, stdout, stderr = _run(
        _select(data["root"] / "emb.npy", tmp_path / "o.npz", "--quiet"), capsys
    )
    assert rc == 130 and stdout == "" and "interrupted" in stderr


def test_float16_all_rows_fit_notes_its_temporary_file(data, tmp_path, capsys):
    X16 = data["X"].astype(np.float16)
    np.save(tmp_path / "half.npy", X16)
    out = tmp_path / "sel.npz"
    rc, _, stderr = _run(_select(tmp_path / "half.npy", out), capsys)
    assert rc == 0 and "note: X is float16" in stderr and "temporary float32 file" in stderr
    with np.load(out) as f:
        np.testing.assert_array_equal(f["indices"], _expected(X16.astype(np.float32)).indices)


@pytest.mark.parametrize("source", ["half.npy", "shards"])
def test_subsample_fit_reads_shards_and_float16_in_blocks(data, tmp_path, capsys, source):
    X16 = data["X"].astype(np.float16)
    np.save(tmp_path / "half.npy", X16)
    (tmp_path / "shards").mkdir()
    for i, part in enumerate(np.array_split(X16, 3)):
        np.save(tmp_path / "shards" / f"part-{i}.npy", part)
    out = tmp_path / "sel.npz"
    rc, _, stderr = _run(_select(tmp_path / source, out, "--points-per-center", "3"), capsys)
    assert rc == 0 and "note:" not in stderr  # no copy, no temporary file
    expected = coresample.select(
        X16.astype(np.float32), B, n_clusters=K, random_state=SEED, max_points_per_center=3
    )
    with np.load(out) as f:
        np.testing.assert_array_equal(f["indices"], expected.indices)
        np.testing.assert_array_equal(f["weights"], expected.weights)
        assert json.loads(str(f["metadata"]))["params"]["max_points_per_center"] == 3


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_points_per_center_rejects_nonsense(data, tmp_path, capsys, value):
    with pytest.raises(SystemExit) as exc:
        main(_select(data["root"] / "emb.npy", tmp_path / "o.npz", "--points-per-center", value))
    assert exc.value.code == 2 and "'auto' or 'all'" in capsys.readouterr().err


def test_parquet_without_pyarrow_says_what_to_install(data, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    (tmp_path / "emb.parquet").write_bytes(b"")
    for src, out in [(tmp_path / "emb.parquet", "o.npz"), (data["root"] / "emb.npy", "o.parquet")]:
        rc, stdout, stderr = _run(_select(src, tmp_path / out, "--quiet"), capsys)
        assert rc == 1 and stdout == ""
        assert "needs pyarrow" in stderr and "pip install pyarrow" in stderr


def test_defensive_share_and_select_defaults(data, tmp_path, capsys):
    """--defensive reaches select (same selection as the library with that share) and the CLI's
    defaults are select's own, recorded in the metadata."""
    out = tmp_path / "d.npz"
    rc, _, _ = _run(_select(data["root"] / "emb.npy", out, "--quiet", "--defensive", "0.5"), capsys)
    assert rc == 0
    ref = coresample.select(data["X"], B, n_clusters=K, random_state=SEED, defensive=0.5)
    with np.load(out) as f:
        np.testing.assert_array_equal(f["indices"], ref.indices)
        params = json.loads(str(f["metadata"]))["params"]
    assert params["defensive"] == 0.5
    defaults = inspect.signature(coresample.select).parameters
    rc, _, _ = _run(_select(data["root"] / "emb.npy", out, "--quiet"), capsys)
    with np.load(out) as f:
        params = json.loads(str(f["metadata"]))["params"]
    for name in ("z", "lam", "replace", "method", "defensive", "estimator", "max_points_per_center"):
        assert params[name] == defaults[name].default, name
    rc, _, stderr = _run(_select(data["root"] / "emb.npy", out, "--quiet", "--defensive", "2"),
                         capsys)
    assert rc == 1 and "defensive" in stderr

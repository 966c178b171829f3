"""coresample.spark (docs/DISTRIBUTED.md): select over a Spark DataFrame on a local Spark
(`local[2,4]`: two cores, a task retried up to 4 times) gives the single-machine selection bit
for bit, for any partitioning, after a killed task, and from Parquet; nothing n-long reaches the
driver. About 2 minutes on 2 cores (the session's start ~5 s, each select 2-4 s of Spark jobs);
peak memory 1.5 GiB with pytest (the JVM and its Python workers)."""
import os
import shutil
import tempfile

import numpy as np
import pytest

pyspark = pytest.importorskip("pyspark")
pytest.importorskip("pyarrow")

import coresample  # noqa: E402
import coresample.spark as cspark  # noqa: E402
from coresample.spark._engine import FAIL_FIRST_ATTEMPT  # noqa: E402
from conftest import (  # noqa: E402
    ENGINE_D, ENGINE_K, assert_same_evaluation, assert_same_selection, engine_rows,
    engine_weights, evaluation_case,
)

# pyspark's own notices (pandas >= 3 support, deprecations) must not fail the suite.
pytestmark = [pytest.mark.spark, pytest.mark.filterwarnings("ignore::FutureWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning:pyspark")]

K, B, M = ENGINE_K, 60, 24


@pytest.fixture(scope="module")
def spark():
    """A local Spark of its own: its scratch space in a temp folder removed afterwards, no UI
    (no port), no JVM perf-data file in /tmp, stopped at the end of the module."""
    from pyspark.sql import SparkSession

    scratch = tempfile.mkdtemp(prefix="cs-spark-")
    launcher = os.environ.get("SPARK_LAUNCHER_OPTS")
    os.environ["SPARK_LAUNCHER_OPTS"] = "-XX:-UsePerfData"  # spark-submit's own launcher JVM
    session = (
        SparkSession.builder.master("local[2,4]").appName("coresample-tests")
        .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
        .config("spark.local.dir", scratch)
        .config("spark.sql.warehouse.dir", f"{scratch}/warehouse")
        .config("spark.driver.extraJavaOptions", f"-XX:-UsePerfData -Djava.io.tmpdir={scratch}")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
        shutil.rmtree(scratch, ignore_errors=True)
        if launcher is None:
            os.environ.pop("SPARK_LAUNCHER_OPTS", None)
        else:
            os.environ["SPARK_LAUNCHER_OPTS"] = launcher


@pytest.fixture(scope="module")
def X():
    return engine_rows()


def frame(spark, X, partitions, **columns):
    """X as a DataFrame (embedding array<float>, id, extra columns) in row order, cut into
    `partitions` ranges of rows."""
    n = X.shape[0]
    data = {"id": np.arange(n), **columns}
    rows = [(X[i].tolist(),) + tuple(v[i].item() for v in data.values()) for i in range(n)]
    types = {"id": "long", **{k: "double" if np.asarray(v).dtype.kind == "f" else "long"
                              for k, v in columns.items()}}
    schema = "embedding array<float>, " + ", ".join(f"{k} {t}" for k, t in types.items())
    return spark.createDataFrame(rows, schema).repartitionByRange(partitions, "id")


def losses_of(X):
    rng = np.random.default_rng(5)
    loss = np.abs(X[:, 0]).astype(np.float64) + rng.uniform(0, 1, X.shape[0])
    return lambda rows: loss[rows]


@pytest.mark.parametrize("replace", [True, False])
@pytest.mark.parametrize("partitions", [1, 3, 7])
def test_same_selection_for_three_partitionings(spark, X, partitions, replace):
    """Issue 16: the design "sensitivity" with an oracle, and the default design, give
    coresample.select's selection and estimate bit for bit for 1, 3 and 7 partitions."""
    df = frame(spark, X, partitions)
    loss_fn = losses_of(X)
    kw = dict(n_clusters=K, random_state=3, replace=replace, max_points_per_center=M)
    got = cspark.select(df, B, design="sensitivity", loss_fn=loss_fn, **kw)
    ref = coresample.select(X, B, design="sensitivity", loss_fn=loss_fn, **kw)
    assert_same_selection(got, ref, estimate=True)
    np.testing.assert_array_equal(got.labels.compute(), ref.labels)
    assert got.probabilities.compute().tobytes() == ref.probabilities.tobytes()
    assert isinstance(got.cost, cspark.SparkVector) and "Spark" in repr(got)
    if partitions == 3:
        default = cspark.select(df, B, **kw)
        assert_same_selection(default, coresample.select(X, B, **kw))


def test_defaults_gather_the_rows_for_an_all_rows_fit(spark, X):
    """Only budget, n_clusters and random_state: select's all-rows fit, with its CopyWarning."""
    ref = coresample.select(X, B, n_clusters=K, random_state=2)
    with pytest.warns(coresample.CopyWarning, match="all-rows fit gathers all 5000 rows"):
        got = cspark.select(frame(spark, X, 3), B, n_clusters=K, random_state=2)
    assert_same_selection(got, ref)


def test_row_id_orders_any_shuffle_with_weight_strata_and_proxy_columns(spark, X):
    """With row_id the rows are ordered by it: a round-robin shuffle of the same rows gives the
    selection of the rows in id order; weights, strata and proxy come from columns."""
    w = engine_weights()
    g = np.arange(X.shape[0]) % 3
    q = np.abs(X[:, 1]).astype(np.float64)
    df = frame(spark, X, 2, w=w, g=g, q=q).repartition(5)
    kw = dict(n_clusters=K, random_state=4, max_points_per_center=M, replace=False)
    got = cspark.select(df, B, row_id="id", sample_weight="w", strata="g", proxy="q", **kw)
    ref = coresample.select(X, B, sample_weight=w, strata=g, proxy=q, **kw)
    assert_same_selection(got, ref)
    assert got.proxy_total == ref.proxy_total and got.design == "stratified"
    np.testing.assert_array_equal(got.allocation, ref.allocation)
    np.testing.assert_array_equal(got.strata.compute(), ref.strata)
    np.testing.assert_array_equal(got.sample_proxy, q[ref.indices])
    rows = got.sampled_rows().collect()
    assert [r["id"] for r in rows] == ref.indices.tolist()
    assert [r["weight"] for r in rows] == ref.weights.tolist()
    assert [r["draw"] for r in rows] == list(range(B))


def test_numpy_vectors_and_sampled_rows_by_position(spark, X):
    """Weights as a NumPy vector in the DataFrame's order; without row_id the chosen rows are
    found again by partition and position, one line per draw (with replacement, repeats)."""
    w = engine_weights()
    df = frame(spark, X, 3)
    kw = dict(n_clusters=K, random_state=6, max_points_per_center=M, replace=True,
              design="sensitivity")
    got = cspark.select(df, 400, sample_weight=w, **kw)
    ref = coresample.select(X, 400, sample_weight=w, **kw)
    assert_same_selection(got, ref)
    assert len(set(ref.indices.tolist())) < 400  # some rows drawn twice
    rows = got.sampled_rows(weight_column="w8").collect()
    assert [r["id"] for r in rows] == ref.indices.tolist()
    assert np.array_equal([r["w8"] for r in rows], ref.weights)
    np.testing.assert_array_equal(np.array([r["embedding"] for r in rows], np.float32),
                                  X[ref.indices])
    with pytest.raises(ValueError, match="'id' is already a column"):
        got.sampled_rows(weight_column="id")


def test_a_task_killed_on_its_first_attempt_is_retried_to_the_same_answer(spark, X):
    """Every task of coresample's jobs dies (os._exit) on its first attempt; Spark retries it
    (local[2,4]) and the cached partitions it lost are recomputed from the lineage."""
    df = frame(spark, X, 3)
    kw = dict(n_clusters=K, random_state=7, max_points_per_center=M, replace=False,
              design="sensitivity", loss_fn=losses_of(X))
    ref = coresample.select(X, B, **kw)
    sc = spark.sparkContext
    sc.setLocalProperty(FAIL_FIRST_ATTEMPT, "1")
    try:
        got = cspark.select(df, B, **kw)
    finally:
        sc.setLocalProperty(FAIL_FIRST_ATTEMPT, None)
    assert_same_selection(got, ref, estimate=True)


def test_nothing_n_long_reaches_the_driver(spark):
    """At 40,000 rows the driver receives under one byte per row in all (the subsample fit's
    k * 24 rows, the block totals, the budget's candidates), and sends less."""
    rng = np.random.default_rng(8)
    X = (rng.normal(size=(ENGINE_K, ENGINE_D)) * 4)[rng.integers(ENGINE_K, size=40_000)]
    X = (X + rng.normal(size=X.shape)).astype(np.float32)
    df = frame(spark, X, 4)
    kw = dict(n_clusters=K, random_state=9, max_points_per_center=M, replace=False,
              design="sensitivity")
    got = cspark.select(df, B, **kw)
    assert_same_selection(got, coresample.select(X, B, **kw))
    assert got.transfer["to_driver"] < X.shape[0], got.transfer
    assert got.transfer["from_driver"] < X.shape[0], got.transfer
    got.release()


@pytest.mark.parametrize("writer", ["pandas", "spark"])
def test_reads_a_parquet_folder_directly(spark, X, tmp_path, writer):
    """A folder of Parquet files (several, written by pandas or by Spark) read with
    spark.read.parquet: the selection of the rows in the order Spark reads them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "emb.parquet"
    if writer == "pandas":
        folder.mkdir()
        for j, lo in enumerate(range(0, X.shape[0], 1500)):
            part = X[lo : lo + 1500]
            table = pa.table({"embedding": pa.array(list(part), pa.list_(pa.float32())),
                              "id": np.arange(lo, lo + part.shape[0])})
            pq.write_table(table, folder / f"part-{j}.parquet")
    else:
        frame(spark, X, 3).write.parquet(str(folder))
    df = spark.read.parquet(str(folder))
    order = np.array([r["id"] for r in df.select("id").collect()])
    kw = dict(n_clusters=K, random_state=10, max_points_per_center=M, replace=False)
    got = cspark.select(df, B, **kw)
    assert_same_selection(got, coresample.select(X[order], B, **kw))
    by_id = cspark.select(df, B, row_id="id", **kw)  # the order of the ids, whatever the files
    assert_same_selection(by_id, coresample.select(X, B, **kw))


def test_ml_vector_column(spark, X):
    """An ML vector column (pyspark.ml.linalg) is read as float64 embeddings."""
    from pyspark.ml.linalg import Vectors

    X64 = X[:2000].astype(np.float64)
    df = spark.createDataFrame([(Vectors.dense(r.tolist()),) for r in X64], ["features"])
    kw = dict(n_clusters=K, random_state=11, max_points_per_center=M)
    got = cspark.select(df, B, column="features", **kw)
    assert_same_selection(got, coresample.select(X64, B, **kw))


def test_bad_input_names_the_argument(spark, X):
    df = frame(spark, X[:100], 2)
    kw = dict(n_clusters=3, random_state=0)
    with pytest.raises(TypeError, match="pyspark.sql.DataFrame"):
        cspark.select(X, 10, **kw)
    with pytest.raises(ValueError, match="column='vec' is not a column"):
        cspark.select(df, 10, column="vec", **kw)
    with pytest.raises(TypeError, match="column 'id' must hold array"):
        cspark.select(df, 10, column="id", **kw)
    with pytest.raises(ValueError, match="sample_weight='w' is not a column"):
        cspark.select(df, 10, sample_weight="w", **kw)
    Xn = X[:3000].copy()
    Xn[2500, 1] = np.nan  # found on an executor, by the partition kernel, and raised here
    with pytest.raises(ValueError, match="X.*row 2500"):
        cspark.select(frame(spark, Xn, 2), 10, max_points_per_center=5, **kw)
    ragged = spark.createDataFrame([([1.0, 2.0],), ([0.0],)], "embedding array<double>")
    with pytest.raises(ValueError, match="different lengths"):
        cspark.select(ragged, 1, n_clusters=1, max_points_per_center=5)
    null = spark.createDataFrame([([1.0, 2.0],), (None,)], "embedding array<double>")
    with pytest.raises(ValueError, match="null embedding"):
        cspark.select(null, 1, n_clusters=1, max_points_per_center=5)
    dup = frame(spark, X[:100], 2).union(frame(spark, X[:1], 1))
    with pytest.raises(ValueError, match="row_id.*unique"):
        cspark.select(dup, 10, row_id="id", **kw)
    with pytest.raises(ValueError, match="sample_weight"):
        cspark.select(df, 10, sample_weight=np.ones(99), **kw)


def test_readme_spark_section_runs_as_written(spark, readme, tmp_path, monkeypatch):
    """README.md's Spark example, run as written (its temporary folder under tmp_path): the
    selection of the ids in order, and sampled_rows with the weights."""
    import re

    blocks = [b for b in re.findall(r"```python\n(.*?)```", readme.read_text(encoding="utf-8"),
                                    flags=re.S) if "coresample.spark.select" in b]
    assert len(blocks) == 1
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    namespace = {}
    exec(compile(blocks[0], "README.md (Spark example)", "exec"), namespace)
    sel, X = namespace["sel"], namespace["X"]
    ref = coresample.select(X, 1000, n_clusters=100, random_state=0, max_points_per_center=48)
    assert_same_selection(sel, ref)
    rows = sel.sampled_rows().collect()
    assert [r["id"] for r in rows] == ref.indices.tolist()


def test_evaluate_with_columns_matches_evaluate(spark, X):
    """Issue 16: coresample.spark.evaluate, with weight, strata and proxy columns and row_id,
    gives coresample.evaluate's answer bit for bit; it frees its cached partitions."""
    loss, kw = evaluation_case(X, engine_weights(), weights=True, strata=True, proxy=True,
                               rtol=0.03)
    ref = coresample.evaluate(X, lambda rows: loss[rows], **kw)
    df = frame(spark, X, 3, w=kw.pop("sample_weight"), g=kw.pop("strata"), q=kw.pop("proxy"))
    cached = len(spark.sparkContext._jsc.getPersistentRDDs())
    got = cspark.evaluate(df.repartition(4), lambda rows: loss[rows], row_id="id",
                          sample_weight="w", strata="g", proxy="q", **kw)
    assert_same_evaluation(got, ref)
    assert len(spark.sparkContext._jsc.getPersistentRDDs()) == cached

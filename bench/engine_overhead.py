"""Overhead of coresample.dask.select / coresample.ray.select / coresample.spark.select against
coresample.select on the same data and machine.

Usage: PYTHONPATH=python python3 bench/engine_overhead.py [--engine dask|ray|spark] [--n 400000]
           [--d 64] [--k 100] [--budget 1000] [--workers 2] [--sizes 100000,200000,400000]
           [--repeat 1]

Dask: the rows live in a .npy file in TMPDIR; each dask partition reads its rows from it
(memory-mapped), as workers would read shards from shared storage; a LocalCluster of `--workers`
processes of 1 thread each. Ray: a local Ray runtime with `--workers` CPUs, the rows as a Ray
Dataset of that many blocks per worker (ray.data.from_numpy, then repartition). Spark: a
local[--workers] session reading a folder of Parquet files (one per partition, written by
pyarrow: an array<float> column and an id), as a table would be read; the single-machine call
gets the rows in the order Spark reads them, and the table also gives the bytes that crossed
between driver and executors. coresample.select gets the in-memory array and all cores. Prints a markdown table: wall times and
the ratio engine / single machine, for 1, 2 and 4 partitions per worker at n = --n, then for each
size in --sizes at 2 partitions per worker. Each engine result is checked equal to the
single-machine selection (same call, same arguments: select's defaults but replace=False and
max_points_per_center=48, a subsample fit as on large data).
"""
import argparse
import os
import tempfile
import time

import numpy as np


def loader(path, start, stop):
    return np.load(path, mmap_mode="r")[start:stop]


def dask_rows(path, n, d, parts):
    import dask
    import dask.array as da

    edges = np.linspace(0, n, parts + 1).astype(int)
    blocks = [
        da.from_delayed(dask.delayed(loader, pure=True)(path, int(a), int(b)), shape=(int(b - a), d),
                        dtype=np.float32)
        for a, b in zip(edges[:-1], edges[1:])
    ]
    return da.concatenate(blocks)


def ray_rows(X, parts):
    import ray

    return ray.data.from_numpy(X).repartition(parts).materialize()


def spark_rows(X, folder, parts):
    """A Parquet folder of `parts` files read by the active session, and the row order it
    gives (the ids, collected outside the timing)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyspark.sql import SparkSession

    os.makedirs(folder, exist_ok=True)
    n, d = X.shape
    edges = np.linspace(0, n, parts + 1).astype(int)
    for j, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        values = pa.array(X[a:b].ravel())
        offsets = pa.array(np.arange(0, (b - a + 1) * d, d, dtype=np.int32))
        pq.write_table(pa.table({"embedding": pa.ListArray.from_arrays(offsets, values),
                                 "id": np.arange(a, b)}), os.path.join(folder, f"{j}.parquet"))
    df = SparkSession.getActiveSession().read.parquet(folder)
    return df, np.array([r[0] for r in df.select("id").collect()])


def engine_rows(engine, X, path, parts):
    if engine == "spark":
        return spark_rows(X, f"{path}.parts{parts}", parts)
    return dask_rows(path, X.shape[0], X.shape[1], parts) if engine == "dask" else ray_rows(X, parts)


class engine_runtime:
    """The engine's local cluster for the run; yields its select."""

    def __init__(self, engine, workers):
        self.engine, self.workers = engine, workers

    def __enter__(self):
        if self.engine == "dask":
            import coresample.dask as cdask
            from distributed import Client, LocalCluster

            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                        processes=True, dashboard_address=None, silence_logs=40)
            self.client = Client(self.cluster)
            return cdask.select
        if self.engine == "spark":
            import coresample.spark as cspark
            from pyspark.sql import SparkSession

            self.scratch = tempfile.mkdtemp(prefix="cs-spark-bench-")
            os.environ.setdefault("SPARK_LAUNCHER_OPTS", "-XX:-UsePerfData")  # no /tmp/hsperfdata
            self.session = (
                SparkSession.builder.master(f"local[{self.workers}]")
                .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                .config("spark.driver.memory", "4g").config("spark.local.dir", self.scratch)
                .config("spark.driver.extraJavaOptions", "-XX:-UsePerfData")
                .getOrCreate())
            self.session.sparkContext.setLogLevel("ERROR")
            return cspark.select
        import ray

        import coresample.ray as cray

        ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False)
        ray.data.DataContext.get_current().enable_progress_bars = False
        return cray.select

    def __exit__(self, *exc):
        if self.engine == "dask":
            self.client.close()
            self.cluster.close()
        elif self.engine == "spark":
            import shutil

            self.session.stop()
            shutil.rmtree(self.scratch, ignore_errors=True)
        else:
            import ray

            ray.shutdown()
        return False


def timed(fn, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", choices=("dask", "ray", "spark"), default="dask")
    ap.add_argument("--n", type=int, default=400_000)
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--budget", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sizes", default="100000,200000,400000")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()

    import coresample

    kw = dict(n_clusters=args.k, max_points_per_center=48, random_state=0, replace=False)
    rows = []
    with tempfile.TemporaryDirectory() as tmp, engine_runtime(args.engine, args.workers) as select:
        runs = [(args.n, p) for p in (1, 2, 4)]
        runs += [(int(s), 2) for s in args.sizes.split(",") if int(s) != args.n]
        cache = {}
        for n, per in runs:
            if n not in cache:
                X = np.random.default_rng(n).normal(size=(n, args.d)).astype(np.float32)
                path = os.path.join(tmp, f"x{n}.npy")
                np.save(path, X)
                t1, ref = timed(lambda X=X: coresample.select(X, args.budget, **kw), args.repeat)
                cache[n] = (X, path, t1, ref)
            X, path, t1, ref = cache[n]
            parts = per * args.workers
            data = engine_rows(args.engine, X, path, parts)
            if args.engine == "spark":  # the single machine gets the rows in Spark's order
                data, order = data
                t1, ref = timed(lambda: coresample.select(X[order], args.budget, **kw),
                                args.repeat)
            td, got = timed(lambda data=data: select(data, args.budget, **kw), args.repeat)
            same = np.array_equal(got.indices, ref.indices) and got.weights.tobytes() == ref.weights.tobytes()
            moved = getattr(got, "transfer", None)
            rows.append((n, parts, t1, td, same, moved))
    print(f"n x {args.d} float32, k={args.k}, budget={args.budget}, max_points_per_center=48, "
          f"{args.workers} worker processes x 1 thread, {os.cpu_count()} cores\n")
    print(f"| n | partitions | coresample.select (s) | coresample.{args.engine}.select (s) | ratio "
          "| same selection |" + (" jobs | to driver | from driver |" if args.engine == "spark"
                                 else ""))
    print("|---|---|---|---|---|---|" + ("---|---|---|" if args.engine == "spark" else ""))
    for n, parts, t1, td, same, moved in rows:
        extra = "" if moved is None else (f" {moved['jobs']} | {moved['to_driver'] / 1024:.0f} KiB |"
                                          f" {moved['from_driver'] / 1024:.0f} KiB |")
        print(f"| {n} | {parts} | {t1:.2f} | {td:.2f} | {td / t1:.2f} | {same} |{extra}")


if __name__ == "__main__":
    main()

"""The partition kernels of coresample.dask driven by Ray Data (docs/DISTRIBUTED.md, "Spark
`mapInArrow` or Ray Data `map_batches`"): the same selection as one machine."""
import numpy as np
import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")

import coresample  # noqa: E402
from coresample._engine import kernels as Kn  # noqa: E402
from coresample._engine.combine import blocked_total, merge_smallest  # noqa: E402
from coresample.dask._select import inverse_inclusion  # noqa: E402

# Ray's own deprecation notices must not fail the suite (warnings are errors in pyproject).
pytestmark = [pytest.mark.ray, pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::FutureWarning")]

N, D, K, B, M = 5000, 8, 6, 60, 24


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
             configure_logging=False)
    yield
    ray.shutdown()


def test_ray_data_map_batches_gives_the_single_machine_selection(local_ray):
    rng = np.random.default_rng(0)
    centers = rng.normal(scale=4.0, size=(K, D))
    X = (centers[rng.integers(K, size=N)] + rng.normal(size=(N, D))).astype(np.float32)
    ref = coresample.select(X, B, n_clusters=K, max_points_per_center=M, random_state=6,
                            replace=False)
    reps = X[ref.representatives]  # pass (a), the fit on the gathered subsample, is the driver's

    # One Ray block per aligned row range (starts at multiples of 1024), the start row carried.
    edges = [0, 2048, 3072, N]
    ds = ray.data.from_items([{"start": a, "X": X[a:b]} for a, b in zip(edges[:-1], edges[1:])],
                             override_num_blocks=3)

    def pass_b(batch):  # assign to the representatives, per-block cost sums
        out = []
        for start, part in zip(batch["start"], batch["X"]):
            s = Kn.assign_summary(Kn.assign_partition(part, int(start), reps, 2.0, None, N, 1), K)
            out.append(np.asarray(s["phi_blocks"], dtype=np.float64))
        return {"start": batch["start"], "phi_blocks": np.array(out, dtype=object)}

    rows = sorted(ds.map_batches(pass_b, batch_size=1, batch_format="numpy").take_all(),
                  key=lambda r: r["start"])
    phi = blocked_total([r["phi_blocks"] for r in rows])
    assert phi == ref.inertia
    spec = dict(lam=1.0, center_losses=None, method="lightweight", a=1.0 * phi / N, sizes=None,
                phi=phi, U=float(N), seed=6, budget=B)

    def pass_s(batch):  # the partitions' mass block sums, for the normaliser S
        parts = [Kn.assign_partition(p, int(s), reps, 2.0, None, N, 1)
                 for s, p in zip(batch["start"], batch["X"])]
        return {"start": batch["start"],
                "blocks": np.array([Kn.mass_blocks(p, spec) for p in parts], dtype=object)}

    rows = sorted(ds.map_batches(pass_s, batch_size=1, batch_format="numpy").take_all(),
                  key=lambda r: r["start"])
    spec["S"] = blocked_total([r["blocks"] for r in rows])

    def pass_c(batch):  # exponential keys at global rows, the local budget + 1 smallest
        cands = []
        for s, p in zip(batch["start"], batch["X"]):
            c = Kn.sample_candidates(Kn.assign_partition(p, int(s), reps, 2.0, None, N, 1), spec)
            cands.append({"keys": c["keys"], "rows": c["rows"], "p": c["p"]})
        return {"c": np.array(cands, dtype=object)}

    cands = [r["c"] for r in ds.map_batches(pass_c, batch_size=1, batch_format="numpy").take_all()]
    top = merge_smallest(cands, B + 1)
    np.testing.assert_array_equal(top["rows"][:B], ref.indices)
    assert inverse_inclusion(top["p"][:B], top["keys"][B]).tobytes() == ref.weights.tobytes()

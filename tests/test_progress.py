"""progress= on select and select_adaptive: phases, stopping, threads, the stderr fallback."""
import sys
import threading

import numpy as np
import pytest

import coresample
from conftest import blobs

X, _ = blobs(3000, 5, 8, seed=4)
LOSS = np.abs(X[:, 0]) + 1.0


def phases(log):
    return [p for p, _, _ in log]


def test_core_reports_every_phase():
    log = []
    coresample.select(X, 50, n_clusters=8, loss_fn=lambda i: LOSS[i], random_state=0, max_iter=5,
                      tol=0.0, progress=lambda *a: log.append(a))
    assert [d for p, d, _ in log if p == "k-means++"] == list(range(1, 8))
    lloyd = [(d, t) for p, d, t in log if p == "lloyd"]  # one per iteration until convergence
    assert lloyd and lloyd == [(i, 5) for i in range(1, len(lloyd) + 1)]
    tail = [a for a in log if a[0] in ("assign", "oracle", "sample")]
    n = X.shape[0]  # assign counts rows (in blocks for out-of-core input)
    assert tail == [("assign", 0, n), ("assign", n, n), ("oracle", 0, 2), ("oracle", 1, 2),
                    ("sample", 0, 1), ("sample", 1, 1), ("oracle", 2, 2)]


def test_raising_callback_stops_and_clears(impl):
    def stop(phase, done, total):
        if phase in ("lloyd", "sample"):
            raise RuntimeError("stop now")

    with pytest.raises(RuntimeError, match="stop now"):
        impl.select(X, 50, n_clusters=8, random_state=0, progress=stop)
    log = []
    impl.select(X, 50, n_clusters=8, random_state=0)  # no callback left behind
    impl.select(X, 50, n_clusters=8, random_state=0, progress=lambda *a: log.append(a))
    assert log


def test_same_result_with_and_without_progress(impl):
    a = impl.select(X, 50, n_clusters=8, random_state=3)
    b = impl.select(X, 50, n_clusters=8, random_state=3, progress=lambda *a: None)
    np.testing.assert_array_equal(a.indices, b.indices)


def test_threads_report_to_their_own_callbacks():
    logs = {0: [], 1: []}
    errors = []

    def run(t):
        try:
            for _ in range(3):
                coresample.select(X, 50, n_clusters=8 + t, random_state=t, max_iter=3, tol=0.0,
                                  progress=lambda *a: logs[t].append(a))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(t,)) for t in (0, 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors
    for t in (0, 1):
        totals = {total for p, _, total in logs[t] if p == "k-means++"}
        assert totals == {8 + t}, "a thread saw the other thread's k-means++"


def test_true_without_tqdm_writes_lines_to_stderr(monkeypatch, capfd):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails
    coresample.select(X, 50, n_clusters=8, random_state=0, progress=True)
    out, err = capfd.readouterr()
    assert out == ""
    assert "coresample: k-means++ 1/8" in err and "coresample: lloyd 1/20" in err
    assert "coresample: sample 1/1" in err


def test_silent_by_default(capfd):
    coresample.select(X, 50, n_clusters=8, random_state=0)
    assert capfd.readouterr() == ("", "")


def test_bad_progress(impl):
    with pytest.raises(TypeError, match="progress must be None, a bool or a callable"):
        impl.select(X, 50, n_clusters=8, progress="yes")


def test_adaptive_reports_rounds():
    log = []
    coresample.select_adaptive(X, 60, n_clusters=5, score_fn=lambda i, w: LOSS, rounds=2,
                               random_state=0, progress=lambda *a: log.append(a))
    assert [a for a in log if a[0] == "round"] == [("round", 0, 2), ("round", 1, 2)]
    assert "k-means++" in phases(log)


def test_kmeans_progress_core_and_reference(impl):
    log = []
    km = impl.KMeans(6, random_state=0, max_iter=4, tol=0.0, progress=lambda *a: log.append(a))
    km.fit(X)
    assert [d for p, d, _ in log if p == "k-means++"] == list(range(1, 6))
    lloyd = [(d, t) for p, d, t in log if p == "lloyd"]
    assert lloyd == [(i, 4) for i in range(1, len(lloyd) + 1)] and lloyd
    assert km.get_params()["progress"] is not None


def test_reference_select_reports_clustering_loops():
    log = []
    coresample.reference.select(X, 50, n_clusters=8, random_state=0,
                                progress=lambda *a: log.append(a))
    assert {"k-means++", "lloyd", "assign", "sample"} <= set(phases(log))

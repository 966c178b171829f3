"""progress= on select and select_adaptive: phases, stopping, threads, the stderr fallback."""
import io
import re
import sys
import threading

import numpy as np
import pytest

import coresample
from conftest import blobs
from coresample._base.progress import LineReporter

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
    assert tail == [("assign", 0, n), ("assign", n, n), ("sample", 0, 1), ("sample", 1, 1),
                    ("oracle", 0, 1), ("oracle", 1, 1)]  # the stratified design: one query call
    log.clear()
    coresample.select(X, 50, n_clusters=8, loss_fn=lambda i: LOSS[i], random_state=0, max_iter=5,
                      tol=0.0, progress=lambda *a: log.append(a), design="sensitivity")
    tail = [a for a in log if a[0] in ("assign", "oracle", "sample")]
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


LINE = r"\[coresample +\d+\.\d\ds\] "  # LineReporter's prefix: elapsed seconds


def test_true_without_tqdm_writes_lines_to_stderr(monkeypatch, capfd):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails
    coresample.select(X, 50, n_clusters=8, random_state=0, progress=True)
    out, err = capfd.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines and all(re.match(LINE, line) for line in lines), err  # one format (issue 13)
    texts = [re.sub(LINE, "", line) for line in lines]
    assert texts[0] == "k-means++ 1/8"  # the first report, at once
    assert "lloyd 1/20" in texts and texts[-1] == "sample 1/1"


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class Stream(io.StringIO):
    def __init__(self, tty=False):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


def test_line_reporter_first_report_at_once_then_rate_limited():
    # issue 13, item 6: one format, and the first report of a phase is written when it arrives.
    # A fake clock: the interval logic is tested without timing anything.
    clock, stream = FakeClock(), Stream()
    rep = LineReporter(stream, clock=clock, interval=0.5)
    rep("k-means++", 1, 100)
    assert stream.getvalue() == "[coresample    0.00s] k-means++ 1/100\n"
    clock.now += 0.2
    rep("k-means++", 2, 100)  # within the interval: held back
    clock.now += 0.1
    rep("k-means++", 3, 100)
    assert stream.getvalue().count("\n") == 1
    clock.now += 0.3
    rep("k-means++", 4, 100)  # 0.6 s after the last line
    clock.now += 0.1
    rep("k-means++", 5, 100)
    rep("lloyd", 1, 20)  # a new phase: the last count of the old one first, then at once
    rep("lloyd", 20, 20)  # done == total: at once
    rep.message("note: something")
    with rep.phase("write", "out.npz") as info:
        clock.now += 1.25
        info["done"] = "3 arrays"
    assert stream.getvalue().splitlines() == [
        "[coresample    0.00s] k-means++ 1/100",
        "[coresample    0.60s] k-means++ 4/100",
        "[coresample    0.70s] k-means++ 5/100",
        "[coresample    0.70s] lloyd 1/20",
        "[coresample    0.70s] lloyd 20/20",
        "[coresample    0.70s] note: something",
        "[coresample    0.70s] write: out.npz ...",
        "[coresample    1.95s] write: done in 1.25 s, 3 arrays",
    ]


def test_line_reporter_close_writes_the_pending_count_and_resets():
    clock, stream = FakeClock(), Stream()
    rep = LineReporter(stream, clock=clock)
    rep("assign", 0, 10)
    rep("assign", 5, 10)
    rep.close()  # the end of a call: its last count shows
    rep("assign", 0, 10)  # the next call's first report is a new phase: at once
    assert stream.getvalue().splitlines() == [
        "[coresample    0.00s] assign 0/10", "[coresample    0.00s] assign 5/10",
        "[coresample    0.00s] assign 0/10",
    ]


def test_line_reporter_rewrites_one_line_on_a_terminal():
    clock, stream = FakeClock(), Stream(tty=True)
    rep = LineReporter(stream, clock=clock)
    rep("lloyd", 1, 20)
    clock.now += 1.0
    rep("lloyd", 2, 20)
    rep.message("done")
    assert stream.getvalue() == (
        "\r[coresample    0.00s] lloyd 1/20\r[coresample    1.00s] lloyd 2/20\n"
        "[coresample    1.00s] done\n"
    )


def test_line_reporter_iterate_and_quiet():
    stream = Stream()
    rep = LineReporter(stream, clock=FakeClock())
    assert list(rep.iterate(iter("abc"), 3, "read parquet", "row group")) == ["a", "b", "c"]
    assert stream.getvalue().splitlines() == [
        "[coresample    0.00s] read parquet 0/3", "[coresample    0.00s] read parquet 3/3",
    ]
    quiet = Stream()
    rep = LineReporter(quiet, quiet=True)
    rep("lloyd", 1, 2)
    rep.message("x")
    with rep.phase("load"):
        pass
    assert list(rep.iterate([1, 2], 2, "read")) == [1, 2] and quiet.getvalue() == ""


def test_line_reporter_as_the_progress_callback(capfd):
    stream = Stream()
    coresample.select(X, 50, n_clusters=8, random_state=0, progress=LineReporter(stream))
    texts = [re.sub(LINE, "", line) for line in stream.getvalue().splitlines()]
    assert texts[0] == "k-means++ 1/8" and "k-means++ 7/8" in texts and texts[-1] == "sample 1/1"
    assert capfd.readouterr() == ("", "")


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


@pytest.mark.parametrize("impl", [coresample, coresample.reference], ids=["core", "reference"])
def test_kmeans_parallel_rounds_report(impl):
    """k-means|| seeding runs in Python: each round reports, so a long seeding is not silent."""
    X = np.random.default_rng(0).normal(size=(3000, 4))
    seen = []
    impl.select(X, 20, n_clusters=20, init="k-means||", random_state=0,
                progress=lambda *a: seen.append(a))
    rounds = [a for a in seen if a[0] == "k-means||"]
    assert rounds[:2] == [("k-means||", 1, 5), ("k-means||", 2, 5)]

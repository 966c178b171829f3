"""Fork safety and concurrent calls (docs/RELIABILITY.md).

GNU OpenMP's thread pool does not survive fork(): a child forked after the parent ran a parallel
region used to hang in its first one. The core's fork guard (cpp/fork_guard.h) runs such children
single-threaded. Every fork test runs in a fresh interpreter under a timeout, so a hang fails in
seconds instead of stalling the suite.
"""
import concurrent.futures
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import coresample
from coresample import _core

HANG_TIMEOUT = 120  # seconds; the scripts below take about 2 s when nothing hangs

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork"), reason="fork() exists on POSIX only"
)

COMMON = textwrap.dedent(
    """
    import multiprocessing as mp, sys, numpy as np, coresample
    from coresample import _core
    X = np.random.default_rng(0).normal(size=(40_000, 32)).astype(np.float32)

    def work(seed):
        # Large enough for a multi-thread team (n d k above the core's 4e6 threshold).
        s = coresample.select(X, 200, n_clusters=30, random_state=seed, n_threads=2)
        return s.indices.tolist(), s.weights.tolist(), _core.forked_after_team(), _core.max_threads()
    """
)


def run_script(body):
    script = COMMON + textwrap.dedent(body)
    try:
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             timeout=HANG_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hung for {HANG_TIMEOUT} s (fork after OpenMP?)")
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_forked_children_after_parent_threads_do_not_hang():
    out = run_script(
        """
        parent = [work(s) for s in range(3)]
        assert not parent[0][2]
        with mp.get_context("fork").Pool(2) as pool:
            children = pool.map_async(work, range(3)).get(timeout=90)
        for (pi, pw, _, _), (ci, cw, forked, threads) in zip(parent, children):
            assert pi == ci and pw == cw          # the same bits, single-threaded
            assert forked == _core.has_openmp() and (threads == 1 or not forked)
        print("ok")
        """
    )
    assert out.strip() == "ok"


def test_children_forked_before_any_team_keep_their_threads():
    out = run_script(
        """
        with mp.get_context("fork").Pool(2) as pool:      # the parent has not used OpenMP
            children = pool.map_async(work, range(2)).get(timeout=90)
        assert not any(forked for _, _, forked, _ in children)
        assert [c[0] for c in children] == [work(s)[0] for s in range(2)]
        print("ok")
        """
    )
    assert out.strip() == "ok"


def test_plain_os_fork_child_can_fork_again():
    out = run_script(
        """
        import os
        expected = work(5)
        pid = os.fork()
        if pid == 0:
            got = work(5)
            pid2 = os.fork()                       # a grandchild: still guarded, still fine
            if pid2 == 0:
                os._exit(0 if work(5)[0] == expected[0] else 3)
            _, status = os.waitpid(pid2, 0)
            os._exit(0 if got[0] == expected[0] and status == 0 else 4)
        _, status = os.waitpid(pid, 0)
        print("ok" if status == 0 else f"status {status}")
        """
    )
    assert out.strip() == "ok"


def test_torch_dataloader_fork_workers_after_parent_threads():
    pytest.importorskip("torch")
    out = run_script(
        """
        import torch
        from torch.utils.data import DataLoader, Dataset
        work(0)                                    # the parent starts a team first

        class Selections(Dataset):
            def __len__(self):
                return 4
            def __getitem__(self, i):
                return torch.tensor(work(i)[0])

        loader = DataLoader(Selections(), batch_size=None, num_workers=2,
                            multiprocessing_context="fork", timeout=90)
        got = [t.tolist() for t in loader]
        assert got == [work(i)[0] for i in range(4)]
        print("ok")
        """
    )
    assert out.strip() == "ok"


def test_concurrent_calls_from_python_threads_match_serial_calls():
    X = np.random.default_rng(1).normal(size=(20_000, 24)).astype(np.float32)
    w = np.random.default_rng(2).random(X.shape[0])

    def job(seed):
        sel = coresample.select(X, 300, n_clusters=25, random_state=seed, sample_weight=w,
                                replace=bool(seed % 2), n_threads=2)
        km = coresample.KMeans(10, random_state=seed, n_threads=2, max_iter=5).fit(X)
        seeds = coresample.kmeans_plusplus(X, 15, random_state=seed)
        idx, wt = coresample.sample(w, 500, random_state=seed, replace=False)
        return (sel.indices, sel.weights, sel.cost, km.cluster_centers_, km.labels_, seeds, idx, wt)

    serial = [job(s) for s in range(8)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        concurrent_results = list(pool.map(job, range(8)))
    for a, b in zip(serial, concurrent_results):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def test_parent_is_not_marked():
    assert _core.forked_after_team() is False

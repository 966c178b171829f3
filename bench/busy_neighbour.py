"""select with the default team against one thread, with and without a process spinning on a core.

Usage: PYTHONPATH=python python3 bench/busy_neighbour.py [--n 300000] [--d 64] [--k 256]
           [--repeat 3]

Issue 17: with one of two cores held by another process, select with n_threads=2 took 4x its
one-thread time (a team larger than the free cores waits at every barrier for a descheduled
thread). The default team (n_threads=None) now leaves busy cores alone (cpp/cpu_load.h). Prints a
markdown table: best-of-`repeat` wall time of select (defaults, k = --k, budget 1000) with
n_threads=None, 1 and (forced) all cores, idle and beside a spinning process, and the ratio to
the one-thread time in the same condition. The runs alternate, so drift hits every column alike.
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np


def timed(fn, repeat):
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300_000)
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--k", type=int, default=256)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import coresample
    from coresample import _core

    X = np.random.default_rng(0).normal(size=(args.n, args.d)).astype(np.float32)
    cores = _core.max_threads()
    teams = {"default (None)": None, "1": 1, f"{cores} (forced)": cores}

    def run(nt):
        return coresample.select(X, 1000, n_clusters=args.k, random_state=0, n_threads=nt)

    rows = []
    for condition in ("idle", "a process spinning on one core"):
        spinner = None
        if condition != "idle":
            spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            time.sleep(1.0)
        try:
            times = {name: np.inf for name in teams}
            for _ in range(args.repeat):
                for name, nt in teams.items():
                    times[name] = min(times[name], timed(lambda nt=nt: run(nt), 1))
            team = _core.default_threads()
        finally:
            if spinner is not None:
                spinner.kill()
                spinner.wait()
        rows.append((condition, team, times))
    print(f"select, {args.n} x {args.d} float32, k={args.k}, budget 1000, defaults otherwise; "
          f"{os.cpu_count()} cores; best of {args.repeat}\n")
    names = list(teams)
    print("| condition | default team | " + " | ".join(f"n_threads={n} (s)" for n in names)
          + " | default / one thread |")
    print("|---|---|" + "---|" * len(names) + "---|")
    for condition, team, times in rows:
        cells = " | ".join(f"{times[n]:.2f}" for n in names)
        print(f"| {condition} | {team} | {cells} | {times[names[0]] / times['1']:.2f} |")


if __name__ == "__main__":
    main()

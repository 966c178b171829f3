"""Out-of-core select: peak memory and time against loading X into memory (docs/OUT_OF_CORE.md).

Memory: the smallest RLIMIT_DATA headroom (private writable memory above the warmed-up process,
found by bisection to 2 MiB) under which select finishes, for a float16 .npy memmap, a folder of
float16 shards and, for comparison, a float32 .npy memmap that the core reads in place. Time:
select on each out-of-core form against select on the same rows as an in-memory float32 array,
same run, same parameters (the files sit in the page cache: this is the CPU cost of reading in
blocks, not the disk's speed).

    python3 bench/out_of_core.py [--rows 400000 1600000] [--d 128] [--repeats 3]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np

import coresample

PARAMS = dict(n_clusters=100, random_state=0, max_points_per_center=20)
BUDGET = 1000

CHILD = textwrap.dedent(
    """
    import resource, sys, numpy as np, coresample
    path, limit = sys.argv[1], int(sys.argv[2])
    def vm_data():
        for line in open("/proc/self/status"):
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    w = np.random.default_rng(0).normal(size=(4096, 16)).astype(np.float32)
    coresample.select(w, 64, n_clusters=16, random_state=0, max_points_per_center=8)
    resource.setrlimit(resource.RLIMIT_DATA, (vm_data() + limit, resource.RLIM_INFINITY))
    X = coresample.Shards(path) if path.endswith("/") else np.load(path, mmap_mode="r")
    coresample.select(X, %d, **%r)
    """
) % (BUDGET, PARAMS)


def fits(path: str, limit: int) -> bool:
    run = subprocess.run([sys.executable, "-c", CHILD, path, str(limit)], capture_output=True,
                         text=True)
    if run.returncode and "MemoryError" not in run.stderr and "bad_alloc" not in run.stderr:
        raise RuntimeError(run.stderr[-2000:])
    return run.returncode == 0


def min_headroom(path: str, hi: int) -> int:
    """Smallest limit (to 2 MiB) under which the child finishes."""
    lo = 0
    while not fits(path, hi):
        lo, hi = hi, hi * 2
    while hi - lo > 2 << 20:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if fits(path, mid) else (mid, hi)
    return hi


def write_inputs(folder: str, n: int, d: int) -> dict:
    rng = np.random.default_rng(1)
    x16 = np.lib.format.open_memmap(os.path.join(folder, "x16.npy"), mode="w+",
                                    dtype=np.float16, shape=(n, d))
    x32 = np.lib.format.open_memmap(os.path.join(folder, "x32.npy"), mode="w+",
                                    dtype=np.float32, shape=(n, d))
    shards = os.path.join(folder, "shards") + "/"
    os.mkdir(shards)
    step = 200_000
    for start in range(0, n, step):
        block = rng.normal(size=(min(step, n - start), d))
        x16[start : start + len(block)] = block
        x32[start : start + len(block)] = x16[start : start + len(block)]
        np.save(os.path.join(shards, f"{start:09d}.npy"), x16[start : start + len(block)])
    x16.flush()
    x32.flush()
    return {"float16 .npy memmap": x16.filename, "float16 shards (200k rows each)": shards,
            "float32 .npy memmap (core in place)": x32.filename}


def timed(X, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        coresample.select(X, BUDGET, **PARAMS)
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[400_000, 1_600_000])
    ap.add_argument("--d", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"coresample {coresample.__version__}, SIMD {coresample.simd_level()}, load "
          f"{os.getloadavg()[0]:.1f}; select(X, {BUDGET}, {PARAMS})")
    print("| n x d | input | X on disk | one float32 copy | peak headroom | time vs in-memory float32 |")
    print("|---|---|---|---|---|---|")
    for n in args.rows:
        with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as folder:
            paths = write_inputs(folder, n, args.d)
            in_memory = np.load(paths["float32 .npy memmap (core in place)"])  # a real array
            t_mem = timed(in_memory, args.repeats)
            del in_memory
            copy_mib = n * args.d * 4 / 2**20
            for name, path in paths.items():
                disk = (sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))
                        if path.endswith("/") else os.path.getsize(path)) / 2**20
                peak = min_headroom(path, 64 << 20) / 2**20
                X = coresample.Shards(path) if path.endswith("/") else np.load(path, mmap_mode="r")
                ratio = timed(X, args.repeats) / t_mem
                print(f"| {n:,} x {args.d} | {name} | {disk:.0f} MiB | {copy_mib:.0f} MiB | "
                      f"{peak:.0f} MiB ({peak / copy_mib:.2f} of a copy) | {ratio:.2f}x "
                      f"({t_mem:.2f} s in memory) |", flush=True)


if __name__ == "__main__":
    main()

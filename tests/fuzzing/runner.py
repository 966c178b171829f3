"""Worker supervision, timeouts, the summary table and the command line.

Cases run in a child worker process (`python3 -m fuzzing --worker TMPDIR`), one at a time with a
per-case timeout; a worker that dies (segfault, abort) or hangs is recorded as a FINDING for that
exact case seed, replaced, and the run goes on.

Command line (from the tests/ folder, so that `fuzzing` is importable; coresample from its
install or PYTHONPATH):

  python3 -m fuzzing --seconds 3600 [--seed S] [--out findings.jsonl] [--timeout 60]
  python3 -m fuzzing --case SEED            # rerun one case in-process, with traceback
  python3 -m fuzzing --seeds A:B            # a fixed range of case seeds
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import select as _select
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from typing import Any, Dict, List, Optional

from .cases import repro_command
from .classify import exc_str, run_call, run_case
from .generators import build_case, entry_name

# The folder holding this package: the worker runs there so `python3 -m fuzzing` finds it.
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---- inside the worker --------------------------------------------------------------------------


def worker_main(tmpdir: str) -> None:
    """Read case seeds from stdin, write one JSON result line per seed to stdout. Case files go
    to tmpdir, which the supervisor owns (a killed worker cannot clean up after itself)."""
    import faulthandler

    faulthandler.enable(sys.stderr)
    _cap_address_space()
    result_fd = os.dup(1)
    os.dup2(2, 1)  # anything the library prints goes to stderr, not to the result channel
    res_out = os.fdopen(result_fd, "w", buffering=1)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        r = _run_one(int(line), tmpdir)
        _empty_folder(tmpdir)  # the case's memmaps and shard files
        res_out.write(json.dumps(r, default=str) + "\n")
        res_out.flush()


def _cap_address_space() -> None:
    # The machine is shared: a runaway allocation must fail (MemoryError), not invoke the OOM
    # killer. CORESAMPLE_FUZZ_MEM_GB=0 turns the cap off; so does AddressSanitizer (.ci/sanitize),
    # whose shadow memory reserves terabytes of address space.
    gb = int(os.environ.get("CORESAMPLE_FUZZ_MEM_GB", "6"))
    if gb > 0 and "libasan" not in os.environ.get("LD_PRELOAD", ""):
        try:
            import resource
            resource.setrlimit(resource.RLIMIT_AS, (gb << 30, gb << 30))
        except Exception:
            pass


def _run_one(seed: int, tmpdir: str) -> Dict[str, Any]:
    try:
        return run_case(seed, tmpdir)
    except BaseException as e:  # noqa: BLE001 - a harness bug is a finding, not a dead worker
        return {"seed": seed, "entry": "?", "status": "FINDING",
                "problems": [f"harness error: {exc_str(e)}"],
                "where": traceback.format_exc()[-800:]}


def _empty_folder(folder: str) -> None:
    for f in os.listdir(folder):
        p = os.path.join(folder, f)
        shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else os.remove(p)


# ---- the supervisor's side ----------------------------------------------------------------------


class Worker:
    """One worker process; its stderr goes to a temporary log, shown for crashes and hangs."""

    def __init__(self):
        self.errlog = tempfile.NamedTemporaryFile(prefix="csfuzz_err_", suffix=".log", delete=False)
        self.errpos = 0
        self.tmpdir = tempfile.mkdtemp(prefix="csfuzz_")
        self.proc = subprocess.Popen([sys.executable, "-m", __package__, "--worker", self.tmpdir],
                                     cwd=PACKAGE_PARENT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.errlog,
                                     env=_worker_env(), text=True, bufsize=1)

    def run(self, seed: int, timeout: float) -> Optional[Dict[str, Any]]:
        """The result, or None if the worker died or timed out (then call .close(kill=True))."""
        self.errpos = os.path.getsize(self.errlog.name)
        try:
            self.proc.stdin.write(f"{seed}\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            return None
        ready, _, _ = _select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        if not line:
            return None
        return json.loads(line)

    def stderr_tail(self) -> str:
        try:
            with open(self.errlog.name, "rb") as f:
                f.seek(self.errpos)
                return f.read()[-3000:].decode(errors="replace")
        except OSError:
            return ""

    def close(self, kill: bool = False) -> Optional[int]:
        if kill and self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.stdin.close()
        except Exception:
            pass
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        for f in (self.proc.stdout, self.errlog):
            try:
                f.close()
            except Exception:
                pass
        try:
            os.unlink(self.errlog.name)
        except OSError:
            pass
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        return rc


def _worker_env() -> Dict[str, str]:
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "2")
    # The worker runs in PACKAGE_PARENT: relative PYTHONPATH entries (PYTHONPATH=../python) must
    # keep naming the folders they name here, so the worker imports the same coresample.
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p)
                                            for p in env["PYTHONPATH"].split(os.pathsep))
    return env


def _lost_case(seed: int, worker: Worker, timeout: float) -> Dict[str, Any]:
    """The finding for a case whose worker crashed or hung (the worker is closed)."""
    hung = worker.proc.poll() is None
    tail = worker.stderr_tail()
    rc = worker.close(kill=True)
    signal = -rc if rc and rc < 0 else None
    return {"seed": seed, "entry": entry_name(seed), "status": "FINDING",
            "problems": [f"hang: no result in {timeout:.0f} s" if hung else
                         f"worker crashed (exit code {rc}, signal {signal})"],
            "stderr": tail,
            "repro": repro_command(seed)}


class Tally:
    """Counts per entry point and status, the findings, and a sample of refused valid input."""

    def __init__(self):
        self.counts: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.findings: List[Dict[str, Any]] = []
        self.refused_valid: List[Dict[str, Any]] = []
        self.n_run = 0

    def add(self, r: Dict[str, Any]) -> None:
        self.n_run += 1
        self.counts[r["entry"]][r["status"]] += 1
        if r.get("named_other") and r["status"] == "EXPECTED_ERROR":
            self.counts[r["entry"]]["(named another argument)"] += 1
        if r.get("refused_valid") and r["status"] == "EXPECTED_ERROR":
            self.counts[r["entry"]]["(refused valid-looking input)"] += 1
            if len(self.refused_valid) < 200:
                self.refused_valid.append(r)
        if r.get("tie") and r["status"] != "FINDING":
            self.counts[r["entry"]]["(tie)"] += 1  # core != reference, verified a tie (ties.py)
        if r["status"] == "FINDING":
            self.findings.append(r)

    def summary(self) -> Dict[str, Any]:
        return {"counts": self.counts, "findings": self.findings,
                "refused_valid": self.refused_valid, "n_run": self.n_run}


def supervise(seeds, *, deadline: Optional[float], timeout: float, out_path: Optional[str],
              progress_every: float = 60.0, quiet: bool = False) -> Dict[str, Any]:
    """Run the seeds in order in a worker (until the deadline, if any); returns the summary
    dict (counts, findings, refused_valid, n_run). Findings are appended to out_path."""
    tally = Tally()
    out_f = open(out_path, "a") if out_path else None
    worker = Worker()
    last = time.time()
    try:
        for seed in seeds:
            if deadline is not None and time.time() > deadline:
                break
            r = worker.run(seed, timeout)
            if r is None:
                r = _lost_case(seed, worker, timeout)
                worker = Worker()
            tally.add(r)
            if r["status"] == "FINDING":
                _report_finding(r, out_f, quiet)
            if not quiet and time.time() - last > progress_every:
                last = time.time()
                print(f"... {tally.n_run} cases, {len(tally.findings)} findings", flush=True)
    finally:
        worker.close(kill=True)
        if out_f:
            out_f.close()
    return tally.summary()


def _report_finding(r: Dict[str, Any], out_f, quiet: bool) -> None:
    if out_f:
        out_f.write(json.dumps(r, default=str) + "\n")
        out_f.flush()
    if not quiet:
        print(f"FINDING seed={r['seed']} {r['entry']}: {r.get('problems')} "
              f"{r.get('exception', '')}", flush=True)


def print_summary(summary: Dict[str, Any]) -> None:
    counts = summary["counts"]
    print(f"\n{summary['n_run']} cases")
    print(f"{'entry point':34s} {'cases':>6s} {'OK':>6s} {'EXPECTED':>9s} {'FINDING':>8s} "
          f"{'refused-valid':>13s} {'ties':>5s}")
    tot = collections.Counter()
    for entry in sorted(counts):
        c = counts[entry]
        n = c["OK"] + c["EXPECTED_ERROR"] + c["FINDING"]
        tot.update({"n": n, "OK": c["OK"], "E": c["EXPECTED_ERROR"], "F": c["FINDING"],
                    "T": c["(tie)"]})
        print(f"{entry:34s} {n:6d} {c['OK']:6d} {c['EXPECTED_ERROR']:9d} {c['FINDING']:8d} "
              f"{c['(refused valid-looking input)']:13d} {c['(tie)']:5d}")
    print(f"{'total':34s} {tot['n']:6d} {tot['OK']:6d} {tot['E']:9d} {tot['F']:8d} "
          f"{'':13s} {tot['T']:5d}")
    print("ties: OK results that differ from coresample.reference where ties.py verified a "
          "rounding-level tie (docs/ARCHITECTURE.md sections 4-5)")
    _print_findings(summary["findings"])


def _print_findings(findings: List[Dict[str, Any]]) -> None:
    """Findings grouped by entry / first problem / exception, a few seeds each."""
    by = collections.defaultdict(list)
    for f in findings:
        key = (f["entry"], (f.get("problems") or [""])[0][:80], (f.get("exception") or "")[:60])
        by[key].append(f["seed"])
    if not by:
        return
    print("\nfindings (grouped by entry / problem / exception):")
    for (entry, prob, exc), seeds in sorted(by.items()):
        print(f"  {entry}: {prob} | {exc} | seeds {seeds[:8]}{' ...' if len(seeds) > 8 else ''}"
              f" (x{len(seeds)})")
    print(f"repro: {repro_command('SEED')}")


# ---- command line -------------------------------------------------------------------------------


def replay_case(seed: int) -> int:
    """Run one case in this process: its arguments, its result, and the call's traceback."""
    import coresample

    tmp = tempfile.mkdtemp(prefix="csfuzz_")
    try:
        case = build_case(seed, tmp)
        print(f"case {seed}: {case.entry}")
        for k, v in case.desc.items():
            tag = " [bad]" if k in case.bad else " [edge]" if k in case.maybe else ""
            print(f"  {k} = {v}{tag}")
        r = run_case(seed, tmp)
        print(json.dumps(r, indent=1, default=str))
        status, res = run_call(build_case(seed, tmp), coresample)
        if status == "exc":
            traceback.print_exception(type(res), res, res.__traceback__)
        return 1 if r["status"] == "FINDING" else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python3 -m fuzzing", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=0, help="first case seed")
    ap.add_argument("--seeds", type=str, default=None, help="A:B, a fixed range of case seeds")
    ap.add_argument("--out", type=str, default=None, help="append findings as JSON lines")
    ap.add_argument("--timeout", type=float, default=60.0, help="per-case timeout (s)")
    ap.add_argument("--case", type=int, default=None, help="run one case in-process and print it")
    ap.add_argument("--worker", metavar="TMPDIR", default=None, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv=None) -> int:
    a = parse_args(argv)
    if a.worker is not None:
        worker_main(a.worker)
        return 0
    if a.case is not None:
        return replay_case(a.case)
    if a.seeds:
        lo, hi = (int(x) for x in a.seeds.split(":"))
        seeds = range(lo, hi)
        deadline = None
    else:
        seeds = range(a.seed, 2**62)
        deadline = time.time() + a.seconds
    t0 = time.time()
    summary = supervise(seeds, deadline=deadline, timeout=a.timeout, out_path=a.out)
    print_summary(summary)
    print(f"wall time {time.time() - t0:.1f} s")
    return 1 if summary["findings"] else 0

"""Bounded fuzz runs (the tests/fuzzing package) in every CI run: fresh case seeds each day, plus
the fixed seeds of every finding fixed so far.

Fresh seeds: FRESH_COUNT consecutive case seeds starting at a number derived from the UTC date
(`fresh_range`), so each day's runs explore cases no run has seen, and the range is in the
test's id and in its failure message. A failure replays exactly from the printed seed:

    cd tests && PYTHONPATH=../python python3 -m fuzzing --case SEED

or the whole day's range with CORESAMPLE_FUZZ_DATE=YYYY-MM-DD python3 -m pytest tests/test_fuzz.py
(CORESAMPLE_FUZZ_FIRST_SEED=N picks the start directly). Each case runs in a child worker
process, so a crash or hang of the core is reported as a finding, not a dead test run. Ties
between the core and the reference that fuzzing/ties.py verifies are not findings.

test_fuzz_long_run (ten times as many fixed seeds, a few minutes on 2 cores) is marked slow, so
it runs only when asked: python3 -m pytest -m slow tests/test_fuzz.py
"""
import datetime
import os

import pytest

import fuzzing

# About 30 s on a 2-core machine (the designs entry, slot 18, is the slowest: ~25 ms a case).
FRESH_COUNT = 6000

# Case seeds whose findings were fixed (docs/RELIABILITY.md, "Fuzzing"): each must stay clean.
# The one-hour run of issue 13: assign underflow against tiny centers, Lloyd's weighted sums
# overflowing, z = 64 cost overflow, estimate's unchecked sample_weight, the core's unbounded
# n_local_trials, NaN rows and a negative tol in the core's Lloyd loop, select_adaptive with an
# overflowing z, an out-of-core fit whose weighted costs overflow; the long run's tie-breaks.
REGRESSION_SEEDS = [1009938, 1021464, 1046577, 1057717, 1099438, 1224214, 1357250, 1370399,
                    1740500, 1554862, 1602743, 7260, 13550, 25599, 26104]
# Issue 15's fresh-seed runs: estimate and sensitivities lengths (harness), select's cost
# overflow on out-of-core input, select_adaptive's positive-probability budget, assign near
# float32 subnormals, select on two-member clusters, k_center_greedy and kmeans_plusplus ties.
REGRESSION_SEEDS += [777068470, 777078214, 777099424, 777224668, 777289579, 777276410, 777284915,
                     777294974, 777070770, 777095466, 777093221, 777117875, 777170337, 777182412,
                     777191211, 777252300, 777072955, 777183646, 913021614, 913024827,
                     913050951, 913008279, 913054836, 913051739]
# The one-hour run of 2026-12-04: snap_to_rows on rows near 1e38 or 1e-45 (rounding-level ties);
# _core.sensitivity_probabilities with its vectors shortened alike (a valid call; harness).
REGRESSION_SEEDS += [20261304259, 20261448760, 20261514322, 20261750711, 20261762681,
                     20261833156, 20262158707, 20262185389]
# The 25-minute rerun: select with k = 99 over 61 rows of positive weight, where Lloyd puts two
# centers a last bit apart on one row (a label tie; ties.check_lloyd replays the iterations).
REGRESSION_SEEDS += [20261205232150]
# The one-hour run of 2026-12-04 (second): evaluate without the up-front cost-overflow check that
# select has; an unseeded evaluate whose loss estimate overflows for one draw only (harness).
REGRESSION_SEEDS += [20261204089410, 20261204446956]
# The final one-hour run: _core.sensitivities with cost, labels and out all empty (shortened
# alike: a valid call; harness).
REGRESSION_SEEDS += [20261204587909]
# ... and a "hang" that was the harness's own k-means++ replay (k = n = 2500, z = 1: ~500
# candidates per late step, each potential O(n); 84 s, now about 6 s: vectorised, and a trial
# window of more than ties.MANY_CANDIDATES rows bounds its potential by the total).
REGRESSION_SEEDS += [20261205340157]

# The long run: fixed seeds, ten times the fresh count.
LONG_SEEDS = range(6000, 66000)

# Root causes found by these runs and not fixed yet, each matched by (entry, the start of its
# problem, and the case's arguments): remove an entry when its cause is fixed. Any other finding
# fails the test.
KNOWN_FINDINGS = {
}


def fresh_range(count=FRESH_COUNT):
    """(first, stop, label): count case seeds derived from today's UTC date (or from
    CORESAMPLE_FUZZ_DATE=YYYY-MM-DD, or starting at CORESAMPLE_FUZZ_FIRST_SEED)."""
    first = os.environ.get("CORESAMPLE_FUZZ_FIRST_SEED")
    if first:
        return int(first), int(first) + count, f"seeds {int(first)}-{int(first) + count - 1}"
    day = os.environ.get("CORESAMPLE_FUZZ_DATE")
    date = (datetime.date.fromisoformat(day) if day
            else datetime.datetime.now(datetime.timezone.utc).date())
    # Disjoint from the fixed ranges above (all below 10^10) and from one day to the next.
    first = 10**10 + date.toordinal() * count
    return first, first + count, f"{date.isoformat()} seeds {first}-{first + count - 1}"


FRESH = fresh_range()


def _known(finding):
    problems = finding.get("problems") or []
    for entry, start, args in KNOWN_FINDINGS.values():
        if finding["entry"] == entry and problems and all(p.startswith(start) for p in problems) \
                and all(finding.get("args", {}).get(k) == v for k, v in args.items()):
            return True
    return False


def _assert_no_new_findings(seeds, label):
    print(f"fuzz: {label} ({len(seeds)} case seeds); replay one with: "
          f"{fuzzing.cases.repro_command('SEED')}", flush=True)
    summary = fuzzing.supervise(seeds, deadline=None, timeout=60.0, out_path=None, quiet=True)
    fuzzing.print_summary(summary)
    assert summary["n_run"] == len(seeds)
    new = [f for f in summary["findings"] if not _known(f)]
    report = "\n".join(
        f"seed {f['seed']} {f['entry']}: {f.get('problems')} {f.get('exception', '')[:200]}\n"
        f"  repro: {f.get('repro')}"
        for f in new
    )
    assert not new, f"{len(new)} new fuzz finding(s) in {label}:\n{report}"


@pytest.mark.parametrize("seeds", [FRESH], ids=[FRESH[2].replace(" ", "_")])
def test_fuzz_fresh_seeds(seeds):
    first, stop, label = seeds
    _assert_no_new_findings(range(first, stop), label)


def test_fuzz_regression_seeds():
    _assert_no_new_findings(REGRESSION_SEEDS, "the regression seeds")


@pytest.mark.slow
def test_fuzz_long_run():
    _assert_no_new_findings(LONG_SEEDS, f"seeds {LONG_SEEDS.start}-{LONG_SEEDS.stop - 1}")

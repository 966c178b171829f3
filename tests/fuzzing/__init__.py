"""Fuzz harness for coresample: every public entry point and every `_core` function.

Each case is built from one integer *case seed* (entry point = seed % number of entries, then a
NumPy Generator keyed by the seed draws the arguments), so any case reruns exactly with

    cd tests && PYTHONPATH=../python python3 -m fuzzing --case SEED

Modules:
  cases        the Case record, argument descriptions, the repro command
  inputs       Ctx: arrays, vectors, scalars and loss oracles, valid or not, for one case
  generators   the entry-point table and build_case (seed -> Case), using
  gen_public     select, KMeans, sampling, estimation, Shards, ...
  gen_extras     baselines.* and regression.*
  gen_designs    select's designs, evaluate, Plan, the engine plan on LocalEngine
  gen_core       the compiled _core functions, output buffers between canaries
  invariants   checks on results; comparing two results leaf by leaf
  ties         telling a core-vs-reference tie from a bug (replaying the core's choices)
  classify     running one case: OK / EXPECTED_ERROR / FINDING
  runner       worker processes, timeouts, the summary, the command line (python3 -m fuzzing)

tests/test_fuzz.py runs each day's fresh seeds and the regression seeds through `supervise`; docs/RELIABILITY.md ("Fuzzing")
describes what is generated and checked, and the long runs.
"""
from .cases import Case
from .classify import run_case
from .generators import ENTRIES, build_case
from .runner import Worker, main, print_summary, supervise

__all__ = ["Case", "ENTRIES", "Worker", "build_case", "main", "print_summary", "run_case",
           "supervise"]

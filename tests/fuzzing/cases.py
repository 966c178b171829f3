"""What a fuzz case is: the `Case` record a generator returns, plus the small helpers shared by
the generators, the classifier and the runner (describing a value, the repro command)."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np


class OracleError(Exception):
    """Raised on purpose by a fuzzed loss_fn / score_fn: must propagate unchanged."""


@dataclasses.dataclass
class Case:
    seed: int
    entry: str
    call: Callable[..., Any]          # call(impl) -> result; impl: coresample or its reference
    desc: Dict[str, str]              # argument name -> readable description
    bad: set                          # arguments the generator made invalid (must be refused)
    maybe: set                        # arguments at an edge (refusal or success both fine)
    check: Optional[Callable[[Any], None]] = None   # invariants on an OK result
    deterministic: bool = True        # same output for a rebuilt case
    crosscheck: Optional[str] = None  # None | "exact" | "close" | "select" | "cost": vs reference
    argnames: Tuple[str, ...] = ()
    # (allocation, start, stop, copy at creation) of each canary-guarded `_core` output buffer
    guards: List[Tuple[np.ndarray, int, int, np.ndarray]] = dataclasses.field(default_factory=list)
    inputs: List[Tuple[str, np.ndarray, bytes]] = dataclasses.field(default_factory=list)
    core_only: bool = False           # `_core` call: any TypeError/ValueError is a refusal
    raises: bool = False              # an oracle raises OracleError on purpose
    nodet: bool = False               # random_state is None or a RandomState: no repeat check
    tmpdir: str = ""                  # where the case's files live (rebuilt cases reuse it)
    # what ties.py needs to tell a core-vs-reference tie from a bug (the call's own inputs)
    data: Dict[str, Any] = dataclasses.field(default_factory=dict)
    # refusals (message substrings) that depend on a clustering the core and the reference may
    # tie-break differently: the reference need not refuse them too
    refusal_ties: Tuple[str, ...] = ()


class GenSpec:
    """A numpy Generator to be built fresh at call time (so rebuilt cases get the same state)."""

    def __init__(self, seed: int):
        self.seed = seed

    def __repr__(self):
        return f"np.random.default_rng({self.seed})"


def materialize(v: Any) -> Any:
    return np.random.default_rng(v.seed) if isinstance(v, GenSpec) else v


def repro_command(seed: int) -> str:
    """The shell command, from the repository root, that replays one case with its traceback."""
    return f"cd tests && PYTHONPATH=../python python3 -m fuzzing --case {seed}"


def describe(v: Any) -> str:
    """A short readable description of an argument or result (small arrays in full)."""
    if isinstance(v, np.memmap):
        return f"np.memmap(shape={v.shape}, dtype={v.dtype}, mode={v.mode!r})"
    if isinstance(v, np.ndarray):
        return _describe_array(v)
    if isinstance(v, list):
        return f"list(len={len(v)})"
    if callable(v) and hasattr(v, "fuzz_desc"):
        return v.fuzz_desc
    r = repr(v)
    return r if len(r) < 120 else r[:117] + "..."


def _describe_array(v: np.ndarray) -> str:
    flags = []
    if not v.flags.c_contiguous:
        flags.append("F-order" if v.flags.f_contiguous else "strided")
    if not v.flags.writeable:
        flags.append("read-only")
    tail = ", " + ",".join(flags) if flags else ""
    if v.size <= 12 and v.dtype != object:
        body = np.array2string(v.ravel(), precision=17, separator=",", threshold=20)
        return f"array({body}, dtype={v.dtype}, shape={v.shape}{tail})"
    extra = ""
    if v.dtype.kind in "fc" and v.size:
        with np.errstate(all="ignore"):
            fin = np.isfinite(v)
            extra = f", nonfinite={int((~fin).sum())}"
            if fin.any():
                extra += f", absmax={np.abs(v[fin]).max():.3g}"
    return f"array(shape={v.shape}, dtype={v.dtype}{extra}{tail})"

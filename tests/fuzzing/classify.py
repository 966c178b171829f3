"""Running one case (inside a worker process) and classifying its outcome:

  OK              it returned, and the invariants held (the case's own check, inputs not
                  mutated, `_core` output buffers not overrun, the same output for a rebuilt
                  case, core == reference where the case asks for it).
  EXPECTED_ERROR  TypeError/ValueError whose message names the offending argument (for `_core`:
                  any TypeError/ValueError, buffers intact), and the reference raises the same.
  FINDING         anything else: another exception type, a message that names no argument, an
                  invariant violation, invalid input silently accepted.

Crashes and hangs are classified by the supervisor (runner.py), which sees the worker die."""
from __future__ import annotations

import time
import traceback
import warnings
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from . import ties
from .cases import Case, OracleError, describe, repro_command
from .generators import build_case
from .invariants import InvariantError, flatten, leaves_equal


def names_argument(msg: str, names) -> bool:
    return any(nm and nm.split("[")[0] in msg for nm in names)


def run_call(case: Case, impl) -> Tuple[str, Any]:
    """("ok", result) or ("exc", exception); warnings and floating-point errors silenced."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                return "ok", case.call(impl)
    except BaseException as exc:  # noqa: BLE001 - everything is classified
        if isinstance(exc, KeyboardInterrupt):
            raise
        return "exc", exc


def exc_str(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:600]


def run_case(seed: int, tmpdir: str) -> Dict[str, Any]:
    """The case of one seed, run and classified: a JSON-able dict with "status"."""
    import coresample
    import coresample.reference  # noqa: F401 - a broken reference fails every case, not a few

    case = build_case(seed, tmpdir)
    out: Dict[str, Any] = {"seed": seed, "entry": case.entry, "args": case.desc,
                           "bad": sorted(case.bad), "maybe": sorted(case.maybe)}
    t0 = time.perf_counter()
    status, res = run_call(case, coresample)
    out["secs"] = round(time.perf_counter() - t0, 3)
    problems: List[str] = []
    _check_guards(case, problems)
    _check_inputs_unchanged(case, problems)
    if status == "exc":
        _classify_exception(case, res, out, problems)
        _check_reference_refuses(case, res, out, problems)
    else:
        out["status"] = "OK"
        _check_returned(case, res, problems, out)
    if problems:
        out["status"] = "FINDING"
        out["problems"] = problems
    if out["status"] == "FINDING" and "exception" not in out and status == "ok":
        out["result"] = describe(res) if not hasattr(res, "indices") else describe(res.indices)
    out["repro"] = repro_command(seed)
    return out


def _check_guards(case: Case, problems: List[str]) -> None:
    """Output buffers of _core calls: the canaries around them must be intact."""
    for base, lo, hi, saved in case.guards:
        if not (np.array_equal(base[:lo].view(np.uint8), saved[:lo].view(np.uint8))
                and np.array_equal(base[hi:].view(np.uint8), saved[hi:].view(np.uint8))):
            problems.append("out-of-bounds write: canary around an output buffer was overwritten")


def _check_inputs_unchanged(case: Case, problems: List[str]) -> None:
    for name, arr, before in case.inputs:
        try:
            if np.array(arr, copy=True).tobytes() != before:
                problems.append(f"input {name} was modified by the call")
        except Exception:
            pass


# ---- the call raised ----------------------------------------------------------------------------


def _classify_exception(case: Case, exc: BaseException, out: Dict[str, Any],
                        problems: List[str]) -> None:
    out["exception"] = exc_str(exc)
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    out["where"] = "".join(tb[-3:])[-800:]
    if isinstance(exc, OracleError) and case.raises:
        out["status"] = "EXPECTED_ERROR"
    elif case.core_only:
        if isinstance(exc, (TypeError, ValueError)):
            out["status"] = "EXPECTED_ERROR"
        else:
            out["status"] = "FINDING"
            problems.append(f"_core raised {type(exc).__name__} (not TypeError/ValueError)")
    elif isinstance(exc, (TypeError, ValueError)):
        _classify_refusal(case, str(exc), out, problems)
    elif isinstance(exc, AttributeError) and "not fitted" in str(exc):
        out["status"] = "EXPECTED_ERROR"
    else:
        out["status"] = "FINDING"
        problems.append(f"unexpected exception type {type(exc).__name__}")


def _classify_refusal(case: Case, msg: str, out: Dict[str, Any], problems: List[str]) -> None:
    """A TypeError/ValueError from the public API is expected if its message names an argument:
    preferably one the generator made bad or edgy, else any argument of the call."""
    names = (case.bad or case.maybe) if (case.bad or case.maybe) else case.argnames
    if not case.bad and not case.maybe:
        out["refused_valid"] = True
    if names_argument(msg, names):
        out["status"] = "EXPECTED_ERROR"
    elif names_argument(msg, case.argnames):
        out["status"] = "EXPECTED_ERROR"
        out["named_other"] = True
    elif case.entry == "Shards" and ("parts" in msg or "shards" in msg or ".npy" in msg
                                     or msg.startswith("X ")):
        out["status"] = "EXPECTED_ERROR"
    else:
        out["status"] = "FINDING"
        bad = sorted(case.bad) or sorted(case.maybe)
        problems.append(f"message does not name the offending argument {bad}")


# Refusals that depend on the rows drawn: with random_state=None (or a RandomState) the core and
# the reference draw different rows, so only one of them may meet the overflow (fuzz seed
# 20261204446956: evaluate with losses near 1e300).
DRAW_DEPENDENT = ("the loss estimate overflows",)


def _check_reference_refuses(case: Case, exc: BaseException, out: Dict[str, Any],
                             problems: List[str]) -> None:
    """The reference must refuse the same way (same type; one validation module promises the
    same message)."""
    if case.core_only or case.entry == "Shards" or out["status"] != "EXPECTED_ERROR" \
            or isinstance(exc, OracleError):
        return
    import coresample.reference

    if any(t in str(exc) for t in case.refusal_ties):
        out["tie"] = f"refusal that depends on the clustering: {exc_str(exc)[:120]}"
        return
    if case.nodet and any(t in str(exc) for t in DRAW_DEPENDENT):
        out["tie"] = f"refusal that depends on an unseeded draw: {exc_str(exc)[:120]}"
        return
    rstatus, rres = run_call(_rebuilt(case), coresample.reference)
    if rstatus == "ok":
        problems.append(f"reference accepted what the core refused ({exc_str(exc)})")
    elif type(rres) is not type(exc):
        problems.append(f"reference raised {exc_str(rres)} where the core raised {exc_str(exc)}")


# ---- the call returned --------------------------------------------------------------------------


def _check_returned(case: Case, res: Any, problems: List[str], out: Dict[str, Any]) -> None:
    if case.bad and not case.raises:
        problems.append(f"invalid argument(s) {sorted(case.bad)} accepted without an error")
    elif case.check is not None:
        try:
            with np.errstate(all="ignore"):
                case.check(res)
        except InvariantError as e:
            problems.append(f"invariant: {e}")
        except Exception as e:  # noqa: BLE001
            problems.append(f"invariant check crashed: {exc_str(e)}")
    if not problems and case.deterministic and not case.nodet:
        _check_repeatable(case, res, problems)
    if not problems and case.crosscheck and not case.core_only and not case.nodet \
            and not case.maybe:
        _check_against_reference(case, res, problems, out)


def _check_repeatable(case: Case, res: Any, problems: List[str]) -> None:
    """A rebuilt case (same seed, fresh arguments) gives the same bits."""
    import coresample

    status2, res2 = run_call(_rebuilt(case), coresample)
    if status2 != "ok":
        problems.append(f"second identical call raised {exc_str(res2)}")
        return
    diff = leaves_equal(flatten(res), flatten(res2))
    if diff:
        problems.append(f"not deterministic: {diff}")


def _check_against_reference(case: Case, res: Any, problems: List[str],
                             out: Dict[str, Any]) -> None:
    """The core's result against the reference's. Where they differ, ties.py replays the core's
    choices: a difference within the documented rounding of ties (ARCHITECTURE sections 4-5) is
    recorded as out["tie"] and counted, not reported; anything else is a finding."""
    import coresample.reference

    rstatus, rres = run_call(_rebuilt(case), coresample.reference)
    if rstatus != "ok":
        problems.append(f"reference raised {exc_str(rres)} where the core returned")
        return
    diff = _reference_difference(case, res, rres)
    if not diff:
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            why = _not_a_tie(case, res, rres, diff)
    except Exception as e:  # noqa: BLE001 - a broken tie check must not hide the difference
        why = f"tie check crashed: {exc_str(e)}"
    if why is None:
        out["tie"] = diff
    else:
        problems.append(f"core vs reference: {diff} ({why})")


def _not_a_tie(case: Case, res: Any, rres: Any, diff: str = "") -> Optional[str]:
    """None if the difference is a verified tie (ties.py), else why it is not."""
    data = case.data
    if case.entry == "assign":
        return None  # labels differ, and _reference_difference found both sides' labels valid
    if case.entry == "baselines.k_center_greedy" and "X" in data:
        X = np.asarray(data["X"])
        first = int(rres.indices[0]) if data.get("initial") is None else None
        return ties.check_k_center(X, res.indices, data.get("initial"), first, res.labels,
                                   res.cost)
    if case.entry == "kmeans_plusplus" and "X" in data:
        return ties.check_plusplus(np.asarray(data["X"]), data.get("sample_weight"),
                                   data["z"], data["seed"], data["n_trials"], res)
    if case.entry == "snap_to_rows" and "X" in data:
        # members at (nearly) the same distance from their center: with rows near 1e38 and
        # centers near 1, the distances agree to far below double rounding (seed 20261304259)
        C = np.asarray(data["centers"])
        return ties.check_snap_ties(np.asarray(data["X"]), C, C, np.asarray(res),
                                    np.asarray(rres))
    if case.entry.startswith("select") and "X" in data:
        return ties.check_select(np.asarray(data["X"]), data["budget"], data["kwargs"](),
                                 res, rres)
    if case.entry == "evaluate" and "X" in data and "strata differ" in diff:
        # the strata are the clusters: the clustering's difference must be a tie, seen through
        # a select call with the same clustering arguments
        import coresample
        import coresample.reference

        X = np.asarray(data["X"])
        a = coresample.select(X, 1, **data["kwargs"]())
        b = coresample.reference.select(X, 1, **data["kwargs"]())
        if np.array_equal(a.labels, b.labels):
            return "evaluate's strata differ where select's clusterings agree"
        return ties.check_select(X, 1, data["kwargs"](), a, b)
    return "no tie check for this entry point"


def _reference_difference(case: Case, res: Any, rres: Any):
    """None if the core's result agrees with the reference's as the case's crosscheck asks."""
    a, b = flatten(res), flatten(rres)
    if case.crosscheck == "exact":
        diff = leaves_equal(a, b, rtol=1e-12)
        if case.entry in ("sample", "baselines.uniform"):
            # the sampled indices themselves must match, not only within rtol
            ia = a[0] if case.entry == "sample" else res.indices
            ib = b[0] if case.entry == "sample" else rres.indices
            if not np.array_equal(ia, ib):
                diff = "sampled indices differ from the reference"
        return diff
    if case.crosscheck == "select":
        return None if np.array_equal(res.indices, rres.indices) else \
            "select indices differ from the reference"
    if case.crosscheck == "evaluate":
        if not np.array_equal(res.plan.strata.codes, rres.plan.strata.codes):
            return "evaluate's strata differ from the reference's"
        if not np.array_equal(res.indices, rres.indices) or res.stopped != rres.stopped:
            return "evaluate queried other rows than the reference on the same strata"
        return leaves_equal([res.estimate, res.stderr], [rres.estimate, rres.stderr], rtol=1e-9)
    if case.crosscheck == "cost":
        # Each side's labels within the rounding bound of its dtype's ranking, each cost the
        # direct cost to its label (ties.py); rtol on the costs themselves was the wrong measure
        # (seeds 777170337, 777182412, 777191211, 777252300).
        X = np.asarray(case.data["X"])
        X = X.astype(np.float32) if X.dtype == np.float16 else X  # computed in float32
        C, z = np.asarray(case.data["C"]).astype(X.dtype), float(case.data["z"])
        bad = ties.check_assignment(X, C, z, res[0], res[1], X.dtype, "core") or \
            ties.check_assignment(X, C, z, rres[0], rres[1], np.float64, "reference")
        if bad:
            return bad
        return None if np.array_equal(res[0], rres[0]) else "assign labels differ (ties)"
    return leaves_equal(a, b, rtol=1e-4)


def _rebuilt(case: Case) -> Case:
    """A fresh copy of the case: same seed, so the same arguments, none of them reused."""
    return build_case(case.seed, case.tmpdir)

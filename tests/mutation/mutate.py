#!/usr/bin/env python3
"""Mutation testing for coresample's estimators (issue 15, item 4); no dependencies beyond pytest.

Each mutant is one small change to one module (a planted bug, made on the module's AST): the
script copies python/coresample (with the built _core*.so) into a temporary folder, writes the
mutated module into the copy, runs a pytest selection against the copy and records whether the
tests fail (killed), pass (survived), hang (timeout) or cannot run (error). The source tree is
never written to. The mutation score is (killed + timeout) / (mutants - equivalent), where the
equivalent mutants are the reviewed ids listed in tests/mutation/equivalent.txt.

    python3 tests/mutation/mutate.py                       # the estimator modules, their tests
    python3 tests/mutation/mutate.py --module _base/estimate.py --jobs 2 --json out.json
    python3 tests/mutation/mutate.py --module sampling --list
    python3 tests/mutation/mutate.py --mutant _base.estimate:115:47:constant:0 --tests "tests/test_estimators.py"

pytest does not collect this file: its name matches no test pattern. (No conftest.py here on
purpose: under pytest's default import mode a second `conftest` module would shadow tests/
conftest.py for the test files' `from conftest import ...`.)

Mutant ids are <module>:<line>:<col>:<operator>:<index> (line 1-based and col 0-based as in
Python's ast, index counting the mutants of that operator at that position); they stay the same
as long as the module's text above the mutated spot does not change. docs/RELIABILITY.md,
"Mutation testing", describes the operators and the workflow.
"""
from __future__ import annotations

import argparse
import ast
import copy
import datetime
import glob
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[2]
PKG = REPO / "python" / "coresample"
EQUIVALENT_FILE = Path(__file__).resolve().parent / "equivalent.txt"

GROUPS: Dict[str, List[str]] = {
    "estimators": ["_base/estimate.py", "_base/stratified.py", "_base/sequence.py",
                   "_base/hoelder.py"],
    "sampling": ["_algorithm/sensitivity.py", "_algorithm/strata.py", "_base/stream.py"],
}
GROUPS["all"] = GROUPS["estimators"] + GROUPS["sampling"]

# The tests that exercise each group (grep tests/ for estimate, stratified, evaluate, sample_size,
# estimate_lam); each file runs in 0.1-4 s. tests/test_estimat*.py (the estimators' hand-worked
# and reference tests) come first whenever they exist, then the quick files: with -x a killed
# mutant stops at its first failure, so the order sets the time per mutant, not the verdict.
ESTIMATOR_GLOBS = ["tests/test_estimat*.py"]
ESTIMATOR_TESTS = [
    "tests/test_self_normalized.py", "tests/test_api_parity.py", "tests/test_regression.py",
    "tests/test_fuzz_regressions.py", "tests/test_bad_input.py", "tests/test_degenerate.py",
    "tests/test_engines.py", "tests/test_properties.py", "tests/test_stratified.py",
    "tests/test_statistical.py", "tests/test_adaptive.py",
]
SAMPLING_TESTS = [
    "tests/test_crosscheck.py", "tests/test_rng.py", "tests/test_defensive.py",
    "tests/test_baselines.py",
] + ESTIMATOR_TESTS

PYTEST_FLAGS = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:randomly"]
PRAGMA = "pragma: no mutate"

# The guard plugin loaded into every pytest run (-p _mutation_guard): the run must import the
# copy, never python/coresample through the .pth file or an installed wheel.
GUARD = '''\
import os

import pytest


def pytest_configure(config):
    import coresample
    copy = os.environ["CORESAMPLE_MUTATION_COPY"]
    path = os.path.realpath(coresample.__file__)
    if not path.startswith(copy + os.sep):
        raise pytest.UsageError(f"mutation run imports {path}, not the copy in {copy}")
'''


# --------------------------------------------------------------------------------------------
# Mutants
# --------------------------------------------------------------------------------------------

@dataclass
class Mutant:
    id: str
    module: str  # path relative to python/coresample, e.g. _base/estimate.py
    line: int
    col: int
    operator: str
    original: str  # the mutated node before and after, as ast.unparse writes them
    mutated: str
    source: str = field(repr=False, default="")  # the whole mutated module

    def describe(self) -> str:
        return f"{self.original} -> {self.mutated}"


ARITH = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
         ast.FloorDiv: ast.Div, ast.Pow: ast.Mult, ast.Mod: ast.FloorDiv}
COMPARE = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
           ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn,
           ast.NotIn: ast.In}
BOOLOP = {ast.And: ast.Or, ast.Or: ast.And}
BITOP = {ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd}
CLAMPS = {"np.minimum", "np.maximum", "np.clip", "np.fmin", "np.fmax", "numpy.minimum",
          "numpy.maximum", "min", "max"}
SCALAR_CALLS = {"float", "int", "abs", "max", "min", "bool", "len", "round"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _is_str(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)))


def _constant_changes(value) -> List[object]:
    """The standard numeric constant mutations: 0 -> 1, 1 -> 0 and 2, n -> n + 1, c -> 1.05 c."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [1] if value == 0 else [0, 2] if value == 1 else [value + 1]
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return []
        if value == 0.0:
            return [1.0]
        if value == 1.0:
            return [0.0, 1.05]
        return [value * 1.05]
    return []


def _scalar_return(node: ast.AST) -> bool:
    """Whether `return <node>` -> `return 0` is a cheap, meaningful mutant (not a tuple, a
    constructor or a constant)."""
    if isinstance(node, (ast.Name, ast.BinOp, ast.UnaryOp, ast.Subscript, ast.IfExp,
                         ast.Compare, ast.BoolOp)):
        return True
    if isinstance(node, ast.Attribute):
        return True
    if isinstance(node, ast.Call):
        return _dotted(node.func) in SCALAR_CALLS or _dotted(node.func).startswith(("np.", "math."))
    return False


class Collector:
    """Walks a module's AST and lists (path to node, operator, replacement node) candidates."""

    def __init__(self, tree: ast.Module, lines: List[str]):
        self.tree = tree
        self.lines = lines
        self.found: List[Tuple[tuple, ast.AST, str, ast.AST]] = []

    def run(self):
        self._visit(self.tree, ())
        return self.found

    def _add(self, path, node, operator, new):
        self.found.append((path, node, operator, new))

    def _skip_node(self, node: ast.AST) -> bool:
        if isinstance(node, (ast.Raise, ast.JoinedStr, ast.Import, ast.ImportFrom, ast.Global,
                             ast.Nonlocal)):
            return True  # error messages, f-strings, imports
        if isinstance(node, ast.Expr) and _is_str(node.value):
            return True  # docstrings
        if isinstance(node, ast.Assert):
            return False
        lineno = getattr(node, "lineno", None)
        if lineno is not None and PRAGMA in self.lines[lineno - 1]:
            return True
        return False

    def _visit(self, node: ast.AST, path: tuple):
        if self._skip_node(node):
            return
        self._mutations(node, path)
        for name, value in ast.iter_fields(node):
            if name in ("annotation", "returns", "decorator_list", "type_comment"):
                continue  # type hints and decorators
            if isinstance(node, ast.Assert) and name == "msg":
                continue
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        self._visit(item, path + ((name, i),))
            elif isinstance(value, ast.AST):
                self._visit(value, path + ((name, None),))

    def _mutations(self, node: ast.AST, path: tuple):
        c = copy.deepcopy
        if isinstance(node, ast.BinOp):
            if _is_str(node.left) or _is_str(node.right):
                return  # string building
            op = type(node.op)
            if op in ARITH:
                self._add(path, node, "arith", ast.BinOp(c(node.left), ARITH[op](), c(node.right)))
            if op in BITOP:
                self._add(path, node, "boolop", ast.BinOp(c(node.left), BITOP[op](), c(node.right)))
            if op is ast.Add:
                self._add(path, node, "drop_term", c(node.left))
                self._add(path, node, "drop_term", c(node.right))
            elif op is ast.Sub:
                self._add(path, node, "drop_term", c(node.left))
            elif op is ast.Mult:
                self._add(path, node, "drop_factor", c(node.left))
                self._add(path, node, "drop_factor", c(node.right))
            elif op in (ast.Div, ast.FloorDiv):
                self._add(path, node, "drop_factor", c(node.left))
        elif isinstance(node, ast.AugAssign):
            op = type(node.op)
            if op in ARITH:
                self._add(path, node, "arith", ast.AugAssign(c(node.target), ARITH[op](),
                                                             c(node.value)))
        elif isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in COMPARE:
                    ops = [c(o) for o in node.ops]
                    ops[i] = COMPARE[type(op)]()
                    self._add(path, node, "compare",
                              ast.Compare(c(node.left), ops, [c(x) for x in node.comparators]))
        elif isinstance(node, ast.BoolOp):
            self._add(path, node, "boolop",
                      ast.BoolOp(BOOLOP[type(node.op)](), [c(v) for v in node.values]))
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, (ast.Not, ast.Invert)):
                self._add(path, node, "not", c(node.operand))
            elif isinstance(node.op, ast.USub):
                self._add(path, node, "unary_minus", c(node.operand))
        elif isinstance(node, ast.Constant):
            for value in _constant_changes(node.value):
                self._add(path, node, "constant", ast.Constant(value))
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name in CLAMPS and node.args and not isinstance(node.args[0], ast.Starred):
                self._add(path, node, "clamp", c(node.args[0]))
            if name not in ("np.errstate", "warnings.warn"):
                for i, kw in enumerate(node.keywords):
                    if kw.arg is not None:
                        new = c(node)
                        del new.keywords[i]
                        self._add(path, node, "kwarg", new)
        elif isinstance(node, ast.Return):
            if node.value is not None and _scalar_return(node.value):
                self._add(path + (("value", None),), node.value, "return", ast.Constant(0))


def _get(tree: ast.AST, path: tuple):
    node = tree
    for name, i in path:
        node = getattr(node, name) if i is None else getattr(node, name)[i]
    return node


def _set(tree: ast.AST, path: tuple, new: ast.AST):
    parent = _get(tree, path[:-1])
    name, i = path[-1]
    if i is None:
        setattr(parent, name, new)
    else:
        getattr(parent, name)[i] = new


def _splice(source: bytes, node: ast.AST, new: ast.AST) -> bytes:
    """The source with node's text replaced by new's: expressions in parentheses, padded with
    newlines so that the line numbers after it stay the same."""
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    a = starts[node.lineno - 1] + node.col_offset  # col offsets are UTF-8 byte offsets
    b = starts[node.end_lineno - 1] + node.end_col_offset
    text = ast.unparse(new)
    if isinstance(new, ast.expr):
        text = "(" + text + "\n" * (node.end_lineno - node.lineno) + ")"
    return source[:a] + text.encode() + source[b:]


def module_id(rel: str) -> str:
    return rel[:-3].replace("/", ".")


def mutants_of(rel: str, pkg: Path = PKG) -> List[Mutant]:
    """Every mutant of <pkg>/<rel> (python/coresample or a copy of it), in source order."""
    raw = (pkg / rel).read_bytes()
    text = raw.decode()
    tree = ast.parse(text)
    reference = ast.dump(tree)
    found = Collector(tree, text.splitlines()).run()
    counts: Dict[tuple, int] = {}
    seen = set()
    out = []
    for path, node, operator, new in found:
        key = (node.lineno, node.col_offset, operator)
        index = counts.get(key, 0)
        counts[key] = index + 1
        mutated_tree = copy.deepcopy(tree)
        _set(mutated_tree, path, new)
        expected = ast.dump(mutated_tree)
        if expected == reference:
            continue  # not a change (e.g. 0.0 * 1.05)
        source = _splice(raw, node, new).decode()
        try:
            ok = ast.dump(ast.parse(source)) == expected
        except SyntaxError:
            ok = False
        if not ok:  # the splice went wrong somewhere: write the whole module from the AST
            source = ast.unparse(mutated_tree) + "\n"
        if source in seen:
            continue  # the same program as an earlier mutant
        seen.add(source)
        original, mutated = ast.unparse(node), ast.unparse(new)
        if operator == "return":
            original, mutated = "return " + original, "return " + mutated
        out.append(Mutant(f"{module_id(rel)}:{node.lineno}:{node.col_offset}:{operator}:{index}",
                          rel, node.lineno, node.col_offset, operator, original, mutated, source))
    out.sort(key=lambda m: (m.line, m.col, m.operator, int(m.id.rsplit(":", 1)[1])))
    return out


def resolve_modules(names: List[str]) -> List[str]:
    out: List[str] = []
    for name in names:
        if name in GROUPS:
            rels = GROUPS[name]
        else:
            p = name
            for prefix in ("python/coresample/", "coresample/", "coresample."):
                if p.startswith(prefix):
                    p = p[len(prefix):]
            if not p.endswith(".py"):
                p = p.replace(".", "/") + ".py"
            if not (PKG / p).is_file():
                raise SystemExit(f"mutate.py: no module {name!r} (looked for {PKG / p})")
            rels = [p]
        out += [r for r in rels if r not in out]
    return out


def default_tests(rel: str) -> List[str]:
    tests = []
    for pattern in ESTIMATOR_GLOBS:
        tests += sorted(os.path.relpath(p, REPO) for p in glob.glob(str(REPO / pattern)))
    tests += SAMPLING_TESTS if rel in GROUPS["sampling"] else ESTIMATOR_TESTS
    return [t for t in dict.fromkeys(tests) if (REPO / t.split("::")[0]).exists()]


def read_equivalent(path: Path) -> Dict[str, str]:
    """id -> reason, from lines "<id> <reason>" ('#' lines and blank lines are skipped)."""
    out: Dict[str, str] = {}
    if not path.is_file():
        return out
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        mid, _, reason = line.partition(" ")
        out[mid] = reason.strip() or "(no reason given)"
    return out


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------

@dataclass
class Result:
    status: str  # killed, survived, timeout, error
    rc: Optional[int]
    seconds: float
    detail: str = ""  # the first failing test, or why it is an error
    tail: str = ""


class Worker:
    """One copy of the package (its own folder, its own TMPDIR) and the runs made in it."""

    def __init__(self, root: Path, runner: "Runner", snapshot_tests: bool,
                 first: Optional["Worker"] = None):
        """Copies python/coresample (and tests/ and pyproject.toml with snapshot_tests), or the
        first worker's copies, so that every worker runs the same snapshot."""
        self.root = root
        self.runner = runner
        self.copy = root / "coresample"
        skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
        shutil.copytree(first.copy if first else PKG, self.copy, ignore=skip)
        self.cwd = REPO
        if snapshot_tests:  # the tests as they are now, whatever is edited while the run lasts
            src = first.root if first else REPO
            shutil.copytree(src / "tests", root / "tests",
                            ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "mutation"))
            shutil.copy2(src / "pyproject.toml", root / "pyproject.toml")
            self.cwd = root
        (root / "_mutation_guard.py").write_text(GUARD)
        self.tmp = root / "tmp"
        self.tmp.mkdir()
        self.env = dict(os.environ)
        kept = [p for p in self.env.get("PYTHONPATH", "").split(os.pathsep)
                if p and os.path.realpath(p) != os.path.realpath(PKG.parent)]
        self.env.update(
            PYTHONPATH=os.pathsep.join([str(root)] + kept),
            PYTHONDONTWRITEBYTECODE="1",
            CORESAMPLE_MUTATION_COPY=os.path.realpath(self.copy),
            TMPDIR=str(self.tmp), TEMP=str(self.tmp), TMP=str(self.tmp),
        )
        self.env.pop("PYTEST_ADDOPTS", None)
        self.env.pop("PYTEST_PLUGINS", None)

    def imported_from(self) -> str:
        out = subprocess.run([sys.executable, "-c", "import coresample; print(coresample.__file__)"],
                             cwd=self.cwd, env=self.env, capture_output=True, text=True,
                             timeout=120)
        return (out.stdout or out.stderr).strip()

    def run(self, tests: List[str], timeout: float, mutant: Optional[Mutant] = None) -> Result:
        target = self.copy / mutant.module if mutant else None
        original = target.read_bytes() if target else None
        try:
            if mutant:
                target.write_text(mutant.source)
            return self._pytest(tests, timeout)
        finally:
            if target:
                target.write_bytes(original)

    def _pytest(self, tests: List[str], timeout: float) -> Result:
        cmd = [sys.executable, "-m", "pytest", *PYTEST_FLAGS, "-p", "_mutation_guard", *tests]
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=self.cwd, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        self.runner.started(proc)
        try:
            out, _ = proc.communicate(timeout=timeout)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            _kill(proc)
            out, _ = proc.communicate()
            return Result("timeout", None, time.monotonic() - t0, f"over {timeout:.0f} s",
                          _tail(out))
        finally:
            self.runner.finished(proc)
        seconds = time.monotonic() - t0
        if self.runner.stopping:
            return Result("error", proc.returncode, seconds, "interrupted")
        text = out.decode(errors="replace")
        failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", text, re.M)
        detail = failed[0] if failed else ""
        if rc == 0:
            return Result("survived", rc, seconds)
        if rc == 1 or rc == 2 or rc < 0:  # failed, collection error (e.g. import), crash
            if rc == 2 and not detail:
                detail = "collection error"
            if rc < 0:
                detail = f"signal {-rc}" + (f" ({detail})" if detail else "")
            return Result("killed", rc, seconds, detail, _tail(out))
        return Result("error", rc, seconds, f"pytest exit code {rc}", _tail(out))


def _tail(out: bytes, n: int = 30) -> str:
    return "\n".join(out.decode(errors="replace").splitlines()[-n:])


def _kill(proc: subprocess.Popen):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class Runner:
    def __init__(self):
        self.lock = threading.Lock()
        self.procs: set = set()
        self.stopping = False

    def started(self, proc):
        with self.lock:
            self.procs.add(proc)
            if self.stopping:
                _kill(proc)

    def finished(self, proc):
        with self.lock:
            self.procs.discard(proc)

    def stop(self):
        with self.lock:
            self.stopping = True
            for proc in list(self.procs):
                _kill(proc)


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


def _leftovers() -> List[str]:
    """What a pytest run could have written into the source tree."""
    found = [str(REPO / ".pytest_cache")] if (REPO / ".pytest_cache").exists() else []
    for top in ("python", "tests"):
        for dirpath, dirnames, _ in os.walk(REPO / top):
            found += [os.path.join(dirpath, d) for d in dirnames if d == "__pycache__"]
    return found


def select_mutants(args, every: List[Mutant]) -> List[Mutant]:
    """The mutants that --mutant, --operator and --limit select."""
    mutants = every
    if args.mutant:
        wanted = set(args.mutant)
        unknown = wanted - {m.id for m in mutants}
        if unknown:
            raise SystemExit(f"mutate.py: unknown mutant ids: {', '.join(sorted(unknown))}")
        mutants = [m for m in mutants if m.id in wanted]
    if args.operator:
        mutants = [m for m in mutants if m.operator in args.operator]
    if args.limit is not None:
        mutants = mutants[:args.limit]
    return mutants


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        description="Plant one mutation at a time in a copy of python/coresample and run the tests "
                    "against it; report the mutation score and the surviving mutants.")
    ap.add_argument("--module", action="append", metavar="MODULE",
                    help="module to mutate (python/coresample/_base/estimate.py, _base/estimate.py "
                         "or _base.estimate), or a group: " + ", ".join(GROUPS)
                         + "; repeatable (default: estimators)")
    ap.add_argument("--tests", metavar="ARGS",
                    help="pytest arguments, one shell-quoted string (default: the tests of each "
                         "module's group, plus tests/test_estimat*.py)")
    ap.add_argument("--live-tests", action="store_true",
                    help="run the tests in tests/ as they are at each mutant's run (default: a "
                         "copy of tests/ and pyproject.toml taken at the start)")
    ap.add_argument("--jobs", type=int, default=1, choices=(1, 2),
                    help="mutants run at once, each in its own copy (default 1)")
    ap.add_argument("--limit", type=int, help="run only the first N mutants")
    ap.add_argument("--mutant", action="append", metavar="ID", help="run only this id (repeatable)")
    ap.add_argument("--operator", action="append", metavar="NAME",
                    help="only mutants of this operator (repeatable): arith, compare, boolop, not, "
                         "constant, kwarg, unary_minus, clamp, drop_term, drop_factor, return")
    ap.add_argument("--list", action="store_true", help="print the mutants and exit")
    ap.add_argument("--timeout", type=float,
                    help="seconds per mutant (default: max(60, 4 x the unmutated run))")
    ap.add_argument("--equivalent", type=Path, default=EQUIVALENT_FILE,
                    help="reviewed equivalent mutants, '<id> <reason>' per line "
                         "(default tests/mutation/equivalent.txt)")
    ap.add_argument("--json", type=Path, metavar="PATH", help="write every result to PATH")
    ap.add_argument("--fail-under", type=float, metavar="PERCENT",
                    help="exit 1 when the score is below PERCENT")
    args = ap.parse_args(argv)

    modules = resolve_modules(args.module or ["estimators"])
    equivalent = read_equivalent(args.equivalent)
    if args.list:
        mutants = select_mutants(args, [m for rel in modules for m in mutants_of(rel)])
        for m in mutants:
            mark = "  [equivalent]" if m.id in equivalent else ""
            print(f"{m.id}  {m.describe()}{mark}")
        by_op: Dict[str, int] = {}
        for m in mutants:
            by_op[m.operator] = by_op.get(m.operator, 0) + 1
        print(f"{len(mutants)} mutants in {', '.join(modules)}: "
              + ", ".join(f"{k} {v}" for k, v in sorted(by_op.items())))
        return 0

    user_tests = shlex.split(args.tests) if args.tests else None
    tests_of = {rel: user_tests or default_tests(rel) for rel in modules}
    signal.signal(signal.SIGTERM, _on_sigterm)
    # Ctrl-C also when started as a background job (which starts with SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    runner = Runner()
    before = set(_leftovers())
    tmp = Path(tempfile.mkdtemp(prefix="coresample-mutation-"))
    results: Dict[str, Result] = {}
    t_start = time.monotonic()
    interrupted = False
    every: List[Mutant] = []
    mutants: List[Mutant] = []
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    sources: Dict[str, str] = {}
    try:
        workers = [Worker(tmp / "w0", runner, not args.live_tests)]
        workers += [Worker(tmp / f"w{i}", runner, not args.live_tests, workers[0])
                    for i in range(1, args.jobs)]
        # Mutants of the snapshot, not of python/coresample, which may be edited meanwhile.
        every = [m for rel in modules for m in mutants_of(rel, workers[0].copy)]
        mutants = select_mutants(args, every)
        sources = {rel: hashlib.sha256((workers[0].copy / rel).read_bytes()).hexdigest()[:16]
                   for rel in modules}
        if not mutants:
            print("no mutants")
            return 0
        where = workers[0].imported_from()
        if not os.path.realpath(where).startswith(os.path.realpath(workers[0].copy) + os.sep):
            print(f"mutate.py: the copy is not the coresample imported ({where})", file=sys.stderr)
            return 2
        print(f"copy of python/coresample in {tmp}; its children import {where}")
        baseline = 0.0
        for rel in modules:
            if any(m.module == rel for m in mutants):
                res = workers[0].run(tests_of[rel], timeout=args.timeout or 1800)
                print(f"unmutated run for {rel}: {res.status}, {res.seconds:.1f} s "
                      f"({' '.join(tests_of[rel])})")
                if res.status != "survived":
                    print(f"mutate.py: the tests fail without a mutant:\n{res.tail}",
                          file=sys.stderr)
                    return 2
                baseline = max(baseline, res.seconds)
        timeout = args.timeout or max(60.0, 4 * baseline)
        print(f"{len(mutants)} mutants, timeout {timeout:.0f} s each, {args.jobs} job(s)")

        free = list(workers)
        free_lock = threading.Lock()
        done = [0]

        def one(m: Mutant) -> Result:
            with free_lock:
                w = free.pop()
            try:
                if runner.stopping:
                    return Result("error", None, 0.0, "interrupted")
                res = w.run(tests_of[m.module], timeout, m)
            finally:
                with free_lock:
                    free.append(w)
            with free_lock:
                done[0] += 1
                k = done[0]
                mark = " (listed equivalent)" if m.id in equivalent else ""
                status = "stopped" if res.detail == "interrupted" else res.status
                print(f"[{k:>4}/{len(mutants)}] {status:<8} {res.seconds:5.1f} s  {m.id}  "
                      f"{_short(m.describe())}{mark}", flush=True)
            return res

        pool = ThreadPoolExecutor(max_workers=args.jobs)
        futures = {m.id: pool.submit(one, m) for m in mutants}
        try:
            for mid, fut in futures.items():
                results[mid] = fut.result()
        except KeyboardInterrupt:
            interrupted = True
            print("\ninterrupted: stopping the running tests", file=sys.stderr)
            runner.stop()
            for mid, fut in futures.items():
                if fut.done() and not fut.cancelled() and fut.exception() is None:
                    results[mid] = fut.result()
        finally:
            if interrupted:
                runner.stop()
            # Every thread has restored its copy before the folder goes.
            pool.shutdown(wait=True, cancel_futures=True)
    except KeyboardInterrupt:
        interrupted = True
        runner.stop()
    finally:
        runner.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.monotonic() - t_start
    new = sorted(set(_leftovers()) - before)
    if new:
        print(f"warning: the runs wrote into the source tree: {', '.join(new)}", file=sys.stderr)

    ran = [m for m in mutants if m.id in results and results[m.id].detail != "interrupted"]
    summary = summarize(ran, results, equivalent, modules, every)
    if args.json:
        write_json(args.json, ran, results, equivalent, modules, sources, tests_of, summary,
                   elapsed, interrupted, argv, commit)
    print_summary(ran, results, equivalent, summary, elapsed, interrupted)
    if interrupted:
        return 130
    if args.fail_under is not None and summary["score"] is not None \
            and 100 * summary["score"] < args.fail_under:
        return 1
    return 0


def _short(text: str, n: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 3] + "..."


def summarize(ran, results, equivalent, modules, every) -> dict:
    """Counts and score. A listed mutant that survives (or errs) is equivalent: out of the score;
    one that is killed counts as killed and is reported."""
    counts = {"killed": 0, "survived": 0, "timeout": 0, "error": 0}
    eq = []
    for m in ran:
        status = results[m.id].status
        if m.id in equivalent and status in ("survived", "error"):
            eq.append(m.id)
        else:
            counts[status] += 1
    total = len(ran)
    detected = counts["killed"] + counts["timeout"]
    denom = total - len(eq)
    ids = {m.id for m in every}
    targets = {module_id(r) for r in modules}
    stale = sorted(i for i in equivalent if i.rsplit(":", 4)[0] in targets and i not in ids)
    return dict(total=total, equivalent=len(eq), **counts, detected=detected,
                score=(detected / denom) if denom else None,
                equivalent_ids=eq, stale_equivalent_ids=stale,
                equivalent_but_killed=[m.id for m in ran if m.id in equivalent
                                       and results[m.id].status in ("killed", "timeout")])


def print_summary(ran, results, equivalent, s, elapsed, interrupted):
    print()
    print("=" * 100)
    if interrupted:
        print("INTERRUPTED: the summary covers the mutants that finished")
    per = sum(results[m.id].seconds for m in ran) / len(ran) if ran else 0.0
    print(f"{s['total']} mutants in {elapsed:.0f} s ({per:.1f} s of tests each): "
          f"{s['killed']} killed, {s['timeout']} timeout, {s['survived']} survived, "
          f"{s['error']} error, {s['equivalent']} equivalent (listed, not killed)")
    if s["score"] is not None:
        print(f"mutation score: {s['detected']} / ({s['total']} - {s['equivalent']}) = "
              f"{100 * s['score']:.1f}% (killed + timeout over the non-equivalent mutants)")
    by_id = {m.id: m for m in ran}
    surv = [m for m in ran if results[m.id].status == "survived" and m.id not in equivalent]
    if surv:
        print(f"\nsurviving mutants ({len(surv)}):")
        for m in surv:
            print(f"  python/coresample/{m.module}:{m.line}  {m.id}\n      {m.describe()}")
    errs = [m for m in ran if results[m.id].status == "error" and m.id not in equivalent]
    if errs:
        print(f"\nerrors ({len(errs)}; counted as not killed):")
        for m in errs:
            print(f"  {m.id}  {_short(m.describe())}: {results[m.id].detail}\n"
                  + "\n".join("      " + t for t in results[m.id].tail.splitlines()[-8:]))
    if s["equivalent_ids"]:
        print(f"\nequivalent mutants ({len(s['equivalent_ids'])}, excluded from the score):")
        for i in s["equivalent_ids"]:
            m = by_id[i]
            print(f"  python/coresample/{m.module}:{m.line}  {i}\n      {m.describe()}\n"
                  f"      reason: {equivalent[i]}")
    if s["equivalent_but_killed"]:
        print("\nlisted as equivalent but killed (take them off the list):")
        for i in s["equivalent_but_killed"]:
            print(f"  {i}  {by_id[i].describe()}: {results[i].detail}")
    if s["stale_equivalent_ids"]:
        print("\nlisted equivalent ids that match no mutant (the module changed; review them):")
        for i in s["stale_equivalent_ids"]:
            print(f"  {i}  {equivalent[i]}")


def write_json(path, ran, results, equivalent, modules, sources, tests_of, summary, elapsed,
               interrupted, argv, commit):
    data = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join(["python3", "tests/mutation/mutate.py"]
                            + [shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)]),
        "commit": commit,  # HEAD when the snapshot was taken (the tree may have had edits)
        "modules": modules, "module_sha256": sources, "tests": tests_of,
        "seconds": round(elapsed, 1), "interrupted": interrupted, "summary": summary,
        "mutants": [
            {**{k: v for k, v in asdict(m).items() if k != "source"},
             **{k: v for k, v in asdict(results[m.id]).items() if k != "tail"},
             "seconds": round(results[m.id].seconds, 2),
             "equivalent": equivalent.get(m.id)}
            for m in ran
        ],
    }
    path.write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())

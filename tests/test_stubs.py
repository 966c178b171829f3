"""python/coresample/_core.pyi describes the built extension: names, parameters, array dtypes.

pybind11 docstrings begin with the signature (one per overload, numbered), so the runtime side
needs no build-time tooling; the stub side is read with ast, never imported.
"""
import ast
import re
from pathlib import Path

import pytest

import coresample
from coresample import _core

STUB = Path(coresample.__file__).with_name("_core.pyi")
PY_TYPED = Path(coresample.__file__).with_name("py.typed")
DTYPES = ("float32", "float64", "int64", "uint64")


def split_top(s):
    """Split on commas outside brackets."""
    parts, depth, cur = [], 0, ""
    for ch in s:
        depth += ch in "[("
        depth -= ch in "])"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return [p.strip() for p in parts]


def dtype_of(annotation):
    """'float32' etc. for an array annotation, None for a scalar; optional arrays are marked."""
    found = [d for d in DTYPES if re.search(rf"\b{d}\b", annotation)]
    if not found:
        return None
    optional = "None" in annotation or "Optional" in annotation
    return found[0] + ("?" if optional else "")


def runtime_signatures(name):
    """Set of (param, dtype, has_default) tuples, one per overload, from the pybind11 docstring."""
    sigs = set()
    for line in getattr(_core, name).__doc__.splitlines():
        m = re.match(rf"^(?:\d+\. )?{name}\((.*)\) -> (.*)$", line)
        if not m or m.group(1) == "*args, **kwargs":
            continue
        params = []
        for p in split_top(m.group(1)):
            pname, _, rest = p.partition(":")
            annotation, _, default = rest.partition("=")
            params.append((pname.strip(), dtype_of(annotation), bool(default.strip())))
        sigs.add(tuple(params))
    return sigs


def stub_signatures():
    tree = ast.parse(STUB.read_text())
    aliases = {}
    sigs = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            aliases[node.target.id] = ast.unparse(node.value)
        elif isinstance(node, ast.FunctionDef):
            args = node.args
            assert not args.vararg and not args.kwarg and not args.kwonlyargs, node.name
            n_plain = len(args.args) - len(args.defaults)
            params = []
            for i, a in enumerate(args.args):
                annotation = ast.unparse(a.annotation)
                for alias, value in aliases.items():
                    annotation = re.sub(rf"\b{alias}\b", value, annotation)
                params.append((a.arg, dtype_of(annotation), i >= n_plain))
            sigs.setdefault(node.name, set()).add(tuple(params))
    return sigs


PUBLIC = sorted(n for n in dir(_core) if not n.startswith("_"))


def test_stub_parses_and_py_typed_ships():
    ast.parse(STUB.read_text())
    assert PY_TYPED.exists()


def test_stub_names_match_runtime():
    assert sorted(stub_signatures()) == PUBLIC


@pytest.mark.parametrize("name", PUBLIC)
def test_stub_signature_matches_runtime(name):
    runtime = runtime_signatures(name)
    assert runtime, f"no signature found in _core.{name}.__doc__"
    assert stub_signatures()[name] == runtime

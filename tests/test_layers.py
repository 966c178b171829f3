"""The package's layers (docs/ARCHITECTURE.md section 1): nothing imports upward, the two
backends never import each other, and the reference runs with the compiled core blocked."""
import ast
import subprocess
import sys
from pathlib import Path

import coresample

PACKAGE = Path(coresample.__file__).parent

# What each layer may import from coresample (its own layer included). Lazy imports inside
# functions count too: a layer that imports upward at call time still depends on it.
ALLOWED = {
    "_base": {"_base"},
    "_algorithm": {"_base", "_algorithm"},
    "reference": {"_base", "_algorithm", "reference"},
    "core": {"_base", "_algorithm", "core", "_core"},
    "regression": {"_base", "_algorithm", "core"},
    "baselines": {"_base", "_algorithm", "core", "_core"},
    "_engine": {"_base", "_algorithm", "_engine", "core", "reference"},
    "dask": {"_base", "_algorithm", "_engine", "core", "dask"},
    "ray": {"_base", "_algorithm", "_engine", "core", "ray"},
    "spark": {"_base", "_algorithm", "_engine", "core", "spark"},
}


def layer_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported(path: Path, folder: tuple = None):
    """The coresample modules (first component below coresample) that `path` imports, reading
    it as a module of coresample/<folder> (default: where it lies)."""
    folder = path.relative_to(PACKAGE).parent.parts if folder is None else folder
    package = ("coresample",) + tuple(folder)
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = base + tuple((node.module or "").split(".")) if node.module else base
            else:
                target = tuple((node.module or "").split("."))
            if target[:1] != ("coresample",):
                continue
            if len(target) == 1:  # from . import name: the names are modules of the package
                yield from (alias.name for alias in node.names)
            else:
                yield target[1]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "coresample" and len(parts) > 1:
                    yield parts[1]


def test_no_layer_imports_upward():
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        layer = layer_of(path)
        if layer not in ALLOWED:
            continue  # the top: __init__, app, integrations, embed, plot may import anything
        for name in imported(path):
            if name not in ALLOWED[layer]:
                bad.append(f"{path.relative_to(PACKAGE)} imports coresample.{name}")
    assert not bad, "\n".join(bad)


def test_the_checker_sees_an_upward_import(tmp_path):
    """Planted violations in a _base module are found, in relative, absolute and lazy forms."""
    fake = tmp_path / "x.py"
    fake.write_text("from ..core.select import select\nimport coresample.reference.select\n"
                    "def f():\n    from .. import _core\n    from .blocks import BLOCK\n")
    assert set(imported(fake, ("_base",))) == {"core", "reference", "_core", "_base"}


def test_reference_runs_without_the_compiled_core():
    """`import coresample.reference` and its select, select_adaptive, regression, baselines and
    KMeans run with coresample._core blocked, and load no compiled module of coresample."""
    code = """
import sys
sys.modules["coresample._core"] = None
import numpy as np
import coresample.reference as ref
X = np.random.default_rng(0).normal(size=(400, 4))
loss = lambda i: (X[i] ** 2).sum(axis=1)
s = ref.select(X, 20, n_clusters=4, random_state=0, loss_fn=loss, lam="auto")
assert s.n_queries > 0 and s.estimate > 0
ref.select_adaptive(X, 30, n_clusters=3, score_fn=lambda i, w: (X ** 2).sum(axis=1), random_state=0)
ref.regression.fit(np.ascontiguousarray(X[:, :3]), X[:, 3].copy(), 50, random_state=0)
ref.baselines.k_center_greedy(X, 10, random_state=0)
ref.KMeans(3, random_state=0).fit(X)
compiled = [m for m, mod in sys.modules.items() if m.startswith("coresample")
            and mod is not None and str(getattr(mod, "__file__", "")).endswith((".so", ".pyd"))]
assert not compiled, compiled
try:
    import coresample
    coresample.select
except ImportError:
    print("core blocked")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "core blocked" in out.stdout

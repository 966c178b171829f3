"""The Linux x86-64 wheel: built, repaired by auditwheel (GNU OpenMP bundled under a private
name), installed alone in a fresh venv and run end to end (`bash .ci/wheel --quick`, ~2-3 min,
mostly the compile). The full suite against the repaired wheel is `bash .ci/wheel`
(docs/WHEELS.md). Deselect with `-m "not wheel"` for quick local runs.
"""
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.wheel,
    pytest.mark.skipif(
        not (sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64")),
        reason="auditwheel repairs Linux wheels; this check builds the x86-64 one",
    ),
]


def test_repaired_wheel_installs_alone_and_runs(tmp_path):
    run = subprocess.run(["bash", str(ROOT / ".ci" / "wheel"), "--quick"], cwd=ROOT,
                         capture_output=True, text=True, timeout=1200)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert "quick check ok" in out and "manylinux" in out
    assert "openmp True" in out  # the bundled runtime loads in a venv without a compiler

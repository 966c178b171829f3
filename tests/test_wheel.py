"""The Linux x86-64 wheel: built, repaired by auditwheel (GNU OpenMP bundled under a private
name), installed alone in a fresh venv and run end to end (`bash .ci/wheel --quick`, ~2-3 min,
mostly the compile). The full suite against the repaired wheel is `bash .ci/wheel`
(docs/WHEELS.md). Deselect with `-m "not wheel"` for quick local runs.
"""
import os
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
    # Everything under tmp_path (issue 13, item 5): the CMake build folder, the repaired wheel,
    # and via TMPDIR the raw wheel, the venv and pip's own temp folders; nothing in the source
    # tree's build/ and dist/, nothing left in the temp folder.
    (tmp_path / "tmp").mkdir()
    env = dict(os.environ, WHEEL_BUILD_DIR=str(tmp_path / "build"),
               WHEEL_OUT=str(tmp_path / "dist"), TMPDIR=str(tmp_path / "tmp"))
    env.pop("WHEEL_VENV", None)
    run = subprocess.run(["bash", str(ROOT / ".ci" / "wheel"), "--quick"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=1200)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert "quick check ok" in out and "manylinux" in out
    assert "openmp True" in out  # the bundled runtime loads in a venv without a compiler
    assert [w.name for w in (tmp_path / "dist").glob("coresample-*manylinux*.whl")], out[-4000:]
    assert not list((tmp_path / "tmp").iterdir())  # the script removed its temp dirs

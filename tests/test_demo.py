"""The README's first command: the demo runs and its estimate is close to the truth."""
import subprocess
import sys

from coresample.app.cli import main
from coresample.app.demo import run_demo


def test_demo_estimate_close(capsys):
    out = run_demo(n=4000, repeats=3, print_fn=lambda s: None)
    sel = out["selection"]
    assert abs(sel.estimate - out["truth"]) < 5 * sel.stderr
    assert sel.n_queries <= 300 + 50


def test_cli_demo_prints(capsys):
    assert main(["demo", "--n", "3000", "--repeats", "2"]) == 0
    text = capsys.readouterr().out
    assert "true mean loss" in text and "uniform" in text


def test_console_script_entry_point():
    out = subprocess.run([sys.executable, "-m", "coresample", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "demo" in out.stdout


def test_docstring_examples():
    import doctest

    import importlib

    # Where the docstrings are written: select's and regression's signatures live in _algorithm.
    for name in ["_algorithm.functions", "_algorithm.baselines", "core.kmeans", "_algorithm.options",
                 "_algorithm.regression", "_base.estimate", "_base.hoelder", "_base.source"]:
        result = doctest.testmod(importlib.import_module(f"coresample.{name}"))
        assert result.failed == 0 and result.attempted > 0, name

"""select's options, written once (coresample/_algorithm/options.py, api.py): every entry point
has the same signature and forwards every argument, defaults included; SelectOptions validates
once and names the argument at fault."""
import inspect

import numpy as np
import pytest

import coresample
import coresample.reference as reference
from coresample._algorithm.api import bind, parameters_of
from coresample._algorithm.options import SelectOptions
from conftest import REQUIRE_OPTIONAL

X = np.random.default_rng(0).normal(size=(60, 3))


@pytest.mark.parametrize("impl", [coresample, reference], ids=["core", "reference"])
def test_lam_auto_needs_a_loss_fn(impl):
    """Issue 13: lam="auto" without an oracle was silently lam=1.0 in Python (the CLI refused)."""
    with pytest.raises(ValueError, match=r"lam='auto'.*needs a loss_fn"):
        impl.select(X, 10, n_clusters=3, lam="auto")
    sel = impl.select(X, 10, n_clusters=3, lam="auto", loss_fn=lambda i: X[i, 0] ** 2,
                      random_state=0)
    assert sel.lam >= 0


@pytest.mark.parametrize("impl", [coresample, reference], ids=["core", "reference"])
def test_budget_error_names_replace(impl):
    with pytest.raises(ValueError, match=r"budget=61 must be <= n_samples=60 when replace=False"):
        impl.select(X, 61, n_clusters=3, replace=False)
    assert len(impl.select(X, 61, n_clusters=3, random_state=0).indices) == 61  # with replacement


def test_resolve_fills_auto_and_names_arguments():
    args = {name: p.default for name, p in inspect.signature(coresample.select).parameters.items()
            if p.default is not inspect.Parameter.empty}
    args.update(budget=5, n_clusters=2, random_state=3)
    opts = SelectOptions.resolve(100, 4, **args)
    assert (opts.init, opts.max_points_per_center, opts.seed, opts.lam_auto) == ("k-means++", None, 3, False)
    assert not opts.fits_on_subsample(100)
    with pytest.raises(ValueError, match="n_clusters=101 must be <= n_samples=100"):
        SelectOptions.resolve(100, 4, **dict(args, n_clusters=101))
    with pytest.raises(ValueError, match="estimator='difference' needs a loss_fn"):
        SelectOptions.resolve(100, 4, **dict(args, estimator="difference"))
    with pytest.raises(ValueError, match="lam must be a number >= 0 or 'auto'"):
        SelectOptions.resolve(100, 4, **dict(args, lam="big"))


def test_bind_forwards_every_argument_by_name():
    def prototype(a: int, b: int = 2, *, c: str = "x") -> tuple:
        """Doc."""

    seen = []
    f = bind(prototype, lambda **kw: seen.append(kw) or kw["a"], "somewhere")
    assert f(1) == 1 and seen[-1] == {"a": 1, "b": 2, "c": "x"}
    f(1, 5, c="y")
    assert seen[-1] == {"a": 1, "b": 5, "c": "y"}
    assert inspect.signature(f) == inspect.signature(prototype)
    assert f.__doc__ == "Doc." and f.__module__ == "somewhere" and f.__name__ == "prototype"
    with pytest.raises(TypeError):
        f(1, 2, 3)  # c is keyword-only, as in the prototype
    with pytest.raises(TypeError):
        f(1, d=4)


def test_parameters_of_derives_a_signature():
    def source(a, b=1, *, c=2, d=3) -> int:
        """Source."""

    @parameters_of(source, returns=str, drop=("c",), after="b",
                   insert=[inspect.Parameter("e", inspect.Parameter.KEYWORD_ONLY, default=5)],
                   changes={"b": dict(default=None)})
    def derived(*args, **kwargs):
        """Derived."""

    sig = inspect.signature(derived)
    assert list(sig.parameters) == ["a", "b", "e", "d"]
    assert sig.parameters["b"].default is None and sig.return_annotation is str


def test_every_select_has_one_signature():
    want = inspect.signature(coresample.select)
    assert inspect.signature(reference.select) == want
    for module in ("coresample.dask", "coresample.ray"):
        try:
            engine = __import__(module, fromlist=["select"])
        except ImportError:  # the extra is not installed: nothing to compare (CI installs it)
            if REQUIRE_OPTIONAL:
                raise
            continue
        assert inspect.signature(engine.select) == want, module
    adaptive = inspect.signature(coresample.select_adaptive).parameters
    shared = [p for p in want.parameters
              if p not in ("loss_fn", "replace", "design", "strata", "proxy", "allocation")]
    assert [p for p in adaptive if p in shared] == shared
    assert list(adaptive)[3:6] == ["score_fn", "warm_start", "rounds"]

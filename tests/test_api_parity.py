"""coresample and coresample.reference expose the same names with the same signatures."""
import inspect

import coresample
import coresample.reference as reference

SHARED = [
    "KMeans", "Selection", "Estimate", "CopyWarning", "assign", "estimate", "kmeans_plusplus",
    "sample", "select", "sensitivities", "snap_to_rows", "AdaptiveSelection", "select_adaptive",
    "estimate_lam", "sample_size", "baselines", "regression", "Shards", "evaluate", "Evaluation",
    "Plan",
]
MODULES = {"baselines", "regression"}  # submodules: their own names and signatures are checked in their tests


def test_same_public_names():
    core_names = set(coresample.__all__) - {"simd_level", "__version__"}
    assert core_names == set(reference.__all__) == set(SHARED)


def test_same_signatures():
    for name in sorted(set(SHARED) - MODULES):
        a, b = getattr(coresample, name), getattr(reference, name)
        target_a = a.__init__ if inspect.isclass(a) else a
        target_b = b.__init__ if inspect.isclass(b) else b
        assert inspect.signature(target_a) == inspect.signature(target_b), name


def test_kmeans_methods_match():
    for method in ["fit", "predict", "fit_predict"]:
        assert inspect.signature(getattr(coresample.KMeans, method)) == inspect.signature(
            getattr(reference.KMeans, method)
        )


def test_reference_docstrings_point_to_core():
    for name in ["assign", "kmeans_plusplus", "sample", "select", "sensitivities", "snap_to_rows", "KMeans",
                 "select_adaptive", "evaluate"]:
        doc = getattr(reference, name).__doc__
        assert doc.startswith(f"Pure NumPy counterpart of `coresample.{name}`"), name


def test_public_functions_have_docstrings_and_hints():
    for name in sorted(set(SHARED) - MODULES):
        obj = getattr(coresample, name)
        assert obj.__doc__ and len(obj.__doc__) > 40, name
        if inspect.isfunction(obj):
            assert "return" in obj.__annotations__, name

"""Weighted sampling from n probabilities: coresample.sample vs numpy's Generator.choice.

numpy's API needs normalised p, so its timing includes p / p.sum(); coresample normalises
internally. Sizes are small (the full-size comparison is target D of bench/compare.py).
"""
import numpy as np
import pytest

import coresample

N, DRAWS, DISTINCT = 1_000_000, 100_000, 10_000


@pytest.fixture(scope="module")
def p():
    return np.random.default_rng(0).exponential(size=N)


WITH = f"sample {DRAWS} with replacement from n={N}"
WITHOUT = f"sample {DISTINCT} without replacement from n={N}"


@pytest.mark.benchmark(group=WITH)
def test_with_replacement_coresample(benchmark, p, threads):
    idx, w = benchmark(coresample.sample, p, DRAWS, random_state=1, n_threads=threads)
    assert idx.shape == (DRAWS,)


@pytest.mark.benchmark(group=WITH)
def test_with_replacement_numpy(benchmark, p):
    idx = benchmark(lambda: np.random.default_rng(1).choice(N, DRAWS, p=p / p.sum()))
    assert idx.shape == (DRAWS,)


@pytest.mark.benchmark(group=WITHOUT)
def test_without_replacement_coresample(benchmark, p, threads):
    idx, w = benchmark(coresample.sample, p, DISTINCT, replace=False, random_state=1, n_threads=threads)
    assert len(np.unique(idx)) == DISTINCT


@pytest.mark.benchmark(group=WITHOUT)
def test_without_replacement_numpy(benchmark, p):
    idx = benchmark.pedantic(lambda: np.random.default_rng(1).choice(N, DISTINCT, replace=False, p=p / p.sum()),
                             rounds=5)
    assert len(np.unique(idx)) == DISTINCT

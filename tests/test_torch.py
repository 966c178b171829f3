"""coresample.integrations.torch: SelectionSampler and WeightedDataset (issue 5, item 1).

Skipped without torch. DataLoader tests use 2 workers under fork and spawn with a timeout, so a
hang fails fast instead of stalling the suite.
"""
import os
import runpy
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import coresample  # noqa: E402
from coresample._base.random import derive_seed  # noqa: E402
from coresample.integrations.torch import (  # noqa: E402
    EPOCH_SAMPLE,
    SelectionSampler,
    WeightedDataset,
)

N = 500


def _p(n=N, seed=0):
    return np.random.default_rng(seed).gamma(0.5, size=n) + 1e-3


def _selection(replace=True):
    X = np.random.default_rng(1).normal(size=(300, 3))
    return coresample.select(X, 40, n_clusters=5, replace=replace, random_state=3)


def test_importing_coresample_does_not_import_torch():
    code = "import coresample, sys; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_is_a_torch_sampler():
    assert isinstance(SelectionSampler(_p(), 10), torch.utils.data.Sampler)


@pytest.mark.parametrize("replace", [True, False])
def test_same_seed_and_epoch_same_rows_other_epochs_differ(replace):
    a = SelectionSampler(_p(), 50, replace=replace, seed=7)
    b = SelectionSampler(_p(), 50, replace=replace, seed=7)
    a.set_epoch(3)
    b.set_epoch(3)
    rows = list(a)
    assert rows == list(b)
    assert rows == list(a)  # iterating again without set_epoch repeats the epoch
    np.testing.assert_array_equal(a.weights, b.weights)
    a.set_epoch(4)
    assert list(a) != rows
    assert list(SelectionSampler(_p(), 50, replace=replace, seed=8, shuffle=False)) != rows


@pytest.mark.parametrize("replace", [True, False])
def test_weights_match_coresample_sample(replace):
    p = _p()
    s = SelectionSampler(p, 60, replace=replace, seed=11, shuffle=False)
    s.set_epoch(5)
    idx, w = coresample.sample(p, 60, replace=replace,
                               random_state=derive_seed(s.seed, EPOCH_SAMPLE, 5))
    np.testing.assert_array_equal(np.array(list(s)), idx)
    np.testing.assert_array_equal(s.weights, w)
    # Shuffled: the same (row, weight) pairs in another order, and weight_of agrees.
    t = SelectionSampler(p, 60, replace=replace, seed=11, yield_weights=True)
    t.set_epoch(5)
    pairs = list(t)
    assert sorted(pairs) == sorted(zip(idx.tolist(), w.tolist()))
    assert [r for r, _ in pairs] != idx.tolist()
    assert all(t.weight_of(r) == wt for r, wt in pairs)


def test_fixed_selection_yields_its_indices_and_weights():
    sel = _selection()
    s = SelectionSampler(sel, shuffle=False)
    for epoch in (0, 1):
        s.set_epoch(epoch)
        np.testing.assert_array_equal(np.array(list(s)), sel.indices)
        np.testing.assert_array_equal(s.weights, sel.weights)
    shuffled = SelectionSampler(sel, seed=2)
    order = np.argsort(sel.indices, kind="stable")
    assert sorted(shuffled) == sel.indices[order].tolist()
    with pytest.raises(ValueError, match="num_samples=10 must equal"):
        SelectionSampler(sel, 10)


def test_selection_resample_uses_its_probabilities():
    sel = _selection(replace=False)
    s = SelectionSampler(sel, resample=True, shuffle=False, seed=4)
    s.set_epoch(2)
    idx, w = coresample.sample(sel.probabilities, 40, replace=False,
                               random_state=derive_seed(s.seed, EPOCH_SAMPLE, 2))
    np.testing.assert_array_equal(s.indices, idx)
    np.testing.assert_array_equal(s.weights, w)


@pytest.mark.parametrize("use_loaded_position", [True, False])
def test_state_dict_round_trip_resumes_identically(use_loaded_position):
    p = _p()
    run = SelectionSampler(p, 30, seed=5)
    run.set_epoch(2)
    it = iter(run)
    first = [next(it) for _ in range(12)]
    state = run.state_dict() if use_loaded_position else run.state_dict(position=12)
    assert state["epoch"] == 2 and state["position"] == 12
    rest = list(it)

    resumed = SelectionSampler(p, 30, seed=123)  # the seed comes from the state
    resumed.load_state_dict(state)
    assert resumed.state_dict() == state
    assert list(resumed) == rest
    assert first + rest == list(resumed)  # the next pass is the whole epoch again
    resumed.set_epoch(3)
    run.set_epoch(3)
    assert list(resumed) == list(run)


def test_load_state_dict_refuses_other_settings():
    state = SelectionSampler(_p(), 30, seed=5).state_dict()
    with pytest.raises(ValueError, match="num_samples=30 but this sampler has num_samples=31"):
        SelectionSampler(_p(), 31).load_state_dict(state)


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("replace", [True, False])
def test_ranks_are_disjoint_parts_of_the_same_draw(drop_last, replace):
    p, m, R = _p(), 50, 4  # 50 = 4 * 12 + 2: padding of 2, or 2 dropped
    draw_i, draw_w = SelectionSampler(p, m, replace=replace, seed=9).draw(epoch=1)
    samplers = [SelectionSampler(p, m, replace=replace, seed=9, num_replicas=R, rank=r,
                                 drop_last=drop_last) for r in range(R)]
    for s in samplers:
        s.set_epoch(1)
    assert {len(s) for s in samplers} == {12 if drop_last else 13}
    # Interleave the ranks back into positions of the shuffled draw.
    pos_i = np.stack([s.indices for s in samplers], axis=1).ravel()
    pos_w = np.stack([s.weights for s in samplers], axis=1).ravel()
    if drop_last:
        assert pos_i.shape[0] == 48
        counts = np.bincount(pos_i, minlength=N)
        assert np.all(counts <= np.bincount(draw_i, minlength=N))
        row_weight = dict(zip(draw_i.tolist(), draw_w.tolist()))  # one weight per row
        np.testing.assert_allclose(pos_w, [row_weight[r] * m / 48 for r in pos_i], rtol=1e-15)
    else:
        assert pos_i.shape[0] == 52
        np.testing.assert_array_equal(pos_w[m:], 0.0)  # padding carries no weight
        np.testing.assert_array_equal(np.sort(pos_i[:m]), np.sort(draw_i))
        np.testing.assert_allclose(pos_w.sum(), draw_w.sum(), rtol=1e-12)
        np.testing.assert_array_equal(pos_i[m:], pos_i[:2])  # padded from the start
    if not replace:  # distinct rows: the ranks' real (non-padding) rows are disjoint
        real = [s.indices[s.weights > 0] for s in samplers]
        assert sum(len(r) for r in real) == len(np.unique(np.concatenate(real)))


def test_drop_last_rescales_weights():
    p = _p()
    s = SelectionSampler(p, 50, seed=9, num_replicas=4, rank=0, drop_last=True, shuffle=False)
    full = SelectionSampler(p, 50, seed=9, shuffle=False)
    np.testing.assert_allclose(s.weights, full.weights[0:48:4] * 50 / 48, rtol=1e-15)


def test_more_than_2_pow_24_categories():
    n = 2**24 + 10
    p = np.full(n, 1e-9)
    p[-10:] = 1.0  # nearly all mass beyond torch.multinomial's 2**24 limit
    s = SelectionSampler(p, 100, seed=0)
    rows = np.array(list(s))
    assert rows.max() >= 2**24
    assert np.mean(rows >= 2**24) > 0.9


def test_bad_arguments():
    with pytest.raises(TypeError, match="num_samples is required"):
        SelectionSampler(_p())
    with pytest.raises(ValueError, match="rank=2 must be < num_replicas=2"):
        SelectionSampler(_p(), 10, num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="p contains NaN or inf"):
        SelectionSampler(np.array([1.0, np.nan]), 1)
    with pytest.raises(TypeError, match="needs \\(index, weight\\) pairs"):
        WeightedDataset([1, 2])[0]
    with pytest.raises(KeyError, match="not in epoch 0's draw"):
        SelectionSampler(np.array([0.0, 1.0]), 3).weight_of(0)


# Under spawn only the lookup mode runs: it pickles the sampler (p included) into the workers,
# a superset of what the pairs mode pickles, and each spawned worker costs seconds (torch import).
# Only the start methods this platform has (Windows has no fork).
WORKER_CASES = [(m, mode) for m, mode in [("fork", "pairs"), ("fork", "lookup"), ("spawn", "lookup")]
                if m in torch.multiprocessing.get_all_start_methods()]


@pytest.mark.parametrize("start_method, mode", WORKER_CASES)
def test_dataloader_with_workers(start_method, mode):
    p = _p(64)
    data = torch.utils.data.TensorDataset(torch.arange(64, dtype=torch.float64))
    sampler = SelectionSampler(p, 24, seed=3, yield_weights=(mode == "pairs"))
    dataset = WeightedDataset(data, None if mode == "pairs" else sampler)
    # Pairs carry the weight with the index, so persistent workers stay right across epochs;
    # a lookup needs fresh workers each epoch, so it runs one epoch under spawn.
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=5, sampler=sampler, num_workers=2,
        multiprocessing_context=start_method, timeout=60, persistent_workers=(mode == "pairs"),
    )
    epochs = (0, 1) if mode == "pairs" or start_method == "fork" else (1,)
    for epoch in epochs:
        sampler.set_epoch(epoch)
        rows, weights = [], []
        for (x,), w in loader:
            rows.append(x.to(torch.int64).numpy())
            weights.append(w.numpy())
        np.testing.assert_array_equal(np.concatenate(rows), sampler.indices)
        np.testing.assert_array_equal(np.concatenate(weights), sampler.weights)


def test_example_runs(monkeypatch, capsys):
    path = os.path.join(os.path.dirname(__file__), "..", "examples", "torch_weighted_loss.py")
    monkeypatch.setattr(sys, "argv", [path, "--quick"])
    runpy.run_path(path, run_name="__main__")  # in process: torch is already imported
    assert "epoch 2: full-data MSE" in capsys.readouterr().out

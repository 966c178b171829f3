"""coresample.integrations.oracles: per-example losses checked against F.cross_entropy on each
example alone, batching invariance, index order and duplicates, index validation, and the oracle
as select's loss_fn. Tiny models built here (torch Linear, GPT-2 and BERT with 1 layer, a
word-level tokenizer); nothing is downloaded."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

import coresample  # noqa: E402
from coresample.integrations.oracles import (  # noqa: E402
    LossOracle,
    hf_causal_lm_loss,
    hf_classifier_loss,
    torch_module_loss,
)

pytestmark = pytest.mark.models

N = 60


@pytest.fixture
def linear_task():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, 5)).astype(np.float32)
    y = rng.integers(3, size=N)
    return torch.nn.Linear(5, 3), X, y


# -- torch_module_loss ------------------------------------------------------------------------
def test_module_loss_by_hand_order_and_duplicates(linear_task):
    module, X, y = linear_task
    module.train()
    loss_fn = torch_module_loss(module, X, y, batch_size=4, device="cpu")
    assert isinstance(loss_fn, LossOracle) and not module.training
    idx = np.array([7, 3, 7, 59, 0, 3], dtype=np.int64)
    out = loss_fn(idx)
    assert out.dtype == np.float64 and out.shape == (6,)
    with torch.no_grad():
        for j, i in enumerate(idx):
            manual = F.cross_entropy(module(torch.from_numpy(X[i:i + 1])), torch.tensor([int(y[i])]))
            assert out[j] == pytest.approx(float(manual), rel=1e-6)
    assert out[0] == out[2] and out[1] == out[5]
    assert loss_fn.n_queries == 4 and loss_fn.n_calls == 1
    loss_fn(np.array([1, 2]))
    assert loss_fn.n_queries == 6 and loss_fn.n_calls == 2


def test_module_loss_batching_invariant(linear_task):
    module, X, y = linear_task
    rows = np.random.default_rng(1).permutation(N)
    a = torch_module_loss(module, X, y, batch_size=1, device="cpu")(rows)
    b = torch_module_loss(module, torch.from_numpy(X), torch.from_numpy(y), device="cpu")(rows)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_module_loss_custom_and_scalar_loss(linear_task):
    module, X, _ = linear_task
    T = np.random.default_rng(2).normal(size=(N, 3)).astype(np.float32)
    mse = torch_module_loss(module, X.astype(np.float64), T, loss=torch.nn.MSELoss(reduction="none"),
                            device="cpu")
    with torch.no_grad():
        manual = ((module(torch.from_numpy(X[[4]])) - torch.from_numpy(T[[4]])) ** 2).mean()
    assert mse([4])[0] == pytest.approx(float(manual), rel=1e-6)
    for reduction in ("mean", "sum"):
        bad = torch_module_loss(module, X, T, loss=torch.nn.MSELoss(reduction=reduction), device="cpu")
        with pytest.raises(ValueError, match="reduction='none'"):
            bad([0, 1])
        with pytest.raises(ValueError, match="reduction='none'"):
            bad([0])  # a batch of one row too: a 0-d result is not one loss per row
    wrong = torch_module_loss(module, X, T, loss=lambda o, t: o[:1, 0], device="cpu")
    with pytest.raises(ValueError, match="one loss per row"):
        wrong([0, 1])


@pytest.mark.parametrize("indices, exc, match", [
    (np.array([[0, 1]]), ValueError, "indices must be 1-D"),
    (np.array([0.0, 1.0]), ValueError, "indices must be integers"),
    (np.array([True, False]), ValueError, "indices must be integers"),
    (np.array([0, N]), IndexError, f"indices holds {N}, out of range for {N} rows"),
    (np.array([-1, 2]), IndexError, "indices holds -1"),
])
def test_bad_indices(linear_task, indices, exc, match):
    module, X, y = linear_task
    loss_fn = torch_module_loss(module, X, y, device="cpu")
    with pytest.raises(exc, match=match):
        loss_fn(indices)
    assert loss_fn.n_queries == 0


def test_empty_indices_and_int32(linear_task):
    module, X, y = linear_task
    loss_fn = torch_module_loss(module, X, y, device="cpu")
    assert loss_fn(np.array([], dtype=np.int64)).shape == (0,) and loss_fn.n_queries == 0
    np.testing.assert_array_equal(loss_fn(np.array([3, 1], np.int32)), loss_fn([3, 1]))


def test_bad_module_arguments(linear_task):
    module, X, y = linear_task
    with pytest.raises(TypeError, match="module must be a torch.nn.Module"):
        torch_module_loss(lambda x: x, X, y)
    with pytest.raises(ValueError, match="inputs has 60 rows but targets has 59"):
        torch_module_loss(module, X, y[:-1])
    with pytest.raises(TypeError, match="inputs must be a torch.Tensor or a numpy ndarray"):
        torch_module_loss(module, X.tolist(), y)
    with pytest.raises(ValueError, match="batch_size=0 must be >= 1"):
        torch_module_loss(module, X, y, batch_size=0)
    with pytest.raises(TypeError, match="loss must be callable"):
        torch_module_loss(module, X, y, loss="mse")
    with pytest.raises(ValueError, match="device="):
        torch_module_loss(module, X, y, device="nonsense")


def test_as_select_loss_fn(linear_task):
    module, X, y = linear_task
    loss_fn = torch_module_loss(module, X, y, device="cpu")
    sel = coresample.select(X, 20, n_clusters=4, loss_fn=loss_fn, random_state=0)
    assert loss_fn.n_queries == sel.n_queries
    np.testing.assert_allclose(sel.losses, torch_module_loss(module, X, y, device="cpu")(sel.indices))


# -- Hugging Face models ----------------------------------------------------------------------
WORDS = ["the", "a", "cat", "dog", "sat", "on", "mat", "ran", "fast", "slow", "big", "small", "red", "blue"]
TEXTS = ["the cat sat on the mat", "a dog ran", "big red dog ran fast on a small mat",
         "slow blue cat sat", "the dog", "a cat ran fast"]


def _tokenizer(transformers, **special):
    pytest.importorskip("tokenizers")
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {"[PAD]": 0, "[EOS]": 1, **{w: i + 2 for i, w in enumerate(WORDS)}}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="[EOS]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tk, **special)


@pytest.fixture
def tiny_gpt2():
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=20, n_positions=32, n_embd=16, n_layer=1, n_head=2,
                                     bos_token_id=1, eos_token_id=1)
    tok = _tokenizer(transformers, eos_token="[EOS]")  # no pad token: the oracle pads with eos
    return transformers.GPT2LMHeadModel(config), tok


def test_causal_lm_loss_by_hand(tiny_gpt2):
    model, tok = tiny_gpt2
    tok.padding_side = "left"
    loss_fn = hf_causal_lm_loss(model, tok, TEXTS, batch_size=4, device="cpu")
    assert not model.training
    idx = np.array([2, 0, 4, 2, 5, 1, 3])
    out = loss_fn(idx)
    assert loss_fn.n_queries == 6 and loss_fn.n_calls == 1
    assert tok.pad_token is None and tok.padding_side == "left"  # restored after each call
    with torch.no_grad():
        for j, i in enumerate(idx):
            ids = tok([TEXTS[i]], return_tensors="pt")["input_ids"]  # alone: no padding at all
            logits = model(input_ids=ids).logits
            manual = F.cross_entropy(logits[0, :-1], ids[0, 1:])
            assert out[j] == pytest.approx(float(manual), rel=1e-5)
    one = hf_causal_lm_loss(model, tok, TEXTS, batch_size=1, device="cpu")(idx)
    np.testing.assert_allclose(out, one, rtol=1e-5, atol=1e-6)


def test_causal_lm_loss_truncation_and_short_text(tiny_gpt2):
    model, tok = tiny_gpt2
    loss_fn = hf_causal_lm_loss(model, tok, TEXTS + ["cat"], max_length=3, device="cpu")
    with torch.no_grad():
        ids = tok([TEXTS[2]], return_tensors="pt")["input_ids"][:, :3]
        manual = F.cross_entropy(model(input_ids=ids).logits[0, :-1], ids[0, 1:])
    assert loss_fn([2])[0] == pytest.approx(float(manual), rel=1e-5)
    with pytest.raises(ValueError, match=r"texts\[6\]='cat' has fewer than 2 tokens"):
        loss_fn([0, 6])
    with pytest.raises(TypeError, match=r"texts\[0\] is a int"):
        hf_causal_lm_loss(model, tok, [1, "a"])
    with pytest.raises(ValueError, match="max_length=1 must be >= 2"):
        hf_causal_lm_loss(model, tok, TEXTS, max_length=1)


@pytest.fixture
def tiny_classifier():
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=20, hidden_size=16, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=32, num_labels=3)
    tok = _tokenizer(transformers, pad_token="[PAD]")
    return transformers.BertForSequenceClassification(config), tok


def test_classifier_loss_by_hand(tiny_classifier):
    model, tok = tiny_classifier
    labels = np.array([0, 1, 2, 1, 0, 2])
    loss_fn = hf_classifier_loss(model, tok, TEXTS, labels, batch_size=4, device="cpu")
    idx = np.array([5, 0, 5, 3, 2])
    out = loss_fn(idx)
    assert loss_fn.n_queries == 4 and not model.training
    with torch.no_grad():
        for j, i in enumerate(idx):
            logits = model(**tok([TEXTS[i]], return_tensors="pt")).logits
            manual = F.cross_entropy(logits, torch.tensor([int(labels[i])]))
            assert out[j] == pytest.approx(float(manual), rel=1e-5)
    one = hf_classifier_loss(model, tok, TEXTS, labels, batch_size=1, device="cpu")(idx)
    np.testing.assert_allclose(out, one, rtol=1e-5, atol=1e-6)


def test_classifier_bad_labels(tiny_classifier):
    model, tok = tiny_classifier
    with pytest.raises(ValueError, match=r"labels must have shape \(len\(texts\),\) = \(6,\)"):
        hf_classifier_loss(model, tok, TEXTS, [0, 1])
    with pytest.raises(TypeError, match="labels must be integers"):
        hf_classifier_loss(model, tok, TEXTS, np.zeros(6))
    with pytest.raises(ValueError, match="labels must be >= 0"):
        hf_classifier_loss(model, tok, TEXTS, [0, 1, 2, -1, 0, 0])
    loss_fn = hf_classifier_loss(model, tok, TEXTS, [0, 1, 2, 3, 0, 0], device="cpu")
    with pytest.raises(ValueError, match=r"labels\[3\]=3 must be < the model's 3 classes"):
        loss_fn([0, 3])


def test_device_resolution(monkeypatch, linear_task):
    from coresample.embed import torch_device

    assert torch_device("cpu") == torch.device("cpu")
    assert torch_device(torch.device("cpu")) == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert torch_device(None) == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert torch_device(None) == torch.device("cpu")
    module, X, y = linear_task
    assert torch_module_loss(module, X, y).device == torch.device("cpu")
    with pytest.raises(TypeError, match="device must be None, a str or a torch.device"):
        torch_device(0)

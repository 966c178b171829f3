"""coresample.integrations.datasets: select_dataset on a Hugging Face Dataset (issue 5, item 2).

Skipped without `datasets` (a failure under CORESAMPLE_REQUIRE_OPTIONAL=1, as .ci/run sets: its
extras include `datasets`). Small in-memory datasets only (Dataset.from_dict), so nothing touches
the network or the cache directory.
"""
import subprocess
import sys

import numpy as np
import pytest

datasets = pytest.importorskip("datasets")

import coresample  # noqa: E402
from coresample.integrations.datasets import dataset_embeddings, select_dataset  # noqa: E402

N, D = 120, 5


def _emb():
    return np.random.default_rng(7).normal(size=(N, D)).astype(np.float32)


def _ds(emb=None):
    emb = _emb() if emb is None else emb
    return datasets.Dataset.from_dict(
        {"embedding": emb.tolist(), "id": list(range(N)), "text": [f"row {i}" for i in range(N)]}
    )


def _toy_embed(texts):
    """Deterministic toy embedder: the row number spread over D features."""
    ids = np.array([int(t.split()[1]) for t in texts], dtype=np.float64)
    return np.stack([np.sin(ids * (j + 1)) for j in range(D)], axis=1)


def test_importing_coresample_does_not_import_datasets():
    code = "import coresample, sys; assert 'datasets' not in sys.modules, 'datasets imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize("replace", [False, True])
def test_matches_select_on_the_stacked_array(replace):
    emb = _emb()
    ds = _ds(emb)
    sub, sel = select_dataset(ds, 15, n_clusters=4, embedding_column="embedding",
                              replace=replace, random_state=3, batch_size=32,
                              return_selection=True)
    ref = coresample.select(emb, 15, n_clusters=4, replace=replace, random_state=3)
    np.testing.assert_array_equal(sel.indices, ref.indices)
    np.testing.assert_array_equal(sel.weights, ref.weights)
    expected = ds.select(ref.indices)
    assert sub["id"] == expected["id"]
    assert sub["embedding"] == expected["embedding"]
    np.testing.assert_array_equal(np.asarray(sub["weight"]), ref.weights)
    assert sub._indices is None  # flattened: contiguous rows, no indices mapping
    assert sub.column_names == ["embedding", "id", "text", "weight"]
    assert sub.features["weight"] == datasets.Value("float64")
    if not replace:
        assert len(set(sub["id"])) == 15


def test_replace_repeats_rows():
    ds = _ds()
    sub, sel = select_dataset(ds, 200, n_clusters=3, embedding_column="embedding",
                              replace=True, random_state=0, return_selection=True)
    assert len(sub) == 200 and len(set(sub["id"])) < 200  # 200 draws from 120 rows repeat
    assert sub["id"] == sel.indices.tolist()


def test_default_is_without_replacement_and_returns_dataset():
    sub = select_dataset(_ds(), 10, n_clusters=3, embedding_column="embedding", random_state=1)
    assert isinstance(sub, datasets.Dataset)
    assert len(set(sub["id"])) == 10


def test_batch_size_and_dtype_do_not_change_the_embeddings():
    emb = _emb()
    ds = _ds(emb)
    for bs in (1, 7, 1000):
        np.testing.assert_array_equal(
            dataset_embeddings(ds, embedding_column="embedding", batch_size=bs), emb)
    x64 = dataset_embeddings(ds, embedding_column="embedding", dtype=np.float64)
    assert x64.dtype == np.float64 and x64.flags.c_contiguous
    np.testing.assert_array_equal(x64, np.asarray(ds["embedding"], dtype=np.float64))


def test_honours_an_existing_indices_mapping():
    emb = _emb()
    ds = _ds(emb).select(range(N - 1, -1, -1))  # reversed, with an indices mapping
    sub, sel = select_dataset(ds, 12, n_clusters=3, embedding_column="embedding",
                              random_state=5, return_selection=True)
    ref = coresample.select(np.ascontiguousarray(emb[::-1]), 12, n_clusters=3, replace=False,
                            random_state=5)
    np.testing.assert_array_equal(sel.indices, ref.indices)
    assert sub["id"] == [N - 1 - int(i) for i in ref.indices]


def test_embed_fn_path():
    ds = _ds()
    calls = []

    def embed(texts):
        calls.append(len(texts))
        return _toy_embed(texts)

    sub, sel = select_dataset(ds, 12, n_clusters=3, embed_fn=embed, text_column="text",
                              batch_size=50, random_state=2, index_column="row",
                              return_selection=True)
    assert calls == [50, 50, 20]
    X = np.ascontiguousarray(_toy_embed([f"row {i}" for i in range(N)]), dtype=np.float32)
    ref = coresample.select(X, 12, n_clusters=3, replace=False, random_state=2)
    np.testing.assert_array_equal(sel.indices, ref.indices)
    assert sub["id"] == ref.indices.tolist() == sub["row"]
    np.testing.assert_array_equal(np.asarray(sub["weight"]), ref.weights)


def test_select_kwargs_are_forwarded():
    # design, z and loss_fn reach select: the sensitivity design asks the oracle for the
    # representatives, then for the sampled rows, exactly as select on the stacked array does.
    ds = _ds()
    seen, seen_ref = [], []

    def oracle(log):
        def loss_fn(rows):
            log.append(np.array(rows))
            return 1.0 + np.asarray(rows, dtype=np.float64) % 3
        return loss_fn

    kw = dict(n_clusters=3, random_state=0, design="sensitivity", z=1.0)
    _, sel = select_dataset(ds, 10, embedding_column="embedding", loss_fn=oracle(seen),
                            return_selection=True, **kw)
    ref = coresample.select(_emb(), 10, replace=False, loss_fn=oracle(seen_ref), **kw)
    assert len(seen) == len(seen_ref) == 2  # representatives, then the sampled rows
    for a, b in zip(seen, seen_ref):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(sel.indices, ref.indices)
    np.testing.assert_array_equal(sel.representatives, ref.representatives)
    assert sel.estimate == ref.estimate and sel.stderr == ref.stderr
    # z=1.0 took effect: the k-median clustering has other representatives than k-means'.
    z2 = coresample.select(_emb(), 10, replace=False, n_clusters=3, random_state=0,
                           design="sensitivity")
    assert not np.array_equal(ref.representatives, z2.representatives)


def _ragged():
    return datasets.Dataset.from_dict({"e": [[1.0, 2.0], [3.0], [5.0, 6.0]]})


def _with_none():
    return datasets.Dataset.from_dict({"e": [[1.0, 2.0], None, [5.0, 6.0]]})


@pytest.mark.parametrize("make_ds, kwargs, exc, match", [
    (_ds, {"embedding_column": "nope"}, ValueError, r"embedding_column='nope' is not a column"),
    (_ds, {}, ValueError, "exactly one of embedding_column and embed_fn"),
    (_ds, {"embedding_column": "embedding", "embed_fn": _toy_embed}, ValueError, "exactly one"),
    (_ds, {"embed_fn": _toy_embed}, ValueError, "embed_fn needs text_column"),
    (_ds, {"embed_fn": _toy_embed, "text_column": "nope"}, ValueError, "text_column='nope'"),
    (_ds, {"embed_fn": lambda t: np.ones(len(t)), "text_column": "text"}, ValueError,
     r"embed_fn must return shape \(len\(texts\), n_features\)"),
    (_ds, {"embed_fn": lambda t: np.ones((len(t) + 1, 3)), "text_column": "text"}, ValueError,
     r"embed_fn must return shape"),
    (_ds, {"embed_fn": lambda t: np.ones((len(t), len(t))), "text_column": "text",
           "batch_size": 50}, ValueError, r"have 20 features, earlier rows 50"),
    (_ds, {"embedding_column": "text"}, ValueError, "expected real numbers"),
    (_ds, {"embedding_column": "id"}, ValueError, "expected one vector per row"),
    (_ragged, {"embedding_column": "e"}, ValueError, "ragged rows or missing values"),
    (_with_none, {"embedding_column": "e"}, ValueError, "ragged rows or missing values"),
    (_ds, {"embedding_column": "embedding", "weight_column": "id"}, ValueError,
     "weight_column='id' is already a column"),
    (_ds, {"embedding_column": "embedding", "index_column": "weight"}, ValueError,
     "index_column and weight_column are both 'weight'"),
    (_ds, {"embedding_column": "embedding", "dtype": np.int32}, ValueError,
     "must be float32 or float64"),
    (_ds, {"embedding_column": "embedding", "batch_size": 0}, ValueError, "batch_size"),
])
def test_bad_input(make_ds, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        select_dataset(make_ds(), 2, n_clusters=1, random_state=0, **kwargs)


def test_nan_embedding_is_refused_by_select():
    emb = _emb()
    emb[3, 1] = np.nan
    with pytest.raises(ValueError, match="(?i)nan|finite"):
        select_dataset(_ds(emb), 5, n_clusters=2, embedding_column="embedding", random_state=0)


def test_dataset_dict_is_refused():
    dd = datasets.DatasetDict({"train": _ds()})
    with pytest.raises(TypeError, match=r"pass one split, e.g. ds\['train'\]"):
        select_dataset(dd, 5, n_clusters=2, embedding_column="embedding")


def test_budget_errors_come_from_select():
    with pytest.raises(ValueError, match="budget"):
        select_dataset(_ds(), N + 1, n_clusters=2, embedding_column="embedding")


def test_disk_backed_dataset_round_trip(tmp_path):
    _ds().save_to_disk(str(tmp_path / "full"))
    ds = datasets.load_from_disk(str(tmp_path / "full"))  # memory-mapped arrow files
    sub = select_dataset(ds, 9, n_clusters=3, embedding_column="embedding", random_state=4)
    assert sub._indices is None
    sub.save_to_disk(str(tmp_path / "sub"))
    back = datasets.load_from_disk(str(tmp_path / "sub"))
    assert back["id"] == sub["id"] and back["weight"] == sub["weight"]

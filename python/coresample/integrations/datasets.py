"""Hugging Face `datasets` adapter: one call from a `datasets.Dataset` to its weighted subset.

Importing `coresample` never imports `datasets`; this module does, so import it explicitly::

    from coresample.integrations.datasets import select_dataset

`select_dataset` reads the embeddings from a column (or computes them from a text column with
your embedder, in batches) into one (n_samples, n_features) array, runs `coresample.select` on
it, and returns ``ds.select(indices)`` with the estimator weights as a column and the indices
mapping flattened, so the subset is contiguous and fast to read, shuffle and save.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple, Union

import numpy as np

try:
    import datasets
except ImportError as exc:  # pragma: no cover - exercised only without datasets
    raise ImportError(
        "coresample.integrations.datasets needs Hugging Face datasets, which is an optional "
        "dependency of coresample: pip install datasets"
    ) from exc

from .._base.results import Selection
from .._base.validation import check_float_dtype, check_int
from ..core.select import select

__all__ = ["dataset_embeddings", "select_dataset"]



def _check_dataset(ds: Any) -> None:
    if isinstance(ds, (datasets.DatasetDict, datasets.IterableDatasetDict)):
        raise TypeError(
            f"ds must be a datasets.Dataset, got a {type(ds).__name__}: pass one split, "
            "e.g. ds['train']"
        )
    if isinstance(ds, datasets.IterableDataset):
        raise TypeError(
            "ds must be a datasets.Dataset, got an IterableDataset (streaming): selection needs "
            "random access to the rows; load it without streaming=True"
        )
    if not isinstance(ds, datasets.Dataset):
        raise TypeError(f"ds must be a datasets.Dataset, got {type(ds).__name__}")
    if len(ds) == 0:
        raise ValueError("ds has 0 rows")


def _check_column(ds: "datasets.Dataset", column: Any, name: str) -> str:
    if not isinstance(column, str):
        raise TypeError(f"{name} must be a column name (str), got {type(column).__name__}")
    if column not in ds.column_names:
        raise ValueError(f"{name}={column!r} is not a column of ds (columns: {ds.column_names})")
    return column


def _check_dtype(dtype: Any) -> np.dtype:
    return check_float_dtype(dtype)


def _store(out: Optional[np.ndarray], block: np.ndarray, start: int, n: int, dt: np.dtype,
           what: str) -> np.ndarray:
    """Check one block of embeddings (rows start..start+len(block)) and copy it into out."""
    if block.dtype == object:
        raise ValueError(
            f"{what}: rows {start}..{start + len(block) - 1} are not all lists of numbers of one "
            "length (ragged rows or missing values)"
        )
    if not np.issubdtype(block.dtype, np.number) or np.issubdtype(block.dtype, np.complexfloating):
        raise ValueError(f"{what}: expected real numbers, got dtype {block.dtype}")
    if block.ndim != 2:
        raise ValueError(
            f"{what}: expected one vector per row, shape (rows, n_features), got a block of shape "
            f"{block.shape} for rows {start}..{start + len(block) - 1}"
        )
    if out is None:
        if block.shape[1] == 0:
            raise ValueError(f"{what}: embeddings have 0 features")
        out = np.empty((n, block.shape[1]), dtype=dt)
    elif block.shape[1] != out.shape[1]:
        raise ValueError(
            f"{what}: rows {start}..{start + len(block) - 1} have {block.shape[1]} features, "
            f"earlier rows {out.shape[1]}"
        )
    out[start:start + len(block)] = block
    return out


def dataset_embeddings(
    ds: "datasets.Dataset",
    *,
    embedding_column: Optional[str] = None,
    embed_fn: Optional[Callable[[list], Any]] = None,
    text_column: Optional[str] = None,
    batch_size: int = 1024,
    dtype: Any = np.float32,
) -> np.ndarray:
    """The embeddings of every row of ds as one C-contiguous (n_samples, n_features) array.

    Parameters
    ----------
    ds : datasets.Dataset
        The rows, in their current order (an indices mapping from `select`/`shuffle` is honoured).
    embedding_column : str, default=None
        A column holding one list of numbers of the same length per row (`List(Value(...))`,
        fixed-size or not). Read in batches of `batch_size` rows.
    embed_fn : callable, default=None
        ``embed_fn(texts: list[str]) -> array-like of shape (len(texts), n_features)``, called on
        consecutive batches of `text_column` (a NumPy array, a list of lists, or anything
        `np.asarray` accepts, e.g. a CPU torch tensor). Give exactly one of `embedding_column`
        and `embed_fn`.
    text_column : str, default=None
        The column passed to `embed_fn`; required with it.
    batch_size : int, default=1024
        Rows read (or embedded) at a time.
    dtype : {float32, float64}, default=float32
        dtype of the result. The column's values are converted batch by batch.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Peak memory: the result, ``n_samples * n_features * itemsize`` bytes (4 for float32), plus
        one batch; the whole column is never materialised in another dtype.

    Raises
    ------
    TypeError
        ds is not a `datasets.Dataset` (a DatasetDict or a streaming IterableDataset).
    ValueError
        Neither or both sources given, a missing column, ragged or missing vectors, a 3-D or
        non-numeric column, an embedder output of the wrong shape.
    """
    _check_dataset(ds)
    dt = _check_dtype(dtype)
    batch_size = check_int(batch_size, "batch_size", 1)
    if (embedding_column is None) == (embed_fn is None):
        raise ValueError("give exactly one of embedding_column and embed_fn")
    n = len(ds)
    out: Optional[np.ndarray] = None
    if embedding_column is not None:
        if text_column is not None:
            raise ValueError("text_column is used only with embed_fn")
        col = _check_column(ds, embedding_column, "embedding_column")
        what = f"embedding_column={col!r}"
        # The numpy formatter stacks equal-length lists into a 2-D block (object dtype otherwise)
        # and converts to dt on the way, so a float64 column never exists whole as float64.
        view = ds.with_format("numpy", columns=[col], dtype=dt)
        for start in range(0, n, batch_size):
            out = _store(out, view[start:start + batch_size][col], start, n, dt, what)
    else:
        if not callable(embed_fn):
            raise TypeError(f"embed_fn must be callable, got {type(embed_fn).__name__}")
        if text_column is None:
            raise ValueError("embed_fn needs text_column, the column whose values it embeds")
        col = _check_column(ds, text_column, "text_column")
        what = "embed_fn output"
        texts = ds.select_columns([col]).with_format(None)
        start = 0
        for batch in texts.iter(batch_size=batch_size):
            values = list(batch[col])
            block = np.asarray(embed_fn(values))
            if block.ndim != 2 or block.shape[0] != len(values):
                raise ValueError(
                    f"embed_fn must return shape (len(texts), n_features) = ({len(values)}, d), "
                    f"got {block.shape} for rows {start}..{start + len(values) - 1}"
                )
            out = _store(out, block, start, n, dt, what)
            start += len(values)
    assert out is not None  # n >= 1, so at least one batch was stored
    return out


def select_dataset(
    ds: "datasets.Dataset",
    budget: int,
    *,
    n_clusters: int,
    embedding_column: Optional[str] = None,
    embed_fn: Optional[Callable[[list], Any]] = None,
    text_column: Optional[str] = None,
    batch_size: int = 1024,
    dtype: Any = np.float32,
    weight_column: str = "weight",
    index_column: Optional[str] = None,
    replace: bool = False,
    random_state: Any = None,
    keep_in_memory: bool = False,
    return_selection: bool = False,
    **select_kwargs: Any,
) -> Union["datasets.Dataset", Tuple["datasets.Dataset", Selection]]:
    """Select a small weighted subset of a `datasets.Dataset` with `coresample.select`.

    Parameters
    ----------
    ds : datasets.Dataset
        The rows to select from (one split, not a DatasetDict; not streaming).
    budget : int
        Rows to sample (`coresample.select`'s budget).
    n_clusters : int
        Clusters k (`coresample.select`).
    embedding_column, embed_fn, text_column, batch_size, dtype
        Where the embeddings come from; see `dataset_embeddings`. They are held in memory as
        one (n_samples, n_features) array of `dtype` (float32: 4 bytes per value) while
        selecting.
    weight_column : str, default="weight"
        Name of the added float64 column of estimator weights (``Selection.weights``); it must
        not exist in ds. For training, use per-example loss weights ``w / sum(w)``.
    index_column : str, default=None
        If given, also add an int64 column with each selected row's position in ds.
    replace : bool, default=False
        Distinct rows (the default here, unlike `coresample.select`), or i.i.d. draws with
        replacement, in which case a row drawn m times appears m times in the result, each copy
        with its weight.
    random_state : None, int or numpy Generator, default=None
        Seed; the same seed and embeddings give the same rows as `coresample.select`.
    keep_in_memory : bool, default=False
        Passed to `Dataset.flatten_indices`: False writes the subset to a cache file when ds is
        backed by one (as `datasets` does for its own transforms).
    return_selection : bool, default=False
        Also return the `Selection` (probabilities, representatives, clustering, estimates).
    **select_kwargs
        Passed to `coresample.select` (z, lam, loss_fn, sample_weight, method, n_threads, ...).
        A `loss_fn` receives positions in ds.

    Returns
    -------
    subset : datasets.Dataset
        ``ds.select(selection.indices)``, in the selection's order, with `weight_column` (and
        `index_column`) added and no indices mapping (``flatten_indices()`` applied), so reading
        and saving it touches only contiguous rows. ds's format is kept.
    selection : Selection
        Only with ``return_selection=True``.

    Raises
    ------
    TypeError, ValueError
        As `dataset_embeddings` and `coresample.select`; also when `weight_column` or
        `index_column` already exist in ds or are equal.

    Examples
    --------
    >>> import datasets, numpy as np
    >>> from coresample.integrations.datasets import select_dataset
    >>> emb = np.random.default_rng(0).normal(size=(200, 8)).tolist()
    >>> ds = datasets.Dataset.from_dict({"embedding": emb, "id": list(range(200))})
    >>> sub = select_dataset(ds, 20, n_clusters=5, embedding_column="embedding", random_state=0)
    >>> len(sub), sub.column_names
    (20, ['embedding', 'id', 'weight'])
    """
    _check_dataset(ds)
    for value, name in ((weight_column, "weight_column"), (index_column, "index_column")):
        if name == "index_column" and value is None:
            continue
        if not isinstance(value, str) or not value:
            raise TypeError(f"{name} must be a non-empty str, got {value!r}")
        if value in ds.column_names:
            raise ValueError(f"{name}={value!r} is already a column of ds; choose another name")
    if index_column is not None and index_column == weight_column:
        raise ValueError(f"index_column and weight_column are both {weight_column!r}")
    X = dataset_embeddings(
        ds, embedding_column=embedding_column, embed_fn=embed_fn, text_column=text_column,
        batch_size=batch_size, dtype=dtype,
    )
    sel = select(X, budget, n_clusters=n_clusters, replace=replace, random_state=random_state,
                 **select_kwargs)
    del X  # the subset below does not need it; free it before the flatten pass writes rows
    # flatten_indices before add_column: add_column would flatten a mapped dataset itself, and
    # doing it explicitly makes keep_in_memory apply.
    subset = ds.select(sel.indices).flatten_indices(keep_in_memory=keep_in_memory)
    subset = subset.add_column(weight_column, np.asarray(sel.weights, dtype=np.float64))
    if index_column is not None:
        subset = subset.add_column(index_column, np.asarray(sel.indices, dtype=np.int64))
    if return_selection:
        return subset, sel
    return subset

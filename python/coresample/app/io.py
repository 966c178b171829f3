"""Readers and writers for the `coresample` command line.

numpy is the only hard dependency: pyarrow (parquet) is imported lazily, and a missing one gives
an `InputError` that says what to install. Nothing here writes to stdout; progress goes to stderr
through `_base.progress.LineReporter`.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional

import numpy as np

from .._base.progress import LineReporter


class InputError(Exception):
    """A problem with the user's files or data: the CLI prints it on one line and exits 1."""


# ---------------------------------------------------------------------------------------------
# readers


def _need_pyarrow(what: str) -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise InputError(
            f"{what} needs pyarrow, which is not installed; install it with "
            "`pip install pyarrow` (or `pip install coresample[cli]`)"
        ) from None
    return pyarrow


def _check_embedding_array(X: Any, source: str) -> np.ndarray:
    if not isinstance(X, np.ndarray):
        raise InputError(f"{source}: expected an array, got {type(X).__name__}")
    if X.ndim != 2:
        raise InputError(
            f"{source}: embeddings must be 2-D (n_samples, n_features), got shape {X.shape}"
        )
    if X.dtype.kind != "f":
        raise InputError(
            f"{source}: embeddings must have a float dtype (float16, float32 or float64), "
            f"got {X.dtype}"
        )
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise InputError(f"{source}: embeddings are empty (shape {X.shape})")
    return X


def _load_npy(path: str) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:  # object arrays, corrupt headers
        raise InputError(f"{path}: not a readable .npy array ({exc})") from None


def _load_npz(path: str, key: Optional[str]) -> np.ndarray:
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            if key is None:
                if len(names) != 1:
                    raise InputError(
                        f"{path}: holds {len(names)} arrays ({', '.join(names) or 'none'}); "
                        "pick one with --key"
                    )
                key = names[0]
            if key not in names:
                raise InputError(
                    f"{path}: no array named {key!r} (it holds {', '.join(names) or 'none'})"
                )
            return archive[key]
    except (ValueError, OSError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{path}: not a readable .npz archive ({exc})") from None


def _load_shards(folder: str) -> Any:
    """A folder of .npy shards as one `Shards` matrix: memory-mapped, never concatenated."""
    from .._base.source import Shards

    names = sorted(f for f in os.listdir(folder) if f.endswith(".npy"))
    if not names:
        raise InputError(f"{folder}: folder holds no .npy shards")
    shards = [_load_npy(os.path.join(folder, f)) for f in names]
    first = shards[0]
    for name, shard in zip(names, shards):
        src = os.path.join(folder, name)
        _check_embedding_array(shard, src)
        if shard.shape[1] != first.shape[1] or shard.dtype != first.dtype:
            raise InputError(
                f"{src}: shape {shard.shape} {shard.dtype} does not match the first shard "
                f"{names[0]} (n_features={first.shape[1]}, {first.dtype})"
            )
    return Shards(shards)


def _load_parquet(path: str, column: Optional[str], progress: LineReporter) -> np.ndarray:
    pa = _need_pyarrow("reading parquet")
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{path}: not a readable parquet file ({exc})") from None
    schema = pf.schema_arrow
    if column is None:
        lists = [
            f.name
            for f in schema
            if pa.types.is_list(f.type)
            or pa.types.is_fixed_size_list(f.type)
            or pa.types.is_large_list(f.type)
        ]
        if len(lists) != 1:
            raise InputError(
                f"{path}: {len(lists)} list columns ({', '.join(lists) or 'none'}); name the "
                "embedding column with --column"
            )
        column = lists[0]
    if column not in schema.names:
        raise InputError(f"{path}: no column {column!r} (columns: {', '.join(schema.names)})")
    ftype = schema.field(column).type
    if not (
        pa.types.is_list(ftype)
        or pa.types.is_fixed_size_list(ftype)
        or pa.types.is_large_list(ftype)
    ):
        raise InputError(
            f"{path}: column {column!r} has type {ftype}; expected a list of floats per row"
        )
    if not pa.types.is_floating(ftype.value_type):
        raise InputError(
            f"{path}: column {column!r} holds {ftype.value_type} values; expected floats"
        )
    n = pf.metadata.num_rows
    if n == 0:
        raise InputError(f"{path}: no rows")
    X: Optional[np.ndarray] = None
    start = 0
    groups = range(pf.num_row_groups)
    for g in progress.iterate(groups, len(groups), "read parquet", "row group"):
        col = pf.read_row_group(g, columns=[column]).column(0).combine_chunks()
        if col.null_count:
            raise InputError(f"{path}: column {column!r} has null rows")
        lengths = (
            np.diff(np.asarray(col.offsets)) if not pa.types.is_fixed_size_list(ftype) else None
        )
        flat = col.flatten().to_numpy(zero_copy_only=False)
        d = ftype.list_size if lengths is None else (int(lengths[0]) if len(lengths) else 0)
        if lengths is not None and len(lengths) and np.any(lengths != d):
            bad = start + int(np.argmax(lengths != d))
            raise InputError(
                f"{path}: column {column!r}: row {bad} has {int(lengths[bad - start])} values, "
                f"row 0 of the group has {d}; all rows need the same length"
            )
        if X is None:
            if d == 0:
                raise InputError(f"{path}: column {column!r} holds empty lists")
            X = np.empty((n, d), dtype=np.float32)
        elif d != X.shape[1] and len(col):
            raise InputError(
                f"{path}: column {column!r}: rows of length {d} after rows of length {X.shape[1]}"
            )
        X[start : start + len(col)] = flat.reshape(len(col), d)
        start += len(col)
    assert X is not None
    return X


def load_embeddings(
    path: str,
    *,
    key: Optional[str] = None,
    column: Optional[str] = None,
    progress: Optional[LineReporter] = None,
) -> np.ndarray:
    """Read an embedding matrix for `coresample select`.

    Parameters
    ----------
    path : str
        A `.npy` file (memory-mapped: float32/float64 used in place, float16 read in blocks),
        a `.npz` archive (its single array, or `key`; loaded into memory), a folder of `.npy`
        shards (memory-mapped and read in blocks in sorted file-name order, never
        concatenated: `coresample.Shards`), or a `.parquet` file (`column`: a list or
        fixed-size-list column of floats, read into an in-memory float32 array; needs pyarrow).
    key : str, default=None
        Array name inside a `.npz` archive with several arrays.
    column : str, default=None
        Embedding column of a parquet file; by default its only list column.
    progress : LineReporter, default=None
        Where to report progress.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features) or Shards
        float16 stays float16: `select` converts it block by block (docs/OUT_OF_CORE.md).

    Raises
    ------
    InputError
        Missing or unreadable files, unsupported formats, wrong shapes or dtypes.
    """
    progress = progress or LineReporter(quiet=True)
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file or directory")
    if os.path.isdir(path):
        return _load_shards(path)
    else:
        ext = os.path.splitext(path)[1].lower()
        try:
            if ext == ".npy":
                X = _load_npy(path)
            elif ext == ".npz":
                X = _load_npz(path, key)
            elif ext in (".parquet", ".pq"):
                X = _load_parquet(path, column, progress)
            else:
                raise InputError(
                    f"{path}: unknown input format {ext or '(no extension)'!r}; "
                    "expected .npy, .npz, .parquet or a folder of .npy shards"
                )
        except PermissionError as exc:
            raise InputError(f"{path}: {exc.strerror}") from None
    return _check_embedding_array(X, path)


def load_losses(path: str, n_samples: int) -> np.ndarray:
    """Per-row losses for `--loss-file`: a `.npy` of n_samples finite, non-negative floats
    (shape (n,) or (n, 1)); memory-mapped, read only at the rows the selection queries."""
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file or directory")
    if os.path.splitext(path)[1].lower() != ".npy":
        raise InputError(f"{path}: the loss file must be a .npy array")
    losses = _load_npy(path)
    if losses.ndim == 2 and losses.shape[1] == 1:
        losses = losses[:, 0]
    if losses.ndim != 1 or losses.shape[0] != n_samples:
        raise InputError(
            f"{path}: losses must have shape ({n_samples},) to match the embeddings, "
            f"got {losses.shape}"
        )
    if losses.dtype.kind not in "fiu":
        raise InputError(f"{path}: losses must be numbers, got dtype {losses.dtype}")
    return losses


# ---------------------------------------------------------------------------------------------
# writers


def _estimate_fields(sel: Any) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    if sel.estimate is not None:
        out["estimate"] = float(sel.estimate)
        out["stderr"] = float(sel.stderr) if sel.stderr is not None else None
        out["ci"] = [float(sel.ci[0]), float(sel.ci[1])] if sel.ci is not None else None
    return out


def selection_metadata(
    sel: Any, n_samples: int, n_features: int, params: Dict[str, Any]
) -> Dict[str, Any]:
    """The scalars of a selection and the parameters that made it, JSON-ready."""
    meta: Dict[str, Any] = {
        "n_samples": int(n_samples),
        "n_features": int(n_features),
        "budget": len(sel.indices),
        "n_distinct": int(np.unique(sel.indices).size),
        "n_clusters": len(sel.representatives),
        "inertia": float(sel.inertia),
        "total_weight": float(sel.total_weight),
        "lam": float(sel.lam) if sel.lam is not None else None,
        "n_queries": int(sel.n_queries),
        "params": params,
    }
    meta.update(_estimate_fields(sel))
    return meta


def write_npz(
    path: str, sel: Any, meta: Dict[str, Any], *, probabilities: bool, labels: bool
) -> None:
    """Write the selection as an uncompressed .npz (schema in `coresample select --help`)."""
    arrays: Dict[str, Any] = {
        "indices": sel.indices,
        "weights": sel.weights,
        "representatives": sel.representatives,
        "cluster_weights": sel.cluster_weights,
        "metadata": np.array(json.dumps(meta)),
    }
    if sel.losses is not None:
        arrays["losses"] = np.asarray(sel.losses, dtype=np.float64)
        arrays["representative_losses"] = np.asarray(sel.representative_losses, dtype=np.float64)
    if sel.estimate is not None:
        arrays["estimate"] = np.float64(sel.estimate)
        if sel.stderr is not None:
            arrays["stderr"] = np.float64(sel.stderr)
        if sel.ci is not None:
            arrays["ci"] = np.asarray(sel.ci, dtype=np.float64)
    if probabilities:
        arrays["probabilities"] = sel.probabilities
    if labels:
        arrays["labels"] = sel.labels
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def write_parquet(path: str, sel: Any, meta: Dict[str, Any]) -> None:
    """One row per sampled draw: index, weight, probability, is_representative[, loss];
    the representatives and `meta` as JSON under the schema metadata key b"coresample"."""
    pa = _need_pyarrow("writing parquet")
    import pyarrow.parquet as pq

    cols: Dict[str, Any] = {
        "index": pa.array(np.asarray(sel.indices, dtype=np.int64)),
        "weight": pa.array(np.asarray(sel.weights, dtype=np.float64)),
        "probability": pa.array(np.asarray(sel.probabilities[sel.indices], dtype=np.float64)),
        "is_representative": pa.array(np.isin(sel.indices, sel.representatives)),
    }
    if sel.losses is not None:
        cols["loss"] = pa.array(np.asarray(sel.losses, dtype=np.float64))
    full = dict(meta, representatives=[int(i) for i in sel.representatives])
    table = pa.table(cols).replace_schema_metadata({"coresample": json.dumps(full)})
    pq.write_table(table, path)


def read_parquet_metadata(path: str) -> Dict[str, Any]:
    """The JSON that `write_parquet` stored (parameters, estimate, representatives)."""
    _need_pyarrow("reading parquet")
    import pyarrow.parquet as pq

    raw: Dict[bytes, bytes] = pq.read_schema(path).metadata or {}
    return json.loads(raw[b"coresample"])


def openmp_runtimes() -> List[str]:
    """Paths of the OpenMP runtimes mapped into this process (libgomp, libomp, libiomp5),
    from /proc/self/maps; empty where that file does not exist (not Linux) or none is loaded."""
    found: List[str] = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 6:
                    continue
                lib = parts[-1]
                base = os.path.basename(lib)
                if base.startswith(("libgomp", "libomp", "libiomp")) and lib not in found:
                    found.append(lib)
    except OSError:
        pass
    return found

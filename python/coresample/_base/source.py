"""Rows that are not one C-contiguous float32/float64 array: shards, float16, strided, memmapped.

`select` reads such input in bounded-memory row blocks (docs/OUT_OF_CORE.md). A `RowSource`
hands out the rows the way the core needs them: `rows(start, stop)` as a C-contiguous block in
the compute dtype (a view when the bytes already are that, a converted copy of the block
otherwise) and `take(indices)` for the few rows gathered for the fit and the representatives.
Because the core's reductions run over fixed blocks of `BLOCK` rows (DESIGN.md section 3.2)
and every block handed out here starts at a multiple of `BLOCK`, a blocked pass gives the same
bits as one call on the whole array.
"""
from __future__ import annotations

import os
import tempfile
import warnings
from typing import Any, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from .blocks import BLOCK
from .validation import CopyWarning, check_array_top, check_finite, check_magnitude

# Bytes of compute-dtype rows per block: large enough that per-call overheads vanish (16k rows
# at d = 128), small against any machine's memory (bench/out_of_core.py measures the peak).
BLOCK_BYTES = 8 << 20


PathLike = Union[str, "os.PathLike[str]"]


class Shards:
    """Several 2-D arrays read as one row-wise concatenation, without concatenating them.

    Pass it as `X` to `select` / `select_adaptive` (or a folder to `coresample select` on the
    command line): the rows are read block by block, so the embeddings never need to fit in
    memory, and the result is the same as for ``np.concatenate(arrays)`` (float16 shards as
    their float32 conversion).

    Parameters
    ----------
    parts : folder, sequence of .npy paths, or sequence of arrays
        A folder: its ``*.npy`` files in sorted file-name order. Paths are memory-mapped
        read-only (``np.load(mmap_mode="r")``); arrays (memmaps welcome) are used as given.
        Every part must be 2-D with the same number of columns and a float dtype.

    Examples
    --------
    >>> import numpy as np, coresample
    >>> a = np.random.default_rng(0).normal(size=(600, 8)).astype(np.float32)
    >>> X = coresample.Shards([a[:250], a[250:]])
    >>> X.shape, X.dtype
    ((600, 8), dtype('float32'))
    >>> kw = dict(n_clusters=4, replace=False, random_state=0, max_points_per_center=50)
    >>> s1 = coresample.select(X, 20, **kw)  # a subsample fit: read in blocks, no copy
    >>> s2 = coresample.select(a, 20, **kw)
    >>> bool((s1.indices == s2.indices).all())
    True
    """

    def __init__(self, parts: Union[PathLike, Sequence[Any]]) -> None:
        if isinstance(parts, (str, os.PathLike)):
            folder = os.fspath(parts)
            if not os.path.isdir(folder):
                raise ValueError(f"parts={folder!r} is not a folder (or a list of .npy files)")
            names = sorted(f for f in os.listdir(folder) if f.endswith(".npy"))
            if not names:
                raise ValueError(f"parts={folder!r}: the folder holds no .npy files")
            parts = [os.path.join(folder, f) for f in names]
        if isinstance(parts, np.ndarray) or not isinstance(parts, Sequence):
            raise TypeError(
                f"parts must be a folder or a list of .npy paths or arrays, got {type(parts).__name__}"
            )
        if len(parts) == 0:
            raise ValueError("parts is empty: need at least one shard")
        arrays: List[np.ndarray] = []
        self.names: List[str] = []
        for i, part in enumerate(parts):
            label = os.fspath(part) if isinstance(part, (str, os.PathLike)) else f"parts[{i}]"
            arr = _open_part(part, label)
            if arr.ndim != 2:
                raise ValueError(f"{label}: shards must be 2-D (n_samples, n_features), got {arr.shape}")
            if arr.dtype.kind != "f" or arr.dtype.itemsize > 8:
                raise TypeError(f"{label}: shards must be float16/32/64, got {arr.dtype}")
            if arr.shape[1] == 0:
                raise ValueError(f"{label}: shards need at least one column, got shape {arr.shape}")
            if arrays and arr.shape[1] != arrays[0].shape[1]:
                raise ValueError(
                    f"{label}: {arr.shape[1]} columns, but {self.names[0]} has {arrays[0].shape[1]}"
                )
            arrays.append(arr)
            self.names.append(label)
        self.arrays = arrays
        # offsets[i] = first global row of shard i; offsets[-1] = n.
        self.offsets = np.concatenate([[0], np.cumsum([a.shape[0] for a in arrays])]).astype(np.int64)
        if self.offsets[-1] == 0:
            raise ValueError(f"parts hold no rows (shapes {[a.shape for a in arrays]})")
        self.dtype = np.dtype(np.result_type(*[a.dtype for a in arrays]))

    @property
    def shape(self) -> Tuple[int, int]:
        return int(self.offsets[-1]), int(self.arrays[0].shape[1])

    ndim = 2

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def __repr__(self) -> str:
        return f"Shards({len(self.arrays)} parts, shape={self.shape}, dtype={self.dtype})"


def _open_part(part: Any, label: str) -> np.ndarray:
    if isinstance(part, (str, os.PathLike)):
        try:
            return np.load(os.fspath(part), mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise ValueError(f"{label}: not a readable .npy array ({exc})") from None
    if not isinstance(part, np.ndarray):
        raise TypeError(f"{label}: expected a .npy path or an ndarray, got {type(part).__name__}")
    return part


def compute_dtype(dtype: np.dtype) -> np.dtype:
    """float64 stays float64; float32 and float16 are computed in float32."""
    return np.dtype(np.float64 if dtype == np.float64 else np.float32)


class RowSource:
    """An (n, d) matrix read in row ranges, each returned C-contiguous in the compute dtype.

    parts: the arrays concatenated row-wise (one for a plain array); name: the argument's name
    for messages; file_backed: whether the rows live in files (memmaps), which decides where a
    full materialisation goes (`materialize`).
    """

    def __init__(self, parts: Sequence[np.ndarray], name: str, file_backed: bool) -> None:
        self.parts = list(parts)
        self.name = name
        self.file_backed = file_backed
        self.offsets = np.concatenate([[0], np.cumsum([p.shape[0] for p in self.parts])]).astype(np.int64)
        self.n = int(self.offsets[-1])
        self.d = int(self.parts[0].shape[1])
        self.dtype = compute_dtype(np.result_type(*[p.dtype for p in self.parts]))

    @property
    def shape(self) -> Tuple[int, int]:
        return self.n, self.d

    def block_rows(self) -> int:
        """Rows per block: a multiple of BLOCK near BLOCK_BYTES of compute-dtype rows."""
        per_row = self.d * self.dtype.itemsize
        return max(1, BLOCK_BYTES // (per_row * BLOCK)) * BLOCK

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Rows [start, stop) as a C-contiguous compute-dtype array (a view when possible)."""
        first = int(np.searchsorted(self.offsets, start, side="right")) - 1
        pieces = []
        i = first
        while start < stop:
            lo = start - int(self.offsets[i])
            hi = min(stop, int(self.offsets[i + 1])) - int(self.offsets[i])
            pieces.append(self.parts[i][lo:hi])
            start += hi - lo
            i += 1
        if len(pieces) == 1:
            return np.ascontiguousarray(pieces[0], dtype=self.dtype)
        out = np.empty((sum(p.shape[0] for p in pieces), self.d), dtype=self.dtype)
        at = 0
        for p in pieces:
            out[at : at + p.shape[0]] = p
            at += p.shape[0]
        return out

    def blocks(self) -> Iterator[Tuple[int, np.ndarray]]:
        """(start, rows) over the whole matrix; every start is a multiple of BLOCK."""
        step = self.block_rows()
        for start in range(0, self.n, step):
            yield start, self.rows(start, min(self.n, start + step))

    def take(self, indices: np.ndarray) -> np.ndarray:
        """Rows `indices` (in that order) as a C-contiguous compute-dtype array."""
        indices = np.asarray(indices, dtype=np.int64)
        out = np.empty((indices.shape[0], self.d), dtype=self.dtype)
        part = np.searchsorted(self.offsets, indices, side="right") - 1
        for i in np.unique(part):
            where = np.flatnonzero(part == i)
            out[where] = self.parts[i][indices[where] - self.offsets[i]]
        return out

    def materialize(self, check: Any) -> np.ndarray:
        """All rows as one C-contiguous compute-dtype array, for the steps that need them at once.

        File-backed rows go to an unlinked temporary file in TMPDIR (`tempfile.gettempdir()`),
        written block by block and memory-mapped: memory stays bounded, the disk holds one
        compute-dtype copy until the array is released. In-memory rows are copied in memory.
        Either way with a CopyWarning; `check(block, start)` sees every block on the way.
        """
        nbytes = self.n * self.d * self.dtype.itemsize
        if not self.file_backed:
            warnings.warn(
                f"{self.name} is {self._what()}: copied to a C-contiguous {self.dtype} array "
                f"({nbytes / 2**20:.1f} MiB)", CopyWarning, stacklevel=5,
            )
            out = np.empty((self.n, self.d), dtype=self.dtype)
            for start, block in self.blocks():
                check(block, start)
                out[start : start + block.shape[0]] = block
            return out
        warnings.warn(
            f"{self.name} is {self._what()} and a full-data fit needs all its rows at once: "
            f"copied block by block into a temporary {self.dtype} file ({nbytes / 2**20:.1f} MiB "
            f"in {tempfile.gettempdir()}; set TMPDIR to choose the disk)", CopyWarning,
            stacklevel=5,
        )
        with tempfile.TemporaryFile(prefix="coresample-") as fh:  # unlinked at once on POSIX
            fh.truncate(nbytes)
            out = np.memmap(fh, dtype=self.dtype, mode="r+", shape=(self.n, self.d))
            for start, block in self.blocks():
                check(block, start)
                out[start : start + block.shape[0]] = block
            out.flush()
        return out

    def _what(self) -> str:
        if len(self.parts) > 1:
            return f"{len(self.parts)} shards"
        p = self.parts[0]
        if p.dtype == np.float16:
            return "float16"
        return "not C-contiguous" if not p.flags.c_contiguous else f"{p.dtype}"


def check_rows(block: np.ndarray, source: "RowSource", start: int) -> float:
    """check_array's value checks for rows read from a RowSource: NaN/inf (naming the global
    row) and magnitudes whose squared distances would overflow. Returns the block's max |value|
    (callers that read every row combine these into the top check_cost_scale needs)."""
    top = check_finite(block, source.name, first_row=start)
    check_magnitude(top, block.dtype, source.n, source.d, source.name)
    return top


def take_rows(X: Any, rows: np.ndarray) -> np.ndarray:
    """X[rows] for an array or a RowSource (whose rows are checked here: a source is not
    scanned for NaN/inf up front)."""
    if not isinstance(X, RowSource):
        return X[rows]
    out = X.take(rows)
    try:
        check_rows(out, X, 0)
    except ValueError as exc:  # name the global row: the gathered rows are not consecutive
        finite = np.isfinite(out).all(axis=1)
        if finite.all():
            raise
        raise ValueError(
            f"{X.name} contains NaN or inf (first at row {int(rows[np.argmin(finite)])})"
        ) from exc
    return out


def as_source(X: Any, name: str = "X") -> Optional[RowSource]:
    """A RowSource for Shards, float16 arrays and non-C-contiguous float arrays; None for
    anything else (which `check_array` then handles: C-contiguous float32/float64 arrays,
    memmaps included, go to the core without a copy)."""
    if isinstance(X, RowSource):
        return X
    if isinstance(X, Shards):
        return RowSource(X.arrays, name, file_backed=any(isinstance(a, np.memmap) for a in X.arrays))
    if (
        isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind == "f" and X.dtype.itemsize <= 8
        and X.shape[0] > 0 and X.shape[1] > 0
        and (X.dtype == np.float16 or not X.flags.c_contiguous)
    ):
        return RowSource([X], name, file_backed=isinstance(X, np.memmap))
    return None


def check_input(X: Any, name: str = "X") -> Tuple[Any, Optional[float]]:
    """X for select and its max |value|: a C-contiguous float32/float64 array (memmaps used in
    place), or a RowSource for Shards, float16 and strided arrays, which are read in row blocks
    (its magnitude is checked block by block; None here)."""
    source = as_source(X, name)
    return check_array_top(X, name) if source is None else (source, None)

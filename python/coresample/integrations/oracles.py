"""Loss oracles: a model's per-example loss as the ``loss_fn`` of `coresample.select`.

Importing `coresample` never imports torch; this module does, so import it explicitly::

    from coresample.integrations.oracles import hf_causal_lm_loss

    loss_fn = hf_causal_lm_loss(model, tokenizer, texts)      # texts[i] is row i of X
    sel = coresample.select(X, 1000, n_clusters=100, loss_fn=loss_fn, random_state=0)
    loss_fn.n_queries                                          # rows the model evaluated

Each factory returns a `LossOracle`: ``loss_fn(indices) -> float64 ndarray`` with one loss per
index, in the order asked. It evaluates each distinct index once per call, in batches, under
``torch.inference_mode()``. The model is put in eval mode and moved to the device once, when the
oracle is built, and left there (nothing is restored: call ``model.train()`` yourself to go on
training). The tokenizer's pad token (its eos token when it has none) and right padding are set
only for the duration of each tokenizer call.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ImportError(
        "coresample.integrations.oracles needs PyTorch, which is an optional dependency of "
        "coresample: pip install torch"
    ) from exc

from .._base.validation import check_int
from ..embed import check_texts, padding_tokenizer, torch_device

__all__ = ["LossOracle", "hf_causal_lm_loss", "hf_classifier_loss", "torch_module_loss"]


def _check_indices(indices: Any, n_samples: int) -> np.ndarray:
    idx = np.asarray(indices)
    if idx.ndim != 1:
        raise ValueError(f"indices must be 1-D, got shape {idx.shape}")
    if idx.size == 0:
        return idx.astype(np.int64)
    if idx.dtype == bool or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"indices must be integers, got dtype {idx.dtype}")
    idx = idx.astype(np.int64, copy=False)
    lo, hi = int(idx.min()), int(idx.max())
    if lo < 0 or hi >= n_samples:
        bad = lo if lo < 0 else hi
        raise IndexError(f"indices holds {bad}, out of range for {n_samples} rows [0, {n_samples})")
    return idx


class LossOracle:
    """``loss_fn(indices) -> float64 ndarray``: per-row losses, each distinct row evaluated once
    per call, in batches of `batch_size`.

    Attributes
    ----------
    n_samples : int
        Rows the oracle knows (valid indices are 0..n_samples-1).
    n_queries : int
        Rows evaluated so far (distinct rows per call, summed over calls).
    n_calls : int
        Calls so far (calls with no indices included; they evaluate nothing).
    batch_size : int
    device : torch.device
    """

    def __init__(self, evaluate: Callable[[np.ndarray], np.ndarray], n_samples: int,
                 batch_size: int, device: torch.device, name: str) -> None:
        self._evaluate = evaluate
        self.n_samples = int(n_samples)
        self.batch_size = batch_size
        self.device = device
        self.name = name
        self.n_queries = 0
        self.n_calls = 0

    def __call__(self, indices: Any) -> np.ndarray:
        idx = _check_indices(indices, self.n_samples)
        self.n_calls += 1
        if idx.size == 0:
            return np.empty(0, dtype=np.float64)
        rows, inverse = np.unique(idx, return_inverse=True)
        values = np.empty(rows.shape[0], dtype=np.float64)
        with torch.inference_mode():
            for lo in range(0, rows.shape[0], self.batch_size):
                batch = rows[lo:lo + self.batch_size]
                values[lo:lo + batch.shape[0]] = self._evaluate(batch)
        self.n_queries += int(rows.shape[0])
        return values[inverse.reshape(-1)]

    def __repr__(self) -> str:
        return (f"<LossOracle {self.name}: n_samples={self.n_samples}, n_queries={self.n_queries}, "
                f"n_calls={self.n_calls}, device={self.device}>")


def _prepare(model: Any, device: Any, name: str) -> torch.device:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(model).__name__}")
    dev = torch_device(device)
    model.to(dev)
    model.eval()
    return dev


def _logits(out: Any) -> torch.Tensor:
    return out.logits if hasattr(out, "logits") else out[0]


def hf_causal_lm_loss(
    model: Any,
    tokenizer: Any,
    texts: Any,
    *,
    batch_size: int = 8,
    max_length: int = 256,
    device: Any = None,
) -> LossOracle:
    """Per-text mean token cross-entropy of a causal language model, as a `select` loss_fn.

    Parameters
    ----------
    model : transformers causal LM (AutoModelForCausalLM-like: ``model(input_ids=,
        attention_mask=).logits`` of shape (batch, length, vocab))
        Put in eval mode and moved to `device` once, here.
    tokenizer : transformers tokenizer
        Pads with its pad token, or its eos token when it has none (set only during the call).
    texts : sequence of str
        Row i's text is ``texts[i]``.
    batch_size : int, default=8
        Texts per forward pass; the result does not depend on it (right padding, masked loss).
    max_length : int, default=256
        Texts are truncated to this many tokens.
    device : None, str or torch.device, default=None
        None: "cuda" when available, else "cpu".

    Returns
    -------
    loss_fn : LossOracle
        ``loss_fn(indices)[j]`` is the mean over positions t >= 1 of ``-log p(token_t |
        tokens_<t)`` of ``texts[indices[j]]``, padding excluded (the logits of position t - 1
        predict token t; the first token is never predicted). Computed in float32 or wider.

    Raises
    ------
    TypeError, ValueError
        Bad texts, batch_size, max_length; at call time, a text with fewer than 2 tokens (no
        token is predicted, so its loss is undefined), naming it.

    Examples
    --------
    >>> import torch, transformers
    >>> from tokenizers import Tokenizer, models, pre_tokenizers
    >>> from coresample.integrations.oracles import hf_causal_lm_loss
    >>> vocab = {w: i for i, w in enumerate("<eos> the cat sat on mat".split())}
    >>> tk = Tokenizer(models.WordLevel(vocab, unk_token="<eos>"))
    >>> tk.pre_tokenizer = pre_tokenizers.Whitespace()
    >>> tok = transformers.PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="<eos>")
    >>> _ = torch.manual_seed(0)
    >>> lm = transformers.GPT2LMHeadModel(transformers.GPT2Config(
    ...     vocab_size=6, n_positions=16, n_embd=8, n_layer=1, n_head=2, bos_token_id=0,
    ...     eos_token_id=0))
    >>> loss_fn = hf_causal_lm_loss(lm, tok, ["the cat sat", "the mat", "cat sat on the mat"],
    ...                             device="cpu")
    >>> loss_fn([2, 0, 2]).shape, loss_fn.n_queries
    ((3,), 2)
    """
    texts = check_texts(texts)
    batch_size = check_int(batch_size, "batch_size", 1)
    max_length = check_int(max_length, "max_length", 2)
    dev = _prepare(model, device, "model")

    def evaluate(rows: np.ndarray) -> np.ndarray:
        batch: List[str] = [texts[i] for i in rows]
        with padding_tokenizer(tokenizer):
            enc = tokenizer(batch, padding=True, truncation=True, max_length=max_length,
                            return_tensors="pt")
        ids = enc["input_ids"].to(dev)
        mask = enc["attention_mask"].to(dev)
        logits = _logits(model(input_ids=ids, attention_mask=mask))
        # Position t's logits predict token t + 1; right padding keeps every real token's
        # prediction inside the real prefix, and the shifted mask drops the pads.
        logits = logits[:, :-1].float() if logits.dtype in (torch.float16, torch.bfloat16) \
            else logits[:, :-1]
        labels = ids[:, 1:]
        keep = mask[:, 1:].to(logits.dtype)
        ce = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")
        counts = keep.sum(dim=1)
        if bool((counts == 0).any()):
            bad = int(rows[int(torch.nonzero(counts == 0)[0, 0])])
            raise ValueError(
                f"texts[{bad}]={texts[bad]!r} has fewer than 2 tokens: no token is predicted, so "
                "its causal LM loss is undefined (drop it, or use a tokenizer that adds a BOS token)"
            )
        return ((ce * keep).sum(dim=1) / counts).double().cpu().numpy()

    return LossOracle(evaluate, len(texts), batch_size, dev, "hf_causal_lm_loss")


def hf_classifier_loss(
    model: Any,
    tokenizer: Any,
    texts: Any,
    labels: Any,
    *,
    batch_size: int = 32,
    max_length: int = 128,
    device: Any = None,
) -> LossOracle:
    """Per-text cross-entropy of a sequence classifier, as a `select` loss_fn.

    Parameters
    ----------
    model : transformers sequence classifier (AutoModelForSequenceClassification-like:
        ``model(**tokenizer(...)).logits`` of shape (batch, n_classes))
        Put in eval mode and moved to `device` once, here.
    tokenizer : transformers tokenizer
    texts : sequence of str
        Row i's text.
    labels : array-like of int of shape (n_texts,)
        Row i's class, in [0, n_classes).
    batch_size : int, default=32
    max_length : int, default=128
        Texts are truncated to this many tokens.
    device : None, str or torch.device, default=None
        None: "cuda" when available, else "cpu".

    Returns
    -------
    loss_fn : LossOracle
        ``loss_fn(indices)[j] = -log softmax(logits)[labels[i]]`` for ``i = indices[j]``,
        computed in float32 or wider.

    Raises
    ------
    TypeError, ValueError
        Bad texts, labels (not integers, negative, wrong length), batch_size, max_length; at call
        time, a label >= the model's number of classes.
    """
    texts = check_texts(texts)
    y = np.asarray(labels)
    if y.ndim != 1 or y.shape[0] != len(texts):
        raise ValueError(
            f"labels must have shape (len(texts),) = ({len(texts)},), got {y.shape}"
        )
    if y.dtype == bool or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"labels must be integers (class indices), got dtype {y.dtype}")
    if int(y.min()) < 0:
        raise ValueError(f"labels must be >= 0, got {int(y.min())}")
    y = y.astype(np.int64)
    batch_size = check_int(batch_size, "batch_size", 1)
    max_length = check_int(max_length, "max_length", 1)
    dev = _prepare(model, device, "model")

    def evaluate(rows: np.ndarray) -> np.ndarray:
        with padding_tokenizer(tokenizer):
            enc = tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                            max_length=max_length, return_tensors="pt")
        enc = {k: v.to(dev) for k, v in enc.items()}
        logits = _logits(model(**enc))
        target = torch.from_numpy(y[rows]).to(dev)
        n_classes = logits.shape[-1]
        if int(target.max()) >= n_classes:
            bad = int(rows[int(torch.argmax(target))])
            raise ValueError(f"labels[{bad}]={int(y[bad])} must be < the model's {n_classes} classes")
        ce = F.cross_entropy(logits.float(), target, reduction="none")
        return ce.double().cpu().numpy()

    return LossOracle(evaluate, len(texts), batch_size, dev, "hf_classifier_loss")


def _as_tensor(value: Any, name: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        t = value
    elif isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError(f"{name} must be a numeric ndarray or tensor, got dtype object")
        t = torch.from_numpy(np.ascontiguousarray(value))
    else:
        raise TypeError(f"{name} must be a torch.Tensor or a numpy ndarray, got {type(value).__name__}")
    if t.ndim == 0 or t.shape[0] == 0:
        raise ValueError(f"{name} must have at least one row, got shape {tuple(t.shape)}")
    return t


def torch_module_loss(
    module: Any,
    inputs: Any,
    targets: Any,
    *,
    loss: Optional[Callable[[Any, Any], Any]] = None,
    batch_size: int = 256,
    device: Any = None,
) -> LossOracle:
    """Per-row loss of any torch module on row-indexed tensors, as a `select` loss_fn.

    Parameters
    ----------
    module : torch.nn.Module
        Called as ``module(inputs[rows])``; put in eval mode and moved to `device` once, here.
    inputs : torch.Tensor or ndarray of shape (n_samples, ...)
        Rows stay where they are (an ndarray is wrapped without a copy) and each batch is moved
        to the device. Floating rows are cast, per batch, to the dtype of the module's first
        floating parameter (a float64 array against a float32 model would otherwise fail).
    targets : torch.Tensor or ndarray of shape (n_samples, ...)
        Row i's target. With the default loss, integer targets are cast to int64 (class indices).
    loss : callable, default=None
        ``loss(outputs, targets) -> tensor of shape (batch,)`` (or (batch, ...), averaged over the
        trailing dimensions), one loss per row: e.g. ``torch.nn.MSELoss(reduction="none")``.
        Default: ``torch.nn.functional.cross_entropy(outputs, targets, reduction="none")``. A loss
        that reduces the batch to a scalar is refused with a ValueError.
    batch_size : int, default=256
    device : None, str or torch.device, default=None
        None: "cuda" when available, else "cpu".

    Returns
    -------
    loss_fn : LossOracle

    Raises
    ------
    TypeError, ValueError
        Bad module, inputs, targets (different numbers of rows), loss, batch_size; at call time,
        a loss that returns a scalar (``reduction="mean"``/``"sum"``) or the wrong number of
        values.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from coresample.integrations.oracles import torch_module_loss
    >>> X = np.random.default_rng(0).normal(size=(100, 4)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> loss_fn = torch_module_loss(torch.nn.Linear(4, 2), X, y, device="cpu")
    >>> loss_fn(np.array([5, 1, 5])).shape, loss_fn.n_queries, loss_fn.n_calls
    ((3,), 2, 1)
    """
    x = _as_tensor(inputs, "inputs")
    t = _as_tensor(targets, "targets")
    if x.shape[0] != t.shape[0]:
        raise ValueError(
            f"inputs has {x.shape[0]} rows but targets has {t.shape[0]}: one target per row"
        )
    if loss is not None and not callable(loss):
        raise TypeError(f"loss must be callable or None, got {type(loss).__name__}")
    batch_size = check_int(batch_size, "batch_size", 1)
    dev = _prepare(module, device, "module")
    float_dtype = next((p.dtype for p in module.parameters() if p.is_floating_point()), None)
    def per_row_ce(outputs: Any, target: Any) -> Any:
        return F.cross_entropy(outputs, target, reduction="none")

    default = loss is None
    loss_fn = loss if loss is not None else per_row_ce

    def evaluate(rows: np.ndarray) -> np.ndarray:
        sel = torch.from_numpy(rows)
        xb = x[sel.to(x.device)].to(dev)
        if float_dtype is not None and xb.is_floating_point() and xb.dtype != float_dtype:
            xb = xb.to(float_dtype)
        tb = t[sel.to(t.device)].to(dev)
        if default and not tb.is_floating_point() and tb.dtype != torch.int64:
            tb = tb.to(torch.int64)
        out = module(xb)
        values = torch.as_tensor(loss_fn(out, tb))
        if values.ndim == 0:
            raise ValueError(
                "loss returned a scalar for a batch of rows: it must return one loss per row; "
                "pass a loss with reduction='none' (e.g. torch.nn.CrossEntropyLoss(reduction='none'))"
            )
        if values.shape[0] != rows.shape[0]:
            raise ValueError(
                f"loss returned shape {tuple(values.shape)} for a batch of {rows.shape[0]} rows; "
                "it must return one loss per row (reduction='none')"
            )
        if values.ndim > 1:
            values = values.reshape(values.shape[0], -1).mean(dim=1)
        return values.double().cpu().numpy()

    return LossOracle(evaluate, int(x.shape[0]), batch_size, dev, "torch_module_loss")

"""PyTorch adapters: a weighted, resumable, distributed `Sampler` and a dataset wrapper.

Importing `coresample` never imports torch; this module does, so import it explicitly::

    from coresample.integrations.torch import SelectionSampler, WeightedDataset

`SelectionSampler` yields the rows of a `Selection` (a fixed subset) or redraws a fresh
sensitivity sample from probabilities every epoch with `coresample.sample` (no 2**24 category
limit, unlike `torch.multinomial`). `WeightedDataset` gives the training loop each row's estimator
weight next to the item, so the weighted loss ``sum(w * loss) / sum(w)`` estimates the full-data
mean loss (examples/torch_weighted_loss.py).

Seeds. Epoch e's draw uses ``coresample.sample(p, num_samples, replace=replace,
random_state=derive_seed(seed, EPOCH_SAMPLE, e))`` and, with ``shuffle=True``, its order is
permuted by the ascending exponential keys of ``coresample.sample(ones(m), m, replace=False,
random_state=derive_seed(seed, EPOCH_SHUFFLE, e))``. Both come from the counter-based stream
(docs/ARCHITECTURE.md section 2), so (seed, epoch) fixes the rows, their order and their weights
on any machine, thread count and NumPy version, and a resumed run sees exactly the same batches.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, Optional, Tuple, Union

import numpy as np

try:
    import torch
    from torch.utils.data import Dataset, Sampler
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ImportError(
        "coresample.integrations.torch needs PyTorch, which is an optional dependency of coresample: "
        "pip install torch"
    ) from exc

from .._base.random import EPOCH_SAMPLE, EPOCH_SHUFFLE, derive_seed, seed_from_random_state
from .._base.results import Selection
from .._base.validation import as_probability_vector, check_int, check_probability_values
from ..core.sampling import sample

__all__ = ["SelectionSampler", "WeightedDataset", "EPOCH_SAMPLE", "EPOCH_SHUFFLE"]

# The seed of epoch e's draw is derive_seed(seed, EPOCH_SAMPLE, e) and the seed of its shuffle
# derive_seed(seed, EPOCH_SHUFFLE, e) (streams 7 and 8 of coresample/_base/random.py's table).


def _distributed_default(num_replicas: Optional[int], rank: Optional[int]) -> Tuple[int, int]:
    """(num_replicas, rank), from torch.distributed when it is initialised, else (1, 0)."""
    initialised = torch.distributed.is_available() and torch.distributed.is_initialized()
    if num_replicas is None:
        num_replicas = torch.distributed.get_world_size() if initialised else 1
    if rank is None:
        rank = torch.distributed.get_rank() if initialised else 0
    num_replicas = check_int(num_replicas, "num_replicas", 1)
    rank = check_int(rank, "rank", 0)
    if rank >= num_replicas:
        raise ValueError(f"rank={rank} must be < num_replicas={num_replicas}")
    return num_replicas, rank


class SelectionSampler(Sampler):
    """A `torch.utils.data.Sampler` over a weighted sample, redrawn per epoch, sharded by rank.

    Parameters
    ----------
    source : Selection or array-like of shape (n_samples,)
        A `Selection` (from `coresample.select` or a baseline), or sampling masses p (for example
        ``Selection.probabilities``; non-negative with a positive sum, normalised internally).
        A C-contiguous float64 array is kept by reference (not copied; do not change it while
        the sampler is in use); other arrays and lists are converted once.
    num_samples : int, default=None
        Rows per epoch over all ranks (m). Required for p; for a Selection it defaults to
        ``len(selection.indices)``, and with ``resample=False`` it must equal that.
    replace : bool, default=None
        Draw with replacement (i.i.d., rows may repeat) or distinct rows. Defaults to
        ``selection.replace`` for a Selection and True for p.
    resample : bool, default=None
        Redraw every epoch (True) or keep one draw. Defaults to False for a Selection (its own
        indices and weights every epoch) and True for p (with False, p is drawn once, as epoch 0).
        A Selection with ``resample=True`` redraws from ``selection.probabilities`` and multiplies
        the weights by ``selection.sample_weight`` (when set), so they estimate the same total.
    seed : None, int or numpy Generator, default=0
        One seed for all epochs, turned into a uint64 once (None draws fresh entropy, which every
        rank must then agree on: pass an int in distributed runs).
    num_replicas, rank : int, default=None
        Shard the epoch's draw over ``num_replicas`` ranks; ``rank`` takes positions
        ``rank, rank + num_replicas, ...`` of the (shuffled) draw, so ranks are disjoint and
        together see the whole draw. Default: torch.distributed's world size and rank when it is
        initialised, else 1 and 0.
    drop_last : bool, default=False
        When m is not a multiple of num_replicas: False pads the draw by repeating its first
        positions (as `DistributedSampler` does) and gives the padding weight 0, so the sum of
        ``w * loss`` over all ranks is exactly the estimator of the draw; True drops the last
        ``m % num_replicas`` positions and scales every weight by ``m / m_kept``. Scaling is exact
        (the estimator stays unbiased) when the dropped positions are a uniformly random part of
        the draw: ``shuffle=True``, or ``replace=True`` (draws are i.i.d. in order); with
        ``replace=False, shuffle=False`` the dropped rows are the ones of largest key, and the
        scaled weights are an approximation.
    shuffle : bool, default=True
        Permute the epoch's draw (seeded by (seed, epoch)). With replacement the draw order is
        already i.i.d.; without it rows come in key order (high-probability rows first), which
        would make batches unrepresentative, hence the default.
    yield_weights : bool, default=False
        Yield ``(index, weight)`` pairs instead of indices. A `WeightedDataset` accepts the pairs,
        which is the exact way to carry weights to DataLoader workers (padding keeps weight 0 and
        persistent workers never hold a stale epoch); see `WeightedDataset`.

    Attributes
    ----------
    indices, weights : ndarray of shape (len(self),)
        This rank's rows and weights for the current epoch, in the order they are yielded
        (computed on first use and cached per epoch).
    epoch : int
        The current epoch; changed only by `set_epoch` (call it before every epoch, as with
        `DistributedSampler`, or every epoch sees the same draw).

    Notes
    -----
    Resume granularity: one sample. `state_dict()` records (seed, epoch, position) where
    position is the number of this rank's samples already used in the epoch; after
    `load_state_dict` the next iteration starts at that position of the same draw, then later
    epochs start at 0. By default position counts what this sampler has yielded; a DataLoader
    prefetches ahead of the training loop (about ``prefetch_factor * num_workers`` batches), so
    pass the count the loop consumed, ``state_dict(position=batches_done * batch_size)``.

    Examples
    --------
    >>> import numpy as np
    >>> from coresample.integrations.torch import SelectionSampler
    >>> p = np.r_[np.ones(8), 10.0 * np.ones(8)]
    >>> sampler = SelectionSampler(p, 6, seed=0)
    >>> sampler.set_epoch(3)
    >>> rows = list(sampler)
    >>> len(rows), sampler.weights.shape
    (6, (6,))
    >>> again = SelectionSampler(p, 6, seed=0)
    >>> again.load_state_dict(sampler.state_dict(position=2))
    >>> list(again) == rows[2:]
    True
    """

    def __init__(
        self,
        source: Union[Selection, Any],
        num_samples: Optional[int] = None,
        *,
        replace: Optional[bool] = None,
        resample: Optional[bool] = None,
        seed: Any = 0,
        num_replicas: Optional[int] = None,
        rank: Optional[int] = None,
        drop_last: bool = False,
        shuffle: bool = True,
        yield_weights: bool = False,
    ) -> None:
        self._selection: Optional[Selection] = None
        self._sample_weight: Optional[np.ndarray] = None
        if isinstance(source, Selection):
            n_selected = int(source.indices.shape[0])
            self._selection = source
            self.resample = False if resample is None else bool(resample)
            self.replace = bool(source.replace) if replace is None else bool(replace)
            if num_samples is None:
                num_samples = n_selected
            num_samples = check_int(num_samples, "num_samples", 1)
            if not self.resample:
                if num_samples != n_selected:
                    raise ValueError(
                        f"num_samples={num_samples} must equal the selection's "
                        f"{n_selected} rows when resample=False"
                    )
                if replace is not None and bool(replace) != bool(source.replace):
                    raise ValueError(
                        f"replace={replace} differs from the selection's replace={source.replace}; "
                        "it applies only with resample=True"
                    )
            self._p = np.asarray(source.probabilities, dtype=np.float64)
            self._sample_weight = source.sample_weight
        else:
            self._p = as_probability_vector(source)
            check_probability_values(self._p)
            if num_samples is None:
                raise TypeError("num_samples is required when source is a probability vector")
            num_samples = check_int(num_samples, "num_samples", 1)
            self.resample = True if resample is None else bool(resample)
            self.replace = True if replace is None else bool(replace)
        self.num_samples = num_samples
        self.seed = seed_from_random_state(seed)
        self.num_replicas, self.rank = _distributed_default(num_replicas, rank)
        self.drop_last = bool(drop_last)
        self.shuffle = bool(shuffle)
        self.yield_weights = bool(yield_weights)
        self.epoch = 0
        self._start = 0  # position to resume from in the current epoch (load_state_dict)
        self._position = 0  # samples yielded so far in the current epoch
        self._cache: Optional[Tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = None
        if self.drop_last and num_samples < self.num_replicas:
            raise ValueError(
                f"num_samples={num_samples} must be >= num_replicas={self.num_replicas} "
                "with drop_last=True"
            )

    # -- sizes ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        """Samples this rank yields per epoch: floor (drop_last) or ceil of m / num_replicas."""
        m, r = self.num_samples, self.num_replicas
        return m // r if self.drop_last else -(-m // r)

    @property
    def n_samples(self) -> int:
        """Rows of the dataset (length of p)."""
        return int(self._p.shape[0])

    # -- the epoch's draw ----------------------------------------------------------------------
    def draw(self, epoch: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
        """The whole epoch's draw over all ranks, ``(indices, weights)`` of length num_samples.

        Exactly ``coresample.sample(p, num_samples, replace=replace,
        random_state=derive_seed(seed, EPOCH_SAMPLE, epoch))`` (epoch 0 when resample=False),
        or the selection's own indices and weights; before shuffling, padding and sharding.
        """
        epoch = self.epoch if epoch is None else check_int(epoch, "epoch", 0)
        if self._selection is not None and not self.resample:
            return self._selection.indices, self._selection.weights
        draw_epoch = epoch if self.resample else 0
        indices, weights = sample(
            self._p, self.num_samples, replace=self.replace,
            random_state=derive_seed(self.seed, EPOCH_SAMPLE, draw_epoch),
        )
        if self._sample_weight is not None:
            weights = weights * self._sample_weight[indices]
        return indices, weights

    def _epoch_arrays(self) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(this rank's indices, weights, the sorted draw, its weights) for self.epoch, cached."""
        if self._cache is not None and self._cache[0] == self.epoch:
            return self._cache[1:]
        indices, weights = self.draw()
        m = self.num_samples
        order = np.arange(m, dtype=np.int64)
        if self.shuffle:
            # Ascending i.i.d. exponential keys: a uniform permutation from the counter stream.
            order, _ = sample(
                np.ones(m), m, replace=False,
                random_state=derive_seed(self.seed, EPOCH_SHUFFLE, self.epoch),
            )
        weights = weights.astype(np.float64, copy=True)
        r = self.num_replicas
        if self.drop_last:
            kept = (m // r) * r
            order = order[:kept]
            weights *= m / kept
            pad = 0
        else:
            pad = -(-m // r) * r - m
            order = np.concatenate([order, np.resize(order, pad)]) if pad else order
        ordered_w = weights[order]
        if pad:
            ordered_w[m:] = 0.0  # padding repeats rows but adds nothing to the estimator
        mine = slice(self.rank, None, r)
        rank_indices = np.ascontiguousarray(indices[order][mine])
        rank_weights = np.ascontiguousarray(ordered_w[mine])
        # Lookup table for weight_of: the draw's distinct rows (sorted) and their weights.
        sorted_rows, first = np.unique(indices, return_index=True)
        sorted_w = weights[first]
        self._cache = (self.epoch, rank_indices, rank_weights, sorted_rows, sorted_w)
        return self._cache[1:]

    @property
    def indices(self) -> np.ndarray:
        return self._epoch_arrays()[0]

    @property
    def weights(self) -> np.ndarray:
        return self._epoch_arrays()[1]

    def weight_of(self, index: int) -> float:
        """The estimator weight of dataset row `index` in the current epoch's draw.

        A row drawn several times (replace=True) has the same weight each time, 1 / (m p_e) (times
        m / m_kept with drop_last). Padding positions are not distinguished here (the row's own
        weight is returned; the pairs of ``yield_weights=True`` carry 0). Raises KeyError for a
        row not in the draw.
        """
        rows, w = self._epoch_arrays()[2:]
        i = int(np.searchsorted(rows, index))
        if i == rows.shape[0] or rows[i] != index:
            raise KeyError(f"row {index} is not in epoch {self.epoch}'s draw")
        return float(w[i])

    # -- iteration and state -------------------------------------------------------------------
    def __iter__(self) -> Iterator[Any]:
        indices, weights = self._epoch_arrays()[:2]
        start, self._start = self._start, 0
        self._position = start
        for i in range(start, indices.shape[0]):
            self._position = i + 1
            if self.yield_weights:
                yield int(indices[i]), float(weights[i])
            else:
                yield int(indices[i])

    def set_epoch(self, epoch: int) -> None:
        """Select epoch `epoch`'s draw (and shuffle); the next iteration starts at its beginning."""
        self.epoch = check_int(epoch, "epoch", 0)
        self._start = 0
        self._position = 0

    def state_dict(self, position: Optional[int] = None) -> Dict[str, Any]:
        """What a resumed run needs: seed, epoch and the position reached in the epoch.

        position : int, default=None
            Samples of this rank already used in the epoch; default: the number this sampler has
            yielded (or the position loaded and not yet iterated). Pass the number the training
            loop consumed when a DataLoader prefetches.
        """
        if position is None:
            position = self._start if self._start else self._position
        position = check_int(position, "position", 0)
        if position > len(self):
            raise ValueError(f"position={position} must be <= len(sampler)={len(self)}")
        return {
            "seed": self.seed, "epoch": self.epoch, "position": position,
            "num_samples": self.num_samples, "replace": self.replace, "resample": self.resample,
            "shuffle": self.shuffle, "drop_last": self.drop_last,
            "num_replicas": self.num_replicas, "n_samples": self.n_samples,
        }

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        """Restore seed, epoch and position; the next iteration resumes the saved epoch exactly.

        The draw's settings (num_samples, replace, resample, shuffle, drop_last, num_replicas and
        the number of rows) must match the saved ones, since they change which rows the saved
        position refers to; a mismatch raises ValueError.
        """
        for key in ("num_samples", "replace", "resample", "shuffle", "drop_last",
                    "num_replicas", "n_samples"):
            if key in state and state[key] != getattr(self, key):
                raise ValueError(
                    f"state_dict has {key}={state[key]!r} but this sampler has "
                    f"{key}={getattr(self, key)!r}"
                )
        self.seed = seed_from_random_state(int(state["seed"]))
        self.set_epoch(int(state["epoch"]))
        position = check_int(state.get("position", 0), "position", 0)
        if position > len(self):
            raise ValueError(f"position={position} must be <= len(sampler)={len(self)}")
        self._start = self._position = position
        self._cache = None


class WeightedDataset(Dataset):
    """Wrap a map-style dataset so that each item comes with its estimator weight: (item, weight).

    Parameters
    ----------
    dataset : torch Dataset or any object with __getitem__ (and __len__)
    weights : SelectionSampler, callable (index -> weight) or None, default=None
        How to find the weight of an integer index: a sampler's `weight_of` (current epoch), a
        callable, or None when the sampler yields ``(index, weight)`` pairs
        (``yield_weights=True``), which this dataset accepts as indices.

    Notes
    -----
    Pairs are the robust choice with DataLoader workers: the weight travels with the index from
    the sampler (in the main process) to the worker. A lookup is pickled to the workers with the
    dataset (the whole sampler, p included, under spawn) and recomputes the draw there from
    (seed, epoch), which is right as long as each DataLoader iteration starts new workers; with
    ``persistent_workers=True`` the workers keep the epoch they started with, so use pairs.
    Weights come back as Python floats; the default collate makes a float64 tensor of them.
    """

    def __init__(
        self,
        dataset: Any,
        weights: Union[SelectionSampler, Callable[[int], float], None] = None,
    ) -> None:
        self.dataset = dataset
        if isinstance(weights, SelectionSampler):
            weights = weights.weight_of
        if weights is not None and not callable(weights):
            raise TypeError(
                "weights must be a SelectionSampler, a callable or None, "
                f"got {type(weights).__name__}"
            )
        self.weights = weights

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: Any) -> Tuple[Any, float]:
        if isinstance(index, tuple):
            row, weight = index
            return self.dataset[row], float(weight)
        if self.weights is None:
            raise TypeError(
                "WeightedDataset without a weight lookup needs (index, weight) pairs: build the "
                "sampler with yield_weights=True, or pass weights=sampler"
            )
        return self.dataset[index], float(self.weights(index))

"""random_state (None | int | numpy Generator | RandomState) -> one uint64 seed.

All randomness in coresample comes from the counter-based stream of docs/ARCHITECTURE.md section 2,
keyed by this seed; no global state is read or written.
"""
from __future__ import annotations

import numbers
from typing import Any, Union

import numpy as np

RandomState = Union[None, int, np.integer, np.random.Generator, np.random.RandomState]

# Purposes of the shared random stream (docs/ARCHITECTURE.md, section 2).
SEEDING = 1
SUBSAMPLE = 2
SAMPLE_WITH_REPLACEMENT = 3
SAMPLE_WITHOUT_REPLACEMENT = 4
KMEANS_PARALLEL = 5
ADAPTIVE_ROUNDS = 6  # select_adaptive: the seed of round r is derive_seed(seed, ADAPTIVE_ROUNDS, r)
# Not a purpose of the counter stream: regression sketches draw from NumPy's PCG64 keyed by
# SeedSequence([seed, SKETCH]) (coresample/regression.py says why); separate generators, no overlap.
SKETCH = 6
EPOCH_SAMPLE = 7  # integrations.torch: epoch e's draw uses derive_seed(seed, EPOCH_SAMPLE, e)
EPOCH_SHUFFLE = 8  # ... and its order derive_seed(seed, EPOCH_SHUFFLE, e)
STRATIFIED = 9  # the stratified design: row e's key (order within its stratum, without replacement)
STRATIFIED_DRAWS = 10  # ... with replacement: draw j of stratum h uses counter h * 2**32 + j

_U64 = 1 << 64


def seed_from_random_state(random_state: Any) -> int:
    """Turn a scikit-learn style random_state into a uint64 seed (a Python int).

    None draws fresh entropy; an int >= 0 is used as is (mod 2**64); a Generator or RandomState
    is asked for one number, so it advances as it would in scikit-learn.
    """
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
    if isinstance(random_state, (bool, np.bool_)):
        raise TypeError(f"random_state must be None, an int or a numpy Generator, got {random_state!r}")
    if isinstance(random_state, numbers.Integral):
        value = int(random_state)
        if value < 0:
            raise ValueError(f"random_state={value} must be >= 0")
        return value % _U64
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, _U64, dtype=np.uint64))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**63 - 1, dtype=np.int64))
    raise TypeError(
        f"random_state must be None, an int or a numpy Generator, got {type(random_state).__name__}"
    )


def derive_seed(seed: int, stream: int, index: int) -> int:
    """The (index + 1)-th output of the stream (seed, stream): draw(seed, stream, index) of
    docs/ARCHITECTURE.md section 2, in Python integers. Seeds of sub-steps (rounds) that must be
    independent of each other and of the parent's own streams."""
    key = _mix64((seed & _MASK) ^ _mix64((stream + _GOLDEN) & _MASK))
    return _mix64((key + (index + 1) * _GOLDEN) & _MASK)


_MASK = _U64 - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _mix64(z: int) -> int:
    """SplitMix64's finaliser (cpp/rng.h, _base/stream.py)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)

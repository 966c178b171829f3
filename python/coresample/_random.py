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

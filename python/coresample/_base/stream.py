"""The counter-based random stream in NumPy uint64 arithmetic (docs/ARCHITECTURE.md, section 2).

Bit-for-bit the same as cpp/rng.h: SplitMix64 outputs addressed by (seed, stream, counter).
"""
from __future__ import annotations

import math

import numpy as np

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_TWO_POW_MINUS_53 = 2.0**-53
_SQRT_HALF = 0.7071067811865476
_LN2 = 0.6931471805599453
# 1 / (2j + 1) for j = 11 down to 1: the series log(m) = 2 s (1 + s^2/3 + s^4/5 + ...).
_LOG_COEFFS = tuple(1.0 / (2 * j + 1) for j in range(11, 0, -1))


def _mix64_int(z: int) -> int:
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


def _mix64(z: np.ndarray) -> np.ndarray:
    # uint64 array arithmetic wraps modulo 2**64, which is what the stream needs.
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_M1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_M2)
    return z ^ (z >> np.uint64(31))


def stream_key(seed: int, stream: int) -> int:
    """key(seed, stream) = mix64(seed ^ mix64(stream + GOLDEN))."""
    return _mix64_int((seed & _MASK) ^ _mix64_int((stream + _GOLDEN) & _MASK))


def draw(seed: int, stream: int, counters: np.ndarray) -> np.ndarray:
    """uint64 outputs mix64(key + (counter + 1) * GOLDEN) for each counter."""
    c = np.asarray(counters, dtype=np.uint64)
    with np.errstate(over="ignore"):
        state = np.uint64(stream_key(seed, stream)) + (c + np.uint64(1)) * np.uint64(_GOLDEN)
        return _mix64(state)


def unit(x: np.ndarray) -> np.ndarray:
    """Top 53 bits as a double in [0, 1)."""
    return (x >> np.uint64(11)).astype(np.float64) * _TWO_POW_MINUS_53


def unit_open(x: np.ndarray) -> np.ndarray:
    """Top 53 bits plus one as a double in (0, 1]."""
    return ((x >> np.uint64(11)) + np.uint64(1)).astype(np.float64) * _TWO_POW_MINUS_53


def log_unit(u: np.ndarray) -> np.ndarray:
    """Natural log of u in (0, 1], with exactly the IEEE operations of cpp/rng.h."""
    m, e = np.frexp(np.asarray(u, dtype=np.float64))
    low = m < _SQRT_HALF
    m = np.where(low, m * 2.0, m)
    e = np.where(low, e - 1, e).astype(np.float64)
    s = (m - 1.0) / (m + 1.0)
    s2 = s * s
    poly = np.full_like(s, _LOG_COEFFS[0])
    for c in _LOG_COEFFS[1:]:
        poly = c + s2 * poly
    return e * _LN2 + (2.0 * s + (2.0 * s) * (s2 * poly))


def exponential_keys(seed: int, stream: int, n: int) -> np.ndarray:
    """E_e = -log_unit(unit_open(draw(seed, stream, e))) for e < n: i.i.d. Exp(1) by row."""
    return -log_unit(unit_open(draw(seed, stream, np.arange(n, dtype=np.uint64))))


def inverse_inclusion(p: np.ndarray, tau: float) -> np.ndarray:
    """Horvitz-Thompson weights 1 / (1 - exp(-p tau)) exactly as the core writes them,
    `1.0 / -std::expm1(-p * tau)` (ones when tau is inf: every positive row is taken). Python's
    math.expm1 is the C library's expm1; NumPy's own expm1 differs from it in the last bit for
    some arguments. A loop over the sampled rows only."""
    if not np.isfinite(tau):
        return np.ones(p.shape[0])
    return np.array([1.0 / -math.expm1(-float(x) * tau) for x in p], dtype=np.float64)


def stratified_draw_positions(seed: int, stream: int, allocation: np.ndarray, sizes: np.ndarray):
    """With replacement, draw j of stratum h: its stratum and its rank within the stratum's rows
    in row order, floor(r N_h) with r = unit(draw(seed, stream, h * 2**32 + j)). In stratum
    order, then j."""
    h = np.repeat(np.arange(allocation.shape[0], dtype=np.int64), allocation)
    j = np.arange(h.shape[0], dtype=np.int64) - np.repeat(
        np.cumsum(allocation) - allocation, allocation)
    counters = (h.astype(np.uint64) << np.uint64(32)) | j.astype(np.uint64)
    r = unit(draw(seed, stream, counters))
    n_h = sizes[h]
    return h, np.minimum((r * n_h).astype(np.int64), n_h - 1)


ORDER_KEY_TOP = (1 << 53) - 1


def order_keys(seed: int, stream: int, counters: np.ndarray) -> np.ndarray:
    """The stratified design's order keys, int64: ORDER_KEY_TOP - (draw >> 11). A smaller key is
    a larger 53-bit uniform, i.e. a smaller exponential key -log(u): the same order as
    `exponential_keys`, compared exactly as integers (ties: the lower row)."""
    return (np.uint64(ORDER_KEY_TOP) - (draw(seed, stream, counters) >> np.uint64(11))).astype(
        np.int64)

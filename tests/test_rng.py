"""The shared random stream: known answers, and core == reference bit for bit."""
import numpy as np
import pytest

from coresample import _core
from coresample._base import stream as _rng


def test_splitmix64_known_answer():
    # SplitMix64 from state 0: first outputs are published test values
    # (e.g. in Vigna's splitmix64.c; 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, ...).
    state = np.array([0x9E3779B97F4A7C15, (2 * 0x9E3779B97F4A7C15) % 2**64], dtype=np.uint64)
    out = _rng._mix64(state)
    assert [int(v) for v in out] == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4]


@pytest.mark.parametrize("seed", [0, 1, 42, 2**64 - 1, 123456789123])
@pytest.mark.parametrize("stream", [1, 2, 3, 4, 99])
def test_core_stream_equals_reference(seed, stream):
    start = 1000
    out = np.empty(257, dtype=np.uint64)
    _core.random_uint64(seed, stream, start, out)
    expected = _rng.draw(seed, stream, np.arange(start, start + 257, dtype=np.uint64))
    np.testing.assert_array_equal(out, expected)


def test_streams_differ():
    a = _rng.draw(7, 1, np.arange(1000))
    b = _rng.draw(7, 2, np.arange(1000))
    c = _rng.draw(8, 1, np.arange(1000))
    assert len(np.intersect1d(a, b)) == 0 and len(np.intersect1d(a, c)) == 0


def test_unit_ranges():
    x = np.array([0, 2**64 - 1, 2**11 - 1, 2**11], dtype=np.uint64)
    u = _rng.unit(x)
    assert u[0] == 0.0 and u[1] < 1.0 and u[2] == 0.0 and u[3] == 2.0**-53
    v = _rng.unit_open(x)
    assert v[0] == 2.0**-53 and v[1] == 1.0


def test_log_unit_accuracy_and_core_agreement():
    rng = np.random.default_rng(0)
    u = np.concatenate([rng.random(100000), [2.0**-53, 0.5, 1.0, 1 - 2.0**-53, 0.7071067811865476]])
    u = u[u > 0]
    ref = _rng.log_unit(u)
    np.testing.assert_allclose(ref, np.log(u), rtol=4e-16, atol=1e-300)
    assert ref[u == 1.0][0] == 0.0
    out = np.empty_like(u)
    _core.log_unit(u, out)
    np.testing.assert_array_equal(out, ref)


def test_uniformity_of_unit():
    # Kolmogorov-Smirnov against U(0,1); false-alarm rate 1e-6.
    from scipy import stats

    u = _rng.unit(_rng.draw(3, 1, np.arange(200000)))
    assert stats.kstest(u, "uniform").pvalue > 1e-6

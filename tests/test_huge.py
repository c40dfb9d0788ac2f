"""Arrays of more than 2**31 and 2**32 elements: 64-bit indexing everywhere.

float16 keeps them in memory: the out-of-place test holds 2 x 4 GiB, the
in-place one 8 GiB, one after the other. They are marked slow but run in
CI; without the memory they skip, unless FASTDROP_REQUIRE_HUGE=1 makes that
a failure.
"""

import os

import numpy as np
import pytest
from conftest import unavailable

import fastdrop
from fastdrop import _reference

GIB = 1 << 30
PERIOD = 2039  # a prime, so x[i] depends on i across every power-of-two boundary
SEED, P = 31, 0.5


def need_memory(nbytes):
    try:
        with open("/proc/meminfo") as f:
            info = dict(line.split(":", 1) for line in f)
        available = int(info["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    if available < nbytes:
        unavailable(f"the test needs {nbytes / GIB:.1f} GiB of free memory, "
                    f"{available / GIB:.1f} GiB available", "FASTDROP_REQUIRE_HUGE")


def periodic(n):
    """x[i] = (i mod PERIOD) - 1000 as float16, filled by doubling copies."""
    x = np.empty(n, np.float16)
    x[:PERIOD] = np.arange(PERIOD) - 1000
    k = PERIOD
    while k < n:
        m = min(k, n - k)
        x[k:k + m] = x[:m]
        k += m
    return x


def periodic_window(pattern, a, b):
    """Elements a .. b-1 of periodic(n), from its first PERIOD elements."""
    return pattern[np.arange(a, b) % PERIOD]


def assert_periodic(x, pattern):
    """x still holds periodic(x.size) in every window."""
    for s in windows(x.size):
        assert np.array_equal(x[s:s + 5000], periodic_window(pattern, s, s + 5000)), s


def windows(n):
    """Start indices of windows around the first element, 2**31, 2**32 and the last one."""
    starts = [0, 2**31 - 4100, 2**31 - 8, 2**32 - 4100, 2**32 - 8, n - 5000]
    return [s for s in starts if 0 <= s < n]


def assert_windows(y, x, offset, what):
    for s in windows(y.size):
        expected = _reference.dropout(x(s, s + 5000), P, seed=SEED, offset=offset + s)
        np.testing.assert_array_equal(y[s:s + 5000], expected, err_msg=f"{what} at {s}")


@pytest.mark.slow
def test_more_than_2_31_elements():
    n = 2**31 + 2**20 + 77
    need_memory(2 * n * 2 + n // 8 + GIB)
    x = periodic(n)
    pattern = x[:PERIOD].copy()

    def x_window(a, b):
        return periodic_window(pattern, a, b)

    offset = 2**40 + 3
    y, mask = fastdrop.dropout_forward(x, P, seed=SEED, offset=offset)
    assert_windows(y, x_window, offset, "forward")
    for s in windows(n):
        s -= s % 8
        bits = _reference.packed_bits(_reference.keep_mask(SEED, offset + s, P, 4096))
        np.testing.assert_array_equal(mask.bits[s // 8:s // 8 + 512], bits)
    kept = int(np.unpackbits(mask.bits[: 2**26]).sum())  # the first 2**29 elements
    assert abs(kept - 2**28) < 6 * 2**13.5

    y.fill(7)
    fastdrop.dropout_backward(x, mask, out=y)  # from the bits
    assert_windows(y, x_window, offset, "backward from bits")
    y.fill(7)
    seed_mask = fastdrop.Mask((n,), P, seed=SEED, offset=offset)
    fastdrop.dropout_backward(x, seed_mask, out=y)  # regenerated from the seed
    assert_windows(y, x_window, offset, "backward from the seed")

    gen = fastdrop.Generator(SEED, offset=offset)
    gen.dropout(x, P, out=y)
    assert gen.offset == offset + n
    assert_windows(y, x_window, offset, "Generator")


@pytest.mark.slow
def test_more_than_2_32_elements_in_place():
    n = 2**32 + 2**20 + 5
    need_memory(n * 2 + GIB)
    x = periodic(n)
    pattern = x[:PERIOD].copy()
    with pytest.raises(ValueError, match="offset"):
        fastdrop.dropout(x, P, seed=SEED, offset=2**64 - n + 1, out=x)
    assert_periodic(x, pattern)  # nothing written
    offset = 2**64 - n  # the last elements of the stream
    fastdrop.dropout(x, P, seed=SEED, offset=offset, out=x)
    assert_windows(x, lambda a, b: periodic_window(pattern, a, b), offset, "in place")

"""Shared assertions of the variant tests: exact bits, NaN payloads and -0.0 included."""

import numpy as np


def assert_bits_equal(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    u = {2: np.uint16, 4: np.uint32, 8: np.uint64}[got.dtype.itemsize]
    g = np.ascontiguousarray(got).astype(got.dtype.newbyteorder("=")).view(u)
    w = np.ascontiguousarray(want).astype(want.dtype.newbyteorder("=")).view(u)
    bad = np.flatnonzero(g.reshape(-1) != w.reshape(-1))
    assert bad.size == 0, f"{bad.size} elements differ, first at {bad[:5]}"

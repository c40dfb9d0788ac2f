"""dropout_forward allocates its output and ceil(n/8) mask bytes, nothing more."""

import tracemalloc

import numpy as np
import pytest

import fastdrop


@pytest.mark.parametrize("store,mask_bytes", [("bits", lambda n: (n + 7) // 8), ("seed", lambda n: 0)])
def test_forward_allocations(store, mask_bytes):
    n = 1_000_003
    x = np.ones(n, np.float32)
    fastdrop.dropout_forward(x, 0.5, seed=1, store=store)  # warm up caches and imports
    tracemalloc.start()
    try:
        y, mask = fastdrop.dropout_forward(x, 0.5, seed=1, store=store)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    expected = y.nbytes + mask_bytes(n)
    assert peak >= expected
    assert peak - expected < 16_384  # Python objects only, no temporary arrays

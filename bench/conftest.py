"""Fixtures for the benchmarks: run with `pytest bench/ --benchmark-only`.

Every row records in extra_info the bytes it moves per call, its GB/s and
its speed as a percentage of `np.copyto` on arrays of the same size
(100% = copy speed), all from the minimum time of the row.
"""

import timeit

import numpy as np
import pytest

import fastdrop
from fastdrop import _core
from fastdrop.cli import cases

SIZES = list(cases.SIZES)  # shared with fastdrop bench
ISAS = _core.isa_names()


@pytest.fixture(scope="session")
def arrays():
    """arrays(n) -> (x, y): float32 input and output of n elements, cached."""
    cache = {}

    def get(n):
        if n not in cache:
            cache.clear()  # keep at most one size alive (64M floats is 256 MB)
            x = np.random.default_rng(0).standard_normal(n, dtype=np.float32)
            cache[n] = (x, np.empty_like(x))
        return cache[n]

    return get


@pytest.fixture(scope="session")
def copy_seconds():
    """copy_seconds(x, y) -> best time of np.copyto(y, x), measured once per size."""
    cache = {}

    def get(x, y):
        if x.size not in cache:  # per-call minimum, as pytest-benchmark reports it
            repeat = max(7, min(2000, 50_000_000 // x.size))
            cache[x.size] = min(timeit.repeat(lambda: np.copyto(y, x), number=1, repeat=repeat))
        return cache[x.size]

    return get


@pytest.fixture
def kernel(request):
    """Selects (isa, threads) for one benchmark and restores the defaults after."""
    isa, threads = request.param
    index = ISAS.index(isa)
    if not _core.isa_supported(index):
        pytest.skip(f"kernel '{isa}' is not supported by this build or CPU")
    before = _core.active_isa()
    _core.set_isa(index)
    fastdrop.set_num_threads(threads)
    yield request.param
    fastdrop.set_num_threads(None)
    _core.set_isa(before)


def report(benchmark, n, bytes_per_element, copy_time):
    """GB/s and % of copy speed from the benchmark's minimum time."""
    if benchmark.stats is None:  # --benchmark-disable: the call ran once, untimed
        return
    best = benchmark.stats.stats.min
    moved = n * bytes_per_element
    benchmark.extra_info["elements"] = n
    benchmark.extra_info["bytes"] = int(moved)
    benchmark.extra_info["GB/s"] = round(moved / best / 1e9, 2)
    benchmark.extra_info["copy_pct"] = round(100 * copy_time / best, 1)

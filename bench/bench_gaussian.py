"""Gaussian dropout forward at 16M float32 against np.copyto and NumPy's
``x * rng.normal(1, sigma, x.shape)``, per kernel and thread count.

Group "gaussian n=16777216": every row the same work. Run with
``pytest bench/bench_gaussian.py --benchmark-only``; ``python
bench/bench_gaussian.py`` prints the ratios from one run side by side.
"""

import math
import timeit

import numpy as np
import pytest
from conftest import ISAS

import fastdrop
from fastdrop import _core

N = 16_777_216
P = 0.5


@pytest.fixture(scope="module")
def xy():
    x = np.random.default_rng(0).standard_normal(N, dtype=np.float32)
    return x, np.empty_like(x)


@pytest.mark.parametrize("threads", [1, None], ids=["1t", "all"])
@pytest.mark.parametrize("isa", ISAS)
def test_gaussian_dropout(benchmark, xy, isa, threads):
    index = ISAS.index(isa)
    if not _core.isa_supported(index):
        pytest.skip(f"{isa} not supported here")
    before = _core.active_isa()
    _core.set_isa(index)
    fastdrop.set_num_threads(threads)
    try:
        x, y = xy
        benchmark.group = f"gaussian n={N}"
        benchmark(fastdrop.gaussian_dropout, x, P, seed=1, out=y)
    finally:
        _core.set_isa(before)
        fastdrop.set_num_threads(None)


def test_copyto(benchmark, xy):
    x, y = xy
    benchmark.group = f"gaussian n={N}"
    benchmark(np.copyto, y, x)


def test_numpy_normal(benchmark, xy):
    x, _ = xy
    rng = np.random.default_rng(1)
    sigma = math.sqrt(P / (1 - P))
    benchmark.group = f"gaussian n={N}"
    benchmark(lambda: x * rng.normal(1.0, sigma, x.shape).astype(np.float32))


def main():
    x = np.random.default_rng(0).standard_normal(N, dtype=np.float32)
    y = np.empty_like(x)
    rng = np.random.default_rng(1)
    sigma = math.sqrt(P / (1 - P))

    def best(fn):
        return min(timeit.repeat(fn, number=1, repeat=5))

    copy = best(lambda: np.copyto(y, x))
    numpy = best(lambda: x * rng.normal(1.0, sigma, x.shape).astype(np.float32))
    print(f"n = {N} float32, p = {P}, {fastdrop.get_num_threads()} threads available")
    print(f"np.copyto                 {copy * 1e3:8.2f} ms  {copy * 1e9 / N:6.2f} ns/element")
    print(f"numpy x * rng.normal      {numpy * 1e3:8.2f} ms  {numpy * 1e9 / N:6.2f} ns/element")
    for index, isa in enumerate(ISAS):
        if not _core.isa_supported(index):
            continue
        _core.set_isa(index)
        for threads in (1, None):
            fastdrop.set_num_threads(threads)
            t = best(lambda: fastdrop.gaussian_dropout(x, P, seed=1, out=y))
            label = f"{isa} {'1 thread' if threads == 1 else 'all threads'}"
            print(f"gaussian_dropout {label:<9} {t * 1e3:8.2f} ms  {t * 1e9 / N:6.2f} ns/element  "
                  f"{t / copy:6.2f}x copyto  {numpy / t:6.2f}x faster than numpy")
    fastdrop.set_num_threads(None)


if __name__ == "__main__":
    main()

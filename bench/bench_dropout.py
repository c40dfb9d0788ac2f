"""Forward and backward dropout against np.copyto (the roofline) and a NumPy one-liner."""

import numpy as np
import pytest
from conftest import SIZES, record

import fastdrop


@pytest.mark.parametrize("n", SIZES)
def test_forward(benchmark, arrays, n):
    x, y = arrays(n)
    benchmark.group = f"forward n={n}"
    record(benchmark, n, 4, 8.125)
    benchmark(fastdrop.dropout_forward, x, 0.5, seed=1, out=y)


@pytest.mark.parametrize("n", SIZES)
def test_backward_bits(benchmark, arrays, n):
    x, y = arrays(n)
    _, mask = fastdrop.dropout_forward(x, 0.5, seed=1)
    benchmark.group = f"backward n={n}"
    record(benchmark, n, 4, 8.125)
    benchmark(fastdrop.dropout_backward, x, mask, out=y)


@pytest.mark.parametrize("n", SIZES)
def test_backward_seed(benchmark, arrays, n):
    x, y = arrays(n)
    _, mask = fastdrop.dropout_forward(x, 0.5, seed=1, store="seed")
    benchmark.group = f"backward n={n}"
    record(benchmark, n, 4, 8.0)
    benchmark(fastdrop.dropout_backward, x, mask, out=y)


@pytest.mark.parametrize("n", SIZES)
def test_copyto(benchmark, arrays, n):
    x, y = arrays(n)
    benchmark.group = f"forward n={n}"
    record(benchmark, n, 4, 8.0)
    benchmark(np.copyto, y, x)


@pytest.mark.parametrize("n", SIZES)
def test_numpy_one_liner(benchmark, arrays, n):
    x, y = arrays(n)
    rng = np.random.default_rng(1)
    benchmark.group = f"forward n={n}"
    record(benchmark, n, 4, 8.0)
    benchmark(lambda: np.multiply(x, (rng.random(n, dtype=np.float32) >= 0.5) * np.float32(2), out=y))

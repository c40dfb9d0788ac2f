"""Arrays for the benchmarks; run with: pytest bench/ --benchmark-only"""

import numpy as np
import pytest

SIZES = [1_000, 65_536, 1_048_576, 16_777_216]


@pytest.fixture(scope="session")
def arrays():
    cache = {}

    def get(n, dtype=np.float32):
        if (n, dtype) not in cache:
            x = np.random.default_rng(0).standard_normal(n).astype(dtype)
            cache[(n, dtype)] = (x, np.empty_like(x))
        return cache[(n, dtype)]

    return get


def record(benchmark, n, itemsize, bytes_per_element):
    """Attach the bytes moved per call so GB/s can be read from the report."""
    benchmark.extra_info["elements"] = n
    benchmark.extra_info["bytes"] = int(n * bytes_per_element)

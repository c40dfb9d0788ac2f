"""Call overhead at 1,000 float32 elements, against np.multiply(x, 2.0, out=y).

At this size the Python call dominates. Each row records in extra_info its
time over np.multiply's (``x_multiply``), both minimum times per call,
np.multiply's measured once in the same run (the target: <= 3x for
dropout_forward and dropout_backward). Run alone on an idle core, e.g.
``taskset -c 1 pytest bench/bench_overhead.py --benchmark-only``.
"""

import timeit

import numpy as np
import pytest

import fastdrop

N = 1000


@pytest.fixture(scope="module")
def data():
    x = np.random.default_rng(0).standard_normal(N, dtype=np.float32)
    y = np.empty_like(x)
    _, bits = fastdrop.dropout_forward(x, 0.5, seed=1)
    _, seed = fastdrop.dropout_forward(x, 0.5, seed=1, store="seed")
    masks = {"bits": bits, "seed": seed}

    def fn():  # the same wrapping as the benchmarked rows
        CALLS["np.multiply"](x, y, masks)

    multiply = min(timeit.repeat(fn, number=2000, repeat=25)) / 2000
    return x, y, masks, multiply


CALLS = {
    "np.multiply": lambda x, y, m: np.multiply(x, 2.0, out=y),
    "dropout": lambda x, y, m: fastdrop.dropout(x, 0.5, seed=1, out=y),
    "dropout_forward": lambda x, y, m: fastdrop.dropout_forward(x, 0.5, seed=1, out=y),
    "dropout_forward store=seed": lambda x, y, m: fastdrop.dropout_forward(
        x, 0.5, seed=1, store="seed", out=y),
    "dropout_backward from bits": lambda x, y, m: fastdrop.dropout_backward(x, m["bits"], out=y),
    "dropout_backward from seed": lambda x, y, m: fastdrop.dropout_backward(x, m["seed"], out=y),
    "Dropout layer forward + backward": None,  # filled below: it needs a layer per run
}


@pytest.mark.parametrize("call", list(CALLS))
def test_call_overhead(benchmark, data, call):
    x, y, masks, multiply = data
    if CALLS[call] is None:
        layer = fastdrop.Dropout(0.5, seed=1)

        def fn():
            layer(x, out=y)
            layer.backward(x, out=y)
    else:
        def fn():
            CALLS[call](x, y, masks)
    benchmark.group = f"call overhead n={N}"
    benchmark(fn)
    benchmark.extra_info["x_multiply"] = round(benchmark.stats.stats.min / multiply, 2)
    benchmark.extra_info["multiply_us"] = round(multiply * 1e6, 3)

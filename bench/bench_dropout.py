"""Dropout forward and backward per kernel and thread count, against baselines.

Groups are "<operation> n=<size>", so each table compares every kernel and
baseline on the same work. float32, p = 0.5, outputs preallocated.
"""

import importlib.util

import numpy as np
import pytest
from conftest import ISAS, SIZES, report

import fastdrop

KERNELS = [(isa, threads) for isa in ISAS for threads in (1, None)]
KERNEL_IDS = [f"{isa}-{'1t' if t == 1 else 'all'}" for isa, t in KERNELS]
HAVE_TORCH = importlib.util.find_spec("torch") is not None


FORWARDS = {  # name: (call, bytes moved per element)
    "bits": (lambda x, y: fastdrop.dropout_forward(x, 0.5, seed=1, out=y), 8.125),
    "no_mask": (lambda x, y: fastdrop.dropout(x, 0.5, seed=1, out=y), 8.0),
}


@pytest.mark.parametrize("kernel", KERNELS, ids=KERNEL_IDS, indirect=True)
@pytest.mark.parametrize("mask", list(FORWARDS))
@pytest.mark.parametrize("n", SIZES)
def test_forward(benchmark, arrays, copy_seconds, kernel, mask, n):
    x, y = arrays(n)
    call, bytes_per_element = FORWARDS[mask]
    benchmark.group = f"forward n={n}"
    benchmark(call, x, y)
    report(benchmark, n, bytes_per_element, copy_seconds(x, y))


@pytest.mark.parametrize("kernel", KERNELS, ids=KERNEL_IDS, indirect=True)
@pytest.mark.parametrize("store", ["bits", "seed"])
@pytest.mark.parametrize("n", SIZES)
def test_backward(benchmark, arrays, copy_seconds, kernel, store, n):
    x, y = arrays(n)
    _, mask = fastdrop.dropout_forward(x, 0.5, seed=1, store=store)
    benchmark.group = f"backward n={n}"
    benchmark(fastdrop.dropout_backward, x, mask, out=y)
    report(benchmark, n, 8.125 if store == "bits" else 8.0, copy_seconds(x, y))


@pytest.mark.parametrize("group", ["forward", "backward"])
@pytest.mark.parametrize("n", SIZES)
def test_copyto(benchmark, arrays, copy_seconds, group, n):
    """The roofline: read n floats, write n floats."""
    x, y = arrays(n)
    benchmark.group = f"{group} n={n}"
    benchmark(np.copyto, y, x)
    report(benchmark, n, 8.0, copy_seconds(x, y))


@pytest.mark.parametrize("n", SIZES)
def test_numpy_one_liner(benchmark, arrays, copy_seconds, n):
    """What a NumPy user writes: uniforms, compare, scale."""
    x, y = arrays(n)
    rng = np.random.default_rng(1)
    benchmark.group = f"forward n={n}"
    benchmark(lambda: np.multiply(x, (rng.random(n, dtype=np.float32) >= 0.5) * np.float32(2), out=y))
    report(benchmark, n, 8.0, copy_seconds(x, y))


@pytest.mark.skipif(not HAVE_TORCH, reason="torch is not installed (pip install torch==2.13.0)")
@pytest.mark.parametrize("n", SIZES)
def test_torch_dropout(benchmark, arrays, copy_seconds, n):
    """torch.nn.functional.dropout on the CPU, training mode, default threads."""
    import torch

    x, y = arrays(n)
    tx = torch.from_numpy(x)
    benchmark.group = f"forward n={n}"
    benchmark(torch.nn.functional.dropout, tx, 0.5, True)
    report(benchmark, n, 8.0, copy_seconds(x, y))

"""Dropout forward and backward per kernel and thread count, against baselines.

The cases are `fastdrop.cli.cases.CASES`, which ``fastdrop bench`` times
too. Groups are "<operation> n=<size>", so each table compares every kernel
and baseline on the same work. float32, p = 0.5, outputs preallocated.
"""

import pytest
from conftest import ISAS, SIZES, report

from fastdrop.cli.cases import CASES

KERNELS = [(isa, threads) for isa in ISAS for threads in (1, None)]
KERNEL_IDS = [f"{isa}-{'1t' if t == 1 else 'all'}" for isa, t in KERNELS]
FASTDROP = [c for c in CASES if c.fastdrop]
BASELINES = [(c, g) for c in CASES if not c.fastdrop for g in c.groups]


@pytest.mark.parametrize("kernel", KERNELS, ids=KERNEL_IDS, indirect=True)
@pytest.mark.parametrize("case", FASTDROP, ids=[c.name for c in FASTDROP])
@pytest.mark.parametrize("n", SIZES)
def test_fastdrop(benchmark, arrays, copy_seconds, kernel, case, n):
    x, y = arrays(n)
    benchmark.group = f"{case.groups[0]} n={n}"
    benchmark(case.make(x, y))
    report(benchmark, n, case.bytes_per_element, copy_seconds(x, y))


@pytest.mark.parametrize("case,group", BASELINES, ids=[f"{c.name}-{g}" for c, g in BASELINES])
@pytest.mark.parametrize("n", SIZES)
def test_baseline(benchmark, arrays, copy_seconds, case, group, n):
    """np.copyto (the roofline, in both groups), the NumPy one-liners, torch when installed."""
    if not case.available():
        pytest.skip(f"{case.needs} is not installed (pip install torch==2.13.0)")
    x, y = arrays(n)
    benchmark.group = f"{group} n={n}"
    benchmark(case.make(x, y))
    report(benchmark, n, case.bytes_per_element, copy_seconds(x, y))

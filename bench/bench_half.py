"""The 2-byte dtypes: dropout forward of float16 and bfloat16 per kernel, against np.copyto.

bfloat16 is ``ml_dtypes.bfloat16`` (skipped without ml_dtypes). Groups are
"<dtype> forward n=<size>"; p = 0.5, inverted scaling, output preallocated,
all threads. Each row's copy_pct compares it with np.copyto of the same
2-byte array (100% = copy speed).
"""

import importlib.util

import numpy as np
import pytest
from conftest import ISAS, report

import fastdrop

SIZES = [1 << 16, 1 << 24]


def _dtype(name):
    if name == "bfloat16":
        if importlib.util.find_spec("ml_dtypes") is None:
            pytest.skip("ml_dtypes is not installed (pip install ml_dtypes)")
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def _arrays(name, n):
    x = np.random.default_rng(0).standard_normal(n, dtype=np.float32).astype(_dtype(name))
    return x, np.empty_like(x)


@pytest.mark.parametrize("kernel", [(isa, None) for isa in ISAS], ids=ISAS, indirect=True)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("n", SIZES)
def test_forward(benchmark, copy_seconds, kernel, dtype, n):
    x, y = _arrays(dtype, n)
    benchmark.group = f"{dtype} forward n={n}"
    benchmark(lambda: fastdrop.dropout(x, 0.5, seed=1, out=y))
    report(benchmark, n, 4, copy_seconds(x, y))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("n", SIZES)
def test_copyto(benchmark, copy_seconds, dtype, n):
    x, y = _arrays(dtype, n)
    benchmark.group = f"{dtype} forward n={n}"
    benchmark(lambda: np.copyto(y, x))
    report(benchmark, n, 4, copy_seconds(x, y))

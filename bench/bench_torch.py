"""fastdrop.torch against torch.nn.functional.dropout and np.copyto, 1K to 64M float32.

Run with ``pytest bench/bench_torch.py --benchmark-only``. Groups are
"torch forward n=<size>"; rows:

- ``fastdrop.torch``: ``fastdrop.torch.dropout(x, 0.5, seed=1)`` on a
  tensor without grad (the eager path: a new output, no mask kept);
- ``fastdrop.torch autograd``: the same on a tensor that requires grad
  (the mask kept as bits, the autograd node recorded);
- ``fastdrop::dropout operator``: the custom operator called directly, as a
  compiled graph calls it (its dispatch cost shows at small sizes);
- ``fastdrop.torch inplace``: ``inplace=True`` on a tensor without grad,
  which writes into the input (no output to allocate);
- ``torch``: ``torch.nn.functional.dropout(x, 0.5)``, a new output;
- ``torch clone``: ``x.clone()``, a copy into a new tensor (the roofline of
  a function that returns a new tensor: allocation and first touch included);
- ``np.copyto``: a copy into a preallocated array (the roofline).

Targets: at 16M the fastdrop.torch row within 1.2x of np.copyto; faster
than torch at every size. extra_info holds GB/s (8 bytes per element) and
the percentage of np.copyto's speed.
"""

import pytest
from conftest import SIZES, report

torch = pytest.importorskip("torch", reason="torch is not installed (pip install '.[torch]')")
ft = pytest.importorskip("fastdrop.torch")

P = 0.5


def _fastdrop(tx):
    return lambda: ft.dropout(tx, P, seed=1)


def _autograd(tx):
    tg = tx.clone().requires_grad_()
    return lambda: ft.dropout(tg, P, seed=1)


def _operator(tx):
    op = torch.ops.fastdrop.dropout
    return lambda: op(tx, P, 1, 0, False, True, [], 0)


def _inplace(tx):
    tw = tx.clone()  # repeated dropout saturates values at 0 and inf: no subnormals
    return lambda: ft.dropout(tw, P, seed=1, inplace=True)


def _torch(tx):
    return lambda: torch.nn.functional.dropout(tx, P, True)


def _clone(tx):
    return tx.clone


CASES = {"fastdrop.torch": _fastdrop, "fastdrop.torch autograd": _autograd,
         "fastdrop::dropout operator": _operator, "fastdrop.torch inplace": _inplace,
         "torch": _torch, "torch clone": _clone}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("n", SIZES)
def test_torch_forward(benchmark, arrays, copy_seconds, case, n):
    x, y = arrays(n)
    benchmark.group = f"torch forward n={n}"
    benchmark(CASES[case](torch.from_numpy(x)))
    report(benchmark, n, 8.0, copy_seconds(x, y))


@pytest.mark.parametrize("n", SIZES)
def test_copy(benchmark, arrays, copy_seconds, n):
    import numpy as np

    x, y = arrays(n)
    benchmark.group = f"torch forward n={n}"
    benchmark(np.copyto, y, x)
    report(benchmark, n, 8.0, copy_seconds(x, y))

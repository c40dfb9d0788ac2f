"""OpenMP threads: same bits for every thread count, and fork safety."""

import multiprocessing
import os

import numpy as np
import pytest
from conftest import random_floats
from test_forward import assert_same_bits

import fastdrop
from fastdrop import _core, _reference

N = 3 * 65536 * 2 + 12345  # enough for several threads, not a multiple of a block


@pytest.fixture
def threads():
    """Yields a setter; restores the default thread count afterwards."""
    yield fastdrop.set_num_threads
    fastdrop.set_num_threads(None)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_every_thread_count_gives_the_same_bits(isa, threads, dtype):
    x = random_floats(N, dtype, seed=1)
    grad = random_floats(N, dtype, seed=2)
    offset = 2**40 + 1234  # starts inside a block
    threads(1)
    y1, m1 = fastdrop.dropout_forward(x, 0.3, seed=5, offset=offset)
    g1 = fastdrop.dropout_backward(grad, m1)
    acc1 = x.copy()
    fastdrop.dropout_backward(grad, m1, out=acc1, accumulate=True)
    assert_same_bits(y1, _reference.dropout(x, 0.3, seed=5, offset=offset))
    for nt in (2, 3, 4, 7):
        threads(nt)
        y, m = fastdrop.dropout_forward(x, 0.3, seed=5, offset=offset)
        _, ms = fastdrop.dropout_forward(x, 0.3, seed=5, offset=offset, store="seed")
        assert_same_bits(y, y1)
        np.testing.assert_array_equal(m.bits, m1.bits)
        assert_same_bits(fastdrop.dropout_backward(grad, m), g1)
        assert_same_bits(fastdrop.dropout_backward(grad, ms), g1)
        acc = x.copy()
        fastdrop.dropout_backward(grad, ms, out=acc, accumulate=True)
        assert_same_bits(acc, acc1)
        np.testing.assert_array_equal(ms.packed_bits(), m1.bits)


def test_set_num_threads(threads):
    threads(3)
    assert fastdrop.get_num_threads() == (3 if _core.openmp() else 1)
    threads(None)
    assert fastdrop.get_num_threads() >= 1
    with pytest.raises(ValueError, match="n must be a positive int"):
        fastdrop.set_num_threads(0)
    with pytest.raises(TypeError, match="n must be a positive int"):
        fastdrop.set_num_threads(2.0)


def _fork_work(seed):
    """Forward, backward from the seed and a Generator call: the bytes of their results."""
    x = np.linspace(-1, 1, N, dtype=np.float32)
    y, mask = fastdrop.dropout_forward(x, 0.5, seed=seed, store="seed")
    grad = fastdrop.dropout_backward(x, mask)
    gen = fastdrop.Generator(seed, offset=N)
    z = gen.dropout(x.astype(np.float16), 0.3)
    return y.tobytes(), grad.tobytes(), z.tobytes(), fastdrop.get_num_threads()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_children_run_after_parent_used_threads(threads):
    """Children forked after the parent ran OpenMP threads finish with the parent's bits."""
    threads(4)
    expected = [_fork_work(seed)[:3] for seed in (9, 10, 11)]  # the parent's pool is up
    with multiprocessing.get_context("fork").Pool(3) as pool:
        result = pool.map_async(_fork_work, (9, 10, 11))
        children = result.get(timeout=120)  # a hang in a child fails here
    for got, want in zip(children, expected):
        assert got[:3] == want
        assert got[3] == 1  # children run serially: OpenMP pools do not survive fork
    assert fastdrop.get_num_threads() == (4 if _core.openmp() else 1)  # the parent keeps its


def test_threadpoolctl_limit_is_honoured(threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if not _core.openmp():
        pytest.skip("built without OpenMP")
    threads(None)
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert fastdrop.get_num_threads() == 1
    with threadpoolctl.threadpool_limits(limits=2, user_api="openmp"):
        assert fastdrop.get_num_threads() == 2
    libs = {lib["internal_api"] for lib in threadpoolctl.threadpool_info()}
    assert "openmp" in libs


def test_omp_num_threads_is_honoured():
    import subprocess
    import sys

    code = "import fastdrop; print(fastdrop.get_num_threads())"
    env = {**os.environ, "OMP_NUM_THREADS": "3"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == (3 if _core.openmp() else 1)

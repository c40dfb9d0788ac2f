"""Kernel choice: FASTDROP_ISA, simd_info, and every kernel against scalar."""

import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import ISAS, random_floats
from test_forward import assert_same_bits

import fastdrop
from fastdrop import _core


def run_python(code, **env):
    full_env = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full_env, timeout=120)


def test_default_is_the_best_supported_kernel():
    if "FASTDROP_ISA" in os.environ:
        pytest.skip("FASTDROP_ISA is set for this run")
    proc = run_python("import fastdrop; print(fastdrop.simd_info()['active'])")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ISAS[_core.best_isa()]


@pytest.mark.parametrize("name", ISAS)
def test_env_forces_a_kernel_or_fails_loudly(name):
    proc = run_python("import fastdrop; print(fastdrop.simd_info()['active'])", FASTDROP_ISA=name)
    if _core.isa_supported(ISAS.index(name)):
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == name
    else:
        assert proc.returncode != 0
        assert f"FASTDROP_ISA='{name}'" in proc.stderr and "cannot run" in proc.stderr


def test_env_unknown_name_fails_loudly():
    proc = run_python("import fastdrop", FASTDROP_ISA="sse9")
    assert proc.returncode != 0
    assert "FASTDROP_ISA='sse9' is not one of scalar, avx2, avx512" in proc.stderr


def test_simd_info_lists_what_runs():
    info = fastdrop.simd_info()
    assert info["known"] == ISAS
    assert info["available"] == [n for i, n in enumerate(ISAS) if _core.isa_supported(i)]
    assert "scalar" in info["available"]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("store", ["bits", "seed"])
def test_every_kernel_equals_scalar(isa, dtype, store):
    """Odd sizes and offsets: unaligned pointers, steps split at both ends."""
    for n, offset, start in [(1, 0, 0), (37, 3, 1), (2048 + 35, 2047, 3), (40_000, 2**63 + 13, 5)]:
        buf = random_floats(n + 8, dtype, seed=n)
        x = buf[start:start + n]  # not 32- or 64-byte aligned
        grad = random_floats(n, dtype, seed=n + 1)
        y, mask = fastdrop.dropout_forward(x, 0.5, seed=n, offset=offset, store=store)
        dx = fastdrop.dropout_backward(grad, mask)
        acc = x.copy()
        fastdrop.dropout_backward(grad, mask, out=acc, accumulate=True)
        before = _core.active_isa()
        _core.set_isa(0)
        try:
            y0, m0 = fastdrop.dropout_forward(x, 0.5, seed=n, offset=offset, store="bits")
            dx0 = fastdrop.dropout_backward(grad, m0)
            acc0 = x.copy()
            fastdrop.dropout_backward(grad, m0, out=acc0, accumulate=True)
        finally:
            _core.set_isa(before)
        assert_same_bits(y, y0)
        assert_same_bits(dx, dx0)
        assert_same_bits(acc, acc0)
        np.testing.assert_array_equal(mask.packed_bits(), m0.bits)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_large_outputs_streamed_or_not_equal_scalar(isa, dtype):
    """Outputs of 32 MiB and more take the non-temporal store path where aligned."""
    n = (32 << 20) // np.dtype(dtype).itemsize + 4099
    buf = np.linspace(-3, 3, n + 1).astype(dtype)
    grad = buf[:n][::-1].copy()
    for x, offset in [(buf[:n], 0), (buf[:n], 5), (buf[1:], 4)]:  # aligned, odd offset, unaligned y
        y, mask = fastdrop.dropout_forward(x, 0.5, seed=3, offset=offset)
        y_seed, mask_seed = fastdrop.dropout_forward(x, 0.5, seed=3, offset=offset, store="seed")
        dx = fastdrop.dropout_backward(grad, mask)
        dx_seed = fastdrop.dropout_backward(grad, mask_seed)
        before = _core.active_isa()
        _core.set_isa(0)
        try:
            y0, m0 = fastdrop.dropout_forward(x, 0.5, seed=3, offset=offset)
            dx0 = fastdrop.dropout_backward(grad, m0)
        finally:
            _core.set_isa(before)
        assert_same_bits(y, y0)
        assert_same_bits(y_seed, y0)
        np.testing.assert_array_equal(mask.bits, m0.bits)
        assert_same_bits(dx, dx0)
        assert_same_bits(dx_seed, dx0)

"""The CuPy path on a real device: bit for bit the CPU's results.

Skipped, with the reason, where CuPy is not installed or no CUDA device is
visible (CI and most development machines). bench/gpu_check.py runs these
on a GPU machine. Every check compares with fastdrop's CPU functions on the
same arguments, so the tests follow the stream whatever SPEC.md defines.
"""

import numpy as np
import pytest

import fastdrop
from conftest import DTYPES, random_floats

cp = pytest.importorskip("cupy", reason="CuPy is not installed (pip install 'fastdropout[cuda13]')")


def _device_count():
    try:
        return cp.cuda.runtime.getDeviceCount()
    except Exception:  # CUDARuntimeError without a driver or device
        return 0


pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(_device_count() == 0, reason="no CUDA device is visible")]

BLOCK = 2048
P_VALUES = [0.0, 2.0**-32, 1e-6, 0.1, 0.5, 1.0 - 2.0**-32, 1.0]
OFFSETS = [0, 1, 7, BLOCK - 3, 5 * BLOCK + 11, 2**40 + 3]
SIZES = [1, 8, 17, 63, BLOCK - 1, BLOCK + 1, 3 * BLOCK + 77, 100_003]


def same(gpu, cpu):
    """True if the GPU array holds the bytes of the CPU array."""
    host = cp.asnumpy(gpu)
    return host.shape == cpu.shape and host.dtype == cpu.dtype and host.tobytes() == cpu.tobytes()


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("scaling", ["inverted", "classic"])
def test_forward_equals_cpu(dtype, scaling):
    i = 0
    for offset in OFFSETS:
        for n in SIZES:
            p = P_VALUES[i % len(P_VALUES)]
            i += 1
            x = random_floats(n, dtype, seed=n)
            y, mask = fastdrop.dropout_forward(cp.asarray(x), p, seed=13, offset=offset,
                                               scaling=scaling)
            want, want_mask = fastdrop.dropout_forward(x, p, seed=13, offset=offset,
                                                       scaling=scaling)
            assert isinstance(y, cp.ndarray) and isinstance(mask.bits, cp.ndarray)
            assert same(y, want), (offset, n, p)
            assert same(mask.bits, want_mask.bits), (offset, n, p)
            assert same(fastdrop.dropout(cp.asarray(x), p, seed=13, offset=offset,
                                         scaling=scaling), want)


def test_offsets_near_the_end_of_the_stream():
    for n in (1, 9, BLOCK + 5, 70_001):
        x = random_floats(n, np.float32, seed=n)
        offset = 2**64 - n
        y, mask = fastdrop.dropout_forward(cp.asarray(x), 0.3, seed=2, offset=offset)
        want, want_mask = fastdrop.dropout_forward(x, 0.3, seed=2, offset=offset)
        assert same(y, want) and same(mask.bits, want_mask.bits)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_backward_from_bits_and_from_seed_equal_cpu(dtype):
    for n, offset, p in [(1000, 3, 0.5), (BLOCK * 4 + 1, BLOCK - 1, 0.2), (64, 0, 1.0)]:
        x = random_floats(n, dtype, seed=1)
        grad = random_floats(n, dtype, seed=2)
        base = random_floats(n, dtype, seed=3)
        for store in ("bits", "seed"):
            _, gmask = fastdrop.dropout_forward(cp.asarray(x), p, seed=4, offset=offset,
                                                store=store)
            _, cmask = fastdrop.dropout_forward(x, p, seed=4, offset=offset, store=store)
            assert same(fastdrop.dropout_backward(cp.asarray(grad), gmask),
                        fastdrop.dropout_backward(grad, cmask))
            out = cp.asarray(base)
            got = fastdrop.dropout_backward(cp.asarray(grad), gmask, out=out, accumulate=True)
            assert got is out
            want = fastdrop.dropout_backward(grad, cmask, out=base.copy(), accumulate=True)
            assert same(out, want), (n, offset, p, store)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_layouts_and_in_place(dtype):
    x = random_floats(6 * 700, dtype, seed=5).reshape(6, 700)
    want = fastdrop.dropout(x, 0.4, seed=8, offset=5)
    for view in (cp.asarray(x)[:, :], cp.asfortranarray(cp.asarray(x)),
                 cp.asarray(np.repeat(x, 2, axis=1))[:, ::2],
                 cp.asarray(np.ascontiguousarray(x[::-1, ::-1]))[::-1, ::-1]):
        assert same(fastdrop.dropout(view, 0.4, seed=8, offset=5), want)
        out = cp.empty((700, 6), dtype).T  # a non-contiguous out
        assert fastdrop.dropout(view, 0.4, seed=8, offset=5, out=out) is out
        assert same(out, want)
    inplace = cp.asarray(x)
    assert fastdrop.dropout(inplace, 0.4, seed=8, offset=5, out=inplace) is inplace
    assert same(inplace, want)


def test_partial_overlap_gives_the_result_of_separate_arrays():
    buf = cp.asarray(random_floats(5000, np.float32, seed=6))
    host = cp.asnumpy(buf)
    want = fastdrop.dropout(host[:4000], 0.5, seed=1)
    fastdrop.dropout(buf[:4000], 0.5, seed=1, out=buf[1000:])
    assert same(buf[1000:], want)


def test_generator_and_layer_follow_the_cpu():
    x = random_floats(3000, np.float32, seed=7)
    g_gpu, g_cpu = fastdrop.Generator(99), fastdrop.Generator(99)
    for _ in range(3):
        assert same(g_gpu.dropout(cp.asarray(x), 0.3), g_cpu.dropout(x, 0.3))
    assert g_gpu.offset == g_cpu.offset == 9000
    y, m = g_gpu.dropout_forward(cp.asarray(x), 0.3, store="seed")
    want, _ = g_cpu.dropout_forward(x, 0.3, store="seed")
    assert same(y, want) and m.offset == 9000
    layer_gpu, layer_cpu = fastdrop.Dropout(0.25, seed=4), fastdrop.Dropout(0.25, seed=4)
    assert same(layer_gpu(cp.asarray(x)), layer_cpu(x))
    g = random_floats(3000, np.float32, seed=8)
    assert same(layer_gpu.backward(cp.asarray(g)), layer_cpu.backward(g))
    assert same(layer_gpu.eval()(cp.asarray(x)), layer_cpu.eval()(x))


def test_mask_on_the_gpu():
    x = random_floats(777, np.float64, seed=9)
    _, gmask = fastdrop.dropout_forward(cp.asarray(x), 0.5, seed=3)
    _, cmask = fastdrop.dropout_forward(x, 0.5, seed=3)
    assert isinstance(gmask.to_bool(), cp.ndarray)
    assert (cp.asnumpy(gmask.to_bool()) == cmask.to_bool()).all()
    assert same(gmask.packed_bits(), cmask.packed_bits())
    assert gmask.nbytes == cmask.nbytes


def test_mask_kernel_equals_cpu():
    from fastdrop._gpu import _api
    for n, offset, p in [(1, 0, 0.5), (BLOCK + 9, 5, 0.1), (10**5, 2**63, 0.7), (40, 0, 0.0)]:
        bits = _api.mask_bits(6, offset, p, n)
        assert same(bits, fastdrop.Mask(n, p, seed=6, offset=offset).packed_bits())


def test_mixed_numpy_and_cupy_arguments_are_refused():
    x = cp.ones(8, cp.float32)
    with pytest.raises(TypeError, match="^out must be a cupy.ndarray"):
        fastdrop.dropout(x, 0.5, seed=1, out=np.ones(8, np.float32))
    with pytest.raises(TypeError, match="^x must be a cupy.ndarray"):
        fastdrop.dropout(np.ones(8, np.float32), 0.5, seed=1, out=x)
    _, cpu_mask = fastdrop.dropout_forward(np.ones(8, np.float32), 0.5, seed=1)
    with pytest.raises(TypeError, match="^mask must be a cupy.ndarray"):
        fastdrop.dropout_backward(x, cpu_mask)


def test_bad_gpu_arguments_name_themselves():
    x = cp.ones(8, cp.float32)
    with pytest.raises(TypeError, match="^x must have dtype"):
        fastdrop.dropout(cp.ones(8, cp.int32), 0.5, seed=1)
    with pytest.raises(TypeError, match="^out must have dtype"):
        fastdrop.dropout(x, 0.5, seed=1, out=cp.ones(8, cp.float64))
    with pytest.raises(ValueError, match="^out must have shape"):
        fastdrop.dropout(x, 0.5, seed=1, out=cp.ones(9, cp.float32))
    with pytest.raises(ValueError, match="^p must be in"):
        fastdrop.dropout(x, 1.5, seed=1)
    with pytest.raises(ValueError, match="^offset"):
        fastdrop.dropout(x, 0.5, seed=1, offset=2**64 - 2)
    before = cp.asnumpy(x)
    with pytest.raises(ValueError):
        fastdrop.dropout(x, 0.5, seed=1, out=x[:4])
    assert (cp.asnumpy(x) == before).all()


def test_runs_on_the_current_stream():
    x = random_floats(1 << 20, np.float32, seed=10)
    stream = cp.cuda.Stream(non_blocking=True)
    with stream:
        y = fastdrop.dropout(cp.asarray(x), 0.5, seed=1)
    stream.synchronize()
    assert same(y, fastdrop.dropout(x, 0.5, seed=1))


def test_nan_payloads_match_the_cpu():
    for dtype, uint in [(np.float32, np.uint32), (np.float64, np.uint64), (np.float16, np.uint16)]:
        x = random_floats(4096, dtype, seed=11)
        bits = x.view(uint)
        nbits = 8 * x.itemsize
        mant = {16: 10, 32: 23, 64: 52}[nbits]
        exp_all = ((1 << (nbits - 1)) - 1) ^ ((1 << mant) - 1)
        bits[::7] = exp_all | 1            # signalling NaNs with a payload
        bits[3::7] = exp_all | (1 << (nbits - 1)) | 5
        base = random_floats(4096, dtype, seed=12)
        base[::5] = np.inf
        x[::5] = -np.inf                   # inf + -inf: the default NaN
        mask = fastdrop.Mask(4096, 0.25, seed=3)
        for accumulate in (False, True):
            want = fastdrop.dropout_backward(x, mask, out=base.copy(), accumulate=accumulate)
            got = fastdrop.dropout_backward(cp.asarray(x), mask, out=cp.asarray(base),
                                            accumulate=accumulate)
            assert same(got, want), (dtype, accumulate)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_inference_equals_cpu(dtype):
    x = random_floats(5000, dtype, seed=13)
    for scaling in ("inverted", "classic"):
        for p in (0.0, 0.3, 1.0):
            want = fastdrop.dropout(x, p, seed=1, training=False, scaling=scaling)
            assert same(fastdrop.dropout(cp.asarray(x), p, seed=1, training=False,
                                         scaling=scaling), want), (scaling, p)
    layer = fastdrop.Dropout(0.3, seed=1, scaling="classic").eval()
    assert same(layer(cp.asarray(x)), fastdrop.Dropout(0.3, seed=1, scaling="classic").eval()(x))


def test_subnormals_are_kept_as_on_the_cpu():
    """CuPy compiles kernels with -ftz=true; the kernels' arithmetic must not flush."""
    for dtype in DTYPES:
        tiny = np.finfo(dtype).smallest_subnormal
        x = (np.arange(1, 4097) % 97).astype(dtype) * tiny
        base = x[::-1].copy()
        mask = fastdrop.Mask(x.size, 0.25, seed=5)
        for accumulate in (False, True):
            want = fastdrop.dropout_backward(x, mask, out=base.copy(), accumulate=accumulate)
            got = fastdrop.dropout_backward(cp.asarray(x), mask, out=cp.asarray(base),
                                            accumulate=accumulate)
            assert same(got, want), (dtype, accumulate)
        assert same(fastdrop.dropout(cp.asarray(x), 0.3, seed=2), fastdrop.dropout(x, 0.3, seed=2))

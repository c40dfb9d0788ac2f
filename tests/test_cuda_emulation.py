"""The CUDA kernels, built for the host, equal the CPU path bit for bit.

src_c/cuda/host_emulation.cpp compiles kernels.cu unchanged with g++ and runs
each launch with every block and thread index (threads as fibers, so the
warp shuffles meet as on a GPU). The launches below take the arguments the
GPU path passes and several geometries: one warp, odd grids, many segments
per stream block, a grid far smaller than the work (the grid-stride loop).
Every result must equal fastdrop's CPU functions, and on a sample the
NumPy reference, for every dtype, the edge values of p, offsets at and near
block edges and near 2**64, and sizes around step, byte and block edges.
"""

import numpy as np
import pytest

import fastdrop
from conftest import DTYPES, random_floats
from cuda_helpers import Emulator, build_emulation, same_bits
from fastdrop import _reference
from fastdrop._gpu import _geometry, _source
from fastdrop._mask import training_scale

STREAM = _source.stream_constants()
BLOCK = STREAM["BLOCK"]
# (grid, block, segments): one warp with whole blocks; odd grids; the most
# segments; a grid too small for the work; more threads than work items.
GEOMETRIES = [(1, 32, 1), (3, 64, 4), (2, 96, STREAM["STEPS"]), (5, 256, 16), (12, 64, 2)]
P_EDGES = [0.0, 2.0**-32, 1e-6, 0.5, 1.0 - 2.0**-32, 1.0]
OFFSETS = [0, 1, 3, 7, 8, BLOCK - 5, BLOCK, 3 * BLOCK + 9, 2**40 + 13]
SIZES = [1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK + 77]
SCALINGS = ["inverted", "classic"]


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    return Emulator(build_emulation(tmp_path_factory.mktemp("cuda-emulation")))


def _cases():
    """(offset, n, p, scaling) over every offset and size, cycling through p and scaling;
    every p at the block edge; sizes that end exactly at 2**64."""
    i = 0
    for offset in OFFSETS:
        for n in SIZES:
            yield offset, n, P_EDGES[i % len(P_EDGES)], SCALINGS[i % 2]
            i += 1
    for p in P_EDGES:
        yield BLOCK - 3, 40, p, "inverted"
    for n in (1, 9, BLOCK + 3):
        yield 2**64 - n, n, 0.5, "inverted"
        yield 2**64 - n - 5, n, 0.3, "classic"


def _flags(scaling, accumulate=False):
    return (1 if scaling == "inverted" else 0) | (2 if accumulate else 0)


def _misaligned(x):
    """x's values in an array one element past a 16-byte boundary (no vector accesses)."""
    buf = np.empty(x.size + 1, dtype=x.dtype)
    view = buf[1:]
    view[...] = x
    return view


def test_host_build_matches_the_stream_layout(emu):
    assert emu.lib.fd_emu_layout_ok() == 1
    assert emu.lib.fd_emu_steps() == STREAM["STEPS"]
    assert emu.lib.fd_emu_run() == STREAM["PARTS"]
    assert emu.lib.fd_emu_vec_flag() == _geometry.VEC_FLAG
    assert _geometry.THREADS <= emu.lib.fd_emu_max_threads()  # the kernels' launch bounds


def test_emulator_refuses_a_block_size_a_gpu_kernel_here_cannot_take(emu):
    x = np.ones(10, np.float32)
    rc = emu.lib.fd_emu_dropout(4, x.ctypes.data, x.ctypes.data, None, 1, 0, 10, 1 << 31, 2.0,
                                1, 1, 1, 48)
    assert rc == -3


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: "x".join(map(str, g)))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_forward_with_bits_equals_cpu(emu, dtype, geometry):
    for offset, n, p, scaling in _cases():
        x = random_floats(n, dtype, seed=n)
        if n % 3 == 1:
            x = _misaligned(x)
        y = np.full(n, 7, dtype=dtype)
        bits = np.full((n + 7) // 8, 0xA5, np.uint8)
        emu.dropout(x, y, bits, 11, offset, p, training_scale(p, scaling), _flags(scaling),
                    *geometry)
        want_y, mask = fastdrop.dropout_forward(x, p, seed=11, offset=offset, scaling=scaling)
        case = (offset, n, p, scaling)
        assert same_bits(y, want_y), case
        assert same_bits(bits, mask.bits), case


@pytest.mark.parametrize("geometry", GEOMETRIES[:3], ids=lambda g: "x".join(map(str, g)))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_forward_without_bits_and_in_place_equal_cpu(emu, dtype, geometry):
    for offset, n, p, scaling in _cases():
        x = random_floats(n, dtype, seed=n + 1)
        want = fastdrop.dropout(x, p, seed=5, offset=offset, scaling=scaling)
        y = x.copy()
        emu.dropout(y, y, None, 5, offset, p, training_scale(p, scaling), _flags(scaling),
                    *geometry)
        assert same_bits(y, want), (offset, n, p, scaling)


@pytest.mark.parametrize("geometry", GEOMETRIES[1:4], ids=lambda g: "x".join(map(str, g)))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_backward_from_seed_with_accumulation_equals_cpu(emu, dtype, geometry):
    for offset, n, p, scaling in _cases():
        grad = random_floats(n, dtype, seed=n + 2)
        base = random_floats(n, dtype, seed=n + 3)
        mask = fastdrop.Mask((n,), p, seed=9, offset=offset, scaling=scaling)
        for accumulate in (False, True):
            out = base.copy()
            want = fastdrop.dropout_backward(grad, mask, out=out, accumulate=accumulate)
            y = base.copy()
            emu.dropout(grad, y, None, 9, offset, p, mask.scale, _flags(scaling, accumulate),
                        *geometry)
            assert same_bits(y, want), (offset, n, p, scaling, accumulate)


@pytest.mark.parametrize("geometry", [(1, 32), (3, 64), (7, 256)], ids=lambda g: "x".join(map(str, g)))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_backward_from_bits_equals_cpu(emu, dtype, geometry):
    for offset, n, p, scaling in _cases():
        x = random_floats(n, dtype, seed=n + 4)
        _, mask = fastdrop.dropout_forward(x, p, seed=3, offset=offset, scaling=scaling)
        grad = random_floats(n, dtype, seed=n + 5)
        if n % 2:
            grad = _misaligned(grad)
        base = random_floats(n, dtype, seed=n + 6)
        for accumulate in (False, True):
            want = fastdrop.dropout_backward(grad, mask, out=base.copy(), accumulate=accumulate)
            y = base.copy()
            emu.apply_bits(mask.bits, grad, y, mask.scale, _flags(scaling, accumulate), *geometry)
            assert same_bits(y, want), (offset, n, p, scaling, accumulate)


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: "x".join(map(str, g)))
def test_mask_alone_equals_cpu_and_reference(emu, geometry):
    for offset, n, p, _ in _cases():
        bits = np.full((n + 7) // 8, 0x5A, np.uint8)
        emu.mask_bits(bits, 21, offset, p, n, *geometry)
        want = fastdrop.Mask((n,), p, seed=21, offset=offset).packed_bits()
        assert same_bits(bits, want), (offset, n, p)
        if n <= 64:
            ref = _reference.packed_bits(_reference.keep_mask(21, offset, p, n))
            assert same_bits(bits, ref), (offset, n, p)


def test_outputs_equal_the_reference(emu):
    """A sample against the NumPy oracle directly, not only the CPU kernels."""
    for dtype in DTYPES:
        for offset, n, p in [(0, 100, 0.5), (BLOCK - 7, 30, 0.25), (2**64 - 70, 70, 0.9)]:
            x = random_floats(n, dtype, seed=1)
            y = np.empty_like(x)
            bits = np.empty((n + 7) // 8, np.uint8)
            emu.dropout(x, y, bits, 77, offset, p, training_scale(p, "inverted"), 1, 3, 64, 4)
            assert same_bits(y, _reference.dropout(x, p, seed=77, offset=offset))
            keep = _reference.keep_mask(77, offset, p, n)
            assert same_bits(bits, _reference.packed_bits(keep))


def test_nan_payloads_and_invalid_sums_follow_the_cpu(emu):
    """Kept NaNs keep sign and payload (quieted); inf + -inf gives x86's default NaN."""
    for dtype, uint in [(np.float32, np.uint32), (np.float64, np.uint64), (np.float16, np.uint16)]:
        n = 64
        x = np.zeros(n, dtype)
        bits = x.view(uint)
        nbits = np.dtype(dtype).itemsize * 8
        exp_all = ((1 << (nbits - 1)) - 1) ^ ((1 << {16: 10, 32: 23, 64: 52}[nbits]) - 1)
        bits[0::4] = exp_all | 1                      # signalling NaN, payload 1
        bits[1::4] = exp_all | 1 | (1 << (nbits - 1))  # negative signalling NaN
        x[2::4] = np.inf
        x[3::4] = -np.inf
        base = np.zeros(n, dtype)
        base[2::4] = -np.inf
        base[3::4] = np.inf
        mask = fastdrop.Mask((n,), 0.0, seed=0)
        for accumulate in (False, True):
            want = fastdrop.dropout_backward(x, mask, out=base.copy(), accumulate=accumulate)
            y = base.copy()
            emu.dropout(x, y, None, 0, 0, 0.0, 1.0, _flags("inverted", accumulate), 1, 32, 1)
            assert same_bits(y, want), (dtype, accumulate)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_every_geometry_gives_the_same_bits(emu, dtype):
    n, offset, p = 3 * BLOCK + 101, BLOCK - 13, 0.4
    x = random_floats(n, dtype, seed=8)
    results = set()
    for grid, block, segments in GEOMETRIES + [(1, 256, 8), (9, 32, 32)]:
        y = np.empty_like(x)
        bits = np.empty((n + 7) // 8, np.uint8)
        emu.dropout(x, y, bits, 4, offset, p, training_scale(p, "inverted"), 1, grid, block,
                    segments)
        results.add(y.tobytes() + bits.tobytes())
    assert len(results) == 1


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_classic_inference_as_the_gpu_path_runs_it(emu, dtype):
    """fastdrop._gpu runs x * (1 - p) as the kernel with every element kept."""
    for n, p in [(1, 0.5), (BLOCK + 3, 0.3), (5000, 1.0 - 2.0**-32), (70, 1.0)]:
        x = random_floats(n, dtype, seed=n)
        want = fastdrop.dropout(x, p, seed=1, training=False, scaling="classic")
        y = np.empty_like(x)
        emu.dropout(x, y, None, 0, 0, 0.0, 1.0 - p, 1, 3, 64, 4)
        assert same_bits(y, want), (n, p)

"""The variants on CuPy arrays give the CPU's bits, with or without a GPU.

Without one, CuPy is stood in by NumPy (tests/cupy_standin.py) and the
kernels of src_c/cuda/kernels.cu run in the host emulation, launched with
the geometry the GPU path computes, on two stand-in devices (one with a
grid smaller than the work, so the grid-stride loops turn). Where CuPy sees
a device, the same tests also run on it ("device"; skipped, saying so,
elsewhere), which adds what the stand-in cannot show: CuPy's own behaviour
and the GPU's NaN and subnormal arithmetic. Each public variant gets CuPy
arrays and must return CuPy arrays (and Masks whose bits are CuPy arrays)
holding exactly the bytes the NumPy path gives: the forwards, the masks,
the backwards, the layers, for float16, float32 and float64.
"""

import types

import numpy as np
import pytest

import fastdrop
from conftest import DTYPES, random_floats
from cuda_helpers import build_emulation, same_bits
from cupy_standin import asdevice, install


def _host(a):
    return np.asarray(a).view(np.ndarray)


@pytest.fixture(scope="module")
def emulation(tmp_path_factory):
    return build_emulation(tmp_path_factory.mktemp("cuda-variants"))


def _real_cupy():
    try:
        import cupy
    except ImportError:
        pytest.skip("CuPy is not installed: the device run needs it and a GPU")
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception:  # CUDARuntimeError without a driver or device
        count = 0
    if count == 0:
        pytest.skip("no CUDA device is visible: the device run needs one")
    return types.SimpleNamespace(ndarray=cupy.ndarray, put=lambda a: cupy.array(a, copy=True),
                                 get=cupy.asnumpy, launches=None)


@pytest.fixture(params=[(2, 256), (1, 32), "device"], ids=["two-sm", "small-grid", "device"])
def cp(request, monkeypatch):
    """The GPU under test: .ndarray its array type, .put(a) a NumPy array's copy
    on it, .get(a) an array of it back in host memory."""
    if request.param == "device":
        return _real_cupy()
    emulation = request.getfixturevalue("emulation")
    mod = install(monkeypatch, emulation, *request.param)
    return types.SimpleNamespace(ndarray=mod.ndarray, put=asdevice, get=_host,
                                 launches=mod.kernels.launches)


def _data(shape, dtype, seed=0):
    x = random_floats(int(np.prod(shape)), dtype, seed).reshape(shape)
    if x.size >= 16 and np.dtype(dtype) != np.float16:
        x.reshape(-1)[5] = np.finfo(dtype).smallest_subnormal * 3  # a subnormal input
    return x


def _same(cp, gpu, cpu):
    assert isinstance(gpu, cp.ndarray), f"the result is a {type(gpu).__name__}, not on the GPU"
    assert same_bits(cp.get(gpu), cpu)


def _same_mask(cp, gmask, cmask):
    assert gmask.shape == cmask.shape and gmask.p == cmask.p
    assert (gmask.seed, gmask.offset, gmask.scaling) == (cmask.seed, cmask.offset, cmask.scaling)
    if cmask.nbytes:
        assert isinstance(gmask.bits, cp.ndarray)
    assert same_bits(cp.get(gmask.packed_bits()), cmask.packed_bits())


NOISE_SHAPES = [(3, 4, 1, 1), (1, 4, 1, 6), (3, 1, 5, 1), (1, 1, 1, 1), (3, 4, 5, 6),
                (3, None, 1, None)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nshape", NOISE_SHAPES)
@pytest.mark.parametrize("store", ["bits", "seed"])
def test_noise_shapes_forward_and_backward(cp, dtype, nshape, store):
    x = _data((3, 4, 5, 6), dtype)
    g = _data((3, 4, 5, 6), dtype, seed=1)
    kw = dict(seed=7, offset=11, noise_shape=nshape)
    yc, mc = fastdrop.dropout_forward(x, 0.3, store=store, **kw)
    yg, mg = fastdrop.dropout_forward(cp.put(x), 0.3, store=store, **kw)
    _same(cp, yg, yc)
    _same_mask(cp, mg, mc)
    _same(cp, fastdrop.dropout(cp.put(x), 0.3, **kw), fastdrop.dropout(x, 0.3, **kw))
    _same(cp, fastdrop.dropout_backward(cp.put(g), mg), fastdrop.dropout_backward(g, mc))
    acc_c, acc_g = x.copy(), cp.put(x)
    fastdrop.dropout_backward(g, mc, out=acc_c, accumulate=True)
    fastdrop.dropout_backward(cp.put(g), mg, out=acc_g, accumulate=True)
    _same(cp, acc_g, acc_c)


@pytest.mark.parametrize("dtype", DTYPES)
def test_broadcast_dims_classic_scaling_and_the_generator(cp, dtype):
    x = _data((4, 3, 10), dtype)
    kw = dict(seed=3, broadcast_dims=(0, -1), scaling="classic")
    _same(cp, fastdrop.dropout(cp.put(x), 0.6, **kw), fastdrop.dropout(x, 0.6, **kw))
    gc, gg = fastdrop.Generator(5), fastdrop.Generator(5)
    for _ in range(3):
        _same(cp, gg.dropout(cp.put(x), 0.4, noise_shape=(1, 3, 10)),
              gc.dropout(x, 0.4, noise_shape=(1, 3, 10)))
        yg, mg = gg.dropout_forward(cp.put(x), 0.4, broadcast_dims=1)
        yc, mc = gc.dropout_forward(x, 0.4, broadcast_dims=1)
        _same(cp, yg, yc)
        _same_mask(cp, mg, mc)
    assert gg.offset == gc.offset == 3 * (30 + 40)
    # inference: the identity (or x * (1 - p)), drawing nothing
    _same(cp, gg.dropout(cp.put(x), 0.4, training=False, noise_shape=(1, 3, 10)), x)
    assert gg.offset == gc.offset


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, fmt", [((2, 3, 7), "channels_first"),
                                        ((2, 3, 4, 5), "channels_first"),
                                        ((2, 3, 4, 5), "channels_last"),
                                        ((1, 2, 3, 2, 4), "channels_last")])
def test_spatial_dropout(cp, dtype, shape, fmt):
    x = _data(shape, dtype)
    kw = dict(seed=9, offset=2, data_format=fmt, return_mask=True)
    yg, mg = fastdrop.spatial_dropout(cp.put(x), 0.5, **kw)
    yc, mc = fastdrop.spatial_dropout(x, 0.5, **kw)
    _same(cp, yg, yc)
    _same_mask(cp, mg, mc)
    _same(cp, fastdrop.spatial_dropout(cp.put(x), 0.5, seed=9, training=False), x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["row", "batch"])
@pytest.mark.parametrize("scale_by_keep", [True, False])
def test_drop_path(cp, dtype, mode, scale_by_keep):
    x = _data((6, 5, 4), dtype)
    kw = dict(seed=4, mode=mode, scale_by_keep=scale_by_keep, return_mask=True)
    for offset in (0, 1):  # the batch mode's one element: kept at one offset, dropped at the other
        yg, mg = fastdrop.drop_path(cp.put(x), 0.5, offset=offset, **kw)
        yc, mc = fastdrop.drop_path(x, 0.5, offset=offset, **kw)
        _same(cp, yg, yc)
        _same_mask(cp, mg, mc)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_alpha_dropout_and_its_backward(cp, dtype, p):
    x = _data((5, 4, 9), dtype)
    g = _data((5, 4, 9), dtype, seed=2)
    for name in ("alpha_dropout", "feature_alpha_dropout"):
        f = getattr(fastdrop, name)
        yg, mg = f(cp.put(x), p, seed=6, offset=3, return_mask=True)
        yc, mc = f(x, p, seed=6, offset=3, return_mask=True)
        _same(cp, yg, yc)
        _same_mask(cp, mg, mc)
        _same(cp, fastdrop.alpha_dropout_backward(cp.put(g), mg),
              fastdrop.alpha_dropout_backward(g, mc))
        acc_c, acc_g = x.copy(), cp.put(x)
        fastdrop.alpha_dropout_backward(g, mc, out=acc_c, accumulate=True)
        fastdrop.alpha_dropout_backward(cp.put(g), mg, out=acc_g, accumulate=True)
        _same(cp, acc_g, acc_c)
    yg = fastdrop.feature_alpha_dropout(cp.put(x), p, seed=6, data_format="channels_last")
    _same(cp, yg, fastdrop.feature_alpha_dropout(x, p, seed=6, data_format="channels_last"))


def test_alpha_backward_regenerates_a_seed_mask_on_the_device(cp):
    g = _data((40,), np.float32)
    mask = fastdrop.Mask((40,), 0.4, seed=8, offset=5)  # no bits: regenerated
    _same(cp, fastdrop.alpha_dropout_backward(cp.put(g), mask),
          fastdrop.alpha_dropout_backward(g, mask))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, fmt, k, p", [
    ((2, 3, 9, 11), "channels_first", 3, 0.2),
    ((2, 3, 9, 11), "channels_first", 7, 0.3),
    ((1, 2, 5, 5), "channels_first", 9, 0.5),     # k clipped to the map
    ((2, 8, 10, 3), "channels_last", 4, 0.25),
    ((1, 6, 6, 70), "channels_last", 2, 0.1),     # rows of many bits
    ((3, 2, 4, 4), "channels_first", 1, 0.0),
    ((1, 1, 3, 3), "channels_first", 3, 1.0),
])
def test_drop_block(cp, dtype, shape, fmt, k, p):
    x = _data(shape, dtype)
    g = _data(shape, dtype, seed=3)
    kw = dict(block_size=k, seed=12, offset=5, data_format=fmt, return_mask=True)
    yg, mg = fastdrop.drop_block(cp.put(x), p, **kw)
    yc, mc = fastdrop.drop_block(x, p, **kw)
    _same(cp, yg, yc)
    _same_mask(cp, mg, mc)
    _same(cp, fastdrop.dropout_backward(cp.put(g), mg), fastdrop.dropout_backward(g, mc))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias_shape", [None, (), (6,), (5, 6), (4, 1, 1), (4, 1, 6)])
def test_dropout_add_and_its_backward(cp, dtype, bias_shape):
    x = _data((4, 5, 6), dtype)
    r = _data((4, 5, 6), dtype, seed=4)
    g = _data((4, 5, 6), dtype, seed=5)
    b = None if bias_shape is None else _data(bias_shape, dtype, seed=6)
    bg = None if b is None else cp.put(b)
    yg, mg = fastdrop.dropout_add(cp.put(x), cp.put(r), 0.4, bias=bg, seed=2, offset=9)
    yc, mc = fastdrop.dropout_add(x, r, 0.4, bias=b, seed=2, offset=9)
    _same(cp, yg, yc)
    _same_mask(cp, mg, mc)
    grads_g = fastdrop.dropout_add_backward(cp.put(g), mg, bias_shape=bias_shape)
    grads_c = fastdrop.dropout_add_backward(g, mc, bias_shape=bias_shape)
    _same(cp, grads_g[0], grads_c[0])
    _same(cp, grads_g[2], grads_c[2])
    if bias_shape is None:
        assert grads_g[1] is None and grads_c[1] is None
    else:
        # a reduction: CuPy adds in its own order (here the stand-in is NumPy's)
        assert grads_g[1].shape == grads_c[1].shape == bias_shape


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("where", ["x", "residual"])
def test_dropout_add_in_place(cp, dtype, where):
    x = _data((3, 50), dtype)
    r = _data((3, 50), dtype, seed=1)
    b = _data((50,), dtype, seed=2)
    yc, _ = fastdrop.dropout_add(x, r, 0.5, bias=b, seed=1, store="seed")
    xg, rg = cp.put(x), cp.put(r)
    out = xg if where == "x" else rg
    yg, mg = fastdrop.dropout_add(xg, rg, 0.5, bias=cp.put(b), seed=1, store="seed", out=out)
    assert yg is out and mg.nbytes == 0
    _same(cp, yg, yc)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nshape", [None, (1, 7), (3, 1)])
def test_mc_dropout(cp, dtype, nshape):
    x = _data((3, 7), dtype)
    yc = fastdrop.mc_dropout(x, 0.5, 4, seed=3, offset=1, noise_shape=nshape)
    _same(cp, fastdrop.mc_dropout(cp.put(x), 0.5, 4, seed=3, offset=1, noise_shape=nshape), yc)
    out = cp.put(np.zeros((4, 3, 7), dtype))
    assert fastdrop.mc_dropout(cp.put(x), 0.5, 4, seed=3, offset=1, noise_shape=nshape,
                               out=out) is out
    _same(cp, out, yc)
    # x inside out: read before the samples overwrite it, as on the CPU
    buf_c = np.zeros((4, 3, 7), dtype)
    buf_c[2] = x
    buf_g = cp.put(buf_c)
    fastdrop.mc_dropout(buf_c[2], 0.5, 4, seed=3, noise_shape=nshape, out=buf_c)
    fastdrop.mc_dropout(buf_g[2], 0.5, 4, seed=3, noise_shape=nshape, out=buf_g)
    _same(cp, buf_g, buf_c)


@pytest.mark.parametrize("make, shape", [
    (lambda: fastdrop.SpatialDropout(0.5, seed=1), (2, 3, 4, 5)),
    (lambda: fastdrop.DropPath(0.5, seed=1), (4, 3, 2)),
    (lambda: fastdrop.DropPath(0.5, seed=1, scale_by_keep=False, mode="batch"), (4, 3, 2)),
    (lambda: fastdrop.AlphaDropout(0.3, seed=1), (3, 4, 5)),
    (lambda: fastdrop.AlphaDropout(0.3, seed=1, feature=True), (3, 4, 5)),
    (lambda: fastdrop.DropBlock(0.2, block_size=3, seed=1), (2, 3, 8, 8)),
    (lambda: fastdrop.Dropout(0.4, seed=1, noise_shape=(None, 1, None)), (3, 4, 5)),
])
def test_layers(cp, make, shape):
    cpu, gpu = make(), make()
    x = _data(shape, np.float32)
    g = _data(shape, np.float32, seed=1)
    for _ in range(2):
        _same(cp, gpu(cp.put(x)), cpu(x))
        _same(cp, gpu.backward(cp.put(g)), cpu.backward(g))
    _same(cp, gpu.mc_samples(cp.put(x), 3, seed=4), cpu.mc_samples(x, 3, seed=4))
    cpu.eval(), gpu.eval()
    _same(cp, gpu(cp.put(x)), cpu(x))
    _same(cp, gpu.backward(cp.put(g)), cpu.backward(g))


def test_numpy_and_cupy_arrays_are_not_mixed(cp):
    x = np.ones((2, 3, 4), np.float32)
    with pytest.raises(TypeError, match="residual"):
        fastdrop.dropout_add(cp.put(x), x, 0.5, seed=1)
    with pytest.raises(TypeError, match="bias"):
        fastdrop.dropout_add(cp.put(x), cp.put(x), 0.5, bias=np.ones(4, np.float32), seed=1)
    with pytest.raises(TypeError, match="out"):
        fastdrop.spatial_dropout(cp.put(x), 0.5, seed=1, out=np.empty_like(x))
    with pytest.raises(TypeError, match="x"):
        fastdrop.alpha_dropout(x, 0.5, seed=1, out=cp.put(x))
    y, mask = fastdrop.drop_path(cp.put(x), 0.5, seed=1, return_mask=True)
    with pytest.raises(TypeError, match="mask"):
        fastdrop.alpha_dropout_backward(x, mask)


def test_bad_arguments_name_themselves_on_the_gpu(cp):
    x = cp.put(np.ones((2, 3, 4, 5), np.float32))
    with pytest.raises(ValueError, match="x"):
        fastdrop.spatial_dropout(cp.put(np.ones((2, 3), np.float32)), 0.5, seed=1)
    with pytest.raises(ValueError, match="p"):
        fastdrop.drop_block(x, 1.5, seed=1)
    with pytest.raises(ValueError, match="out"):
        fastdrop.mc_dropout(x, 0.5, 2, seed=1, out=cp.put(np.empty((3, 2, 3, 4, 5), np.float32)))
    with pytest.raises(ValueError, match="residual"):
        fastdrop.dropout_add(x, cp.put(np.ones((2, 3), np.float32)), 0.5, seed=1)
    with pytest.raises(ValueError, match="noise_shape"):
        fastdrop.dropout(x, 0.5, seed=1, noise_shape=(2, 2, 1, 1))
    with pytest.raises(TypeError, match="x"):
        fastdrop.alpha_dropout(cp.put(np.ones(3, np.int32)), 0.5, seed=1)


def test_each_variant_runs_its_kernels(cp):
    """The stand-in records the kernels launched: each variant's own kernels ran."""
    if cp.launches is None:
        pytest.skip("the device does not record its launches")
    x = cp.put(_data((2, 3, 4, 5), np.float32))
    cases = [
        (lambda: fastdrop.spatial_dropout(x, 0.5, seed=1),
         ["fd_gpu_mask_bits", "fd_gpu_noise_apply_f32"]),
        (lambda: fastdrop.alpha_dropout(x, 0.5, seed=1), ["fd_gpu_mask_bits",
                                                          "fd_gpu_noise_affine_f32"]),
        (lambda: fastdrop.drop_block(x, 0.5, block_size=3, seed=1),
         ["fd_gpu_mask_bits", "fd_gpu_block_keep", "fd_gpu_apply_bits_f32"]),
        (lambda: fastdrop.dropout_add(x, x, 0.5, bias=cp.put(np.ones(5, np.float32)), seed=1),
         ["fd_gpu_add_f32", "fd_gpu_dropout_f32"]),
        (lambda: fastdrop.dropout(x, 0.5, seed=1, noise_shape=(2, 3, 4, 5)),
         ["fd_gpu_dropout_f32"]),
    ]
    for call, kernels in cases:
        del cp.launches[:]
        call()
        assert cp.launches == kernels


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_non_contiguous_inputs_and_outputs(cp, dtype):
    """x read in C order of its shape, out written through its strides, as on the CPU."""
    base = _data((5, 8, 6, 3), dtype)
    x = base.transpose(0, 3, 2, 1)  # (5, 3, 6, 8), not contiguous
    xg = cp.put(base).transpose(0, 3, 2, 1)
    calls = [
        lambda a, **k: fastdrop.spatial_dropout(a, 0.4, seed=2, **k),
        lambda a, **k: fastdrop.alpha_dropout(a, 0.4, seed=2, **k),
        lambda a, **k: fastdrop.drop_block(a, 0.3, block_size=3, seed=2, **k),
        lambda a, **k: fastdrop.drop_path(a, 0.4, seed=2, **k),
        lambda a, **k: fastdrop.dropout(a, 0.4, seed=2, broadcast_dims=(1,), **k),
    ]
    for call in calls:
        yc = call(x)
        _same(cp, call(xg), yc)
        out_c = np.zeros((5, 3, 6, 16), dtype)[..., ::2]
        out_g = cp.put(np.zeros((5, 3, 6, 16), dtype))[..., ::2]
        assert call(xg, out=out_g) is out_g
        call(x, out=out_c)
        _same(cp, out_g, out_c)
    r = _data((5, 3, 6, 8), dtype, seed=9)
    yc, _ = fastdrop.dropout_add(x, r, 0.5, bias=r[0, :, :1, :], seed=4)
    yg, _ = fastdrop.dropout_add(xg, cp.put(r), 0.5, bias=cp.put(r)[0, :, :1, :], seed=4)
    _same(cp, yg, yc)

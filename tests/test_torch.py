"""fastdrop.torch: the custom operators and modules give the NumPy API's bits, and train.

Every forward is compared bit for bit with the NumPy function it wraps, on
the same seed and offset; every backward with the NumPy backward on the
Mask that function returns. Without torch the tests skip, saying so, and
fail instead under FASTDROP_REQUIRE_INTEROP=1 (as in CI).
"""

import importlib.util
import io
import subprocess
import sys
import warnings

import numpy as np
import pytest

from conftest import random_floats, unavailable

import fastdrop

try:
    import torch

    import fastdrop.torch as ft
    from fastdrop.torch import _arrays, _ops
except ImportError:
    torch = None

FLOATS = ["float16", "float32", "float64"]


@pytest.fixture(autouse=True)
def _needs_torch():
    if torch is None:
        unavailable("torch is not installed (pip install 'fastdropout[torch]')",
                    "FASTDROP_REQUIRE_INTEROP")


def _bits(a):
    """The bytes of a tensor or array, for bit-for-bit comparison (NaN payloads included)."""
    if isinstance(a, np.ndarray):
        return a.shape, a.dtype.itemsize, np.ascontiguousarray(a).tobytes()
    a = a.detach().contiguous()
    if a.dtype is torch.bfloat16:
        a = a.view(torch.int16)
    return tuple(a.shape), a.element_size(), a.numpy().tobytes()


def same(t, a) -> bool:
    return _bits(t) == _bits(a)


def _tensor(shape, dtype, seed=0):
    n = int(np.prod(shape))
    return torch.from_numpy(random_floats(n, getattr(np, dtype), seed).reshape(shape))


# (name, torch function, input shape, NumPy forward returning (y, Mask), NumPy backward)
def _cases():
    alpha_back = fastdrop.alpha_dropout_backward
    back = fastdrop.dropout_backward
    return [
        ("dropout", lambda x, **k: ft.dropout(x, 0.3, **k), (6, 7),
         lambda x, **k: fastdrop.dropout_forward(x, 0.3, **k), back),
        ("dropout1d", lambda x, **k: ft.dropout1d(x, 0.4, **k), (3, 4, 5),
         lambda x, **k: fastdrop.spatial_dropout(x, 0.4, return_mask=True, **k), back),
        ("dropout1d-unbatched", lambda x, **k: ft.dropout1d(x, 0.4, **k), (4, 5),
         lambda x, **k: fastdrop.dropout_forward(x, 0.4, noise_shape=(4, 1), **k), back),
        ("dropout2d", lambda x, **k: ft.dropout2d(x, 0.4, **k), (2, 5, 3, 3),
         lambda x, **k: fastdrop.spatial_dropout(x, 0.4, return_mask=True, **k), back),
        ("dropout3d", lambda x, **k: ft.dropout3d(x, 0.4, **k), (2, 3, 2, 2, 2),
         lambda x, **k: fastdrop.spatial_dropout(x, 0.4, return_mask=True, **k), back),
        ("dropout3d-unbatched", lambda x, **k: ft.dropout3d(x, 0.4, **k), (5, 2, 2, 2),
         lambda x, **k: fastdrop.dropout_forward(x, 0.4, noise_shape=(5, 1, 1, 1), **k), back),
        ("alpha_dropout", lambda x, **k: ft.alpha_dropout(x, 0.2, True, **k), (5, 9),
         lambda x, **k: fastdrop.alpha_dropout(x, 0.2, return_mask=True, **k), alpha_back),
        ("feature_alpha_dropout", lambda x, **k: ft.feature_alpha_dropout(x, 0.2, True, **k),
         (3, 4, 5),
         lambda x, **k: fastdrop.feature_alpha_dropout(x, 0.2, return_mask=True, **k),
         alpha_back),
        ("drop_path", lambda x, **k: ft.drop_path(x, 0.5, **k), (8, 3, 2),
         lambda x, **k: fastdrop.drop_path(x, 0.5, return_mask=True, **k), back),
        ("drop_path-unscaled", lambda x, **k: ft.drop_path(x, 0.5, scale_by_keep=False, **k),
         (8, 3),
         lambda x, **k: fastdrop.drop_path(x, 0.5, scale_by_keep=False, return_mask=True, **k),
         back),
        ("drop_block", lambda x, **k: ft.drop_block(x, 0.2, block_size=3, **k), (2, 3, 7, 6),
         lambda x, **k: fastdrop.drop_block(x, 0.2, block_size=3, return_mask=True, **k), back),
    ]


CASE_NAMES = ["dropout", "dropout1d", "dropout1d-unbatched", "dropout2d", "dropout3d",
              "dropout3d-unbatched", "alpha_dropout", "feature_alpha_dropout", "drop_path",
              "drop_path-unscaled", "drop_block"]


def _case(name):
    return next(c for c in _cases() if c[0] == name)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", CASE_NAMES)
def test_forward_and_backward_equal_the_numpy_api(name, dtype):
    _, fn, shape, np_forward, np_backward = _case(name)
    x = _tensor(shape, dtype, seed=len(name))
    y_np, mask = np_forward(x.numpy(), seed=11, offset=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dropout2d on 3-D input warns, as torch's does
        assert same(fn(x, seed=11, offset=5), y_np)  # no autograd: the eager fast path
        xg = x.clone().requires_grad_()
        y = fn(xg, seed=11, offset=5)  # autograd
    assert same(y, y_np)
    g = _tensor(shape, dtype, seed=99)
    (dx,) = torch.autograd.grad(y, xg, g)
    assert same(dx, np_backward(g.numpy(), mask))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kind, noise_shape, store_bits", [
    (0, [], True), (0, [], False), (0, [4, 1, 3], True), (0, [4, 1, 3], False),
    (1, [4, 1, 1], True), (1, [4, 1, 1], False), (2, [], True), (2, [4, 5, 1], True)])
def test_operator_equals_the_numpy_api(kind, noise_shape, store_bits, dtype):
    """The custom operator itself (what torch.compile calls), bits and backward; alpha
    dropout always keeps its bits (its callers pass store_bits=True)."""
    x = _tensor((4, 5, 3), dtype, seed=3)
    y, bits, seed = torch.ops.fastdrop.dropout(x, 0.25, 7, 2, False, store_bits, noise_shape,
                                               kind)
    ns = tuple(noise_shape) or None
    xn = x.numpy()
    if kind == _ops.ALPHA:
        f = fastdrop.feature_alpha_dropout if ns else fastdrop.alpha_dropout
        y_np, mask = f(xn, 0.25, seed=7, offset=2, return_mask=True)
    else:
        y_np, mask = fastdrop.dropout_forward(xn, 0.25, seed=7, offset=2, noise_shape=ns,
                                              scaling="classic" if kind == _ops.UNSCALED
                                              else "inverted")
    assert same(y, y_np) and seed.tolist() == [7, 2]
    m = mask.size
    assert bits.dtype is torch.uint8 and bits.numel() == ((m + 7) // 8 if store_bits else 0)
    if store_bits:
        assert bytes(bits.numpy()) == bytes(mask.bits)
    g = _tensor((4, 5, 3), dtype, seed=8)
    dx = torch.ops.fastdrop.dropout_backward(g, bits, seed, 0.25, store_bits, list(mask.shape),
                                             kind)
    back = fastdrop.alpha_dropout_backward if kind == _ops.ALPHA else fastdrop.dropout_backward
    assert same(dx, back(g.numpy(), mask))


def test_non_contiguous_input():
    base = _tensor((6, 10), "float32", seed=4)
    for x in (base.t(), base[:, ::3], base[1:5, 2:9].t()):
        assert not x.is_contiguous()
        y = ft.dropout(x, 0.5, seed=3)
        assert y.is_contiguous()
        assert same(y, fastdrop.dropout(x.numpy(), 0.5, seed=3))
        assert same(y, fastdrop.dropout(x.contiguous().numpy(), 0.5, seed=3))
        xg = x.detach().clone().requires_grad_()
        yg = ft.dropout(xg.t().contiguous().t(), 0.5, seed=3)  # a non-contiguous autograd input
        assert same(yg, y)


def test_saved_mask_is_one_bit_per_element_or_nothing():
    saved = []

    def pack(t):
        saved.append((t.dtype, t.numel()))
        return t

    x = torch.randn(1000, 3, requires_grad=True)
    for store, want in (("bits", [(torch.uint8, 375)]), ("seed", [(torch.uint8, 0)])):
        saved.clear()
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            y = ft.dropout(x, 0.5, seed=1, store=store)
        assert saved == want
        (dx,) = torch.autograd.grad(y, x, torch.ones_like(y))
        assert same(dx, fastdrop.dropout_backward(np.ones((1000, 3), np.float32),
                                                  fastdrop.dropout_forward(
                                                      x.detach().numpy(), 0.5, seed=1)[1]))


def _bfloat16_or_skip():
    if _arrays.bfloat16_dtype() is None:
        unavailable("ml_dtypes is not installed (pip install 'fastdropout[torch]')",
                    "FASTDROP_REQUIRE_INTEROP")


def _round_to_bfloat16(y32: np.ndarray) -> np.ndarray:
    """float32 values rounded to bfloat16 to nearest, ties to even (finite inputs), as uint16."""
    u = y32.view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def test_the_rounding_of_the_bfloat16_test_is_nearest_even():
    """The test's own rounding agrees with torch's float32 -> bfloat16 conversion."""
    y32 = np.concatenate([random_floats(5000, np.float32, 1)[4:],
                          np.array([1 + 2**-8, 1 + 3 * 2**-8, 1 + 2**-8 + 2**-20], np.float32)])
    ours = _round_to_bfloat16(y32)
    theirs = torch.from_numpy(y32).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    assert np.array_equal(ours, theirs)
    assert list(ours[-3:]) == [0x3F80, 0x3F82, 0x3F81]  # ties to even, down and up; above a tie


def test_bfloat16_is_the_float32_result_rounded_to_nearest_even():
    _bfloat16_or_skip()
    rng = np.random.default_rng(5)
    x = torch.from_numpy(rng.standard_normal(4099).astype(np.float32) * 3).to(torch.bfloat16)
    x[:3] = torch.tensor([0.0, -0.0, 3.0e38])
    y = ft.dropout(x, 0.3, seed=9, offset=4)
    y32 = fastdrop.dropout(x.float().numpy(), 0.3, seed=9, offset=4)
    assert y.dtype is torch.bfloat16
    assert np.array_equal(y.view(torch.int16).numpy().view(np.uint16), _round_to_bfloat16(y32))
    xb = x.view(torch.int16).numpy().view(_arrays.bfloat16_dtype())
    assert same(y, fastdrop.dropout(xb, 0.3, seed=9, offset=4))
    xg = x.clone().requires_grad_()
    yg = ft.dropout(xg, 0.3, seed=9, offset=4)
    assert same(yg, y)
    g = torch.ones_like(x)
    (dx,) = torch.autograd.grad(yg, xg, g)
    mask = fastdrop.dropout_forward(xb, 0.3, seed=9, offset=4)[1]
    gb = g.view(torch.int16).numpy().view(_arrays.bfloat16_dtype())
    assert same(dx, fastdrop.dropout_backward(gb, mask))


def test_bfloat16_works_or_says_it_needs_ml_dtypes():
    x = torch.ones(8, dtype=torch.bfloat16)
    if _arrays.bfloat16_dtype() is not None:
        assert same(ft.dropout(x, 0.5, seed=1),
                    fastdrop.dropout(np.ones(8, _arrays.bfloat16_dtype()), 0.5, seed=1))
    else:
        with pytest.raises(TypeError, match="ml_dtypes"):
            ft.dropout(x, 0.5, seed=1)
        with pytest.raises(TypeError, match="bfloat16"):
            ft.dropout(x.clone().requires_grad_(), 0.5, seed=1)


@pytest.mark.parametrize("fn", [
    lambda t: ft.dropout(t, 0.4, seed=3),
    lambda t: ft.dropout(t, 0.4, seed=3, store="seed"),
    lambda t: ft.dropout2d(t, 0.4, seed=3),
    lambda t: ft.alpha_dropout(t, 0.4, True, seed=3),
    lambda t: ft.feature_alpha_dropout(t, 0.4, True, seed=3),
    lambda t: ft.drop_path(t, 0.5, seed=3, scale_by_keep=False),
    lambda t: ft.drop_block(t, 0.3, block_size=2, seed=3),
], ids=["dropout", "dropout-seed", "dropout2d", "alpha", "feature_alpha", "drop_path",
        "drop_block"])
def test_gradcheck(fn):
    x = torch.randn(3, 4, 2, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(fn, (x,))
    assert torch.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("kind, noise_shape, store_bits", [
    (0, [], True), (0, [], False), (0, [3, 1], True), (1, [3, 1], False), (2, [], True),
    (3, [], True)])
def test_opcheck(kind, noise_shape, store_bits):
    x = torch.randn(3, 5, *((4, 4) if kind == _ops.BLOCK else ()), requires_grad=True)
    torch.library.opcheck(torch.ops.fastdrop.dropout.default,
                          (x, 0.3, -5, 2, False, store_bits, noise_shape, kind, 2))


def test_torch_compile_fullgraph():
    """One graph (no break) through both operators, the same bits and gradients as eager,
    seeded modules included (their stream position is a buffer the graph advances).

    The "aot_eager" backend traces with dynamo and AOT autograd on the fake
    kernels as inductor does, without inductor's code generation, which takes
    about 45 s on a loaded 2-core machine.
    """
    torch.manual_seed(0)
    lin = torch.nn.Linear(16, 16)
    drop = ft.Dropout(0.3)
    seeded = ft.Dropout2d(0.5, seed=9)

    def f(x):
        h = ft.dropout(lin(x), 0.3, seed=2**64 - 1, offset=2**63)  # seed and offset past int64
        y = drop(h)  # seed=None: drawn inside the operator at run time
        z = seeded(y.view(8, 4, 2, 2))  # the stream's next 32 elements
        return h, y, z

    compiled = torch.compile(f, fullgraph=True, backend="aot_eager")
    x = torch.randn(8, 16)
    results = []
    for fn in (compiled, f):
        lin.zero_grad()
        fastdrop.manual_seed(4)
        seeded.load_state_dict({"_extra_state": {"seed": 9, "offset": 5}})
        h, y, z = fn(x)
        assert seeded.offset == 5 + 32
        (z * torch.arange(128.0).view(8, 4, 2, 2)).sum().backward()
        results.append((h, y, z, [p.grad.clone() for p in lin.parameters()]))
    (h_c, y_c, z_c, g_c), (h_e, y_e, z_e, g_e) = results
    assert same(h_c, h_e) and same(y_c, y_e) and same(z_c, z_e)
    assert same(z_e, fastdrop.dropout(y_e.detach().view(8, 4, 2, 2).numpy(), 0.5, seed=9,
                                      offset=5, noise_shape=(8, 4, 1, 1)))
    assert all(same(a, b) for a, b in zip(g_c, g_e))
    _, y2, z2 = compiled(x)
    assert not same(y2, y_c)  # the default stream moved on: a fresh mask
    assert seeded.offset == 5 + 64 and same(z2, fastdrop.dropout(
        y2.detach().view(8, 4, 2, 2).numpy(), 0.5, seed=9, offset=37, noise_shape=(8, 4, 1, 1)))


def test_seed_none_draws_from_the_default_generator():
    x = _tensor((50,), "float32")
    fastdrop.manual_seed(123)
    a, b = ft.dropout(x, 0.5), ft.dropout(x.clone().requires_grad_(), 0.5)
    fastdrop.manual_seed(123)
    a_np, b_np = fastdrop.dropout(x.numpy(), 0.5), fastdrop.dropout(x.numpy(), 0.5)
    assert same(a, a_np) and same(b, b_np) and not same(a, b)
    fastdrop.manual_seed(123)
    m = ft.Dropout(0.5)
    assert same(m(x), a_np) and same(m(x), b_np)


def test_module_stream_and_state_dict():
    x = _tensor((4, 6), "float32")
    m = ft.Dropout(0.5, seed=2**64 - 2)
    first, second = m(x), m(x)
    assert same(first, fastdrop.dropout(x.numpy(), 0.5, seed=2**64 - 2, offset=0))
    assert same(second, fastdrop.dropout(x.numpy(), 0.5, seed=2**64 - 2, offset=24))
    assert m.offset == 48
    buf = io.BytesIO()
    torch.save(m.state_dict(), buf)
    buf.seek(0)
    restored = ft.Dropout(0.5, seed=1)
    restored.load_state_dict(torch.load(buf, weights_only=True))
    assert (restored.seed, restored.offset) == (2**64 - 2, 48)
    assert same(restored(x), m(x))
    # a torch.nn.Dropout state dict (no stream in it) loads and leaves the stream alone
    fresh = ft.Dropout(0.5, seed=5)
    fresh.load_state_dict(torch.nn.Dropout(0.5).state_dict())
    assert (fresh.seed, fresh.offset) == (5, 0)
    with pytest.raises(ValueError, match="state"):
        fresh.set_extra_state({"seed": 1})


def test_channel_modules_follow_torch_shape_rules():
    """Which axes share a mask bit: ours as torch's (measured on torch's own output)."""
    torch.manual_seed(0)
    cases = [(torch.nn.Dropout1d, ft.Dropout1d, (3, 4, 50), (3, 4, 1)),
             (torch.nn.Dropout1d, ft.Dropout1d, (4, 50), (4, 1)),
             (torch.nn.Dropout2d, ft.Dropout2d, (2, 3, 5, 6), (2, 3, 1, 1)),
             (torch.nn.Dropout2d, ft.Dropout2d, (3, 4, 50), (3, 4, 1)),
             (torch.nn.Dropout3d, ft.Dropout3d, (2, 3, 2, 3, 4), (2, 3, 1, 1, 1)),
             (torch.nn.Dropout3d, ft.Dropout3d, (3, 2, 3, 4), (3, 1, 1, 1)),
             (torch.nn.FeatureAlphaDropout, ft.FeatureAlphaDropout, (3, 4, 50), (3, 4, 1))]
    for theirs, ours, shape, noise in cases:
        x = torch.ones(shape, dtype=torch.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = theirs(0.5)(x)
            y = ours(0.5, seed=1)(x)
        axes = tuple(i for i, n in enumerate(noise) if n == 1)
        kept_t, kept_y = t != t.amin(), y != y.amin()  # dropped elements hold the minimum
        assert torch.equal(kept_t, kept_t.amax(dim=axes, keepdim=True).expand(shape))
        assert torch.equal(kept_y, kept_y.amax(dim=axes, keepdim=True).expand(shape))
        if ours is not ft.FeatureAlphaDropout:
            assert same(y, fastdrop.dropout(x.numpy(), 0.5, seed=1, noise_shape=noise))
    with pytest.warns(UserWarning, match="3-dimensional"):
        ft.Dropout2d(0.5)(torch.ones(2, 3, 4))
    with pytest.warns(UserWarning, match="4 or 5"):
        ft.Dropout3d(0.5)(torch.ones(2, 3, 4))


@pytest.mark.parametrize("make", [
    lambda **k: ft.Dropout(0.5, **k), lambda **k: ft.Dropout2d(0.5, **k),
    lambda **k: ft.AlphaDropout(0.5, **k), lambda **k: ft.FeatureAlphaDropout(0.5, **k),
], ids=["Dropout", "Dropout2d", "AlphaDropout", "FeatureAlphaDropout"])
def test_modules_inplace_eval_and_repr(make):
    x = _tensor((2, 3, 4, 4), "float32")
    want = make(seed=3)(x)
    m = make(inplace=True, seed=3)
    x2 = x.clone()
    assert m(x2) is x2 and same(x2, want)
    # in place under autograd, on a non-leaf
    xg = x.clone().requires_grad_()
    h = xg * 1.0
    y = make(inplace=True, seed=3)(h)
    assert y is h and same(y, want)
    y.backward(torch.ones_like(y))
    xo = x.clone().requires_grad_()
    make(seed=3)(xo).backward(torch.ones_like(x))
    assert same(xg.grad, xo.grad)
    m.eval()
    assert m(x) is x
    assert "p=0.5" in repr(m) and "inplace=True" in repr(m) and "seed=3" in repr(m)


def test_inplace_gradient_equals_out_of_place():
    x = _tensor((5, 8), "float64")
    xa = x.clone().requires_grad_()
    ft.Dropout(0.5, inplace=True, seed=2)(xa * 1.0).sum().backward()
    xb = x.clone().requires_grad_()
    ft.Dropout(0.5, seed=2)(xb).sum().backward()
    assert same(xa.grad, xb.grad)


def test_functional_eval_is_the_identity():
    x = _tensor((3, 4, 5), "float32")
    for f in (ft.dropout, ft.dropout1d, ft.alpha_dropout, ft.feature_alpha_dropout):
        assert f(x, 0.5, training=False) is x
    assert ft.drop_path(x, 0.5, training=False) is x
    assert ft.DropPath(0.5).eval()(x) is x


def test_drop_block_module():
    x = _tensor((2, 3, 8, 8), "float32")
    m = ft.DropBlock(0.2, block_size=3, seed=6)
    assert same(m(x), fastdrop.drop_block(x.numpy(), 0.2, block_size=3, seed=6))
    assert same(m(x), fastdrop.drop_block(x.numpy(), 0.2, block_size=3, seed=6, offset=384))
    assert m.offset == 768 and "block_size=3" in repr(m)
    with pytest.raises(ValueError, match="4 dimensions"):
        m(torch.ones(3, 8, 8))
    with pytest.raises(ValueError, match="block_size"):
        ft.DropBlock(0.2, block_size=0)
    with pytest.raises(ValueError, match="block_size"):
        ft.drop_block(x, 0.2, block_size=-1)
    assert m.eval()(x) is x


def test_drop_path_module():
    x = _tensor((8, 3), "float32")
    m = ft.DropPath(0.5, seed=4, mode="batch")
    assert same(m(x), fastdrop.drop_path(x.numpy(), 0.5, seed=4, mode="batch"))
    assert same(m(x), fastdrop.drop_path(x.numpy(), 0.5, seed=4, offset=1, mode="batch"))
    assert "mode='batch'" in repr(m)


def test_bad_arguments():
    x = torch.ones(4, 4)
    for p in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="p"):
            ft.dropout(x, p)
        for cls in (ft.Dropout, ft.Dropout2d, ft.AlphaDropout, ft.FeatureAlphaDropout):
            with pytest.raises(ValueError, match="p"):
                cls(p)
        if p == p:  # torch.nn takes NaN; fastdrop refuses it
            with pytest.raises(ValueError):
                torch.nn.Dropout(p)
    with pytest.raises(TypeError, match="p must be a real number"):
        ft.dropout(x, "0.5")
    with pytest.raises(TypeError, match="input must be a torch.Tensor"):
        ft.dropout(np.ones(4, np.float32), 0.5)
    with pytest.raises(TypeError, match="input must be a torch.Tensor"):
        ft.Dropout(0.5)([1.0, 2.0])
    with pytest.raises(TypeError, match="input must have dtype"):
        ft.dropout(torch.ones(4, dtype=torch.int64), 0.5)
    with pytest.raises(TypeError, match="training"):
        ft.dropout(x, 0.5, training=1)
    with pytest.raises(TypeError, match="inplace"):
        ft.dropout(x, 0.5, inplace="yes")
    with pytest.raises(ValueError, match="store"):
        ft.dropout(x, 0.5, store="mask")
    with pytest.raises(ValueError, match="seed"):
        ft.dropout(x, 0.5, seed=-1)
    with pytest.raises(TypeError, match="seed"):
        ft.dropout(x, 0.5, seed=1.5)
    with pytest.raises(ValueError, match="offset"):
        ft.dropout(x, 0.5, seed=1, offset=2**64 - 3)
    with pytest.raises(ValueError, match="mode"):
        ft.drop_path(x, 0.5, mode="col")
    with pytest.raises(TypeError, match="device"):
        ft.dropout(torch.empty(3, device="meta"), 0.5, seed=1)
    for bad in (torch.ones(4), torch.ones(1, 2, 3, 4)):
        with pytest.raises(ft.InputShapeError, match="dropout1d"):
            ft.Dropout1d(0.5)(bad)
        with pytest.raises(RuntimeError):  # what torch raises for these
            torch.nn.Dropout1d(0.5)(bad)
    assert issubclass(ft.InputShapeError, ValueError)
    with pytest.raises(ValueError, match="at least 2"):
        ft.feature_alpha_dropout(torch.ones(3), 0.5, True)
    y = torch.ones(3)
    before = y.clone()
    with pytest.raises(ValueError):
        ft.dropout(y, 0.5, inplace=True, seed=-1)
    assert torch.equal(y, before)  # nothing written when an error is raised


def test_a_small_model_trains():
    torch.manual_seed(0)
    fastdrop.manual_seed(0)
    x = torch.randn(256, 20)
    teacher = torch.randn(20, 1)
    target = torch.tanh(x @ teacher) + 0.05 * torch.randn(256, 1)
    model = torch.nn.Sequential(torch.nn.Linear(20, 64), torch.nn.ReLU(), ft.Dropout(0.2),
                                torch.nn.Linear(64, 64), torch.nn.ReLU(), ft.Dropout(0.2, seed=1),
                                torch.nn.Linear(64, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        final = torch.nn.functional.mse_loss(model(x), target).item()
    assert final < 0.25 * losses[0], (losses[0], final)
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])


def test_import_fastdrop_does_not_import_torch():
    code = ("import sys, fastdrop\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'ml_dtypes')\n"
            "             or m.startswith('fastdrop.torch')))\n"
            "import fastdrop.torch\n"
            "print('ml_dtypes' in sys.modules, 'cupy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "False False"], out.stdout


def _cuda_or_skip():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device is visible to torch")
    if importlib.util.find_spec("cupy") is None:
        pytest.skip("CuPy is not installed (pip install 'fastdropout[cuda13]')")


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("store", ["bits", "seed"])
def test_cuda_tensors_give_the_cpu_bits(dtype, store):
    _cuda_or_skip()
    x = _tensor((33, 65), dtype, seed=2)
    for xc in (x.cuda(), x.cuda().t().contiguous().t()):
        y = ft.dropout(xc, 0.3, seed=5, offset=3, store=store)
        assert y.is_cuda and same(y.cpu(), fastdrop.dropout(x.numpy(), 0.3, seed=5, offset=3))
        xg = xc.clone().requires_grad_()
        yg = ft.dropout(xg, 0.3, seed=5, offset=3, store=store)
        g = _tensor((33, 65), dtype, seed=6)
        (dx,) = torch.autograd.grad(yg, xg, g.cuda())
        mask = fastdrop.dropout_forward(x.numpy(), 0.3, seed=5, offset=3)[1]
        assert same(dx.cpu(), fastdrop.dropout_backward(g.numpy(), mask))


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", CASE_NAMES)
def test_cuda_variants_give_the_cpu_bits(name, dtype):
    """Every variant on a CUDA tensor: the CuPy path, the NumPy API's bits, forward
    (eager and with autograd) and backward."""
    _cuda_or_skip()
    _, fn, shape, np_forward, np_backward = _case(name)
    x = _tensor(shape, dtype, seed=len(name))
    g = _tensor(shape, dtype, seed=len(name) + 1)
    y_np, mask = np_forward(x.numpy(), seed=11, offset=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dropout2d on 3-D input warns, as torch's does
        y = fn(x.cuda(), seed=11, offset=5)
        assert y.is_cuda and same(y.cpu(), y_np)
        xg = x.cuda().requires_grad_()
        yg = fn(xg, seed=11, offset=5)
    assert same(yg.detach().cpu(), y_np)
    (dx,) = torch.autograd.grad(yg, xg, g.cuda())
    assert same(dx.cpu(), np_backward(g.numpy(), mask))

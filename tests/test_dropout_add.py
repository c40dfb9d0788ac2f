"""dropout_add: residual + dropout(x + bias), and its three gradients."""

import numpy as np
import pytest
from conftest import DTYPES, random_floats
from conftest import layouts as conftest_layouts
from helpers_variants import assert_bits_equal

import fastdrop
from fastdrop import _reference_variants as RV


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,bshape", [((10,), None), ((4, 33), (33,)), ((3, 5, 70), (5, 1)),
                                          ((2049,), ()), ((0, 3), (3,))])
def test_matches_oracle(isa, dtype, shape, bshape):
    n = int(np.prod(shape))
    x = random_floats(n, dtype).reshape(shape)
    r = random_floats(n, dtype, seed=3).reshape(shape)
    b = None if bshape is None else random_floats(int(np.prod(bshape)), dtype, 5).reshape(bshape)
    for p in (0.0, 0.3, 1.0):
        for store in ("bits", "seed"):
            y, mask = fastdrop.dropout_add(x, r, p, bias=b, seed=7, offset=3, store=store)
            assert_bits_equal(y, RV.dropout_add(x, r, p, seed=7, offset=3, bias=b))
            assert mask.store == store and mask.shape == shape
            g = random_floats(n, dtype, seed=8).reshape(shape)
            dx, db, dr = fastdrop.dropout_add_backward(g, mask, bias_shape=bshape)
            want_dx = RV.backward(g, 7, 3, p, shape)
            assert_bits_equal(dx, want_dx)
            assert_bits_equal(dr, g)
            if bshape is None:
                assert db is None
            else:
                lead = len(shape) - len(bshape)
                axes = tuple(range(lead)) + tuple(lead + k for k, m in enumerate(bshape)
                                                  if m == 1 and shape[lead + k] != 1)
                with np.errstate(all="ignore"):
                    want_db = want_dx.sum(axis=axes, dtype=want_dx.dtype).reshape(bshape)
                assert_bits_equal(db, want_db)


def test_in_place_on_residual_or_x():
    x = random_floats(300, np.float32)
    r = random_floats(300, np.float32, seed=1)
    want = RV.dropout_add(x, r, 0.5, seed=2)
    r2 = r.copy()
    fastdrop.dropout_add(x, r2, 0.5, seed=2, out=r2)
    assert_bits_equal(r2, want)
    x2 = x.copy()
    fastdrop.dropout_add(x2, r, 0.5, seed=2, out=x2)
    assert_bits_equal(x2, want)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(residual=np.ones(5, np.float32)), ValueError, "residual"),
    (dict(residual=np.ones(4, np.float64)), TypeError, "residual"),
    (dict(residual="r"), TypeError, "residual"),
    (dict(bias=np.ones(3, np.float32)), ValueError, "bias"),
    (dict(bias=np.ones((2, 4), np.float32)), ValueError, "bias"),
    (dict(bias=np.ones(4, np.float16)), TypeError, "bias"),
    (dict(store="none"), ValueError, "store"),
    (dict(offset=2**64 - 3), ValueError, "offset"),
])
def test_bad_arguments_name_themselves_and_write_nothing(kwargs, exc, match):
    args = dict(residual=np.ones(4, np.float32))
    args.update(kwargs)
    out = np.full(4, 9.0, np.float32)
    with pytest.raises(exc, match=match):
        fastdrop.dropout_add(np.ones(4, np.float32), p=0.5, seed=1, out=out, **args)
    assert (out == 9.0).all()


def test_backward_bad_arguments():
    _, mask = fastdrop.dropout_add(np.ones((2, 3)), np.ones((2, 3)), 0.5, seed=1)
    with pytest.raises(ValueError, match="bias_shape"):
        fastdrop.dropout_add_backward(np.ones((2, 3)), mask, bias_shape=(2,))
    with pytest.raises(TypeError, match="mask"):
        fastdrop.dropout_add_backward(np.ones((2, 3)), None)
    with pytest.raises(ValueError, match="grad"):
        fastdrop.dropout_add_backward(np.ones((3, 2)), mask)


def _ref_windows(y, x, r, p, seed, offset, b, starts, width=4096):
    """y against the oracle in windows [s, s + width) (s a multiple of b's length)."""
    for s in starts:
        e = min(s + width, x.size)
        want = RV.dropout_add(x[s:e], r[s:e], p, seed=seed, offset=offset + s,
                              bias=None if b is None else np.resize(b, e - s))
        assert_bits_equal(y[s:e], want)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES)
def test_chunks_threads_and_periodic_bias(isa, threads, dtype):
    """Sizes across the C walk's chunks (16 KiB) and threads' ranges, a bias whose period
    does not divide a chunk, in place on residual and on x, and the mask bits."""
    before = fastdrop.get_num_threads()
    fastdrop.set_num_threads(threads)
    try:
        n_feat, rows = 33, (3 * 16384 + 77 * 33) // 33 + 1
        x = random_floats(rows * n_feat, dtype).reshape(rows, n_feat)
        r = random_floats(rows * n_feat, dtype, seed=4).reshape(rows, n_feat)
        b = random_floats(n_feat, dtype, seed=9)
        want = RV.dropout_add(x, r, 0.3, seed=11, offset=5, bias=b)
        y, mask = fastdrop.dropout_add(x, r, 0.3, bias=b, seed=11, offset=5)
        assert_bits_equal(y, want)
        want_bits = fastdrop.dropout_forward(RV.dropout_add(x, np.zeros_like(x), 0.0, seed=0,
                                                            bias=b), 0.3, seed=11, offset=5)[1]
        assert np.array_equal(mask.bits, want_bits.bits)
        r2 = r.copy()
        fastdrop.dropout_add(x, r2, 0.3, bias=b, seed=11, offset=5, out=r2)
        assert_bits_equal(r2, want)
        x2 = x.copy()
        fastdrop.dropout_add(x2, r, 0.3, bias=b, seed=11, offset=5, out=x2)
        assert_bits_equal(x2, want)
        x3 = x.copy()
        fastdrop.dropout_add(x3, x3, 0.3, seed=11, offset=5, out=x3)
        assert_bits_equal(x3, RV.dropout_add(x, x, 0.3, seed=11, offset=5))
    finally:
        fastdrop.set_num_threads(before)


def test_dropped_elements_keep_the_residuals_bits(isa):
    """SPEC.md 10.4: a dropped element is the residual bit for bit (-0.0 and a
    signalling NaN included), a kept one fl(residual + fl(t * scale))."""
    n = 4096
    r = np.full(n, -0.0, np.float32)
    r[1::4] = np.frombuffer(np.uint32(0x7F800001).tobytes(), np.float32)[0]  # sNaN
    x = np.full(n, 2.0, np.float32)
    y, mask = fastdrop.dropout_add(x, r, 0.5, seed=3)
    keep = np.unpackbits(mask.bits, bitorder="little")[:n].astype(bool)
    assert 0 < keep.sum() < n
    assert_bits_equal(y[~keep], r[~keep])
    kept_snan = keep & (np.arange(n) % 4 == 1)
    assert (y.view(np.uint32)[kept_snan] == 0x7FC00001).all()  # quieted by the sum
    assert (y[keep & (np.arange(n) % 4 != 1)] == 4.0).all()


def test_float16_sums_the_float32_product(isa):
    """float16: the product t * scale stays float32 and only the sum is rounded (section
    6's accumulation); these values round otherwise if the product is rounded first."""
    x = np.tile(np.array([13974, 14918, 15865], np.uint16).view(np.float16), 22)
    r = np.tile(np.array([53737, 49746, 50198], np.uint16).view(np.float16), 22)
    p = 1 - 1 / 3  # scale 3.0 in float32
    y, mask = fastdrop.dropout_add(x, r, p, seed=1)
    keep = np.unpackbits(mask.bits, bitorder="little")[:x.size].astype(bool)
    scale = np.float32(1 / (1 - p))
    product = x.astype(np.float32) * scale
    want = (r.astype(np.float32) + product).astype(np.float16)
    rounded_first = (r.astype(np.float32) + product.astype(np.float16)).astype(np.float16)
    assert (want != rounded_first).all()
    assert keep.any() and (y[keep] == want[keep]).all()
    assert_bits_equal(y[~keep], r[~keep])
    assert_bits_equal(y, RV.dropout_add(x, r, p, seed=1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layouts_and_overlap(dtype):
    x = random_floats(600, dtype).reshape(20, 30)
    r = random_floats(600, dtype, seed=2).reshape(20, 30)
    b = random_floats(30, dtype, seed=6)
    want = RV.dropout_add(x, r, 0.4, seed=8, offset=1, bias=b)
    for name, xl in conftest_layouts(x):
        for rname, rl in conftest_layouts(r):
            y, _ = fastdrop.dropout_add(xl, rl, 0.4, bias=b, seed=8, offset=1)
            assert y.dtype == xl.dtype, (name, rname)  # x's byte order, as dropout gives
            assert_bits_equal(y.astype(dtype), want)
    out = np.empty((20, 30), dtype, order="F")
    fastdrop.dropout_add(x, r, 0.4, bias=b, seed=8, offset=1, out=out)
    assert_bits_equal(out, want)
    # out overlapping the residual shifted by one element: as if they did not overlap
    buf = np.concatenate([r.reshape(-1), np.zeros(1, dtype)])
    rv, ov = buf[:600].reshape(20, 30), buf[1:].reshape(20, 30)
    fastdrop.dropout_add(x, rv.copy(), 0.4, bias=b, seed=8, offset=1)
    fastdrop.dropout_add(x, rv, 0.4, bias=b, seed=8, offset=1, out=ov)
    assert_bits_equal(ov, want)


def test_streaming_size_matches_the_oracle_in_windows():
    """An output past the non-temporal store size (32 MiB), with and without a bias."""
    rows = (33 << 20) // 4 // 5 + 3
    n = rows * 5
    x = np.random.default_rng(1).standard_normal(n, np.float32)
    r = np.random.default_rng(2).standard_normal(n, np.float32)
    b = np.arange(5, dtype=np.float32)
    starts = [0, 2048 * 1000, n // 2 - n // 2 % 5, n - 4095]
    for bias in (None, b):
        y, _ = fastdrop.dropout_add(x.reshape(rows, 5), r.reshape(rows, 5), 0.5, bias=bias,
                                    seed=13, offset=7)
        _ref_windows(y.reshape(-1), x, r, 0.5, 13, 7, bias, starts)


def test_read_only_operands():
    x = random_floats(4 * 33, np.float32).reshape(4, 33)
    r = random_floats(4 * 33, np.float32, seed=1).reshape(4, 33)
    b = random_floats(33, np.float32, seed=2)
    want = RV.dropout_add(x, r, 0.5, seed=3, bias=b)
    for a in (x, r, b):
        a.flags.writeable = False
    y, _ = fastdrop.dropout_add(x, r, 0.5, seed=3, bias=b)
    assert_bits_equal(y, want)
    y, _ = fastdrop.dropout_add(x, r, 0.5, seed=3, bias=np.broadcast_to(b, (4, 33)))
    assert_bits_equal(y, want)


def test_bad_c_arguments():
    x = np.ones(10, np.float32)
    with pytest.raises(ValueError, match="bias must not be empty"):
        fastdrop._core.dropout_add(x, x, np.ones(0, np.float32), np.empty_like(x), None, 1, 0,
                                   2**31, 2.0)
    y = np.empty(11, np.float32)
    with pytest.raises(ValueError, match="y must be x itself"):
        fastdrop._core.dropout_add(y[1:], x, None, y[:10], None, 1, 0, 2**31, 2.0)

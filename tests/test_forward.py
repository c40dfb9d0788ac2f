"""dropout and dropout_forward against the pure-NumPy reference, bit for bit."""

import numpy as np
import pytest
from conftest import DTYPES, P_VALUES, SIZES, layouts, random_floats

import fastdrop
from fastdrop import _reference

SEED = 0x1234_5678_9ABC_DEF0


def bits_of(a):
    """Raw bits of a float array, so NaN, -0.0 and +0.0 compare exactly."""
    a = np.ascontiguousarray(a)
    return a.view(f"u{a.dtype.itemsize}")


def assert_same_bits(actual, expected):
    assert actual.shape == expected.shape
    actual, expected = (a.astype(a.dtype.newbyteorder("=")) for a in (actual, expected))
    assert actual.dtype == expected.dtype
    np.testing.assert_array_equal(bits_of(actual), bits_of(expected))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("scaling", ["inverted", "classic"])
def test_forward_matches_reference(isa, dtype, p, n, scaling):
    x = random_floats(n, dtype, seed=n)
    offset = 3 * n + 5
    y, mask = fastdrop.dropout_forward(x, p, seed=SEED, offset=offset, scaling=scaling)
    keep = _reference.keep_mask(SEED, offset, p, n)
    expected = _reference.dropout(x, p, seed=SEED, offset=offset, scaling=scaling)
    assert_same_bits(y, expected)
    np.testing.assert_array_equal(mask.bits, _reference.packed_bits(keep))
    np.testing.assert_array_equal(mask.to_bool(), keep)
    assert_same_bits(fastdrop.dropout(x, p, seed=SEED, offset=offset, scaling=scaling), expected)


@pytest.mark.parametrize("offset", [0, 1, 7, 8, 2040, 2047, 2048, 2049, 2**33 + 11, 2**64 - 6000])
def test_offsets(isa, offset):
    x = random_floats(6000, np.float32, seed=1)
    y = fastdrop.dropout(x, 0.3, seed=99, offset=offset)
    assert_same_bits(y, _reference.dropout(x, 0.3, seed=99, offset=offset))


@pytest.mark.parametrize("dtype", DTYPES)
def test_dropped_elements_are_positive_zero(isa, dtype):
    x = np.array([np.nan, np.inf, -np.inf, -0.0, -5.0] * 400, dtype=dtype)
    y, mask = fastdrop.dropout_forward(x, 0.5, seed=5)
    keep = mask.to_bool()
    assert 0 < keep.sum() < x.size
    assert (bits_of(y)[~keep] == 0).all()
    assert_same_bits(y[keep], (x[keep].astype(np.float64) * 2).astype(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (5, 7), (4, 3, 2, 5), (1,) * 32])
def test_shapes(isa, dtype, shape):
    x = random_floats(int(np.prod(shape)), dtype, seed=2).reshape(shape)
    y = fastdrop.dropout(x, 0.5, seed=3)
    assert y.shape == shape and y.dtype == dtype
    assert_same_bits(y, _reference.dropout(x, 0.5, seed=3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_layouts_equal_the_c_order_copy(isa, dtype):
    x = random_floats(3 * 5 * 7, dtype, seed=4).reshape(3, 5, 7)
    expected = _reference.dropout(x, 0.4, seed=11, offset=9)
    for name, view in layouts(x):
        before = view.copy()
        y = fastdrop.dropout(view, 0.4, seed=11, offset=9)
        assert y.dtype == view.dtype, name
        assert_same_bits(y, expected)
        assert_same_bits(view, before)  # input untouched


@pytest.mark.parametrize("dtype", DTYPES)
def test_out_layouts(isa, dtype):
    x = random_floats(6 * 9, dtype, seed=6).reshape(6, 9)
    expected = _reference.dropout(x, 0.25, seed=8)
    for name, out in layouts(np.zeros_like(x)):
        result = fastdrop.dropout(x.astype(out.dtype), 0.25, seed=8, out=out)
        assert result is out, name
        assert_same_bits(out, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_in_place_equals_out_of_place(isa, dtype):
    x = random_floats(9000, dtype, seed=7)
    expected = fastdrop.dropout(x, 0.5, seed=21, offset=4)
    for name, view in layouts(x):
        y = fastdrop.dropout(view, 0.5, seed=21, offset=4, out=view)
        assert y is view
        assert_same_bits(view, expected)


def test_partial_overlap_is_computed_from_the_original_input(isa):
    buf = random_floats(5000, np.float32, seed=8)
    x, out = buf[:4000], buf[1000:]
    expected = _reference.dropout(x.copy(), 0.5, seed=2)
    fastdrop.dropout(x, 0.5, seed=2, out=out)
    assert_same_bits(out, expected)


@pytest.mark.parametrize("a,b", [(0, 0), (0, 1), (3, 3000), (2047, 2049), (100, 2048), (2048, 6000), (5, 6000)])
def test_slices_with_offset_reproduce_the_whole(isa, a, b):
    x = random_floats(6000, np.float32, seed=9)
    whole = fastdrop.dropout(x, 0.5, seed=77)
    assert_same_bits(fastdrop.dropout(x[a:b], 0.5, seed=77, offset=a), whole[a:b])


def test_chunks_reproduce_the_whole(isa):
    x = random_floats(20000, np.float64, seed=10)
    whole, mask = fastdrop.dropout_forward(x, 0.2, seed=3, offset=50)
    edges = [0, 1, 9, 2000, 2048, 4095, 4097, 13000, 20000]
    parts = [fastdrop.dropout(x[a:b], 0.2, seed=3, offset=50 + a) for a, b in zip(edges, edges[1:])]
    assert_same_bits(np.concatenate(parts), whole)


def test_mask_does_not_depend_on_dtype(isa):
    x = np.ones(3000)
    masks = [fastdrop.dropout_forward(x.astype(d), 0.5, seed=4)[1].bits for d in DTYPES]
    np.testing.assert_array_equal(masks[0], masks[1])
    np.testing.assert_array_equal(masks[0], masks[2])


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("dtype", DTYPES)
def test_inference(dtype, p):
    x = random_floats(1000, dtype, seed=11)
    y = fastdrop.dropout(x, p, training=False)
    assert_same_bits(y, x)
    assert y is not x
    classic = fastdrop.dropout(x, p, training=False, scaling="classic")
    assert_same_bits(classic, _reference.dropout(x, p, seed=0, training=False, scaling="classic"))
    out = np.empty_like(x)
    assert fastdrop.dropout(x, p, training=False, out=out) is out


@pytest.mark.parametrize("dtype", DTYPES)
def test_float16_rounding_over_every_value(isa, dtype):
    """Every float16 bit pattern (and its float32/float64 value) through several scales."""
    x = np.arange(2**16, dtype=np.uint16).view(np.float16).astype(dtype)
    for p in [0.0, 0.1, 1 / 3, 0.5, 0.7, 0.999]:
        y = fastdrop.dropout(x, p, seed=12)
        assert_same_bits(y, _reference.dropout(x, p, seed=12))


def test_seed_none_draws_a_fresh_seed_and_records_it():
    x = np.ones(4096, np.float32)
    y1, m1 = fastdrop.dropout_forward(x, 0.5)
    y2, m2 = fastdrop.dropout_forward(x, 0.5)
    assert m1.seed != m2.seed
    assert_same_bits(y1, fastdrop.dropout(x, 0.5, seed=m1.seed))

"""dropout_backward from stored bits and from the seed, against the reference."""

import numpy as np
import pytest
from conftest import DTYPES, P_VALUES, layouts, random_floats
from test_forward import assert_same_bits

import fastdrop
from fastdrop import _reference


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("n", [0, 1, 17, 2049, 9001])
@pytest.mark.parametrize("scaling", ["inverted", "classic"])
def test_backward_bits_and_seed_match_reference(isa, dtype, p, n, scaling):
    x = random_floats(n, np.float32, seed=1)
    grad = random_floats(n, dtype, seed=2)
    _, by_bits = fastdrop.dropout_forward(x, p, seed=9, offset=n, scaling=scaling)
    _, by_seed = fastdrop.dropout_forward(x, p, seed=9, offset=n, scaling=scaling, store="seed")
    assert by_seed.bits is None and by_seed.nbytes == 0
    keep = _reference.keep_mask(9, n, p, n)
    expected = _reference.dropout_backward(grad, keep, p, scaling)
    assert_same_bits(fastdrop.dropout_backward(grad, by_bits), expected)
    assert_same_bits(fastdrop.dropout_backward(grad, by_seed), expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("store", ["bits", "seed"])
def test_backward_of_ones_equals_forward_of_ones(isa, dtype, store):
    x = np.ones((40, 70), dtype=dtype)
    y, mask = fastdrop.dropout_forward(x, 0.3, seed=4, store=store)
    assert_same_bits(fastdrop.dropout_backward(np.ones_like(x), mask), y)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("store", ["bits", "seed"])
@pytest.mark.parametrize("scaling", ["inverted", "classic"])
def test_accumulate(isa, dtype, store, scaling):
    n = 5000
    grad = random_floats(n, dtype, seed=3)
    start = random_floats(n, dtype, seed=4)
    _, mask = fastdrop.dropout_forward(np.ones(n, dtype), 0.4, seed=6, scaling=scaling, store=store)
    expected = _reference.dropout_backward(grad, mask.to_bool(), 0.4, scaling, out=start)
    for name, out in layouts(start):
        result = fastdrop.dropout_backward(grad, mask, out=out, accumulate=True)
        assert result is out, name
        assert_same_bits(out, expected)


def test_accumulate_leaves_dropped_elements_untouched(isa):
    out = np.full(3000, -0.0, np.float32)
    _, mask = fastdrop.dropout_forward(np.ones(3000, np.float32), 0.5, seed=1)
    fastdrop.dropout_backward(np.zeros(3000, np.float32), mask, out=out, accumulate=True)
    assert np.signbit(out[~mask.to_bool()]).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_backward_layouts_and_in_place(isa, dtype):
    grad = random_floats(6 * 50, dtype, seed=5).reshape(6, 50)
    _, mask = fastdrop.dropout_forward(np.zeros((6, 50), np.float64), 0.5, seed=2, offset=1)
    expected = _reference.dropout_backward(grad, mask.to_bool(), 0.5)
    for name, g in layouts(grad):
        before = g.copy()
        assert_same_bits(fastdrop.dropout_backward(g, mask), expected)
        assert_same_bits(g, before)
        out = fastdrop.dropout_backward(g, mask, out=g)
        assert out is g, name
        assert_same_bits(g, expected)


def test_p_one_gives_zero_gradient_without_division_by_zero(isa):
    with np.errstate(all="raise"):
        y, mask = fastdrop.dropout_forward(np.ones(100, np.float32), 1.0, seed=0)
        dx = fastdrop.dropout_backward(np.ones(100, np.float32), mask)
    assert mask.scale == 0.0
    assert not y.any() and not dx.any()
    assert not np.signbit(dx).any()


def test_mask_bits_are_numpy_packbits(isa):
    n = 12345
    x = np.ones(n, np.float32)
    y, mask = fastdrop.dropout_forward(x, 0.5, seed=31, offset=3)
    assert mask.bits.dtype == np.uint8 and mask.bits.shape == ((n + 7) // 8,)
    assert mask.nbytes == (n + 7) // 8
    unpacked = np.unpackbits(mask.bits, bitorder="little", count=n).astype(bool)
    np.testing.assert_array_equal(unpacked, y != 0)
    assert np.unpackbits(mask.bits, bitorder="little")[n:].sum() == 0  # zero padding


def test_byte_swapped_float16_is_computed_in_float32(isa):
    """5 * (1 / 0.375) rounds to 13.336 from float32, to 13.328 had it been computed in float16."""
    for order in "<>":
        grad = np.full(3000, 5.0, order + "f2")
        _, mask = fastdrop.dropout_forward(grad, 0.625, seed=1, store="seed")
        kept = mask.to_bool()
        for y in (fastdrop.dropout(grad, 0.625, seed=1), fastdrop.dropout_backward(grad, mask),
                  _reference.dropout(grad, 0.625, seed=1)):
            assert set(y[kept].astype(np.float16).view(np.uint16).tolist()) == {19115}
        acc = np.zeros(3000, np.float16)
        fastdrop.dropout_backward(grad, mask, out=acc, accumulate=True)
        expected = _reference.dropout_backward(grad, kept, 0.625, out=np.zeros(3000, np.float16))
        assert_same_bits(acc, expected.astype(np.float16))

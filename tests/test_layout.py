"""Results keep the input's memory layout (order="K"); the mask still follows the C-order index."""

import numpy as np
import pytest
from conftest import DTYPES, random_floats
from test_forward import assert_same_bits

import fastdrop
from fastdrop import _reference


def _views(x):
    """(name, view) of x's values in layouts NumPy's order="K" keeps (not C order)."""
    yield "fortran", np.asfortranarray(x)
    yield "transposed", np.ascontiguousarray(x.transpose(2, 0, 1)).transpose(1, 2, 0)
    yield "swapped axes, strided", np.ascontiguousarray(
        np.swapaxes(x, 0, 2)).repeat(2, axis=2)[..., ::2].swapaxes(0, 2)
    yield "fortran, byte-swapped", np.asfortranarray(x).astype(x.dtype.newbyteorder("S"), order="K")


def _axis_order(a):
    """The axes from largest to smallest stride: the memory order of a's axes."""
    return tuple(np.argsort([-s for s in a.strides], kind="stable"))


def _calls(view, seed=3, offset=5):
    """Every public call that returns a new array for the input view."""
    y, mask = fastdrop.dropout_forward(view, 0.3, seed=seed, offset=offset)
    yield "dropout", fastdrop.dropout(view, 0.3, seed=seed, offset=offset)
    yield "dropout_forward", y
    yield "dropout_forward, store='seed'", fastdrop.dropout_forward(
        view, 0.3, seed=seed, offset=offset, store="seed")[0]
    yield "dropout inference", fastdrop.dropout(view, 0.3, training=False, scaling="classic")
    yield "dropout_backward", fastdrop.dropout_backward(view, mask)
    gen = fastdrop.Generator(seed, offset=offset)
    yield "Generator.dropout", gen.dropout(view, 0.3)
    yield "Dropout layer", fastdrop.Dropout(0.3, seed=seed)(view)


@pytest.mark.parametrize("dtype", DTYPES)
def test_results_keep_the_input_layout(dtype):
    """A Fortran-ordered x gave a C-ordered y before; now y has x's axis order."""
    x = random_floats(4 * 5 * 6, dtype, seed=1).reshape(4, 5, 6)
    for name, view in _views(x):
        like = np.empty_like(view, order="K")
        for call, y in _calls(view):
            assert y.strides == like.strides, (name, call)
            assert _axis_order(y) == _axis_order(view), (name, call)
            assert y.dtype == view.dtype, (name, call)


def test_fortran_in_gives_fortran_out():
    x = np.asfortranarray(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4))
    y = fastdrop.dropout(x, 0.5, seed=1)
    assert y.flags.f_contiguous and not y.flags.c_contiguous
    assert fastdrop.dropout_backward(x, fastdrop.dropout_forward(x, 0.5, seed=1)[1]).flags.f_contiguous


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_mask_index_stays_the_c_order_index(dtype):
    """Which elements are kept is the same for every layout: the C-order copy's mask."""
    x = random_floats(4 * 5 * 6, dtype, seed=2).reshape(4, 5, 6)
    expected_y = _reference.dropout(x, 0.3, seed=3, offset=5)
    keep = _reference.keep_mask(3, 5, 0.3, x.size).reshape(x.shape)
    for name, view in _views(x):
        y, mask = fastdrop.dropout_forward(view, 0.3, seed=3, offset=5)
        assert_same_bits(np.ascontiguousarray(y), expected_y)
        np.testing.assert_array_equal(mask.to_bool(), keep, err_msg=name)
        grad = fastdrop.dropout_backward(view, mask)
        assert_same_bits(np.ascontiguousarray(grad), expected_y)


def test_accumulate_and_out_keep_out_as_it_is():
    """out is returned as given, whatever its layout; the layout rule is only for new arrays."""
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    out = np.zeros((3, 4), np.float32, order="F")
    assert fastdrop.dropout(x, 0.5, seed=1, out=out) is out and out.flags.f_contiguous

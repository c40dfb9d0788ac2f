"""dropout_add: residual + dropout(x + bias), and its three gradients."""

import numpy as np
import pytest
from conftest import DTYPES, random_floats
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

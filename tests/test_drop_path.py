"""drop_path: dropout with noise shape (N, 1, ..., 1) or all ones."""

import numpy as np
import pytest
from conftest import DTYPES, random_floats
from helpers_variants import assert_bits_equal

import fastdrop
from fastdrop import _reference_variants as RV


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1,), (7,), (5, 3), (9, 4, 33), (3000, 2)])
@pytest.mark.parametrize("mode", ["row", "batch"])
@pytest.mark.parametrize("scale_by_keep", [True, False])
def test_matches_oracle(isa, dtype, shape, mode, scale_by_keep):
    x = random_floats(int(np.prod(shape)), dtype).reshape(shape)
    nshape = (shape[0],) + (1,) * (len(shape) - 1) if mode == "row" else (1,) * len(shape)
    scaling = "inverted" if scale_by_keep else "classic"
    for p in (0.0, 0.3, 1.0):
        y, mask = fastdrop.drop_path(x, p, seed=4, offset=2, mode=mode,
                                     scale_by_keep=scale_by_keep, return_mask=True)
        assert_bits_equal(y, RV.dropout(x, p, seed=4, offset=2, nshape=nshape, scaling=scaling))
        g = random_floats(x.size, dtype, seed=9).reshape(shape)
        assert_bits_equal(fastdrop.dropout_backward(g, mask),
                          RV.backward(g, 4, 2, p, nshape, scaling))


def test_batch_mode_uses_one_stream_element_and_inference_copies():
    x = np.ones((6, 3), np.float32)
    keep = RV.noise_keep(8, 5, 0.5, (1, 1), (1, 1))[0, 0]
    y = fastdrop.drop_path(x, 0.5, seed=8, offset=5, mode="batch")
    assert (y == (2.0 if keep else 0.0)).all()
    for sbk in (True, False):
        z = fastdrop.drop_path(x, 0.5, seed=8, training=False, scale_by_keep=sbk)
        assert (z == x).all()


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(mode="sample"), ValueError, "mode"),
    (dict(mode=None), TypeError, "mode"),
    (dict(scale_by_keep=1), TypeError, "scale_by_keep"),
    (dict(offset=-1), ValueError, "offset"),
])
def test_bad_arguments(kwargs, exc, match):
    out = np.full((3, 2), 4.0)
    with pytest.raises(exc, match=match):
        fastdrop.drop_path(np.ones((3, 2)), 0.5, seed=1, out=out, **kwargs)
    assert (out == 4.0).all()


def test_row_mode_needs_a_sample_axis():
    with pytest.raises(ValueError, match="x must have at least 1 dimension"):
        fastdrop.drop_path(np.float64(1.0), 0.5, seed=1)
    assert fastdrop.drop_path(np.float64(3.0), 0.0, seed=1, mode="batch") == 3.0

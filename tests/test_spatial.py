"""spatial_dropout: dropout with the (N, C, 1, ...) or (N, 1, ..., C) noise shape."""

import numpy as np
import pytest
from conftest import DTYPES, random_floats
from helpers_variants import assert_bits_equal

import fastdrop
from fastdrop import _reference_variants as RV

SHAPES = [(2, 3, 5), (2, 3, 4, 5), (3, 2, 3, 4, 65), (1, 1, 1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("fmt", ["channels_first", "channels_last"])
def test_matches_oracle_and_dropout_with_the_noise_shape(isa, dtype, shape, fmt):
    x = random_floats(int(np.prod(shape)), dtype).reshape(shape)
    nshape = RV.spatial_shape(shape, fmt)
    for p in (0.0, 0.25, 0.5, 1.0):
        y, mask = fastdrop.spatial_dropout(x, p, seed=9, offset=4, data_format=fmt,
                                           return_mask=True)
        assert_bits_equal(y, RV.dropout(x, p, seed=9, offset=4, nshape=nshape))
        assert_bits_equal(y, fastdrop.dropout(x, p, seed=9, offset=4, noise_shape=nshape))
        assert mask.shape == nshape
        g = random_floats(x.size, np.float32, seed=3).reshape(shape)
        assert_bits_equal(fastdrop.dropout_backward(g, mask), RV.backward(g, 9, 4, p, nshape))


def test_whole_channels_are_dropped_and_inference_copies():
    x = np.ones((4, 8, 3, 3), np.float32)
    y = fastdrop.spatial_dropout(x, 0.5, seed=1)
    per_map = y.reshape(4, 8, 9)
    assert (per_map == per_map[:, :, :1]).all()
    assert set(np.unique(y)) <= {0.0, 2.0}
    z = fastdrop.spatial_dropout(x, 0.5, seed=1, training=False, return_mask=True)
    assert z[1] is None and (z[0] == x).all() and z[0] is not x


@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
def test_fewer_than_three_dimensions_is_an_error_naming_x(shape):
    with pytest.raises(ValueError, match="x must have at least 3 dimensions"):
        fastdrop.spatial_dropout(np.ones(shape, np.float32), 0.5, seed=1)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(data_format="NCHW"), ValueError, "data_format"),
    (dict(data_format=1), TypeError, "data_format"),
    (dict(return_mask=1), TypeError, "return_mask"),
    (dict(training="yes"), TypeError, "training"),
    (dict(offset=2**64 - 5), ValueError, "offset"),
])
def test_bad_arguments_name_themselves_and_write_nothing(kwargs, exc, match):
    x = np.ones((2, 3, 4), np.float32)
    out = np.full_like(x, 5.0)
    with pytest.raises(exc, match=match):
        fastdrop.spatial_dropout(x, 0.5, seed=1, out=out, **kwargs)
    assert (out == 5.0).all()

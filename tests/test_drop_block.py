"""drop_block: block centres from the stream, k x k windows, rescaled by the kept fraction."""

import numpy as np
import pytest
from conftest import DTYPES, random_floats
from helpers_variants import assert_bits_equal

import fastdrop
from fastdrop import _reference_variants as RV


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,fmt", [((2, 3, 6, 6), "channels_first"),
                                       ((2, 7, 9, 3), "channels_last"),
                                       ((1, 2, 5, 8), "channels_first"),
                                       ((3, 4, 16, 20), "channels_first")])
@pytest.mark.parametrize("k", [1, 2, 3, 7])
def test_matches_oracle(isa, dtype, shape, fmt, k):
    x = random_floats(int(np.prod(shape)), dtype).reshape(shape)
    for p in (0.0, 0.1, 0.4, 1.0):
        y, mask = fastdrop.drop_block(x, p, block_size=k, seed=4, offset=5, data_format=fmt,
                                      return_mask=True)
        want, keep, p_eff = RV.drop_block(x, p, seed=4, offset=5, block_size=k, data_format=fmt)
        assert_bits_equal(y, want)
        assert mask.p == p_eff and (mask.to_bool() == keep).all()
        g = random_floats(x.size, np.float32, seed=2).reshape(shape)
        s = 0.0 if not keep.any() else 1.0 / (1.0 - p_eff)
        assert_bits_equal(fastdrop.dropout_backward(g, mask), RV.R.apply(g, keep, s))


def test_blocks_are_square_and_rate_is_near_p():
    x = np.ones((8, 16, 32, 32), np.float32)
    y, mask = fastdrop.drop_block(x, 0.1, block_size=5, seed=1, return_mask=True)
    assert 0.06 < mask.p < 0.14
    assert abs(y.mean() - 1.0) < 1e-5


def test_inference_copies_and_the_layer_uses_its_stream():
    x = random_floats(2 * 2 * 8 * 8, np.float32).reshape(2, 2, 8, 8)
    assert_bits_equal(fastdrop.drop_block(x, 0.3, seed=1, training=False), x)
    layer = fastdrop.DropBlock(0.3, block_size=3, seed=6)
    y1, y2 = layer(x), layer(x)
    assert_bits_equal(y1, RV.drop_block(x, 0.3, seed=6, offset=0, block_size=3)[0])
    assert_bits_equal(y2, RV.drop_block(x, 0.3, seed=6, offset=x.size, block_size=3)[0])
    layer.eval()
    assert_bits_equal(layer(x), x)
    s = layer.mc_samples(x, 2, seed=3)
    assert_bits_equal(s[1], RV.drop_block(x, 0.3, seed=3, offset=x.size, block_size=3)[0])


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(block_size=0), ValueError, "block_size"),
    (dict(block_size=2.0), TypeError, "block_size"),
    (dict(block_size=True), TypeError, "block_size"),
    (dict(data_format="NCHW"), ValueError, "data_format"),
    (dict(offset=2**64 - 8), ValueError, "offset"),
])
def test_bad_arguments(kwargs, exc, match):
    out = np.full((1, 1, 3, 3), 2.0, np.float32)
    with pytest.raises(exc, match=match):
        fastdrop.drop_block(np.ones((1, 1, 3, 3), np.float32), 0.5, seed=1, out=out, **kwargs)
    assert (out == 2.0).all()
    with pytest.raises(ValueError, match="x must have 4 dimensions"):
        fastdrop.drop_block(np.ones((3, 3, 3)), 0.5, seed=1)

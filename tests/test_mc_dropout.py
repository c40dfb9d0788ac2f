"""mc_dropout: T samples, sample t at offset + t * noise size."""

import numpy as np
import pytest
from conftest import DTYPES, random_floats
from helpers_variants import assert_bits_equal

import fastdrop
from fastdrop import _reference_variants as RV


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,nshape", [((10,), None), ((4, 33), (4, 1)), ((3, 5, 7), (1, 5, 7)),
                                          ((), None), ((0, 3), None)])
def test_samples_are_dropout_at_consecutive_offsets(isa, dtype, shape, nshape):
    x = random_floats(int(np.prod(shape)), dtype).reshape(shape)
    for samples in (0, 1, 3):
        y = fastdrop.mc_dropout(x, 0.4, samples, seed=6, offset=11, noise_shape=nshape)
        assert y.shape == (samples,) + shape and y.dtype == x.dtype
        assert_bits_equal(y, RV.mc_dropout(x, 0.4, samples, seed=6, offset=11, nshape=nshape))
        m = int(np.prod(shape if nshape is None else nshape))
        for t in range(samples):
            assert_bits_equal(y[t], fastdrop.dropout(x, 0.4, seed=6, offset=11 + t * m,
                                                     noise_shape=nshape))


def test_whole_call_is_dropout_of_the_stacked_input():
    x = random_floats(2 * 300, np.float32).reshape(2, 300)
    y = fastdrop.mc_dropout(x, 0.5, 8, seed=1, noise_shape=(2, 1))
    stacked = np.broadcast_to(x, (8, 2, 300)).copy()
    assert_bits_equal(y, fastdrop.dropout(stacked, 0.5, seed=1, noise_shape=(8, 2, 1)))


def test_layer_samples_leave_the_training_stream_alone():
    layer = fastdrop.Dropout(0.5, seed=3).eval()
    x = np.ones((4, 5), np.float32)
    a = layer.mc_samples(x, 4)
    b = layer.mc_samples(x, 4)
    assert a.shape == (4, 4, 5) and not (a == b).all()
    assert layer.generator.offset == 0
    assert_bits_equal(layer.mc_samples(x, 2, seed=7), fastdrop.mc_dropout(x, 0.5, 2, seed=7))
    layer.train()
    y = layer(x)
    assert_bits_equal(y, fastdrop.dropout(x, 0.5, seed=layer.generator.seed, offset=0))


@pytest.mark.parametrize("samples,exc", [(-1, ValueError), (1.5, TypeError), (True, TypeError)])
def test_bad_samples(samples, exc):
    with pytest.raises(exc, match="samples"):
        fastdrop.mc_dropout(np.ones(3), 0.5, samples, seed=1)


def test_offset_covers_every_sample():
    fastdrop.mc_dropout(np.ones(4), 0.5, 2, seed=1, offset=2**64 - 8)
    with pytest.raises(ValueError, match="offset"):
        fastdrop.mc_dropout(np.ones(4), 0.5, 2, seed=1, offset=2**64 - 7)


def test_out_any_layout_and_bad_outs():
    x = random_floats(30, np.float32).reshape(5, 6)
    want = RV.mc_dropout(x, 0.5, 3, seed=2)
    out = np.asfortranarray(np.zeros((3, 5, 6), np.float32))
    assert fastdrop.mc_dropout(x, 0.5, 3, seed=2, out=out) is out
    assert_bits_equal(out, want)
    for bad, exc in [(np.zeros((3, 5, 5), np.float32), ValueError),
                     (np.zeros((3, 5, 6), np.float64), TypeError), ([0.0], TypeError)]:
        with pytest.raises(exc, match="out"):
            fastdrop.mc_dropout(x, 0.5, 3, seed=2, out=bad)
    big = np.zeros((2, 5, 6), np.float32)
    src = big[0]
    src[...] = x
    fastdrop.mc_dropout(src, 0.5, 2, seed=2, out=big)
    assert_bits_equal(big, RV.mc_dropout(x, 0.5, 2, seed=2))

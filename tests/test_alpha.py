"""alpha_dropout and feature_alpha_dropout: the affine rule, bit for bit with the oracle."""

import numpy as np
import pytest
from conftest import DTYPES, layouts, random_floats
from helpers_variants import assert_bits_equal

import fastdrop
from fastdrop import _reference_variants as RV


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [0, 1, 63, 64, 65, 2049, 5000])
def test_alpha_matches_oracle_on_every_kernel(isa, dtype, n):
    x = random_floats(n, dtype)
    g = random_floats(n, dtype, seed=4)
    for p in (0.0, 0.05, 0.5, 1.0 - 2.0**-32, 1.0):
        y, mask = fastdrop.alpha_dropout(x, p, seed=3, offset=7, return_mask=True)
        assert_bits_equal(y, RV.alpha_dropout(x, p, seed=3, offset=7))
        assert_bits_equal(fastdrop.alpha_dropout_backward(g, mask),
                          RV.alpha_backward(g, 3, 7, p, (n,)))


@pytest.mark.parametrize("fmt", ["channels_first", "channels_last"])
@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 70), (3, 2, 4, 5)])
def test_feature_alpha_matches_oracle(isa, fmt, shape):
    x = random_floats(int(np.prod(shape)), np.float32).reshape(shape)
    nshape = RV.spatial_shape(shape, fmt)
    y, mask = fastdrop.feature_alpha_dropout(x, 0.3, seed=2, data_format=fmt, return_mask=True)
    assert_bits_equal(y, RV.alpha_dropout(x, 0.3, seed=2, nshape=nshape))
    assert mask.shape == nshape
    g = np.ones_like(x)
    assert_bits_equal(fastdrop.alpha_dropout_backward(g, mask),
                      RV.alpha_backward(g, 2, 0, 0.3, nshape))


def test_constants_are_pytorchs_and_keep_mean_and_variance():
    p = 0.2
    a, b = RV.alpha_constants(p)
    alpha = -1.7580993408473766
    assert a == pytest.approx(((1 - p) * (1 + p * alpha**2)) ** -0.5, rel=1e-15)
    assert b == pytest.approx(-a * alpha * p, rel=1e-15)
    x = np.random.default_rng(0).standard_normal(2_000_000)
    y = fastdrop.alpha_dropout(x, p, seed=5)
    assert abs(y.mean()) < 0.005 and abs(y.std() - 1.0) < 0.005


def test_layouts_out_and_large_threaded_calls():
    x = random_floats(300_000, np.float32).reshape(600, 500)
    want = RV.alpha_dropout(x, 0.1, seed=1)
    for threads in (1, 2):
        fastdrop.set_num_threads(threads)
        try:
            assert_bits_equal(fastdrop.alpha_dropout(x, 0.1, seed=1), want)
        finally:
            fastdrop.set_num_threads(None)
    small = x[:4, :10].copy()
    want = RV.alpha_dropout(small, 0.1, seed=1)
    for name, xl in layouts(small):
        assert_bits_equal(fastdrop.alpha_dropout(xl, 0.1, seed=1), want.astype(xl.dtype))
    out = np.empty_like(small)
    assert fastdrop.alpha_dropout(small, 0.1, seed=1, out=out) is out
    assert_bits_equal(out, want)


def test_inference_is_a_copy_and_accumulate_adds():
    x = np.linspace(-1, 1, 10)
    y, mask = fastdrop.alpha_dropout(x, 0.5, seed=1, training=False, return_mask=True)
    assert mask is None and (y == x).all()
    _, mask = fastdrop.alpha_dropout(x, 0.5, seed=1, return_mask=True)
    out = np.full(10, 2.0)
    fastdrop.alpha_dropout_backward(np.ones(10), mask, out=out, accumulate=True)
    keep = mask.to_bool()
    a = RV.alpha_constants(0.5)[0]
    assert (out[keep] == 2.0 + a).all() and (out[~keep] == 2.0).all()


@pytest.mark.parametrize("call,exc,match", [
    (lambda: fastdrop.alpha_dropout(np.ones(3, np.int32), 0.5, seed=1), TypeError, "x"),
    (lambda: fastdrop.alpha_dropout(np.ones(3), 1.5, seed=1), ValueError, "p"),
    (lambda: fastdrop.feature_alpha_dropout(np.ones(3), 0.5, seed=1), ValueError, "x must"),
    (lambda: fastdrop.feature_alpha_dropout(np.ones((2, 3)), 0.5, seed=1, data_format="x"),
     ValueError, "data_format"),
    (lambda: fastdrop.alpha_dropout_backward(np.ones(3), "mask"), TypeError, "mask"),
    (lambda: fastdrop.alpha_dropout_backward(np.ones(4), fastdrop.Mask(3, 0.5, seed=1)),
     ValueError, "grad"),
    (lambda: fastdrop.alpha_dropout_backward(np.ones(3), fastdrop.Mask(3, 0.5, seed=1),
                                             accumulate=True), ValueError, "out"),
])
def test_bad_arguments_name_themselves(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_alpha_past_the_streaming_size(isa):
    # float32 outputs of 32 MiB and more are written with non-temporal stores
    x = random_floats((32 << 20) // 4 + 77, np.float32)
    y = fastdrop.alpha_dropout(x, 0.3, seed=8, offset=3)
    assert_bits_equal(y, RV.alpha_dropout(x, 0.3, seed=8, offset=3))

"""SpatialDropout, AlphaDropout, DropPath: Dropout's layer contract with their rules."""

import pickle

import numpy as np
import pytest
from conftest import random_floats
from helpers_variants import assert_bits_equal

import fastdrop
from fastdrop import _reference_variants as RV


def test_spatial_layer_forward_backward_and_stream():
    layer = fastdrop.SpatialDropout(0.5, seed=2, data_format="channels_last")
    x = random_floats(2 * 3 * 4, np.float32).reshape(2, 3, 4)
    y1, y2 = layer(x), None
    assert_bits_equal(y1, RV.dropout(x, 0.5, seed=2, offset=0, nshape=(2, 1, 4)))
    g = np.ones_like(x)
    assert_bits_equal(layer.backward(g), RV.backward(g, 2, 0, 0.5, (2, 1, 4)))
    y2 = layer(x)
    assert_bits_equal(y2, RV.dropout(x, 0.5, seed=2, offset=8, nshape=(2, 1, 4)))
    assert layer.generator.offset == 16
    assert_bits_equal(layer(x, training=False), x)
    with pytest.raises(ValueError, match="x must have at least 3"):
        layer(np.ones((2, 3)))


def test_drop_path_layer_inference_is_identity_for_both_scalings():
    for sbk in (True, False):
        layer = fastdrop.DropPath(0.5, seed=1, scale_by_keep=sbk)
        x = random_floats(8 * 3, np.float64).reshape(8, 3)
        scaling = "inverted" if sbk else "classic"
        y = layer(x)
        assert_bits_equal(y, RV.dropout(x, 0.5, seed=1, nshape=(8, 1), scaling=scaling))
        g = np.ones_like(x)
        assert_bits_equal(layer.backward(g), RV.backward(g, 1, 0, 0.5, (8, 1), scaling))
        layer.eval()
        assert_bits_equal(layer(x), x)
        assert_bits_equal(layer.backward(g), g)
    batch = fastdrop.DropPath(0.5, seed=1, mode="batch")
    batch(np.ones((5, 2)))
    assert batch.generator.offset == 1


def test_alpha_layer_uses_the_alpha_rule_and_gradient():
    layer = fastdrop.AlphaDropout(0.2, seed=4)
    x = random_floats(100, np.float32)
    y, mask = layer(x, return_mask=True)
    assert_bits_equal(y, RV.alpha_dropout(x, 0.2, seed=4))
    g = np.ones_like(x)
    assert_bits_equal(layer.backward(g, mask), RV.alpha_backward(g, 4, 0, 0.2, (100,)))
    assert layer.generator.offset == 100
    feat = fastdrop.AlphaDropout(0.2, seed=4, feature=True)
    x3 = random_floats(2 * 3 * 5, np.float32).reshape(2, 3, 5)
    assert_bits_equal(feat(x3), RV.alpha_dropout(x3, 0.2, seed=4, nshape=(2, 3, 1)))
    assert_bits_equal(feat.backward(np.ones_like(x3)),
                      RV.alpha_backward(np.ones_like(x3), 4, 0, 0.2, (2, 3, 1)))
    feat.eval()
    assert_bits_equal(feat(x3), x3)
    s = feat.mc_samples(x3, 3, seed=9)
    for t in range(3):
        assert_bits_equal(s[t], RV.alpha_dropout(x3, 0.2, seed=9, offset=6 * t, nshape=(2, 3, 1)))
    assert feat.generator.offset == 6


def test_variant_layers_pickle_and_keep_the_pending_contract():
    for layer in (fastdrop.SpatialDropout(0.3, seed=1), fastdrop.DropPath(0.3, seed=1),
                  fastdrop.AlphaDropout(0.3, seed=1)):
        x = np.ones((2, 3, 4), np.float32)
        layer(x)
        copy = pickle.loads(pickle.dumps(layer))
        assert_bits_equal(copy(x), layer(x))
        with pytest.raises(RuntimeError, match="ambiguous"):
            layer.backward(np.ones_like(x))
        assert type(copy).__name__ in repr(copy)


@pytest.mark.parametrize("make,exc,match", [
    (lambda: fastdrop.SpatialDropout(0.5, data_format="NHWC"), ValueError, "data_format"),
    (lambda: fastdrop.DropPath(0.5, mode="x"), ValueError, "mode"),
    (lambda: fastdrop.DropPath(0.5, scale_by_keep="no"), TypeError, "scale_by_keep"),
    (lambda: fastdrop.AlphaDropout(0.5, feature=1), TypeError, "feature"),
    (lambda: fastdrop.AlphaDropout(2.0), ValueError, "p"),
])
def test_bad_constructor_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_mc_samples_of_spatial_and_drop_path_layers_use_their_noise_shapes():
    x = random_floats(2 * 3 * 4, np.float32).reshape(2, 3, 4)
    spatial = fastdrop.SpatialDropout(0.5, seed=1)
    assert_bits_equal(spatial.mc_samples(x, 3, seed=5),
                      RV.mc_dropout(x, 0.5, 3, seed=5, nshape=(2, 3, 1)))
    path = fastdrop.DropPath(0.5, seed=1)
    assert_bits_equal(path.mc_samples(x, 3, seed=5),
                      RV.mc_dropout(x, 0.5, 3, seed=5, nshape=(2, 1, 1)))
    assert spatial.generator.offset == 0 and path.generator.offset == 0

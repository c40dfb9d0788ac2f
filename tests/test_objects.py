"""Mask, Generator and the Dropout layer."""

import pickle

import numpy as np
import pytest
from test_forward import assert_same_bits

import fastdrop
from fastdrop import _reference


def test_mask_attributes():
    x = np.ones((3, 5), np.float32)
    y, m = fastdrop.dropout_forward(x, 0.25, seed=8, offset=2)
    assert (m.shape, m.size, m.p, m.seed, m.offset) == ((3, 5), 15, 0.25, 8, 2)
    assert (m.scaling, m.store, m.nbytes) == ("inverted", "bits", 2)
    assert m.scale == 1 / 0.75
    assert m.to_bool().shape == (3, 5) and m.to_bool().dtype == bool
    assert not m.bits.flags.writeable
    assert "seed=8" in repr(m)
    _, c = fastdrop.dropout_forward(x, 0.25, seed=8, offset=2, scaling="classic", store="seed")
    assert c.scale == 1.0 and c.bits is None and c.nbytes == 0
    np.testing.assert_array_equal(c.to_bool(), m.to_bool())


def test_mask_from_saved_bits_round_trips():
    x = np.arange(100, dtype=np.float64)
    y, m = fastdrop.dropout_forward(x, 0.5, seed=1)
    again = fastdrop.Mask(m.shape, m.p, seed=m.seed, offset=m.offset, bits=m.bits.copy())
    assert_same_bits(fastdrop.dropout_backward(np.ones_like(x), again),
                     fastdrop.dropout_backward(np.ones_like(x), m))
    assert pickle.loads(pickle.dumps(m)).bits.tobytes() == m.bits.tobytes()


def test_generator_advances_offset_by_noise_elements():
    gen = fastdrop.Generator(seed=5)
    x = np.ones(3000, np.float32)
    a = gen.dropout(x, 0.5)
    b, mb = gen.dropout_forward(x[:100], 0.5)
    assert gen.offset == 3100 and mb.offset == 3000 and mb.seed == 5
    gen.dropout(x, 0.5, training=False)
    assert gen.offset == 3100
    assert_same_bits(a, _reference.dropout(x, 0.5, seed=5, offset=0))
    assert_same_bits(b, _reference.dropout(x[:100], 0.5, seed=5, offset=3000))


def test_generator_seed_none_and_pickle():
    gen = fastdrop.Generator()
    assert 0 <= gen.seed < 2**64
    gen.dropout(np.ones(10), 0.1)
    clone = pickle.loads(pickle.dumps(gen))
    assert (clone.seed, clone.offset) == (gen.seed, 10)
    assert_same_bits(clone.dropout(np.ones(50), 0.5), gen.dropout(np.ones(50), 0.5))


def test_generator_refuses_to_run_past_the_stream_end():
    gen = fastdrop.Generator(seed=1, offset=2**64 - 10)
    gen.dropout(np.ones(10), 0.5)
    with pytest.raises(ValueError, match="offset"):
        gen.dropout(np.ones(1), 0.5)
    assert gen.offset == 2**64
    assert pickle.loads(pickle.dumps(gen)).offset == 2**64  # an exhausted stream round-trips
    assert gen.dropout(np.ones(0), 0.5).shape == (0,)
    _, mask = fastdrop.dropout_forward(np.ones(0), 0.5, seed=1, offset=2**64)
    assert fastdrop.dropout_backward(np.ones(0), mask).shape == (0,)
    assert mask.to_bool().shape == (0,)


@pytest.mark.parametrize("store", ["bits", "seed"])
@pytest.mark.parametrize("scaling", ["inverted", "classic"])
def test_layer_train_and_eval(store, scaling):
    layer = fastdrop.Dropout(0.4, seed=3, scaling=scaling, store=store)
    assert layer.training
    x = np.linspace(-1, 1, 600, dtype=np.float32).reshape(20, 30)
    y1 = layer(x)
    g = np.full_like(x, 2.0)
    dx = layer.backward(g)
    keep = layer.mask.to_bool()
    assert_same_bits(y1, _reference.dropout(x, 0.4, seed=3, scaling=scaling))
    assert_same_bits(dx, _reference.dropout_backward(g, keep, 0.4, scaling))
    y2 = layer.forward(x)
    assert layer.mask.offset == 600 and not np.array_equal(y1, y2)
    assert layer.eval() is layer and not layer.training
    expected_eval = x if scaling == "inverted" else x * np.float32(0.6)
    assert_same_bits(layer(x), expected_eval)
    assert_same_bits(layer.backward(g), g if scaling == "inverted" else g * np.float32(0.6))
    assert layer.train() is layer and layer.training


def test_layer_backward_before_forward():
    with pytest.raises(RuntimeError, match="before"):
        fastdrop.Dropout(0.5, seed=0).backward(np.ones(3))


def test_simd_info():
    info = fastdrop.simd_info()
    assert info["active"] in info["available"]
    assert "scalar" in info["available"]
    assert info["known"] == ["scalar", "avx2", "avx512"]

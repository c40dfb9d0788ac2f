"""Mask and Generator (the Dropout layer: test_layer.py)."""

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


def test_simd_info():
    info = fastdrop.simd_info()
    assert info["active"] in info["available"]
    assert "scalar" in info["available"]
    assert info["known"] == ["scalar", "avx2", "avx512"]


# ---- Mask bits that contradict p or set padding bits -------------------------------------

def test_mask_bits_that_keep_elements_at_p_one_are_refused():
    """p = 1 with kept bits used to give grad * 0 (NaN for an infinite grad), not zeros."""
    with pytest.raises(ValueError, match=r"\bbits\b.*p = 1"):
        fastdrop.Mask((10,), 1.0, seed=1, bits=np.array([1, 0], np.uint8))
    mask = fastdrop.Mask((10,), 1.0, seed=1, bits=np.zeros(2, np.uint8))
    grad = np.full(10, np.inf, np.float32)
    dx = fastdrop.dropout_backward(grad, mask)
    assert not dx.any() and not np.signbit(dx).any()


def test_mask_bits_that_drop_elements_at_p_zero_are_refused():
    with pytest.raises(ValueError, match=r"\bbits\b.*p = 0"):
        fastdrop.Mask((10,), 0.0, seed=1, bits=np.array([0xFF, 0x01], np.uint8))
    fastdrop.Mask((10,), 0.0, seed=1, bits=np.array([0xFF, 0x03], np.uint8))


@pytest.mark.parametrize("n,last", [(10, 0x04), (10, 0x80), (1, 0x02), (15, 0x80)])
def test_mask_padding_bits_are_refused(n, last):
    bits = np.zeros((n + 7) // 8, np.uint8)
    bits[-1] = last
    with pytest.raises(ValueError, match=r"\bbits has padding bits set"):
        fastdrop.Mask((n,), 0.5, seed=1, bits=bits)


def test_bits_changed_under_a_mask_are_checked_again_at_backward():
    given = np.zeros(2, np.uint8)
    mask = fastdrop.Mask((10,), 1.0, seed=1, bits=given)
    grad = np.ones(10, np.float32)
    given[0] = 1  # the Mask holds a view: the change shows through
    with pytest.raises(ValueError, match=r"mask\.bits.*p = 1"):
        fastdrop.dropout_backward(grad, mask)
    given[0], given[1] = 0, 0x40
    with pytest.raises(ValueError, match=r"mask\.bits has padding bits set"):
        fastdrop.dropout_backward(grad, mask)
    given[1] = 0
    mask = fastdrop.Mask((10,), 0.5, seed=1, bits=given)
    given[1] = 0x40  # the fast path checks the padding too
    with pytest.raises(ValueError, match=r"mask\.bits has padding bits set"):
        fastdrop.dropout_backward(grad, mask)

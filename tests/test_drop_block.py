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


def _keep_of(shape, fmt, p, k, seed=9, offset=0):
    """The block mask as src_c/api/fd_block.c computes it, and as the reference does."""
    x = np.zeros(shape, np.float32)
    _, mask = fastdrop.drop_block(x, p, block_size=k, seed=seed, offset=offset,
                                  data_format=fmt, return_mask=True)
    return mask.to_bool(), RV.drop_block(x, p, seed=seed, offset=offset, block_size=k,
                                         data_format=fmt)[1]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("shape,fmt", [
    ((2, 4, 130, 131), "channels_first"),   # rows that are not whole bytes, split across threads
    ((2, 97, 90, 13), "channels_last"),     # positions of 13 elements
    ((3, 5, 64, 64), "channels_first"),     # rows of whole words
    ((1, 9, 11, 200), "channels_last"),     # shifts of several words per position
])
def test_block_mask_on_packed_bits_matches_the_reference(threads, shape, fmt):
    before = fastdrop.get_num_threads()
    fastdrop.set_num_threads(threads)
    try:
        for p, k, offset in ((0.1, 7, 0), (0.3, 3, 13), (0.5, 1, 2**40 + 5), (0.2, 4, 7)):
            got, want = _keep_of(shape, fmt, p, k, offset=offset)
            assert (got == want).all(), (p, k, offset)
    finally:
        fastdrop.set_num_threads(before)


def test_block_mask_wider_than_the_ring():
    # channels last with e = 44000: a window's column shifts span more words than
    # fd_block.c keeps per row, so its V words are recomputed where needed
    got, want = _keep_of((1, 7, 7, 44000), "channels_last", 0.3, 7)
    assert (got == want).all() and not got.all() and got.any()


def test_block_mask_random_shapes():
    rng = np.random.default_rng(3)
    for _ in range(40):
        h, w = (int(v) for v in rng.integers(1, 24, 2))
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 6)), h, w)
        fmt = ("channels_first", "channels_last")[int(rng.integers(2))]
        k = int(rng.integers(1, 10))
        p, offset = float(rng.uniform(0, 1)), int(rng.integers(0, 5000))
        got, want = _keep_of(shape, fmt, p, k, seed=int(rng.integers(100)), offset=offset)
        assert (got == want).all(), (shape, fmt, k, p, offset)


def test_block_keep_bits_refuses_bad_sizes():
    from fastdrop import _core

    drawn, keep = np.zeros(2, np.uint8), np.zeros(2, np.uint8)
    with pytest.raises(ValueError):
        _core.block_keep_bits(drawn, keep, 1, 3, 3, 1, 4)  # k > min(h, w)
    with pytest.raises(ValueError, match="overlap"):
        _core.block_keep_bits(drawn, drawn, 1, 3, 3, 1, 2)
    assert (keep == 0).all()


@pytest.mark.parametrize("planes,h,w,e", [(2**60, 2, 0, 13), (0, 2**40, 2**30, 1),
                                          (3, 2**62, 2**10, 0), (2**33, 0, 2**33, 2**33)])
def test_block_keep_bits_of_nothing_whatever_the_other_sizes(planes, h, w, e):
    """n = 0 is valid (fastdrop.h) even where the other sizes' product passes
    2**58: nothing kept, as the NumPy reference's empty mask."""
    from fastdrop import _core

    empty = np.zeros(0, np.uint8)
    want = RV.drop_block(np.zeros((1, 1, 3, 0), np.float32), 0.0, seed=1, block_size=3)[1]
    assert want.size == int(want.sum()) == 0
    assert _core.block_keep_bits(empty, empty, planes, h, w, e, 3) == 0
    assert _core.block_keep_bits_stream(_core.key(1), 0, 2**31, empty, planes, h, w, e, 3) == 0


def _bits_both_ways(shape, fmt, p, k, seed, offset):
    """(keep, kept) from fd_block_keep_bits_stream and from fd_mask_bits then
    fd_block_keep_bits, for x of shape shape."""
    from fastdrop import _core
    from fastdrop._variants import structured

    n_, a, b, c = shape
    h, w = (b, c) if fmt == "channels_first" else (a, b)
    k = min(k, h, w)
    planes, e = (n_ * a, 1) if fmt == "channels_first" else (n_, c)
    n = int(np.prod(shape))
    t = _core.threshold(structured.block_gamma(p, h, w, k))
    keep = np.full((n + 7) // 8, 0xA5, np.uint8)
    kept = _core.block_keep_bits_stream(_core.key(seed), offset, t, keep, planes, h, w, e, k)
    drawn = np.empty((n + 7) // 8, np.uint8)
    _core.mask_bits(_core.key(seed), offset, t, drawn, n)
    keep2 = np.full((n + 7) // 8, 0x5A, np.uint8)
    kept2 = _core.block_keep_bits(drawn, keep2, planes, h, w, e, k)
    return (keep, kept), (keep2, kept2)


# shapes for the banded path (src_c/api/fd_block.c): several bands per range,
# maps that are a whole number of words (the map's mask) or not, windows close
# to the widest a band takes (e = 1500) and just past it (e = 1700: drawn whole
# into scratch, then the per-row path), k equal to h or w, sizes that are not
# whole words or bytes
BAND_CASES = [
    ((2, 8, 130, 250), "channels_first", 7),
    ((3, 4, 64, 96), "channels_first", 5),
    ((2, 9, 10, 700), "channels_last", 7),
    ((1, 12, 12, 1500), "channels_last", 7),
    ((1, 12, 12, 1700), "channels_last", 7),
    ((1, 3, 7, 40), "channels_first", 7),
    ((2, 2, 40, 7), "channels_first", 7),
    ((2, 6, 6, 3), "channels_last", 6),
    ((1, 1, 5, 13), "channels_first", 4),
    ((3, 2, 9, 1), "channels_first", 1),
]


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("shape,fmt,k", BAND_CASES)
def test_bits_from_the_stream_equal_those_from_the_drawn_centres(threads, shape, fmt, k):
    before = fastdrop.get_num_threads()
    fastdrop.set_num_threads(threads)
    try:
        for p, seed, offset in ((0.1, 3, 0), (0.4, 5, 2**40 + 5), (0.0, 1, 7), (1.0, 2, 64),
                                (0.02, 9, 123457)):
            (keep, kept), (keep2, kept2) = _bits_both_ways(shape, fmt, p, k, seed, offset)
            assert (keep == keep2).all() and kept == kept2, (p, seed, offset)
            n = int(np.prod(shape))
            bits = np.unpackbits(keep, bitorder="little")
            assert int(bits[:n].sum()) == kept and not bits[n:].any()
    finally:
        fastdrop.set_num_threads(before)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("shape,fmt,k", [c for c in BAND_CASES if np.prod(c[0]) < 200_000])
def test_banded_block_mask_matches_the_reference(threads, shape, fmt, k):
    before = fastdrop.get_num_threads()
    fastdrop.set_num_threads(threads)
    try:
        for p, offset in ((0.15, 0), (0.5, 2**33 + 3)):
            got, want = _keep_of(shape, fmt, p, k, offset=offset)
            assert (got == want).all(), (p, offset)
    finally:
        fastdrop.set_num_threads(before)


def test_banded_block_mask_of_many_bands_matches_the_reference():
    # 130 x 250 maps: rows of 250 bits, several bands per thread's range
    before = fastdrop.get_num_threads()
    fastdrop.set_num_threads(1)
    try:
        got, want = _keep_of((1, 8, 130, 250), "channels_first", 0.2, 6, offset=11)
        assert (got == want).all() and not got.all() and got.any()
    finally:
        fastdrop.set_num_threads(before)


def test_block_keep_bits_stream_refuses_bad_input():
    from fastdrop import _core

    keep = np.zeros(2, np.uint8)
    with pytest.raises(ValueError):
        _core.block_keep_bits_stream(1, 0, 2**31, keep, 1, 3, 3, 1, 4)  # k > min(h, w)
    with pytest.raises(ValueError):
        _core.block_keep_bits_stream(1, 2**64 - 3, 2**31, keep, 1, 3, 3, 1, 2)  # past 2**64
    with pytest.raises(ValueError):
        _core.block_keep_bits_stream(1, 0, 2**32 + 1, keep, 1, 3, 3, 1, 2)  # threshold
    with pytest.raises((TypeError, ValueError)):
        _core.block_keep_bits_stream(1, 0, 2**31, np.zeros(3, np.uint8), 1, 3, 3, 1, 2)
    assert (keep == 0).all()
    assert _core.block_keep_bits_stream(1, 0, 2**31, np.zeros(0, np.uint8), 0, 3, 3, 1, 2) == 0

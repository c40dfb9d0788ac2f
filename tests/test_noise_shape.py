"""Noise shapes: dropout with a mask broadcast over x equals the oracle bit for bit."""

import numpy as np
import pytest
from conftest import DTYPES, layouts, random_floats
from helpers_variants import assert_bits_equal

import fastdrop
from fastdrop import _reference_variants as RV

# (x shape, noise shape): inner broadcast, inner noise, unaligned runs, all or nothing shared
CASES = [
    ((4, 5, 6), (4, 1, 6)),
    ((3, 7, 9), (1, 7, 1)),
    ((2, 3000), (2, 1)),
    ((5, 3, 70), (5, 1, 70)),
    ((3, 4, 5), (1, 1, 1)),
    ((3, 4, 5), (3, 4, 5)),
    ((2, 1, 3, 1, 130), (2, 1, 1, 1, 130)),
    ((17,), (1,)),
    ((), ()),
    ((0, 5), (0, 1)),
    ((4, 0), (1, 0)),
]
P_VALUES = [0.0, 0.1, 0.5, 0.3, 1.0]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,nshape", CASES)
def test_forward_matches_oracle_on_every_kernel(isa, dtype, shape, nshape):
    x = random_floats(int(np.prod(shape)), dtype).reshape(shape)
    for p in P_VALUES:
        for offset in (0, 3, 2045):
            y, mask = fastdrop.dropout_forward(x, p, seed=11, offset=offset, noise_shape=nshape)
            assert_bits_equal(y, RV.dropout(x, p, seed=11, offset=offset, nshape=nshape))
            assert mask.shape == nshape
            assert mask.size == int(np.prod(nshape))
            want = RV.noise_keep(11, offset, p, nshape, nshape)
            np.testing.assert_array_equal(mask.to_bool(), want)


@pytest.mark.parametrize("shape,nshape", CASES[:7])
def test_backward_broadcasts_the_mask(isa, shape, nshape):
    x = random_floats(int(np.prod(shape)), np.float32, seed=1).reshape(shape)
    g = random_floats(int(np.prod(shape)), np.float64, seed=2).reshape(shape)
    for store in ("bits", "seed"):
        for scaling in ("inverted", "classic"):
            _, mask = fastdrop.dropout_forward(x, 0.3, seed=5, offset=9, noise_shape=nshape,
                                               store=store, scaling=scaling)
            dx = fastdrop.dropout_backward(g, mask)
            assert_bits_equal(dx, RV.backward(g, 5, 9, 0.3, nshape, scaling))
            start = np.linspace(-1, 1, g.size).reshape(shape)
            out = start.copy()
            fastdrop.dropout_backward(g, mask, out=out, accumulate=True)
            assert_bits_equal(out, RV.backward(g, 5, 9, 0.3, nshape, scaling, out=start))


def test_broadcast_dims_and_none_entries_are_noise_shapes():
    x = random_floats(4 * 5 * 6, np.float32).reshape(4, 5, 6)
    want = fastdrop.dropout(x, 0.4, seed=2, noise_shape=(4, 1, 6))
    assert_bits_equal(fastdrop.dropout(x, 0.4, seed=2, noise_shape=(None, 1, None)), want)
    assert_bits_equal(fastdrop.dropout(x, 0.4, seed=2, broadcast_dims=1), want)
    assert_bits_equal(fastdrop.dropout(x, 0.4, seed=2, broadcast_dims=(-2,)), want)
    assert_bits_equal(fastdrop.dropout(x, 0.4, seed=2, noise_shape=x.shape),
                      fastdrop.dropout(x, 0.4, seed=2))


@pytest.mark.parametrize("dtype", [np.float16, np.float64])
def test_every_layout_and_out_in_place(dtype):
    x = random_floats(6 * 5 * 40, dtype).reshape(6, 5, 40)
    want = RV.dropout(x, 0.5, seed=3, offset=1, nshape=(6, 1, 40))
    for name, xl in layouts(x):
        got = fastdrop.dropout(xl, 0.5, seed=3, offset=1, noise_shape=(6, 1, 40))
        assert got.dtype == xl.dtype, name
        assert_bits_equal(got, want.astype(got.dtype))
        out = np.asfortranarray(np.zeros_like(x))
        fastdrop.dropout(xl, 0.5, seed=3, offset=1, noise_shape=(6, 1, 40), out=out)
        assert_bits_equal(out, want)
    inplace = x.copy()
    fastdrop.dropout(inplace, 0.5, seed=3, offset=1, noise_shape=(6, 1, 40), out=inplace)
    assert_bits_equal(inplace, want)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_thread_counts_and_large_arrays(threads):
    x = random_floats(64 * 3 * 4099, np.float32).reshape(64, 3, 4099)
    fastdrop.set_num_threads(threads)
    try:
        for nshape in ((64, 3, 1), (64, 1, 4099), (1, 3, 4099)):
            got = fastdrop.dropout(x, 0.3, seed=8, offset=5, noise_shape=nshape)
            assert_bits_equal(got, RV.dropout(x, 0.3, seed=8, offset=5, nshape=nshape))
        maps = x.reshape(-1)[: 64 * 331 * 37].reshape(64, 331, 37)  # short rows: tiled
        for nshape in ((64, 1, 37), (1, 1, 37)):
            got = fastdrop.dropout(maps, 0.3, seed=8, offset=5, noise_shape=nshape)
            assert_bits_equal(got, RV.dropout(maps, 0.3, seed=8, offset=5, nshape=nshape))
    finally:
        fastdrop.set_num_threads(None)


def test_generator_advances_by_the_noise_size_and_inference_draws_nothing():
    x = np.ones((3, 4, 5), np.float32)
    gen = fastdrop.Generator(4, offset=10)
    y1 = gen.dropout(x, 0.5, noise_shape=(3, 1, 5))
    assert gen.offset == 25
    y2, mask = gen.dropout_forward(x, 0.5, broadcast_dims=(0, 2))
    assert gen.offset == 29 and mask.offset == 25 and mask.shape == (1, 4, 1)
    gen.dropout(x, 0.5, training=False, noise_shape=(3, 1, 5))
    assert gen.offset == 29
    assert_bits_equal(y1, RV.dropout(x, 0.5, seed=4, offset=10, nshape=(3, 1, 5)))
    assert_bits_equal(y2, RV.dropout(x, 0.5, seed=4, offset=25, nshape=(1, 4, 1)))


def test_layer_with_a_noise_shape_shares_the_mask_over_time():
    layer = fastdrop.Dropout(0.5, seed=6, broadcast_dims=1)
    x = random_floats(2 * 7 * 9, np.float32).reshape(2, 7, 9)
    y = layer(x)
    assert_bits_equal(y, RV.dropout(x, 0.5, seed=6, offset=0, nshape=(2, 1, 9)))
    assert layer.generator.offset == 18
    g = np.ones_like(x)
    assert_bits_equal(layer.backward(g), RV.backward(g, 6, 0, 0.5, (2, 1, 9)))


def test_offset_is_checked_against_the_noise_size():
    x = np.ones((4, 100), np.float32)
    y = fastdrop.dropout(x, 0.5, seed=1, offset=2**64 - 4, noise_shape=(4, 1))
    assert_bits_equal(y, RV.dropout(x, 0.5, seed=1, offset=2**64 - 4, nshape=(4, 1)))
    with pytest.raises(ValueError, match="offset"):
        fastdrop.dropout(x, 0.5, seed=1, offset=2**64 - 3, noise_shape=(4, 1))


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(noise_shape=(4, 2)), ValueError, "noise_shape"),
    (dict(noise_shape=(4,)), ValueError, "noise_shape"),
    (dict(noise_shape=(4, 1, 1)), ValueError, "noise_shape"),
    (dict(noise_shape=4), TypeError, "noise_shape"),
    (dict(noise_shape="ab"), TypeError, "noise_shape"),
    (dict(noise_shape=(4, 1.0)), TypeError, "noise_shape"),
    (dict(noise_shape=(True, 1)), TypeError, "noise_shape"),
    (dict(broadcast_dims=2), ValueError, "broadcast_dims"),
    (dict(broadcast_dims=-3), ValueError, "broadcast_dims"),
    (dict(broadcast_dims=(0.5,)), TypeError, "broadcast_dims"),
    (dict(broadcast_dims=True), TypeError, "broadcast_dims"),
    (dict(noise_shape=(4, 1), broadcast_dims=1), ValueError, "broadcast_dims"),
])
@pytest.mark.parametrize("fn", ["dropout", "dropout_forward", "Generator.dropout",
                                "Generator.dropout_forward", "mc_dropout"])
def test_bad_noise_shapes_raise_naming_the_argument(kwargs, exc, match, fn):
    x = np.ones((4, 6), np.float32)
    out = np.full_like(x, -7.0)
    calls = {
        "dropout": lambda: fastdrop.dropout(x, 0.5, seed=1, out=out, **kwargs),
        "dropout_forward": lambda: fastdrop.dropout_forward(x, 0.5, seed=1, out=out, **kwargs),
        "Generator.dropout": lambda: fastdrop.Generator(1).dropout(x, 0.5, out=out, **kwargs),
        "Generator.dropout_forward":
            lambda: fastdrop.Generator(1).dropout_forward(x, 0.5, out=out, **kwargs),
        "mc_dropout": lambda: fastdrop.mc_dropout(x, 0.5, 2, seed=1, **kwargs),
    }
    before = fastdrop.default_generator().n_children_spawned
    with pytest.raises(exc, match=match):
        calls[fn]()
    assert (out == -7.0).all() and (x == 1).all()
    assert fastdrop.default_generator().n_children_spawned == before


def test_backward_refuses_a_grad_the_mask_does_not_broadcast_to():
    _, mask = fastdrop.dropout_forward(np.ones((4, 6)), 0.5, seed=1, noise_shape=(4, 1))
    for shape in [(4, 1, 6), (6,), (2, 6), (6, 4)]:
        with pytest.raises(ValueError, match="grad must have the mask's shape"):
            fastdrop.dropout_backward(np.ones(shape), mask)

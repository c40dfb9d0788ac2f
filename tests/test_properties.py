"""Property tests: random shapes, layouts, dtypes, p, seeds and offsets against the reference.

Hypothesis draws the cases. By default it is derandomized (the same cases on
every run, so CI cannot flake) with 60 examples a test; set
HYPOTHESIS_PROFILE=explore for a random search with 2000. Every test runs
once per kernel.
"""

import os

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_forward import assert_same_bits

import fastdrop
from fastdrop import _reference

settings.register_profile("ci", max_examples=60, derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.register_profile("explore", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

B = 2048
dtypes = st.sampled_from([np.float16, np.float32, np.float64])
ps = st.one_of(st.sampled_from([0.0, 1.0, 0.5, 2.0**-32, 1 - 2.0**-32]),
               st.floats(0.0, 1.0, allow_nan=False))
seeds = st.integers(0, 2**64 - 1)
# offsets near block boundaries and near the end of the stream, and anywhere
offsets = st.one_of(st.integers(0, 2**64 - 2**16),
                    st.builds(lambda k, d: k * B + d, st.integers(0, 2**40), st.integers(-17, 17))
                    .filter(lambda o: 0 <= o <= 2**64 - 2**16),
                    st.integers(2**64 - 2**16, 2**64 - 2**15))


@st.composite
def arrays(draw, dtype=None):
    """An array of any layout: strided, reversed, transposed, byte-swapped or unaligned."""
    dt = np.dtype(draw(dtypes) if dtype is None else dtype)
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=9)
                 | st.tuples(st.integers(0, 3 * B + 40)))
    base = np.asarray(draw(hnp.arrays(dt, shape, elements=st.floats(width=8 * dt.itemsize))))
    x = base
    if x.ndim:
        x = np.asarray(x[draw(hnp.basic_indices(x.shape, allow_ellipsis=False, allow_newaxis=False))])
    if x.ndim >= 2 and draw(st.booleans()):
        x = x.swapaxes(0, -1)
    if draw(st.booleans()):
        x = x.astype(dt.newbyteorder("S"))
    if draw(st.booleans()):
        unaligned = np.zeros(x.nbytes + 1, np.uint8)[1:].view(x.dtype).reshape(x.shape)
        unaligned[...] = x
        x = unaligned
    return x


@given(arrays(), ps, seeds, offsets, st.sampled_from(["inverted", "classic"]))
def test_dropout_matches_reference(isa, x, p, seed, offset, scaling):
    before = x.copy()
    y = fastdrop.dropout(x, p, seed=seed, offset=offset, scaling=scaling)
    assert_same_bits(y, _reference.dropout(x, p, seed=seed, offset=offset, scaling=scaling))
    assert y.dtype == x.dtype
    assert_same_bits(x, before)


@given(arrays(), ps, seeds, offsets, st.sampled_from(["bits", "seed"]))
def test_forward_and_backward_match_reference(isa, x, p, seed, offset, store):
    y, mask = fastdrop.dropout_forward(x, p, seed=seed, offset=offset, store=store)
    keep = _reference.keep_mask(seed, offset, p, x.size)
    assert_same_bits(y, _reference.dropout(x, p, seed=seed, offset=offset))
    np.testing.assert_array_equal(mask.to_bool().reshape(-1), keep)
    assert_same_bits(fastdrop.dropout_backward(x, mask), _reference.dropout_backward(x, keep, p))


@given(st.data(), dtypes, ps, seeds, offsets)
def test_accumulate_matches_reference(isa, data, dtype, p, seed, offset):
    grad = data.draw(arrays(dtype))
    finite = st.floats(-1e4, 1e4, width=8 * np.dtype(dtype).itemsize)  # NaN + NaN is unspecified
    out = data.draw(hnp.arrays(dtype, grad.shape, elements=finite))
    _, mask = fastdrop.dropout_forward(grad, p, seed=seed, offset=offset, store="seed")
    expected = _reference.dropout_backward(grad, mask.to_bool(), p, out=out)
    fastdrop.dropout_backward(grad, mask, out=out, accumulate=True)
    assert_same_bits(out, expected)


@given(arrays(), ps, seeds, offsets, st.data())
def test_any_chunking_gives_the_same_bits(isa, x, p, seed, offset, data):
    """Cutting the flat array anywhere and running the pieces at their offsets changes nothing."""
    flat = np.ascontiguousarray(x).reshape(-1)
    cuts = sorted(data.draw(st.lists(st.integers(0, flat.size), max_size=4)))
    pieces = [fastdrop.dropout(flat[a:b], p, seed=seed, offset=offset + a)
              for a, b in zip([0, *cuts], [*cuts, flat.size])]
    whole = fastdrop.dropout(x, p, seed=seed, offset=offset)
    assert_same_bits(np.concatenate(pieces).reshape(x.shape), whole)


@given(arrays(), ps, seeds, offsets)
def test_in_place_equals_out_of_place(isa, x, p, seed, offset):
    expected = fastdrop.dropout(x, p, seed=seed, offset=offset)
    y = x.copy()
    assert fastdrop.dropout(y, p, seed=seed, offset=offset, out=y) is y
    assert_same_bits(y, expected)

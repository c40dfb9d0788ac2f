"""Bad input: a TypeError or ValueError naming the argument, and nothing written."""

import numpy as np
import pytest

import fastdrop

X = np.arange(10, dtype=np.float32)


def call_all(**kwargs):
    """Every public entry point that takes (x, p, ...) keywords."""
    yield lambda: fastdrop.dropout(**kwargs)
    yield lambda: fastdrop.dropout_forward(**kwargs)
    gen = fastdrop.Generator(seed=1)
    kw = {k: v for k, v in kwargs.items() if k not in ("seed", "offset")}
    yield lambda: gen.dropout(**kw)
    yield lambda: gen.dropout_forward(**kw)


BAD = [
    (dict(x=np.arange(10)), TypeError, "x must have dtype"),
    (dict(x=np.ones(3, bool)), TypeError, "x must have dtype"),
    (dict(x=np.ones(3, complex)), TypeError, "x must have dtype"),
    (dict(x=np.array(["a"])), TypeError, "x must have dtype"),
    (dict(x=None), TypeError, "x must have dtype"),
    (dict(x=[object()]), TypeError, "x must have dtype"),
    (dict(x=X, p=-0.1), ValueError, "p must be in"),
    (dict(x=X, p=1.5), ValueError, "p must be in"),
    (dict(x=X, p=float("nan")), ValueError, "p must be in"),
    (dict(x=X, p=float("inf")), ValueError, "p must be in"),
    (dict(x=X, p="0.5"), TypeError, "p must be a real number"),
    (dict(x=X, p=None), TypeError, "p must be a real number"),
    (dict(x=X, p=True), TypeError, "p must be a real number"),
    (dict(x=X, p=0.5j), TypeError, "p must be a real number"),
    (dict(x=X, scaling="inverse"), ValueError, "scaling must be one of"),
    (dict(x=X, out=np.empty(10, np.float64)), TypeError, "out must have dtype"),
    (dict(x=X, out=np.empty(11, np.float32)), ValueError, "out must have shape"),
    (dict(x=X, out=[0.0] * 10), TypeError, "out must be a numpy.ndarray"),
]


@pytest.mark.parametrize("kwargs,exc,msg", BAD)
def test_bad_arguments(kwargs, exc, msg):
    for call in call_all(**{"p": 0.5, **kwargs}):
        with pytest.raises(exc, match=msg):
            call()


@pytest.mark.parametrize("seed,exc", [(-1, ValueError), (2**64, ValueError), (1.0, TypeError),
                                      ("1", TypeError), (True, TypeError)])
def test_bad_seed(seed, exc):
    for call in (lambda: fastdrop.dropout(X, seed=seed), lambda: fastdrop.Generator(seed),
                 lambda: fastdrop.Dropout(seed=seed), lambda: fastdrop.dropout_forward(X, seed=seed)):
        with pytest.raises(exc, match="seed"):
            call()


@pytest.mark.parametrize("offset,exc", [(-1, ValueError), (2**64 - 9, ValueError),
                                        (2**64, ValueError), (0.0, TypeError)])
def test_bad_offset(offset, exc):
    with pytest.raises(exc, match="offset"):
        fastdrop.dropout(X, seed=1, offset=offset)


def test_last_element_of_the_stream_is_usable():
    y = fastdrop.dropout(X, seed=1, offset=2**64 - 10)
    assert y.shape == X.shape


def test_bad_store_and_flags():
    with pytest.raises(ValueError, match="store must be one of"):
        fastdrop.dropout_forward(X, store="bytes")
    with pytest.raises(TypeError, match="training must be a bool"):
        fastdrop.dropout(X, training="yes")
    _, mask = fastdrop.dropout_forward(X, 0.5, seed=1)
    with pytest.raises(TypeError, match="accumulate must be a bool"):
        fastdrop.dropout_backward(X, mask, out=X.copy(), accumulate=1)


def test_read_only_out_is_not_written():
    out = np.zeros(10, np.float32)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="out is read-only"):
        fastdrop.dropout(X, seed=1, out=out)
    assert not out.any()


def test_backward_bad_input():
    _, mask = fastdrop.dropout_forward(X, 0.5, seed=1)
    with pytest.raises(TypeError, match="mask must be a fastdrop.Mask"):
        fastdrop.dropout_backward(X, X)
    with pytest.raises(ValueError, match="grad must have the mask's shape"):
        fastdrop.dropout_backward(X[:5], mask)
    with pytest.raises(TypeError, match="grad must have dtype"):
        fastdrop.dropout_backward(np.arange(10), mask)
    with pytest.raises(ValueError, match="accumulate=True needs out"):
        fastdrop.dropout_backward(X, mask, accumulate=True)
    out = np.full(10, 7.0, np.float32)
    with pytest.raises(TypeError, match="out must have dtype"):
        fastdrop.dropout_backward(X, mask, out=out.astype(np.float64))
    assert (out == 7.0).all()


def test_mask_constructor_checks():
    with pytest.raises(ValueError, match="bits must be a 1-D array of 2 bytes"):
        fastdrop.Mask((10,), 0.5, seed=1, bits=np.zeros(1, np.uint8))
    with pytest.raises(TypeError, match="bits must be a numpy.ndarray of dtype uint8"):
        fastdrop.Mask((10,), 0.5, seed=1, bits=np.zeros(2, np.int8))
    with pytest.raises(TypeError, match="seed must be an int"):
        fastdrop.Mask((10,), 0.5, seed=None)
    with pytest.raises(ValueError, match="shape must not have negative"):
        fastdrop.Mask((-1,), 0.5, seed=1)
    with pytest.raises(TypeError, match="shape must be a tuple of ints"):
        fastdrop.Mask((1.5,), 0.5, seed=1)


def test_layer_bad_arguments():
    with pytest.raises(ValueError, match="p must be in"):
        fastdrop.Dropout(2.0)
    with pytest.raises(ValueError, match="scaling"):
        fastdrop.Dropout(0.5, scaling="x")
    with pytest.raises(ValueError, match="store"):
        fastdrop.Dropout(0.5, store="x")


def test_inputs_are_never_modified():
    x = np.linspace(-3, 3, 5000).astype(np.float32)
    before = x.copy()
    y, mask = fastdrop.dropout_forward(x, 0.5, seed=1)
    fastdrop.dropout_backward(x, mask)
    fastdrop.dropout(x, 0.5, training=False, scaling="classic")
    np.testing.assert_array_equal(x, before)


def test_lists_of_floats_are_accepted():
    y = fastdrop.dropout([1.0, 2.0, 3.0], 0.0, seed=0)
    assert y.dtype == np.float64 and y.tolist() == [1.0, 2.0, 3.0]

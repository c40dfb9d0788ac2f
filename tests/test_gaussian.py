"""Gaussian dropout (SPEC.md 11.4): gaussian_dropout, its forward and backward,
the GaussianDropout layer, against the pure-NumPy reference bit for bit."""

import pickle

import numpy as np
import pytest

from conftest import layouts, random_floats

import fastdrop
from fastdrop import _reference_gaussian as ref

DTYPES = [np.float16, np.float32, np.float64]
P_VALUES = [0.0, 2.0**-30, 0.1, 0.5, 0.9, 1 - 2.0**-20]


def _raw(a):
    return np.ascontiguousarray(a).tobytes()


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_the_reference_on_every_kernel(isa, dtype):
    for p in P_VALUES:
        for seed, offset, n in [(0, 0, 1), (3, 5, 2049), (2**64 - 1, 2**64 - 70001, 70001)]:
            x = random_floats(n, dtype, seed=n)
            y = fastdrop.gaussian_dropout(x, p, seed=seed, offset=offset)
            want = ref.gaussian_dropout(x, p, seed=seed, offset=offset)
            assert y.dtype == x.dtype and _raw(y) == _raw(want), (p, seed, n)


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_layout_gives_the_c_order_result(dtype):
    x = random_floats(60, dtype).reshape(3, 4, 5)
    want = ref.gaussian_dropout(x, 0.3, seed=9, offset=2)
    for name, xl in layouts(x):
        y = fastdrop.gaussian_dropout(xl, 0.3, seed=9, offset=2)
        assert y.dtype == xl.dtype, name
        assert _raw(y.astype(x.dtype)) == _raw(want), name


def test_out_in_place_and_offsets():
    x = random_floats(5000, np.float32)
    want = fastdrop.gaussian_dropout(x, 0.4, seed=1)
    out = np.full_like(x, 7.0)
    assert fastdrop.gaussian_dropout(x, 0.4, seed=1, out=out) is out
    assert _raw(out) == _raw(want)
    inplace = x.copy()
    fastdrop.gaussian_dropout(inplace, 0.4, seed=1, out=inplace)
    assert _raw(inplace) == _raw(want)
    part = fastdrop.gaussian_dropout(x[1000:3000], 0.4, seed=1, offset=1000)
    assert _raw(part) == _raw(want[1000:3000])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vector_edges_in_place_and_offsets_on_every_kernel(isa, dtype):
    """Counts around the kernels' steps of 4 and 8, offsets of every residue
    mod 8, out= a new array and x itself."""
    for offset in (0, 1, 3, 5, 6, 2**64 - 64):
        for n in [*range(1, 34), 63, 64]:
            x = random_floats(n, dtype, seed=n)
            want = ref.gaussian_dropout(x, 0.3, seed=8, offset=offset)
            y = fastdrop.gaussian_dropout(x, 0.3, seed=8, offset=offset)
            assert _raw(y) == _raw(want), (offset, n)
            inplace = x.copy()
            assert fastdrop.gaussian_dropout(inplace, 0.3, seed=8, offset=offset,
                                             out=inplace) is inplace
            assert _raw(inplace) == _raw(want), (offset, n)


def test_inference_is_a_copy_and_p0_the_identity():
    x = random_floats(100, np.float64)
    y = fastdrop.gaussian_dropout(x, 0.5, seed=1, training=False)
    assert y is not x and _raw(y) == _raw(x)
    finite = np.isfinite(x)
    y0 = fastdrop.gaussian_dropout(x, 0.0, seed=1)
    np.testing.assert_array_equal(y0[finite], x[finite])


def test_backward_regenerates_the_forward_noise(isa):
    x = np.ones((7, 300), np.float32)
    y, noise = fastdrop.gaussian_dropout_forward(x, 0.25, seed=4, offset=9)
    assert (noise.seed, noise.offset, noise.shape, noise.p) == (4, 9, (7, 300), 0.25)
    g = random_floats(2100, np.float32, seed=2).reshape(7, 300)
    dx = fastdrop.gaussian_dropout_backward(g, noise)
    assert _raw(dx) == _raw(ref.gaussian_dropout_backward(g, 0.25, seed=4, offset=9))
    assert _raw(fastdrop.gaussian_dropout_backward(np.ones_like(x), noise)) == _raw(y)
    again = pickle.loads(pickle.dumps(noise))
    assert again == noise and _raw(fastdrop.gaussian_dropout_backward(g, again)) == _raw(dx)


def test_backward_refuses_what_does_not_fit():
    _, noise = fastdrop.gaussian_dropout_forward(np.ones(4), 0.5, seed=1)
    with pytest.raises(ValueError, match="grad"):
        fastdrop.gaussian_dropout_backward(np.ones(5), noise)
    with pytest.raises(TypeError, match="noise"):
        fastdrop.gaussian_dropout_backward(np.ones(4), "noise")
    _, vnoise = fastdrop.variational_dropout(np.ones(4), 0.0, seed=1)
    with pytest.raises(ValueError, match="noise"):
        fastdrop.gaussian_dropout_backward(np.ones(4), vnoise)


def test_noise_has_mean_one_and_the_dropout_variance():
    p = 0.3
    xi = fastdrop.gaussian_dropout(np.ones(2_000_000), p, seed=5)
    var = p / (1 - p)
    assert abs(xi.mean() - 1) < 5 * np.sqrt(var / xi.size)
    assert abs(xi.var() / var - 1) < 5 * np.sqrt(2 / xi.size)


@pytest.mark.parametrize("p,exc", [(1.0, ValueError), (-0.1, ValueError), (float("nan"), ValueError),
                                   ("0.5", TypeError)])
def test_bad_rates(p, exc):
    out = np.full(3, 5.0)
    with pytest.raises(exc, match=r"\bp\b"):
        fastdrop.gaussian_dropout(np.ones(3), p, seed=1, out=out)
    assert (out == 5.0).all()


def test_foreign_arrays_are_refused_by_name():
    cls = type("ndarray", (), {"__module__": "cupy._core.core", "shape": (8,)})
    for call in (lambda v: fastdrop.gaussian_dropout(v, 0.5, seed=1),
                 lambda v: fastdrop.gaussian_dropout_forward(v, 0.5, seed=1),
                 lambda v: fastdrop.GaussianDropout(0.5, seed=1)(v),
                 lambda v: fastdrop.variational_dropout(v, 0.0, seed=1),
                 lambda v: fastdrop.variational_dense(v, np.ones((8, 2)), 0.0, seed=1)):
        with pytest.raises(TypeError, match=r"^x is a CuPy array"):
            call(cls())


def test_layer_train_eval_and_backward():
    layer = fastdrop.GaussianDropout(0.2, seed=11)
    x = random_floats(50, np.float32, seed=1)
    y1 = layer(x)
    assert _raw(y1) == _raw(ref.gaussian_dropout(x, 0.2, seed=11, offset=0))
    dx = layer.backward(np.ones_like(x))
    assert _raw(dx) == _raw(ref.gaussian_dropout(np.ones_like(x), 0.2, seed=11, offset=0))
    with pytest.raises(RuntimeError, match="pending"):
        layer.backward(np.ones_like(x))
    y2, n2 = layer(x, return_noise=True)
    assert n2.offset == 50 and _raw(y2) == _raw(ref.gaussian_dropout(x, 0.2, seed=11, offset=50))
    layer(x)
    with pytest.raises(RuntimeError, match="2 are pending"):
        layer.backward(np.ones_like(x))
    assert _raw(layer.backward(np.ones_like(x), n2)) == _raw(
        ref.gaussian_dropout(np.ones_like(x), 0.2, seed=11, offset=50))
    layer.eval()
    assert _raw(layer(x)) == _raw(x)
    assert _raw(layer.backward(x)) == _raw(x)
    clone = pickle.loads(pickle.dumps(layer.train()))
    assert _raw(clone(x)) == _raw(layer(x))
    with pytest.raises(ValueError, match=r"\bp\b"):
        fastdrop.GaussianDropout(1.0)


def test_docstring_examples():
    import doctest

    from fastdrop import _gaussian

    result = doctest.testmod(_gaussian, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0

"""Learned variational dropout (Kingma et al. 2015), its local
reparameterisation for a dense layer, and the sparse VD regulariser
(Molchanov et al. 2017): results against the reference, every gradient
against central finite differences in float64."""

import warnings

import numpy as np
import pytest

import fastdrop
from fastdrop import _reference_gaussian as ref

RNG = np.random.default_rng(2015)


def _raw(a):
    return np.ascontiguousarray(a).tobytes()


def numeric_grad(f, a, h=1e-6):
    """Central differences of the scalar f() with respect to every element of a (in place)."""
    g = np.zeros_like(a)
    flat, gf = a.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + h
        up = f()
        flat[i] = keep - h
        down = f()
        flat[i] = keep
        gf[i] = (up - down) / (2 * h)
    return g


LA_SHAPES = [(4, 6), (1, 6), (6,), (), (4, 1)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("la_shape", LA_SHAPES)
def test_variational_dropout_matches_the_reference(isa, dtype, la_shape):
    x = RNG.standard_normal((4, 6)).astype(dtype)
    la = RNG.uniform(-4, 2, la_shape).astype(dtype)
    y, noise = fastdrop.variational_dropout(x, la, seed=3, offset=11)
    assert y.dtype == dtype and _raw(y) == _raw(ref.variational_dropout(x, la, seed=3, offset=11))
    g = RNG.standard_normal(x.shape).astype(dtype)
    dx, dla = fastdrop.variational_dropout_backward(g, x, la, noise)
    rdx, rdla = ref.variational_dropout_backward(g, x, la, seed=3, offset=11)
    assert _raw(dx) == _raw(rdx) and _raw(dla) == _raw(rdla) and dla.shape == la_shape


@pytest.mark.parametrize("la_shape", LA_SHAPES)
def test_variational_dropout_gradients(la_shape):
    x = RNG.standard_normal((4, 6))
    la = RNG.uniform(-3, 1, la_shape)
    c = RNG.standard_normal(x.shape)  # loss = sum(c * y), so grad = c

    def loss():
        return float((c * fastdrop.variational_dropout(x, la, seed=8, offset=2)[0]).sum())

    _, noise = fastdrop.variational_dropout(x, la, seed=8, offset=2)
    dx, dla = fastdrop.variational_dropout_backward(c, x, la, noise)
    np.testing.assert_allclose(dx, numeric_grad(loss, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dla, numeric_grad(loss, la), rtol=1e-6, atol=1e-8)


def test_variational_dropout_statistics_and_inference():
    x = np.full(1_000_000, 2.0)
    la = np.log(0.25)  # alpha = 1/4: y ~ N(2, 4 * 0.25)
    y, noise = fastdrop.variational_dropout(x, la, seed=1)
    assert abs(y.mean() - 2) < 5 * np.sqrt(1 / y.size)
    assert abs(y.var() - 1) < 5 * np.sqrt(2 / y.size)
    np.testing.assert_allclose(noise.normals(), (y / 2 - 1) / 0.5, rtol=0, atol=1e-14)
    y0, n0 = fastdrop.variational_dropout(x[:5], la, seed=1, training=False)
    assert _raw(y0) == _raw(x[:5]) and not n0.training
    dx, dla = fastdrop.variational_dropout_backward(np.ones(5), x[:5], la, n0)
    assert (dx == 1).all() and dla.shape == () and dla == 0


def test_variational_dropout_bad_inputs():
    x = np.ones((4, 6))
    with pytest.raises(ValueError, match="log_alpha"):
        fastdrop.variational_dropout(x, np.zeros(4), seed=1)
    with pytest.raises(TypeError, match="log_alpha"):
        fastdrop.variational_dropout(x, "a", seed=1)
    with pytest.raises(TypeError, match=r"\bx\b"):
        fastdrop.variational_dropout(np.ones(3, np.float16), 0.0, seed=1)
    with pytest.raises(ValueError, match="offset"):
        fastdrop.variational_dropout(x, 0.0, seed=1, offset=2**64 - 5)
    _, noise = fastdrop.variational_dropout(x, 0.0, seed=1)
    with pytest.raises(ValueError, match="grad"):
        fastdrop.variational_dropout_backward(np.ones(3), x, 0.0, noise)
    with pytest.raises(TypeError, match="noise"):
        fastdrop.variational_dropout_backward(x, x, 0.0, None)


def _dense(seed=0):
    r = np.random.default_rng(seed)
    return (r.standard_normal((5, 4)), r.standard_normal((4, 3)), r.uniform(-3, 1, (4, 3)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_variational_dense_matches_the_reference(isa, dtype):
    x, w, la = (a.astype(dtype) for a in _dense())
    b, noise = fastdrop.variational_dense(x, w, la, seed=6, offset=40)
    assert noise.shape == (5, 3) and b.dtype == dtype
    assert _raw(b) == _raw(ref.variational_dense(x, w, la, seed=6, offset=40))
    g = np.random.default_rng(1).standard_normal(b.shape).astype(dtype)
    got = fastdrop.variational_dense_backward(g, x, w, la, noise)
    want = ref.variational_dense_backward(g, x, w, la, seed=6, offset=40)
    for a, e in zip(got, want):
        assert a.dtype == dtype and _raw(a) == _raw(e)


@pytest.mark.parametrize("la_shape", [(4, 3), (1, 3), ()])
def test_variational_dense_gradients(la_shape):
    x, w, la_full = _dense(3)
    la = np.array(la_full[: la_shape[0], : la_shape[1]] if la_shape else la_full[0, 0])
    x[2] = 0.0  # a zero row: the 1e-8 keeps the root differentiable
    c = np.random.default_rng(4).standard_normal((5, 3))

    def loss():
        return float((c * fastdrop.variational_dense(x, w, la, seed=2, offset=1)[0]).sum())

    _, noise = fastdrop.variational_dense(x, w, la, seed=2, offset=1)
    dx, dw, dla = fastdrop.variational_dense_backward(c, x, w, la, noise)
    assert dla.shape == la.shape
    np.testing.assert_allclose(dx, numeric_grad(loss, x), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dw, numeric_grad(loss, w), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dla, numeric_grad(loss, la), rtol=1e-5, atol=1e-7)


def test_variational_dense_is_the_weight_noise_distribution():
    """Sampled pre-activations have mean x w and variance (x^2)(alpha w^2) + 1e-8."""
    x, w, la = _dense(5)
    xs = np.repeat(x[:1], 200_000, axis=0)
    b, _ = fastdrop.variational_dense(xs, w, la, seed=9)
    var = (x[:1] ** 2) @ (np.exp(la) * w**2) + 1e-8
    assert (np.abs(b.mean(0) - x[:1] @ w) < 5 * np.sqrt(var / b.shape[0])).all()
    assert (np.abs(b.var(0) / var - 1) < 5 * np.sqrt(2 / b.shape[0])).all()
    mu, n0 = fastdrop.variational_dense(x, w, la, seed=9, training=False)
    np.testing.assert_array_equal(mu, x @ w)
    dx, dw, dla = fastdrop.variational_dense_backward(np.ones((5, 3)), x, w, la, n0)
    np.testing.assert_array_equal(dx, np.ones((5, 3)) @ w.T)
    assert (dla == 0).all()


def test_variational_dense_bad_inputs():
    x, w, la = _dense()
    with pytest.raises(ValueError, match=r"\bw\b"):
        fastdrop.variational_dense(x, w.T, la, seed=1)
    with pytest.raises(ValueError, match="log_alpha"):
        fastdrop.variational_dense(x, w, la.T, seed=1)
    with pytest.raises(TypeError, match=r"\bw\b"):
        fastdrop.variational_dense(x, w.astype(np.float32), la, seed=1)
    _, noise = fastdrop.variational_dense(x, w, la, seed=1)
    with pytest.raises(ValueError, match="noise"):
        fastdrop.variational_dropout_backward(np.ones((5, 3)), np.ones((5, 3)), 0.0, noise)


def test_kl_matches_the_reference_and_the_paper():
    la = np.linspace(-8, 8, 161)
    kl, g = fastdrop.kl_sparse_vd(la)
    rkl, rg = ref.kl_sparse_vd(la)
    np.testing.assert_allclose(kl, rkl, rtol=1e-12)
    np.testing.assert_allclose(g, rg, rtol=1e-12, atol=1e-15)
    # the approximation decreases to 0 as alpha grows (KL to the log-uniform prior)
    per = np.array([fastdrop.kl_sparse_vd(v)[0] for v in la])
    assert (np.diff(per) < 0).all() and abs(per[-1]) < 1e-3


def test_kl_gradient():
    la = np.random.default_rng(0).uniform(-6, 6, (3, 4))
    _, g = fastdrop.kl_sparse_vd(la)
    np.testing.assert_allclose(g, numeric_grad(lambda: fastdrop.kl_sparse_vd(la)[0], la),
                               rtol=1e-6, atol=1e-9)


def test_kl_is_stable_at_extreme_log_alpha():
    la = np.array([-1e4, -800.0, 800.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kl, g = fastdrop.kl_sparse_vd(la)
    assert np.isfinite(kl) and np.isfinite(g).all()
    np.testing.assert_allclose(g, [-0.5, -0.5, 0.0, 0.0], atol=1e-12)
    kl32, g32 = fastdrop.kl_sparse_vd(la.astype(np.float32))
    assert g32.dtype == np.float32 and np.isfinite(kl32)

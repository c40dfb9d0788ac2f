"""Gaussian and variational dropout on the normal stream (SPEC.md section 11).

Multiplicative Gaussian noise (Srivastava et al. 2014, section 10), learned
variational dropout and its local reparameterisation (Kingma, Salimans and
Welling 2015), and the sparse variational dropout regulariser (Molchanov,
Ashukha and Vetrov 2017). The noise is a pure function of (seed, element
index), so backward passes regenerate it from a `Noise` record instead of
storing it.
"""

from __future__ import annotations

import math

import numpy as np

from fastdrop import _checks, _core
from fastdrop._api import _finish, _seed, _source, _target
from fastdrop._mask import _check_shape

NORMAL_SPEC: str = _core.NORMAL_SPEC

_REFS = """
    References
    ----------
    .. [1] N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever,
       R. Salakhutdinov, "Dropout: a simple way to prevent neural networks
       from overfitting", JMLR 15, 2014, section 10.
    .. [2] D. P. Kingma, T. Salimans, M. Welling, "Variational dropout and
       the local reparameterization trick", NeurIPS 2015.
    .. [3] D. Molchanov, A. Ashukha, D. Vetrov, "Variational dropout
       sparsifies deep neural networks", ICML 2017."""

_COMPAT = """
    Compatibility Guarantee
        The noise is a pure function of (seed, element index): element k (C
        order) uses normal variate ``offset + k`` of the stream named
        `fastdrop.NORMAL_SPEC` (SPEC.md section 11), the same bits on every
        kernel, thread count and memory layout."""


class Noise:
    """Noise(kind, shape, seed, offset, p=None, training=True)
    --

    The record of a noisy forward pass, from which backward regenerates its
    normal variates: the variates of stream elements ``offset`` ..
    ``offset + size - 1`` of `seed`, laid over `shape` in C order.

    Made by `gaussian_dropout_forward`, `variational_dropout` and
    `variational_dense`; nothing but these numbers is stored.

    Attributes
    ----------
    kind : str
        "gaussian", "variational" or "dense": the function that made it.
    shape : tuple of int
        The shape of the noise (the output's shape).
    seed, offset : int
        The stream and its first element.
    p : float or None
        The drop rate of a Gaussian dropout, else None.
    training : bool
        False for an inference forward, which drew no noise.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> _, noise = fastdrop.gaussian_dropout_forward(np.ones((2, 2)), 0.5, seed=1)
    >>> noise
    Noise('gaussian', shape=(2, 2), seed=1, offset=0, p=0.5, training=True)
    >>> noise.normals()
    array([[-1.49492477, -0.18727795],
           [ 1.16777658,  0.04892692]])
    """

    __slots__ = ("_kind", "_shape", "_seed", "_offset", "_p", "_training")

    def __init__(self, kind, shape, seed, offset, p=None, training=True):
        self._kind = _checks.check_choice(kind, "kind", ("gaussian", "variational", "dense"))
        self._shape = _check_shape(shape)
        self._seed = _checks.check_seed(seed, sources=False)
        n = int(np.prod(self._shape, dtype=object))
        if n >= 1 << 64:
            raise ValueError(f"shape must have fewer than 2**64 elements, got {self._shape}")
        self._offset = _checks.check_offset(offset, n)
        self._p = None if p is None else _check_rate(p)
        self._training = _checks.check_flag(training, "training")

    @property
    def kind(self) -> str:
        """The function that made the record."""
        return self._kind

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the noise."""
        return self._shape

    @property
    def seed(self) -> int:
        """The stream's seed."""
        return self._seed

    @property
    def offset(self) -> int:
        """The stream element of element 0."""
        return self._offset

    @property
    def p(self) -> float | None:
        """The Gaussian dropout rate, or None."""
        return self._p

    @property
    def training(self) -> bool:
        """False for an inference forward."""
        return self._training

    @property
    def size(self) -> int:
        """The number of variates: the product of `shape`."""
        return int(np.prod(self._shape, dtype=object))

    def normals(self, dtype=np.float64) -> np.ndarray:
        """normals(dtype=numpy.float64)

        The noise's standard normal variates, regenerated, as an array of
        `shape` in float32 or float64."""
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64, got {dtype}")
        z = np.empty(self._shape, dtype)
        if z.size:
            _core.normals(_core.key(self._seed), self._offset, z)
        return z

    def __reduce__(self):
        return (Noise, (self._kind, self._shape, self._seed, self._offset, self._p,
                        self._training))

    def __eq__(self, other) -> bool:
        return isinstance(other, Noise) and self.__reduce__() == other.__reduce__()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        p = "" if self._p is None else f", p={self._p!r}"
        return (f"Noise({self._kind!r}, shape={self._shape}, seed={self._seed}, "
                f"offset={self._offset}{p}, training={self._training})")


def _check_rate(p) -> float:
    """A Gaussian dropout rate: as `check_p`, but p = 1 (infinite variance) is refused."""
    p = _checks.check_p(p)
    if p == 1.0:
        raise ValueError("p must be in [0, 1) for Gaussian dropout (p = 1 has infinite variance)")
    return p


def _sigma(p: float) -> float:
    """sqrt(p / (1 - p)) in binary64, each operation rounded once (SPEC.md 11.4)."""
    return math.sqrt(p / (1.0 - p))


def _float_array(x, name: str, half: bool = False) -> np.ndarray:
    """x as a float32 or float64 ndarray, or float16 with half (foreign arrays
    refused by `as_float_array`)."""
    a = _checks.as_float_array(x, name)
    if a.dtype.itemsize == 2 and not half:
        raise TypeError(f"{name} must be float32 or float64, got {a.dtype}")
    return a


def _native_array(x, name: str) -> np.ndarray:
    """A float32 or float64 array in native byte order, for the NumPy formulas."""
    a = _float_array(x, name)
    return a.astype(a.dtype.newbyteorder("="), copy=False)


def _noise_of(noise, kind: str) -> Noise:
    if not isinstance(noise, Noise):
        raise TypeError(f"noise must be a fastdrop.Noise, got {type(noise).__name__}")
    if noise.kind != kind:
        raise ValueError(f"noise comes from a {noise.kind!r} forward, not a {kind!r} one")
    return noise


def _multiply_noise(x: np.ndarray, p: float, seed: int, offset: int, out) -> np.ndarray:
    """x * (1 + sigma Z) through the C kernel, into out or a new array of x's layout.

    float16 is computed in float32 and rounded once (SPEC.md 11.4)."""
    y, work = _target(x, out)
    if x.size and x.dtype.itemsize == 2:
        x32 = np.array(x, dtype=np.float32, order="C")
        _core.gaussian(x32, x32, _core.key(seed), offset, _sigma(p))
        with np.errstate(over="ignore"):  # rounding to float16 overflows to inf
            np.copyto(work, x32, casting="unsafe")
    elif x.size:
        _core.gaussian(_source(x, work), work, _core.key(seed), offset, _sigma(p))
    return _finish(y, work)


def _check_out(out, x):
    if out is not None:
        _checks.check_out(out, x.shape, x.dtype)


def gaussian_dropout(x, p=0.5, *, seed=None, offset=0, training=True, out=None):
    """gaussian_dropout(x, p=0.5, *, seed=None, offset=0, training=True, out=None)

    Multiply x by Gaussian noise of mean 1 and variance ``p / (1 - p)``.

    Parameters
    ----------
    x : array_like of float16, float32 or float64
        Input, any shape, memory layout and byte order (float16 is computed
        in float32 and rounded once).
    p : float, default=0.5
        The drop rate of the Bernoulli dropout whose variance the noise
        matches, in [0, 1).
    seed : int, numpy.random.SeedSequence, numpy.random.Generator or None, default=None
        As in `fastdrop.dropout`.
    offset : int, default=0
        Stream index of the first variate; ``offset + x.size <= 2**64``.
    training : bool, default=True
        If False, the result is a copy of x and no noise is drawn.
    out : numpy.ndarray, optional
        As in `fastdrop.dropout` (``out=x`` works in place).

    Returns
    -------
    y : numpy.ndarray
        ``x * (1 + sigma * z)``, ``sigma = sqrt(p / (1 - p))``, z the normal
        variates of the stream, in x's dtype and layout.

    Raises
    ------
    TypeError
        If x is not float32 or float64 (float16 included) or a foreign array
        (CuPy, torch tensors needing grad, JAX tracers), or an argument has
        the wrong type. The message names the argument.
    ValueError
        If p is outside [0, 1) or NaN, seed or offset are out of range, or
        out does not fit. Nothing is written when an error is raised.

    See Also
    --------
    gaussian_dropout_forward : also returns the `Noise` for backward.
    GaussianDropout : the layer.

    Notes
    -----
    Srivastava et al. [1]_ (section 10) observe that multiplying by
    :math:`\\xi \\sim \\mathcal{N}(1, \\sigma^2)` with
    :math:`\\sigma^2 = p / (1 - p)` matches the mean and variance of inverted
    Bernoulli dropout, :math:`\\mathrm{Var}[m / (1 - p)] = p / (1 - p)`;
    Keras' ``GaussianDropout`` uses the same rate. Inference uses the mean,
    :math:`E[\\xi] = 1`. Element k is ``fl(x * fl(1 + fl(sigma * z_k)))`` in
    x's dtype (SPEC.md 11.4).
    {compat}
    {refs}

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> x = np.ones(4, np.float32)
    >>> fastdrop.gaussian_dropout(x, 0.5, seed=0)
    array([ 2.1673603 ,  1.1999692 , -0.02357769,  0.87352353], dtype=float32)
    """
    x = _float_array(x, "x", half=True)
    p = _check_rate(p)
    _check_out(out, x)
    training = _checks.check_flag(training, "training")
    offset = _checks.check_offset(offset, x.size)
    seed = _seed(seed)
    if not training:
        y = np.empty_like(x, order="K") if out is None else out
        np.copyto(y, x)
        return y
    return _multiply_noise(x, p, seed, offset, out)


def gaussian_dropout_forward(x, p=0.5, *, seed=None, offset=0, out=None):
    """gaussian_dropout_forward(x, p=0.5, *, seed=None, offset=0, out=None)

    Training-mode `gaussian_dropout` that also returns the `Noise` for backward.

    Parameters
    ----------
    x, p, seed, offset, out
        As in `gaussian_dropout`.

    Returns
    -------
    y : numpy.ndarray
        As `gaussian_dropout`.
    noise : Noise
        The seed (the drawn one when seed is None), offset, shape and p.

    Raises
    ------
    TypeError, ValueError
        As `gaussian_dropout`.
    {compat}

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> x = np.ones(3)
    >>> y, noise = fastdrop.gaussian_dropout_forward(x, 0.2, seed=5)
    >>> bool((fastdrop.gaussian_dropout_backward(np.ones(3), noise) == y).all())
    True
    """
    x = _float_array(x, "x", half=True)
    p = _check_rate(p)
    _check_out(out, x)
    offset = _checks.check_offset(offset, x.size)
    seed = _seed(seed)
    y = _multiply_noise(x, p, seed, offset, out)
    return y, Noise("gaussian", x.shape, seed, offset, p)


def gaussian_dropout_backward(grad, noise, *, out=None):
    """gaussian_dropout_backward(grad, noise, *, out=None)

    Gradient of Gaussian dropout: grad times the forward's noise, regenerated.

    Parameters
    ----------
    grad : array_like of float32 or float64
        Gradient with respect to the forward's output; the noise's shape.
    noise : Noise
        From `gaussian_dropout_forward`.
    out : numpy.ndarray, optional
        Where to write the result (grad's shape and dtype).

    Returns
    -------
    dx : numpy.ndarray
        ``grad * (1 + sigma * z)`` with the forward's z, rounded as the
        forward (the same multiplier bits).

    Raises
    ------
    TypeError
        If noise is not a Noise, or grad or out have a bad type or dtype.
    ValueError
        If the noise is not a Gaussian dropout's, grad's shape differs from
        it, or out does not fit.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> y, noise = fastdrop.gaussian_dropout_forward(np.full(3, 2.0), 0.5, seed=3)
    >>> bool((fastdrop.gaussian_dropout_backward(np.full(3, 2.0), noise) == y).all())
    True
    """
    noise = _noise_of(noise, "gaussian")
    grad = _float_array(grad, "grad", half=True)
    if grad.shape != noise.shape:
        raise ValueError(f"grad must have the noise's shape {noise.shape}, got {grad.shape}")
    _check_out(out, grad)
    assert noise.p is not None
    return _multiply_noise(grad, noise.p, noise.seed, noise.offset, out)


def _log_alpha(log_alpha, like: np.ndarray, target: tuple, name: str = "log_alpha"):
    """log_alpha as an array of like's dtype that broadcasts to the shape target."""
    la = _checks.as_float_array(log_alpha, name)
    fits = la.ndim <= len(target) and all(
        d in (1, t) for d, t in zip(la.shape[::-1], target[::-1]))
    if not fits:
        raise ValueError(f"{name} of shape {la.shape} does not broadcast to {target}")
    return la.astype(like.dtype, copy=False)


def _sum_to(a: np.ndarray, shape: tuple) -> np.ndarray:
    """a summed over the axes broadcasting added or stretched from shape."""
    lead = a.ndim - len(shape)
    if lead:
        a = a.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and a.shape[i] != 1)
    return np.asarray(a.sum(axis=axes, keepdims=True) if axes else a).reshape(shape)


def variational_dropout(x, log_alpha, *, seed=None, offset=0, training=True):
    """variational_dropout(x, log_alpha, *, seed=None, offset=0, training=True)

    Gaussian dropout with a learned rate: ``x * (1 + sqrt(alpha) * eps)``.

    Parameters
    ----------
    x : array_like of float32 or float64
        Input, any shape.
    log_alpha : array_like of float
        :math:`\\log\\alpha`, broadcastable to x: per element, per unit (for
        example shape ``(1, features)``) or a scalar. Converted to x's dtype.
    seed, offset
        As in `gaussian_dropout`; eps has x's shape.
    training : bool, default=True
        If False, y is a copy of x (the noise's mean) and nothing is drawn.

    Returns
    -------
    y : numpy.ndarray
        The result, x's shape and dtype in native byte order (C order).
    noise : Noise
        For `variational_dropout_backward`.

    Raises
    ------
    TypeError
        If x is not float32 or float64, or an argument has the wrong type.
    ValueError
        If log_alpha does not broadcast to x, or seed or offset are out of
        range.

    See Also
    --------
    variational_dropout_backward, kl_sparse_vd

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> x = np.array([1.0, 2.0, 3.0])
    >>> y, noise = fastdrop.variational_dropout(x, np.log(0.25), seed=7)
    >>> y
    array([1.48234758, 2.26543544, 4.38726612])

    Notes
    -----
    Kingma et al. [2]_: with :math:`\\xi = 1 + \\sqrt{\\alpha}\\,\\epsilon`,
    :math:`\\epsilon \\sim \\mathcal{N}(0, 1)`, the output
    :math:`y = x\\xi` is differentiable in :math:`\\alpha`
    (the reparameterisation trick). ``sqrt(alpha)`` is
    ``exp(log_alpha / 2)``, NumPy's exp; eps is the normal stream rounded to
    x's dtype.
    {compat}
    {refs}
    """
    x = _native_array(x, "x")
    la = _log_alpha(log_alpha, x, x.shape)
    training = _checks.check_flag(training, "training")
    offset = _checks.check_offset(offset, x.size)
    seed = _seed(seed)
    noise = Noise("variational", x.shape, seed, offset, training=training)
    if not training:
        return np.array(x, order="C"), noise
    ct = x.dtype.type
    eps = noise.normals(x.dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # inf and NaN pass as in NumPy
        return np.asarray(x * (ct(1.0) + np.exp(la * ct(0.5)) * eps)), noise


def variational_dropout_backward(grad, x, log_alpha, noise):
    """variational_dropout_backward(grad, x, log_alpha, noise)

    Gradients of `variational_dropout` with respect to x and log_alpha.

    Parameters
    ----------
    grad : array_like of float32 or float64
        Gradient of the loss with respect to y; the noise's shape.
    x, log_alpha
        The forward's arguments.
    noise : Noise
        The forward's record; eps is regenerated from it.

    Returns
    -------
    dx : numpy.ndarray
        :math:`g (1 + \\sqrt{\\alpha}\\,\\epsilon)`, grad's dtype.
    dlog_alpha : numpy.ndarray
        :math:`\\sum g\\, x\\, \\epsilon \\sqrt{\\alpha} / 2`, summed over the
        axes log_alpha was broadcast along, in log_alpha's shape. Zero for
        an inference forward (whose dx is grad).

    Raises
    ------
    TypeError, ValueError
        For a bad noise, mismatched shapes or dtypes (the message names the
        argument).

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> x = np.array([1.0, 2.0, 3.0])
    >>> y, noise = fastdrop.variational_dropout(x, np.log(0.25), seed=7)
    >>> dx, dla = fastdrop.variational_dropout_backward(np.ones(3), x, np.log(0.25), noise)
    >>> dx, float(dla)
    (array([1.48234758, 1.13271772, 1.46242204]), 1.0675245746205273)
    """
    noise = _noise_of(noise, "variational")
    grad = _native_array(grad, "grad")
    x = _native_array(x, "x")
    if grad.shape != noise.shape or x.shape != noise.shape:
        raise ValueError(f"grad and x must have the noise's shape {noise.shape}, "
                         f"got {grad.shape} and {x.shape}")
    la = _log_alpha(log_alpha, grad, x.shape)
    if not noise.training:
        return np.array(grad, order="C"), np.zeros(la.shape, grad.dtype)
    ct = grad.dtype.type
    eps = noise.normals(grad.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        sa = np.exp(la * ct(0.5))
        dx = np.asarray(grad * (ct(1.0) + sa * eps))
        return dx, _sum_to(grad * x * eps * (sa * ct(0.5)), la.shape)


def _dense_args(x, w, log_alpha):
    x = _native_array(x, "x")
    w = _native_array(w, "w")
    if x.ndim != 2 or w.ndim != 2 or x.shape[1] != w.shape[0]:
        raise ValueError(f"x (batch, in) and w (in, out) must be 2-d with matching 'in', "
                         f"got {x.shape} and {w.shape}")
    if w.dtype != x.dtype:
        raise TypeError(f"w must have x's dtype {x.dtype}, got {w.dtype}")
    la = _log_alpha(log_alpha, x, w.shape)
    return x, w, la


MIN_VAR = 1e-8


def variational_dense(x, w, log_alpha, *, seed=None, offset=0, training=True):
    """variational_dense(x, w, log_alpha, *, seed=None, offset=0, training=True)

    A dense layer with Gaussian weight noise, sampled through its
    pre-activations (the local reparameterisation trick).

    Parameters
    ----------
    x : array_like of float32 or float64, shape (batch, in)
    w : array_like, shape (in, out)
        Weight means :math:`\\theta`, x's dtype.
    log_alpha : array_like
        :math:`\\log\\alpha` per weight, broadcastable to w's shape.
    seed, offset
        As in `gaussian_dropout`; ``batch * out`` variates are drawn.
    training : bool, default=True
        If False, the result is the mean ``x @ w`` and nothing is drawn.

    Returns
    -------
    b : numpy.ndarray, shape (batch, out)
        :math:`\\mu + s\\,\\epsilon`, :math:`\\mu = x\\theta`,
        :math:`s = \\sqrt{(x \\odot x)(\\alpha \\odot \\theta \\odot \\theta) + 10^{-8}}`.
    noise : Noise
        For `variational_dense_backward`.

    Raises
    ------
    TypeError, ValueError
        For bad types, dtypes, shapes, seed or offset (the message names
        the argument).

    Notes
    -----
    With independent weights :math:`w_{ij} \\sim \\mathcal{N}(\\theta_{ij},
    \\alpha_{ij}\\theta_{ij}^2)`, each pre-activation
    :math:`b_{mj} = \\sum_i x_{mi} w_{ij}` is Gaussian with mean
    :math:`\\mu_{mj}` and variance :math:`s^2_{mj}`; sampling b directly
    (one variate per activation, not per weight) is Kingma et al.'s local
    reparameterisation [2]_, which has lower gradient variance. The
    :math:`10^{-8}` keeps the square root differentiable where a row of x is
    zero, as in Molchanov et al.'s code [3]_. To prune for inference, zero
    the weights with ``log_alpha > 3`` and use ``x @ w``.
    {compat}
    {refs}

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> x, w = np.ones((2, 3)), np.full((3, 2), 0.5)
    >>> b, noise = fastdrop.variational_dense(x, w, np.full((3, 2), -1.0), seed=1)
    >>> b
    array([[0.71475942, 1.40162833],
           [2.11339913, 1.52569989]])
    """
    x, w, la = _dense_args(x, w, log_alpha)
    training = _checks.check_flag(training, "training")
    shape = (x.shape[0], w.shape[1])
    offset = _checks.check_offset(offset, shape[0] * shape[1])
    seed = _seed(seed)
    noise = Noise("dense", shape, seed, offset, training=training)
    mu = x @ w
    if not training:
        return mu, noise
    ct = x.dtype.type
    s = np.sqrt((x * x) @ (np.exp(la) * (w * w)) + ct(MIN_VAR))
    return mu + s * noise.normals(x.dtype), noise


def variational_dense_backward(grad, x, w, log_alpha, noise):
    """variational_dense_backward(grad, x, w, log_alpha, noise)

    Gradients of `variational_dense` with respect to x, w and log_alpha.

    Parameters
    ----------
    grad : array_like, shape (batch, out)
        Gradient of the loss with respect to b, x's dtype.
    x, w, log_alpha
        The forward's arguments.
    noise : Noise
        The forward's record; eps is regenerated from it.

    Returns
    -------
    dx : numpy.ndarray, shape (batch, in)
    dw : numpy.ndarray, shape (in, out)
    dlog_alpha : numpy.ndarray, shape (in, out)
        With :math:`r = g \\odot \\epsilon / (2s)` and
        :math:`\\alpha\\theta^2` written :math:`v`:
        :math:`dx = g\\theta^T + 2x \\odot (r v^T)`,
        :math:`d\\theta = x^T g + 2\\alpha\\theta \\odot ((x \\odot x)^T r)`,
        :math:`d\\log\\alpha = v \\odot ((x \\odot x)^T r)` (in w's shape,
        summed to log_alpha's when it was broadcast). An inference forward
        gives :math:`g\\theta^T`, :math:`x^T g` and zeros.

    Raises
    ------
    TypeError, ValueError
        For a bad noise or mismatched shapes or dtypes.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> x, w, la = np.ones((2, 3)), np.full((3, 2), 0.5), np.full((3, 2), -1.0)
    >>> b, noise = fastdrop.variational_dense(x, w, la, seed=1)
    >>> dx, dw, dla = fastdrop.variational_dense_backward(np.ones((2, 2)), x, w, la, noise)
    >>> dx.shape, dw.shape, dla.shape
    ((2, 3), (3, 2), (3, 2))
    """
    noise = _noise_of(noise, "dense")
    x, w, la = _dense_args(x, w, log_alpha)
    grad = _native_array(grad, "grad")
    if grad.shape != noise.shape or noise.shape != (x.shape[0], w.shape[1]):
        raise ValueError(f"grad must have the noise's shape {noise.shape} = (batch, out), "
                         f"got {grad.shape}")
    if grad.dtype != x.dtype:
        raise TypeError(f"grad must have x's dtype {x.dtype}, got {grad.dtype}")
    if not noise.training:
        return grad @ w.T, x.T @ grad, np.zeros(la.shape, x.dtype)
    ct = x.dtype.type
    alpha = np.exp(la)
    aw2 = alpha * (w * w)
    s = np.sqrt((x * x) @ aw2 + ct(MIN_VAR))
    r = grad * noise.normals(x.dtype) / (s + s)
    x2r = (x * x).T @ r
    dx = grad @ w.T + ct(2.0) * x * (r @ aw2.T)
    dw = x.T @ grad + x2r * (ct(2.0) * alpha * w)
    return dx, dw, _sum_to(x2r * aw2, la.shape)


K1, K2, K3 = 0.63576, 1.87320, 1.48695


def kl_sparse_vd(log_alpha):
    """kl_sparse_vd(log_alpha)

    The KL divergence of sparse variational dropout and its gradient.

    Parameters
    ----------
    log_alpha : array_like of float
        :math:`\\log\\alpha` of every weight (any shape; float16 and
        integers are computed in float64, float32 stays float32).

    Returns
    -------
    kl : float
        :math:`\\sum_i \\mathrm{KL}_i`, summed in float64.
    grad : numpy.ndarray
        :math:`\\partial\\,\\mathrm{kl} / \\partial \\log\\alpha_i`,
        log_alpha's shape.

    Raises
    ------
    TypeError
        If log_alpha is not a real array (the message names it).

    Notes
    -----
    Molchanov et al.'s approximation [3]_ of the KL divergence from the
    variational posterior to the log-uniform prior, per weight:

    .. math::

        -\\mathrm{KL} \\approx k_1 \\sigma(k_2 + k_3 \\log\\alpha)
            - \\tfrac12 \\log(1 + e^{-\\log\\alpha}) - k_1,

    :math:`k_1 = 0.63576, k_2 = 1.87320, k_3 = 1.48695`, :math:`\\sigma` the
    logistic function, so

    .. math::

        \\frac{\\partial\\,\\mathrm{KL}}{\\partial \\log\\alpha} =
            -k_1 k_3 \\sigma(z)(1 - \\sigma(z)) - \\tfrac12 \\sigma(-\\log\\alpha),
        \\quad z = k_2 + k_3 \\log\\alpha.

    Evaluated stably (``logaddexp``, and the logistic function through
    ``exp(-|z|)``), so large ``|log_alpha|`` neither overflows nor warns.
    {refs}

    Examples
    --------
    >>> import fastdrop
    >>> kl, g = fastdrop.kl_sparse_vd([-2.0, 0.0, 4.0])
    >>> round(kl, 6), g.round(6).tolist()
    (1.981102, [-0.617465, -0.359128, -0.009372])
    """
    la = _checks.as_float_array(log_alpha, "log_alpha")
    if la.dtype != np.float32:
        la = la.astype(np.float64)
    ct = la.dtype.type

    def logistic(v):
        e = np.exp(-np.abs(v))
        return np.where(v >= 0, ct(1.0) / (ct(1.0) + e), e / (ct(1.0) + e))

    sz = logistic(ct(K2) + ct(K3) * la)
    neg_kl = ct(K1) * sz - ct(0.5) * np.logaddexp(ct(0.0), -la) - ct(K1)
    grad = -(ct(K1 * K3) * sz * (ct(1.0) - sz) + ct(0.5) * logistic(-la))
    return -float(neg_kl.sum(dtype=np.float64)), grad


for _f in (gaussian_dropout, gaussian_dropout_forward, variational_dropout, variational_dense,
           kl_sparse_vd):
    _f.__doc__ = (_f.__doc__ or "").replace("{compat}", _COMPAT).replace("{refs}", _REFS)
del _f


class GaussianDropout:
    """GaussianDropout(p=0.5, *, seed=None)
    --

    A Gaussian dropout layer: ``layer(x)`` multiplies by noise of mean 1 and
    variance ``p / (1 - p)`` in training mode and is the identity in
    inference mode; ``layer.backward(grad)`` regenerates the noise.

    Parameters
    ----------
    p : float, default=0.5
        The rate, in [0, 1).
    seed : int, numpy.random.SeedSequence, numpy.random.Generator or None, default=None
        Seed of the layer's `Generator` (None: the next child seed of the
        default Generator).

    Attributes
    ----------
    training : bool
        The mode of calls that do not pass ``training=`` (`train`, `eval`).
    generator : Generator
        The stream; each training forward advances its offset by x.size.
    noise : Noise or None
        The record of the last forward.

    Notes
    -----
    ``backward(grad)`` differentiates the last forward, once; a second
    backward without a new forward raises a RuntimeError, and so does a
    backward after a second forward that the first's backward never
    followed, unless the forward's Noise is passed: ``y, noise = layer(x,
    return_noise=True)``, then ``layer.backward(grad, noise)``.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> layer = fastdrop.GaussianDropout(0.3, seed=1)
    >>> x = np.ones(5)
    >>> y = layer(x)
    >>> bool((layer.backward(np.ones(5)) == y).all())
    True
    >>> bool((layer.eval()(x) == x).all())
    True
    """

    def __init__(self, p=0.5, *, seed=None):
        from fastdrop._generator import Generator

        self.p = _check_rate(p)
        self.generator = Generator(seed)
        self.training = True
        self.noise = None
        self._pending = 0

    def train(self, mode=True) -> GaussianDropout:
        """train(mode=True)

        Set training mode (inference with ``mode=False``); returns self."""
        self.training = _checks.check_flag(mode, "mode")
        self._pending = 0
        return self

    def eval(self) -> GaussianDropout:
        """eval()

        Set inference mode; returns self."""
        return self.train(False)

    def forward(self, x, *, training=None, return_noise=False, out=None):
        """forward(x, *, training=None, return_noise=False, out=None)

        Gaussian dropout of x with the layer's next stream elements.

        Parameters
        ----------
        x : array_like of float32 or float64
        training : bool or None, default=None
            This call's mode; None uses the layer's `training`.
        return_noise : bool, default=False
            Also return the forward's Noise.
        out : numpy.ndarray, optional
            As in `gaussian_dropout`.

        Returns
        -------
        y : numpy.ndarray
        noise : Noise
            Only with ``return_noise=True``.
        """
        mode = _checks.check_flag(self.training if training is None else training, "training")
        return_noise = _checks.check_flag(return_noise, "return_noise")
        p = _check_rate(self.p)
        x = _float_array(x, "x", half=True)
        _check_out(out, x)
        if mode:
            offset = self.generator._reserve(x.size)
            y = _multiply_noise(x, p, self.generator.seed, offset, out)
            noise = Noise("gaussian", x.shape, self.generator.seed, offset, p)
        else:
            y = gaussian_dropout(x, p, seed=self.generator.seed, training=False, out=out)
            noise = Noise("gaussian", x.shape, self.generator.seed, 0, p, training=False)
        self.noise = noise
        self._pending += 1
        return (y, noise) if return_noise else y

    __call__ = forward

    def backward(self, grad, noise=None, *, out=None):
        """backward(grad, noise=None, *, out=None)

        Gradient of a forward with respect to its input.

        Parameters
        ----------
        grad : array_like of float32 or float64
        noise : Noise or None, default=None
            The forward to differentiate; None takes the last one, if it is
            the only one not yet differentiated.
        out : numpy.ndarray, optional

        Returns
        -------
        dx : numpy.ndarray
            grad times the forward's noise (grad itself for an inference
            forward).

        Raises
        ------
        RuntimeError
            With no noise, if no forward or several are pending.
        """
        if noise is None:
            if self._pending != 1 or self.noise is None:
                raise RuntimeError(
                    f"GaussianDropout: backward() needs exactly one pending forward, "
                    f"{self._pending} are pending; pass the forward's Noise: "
                    f"y, noise = layer(x, return_noise=True); layer.backward(grad, noise)")
            noise = self.noise
        noise = _noise_of(noise, "gaussian")
        if noise.training:
            dx = gaussian_dropout_backward(grad, noise, out=out)
        else:
            dx = gaussian_dropout(grad, 0.0, seed=0, training=False, out=out)
        self._pending = max(self._pending - 1, 0)
        return dx

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_pending": 0}

    def __repr__(self) -> str:
        return f"GaussianDropout(p={self.p!r}, training={self.training})"

"""dropout_add: ``residual + dropout(x + bias)``, the bias-dropout-add of transformer blocks."""

from __future__ import annotations

import numpy as np

from fastdrop import _api, _checks, _core
from fastdrop._checks import native
from fastdrop._mask import Mask, read_only_view, training_scale
from fastdrop._variants import backend


def _operand(value, name: str, x: np.ndarray, broadcast: bool) -> np.ndarray:
    a = _checks.as_float_array(value, name, bfloat16=True)
    if a.dtype != x.dtype and not (a.dtype.kind == x.dtype.kind == "f" and a.dtype.itemsize
                                   == x.dtype.itemsize):  # either byte order
        raise TypeError(f"{name} must have x's dtype {x.dtype}, got {a.dtype}")
    check_operand_shape(a.shape, x.shape, name, broadcast)
    return a


def check_operand_shape(shape: tuple, xshape: tuple, name: str, broadcast: bool) -> None:
    """ValueError naming the operand unless its shape is x's (or, with broadcast,
    broadcasts to x's)."""
    if broadcast:
        try:
            ok = np.broadcast_shapes(shape, xshape) == xshape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"{name} must broadcast to x's shape {xshape}, got {shape}")
    elif shape != xshape:
        raise ValueError(f"{name} must have x's shape {xshape}, got {shape}")


def _periodic_bias(bias: np.ndarray, shape: tuple) -> np.ndarray:
    """bias as the C core takes it: a C-contiguous native vector b with element i
    of x (C order) taking b[i % b.size].

    A bias that varies only along x's trailing axes (a per-feature vector,
    a scalar, or x's whole shape) is that vector already; any other
    broadcast is expanded to x's shape.
    """
    if repeats_as_is(bias.shape, shape):
        return native(bias).reshape(-1)
    return native(np.broadcast_to(bias, shape)).reshape(-1)


def repeats_as_is(bshape: tuple, shape: tuple) -> bool:
    """True if a bias of bshape, broadcast to x's shape, is its own C-order
    elements repeated (it varies along x's trailing axes only), so element i of
    x takes element i % size of the bias."""
    nd = len(shape)
    padded = (1,) * (nd - len(bshape)) + tuple(bshape)
    return any(padded[k:] == tuple(shape[k:]) and all(d == 1 for d in padded[:k])
               for k in range(nd + 1))


def dropout_add(x, residual, p=0.5, *, bias=None, seed=None, offset=0, store="bits", out=None):
    """dropout_add(x, residual, p=0.5, *, bias=None, seed=None, offset=0, store="bits", out=None)

    ``residual + dropout(x + bias)`` in training mode, with the Mask for backward.

    Parameters
    ----------
    x : array_like of float16, float32, float64 or bfloat16, or cupy.ndarray
        The branch output (the noise array: x.size stream elements).
        A cupy.ndarray runs on its device, with the CPU's bits (README: GPU).
    residual : array_like
        The skip connection: x's shape and dtype.
    p : float, default=0.5
        Drop probability in [0, 1].
    bias : array_like, optional
        Added to x before dropout: x's dtype, a shape that broadcasts to
        x's (a per-feature vector, say).
    seed, offset, out
        As in `fastdrop.dropout`; out may be residual or x (in place).
    store : {"bits", "seed"}, default="bits"
        As in `fastdrop.dropout_forward`; "seed" stores no mask at all.

    Returns
    -------
    y : numpy.ndarray
        With ``t = fl(x + bias)`` (or x), kept elements ``fl(residual +
        fl(t * scale))``, ``scale = 1 / (1 - p)``, and dropped ones
        residual's bits (SPEC.md 10.4: section 6's accumulation of the
        dropout of t into residual); each operation rounded once in the
        compute type (float16 and bfloat16 in float32, the sum rounded
        once to the dtype).
    mask : Mask
        For `dropout_add_backward` (and `fastdrop.dropout_backward`).

    Raises
    ------
    TypeError, ValueError
        As `fastdrop.dropout_forward`; also for a residual or bias of
        another dtype (TypeError) or shape (ValueError), named.

    Notes
    -----
    The mask is the mask of ``dropout_forward(x + bias, p, seed=seed,
    offset=offset)``, bit for bit. Megatron-LM and Apex fuse this
    bias-dropout-add on the GPU; here it is one pass over memory in C
    (src_c/api/fd_fused.c): each thread takes cache-sized chunks through
    the bias add, the mask and the residual sum, so x and residual are
    read once and y written once, as in ``np.add(x, residual, out=y)``. A
    bias that varies along x's trailing axes only (a per-feature vector, a
    scalar) is read as it is; any other broadcast is first expanded to x's
    shape.

    References
    ----------
    M. Shoeybi, M. Patwary, R. Puri, P. LeGresley, J. Casper, B. Catanzaro,
    "Megatron-LM: Training Multi-Billion Parameter Language Models Using
    Model Parallelism", arXiv:1909.08053, 2019.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> x, r = np.ones(4, np.float32), np.full(4, 10, np.float32)
    >>> y, mask = fastdrop.dropout_add(x, r, 0.5, bias=np.float32(1), seed=1)
    >>> y
    array([14., 14., 14., 10.], dtype=float32)
    """
    ops = backend.of(x, out)
    x, p = ops.check(x, p, out)
    residual = ops.operand(residual, "residual", x, False)
    bias = None if bias is None else ops.operand(bias, "bias", x, True)
    store = _checks.check_choice(store, "store", _checks.STORES)
    offset = _checks.check_offset(offset, x.size)
    seed = _api._seed(seed)
    return ops.dropout_add(x, residual, p, bias, seed, offset, store, out)


def run(x, residual, p, bias, seed, offset, store, out):
    """dropout_add on checked NumPy arguments (the C core's one pass)."""
    n = x.size
    bits = np.empty((n + 7) // 8, dtype=np.uint8) if store == "bits" else None
    y, work = _api._target(x, out)
    if n:
        xin, rin = _api._source(x, work), _api._source(residual, work)
        b = None
        if bias is not None:
            b = _periodic_bias(bias, x.shape)
            if np.may_share_memory(b, work):
                b = b.copy()
        _core.dropout_add(xin, rin, b, work, bits, _core.key(seed), offset,
                          _core.threshold(p), training_scale(p, "inverted"))
    _api._finish(y, work)
    bits = None if bits is None else read_only_view(bits)
    return y, Mask._checked(x.shape, n, p, seed, offset, "inverted", bits)


def dropout_add_backward(grad, mask, *, bias_shape=None):
    """dropout_add_backward(grad, mask, *, bias_shape=None)

    Gradients of `dropout_add` with respect to x, bias and residual.

    Parameters
    ----------
    grad : array_like of float16, float32, float64 or bfloat16, or cupy.ndarray
        Gradient with respect to the output, the mask's shape.
        A cupy.ndarray runs on its device (README: GPU).
    mask : Mask
        From `dropout_add`.
    bias_shape : tuple of int, optional
        The bias's shape; None when the forward had no bias.

    Returns
    -------
    dx : numpy.ndarray
        ``dropout_backward(grad, mask)``.
    dbias : numpy.ndarray or None
        dx summed (``numpy.sum``, in dx's dtype) over the axes the bias was
        broadcast along, in bias_shape. On CuPy arrays the sum is
        ``cupy.sum``, whose order of additions (and so last bits) is CuPy's.
    dresidual : numpy.ndarray
        A copy of grad.

    Raises
    ------
    TypeError, ValueError
        As `fastdrop.dropout_backward`; a ValueError naming bias_shape if it
        does not broadcast to grad's shape.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> x, r = np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)
    >>> y, mask = fastdrop.dropout_add(x, r, 0.5, bias=np.zeros(3, np.float32), seed=1)
    >>> dx, db, dr = fastdrop.dropout_add_backward(np.ones_like(x), mask, bias_shape=(3,))
    >>> db
    array([2., 2., 2.], dtype=float32)
    """
    if not isinstance(mask, Mask):
        raise TypeError(f"mask must be a fastdrop.Mask, got {type(mask).__name__}")
    dx = _api.dropout_backward(grad, mask)
    dresidual = backend.of(None, grad=grad).as_array(grad, "grad").copy(order="K")
    if bias_shape is None:
        return dx, None, dresidual
    try:
        bshape = tuple(int(d) for d in bias_shape)
        ok = np.broadcast_shapes(bshape, dx.shape) == dx.shape
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"bias_shape must broadcast to grad's shape {dx.shape}, got {bias_shape!r}")
    lead = dx.ndim - len(bshape)
    axes = tuple(range(lead)) + tuple(
        lead + k for k, n in enumerate(bshape) if n == 1 and dx.shape[lead + k] != 1)
    with np.errstate(all="ignore"):  # inf + -inf in the sum is NaN, as numpy.sum gives
        # (CuPy arrays: cupy.sum, whose order of additions is CuPy's)
        dbias = dx.sum(axis=axes, dtype=dx.dtype) if axes else dx.copy()
    return dx, dbias.reshape(bshape), dresidual

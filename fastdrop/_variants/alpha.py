"""Alpha dropout and feature-alpha dropout, for self-normalising (SELU) networks."""

from __future__ import annotations

import math

from fastdrop import _checks, _core
from fastdrop._mask import Mask
from fastdrop._variants import backend, common, noise

ALPHA = -1.7580993408473766  # alpha' = -lambda * alpha of SELU (Klambauer et al. 2017)


def constants(p: float) -> tuple[float, float]:
    """(a, b) in binary64 for drop probability p; (0.0, 0.0) at p = 1."""
    if p == 1.0:
        return 0.0, 0.0
    a = 1.0 / math.sqrt((1.0 - p) * (1.0 + p * (ALPHA * ALPHA)))
    return a, (-a * ALPHA) * p


def _run(ops, x, p, seed, offset, training, out, return_mask, nshape):
    return_mask = _checks.check_flag(return_mask, "return_mask")
    m = noise.size(x.shape if nshape is None else nshape)
    offset, seed = common.seed_last(seed, offset, m)
    if not training:
        y, mask = ops.copy_of(x, out), None
    else:
        nshape = x.shape if nshape is None else nshape
        bits = ops.draw_bits(seed, offset, p, m)
        a, b = constants(p)
        y = ops.affine(x, bits, nshape, a, b, ALPHA, out)
        mask = Mask._checked(nshape, m, p, seed, offset, "inverted", ops.read_only(bits))
    return (y, mask) if return_mask else y


_NOTES = """
    Notes
    -----
    With alpha' = -1.7580993408473766 (SELU's ``-lambda * alpha``),
    ``a = 1 / sqrt((1 - p) (1 + p alpha'^2))`` and ``b = -a alpha' p``
    (binary64, then rounded once to the compute type; a = b = 0 at p = 1),
    a kept element becomes ``a x + b`` and a dropped one ``a alpha' + b``,
    each a product and a sum rounded separately (float16 computed in
    float32 and rounded once). For inputs of zero mean and unit variance
    the output keeps them (Klambauer et al. 2017, section "New Dropout
    Technique"); the constants are PyTorch's and Keras's, the rounding is
    this package's (SPEC.md section 10). The mask is drawn as in
    `fastdrop.dropout`: element k is kept iff stream element ``offset + k``
    is below the threshold of p, so the mask equals dropout's for the same
    (seed, offset, p, noise shape).

    References
    ----------
    G. Klambauer, T. Unterthiner, A. Mayr, S. Hochreiter,
    "Self-Normalizing Neural Networks", NeurIPS 2017.

"""


def alpha_dropout(x, p=0.5, *, seed=None, offset=0, training=True, out=None, return_mask=False):
    """alpha_dropout(x, p=0.5, *, seed=None, offset=0, training=True, out=None, return_mask=False)

    Alpha dropout: dropped units take SELU's negative saturation value, and
    an affine map keeps the mean and variance.

    Parameters
    ----------
    x : array_like of float16, float32, float64 or bfloat16, or cupy.ndarray
        Input, any shape, as in `fastdrop.dropout`.
        A cupy.ndarray runs on its device, with the CPU's bits (README: GPU).
    p : float, default=0.5
        Drop probability in [0, 1].
    seed, offset, out
        As in `fastdrop.dropout` (x.size stream elements).
    training : bool, default=True
        If False, the result is a copy of x.
    return_mask : bool, default=False
        Also return the Mask (None in inference), for `alpha_dropout_backward`.

    Returns
    -------
    y : numpy.ndarray
        x's shape and dtype, ``out`` if given.
    mask : Mask or None
        Only with ``return_mask=True``.

    Raises
    ------
    TypeError, ValueError
        As `fastdrop.dropout`.
    {notes}
    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> y = fastdrop.alpha_dropout(np.zeros(4), 0.5, seed=1)
    >>> y.round(4)
    array([ 0.7792,  0.7792,  0.7792, -0.7792])
    """
    ops = backend.of(x, out)
    x, p = ops.check(x, p, out)
    training = _checks.check_flag(training, "training")
    return _run(ops, x, p, seed, offset, training, out, return_mask, None)


def feature_alpha_dropout(x, p=0.5, *, seed=None, offset=0, data_format="channels_first",
                          training=True, out=None, return_mask=False):
    """feature_alpha_dropout(x, p=0.5, *, seed=None, offset=0, data_format="channels_first", training=True, out=None, return_mask=False)

    Alpha dropout of whole channels: one mask bit per (sample, channel).

    Parameters
    ----------
    x : array_like of float16, float32, float64 or bfloat16, or cupy.ndarray
        Shape ``(N, C, *spatial)`` for "channels_first" or ``(N, *spatial, C)`` for
        "channels_last", at least 2 dimensions.
        A cupy.ndarray runs on its device, with the CPU's bits (README: GPU).
    p, seed, offset, training, out, return_mask
        As in `alpha_dropout` (N * C stream elements).
    data_format : {"channels_first", "channels_last"}, default="channels_first"
        Where the channel axis is.

    Returns
    -------
    y : numpy.ndarray
    mask : Mask or None
        Only with ``return_mask=True``; its shape is the noise shape
        (N, C, 1, ...) or (N, 1, ..., C).

    Raises
    ------
    TypeError, ValueError
        As `alpha_dropout`; a ValueError naming x if it has fewer than 2
        dimensions, naming data_format if it is unknown.
    {notes}
    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> y = fastdrop.feature_alpha_dropout(np.zeros((1, 3, 2)), 0.5, seed=1)
    >>> y.round(4)
    array([[[0.7792, 0.7792],
            [0.7792, 0.7792],
            [0.7792, 0.7792]]])
    """
    ops = backend.of(x, out)
    x, p = ops.check(x, p, out)
    fmt = common.data_format(data_format)
    training = _checks.check_flag(training, "training")
    nshape = common.channel_shape(x.shape, fmt, 2)
    return _run(ops, x, p, seed, offset, training, out, return_mask, nshape)


def alpha_dropout_backward(grad, mask, *, out=None, accumulate=False):
    """alpha_dropout_backward(grad, mask, *, out=None, accumulate=False)

    Gradient of `alpha_dropout` and `feature_alpha_dropout`: ``a * grad``
    where kept, +0.0 where dropped.

    Parameters
    ----------
    grad : array_like of float16, float32, float64 or bfloat16, or cupy.ndarray
        Gradient with respect to the forward's output: the mask's shape or
        one it broadcasts to.
        A cupy.ndarray runs on its device, with the CPU's bits (README: GPU).
    mask : Mask
        The forward's Mask (``return_mask=True``); a is computed from its p.
    out : numpy.ndarray, optional
        As in `fastdrop.dropout_backward`.
    accumulate : bool, default=False
        Add ``fl(grad * a)`` of kept elements into `out` (required); dropped
        elements keep out's value, as in `fastdrop.dropout_backward`.

    Returns
    -------
    dx : numpy.ndarray
        ``fl(grad * a)`` where kept, +0.0 where dropped, in grad's dtype.

    Raises
    ------
    TypeError, ValueError
        As `fastdrop.dropout_backward`.

    Notes
    -----
    `fastdrop.dropout_backward` on the same Mask gives dropout's gradient
    (scale ``1 / (1 - p)``), not this one.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> y, mask = fastdrop.alpha_dropout(np.zeros(4), 0.5, seed=1, return_mask=True)
    >>> fastdrop.alpha_dropout_backward(np.ones(4), mask).round(4)
    array([0.8864, 0.8864, 0.8864, 0.    ])
    """
    ops = backend.of(None, out, grad=grad, mask=mask)
    grad, accumulate = ops.check_backward(grad, mask, out, accumulate)
    bits = ops.mask_bits(mask)
    flags = _core.SCALE | (_core.ACCUMULATE if accumulate else 0)
    return ops.apply(grad, bits, mask.shape, constants(mask.p)[0], flags, out,
                     keep_out=accumulate)


for _f in (alpha_dropout, feature_alpha_dropout):
    _f.__doc__ = (_f.__doc__ or "").replace("    {notes}\n", _NOTES)
del _f

"""Spatial (channel) dropout: whole feature maps dropped together."""

from __future__ import annotations

from fastdrop import _checks
from fastdrop._variants import backend, common, noise


def spatial_dropout(x, p=0.5, *, seed=None, offset=0, data_format="channels_first",
                    training=True, out=None, return_mask=False):
    """spatial_dropout(x, p=0.5, *, seed=None, offset=0, data_format="channels_first", training=True, out=None, return_mask=False)

    Drop whole channels (feature maps) of 1-D, 2-D or 3-D feature maps.

    Parameters
    ----------
    x : array_like of float16, float32, float64 or bfloat16, or cupy.ndarray
        Feature maps of shape ``(N, C, *spatial)`` for "channels_first" or
        ``(N, *spatial, C)`` for "channels_last", at least 3 dimensions.
        A cupy.ndarray runs on its device, with the CPU's bits (README: GPU).
    p : float, default=0.5
        Probability of dropping a channel, in [0, 1].
    seed, offset, out
        As in `fastdrop.dropout`; the call uses the N * C stream elements
        ``offset .. offset + N*C - 1``.
    data_format : {"channels_first", "channels_last"}, default="channels_first"
        Where the channel axis is.
    training : bool, default=True
        If False, the result is a copy of x.
    return_mask : bool, default=False
        Also return the Mask (shape (N, C, 1, ...) or (N, 1, ..., C); None
        in inference), which `fastdrop.dropout_backward` broadcasts over grad.

    Returns
    -------
    y : numpy.ndarray
        As `fastdrop.dropout` with ``noise_shape`` the shape above.
    mask : Mask or None
        Only with ``return_mask=True``.

    Raises
    ------
    TypeError, ValueError
        As `fastdrop.dropout`; a ValueError naming x if it has fewer than
        3 dimensions, naming data_format if it is unknown.

    Notes
    -----
    Element (n, c, ...) is kept iff noise element ``n*C + c`` (the C-order
    index in the noise shape) is kept, and kept elements are ``x / (1 - p)``
    rounded once: the same bits as ``dropout(x, p, noise_shape=...)``. This
    is PyTorch's ``dropout1d/2d/3d`` and Keras's ``SpatialDropout1D/2D/3D``
    (Tompson et al. 2015), with an explicit data_format instead of guessing
    from the number of dimensions.

    References
    ----------
    J. Tompson, R. Goroshin, A. Jain, Y. LeCun, C. Bregler, "Efficient
    Object Localization Using Convolutional Networks", CVPR 2015.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> x = np.ones((1, 4, 2, 2), np.float32)
    >>> y = fastdrop.spatial_dropout(x, 0.5, seed=1)
    >>> y[0, :, 0, 0]
    array([2., 2., 2., 0.], dtype=float32)
    >>> bool((y == y[:, :, :1, :1]).all())
    True
    """
    ops = backend.of(x, out)
    x, p = ops.check(x, p, out)
    fmt = common.data_format(data_format)
    training = _checks.check_flag(training, "training")
    return_mask = _checks.check_flag(return_mask, "return_mask")
    nshape = common.channel_shape(x.shape, fmt, 3)
    offset, seed = common.seed_last(seed, offset, noise.size(nshape))
    if not training:
        y, mask = ops.copy_of(x, out), None
    else:
        y, mask = ops.forward(x, p, seed, offset, "inverted", "bits", out, nshape)
    return (y, mask) if return_mask else y

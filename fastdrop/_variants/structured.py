"""DropPath (stochastic depth) and DropBlock: structured masks."""

from __future__ import annotations

import operator

import numpy as np

from fastdrop import _checks, _core
from fastdrop._mask import Mask
from fastdrop._variants import backend, common, noise

MODES = ("row", "batch")


def drop_path_shape(shape: tuple[int, ...], mode: str) -> tuple[int, ...]:
    """(N, 1, ..., 1) for "row", (1, ..., 1) for "batch"."""
    if mode == "row":
        if not shape:
            raise ValueError("x must have at least 1 dimension (the samples) for mode='row'")
        return (shape[0],) + (1,) * (len(shape) - 1)
    return (1,) * len(shape)


def drop_path(x, p=0.5, *, seed=None, offset=0, mode="row", scale_by_keep=True, training=True,
              out=None, return_mask=False):
    """drop_path(x, p=0.5, *, seed=None, offset=0, mode="row", scale_by_keep=True, training=True, out=None, return_mask=False)

    DropPath (stochastic depth): drop a residual branch for whole samples.

    Parameters
    ----------
    x : array_like of float16, float32, float64 or bfloat16, or cupy.ndarray
        The branch's output, samples along axis 0 (for mode "row").
        A cupy.ndarray runs on its device, with the CPU's bits (README: GPU).
    p : float, default=0.5
        Probability of dropping a sample (or the whole input), in [0, 1].
    seed, offset, out
        As in `fastdrop.dropout`. Mode "row" uses the N stream elements
        ``offset .. offset + N - 1`` (sample n takes element offset + n),
        mode "batch" the one element ``offset``.
    mode : {"row", "batch"}, default="row"
        "row" drops each sample (index along axis 0) on its own; "batch"
        keeps or drops the whole input (torchvision's ``stochastic_depth``).
    scale_by_keep : bool, default=True
        Kept samples are multiplied by ``1 / (1 - p)`` (inverted scaling);
        False passes them unscaled (classic scaling in training).
    training : bool, default=True
        If False, the result is a copy of x (for either scale_by_keep).
    return_mask : bool, default=False
        Also return the Mask (shape (N, 1, ..., 1) or (1, ..., 1); None in
        inference), which `fastdrop.dropout_backward` broadcasts over grad.

    Returns
    -------
    y : numpy.ndarray
    mask : Mask or None
        Only with ``return_mask=True``.

    Raises
    ------
    TypeError, ValueError
        As `fastdrop.dropout`; a ValueError naming mode if it is unknown,
        naming x if mode is "row" and x is 0-d, a TypeError naming
        scale_by_keep if it is not a bool.

    Notes
    -----
    This is ``dropout(x, p, noise_shape=(N, 1, ..., 1))`` (or all ones),
    bit for bit: the same keep rule, scale and rounding (SPEC.md section
    10). timm's ``DropPath`` and torchvision's ``StochasticDepth`` draw the
    same kind of mask with their own generators (Huang et al. 2016).

    References
    ----------
    G. Huang, Y. Sun, Z. Liu, D. Sedra, K. Weinberger, "Deep Networks with
    Stochastic Depth", ECCV 2016.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> x = np.ones((4, 3), np.float32)
    >>> fastdrop.drop_path(x, 0.5, seed=2)[:, 0]
    array([0., 2., 0., 0.], dtype=float32)
    """
    ops = backend.of(x, out)
    x, p = ops.check(x, p, out)
    mode = _checks.check_choice(mode, "mode", MODES)
    scaling = "inverted" if _checks.check_flag(scale_by_keep, "scale_by_keep") else "classic"
    training = _checks.check_flag(training, "training")
    return_mask = _checks.check_flag(return_mask, "return_mask")
    nshape = drop_path_shape(x.shape, mode)
    offset, seed = common.seed_last(seed, offset, noise.size(nshape))
    if not training:
        y, mask = ops.copy_of(x, out), None
    else:
        y, mask = ops.forward(x, p, seed, offset, scaling, "bits", out, nshape)
    return (y, mask) if return_mask else y


def _block_size(value) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("block_size must be an int, not a bool")
    try:
        size = operator.index(value)
    except TypeError:
        raise TypeError(f"block_size must be an int, got {type(value).__name__}") from None
    if size < 1:
        raise ValueError(f"block_size must be >= 1, got {size}")
    return size


def block_gamma(p: float, h: int, w: int, k: int) -> float:
    """Seed drop probability: p H W / k^2 / ((W - k + 1)(H - k + 1)), at most 1 (k clipped)."""
    if p == 0.0:
        return 0.0
    g = p * (h * w) / (k * k) / ((w - k + 1) * (h - k + 1))
    return min(g, 1.0)


def block_geometry(shape, k: int, fmt: str) -> tuple[int, int, int, int, int, int]:
    """(planes, h, w, e, k, n) of a 4-d x: `planes` maps of h rows of w positions
    of e consecutive elements (channels first: e = 1; last: e = C), the block
    side clipped to the map, and x.size."""
    n_, a, b, c = shape
    h, w = (b, c) if fmt == "channels_first" else (a, b)
    planes, e = (n_ * a, 1) if fmt == "channels_first" else (n_, c)
    return planes, h, w, e, min(k, h, w), n_ * a * b * c


def block_keep_bits(seed: int, offset: int, p: float, shape, k: int, fmt: str):
    """(packed keep bits, kept count) of drop_block on x's shape; see SPEC.md section 10.5.

    src_c/api/fd_block.c draws the centres at gamma with the kernels (one
    bit per element) band by band and turns them into the block mask on
    packed bits.
    """
    planes, h, w, e, k, n = block_geometry(shape, k, fmt)
    if n == 0:
        return np.empty(0, np.uint8), 0
    keep = np.empty((n + 7) // 8, np.uint8)
    kept = _core.block_keep_bits_stream(_core.key(seed), offset,
                                        _core.threshold(block_gamma(p, h, w, k)), keep,
                                        planes, h, w, e, k)
    return keep, kept


def drop_block(x, p=0.1, *, block_size=7, seed=None, offset=0, data_format="channels_first",
               training=True, out=None, return_mask=False):
    """drop_block(x, p=0.1, *, block_size=7, seed=None, offset=0, data_format="channels_first", training=True, out=None, return_mask=False)

    DropBlock: drop square blocks of feature maps, rescale what is kept.

    Parameters
    ----------
    x : array_like of float16, float32 or float64, or cupy.ndarray
        Feature maps (N, C, H, W) ("channels_first") or (N, H, W, C).
        A cupy.ndarray runs on its device, with the CPU's bits (README: GPU).
    p : float, default=0.1
        Target fraction of dropped units, in [0, 1].
    block_size : int, default=7
        Side of the square blocks, >= 1 (clipped to min(H, W)).
    seed, offset, out
        As in `fastdrop.dropout`; the call uses the x.size stream elements
        ``offset .. offset + x.size - 1`` (one per element of x, C order).
    data_format : {"channels_first", "channels_last"}, default="channels_first"
        Where the channel axis is.
    training : bool, default=True
        If False, the result is a copy of x.
    return_mask : bool, default=False
        Also return the Mask (None in inference) for `fastdrop.dropout_backward`.

    Returns
    -------
    y : numpy.ndarray
        Kept elements ``x * scale``, dropped ones +0.0 (section 6 rules).
    mask : Mask or None
        Only with ``return_mask=True``: the keep bits of x's elements, with
        ``p`` the realised drop fraction ``1 - kept / x.size`` (binary64),
        so its scale is the forward's and `fastdrop.dropout_backward` gives
        DropBlock's gradient.

    Raises
    ------
    TypeError, ValueError
        As `fastdrop.dropout`; a ValueError naming x unless it has 4
        dimensions, naming block_size if it is < 1 (TypeError if it is not
        an int), naming data_format if it is unknown.

    Notes
    -----
    With ``k = min(block_size, H, W)``, block centres are drawn with drop
    probability ``gamma = min(1, p H W / k^2 / ((W - k + 1) (H - k + 1)))``
    (Ghiasi et al. 2018, eq. 1) from the stream, restricted to positions
    whose block lies inside the map; an element is dropped iff a centre of
    its (n, c) map lies in the k x k window around it (rows
    ``h - k//2 .. h - k//2 + k - 1``, columns likewise). Kept elements are
    scaled by ``1 / (1 - p')``, ``p' = 1 - kept / x.size`` (the whole
    batch, as timm's ``drop_block_2d``, which divides by the kept count
    plus 1e-7 in float32 and uses block_size rather than k in gamma's
    denominator). Exact definition: SPEC.md section 10.5. The centres,
    the block mask (on packed bits, one bit per element) and the scaling
    all run in C.

    References
    ----------
    G. Ghiasi, T.-Y. Lin, Q. V. Le, "DropBlock: A regularization method for
    convolutional networks", NeurIPS 2018.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> y = fastdrop.drop_block(np.ones((1, 1, 6, 6), np.float32), 0.2, block_size=3, seed=0)
    >>> (y == 0).astype(int)[0, 0]
    array([[0, 0, 0, 0, 0, 0],
           [0, 0, 0, 1, 1, 1],
           [0, 0, 1, 1, 1, 1],
           [0, 0, 1, 1, 1, 1],
           [0, 0, 1, 1, 1, 0],
           [0, 0, 0, 0, 0, 0]])
    """
    ops = backend.of(x, out)
    x, p = ops.check(x, p, out, bfloat16=False)
    k = _block_size(block_size)
    fmt = common.data_format(data_format)
    training = _checks.check_flag(training, "training")
    return_mask = _checks.check_flag(return_mask, "return_mask")
    if x.ndim != 4:
        raise ValueError(f"x must have 4 dimensions (N, C, H, W or N, H, W, C), got shape {x.shape}")
    offset, seed = common.seed_last(seed, offset, x.size)
    if not training:
        y, mask = ops.copy_of(x, out), None
    else:
        y, mask = block_forward(ops, x, p, seed, offset, k, fmt, out)
    return (y, mask) if return_mask else y


def block_forward(ops, x, p, seed, offset, k, fmt, out):
    """(y, Mask) of a training drop_block on checked arguments, by the operations
    ops (`fastdrop._variants.backend`)."""
    n = x.size
    bits, kept = ops.block_keep_bits(seed, offset, p, x.shape, k, fmt)
    p_eff = 1.0 - kept / n if n else 0.0
    scale = 0.0 if kept == 0 else 1.0 / (1.0 - p_eff)
    y = ops.apply(x, bits, x.shape, scale, _core.SCALE, out)
    return y, Mask._checked(x.shape, n, p_eff, seed, offset, "inverted", ops.read_only(bits))

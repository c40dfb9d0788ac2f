"""DropPath (stochastic depth): whole samples, or the whole input, dropped."""

from __future__ import annotations

from fastdrop import _api, _checks
from fastdrop._variants import common, noise

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
    x : array_like of float16, float32 or float64
        The branch's output, samples along axis 0 (for mode "row").
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
    x, p, _ = _api._check_common(x, p, "inverted", out)
    mode = _checks.check_choice(mode, "mode", MODES)
    scaling = "inverted" if _checks.check_flag(scale_by_keep, "scale_by_keep") else "classic"
    training = _checks.check_flag(training, "training")
    return_mask = _checks.check_flag(return_mask, "return_mask")
    nshape = drop_path_shape(x.shape, mode)
    offset, seed = common.seed_last(seed, offset, noise.size(nshape))
    if not training:
        y, mask = common.copy_of(x, out), None
    else:
        y, mask = noise.forward(x, p, seed, offset, scaling, "bits", out, nshape)
    return (y, mask) if return_mask else y

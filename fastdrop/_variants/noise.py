"""Noise shapes: one mask bit per element of a smaller noise array, broadcast over x.

The noise array has x's number of axes, with 1 on the axes that share one
mask (Keras ``noise_shape``, Flax ``broadcast_dims``). Its m elements are
numbered in C order of its shape and use stream elements ``offset ..
offset + m - 1`` (SPEC.md section 10); the C core lays the packed bits over
x in one pass (src_c/api/fd_noise.c), without a full-size mask.
"""

from __future__ import annotations

import operator

import numpy as np

from fastdrop import _checks, _core
from fastdrop._mask import Mask, read_only_view, training_scale


def _axis(value, ndim: int, name: str) -> int:
    try:
        axis = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must hold ints (axes), got {type(value).__name__}") from None
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must hold ints (axes), not bools")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: axis {axis} is out of range for an array of {ndim} dimensions")
    return axis % ndim


def resolve(shape: tuple[int, ...], noise_shape, broadcast_dims) -> tuple[int, ...] | None:
    """The noise array's shape for x of `shape`, or None when the mask is x's own.

    noise_shape: one entry per axis of x, each None (x's length), x's length
    or 1. broadcast_dims: axes (negative ones count from the end) that get 1.
    At most one of them may be given.
    """
    if noise_shape is None and broadcast_dims is None:
        return None
    ndim = len(shape)
    if noise_shape is not None and broadcast_dims is not None:
        raise ValueError("noise_shape and broadcast_dims: give one of them, not both")
    if broadcast_dims is not None:
        if isinstance(broadcast_dims, (str, bytes)) or not hasattr(broadcast_dims, "__iter__"):
            broadcast_dims = (broadcast_dims,)
        axes = {_axis(a, ndim, "broadcast_dims") for a in broadcast_dims}
        nshape = tuple(1 if d in axes else n for d, n in enumerate(shape))
    else:
        if isinstance(noise_shape, (str, bytes)) or not hasattr(noise_shape, "__iter__"):
            raise TypeError(
                f"noise_shape must be a tuple of ints or None, got {type(noise_shape).__name__}")
        entries = tuple(noise_shape)
        if len(entries) != ndim:
            raise ValueError(
                f"noise_shape must have one entry per axis of x ({ndim}), got {entries}")
        dims = []
        for n, e in zip(shape, entries):
            if e is None:
                dims.append(n)
                continue
            if isinstance(e, (bool, np.bool_)):
                raise TypeError("noise_shape entries must be ints or None, not bools")
            try:
                e = operator.index(e)
            except TypeError:
                raise TypeError(
                    f"noise_shape entries must be ints or None, got {type(e).__name__}") from None
            if e != n and e != 1:
                raise ValueError(
                    f"noise_shape {entries} does not broadcast to x's shape {shape}: "
                    f"each entry must be 1 or x's length (or None)")
            dims.append(e)
        nshape = tuple(dims)
    return nshape


def size(nshape: tuple[int, ...]) -> int:
    return int(np.prod(nshape, dtype=object))


def draw_bits(seed: int, offset: int, p: float, m: int) -> np.ndarray:
    """The packed keep bits of m noise elements from stream element offset."""
    bits = np.empty((m + 7) // 8, dtype=np.uint8)
    if m:
        _core.mask_bits(_core.key(seed), offset, _core.threshold(p), bits, m)
    return bits


def apply(x: np.ndarray, bits: np.ndarray, nshape, scale: float, flags: int, out=None,
          keep_out: bool = False) -> np.ndarray:
    """bits (of the noise array nshape) broadcast over x with the dropout rule, into out."""
    from fastdrop._api import _finish, _source, _target

    y, work = _target(x, out, keep=keep_out)
    if x.size:
        _core.noise_apply(bits, _source(x, work), work, nshape, scale, flags)
    return _finish(y, work)


def affine(x: np.ndarray, bits: np.ndarray, nshape, a: float, b: float, alpha: float,
           out=None) -> np.ndarray:
    """The affine rule (alpha dropout) under bits broadcast over x, into out."""
    from fastdrop._api import _finish, _source, _target

    y, work = _target(x, out)
    if x.size:
        _core.noise_affine(bits, _source(x, work), work, nshape, a, b, alpha)
    return _finish(y, work)


def forward(x, p, seed, offset, scaling, store, out, nshape):
    """Training-mode dropout under the noise shape nshape; returns (y, Mask or None).

    Arguments are checked; offset is checked here against the noise size.
    """
    from fastdrop._api import _flags, _forward

    m = size(nshape)
    _checks.check_offset(offset, m)
    if tuple(nshape) == x.shape:  # the same bits (SPEC.md 10.1): the one-pass kernel
        return _forward(x, p, seed, offset, scaling, store, out)
    bits = draw_bits(seed, offset, p, m)
    y = apply(x, bits, nshape, training_scale(p, scaling), _flags(scaling), out)
    if store is None:
        return y, None
    kept = read_only_view(bits) if store == "bits" else None
    return y, Mask._checked(nshape, m, p, seed, offset, scaling, kept)


def broadcasts(mshape: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    """True if a mask of mshape is a noise shape of an array of shape (same ndim, 1 or equal)."""
    return len(mshape) == len(shape) and all(m in (1, n) for m, n in zip(mshape, shape))


def backward(grad, mask: Mask, bits, out, accumulate, flags) -> np.ndarray:
    """dropout_backward for a grad that the mask broadcasts over."""
    if bits is None:
        bits = mask.packed_bits()
    return apply(grad, bits, mask.shape, mask.scale, flags, out, keep_out=accumulate)

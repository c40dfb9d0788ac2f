"""Windows of the index space: a block's place in a larger array (SPEC.md section 12)."""

from __future__ import annotations

import math
import numbers

import numpy as np

from fastdrop import _checks, _core


def _ints(value, name: str, ndim: int) -> tuple[int, ...]:
    """A tuple of ndim ints in [0, 2**64) (NumPy integers too, not bools)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a tuple of ints, got {type(value).__name__}")
    items = list(value)
    for v in items:
        v = _checks.scalar(v)
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must be a tuple of ints, got an entry of type "
                            f"{type(v).__name__}")
    dims = tuple(int(_checks.scalar(v)) for v in items)
    if len(dims) != ndim:
        raise ValueError(f"{name} must have one entry per axis of the block ({ndim}), "
                         f"got {len(dims)}")
    if any(not 0 <= d < _checks.SEED_LIMIT for d in dims):
        raise ValueError(f"{name} entries must be in [0, 2**64), got {dims}")
    return dims


def _place(shape, global_shape, global_origin) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(global_shape, global_origin) checked for a block of shape shape (origin None: zeros)."""
    ndim = len(shape)
    gshape = _ints(global_shape, "global_shape", ndim)
    origin = (0,) * ndim if global_origin is None else _ints(global_origin, "global_origin", ndim)
    for d, (o, n, g) in enumerate(zip(origin, shape, gshape)):
        if o + n > g:
            raise ValueError(
                f"global_origin + block shape must be <= global_shape on every axis; "
                f"axis {d}: {o} + {n} > {g}"
            )
    return gshape, origin


def resolve(shape, size: int, offset, global_shape, global_origin, noise_shape=None,
            broadcast_dims=None):
    """(offset, window, nshape) of a call on a block of shape shape (size elements).

    Without global_shape and global_origin: offset checked against the
    elements drawn, window None, nshape the noise shape (`_noise.resolve`)
    or None. With them (global_origin alone is refused, global_shape alone
    means origin zeros), noise_shape and broadcast_dims are read against
    global_shape (SPEC.md section 12): nshape is then the block's part of
    the global noise array (its length on noise axes, 1 on broadcast ones)
    and window the (shape, origin) of that part in the global noise array
    (the global array itself without a noise shape); window is None when
    the part is the whole. offset + the global noise array's size must be
    <= 2**64.
    """
    from fastdrop._variants import noise as _noise

    if global_shape is None and global_origin is None:
        nshape = _noise.resolve(shape, noise_shape, broadcast_dims)
        drawn = size if nshape is None else _noise.size(nshape)
        return _checks.check_offset(offset, drawn), None, nshape
    if global_shape is None:
        raise ValueError("global_origin needs global_shape (the whole array's shape)")
    offset = _checks.check_offset(offset, 0)
    gshape, origin = _place(shape, global_shape, global_origin)
    gnoise = _noise.resolve(gshape, noise_shape, broadcast_dims)
    if gnoise is None:
        full, nshape, norigin = gshape, None, origin
    else:
        axes = [n == g for n, g in zip(gnoise, gshape)]  # noise axes (all of length 1 alike)
        full = gnoise
        nshape = tuple(b if a else 1 for b, a in zip(shape, axes))
        norigin = tuple(o if a else 0 for o, a in zip(origin, axes))
    total = math.prod(full)
    if offset + total > _checks.SEED_LIMIT:
        what = "prod(global_shape)" if gnoise is None else "the global noise array's size"
        raise ValueError(f"offset + {what} must be <= 2**64, got {offset} + {total}")
    block = tuple(shape) if nshape is None else nshape
    window = None if full == block and not any(norigin) else (full, norigin)
    return offset, window, nshape


def noise_forward(x, p, seed, offset, scaling, store, out, nshape, window):
    """Training-mode dropout of a block under its part nshape of a global noise array.

    Arguments are checked; window is the part's place in the global noise
    array (`resolve`). Returns (y, Mask or None); the Mask has the shape
    nshape and the window, and backward broadcasts it over grad.
    """
    from fastdrop._api import _flags, _forward
    from fastdrop._mask import Mask, read_only_view, training_scale
    from fastdrop._variants import noise as _noise

    if tuple(nshape) == x.shape:  # one noise element per element: the one-pass kernel
        return _forward(x, p, seed, offset, scaling, store, out, window)
    m = _noise.size(nshape)
    bits = np.empty((m + 7) // 8, dtype=np.uint8)
    if m:
        _core.window_mask_bits(_core.key(seed), offset, _core.threshold(p), bits, nshape,
                               *window)
    y = _noise.apply(x, bits, nshape, training_scale(p, scaling), _flags(scaling), out)
    if store is None:
        return y, None
    kept = read_only_view(bits) if store == "bits" else None
    return y, Mask._checked(nshape, m, p, seed, offset, scaling, kept, window)

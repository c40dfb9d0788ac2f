"""Windows of the index space: a block's place in a larger array (SPEC.md section 12)."""

from __future__ import annotations

import numbers

import numpy as np

from fastdrop import _checks

Window = tuple[tuple[int, ...], tuple[int, ...]]


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


def check(shape: tuple[int, ...], global_shape, global_origin, offset) -> Window | None:
    """(global_shape, global_origin) checked for a block of shape shape, or None.

    None stands for the plain call: no window given, or a window equal to
    the whole array (origin 0, global_shape equal to shape). global_origin
    alone is refused; global_shape alone means origin 0. offset (an int,
    already checked to be in [0, 2**64]) must leave room for every element
    of the global array: ``offset + prod(global_shape) <= 2**64``.
    """
    if global_shape is None:
        if global_origin is not None:
            raise ValueError("global_origin needs global_shape (the whole array's shape)")
        return None
    ndim = len(shape)
    gshape = _ints(global_shape, "global_shape", ndim)
    origin = (0,) * ndim if global_origin is None else _ints(global_origin, "global_origin", ndim)
    for d, (o, n, g) in enumerate(zip(origin, shape, gshape)):
        if o + n > g:
            raise ValueError(
                f"global_origin + block shape must be <= global_shape on every axis; "
                f"axis {d}: {o} + {n} > {g}"
            )
    total = int(np.prod(gshape, dtype=object)) if ndim else 1
    if offset + total > _checks.SEED_LIMIT:
        raise ValueError(
            f"offset + prod(global_shape) must be <= 2**64, got {offset} + {total}"
        )
    if gshape == tuple(shape) and not any(origin):
        return None
    return gshape, origin


def resolve(shape, size: int, offset, global_shape, global_origin, noise: bool):
    """(offset, window) of a call: offset checked against the global array (or size
    elements without a window), window as `check` gives it. noise: the call has a
    noise shape, which windows do not support yet (ValueError)."""
    if global_shape is None and global_origin is None:
        return _checks.check_offset(offset, size), None
    if noise:
        raise ValueError("global_shape and global_origin cannot be combined with noise_shape "
                         "or broadcast_dims")
    offset = _checks.check_offset(offset, 0)
    return offset, check(shape, global_shape, global_origin, offset)

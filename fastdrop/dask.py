"""Dropout on Dask arrays: every chunk is drawn as its slice of the whole array's call.

``import fastdrop`` does not import this module or Dask, and this module
imports ``dask.array`` at its first call (the ``[dask]`` extra). Each chunk goes through `map_blocks`
to `fastdrop.dropout` with the chunk's place in the array (``block_info``'s
array-location) as ``global_origin`` and the array's shape as
``global_shape`` (SPEC.md section 12), so the result is bit for bit the one
`fastdrop.dropout` gives on the whole array in memory, for any chunking,
on any scheduler (threads, processes, a distributed cluster).
"""

from __future__ import annotations

import math

import numpy as np

import fastdrop
from fastdrop import _checks, _window
from fastdrop._variants import noise as _noise

__all__ = ["DaskMask", "dropout", "dropout_backward", "dropout_forward"]


def _da():
    """dask.array, imported on first use."""
    try:
        import dask.array as da
    except ImportError as exc:
        raise ImportError("fastdrop.dask needs Dask: pip install 'fastdrop[dask]'") from exc
    return da


class DaskMask:
    """DaskMask(shape, p, seed, offset, scaling, noise_shape=None)
    --

    What `dropout_backward` needs to regenerate a Dask forward's mask.

    It holds no mask memory: each chunk of the backward pass redraws its
    keep bits from (seed, offset) and its place in the array, as a
    ``store="seed"`` `fastdrop.Mask` does. Made by `dropout_forward`.

    Attributes
    ----------
    shape : tuple of int
        Shape of the forward's array.
    p : float
        Drop probability.
    seed, offset : int
        The stream: element k (C order of the whole array) uses stream
        element ``offset + k`` of seed.
    scaling : {"inverted", "classic"}
        How kept elements were scaled.
    noise_shape : tuple of int or None
        The noise array's shape (1 on broadcast axes), or None when every
        element has its own bit.
    """

    __slots__ = ("shape", "p", "seed", "offset", "scaling", "noise_shape")

    def __init__(self, shape, p, seed, offset, scaling, noise_shape=None):
        self.shape = tuple(int(d) for d in shape)
        self.p = _checks.check_p(p)
        self.seed = _checks.check_seed(seed, sources=False)
        self.noise_shape = _noise.resolve(self.shape, noise_shape, None)
        drawn = self.shape if self.noise_shape is None else self.noise_shape
        self.offset = _checks.check_offset(offset, math.prod(drawn))
        self.scaling = _checks.check_choice(scaling, "scaling", _checks.SCALINGS)

    def __reduce__(self):
        return (DaskMask, (self.shape, self.p, self.seed, self.offset, self.scaling,
                           self.noise_shape))

    def __repr__(self) -> str:
        noise = "" if self.noise_shape is None else f", noise_shape={self.noise_shape}"
        return (f"DaskMask(shape={self.shape}, p={self.p!r}, seed={self.seed}, "
                f"offset={self.offset}, scaling={self.scaling!r}{noise})")

    def to_bool(self, chunks="auto"):
        """The keep mask as a lazy boolean Dask array (True = kept) of the noise array's
        shape (the mask's shape without a noise shape)."""
        shape = self.shape if self.noise_shape is None else self.noise_shape
        empty = _da().empty(shape, chunks=chunks, dtype=np.bool_)
        return empty.map_blocks(_keep_block, self, dtype=np.bool_,
                                meta=np.empty((0,) * len(shape), np.bool_))


def _origin(block_info) -> tuple[int, ...]:
    """The chunk's first index in the whole array, from map_blocks' block_info."""
    if not block_info or 0 not in block_info:
        raise RuntimeError("fastdrop.dask: a chunk arrived without its block_info")
    return tuple(int(lo) for lo, _ in block_info[0]["array-location"])


def _forward_block(block, p, seed, offset, scaling, training, shape, nshape, block_info=None):
    return fastdrop.dropout(block, p, seed=seed, offset=offset, training=training,
                            scaling=scaling, global_shape=shape,
                            global_origin=_origin(block_info), noise_shape=nshape)


def _chunk_mask(shape, mask, nshape, origin) -> fastdrop.Mask:
    """The store="seed" Mask of the chunk of shape shape at origin (its part of the noise array)."""
    _, window, part = _window.resolve(shape, math.prod(shape), mask.offset, mask.shape, origin,
                                      nshape, None)
    gshape, gorigin = (None, None) if window is None else window
    return fastdrop.Mask(shape if part is None else part, mask.p, seed=mask.seed,
                         offset=mask.offset, scaling=mask.scaling, global_shape=gshape,
                         global_origin=gorigin)


def _backward_block(grad, mask, block_info=None):
    chunk = _chunk_mask(grad.shape, mask, mask.noise_shape, _origin(block_info))
    return fastdrop.dropout_backward(grad, chunk)


def _keep_block(empty, mask, block_info=None):
    shape = mask.shape if mask.noise_shape is None else mask.noise_shape
    chunk = fastdrop.Mask(empty.shape, mask.p, seed=mask.seed, offset=mask.offset,
                          scaling=mask.scaling, global_shape=shape,
                          global_origin=_origin(block_info))
    return chunk.to_bool()


def _check_array(x, name: str) -> np.dtype:
    """x's dtype, for a Dask array of float16/32/64 with known chunk sizes."""
    if not isinstance(x, _da().Array):
        raise TypeError(f"{name} must be a dask.array.Array, got {type(x).__name__} "
                        f"(use fastdrop.dropout for arrays in memory)")
    dtype = np.dtype(x.dtype)
    if dtype.kind != "f" or dtype.itemsize not in (2, 4, 8):
        raise TypeError(f"{name} must have dtype float16, float32 or float64, got {dtype}")
    if any(math.isnan(d) for d in x.shape):
        raise ValueError(f"{name} must have known chunk sizes (call {name}.compute_chunk_sizes())")
    return dtype


def _checked(x, p, seed, offset, scaling, noise_shape, broadcast_dims):
    dtype = _check_array(x, "x")
    p = _checks.check_p(p)
    scaling = _checks.check_choice(scaling, "scaling", _checks.SCALINGS)
    nshape = _noise.resolve(tuple(x.shape), noise_shape, broadcast_dims)
    drawn = x.shape if nshape is None else nshape
    offset = _checks.check_offset(offset, math.prod(drawn))
    seed = _checks.check_seed(seed)  # last: a Generator seed advances only for a good call
    return dtype, p, seed, offset, scaling, nshape


def dropout(x, p=0.5, *, seed, offset=0, training=True, scaling="inverted", noise_shape=None,
            broadcast_dims=None):
    """dropout(x, p=0.5, *, seed, offset=0, training=True, scaling="inverted", noise_shape=None, broadcast_dims=None)

    `fastdrop.dropout` of a Dask array, chunk by chunk, lazily.

    Parameters
    ----------
    x : dask.array.Array of float16, float32 or float64
        Any shape and chunking (irregular and N-d chunks included); chunk
        sizes must be known.
    p : float, default=0.5
        Drop probability in [0, 1], as in `fastdrop.dropout`.
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        Seed in [0, 2**64) (required: every chunk must draw from one
        stream). A SeedSequence or Generator becomes one integer now, once.
    offset : int, default=0
        Stream index of the array's first element; ``offset + x.size``
        must be <= 2**64.
    training : bool, default=True
        If False, the result is x (inverted scaling) or ``x * (1 - p)``.
    scaling : {"inverted", "classic"}, default="inverted"
        As in `fastdrop.dropout`.
    noise_shape, broadcast_dims : optional
        A mask broadcast over axes of x, as in `fastdrop.dropout` (of x's
        whole shape); each chunk takes its part of it.

    Returns
    -------
    y : dask.array.Array
        Lazy result with x's shape, chunks and dtype. Computed, it equals
        ``fastdrop.dropout(x.compute(), p, seed=seed, offset=offset, ...)``
        bit for bit, whatever the chunking and the scheduler.

    Raises
    ------
    TypeError, ValueError
        When the graph is built, for an x that is not a Dask array of a
        float dtype with known chunks, or for p, seed, offset, training or
        scaling as `fastdrop.dropout` checks them; the message names the
        argument.

    Examples
    --------
    >>> import dask.array as da, numpy as np, fastdrop, fastdrop.dask
    >>> x = da.ones((6, 4), chunks=(4, 3), dtype=np.float32)
    >>> y = fastdrop.dask.dropout(x, 0.5, seed=42)
    >>> bool((y.compute() == fastdrop.dropout(np.ones((6, 4), np.float32), 0.5, seed=42)).all())
    True
    """
    training = _checks.check_flag(training, "training")
    dtype, p, seed, offset, scaling, nshape = _checked(x, p, seed, offset, scaling, noise_shape,
                                                       broadcast_dims)
    return _graph(x, dtype, p, seed, offset, scaling, training, nshape)


def _graph(x, dtype, p, seed, offset, scaling, training, nshape):
    """The lazy forward on checked arguments (meta given: dask never calls it on a meta array)."""
    return x.map_blocks(_forward_block, p, seed, offset, scaling, training, tuple(x.shape),
                        nshape, dtype=dtype, meta=np.empty((0,) * x.ndim, dtype))


def dropout_forward(x, p=0.5, *, seed, offset=0, scaling="inverted", noise_shape=None,
                    broadcast_dims=None):
    """dropout_forward(x, p=0.5, *, seed, offset=0, scaling="inverted", noise_shape=None, broadcast_dims=None)

    Training-mode `dropout` of a Dask array, with the mask `dropout_backward` needs.

    Parameters
    ----------
    x, p, seed, offset, scaling, noise_shape, broadcast_dims
        As in `dropout`.

    Returns
    -------
    y : dask.array.Array
        As `dropout` with ``training=True``.
    mask : DaskMask
        (shape, p, seed, offset, scaling, noise_shape): no mask memory;
        backward regenerates each chunk's bits (``store="seed"``).

    Raises
    ------
    TypeError, ValueError
        As `dropout`.

    Examples
    --------
    >>> import dask.array as da, numpy as np, fastdrop.dask
    >>> x = da.ones(10, chunks=3, dtype=np.float32)
    >>> y, mask = fastdrop.dask.dropout_forward(x, 0.5, seed=7)
    >>> dx = fastdrop.dask.dropout_backward(da.ones_like(x), mask)
    >>> bool((dx.compute() == y.compute()).all())
    True
    """
    dtype, p, seed, offset, scaling, nshape = _checked(x, p, seed, offset, scaling, noise_shape,
                                                       broadcast_dims)
    y = _graph(x, dtype, p, seed, offset, scaling, True, nshape)
    return y, DaskMask(x.shape, p, seed, offset, scaling, nshape)


def dropout_backward(grad, mask):
    """dropout_backward(grad, mask)

    Gradient of a Dask `dropout_forward`: each chunk redraws its bits.

    Parameters
    ----------
    grad : dask.array.Array of float16, float32 or float64
        The mask's shape, any chunking (not necessarily the forward's).
    mask : DaskMask
        From `dropout_forward`.

    Returns
    -------
    dx : dask.array.Array
        Lazy, with grad's chunks and dtype: kept elements ``grad * scale``
        (``grad`` under classic scaling), dropped ones +0.0, bit for bit
        `fastdrop.dropout_backward` of the whole array.

    Raises
    ------
    TypeError
        If mask is not a DaskMask or grad not a Dask array of a float dtype.
    ValueError
        If grad's shape differs from the mask's or its chunks are unknown.
    """
    if not isinstance(mask, DaskMask):
        raise TypeError(f"mask must be a fastdrop.dask.DaskMask, got {type(mask).__name__}")
    dtype = _check_array(grad, "grad")
    if tuple(grad.shape) != mask.shape:
        raise ValueError(f"grad must have the mask's shape {mask.shape}, got {grad.shape}")
    return grad.map_blocks(_backward_block, mask, dtype=dtype,
                           meta=np.empty((0,) * grad.ndim, dtype))

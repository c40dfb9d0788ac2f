"""dropout, dropout_forward and dropout_backward on NumPy arrays."""

from __future__ import annotations

import numpy as np

from fastdrop import _checks, _core, _generator, _gpu, _window
from fastdrop._checks import is_direct, native, same_memory
from fastdrop._mask import Mask, read_only_view, training_scale
from fastdrop._variants import noise as _noise

_COMPAT = """
    Compatibility Guarantee
        The mask is a pure function of (seed, element index), where the index
        is the C-order position in the noise array plus `offset`; it is defined
        by the stream named `fastdrop.RNG_SPEC` (see SPEC.md) and is the same
        for every dtype, memory layout, kernel, thread count and device, in
        place or not. A change to the stream changes `RNG_SPEC`."""


def _flags(scaling: str, accumulate: bool = False) -> int:
    return (_core.SCALE if scaling == "inverted" else 0) | (
        _core.ACCUMULATE if accumulate else 0
    )


def _target(like: np.ndarray, out, keep: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(result, work): the array a call returns and the array its kernel writes.

    result is out, or a new array with like's dtype (byte order included)
    and memory layout (``order="K"``, as NumPy's ufuncs give). work is result
    itself when the kernel can write it in place (C-contiguous, aligned,
    native order; a subclass through a plain view of its memory), else a
    fresh C-order native array that `_finish` copies into result; with
    keep, it starts with result's values (accumulation). The kernel always
    walks the logical C order, so the mask index does not depend on layout.
    """
    result = np.empty_like(like, order="K") if out is None else out
    if is_direct(result):
        return result, (result if type(result) is np.ndarray else result.view(np.ndarray))
    native_dtype = result.dtype.newbyteorder("=")
    if keep:
        return result, np.array(result, dtype=native_dtype, order="C")
    return result, np.empty(result.shape, dtype=native_dtype)


def _source(x: np.ndarray, work: np.ndarray) -> np.ndarray:
    """x as the kernel reads it: C-contiguous, aligned and native.

    An input that shares memory with work other than element for element
    (exactly in place) is copied first, so no element is read after it has
    been written: partial overlap gives the result of non-overlapping
    arrays, as NumPy's ufuncs do. Both arrays are contiguous here, so
    ``np.may_share_memory`` (a bounds check) is exact.
    """
    xin = native(x)
    if xin is not work and np.may_share_memory(xin, work) and not same_memory(xin, work):
        xin = xin.copy()
    return xin


def _finish(result: np.ndarray, work: np.ndarray) -> np.ndarray:
    """result, holding what the kernel wrote into work."""
    if work is not result and work.base is not result:
        np.copyto(result, work)
    return result


def _forward_fast(x, p, seed, offset, scaling, store, out):
    """`_forward` through the Cython fast paths, or None where they decline the arguments.

    The fast paths check everything they take (x a plain ndarray, p a float
    in [0, 1], seed and offset ints in range, scaling, out), so unchecked
    public arguments may be passed; store must be "bits", "seed" or None.
    """
    if store == "bits":
        fast = _core.forward_fast(x, p, seed, offset, scaling, out)
        if fast is NotImplemented:
            return None
        y, bits = fast
    else:
        y, bits = _core.dropout_fast(x, p, seed, offset, scaling, out), None
        if y is NotImplemented:
            return None
        if store is None:
            return y, None
    return y, Mask._checked(x.shape, x.size, p, seed, offset, scaling, bits)


def _forward(x, p, seed, offset, scaling, store, out, window=None):
    """Forward pass on checked arguments; returns (y, Mask or None).

    store is "bits", "seed", or None when no Mask is wanted; window is
    None or the checked (global_shape, global_origin) of x (`_window.check`).
    """
    if window is None:
        fast = _forward_fast(x, p, seed, offset, scaling, store, out)
        if fast is not None:
            return fast
    n = x.size
    bits = np.empty((n + 7) // 8, dtype=np.uint8) if store == "bits" else None
    y, work = _target(x, out)
    if n:
        args = (_source(x, work), work, bits, _core.key(seed), offset,
                _core.threshold(p), training_scale(p, scaling), _flags(scaling))
        if window is None:
            _core.dropout(*args)
        else:
            _core.window_dropout(*args, *window)
    _finish(y, work)
    if store is None:
        return y, None
    bits = None if bits is None else read_only_view(bits)
    return y, Mask._checked(x.shape, n, p, seed, offset, scaling, bits, window)


def _inference(x, p, scaling, out):
    """Inference pass: identity (inverted) or x * (1 - p) (classic)."""
    y = np.empty_like(x, order="K") if out is None else out
    if scaling == "inverted":
        np.copyto(y, x)
    elif _checks.is_bfloat16(x.dtype):
        # fl(x * fl32(1 - p)) rounded once to bfloat16: the core's kept-element
        # rule under a mask that keeps everything
        result, work = _target(x, out)
        if x.size:
            ones = np.full((x.size + 7) // 8, 0xFF, np.uint8)
            _core.apply_bits(ones, _source(x, work), work, 1.0 - p, _core.SCALE)
        return _finish(result, work)
    else:
        ct = np.float32 if x.dtype.kind == "f" and x.dtype.itemsize == 2 else x.dtype.type
        with np.errstate(all="ignore"):
            np.copyto(y, np.multiply(x, ct(1.0 - p), dtype=ct), casting="unsafe")
    return y


def _seed(seed) -> int:
    """A checked seed; None takes the next child seed of the default Generator."""
    return _generator.draw_seed() if seed is None else _checks.check_seed(seed)


def check_backward(grad, mask, out, accumulate, bfloat16=False):
    """The checks every backward from a Mask shares: returns (grad, accumulate) checked
    (bfloat16: grad may be bfloat16, see `_checks.as_float_array`)."""
    if not isinstance(mask, Mask):
        raise TypeError(f"mask must be a fastdrop.Mask, got {type(mask).__name__}")
    grad = _checks.as_float_array(grad, "grad", bfloat16)
    if grad.shape != mask.shape and not _noise.broadcasts(mask.shape, grad.shape):
        raise ValueError(f"grad must have the mask's shape {mask.shape} (or one it broadcasts "
                         f"to), got {grad.shape}")
    accumulate = _checks.check_flag(accumulate, "accumulate")
    if out is not None:
        _checks.check_out(out, grad.shape, grad.dtype)
    elif accumulate:
        raise ValueError("accumulate=True needs out, the array to add into")
    return grad, accumulate


def _check_common(x, p, scaling, out, name="x", bfloat16=False):
    x = _checks.as_float_array(x, name, bfloat16)
    p = _checks.check_p(p)
    scaling = _checks.check_choice(scaling, "scaling", _checks.SCALINGS)
    if out is not None:
        _checks.check_out(out, x.shape, x.dtype)
    return x, p, scaling


def dropout(x, p=0.5, *, seed=None, offset=0, training=True, scaling="inverted", out=None,
            noise_shape=None, broadcast_dims=None, global_shape=None, global_origin=None):
    """dropout(x, p=0.5, *, seed=None, offset=0, training=True, scaling="inverted", out=None, noise_shape=None, broadcast_dims=None, global_shape=None, global_origin=None)

    Randomly zero a fraction p of the elements of x.

    Parameters
    ----------
    x : array_like of float16, float32, float64 or bfloat16
        Input, any shape (0-d and empty included), memory layout and byte
        order. bfloat16 is ``ml_dtypes.bfloat16`` (computed in float32 and
        rounded once, as float16). Lists of floats become float64; ndarray subclasses are read as
        plain arrays; masked arrays are refused.
    p : float, default=0.5
        Drop probability in [0, 1]. p = 0 keeps every element, p = 1 drops all.
        Any real number (int, Fraction, NumPy scalar, 0-d array) is rounded
        once to binary64; bool, complex and Decimal are refused.
    seed : int, numpy.random.SeedSequence, numpy.random.Generator or None, default=None
        Seed in [0, 2**64) (a NumPy integer or 0-d integer array too, not a
        bool). A SeedSequence gives its first 64-bit state word, a NumPy
        Generator one 64-bit draw (it advances). None takes the next child
        seed of the default Generator (`manual_seed` makes it reproducible).
    offset : int, default=0
        Stream index of the first element: element k (in C order) uses stream
        element ``offset + k``, so ``offset + x.size`` must be <= 2**64.
    training : bool, default=True
        If False, no mask is drawn: the result is x (inverted scaling) or
        ``x * (1 - p)`` (classic scaling).
    scaling : {"inverted", "classic"}, default="inverted"
        "inverted": kept elements are multiplied by ``1 / (1 - p)`` in
        training. "classic": kept elements pass unscaled in training and
        inference multiplies by ``1 - p``.
    out : numpy.ndarray, optional
        Where to write the result: x's shape and dtype (either byte order),
        writeable, any layout; a subclass is written in place, a masked
        array refused. ``out=x`` works in place and gives the same bits as
        out of place; an out that partly overlaps x gives the result of
        separate arrays (x is copied first).
    noise_shape : tuple of int or None, optional
        Shape of the mask, broadcast over x (Keras): one entry per axis of
        x, each 1 (the axis shares one mask bit), x's length or None (x's
        length). Only ``prod(noise_shape)`` stream elements are drawn, in C
        order of the noise shape from `offset` (SPEC.md section 10).
    broadcast_dims : int or sequence of int, optional
        Axes of x that share one mask (Flax); the same as a noise_shape with
        1 on those axes. At most one of noise_shape and broadcast_dims.
    global_shape : tuple of int or None, optional
        Shape of the whole array x is a block of (a chunk of a larger array,
        as Dask hands them out): one entry per axis of x. Element ``(i, j, ...)``
        of x then uses stream element ``offset + flat(global_origin + (i, j, ...))``,
        flat the C-order index in global_shape, so each block gives the bits
        of its slice of the whole-array call (SPEC.md section 12).
        ``offset + prod(global_shape)`` must be <= 2**64. With a window,
        noise_shape and broadcast_dims describe the whole array (entries 1,
        global_shape's length or None), and x takes its part of the global
        noise array's mask.
    global_origin : tuple of int or None, optional
        Index in the whole array of x's first element (default all zeros):
        ``global_origin[d] + x.shape[d] <= global_shape[d]`` on every axis.
        Needs global_shape. A window equal to the whole array is the plain
        call.

    Returns
    -------
    y : numpy.ndarray
        The result, with x's shape and dtype, byte order included: ``out``
        if given, else a new plain ndarray with x's memory layout
        (``order="K"``: Fortran in, Fortran out) (0-d for a 0-d x, not a
        scalar). The mask follows the C-order index whatever the layout.

    Raises
    ------
    TypeError
        If x is not of a float dtype or is a masked array, p, seed, offset or
        training have the wrong type, scaling is not a str, or out is not an
        ndarray of x's dtype; also for a torch tensor that requires grad or
        is not on the CPU, a CuPy array or a JAX tracer (the message says
        what to pass instead). The message names the argument.
    ValueError
        If p is outside [0, 1] or NaN, seed or offset are out of range,
        scaling is unknown, or out has another shape or is read-only.
        Nothing is written when an error is raised.

    See Also
    --------
    dropout_forward : also returns the Mask that backward needs.
    Generator : a (seed, offset) stream that hands out fresh offsets.

    Notes
    -----
    Dropped elements are exactly +0.0, whatever x holds there (NaN and inf
    included). Kept elements are ``x * scale`` with ``scale = 1 / (1 - p)``
    rounded once to the compute type (float32 for float16 and bfloat16
    input, which is rounded back once). The element is kept iff its 32-bit uniform is below
    ``floor((1 - p) * 2**32)`` (clamped to [1, 2**32 - 1] for 0 < p < 1),
    so the keep probability is within 2**-32 of 1 - p. The work runs
    without the GIL, on several threads for large arrays (`set_num_threads`),
    with the fastest kernel this CPU supports (`simd_info`).
    {compat}

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> x = np.arange(1, 9, dtype=np.float32)
    >>> fastdrop.dropout(x, 0.5, seed=42)
    array([ 0.,  0.,  0.,  8.,  0., 12., 14., 16.], dtype=float32)

    Any slice is reproduced by passing its start as the offset:

    >>> fastdrop.dropout(x[2:6], 0.5, seed=42, offset=2)
    array([ 0.,  8.,  0., 12.], dtype=float32)
    """
    plain = (noise_shape is None and broadcast_dims is None and global_shape is None
             and global_origin is None)
    if training is True and seed is not None and plain:
        y = _core.dropout_fast(x, p, seed, offset, scaling, out)
        if y is not NotImplemented:
            return y
    if global_shape is None and global_origin is None and _gpu.route(x=x, out=out):
        return _gpu.dropout(x, p, seed=seed, offset=offset, training=training, scaling=scaling,
                            out=out, noise_shape=noise_shape, broadcast_dims=broadcast_dims)
    x, p, scaling = _check_common(x, p, scaling, out, bfloat16=True)
    training = _checks.check_flag(training, "training")
    offset, window, nshape = _window.resolve(x.shape, x.size, offset, global_shape,
                                             global_origin, noise_shape, broadcast_dims)
    seed = _seed(seed)  # last: a call that raises draws nothing from the default stream
    if not training:
        return _inference(x, p, scaling, out)
    if nshape is not None and window is not None:
        return _window.noise_forward(x, p, seed, offset, scaling, None, out, nshape, window)[0]
    if nshape is not None:
        return _noise.forward(x, p, seed, offset, scaling, None, out, nshape)[0]
    return _forward(x, p, seed, offset, scaling, None, out, window)[0]


def dropout_forward(x, p=0.5, *, seed=None, offset=0, scaling="inverted", store="bits", out=None,
                    noise_shape=None, broadcast_dims=None, global_shape=None, global_origin=None):
    """dropout_forward(x, p=0.5, *, seed=None, offset=0, scaling="inverted", store="bits", out=None, noise_shape=None, broadcast_dims=None, global_shape=None, global_origin=None)

    Training-mode dropout that also returns the Mask for `dropout_backward`.

    Parameters
    ----------
    x, p, seed, offset, scaling, out, noise_shape, broadcast_dims, global_shape, global_origin
        As in `dropout`; a windowed forward's Mask records the window, so
        `dropout_backward` regenerates the block's bits from a ``store="seed"``
        Mask too.
    store : {"bits", "seed"}, default="bits"
        "bits" keeps the packed mask (``ceil(x.size / 8)`` bytes) in the Mask;
        "seed" keeps only (seed, offset) and backward regenerates the mask,
        so no mask memory is used at all.

    Returns
    -------
    y : numpy.ndarray
        As `dropout` with ``training=True``.
    mask : Mask
        The mask drawn, with the seed used (the drawn one when seed is None);
        with a noise shape, the Mask has the noise shape and
        `dropout_backward` broadcasts it over grad.

    Raises
    ------
    TypeError, ValueError
        As `dropout`; also for a store that is not a str (TypeError) or is
        unknown (ValueError).
    {compat}

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> x = np.arange(1, 9, dtype=np.float32)
    >>> y, mask = fastdrop.dropout_forward(x, 0.5, seed=42)
    >>> mask.to_bool()
    array([False, False, False,  True, False,  True,  True,  True])
    >>> fastdrop.dropout_backward(np.ones_like(x), mask)
    array([0., 0., 0., 2., 0., 2., 2., 2.], dtype=float32)
    """
    plain = (noise_shape is None and broadcast_dims is None and global_shape is None
             and global_origin is None)
    if (seed is not None and type(store) is str and (store == "bits" or store == "seed")
            and plain):
        fast = _forward_fast(x, p, seed, offset, scaling, store, out)
        if fast is not None:
            return fast
    if global_shape is None and global_origin is None and _gpu.route(x=x, out=out):
        return _gpu.dropout_forward(x, p, seed=seed, offset=offset, scaling=scaling, store=store,
                                    out=out, noise_shape=noise_shape,
                                    broadcast_dims=broadcast_dims)
    x, p, scaling = _check_common(x, p, scaling, out, bfloat16=True)
    store = _checks.check_choice(store, "store", _checks.STORES)
    offset, window, nshape = _window.resolve(x.shape, x.size, offset, global_shape,
                                             global_origin, noise_shape, broadcast_dims)
    seed = _seed(seed)
    if nshape is not None and window is not None:
        return _window.noise_forward(x, p, seed, offset, scaling, store, out, nshape, window)
    if nshape is not None:
        return _noise.forward(x, p, seed, offset, scaling, store, out, nshape)
    return _forward(x, p, seed, offset, scaling, store, out, window)


def dropout_backward(grad, mask, *, out=None, accumulate=False):
    """dropout_backward(grad, mask, *, out=None, accumulate=False)

    Gradient of dropout: ``grad * mask * scale``, with the forward's rounding.

    Parameters
    ----------
    grad : array_like of float16, float32, float64 or bfloat16
        Gradient of the loss with respect to the forward output; the mask's
        shape, or a shape the mask broadcasts to (same number of axes, the
        mask's length 1 or grad's on each): the mask of a forward with a
        noise shape is broadcast over grad. Its dtype may differ from the
        forward input's. Layouts, byte order and subclasses as for x in
        `dropout`.
    mask : Mask
        From `dropout_forward` or `Mask`. Stored bits are read (and checked
        again, in case they were changed in place); a ``store="seed"`` mask
        is regenerated from its (seed, offset). Its p and scaling apply.
    out : numpy.ndarray, optional
        Where to write the result: grad's shape and dtype, as `out` in
        `dropout` (in place with ``out=grad``; partial overlap with grad or
        with the mask's bits gives the result of separate arrays).
    accumulate : bool, default=False
        Add the gradient of kept elements into `out` (required) instead of
        overwriting it; elements the mask dropped keep their value in `out`.

    Returns
    -------
    dx : numpy.ndarray
        Kept elements ``grad * scale`` (``grad`` under classic scaling),
        dropped elements +0.0, in grad's dtype; or `out` updated in place
        with accumulate.

    Raises
    ------
    TypeError
        If mask is not a Mask, its bits are no longer a uint8 ndarray, grad
        or out have an unsupported dtype or type, or accumulate is not a bool.
    ValueError
        If grad's shape differs from the mask's, accumulate is set without
        out, the mask's bits no longer match its shape, or out has another
        shape or is read-only. Nothing is written when an error is raised.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> x = np.ones(6, np.float32)
    >>> y, mask = fastdrop.dropout_forward(x, 0.5, seed=3, store="seed")
    >>> dx = fastdrop.dropout_backward(np.ones_like(x), mask)
    >>> bool((dx == y).all()), mask.nbytes
    (True, 0)
    """
    if type(mask) is Mask and accumulate is False and (mask._window is None
                                                       or mask._bits is not None):
        dx = _core.backward_fast(grad, mask._shape, mask._p, mask._scaling, mask._seed,
                                 mask._offset, mask._bits, out)
        if dx is not NotImplemented:
            return dx
    windowed_seed = isinstance(mask, Mask) and mask._window is not None and mask._bits is None
    if not windowed_seed and _gpu.route(grad=grad, out=out, mask=mask):
        return _gpu.dropout_backward(grad, mask, out=out, accumulate=accumulate)
    grad, accumulate = check_backward(grad, mask, out, accumulate, bfloat16=True)
    broadcast = grad.shape != mask.shape
    bits = mask._stored_bits()
    if broadcast:
        return _noise.backward(grad, mask, bits, out, accumulate, _flags(mask.scaling, accumulate))
    result, work = _target(grad, out, keep=accumulate)
    gin = _source(grad, work)
    flags = _flags(mask.scaling, accumulate)
    if mask.size == 0:
        pass
    elif bits is not None:
        _core.apply_bits(bits, gin, work, mask.scale, flags)
    else:
        args = (gin, work, None, _core.key(mask.seed), mask.offset, mask.threshold,
                mask.scale, flags)
        if mask._window is None:
            _core.dropout(*args)
        else:
            _core.window_dropout(*args, *mask._window)
    return _finish(result, work)


for _f in (dropout, dropout_forward):
    _f.__doc__ = (_f.__doc__ or "").replace("{compat}", _COMPAT)
del _f

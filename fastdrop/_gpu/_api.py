"""The public functions on CuPy arrays: checks, layouts and the Mask (imports CuPy).

Reached through `fastdrop._gpu.route` from `fastdrop.dropout`,
`dropout_forward`, `dropout_backward`, `Generator` and `Mask`. The scalar
arguments are checked by `fastdrop._checks` exactly as on the CPU; the
arrays must be cupy.ndarray on one device, and the work runs on that device
and CuPy's current stream. The result is bit for bit the CPU's (SPEC.md):
the kernels take the element's C-order index, so a strided or
non-contiguous array is read through a contiguous copy and written back, as
the CPU path does.
"""

from __future__ import annotations

import cupy
import numpy as np

from fastdrop import _checks, _core
from fastdrop._gpu import _launch
from fastdrop._mask import Mask, training_scale
from fastdrop._variants import noise as _noise

_FLOATS = tuple(np.dtype(t) for t in (np.float16, np.float32, np.float64))


def _as_float(x, name: str):
    if x.dtype not in _FLOATS:
        raise TypeError(f"{name} must have dtype float16, float32 or float64, got {x.dtype}")
    return x


def _check_out(out, like, name: str = "out") -> None:
    if out.dtype != like.dtype:
        raise TypeError(f"{name} must have dtype {like.dtype}, got {out.dtype}")
    if out.shape != like.shape:
        raise ValueError(f"{name} must have shape {like.shape}, got {out.shape}")
    if out.device != like.device:
        raise ValueError(f"{name} must be on the input's device {like.device}, got {out.device}")


def _seed(seed) -> int:
    """The seed of a call: resolved exactly as the CPU functions resolve it
    (None takes the next child seed of the default Generator)."""
    from fastdrop import _api

    return _api._seed(seed)


def _offset(offset, n: int) -> int:
    """A checked offset, or the one a Generator reserves (offset is then its reserve method)."""
    return offset(n) if callable(offset) else _checks.check_offset(offset, n)


def _flags(scaling: str, accumulate: bool = False) -> int:
    return (_core.SCALE if scaling == "inverted" else 0) | (_core.ACCUMULATE if accumulate else 0)


def _overlap(a, b, in_place_ok: bool = True) -> bool:
    """True if the contiguous arrays a and b share memory, other than as the same
    elements (x and y in place, which the kernels allow) when in_place_ok."""
    a0, b0 = a.data.ptr, b.data.ptr
    if in_place_ok and a0 == b0 and a.dtype == b.dtype:
        return False
    return bool(a.nbytes and b.nbytes and a0 < b0 + b.nbytes and b0 < a0 + a.nbytes)


def _work(out, like, keep: bool = False):
    """The C-contiguous array the kernel writes: out itself, or a new one (out's values with keep)."""
    if out is not None and out.flags.c_contiguous:
        return out
    if out is not None and keep:
        return cupy.ascontiguousarray(out)  # a copy: out is not contiguous here
    return cupy.empty(like.shape, dtype=like.dtype)


def _source(x, work):
    """x as the kernel reads it: C-contiguous, copied if it partly overlaps work."""
    xin = cupy.ascontiguousarray(x)
    if xin is not work and _overlap(xin, work):
        xin = xin.copy()
    return xin


def _result(work, out):
    if out is None:
        return work
    if work is not out:
        out[...] = work
    return out


def _inference(x, p: float, scaling: str, out):
    """Identity (inverted) or x * (1 - p) rounded once in the compute type (classic).

    The classic product runs in the dropout kernel with every element kept
    (no mask is drawn), so NaNs come out as on the CPU.
    """
    if scaling == "inverted":
        y = cupy.empty_like(x) if out is None else out
        y[...] = x
        return y
    work = _work(out, x)
    _launch.dropout(_source(x, work), work, None, 0, 0, _core.threshold(0.0), 1.0 - p,
                    _core.SCALE)
    return _result(work, out)


def _forward(x, p, seed, offset, scaling, store, out):
    with x.device:
        bits = cupy.empty((x.size + 7) // 8, dtype=cupy.uint8) if store == "bits" else None
        work = _work(out, x)
        _launch.dropout(_source(x, work), work, bits, seed, offset, _core.threshold(p),
                        training_scale(p, scaling), _flags(scaling))
        y = _result(work, out)
    if store is None:
        return y, None
    return y, Mask._checked(x.shape, x.size, p, seed, offset, scaling, bits)


def noise_forward(x, p, seed, offset, scaling, store, out, nshape):
    """Training dropout under the noise shape nshape (SPEC.md 10.1) on checked
    arguments (offset resolved); returns (y, Mask or None)."""
    nshape = tuple(nshape)
    if nshape == x.shape:  # the same bits: the one-pass kernel
        return _forward(x, p, seed, offset, scaling, store, out)
    m = _noise.size(nshape)
    with x.device:
        bits = mask_bits(seed, offset, p, m)
        y = noise_apply(x, bits, nshape, training_scale(p, scaling), _flags(scaling), out)
    if store is None:
        return y, None
    return y, Mask._checked(nshape, m, p, seed, offset, scaling, bits if store == "bits" else None)


def noise_apply(x, bits, nshape, scale: float, flags: int, out=None, keep_out: bool = False):
    """The dropout rule of x under bits of the noise shape nshape (x's own shape
    included), into out (whose values count with keep_out, for accumulation)."""
    with x.device:
        work = _work(out, x, keep=keep_out)
        xin = _source(x, work)
        if _overlap(bits, work, in_place_ok=False):
            bits = bits.copy()
        if tuple(nshape) == x.shape:
            _launch.apply_bits(bits, xin, work, scale, flags)
        else:
            _launch.noise_apply(bits, xin, work, nshape, scale, flags)
        return _result(work, out)


def _noise_shape(x, noise_shape, broadcast_dims):
    """The noise shape of x (x's own shape when neither is given)."""
    nshape = _noise.resolve(x.shape, noise_shape, broadcast_dims)
    return x.shape if nshape is None else nshape


def dropout(x, p=0.5, *, seed=None, offset=0, training=True, scaling="inverted", out=None,
            noise_shape=None, broadcast_dims=None):
    """`fastdrop.dropout` for a cupy.ndarray x (and out); offset may be a Generator's
    reserve (of the noise size)."""
    x = _as_float(x, "x")
    p = _checks.check_p(p)
    scaling = _checks.check_choice(scaling, "scaling", _checks.SCALINGS)
    training = _checks.check_flag(training, "training")
    if out is not None:
        _check_out(out, x)
    nshape = _noise_shape(x, noise_shape, broadcast_dims)
    m = _noise.size(nshape)
    if not training:
        if not callable(offset):  # checked as on the CPU; a Generator reserves nothing here
            _checks.check_offset(offset, m)
        with x.device:
            return _inference(x, p, scaling, out)
    offset = _offset(offset, m)
    seed = _seed(seed)  # last: a call that raises draws nothing from the default stream
    return noise_forward(x, p, seed, offset, scaling, None, out, nshape)[0]


def dropout_forward(x, p=0.5, *, seed=None, offset=0, scaling="inverted", store="bits", out=None,
                    noise_shape=None, broadcast_dims=None):
    """`fastdrop.dropout_forward` for a cupy.ndarray x: the Mask's bits are a cupy array."""
    x = _as_float(x, "x")
    p = _checks.check_p(p)
    scaling = _checks.check_choice(scaling, "scaling", _checks.SCALINGS)
    store = _checks.check_choice(store, "store", _checks.STORES)
    if out is not None:
        _check_out(out, x)
    nshape = _noise_shape(x, noise_shape, broadcast_dims)
    offset = _offset(offset, _noise.size(nshape))
    seed = _seed(seed)
    return noise_forward(x, p, seed, offset, scaling, store, out, nshape)


def _mask_bits_of(mask, grad):
    """The mask's stored bits, checked again (None for store="seed")."""
    bits = mask._bits
    if bits is None:
        return None
    need = (mask.size + 7) // 8
    if bits.dtype != np.uint8 or bits.shape != (need,) or not bits.flags.c_contiguous:
        raise ValueError(
            f"mask.bits must be {need} contiguous uint8 bytes for the mask's shape "
            f"{mask.shape}, got {bits.dtype} of shape {bits.shape}"
        )
    if bits.device != grad.device:
        raise ValueError(f"mask.bits must be on grad's device {grad.device}, got {bits.device}")
    return bits


def check_backward(grad, mask, out, accumulate):
    """The checked (grad, accumulate, stored bits or None) of a backward on the GPU;
    grad may have a shape the mask broadcasts to (a noise-shaped Mask)."""
    if not isinstance(mask, Mask):
        raise TypeError(f"mask must be a fastdrop.Mask, got {type(mask).__name__}")
    grad = _as_float(grad, "grad")
    if grad.shape != mask.shape and not _noise.broadcasts(mask.shape, grad.shape):
        raise ValueError(f"grad must have the mask's shape {mask.shape} (or one it broadcasts "
                         f"to), got {grad.shape}")
    accumulate = _checks.check_flag(accumulate, "accumulate")
    if out is not None:
        _check_out(out, grad)
    elif accumulate:
        raise ValueError("accumulate=True needs out, the array to add into")
    return grad, accumulate, _mask_bits_of(mask, grad)


def dropout_backward(grad, mask, *, out=None, accumulate=False):
    """`fastdrop.dropout_backward` for a cupy.ndarray grad (and out, and the mask's bits)."""
    grad, accumulate, bits = check_backward(grad, mask, out, accumulate)
    flags = _flags(mask.scaling, accumulate)
    if grad.shape != mask.shape:  # a noise-shaped Mask broadcast over grad
        with grad.device:
            if bits is None:
                bits = mask_bits(mask.seed, mask.offset, mask.p, mask.size)
        return noise_apply(grad, bits, mask.shape, mask.scale, flags, out, keep_out=accumulate)
    with grad.device:
        work = _work(out, grad, keep=accumulate)
        gin = _source(grad, work)
        if bits is not None:
            if _overlap(bits, work, in_place_ok=False):
                bits = bits.copy()
            _launch.apply_bits(bits, gin, work, mask.scale, flags)
        else:
            _launch.dropout(gin, work, None, mask.seed, mask.offset, mask.threshold,
                            mask.scale, flags)
        return _result(work, out)


def mask_bits(seed: int, offset: int, p: float, n: int):
    """The packed keep bits of n elements from offset, generated on the current device."""
    bits = cupy.empty((n + 7) // 8, dtype=cupy.uint8)
    _launch.mask_bits(bits, seed, offset, _core.threshold(p), n)
    return bits


def packed_bits(mask):
    """The stored bits of a Mask made on the GPU."""
    return _mask_bits_of(mask, mask._bits)


def _keep_flags(bits, n: int):
    """The first n keep bits of packed bits as a uint8 cupy array of 0s and 1s."""
    with bits.device:
        shifts = cupy.arange(8, dtype=cupy.uint8)
        return ((bits[:, None] >> shifts) & 1).reshape(-1)[:n]


def kept_count(bits, n: int) -> int:
    """How many of the first n packed bits are set (kept elements)."""
    return int(_keep_flags(bits, n).sum(dtype=cupy.uint64)) if n else 0


def to_bool(mask):
    """The keep mask of a GPU Mask as a boolean cupy array of the mask's shape."""
    bits = packed_bits(mask)
    with bits.device:
        return _keep_flags(bits, mask.size).astype(cupy.bool_).reshape(mask.shape)

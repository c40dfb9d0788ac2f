"""The dropout variants on CuPy arrays: the operations of `fastdrop._variants.backend`.

Each variant (fastdrop/_variants/) is written once against those
operations; `Ops` gives them on the device of the call's array. The scalar
arguments are checked by the shared code exactly as on the CPU; the arrays
here must be cupy.ndarray on that device. The kernels
(src_c/cuda/kernels.cu: noise_apply, noise_affine, add, block_keep, and the
dropout kernels) give the CPU's bits (SPEC.md section 10).
"""

from __future__ import annotations

import cupy
import numpy as np

from fastdrop import _checks, _core
from fastdrop._gpu import _api, _launch
from fastdrop._mask import Mask, training_scale


def _operand(value, name: str, x, broadcast: bool):
    """residual or bias of dropout_add: a cupy array of x's dtype on x's device."""
    if not isinstance(value, cupy.ndarray):
        raise TypeError(f"{name} must be a cupy.ndarray like x, got {type(value).__name__}: "
                        "NumPy and CuPy arrays cannot be mixed in one call")
    if value.dtype != x.dtype:
        raise TypeError(f"{name} must have x's dtype {x.dtype}, got {value.dtype}")
    if value.device != x.device:
        raise ValueError(f"{name} must be on x's device {x.device}, got {value.device}")
    from fastdrop._variants.fused import check_operand_shape

    check_operand_shape(tuple(value.shape), x.shape, name, broadcast)
    return value


def _bias_period(bias, shape):
    """(contiguous bias, period): element k of x takes bias[k % period]. A bias
    that is a trailing block of x's shape (after leading 1s) repeats as it is;
    any other is broadcast to x's shape first."""
    from fastdrop._variants.fused import repeats_as_is

    if not repeats_as_is(bias.shape, shape):
        bias = cupy.broadcast_to(bias, shape)
    flat = cupy.ascontiguousarray(bias).reshape(-1)
    return flat, max(1, flat.size)


class Ops:
    """The variants' operations on the device of `like` (a cupy.ndarray)."""

    name = "cupy"

    def __init__(self, like):
        self.device = like.device

    def check(self, x, p, out, bfloat16=True):
        x = _api._as_float(x, "x")
        p = _checks.check_p(p)
        if out is not None:
            _api._check_out(out, x)
        return x, p

    def copy_of(self, x, out):
        with self.device:
            return _api._inference(x, 0.0, "inverted", out)

    def draw_bits(self, seed, offset, p, m):
        with self.device:
            return _api.mask_bits(seed, offset, p, m)

    def forward(self, x, p, seed, offset, scaling, store, out, nshape):
        return _api.noise_forward(x, p, seed, offset, scaling, store, out, nshape)

    def apply(self, x, bits, nshape, scale, flags, out=None, keep_out=False):
        return _api.noise_apply(x, bits, nshape, scale, flags, out, keep_out)

    def affine(self, x, bits, nshape, a, b, alpha, out=None):
        with self.device:
            work = _api._work(out, x)
            xin = _api._source(x, work)
            _launch.noise_affine(bits, xin, work, nshape, a, b, alpha)
            return _api._result(work, out)

    def read_only(self, bits):
        return bits  # CuPy arrays have no read-only flag; a Mask's bits are checked on use

    def mask_bits(self, mask):
        bits = mask._bits
        if bits is not None:
            return _api.packed_bits(mask)
        return self.draw_bits(mask.seed, mask.offset, mask.p, mask.size)

    def block_keep_bits(self, seed, offset, p, shape, k, fmt):
        from fastdrop._variants.structured import block_gamma, block_geometry

        _, h, w, e, k, n = block_geometry(shape, k, fmt)
        with self.device:
            if n == 0:
                return cupy.empty(0, cupy.uint8), 0
            drawn = _api.mask_bits(seed, offset, block_gamma(p, h, w, k), n)
            keep = cupy.empty_like(drawn)
            kept = _launch.block_keep(drawn, keep, h, w, e, k, n)
        return keep, kept

    def check_backward(self, grad, mask, out, accumulate):
        grad, accumulate, _ = _api.check_backward(grad, mask, out, accumulate)
        return grad, accumulate

    def result(self, shape, dtype, out):
        if out is None:
            with self.device:
                return cupy.empty(shape, dtype=dtype)
        if not isinstance(out, cupy.ndarray):
            raise TypeError(f"out must be a cupy.ndarray like x, got {type(out).__name__}")
        if out.dtype != dtype:
            raise TypeError(f"out must have dtype {np.dtype(dtype)}, got {out.dtype}")
        if out.shape != tuple(shape):
            raise ValueError(f"out must have shape {tuple(shape)}, got {out.shape}")
        if out.device != self.device:
            raise ValueError(f"out must be on the input's device {self.device}, got {out.device}")
        return out

    @staticmethod
    def shares_memory(a, b):
        return bool(cupy.may_share_memory(a, b))  # bounds only, as np.may_share_memory

    def dropout_add(self, x, residual, p, bias, seed, offset, store, out):
        """residual + dropout(x + bias) (SPEC.md 10.4): t = x + bias by the add
        kernel, then the dropout kernel accumulating into a copy of residual."""
        n = x.size
        with self.device:
            bits = cupy.empty((n + 7) // 8, dtype=cupy.uint8) if store == "bits" else None
            work = _api._work(out, x)
            # t first: work is about to receive residual's bits, and x may be work
            xin = cupy.ascontiguousarray(x)
            if bias is None:
                t = xin.copy() if _api._overlap(xin, work, in_place_ok=False) else xin
            else:
                flat, period = _bias_period(bias, x.shape)
                t = cupy.empty(x.shape, dtype=x.dtype)
                _launch.add(xin, flat, t, period)
            rin = _api._source(residual, work)
            if rin is not work:
                work[...] = rin  # a copy: the bits of residual
            if n:
                _launch.dropout(t, work, bits, seed, offset, _core.threshold(p),
                                training_scale(p, "inverted"), _core.SCALE | _core.ACCUMULATE)
            y = _api._result(work, out)
        return y, Mask._checked(x.shape, n, p, seed, offset, "inverted", bits)

    def as_array(self, value, name):
        if not isinstance(value, cupy.ndarray):
            raise TypeError(f"{name} must be a cupy.ndarray like the other arrays, got "
                            f"{type(value).__name__}: NumPy and CuPy arrays cannot be mixed "
                            "in one call")
        return _api._as_float(value, name)

    def operand(self, value, name, x, broadcast):
        return _operand(value, name, x, broadcast)

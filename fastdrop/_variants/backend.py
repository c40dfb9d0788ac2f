"""Where a variant's work runs: the NumPy path or the CuPy path, behind one interface.

Each variant is written once, against the operations below; `of` picks the
NumPy ones (the C core) or, when an array argument is a cupy.ndarray, the
CuPy ones (`fastdrop._gpu._variants`, imported on the first GPU call).
Both give the same bits (SPEC.md section 10).

The operations (``ops.<name>``):

- ``check(x, p, out, bfloat16=True)``: the checked (x, p) of a forward;
- ``copy_of(x, out)``: inference, a copy of x;
- ``draw_bits(seed, offset, p, m)``: the packed keep bits of m stream
  elements;
- ``forward(x, p, seed, offset, scaling, store, out, nshape)``: training
  dropout under a noise shape, (y, Mask or None);
- ``apply(x, bits, nshape, scale, flags, out=None, keep_out=False)`` and
  ``affine(x, bits, nshape, a, b, alpha, out=None)``: section 6's rule and
  10.3's under bits of the noise shape nshape, broadcast over x;
- ``read_only(bits)``: bits as a Mask stores them; ``mask_bits(mask)``: a
  Mask's packed bits on the path (regenerated when not stored);
- ``block_keep_bits(seed, offset, p, shape, k, fmt)``: DropBlock's
  (packed keep bits, kept count);
- ``check_backward(grad, mask, out, accumulate)``: the checked
  (grad, accumulate) of a backward;
- ``result(shape, dtype, out)``, ``shares_memory(a, b)``: mc_dropout's
  output and overlap;
- ``dropout_add(x, residual, p, bias, seed, offset, store, out)``;
- ``as_array(value, name)``: an array argument as the path's float array;
  ``operand(value, name, x, broadcast)``: dropout_add's residual or bias,
  checked against x.
"""

from __future__ import annotations

import numpy as np

from fastdrop import _api, _checks, _gpu
from fastdrop._mask import read_only_view
from fastdrop._variants import common, noise


class _Numpy:
    """The NumPy path: the C core through `fastdrop._core`."""

    name = "numpy"

    @staticmethod
    def check(x, p, out, bfloat16=True):
        x, p, _ = _api._check_common(x, p, "inverted", out, bfloat16=bfloat16)
        return x, p

    @staticmethod
    def copy_of(x, out):
        return common.copy_of(x, out)

    @staticmethod
    def draw_bits(seed, offset, p, m):
        return noise.draw_bits(seed, offset, p, m)

    @staticmethod
    def forward(x, p, seed, offset, scaling, store, out, nshape):
        return noise.forward(x, p, seed, offset, scaling, store, out, nshape)

    @staticmethod
    def apply(x, bits, nshape, scale, flags, out=None, keep_out=False):
        return noise.apply(x, bits, nshape, scale, flags, out, keep_out)

    @staticmethod
    def affine(x, bits, nshape, a, b, alpha, out=None):
        return noise.affine(x, bits, nshape, a, b, alpha, out)

    @staticmethod
    def read_only(bits):
        return read_only_view(bits)

    @staticmethod
    def mask_bits(mask):
        return mask.packed_bits()

    @staticmethod
    def block_keep_bits(seed, offset, p, shape, k, fmt):
        from fastdrop._variants import structured

        return structured.block_keep_bits(seed, offset, p, shape, k, fmt)

    @staticmethod
    def check_backward(grad, mask, out, accumulate):
        return _api.check_backward(grad, mask, out, accumulate, bfloat16=True)

    @staticmethod
    def result(shape, dtype, out):
        if out is None:
            return np.empty(shape, dtype=dtype)
        _checks.check_out(out, shape, dtype)
        return out

    @staticmethod
    def shares_memory(a, b):
        return np.may_share_memory(a, b)

    @staticmethod
    def dropout_add(x, residual, p, bias, seed, offset, store, out):
        from fastdrop._variants import fused

        return fused.run(x, residual, p, bias, seed, offset, store, out)

    @staticmethod
    def as_array(value, name):
        return _checks.as_float_array(value, name, bfloat16=True)

    @staticmethod
    def operand(value, name, x, broadcast):
        from fastdrop._variants import fused

        return fused._operand(value, name, x, broadcast)


NUMPY = _Numpy()


def of(x, out=None, grad=None, mask=None):
    """The operations for these arguments: the CuPy path's if any of them is a
    cupy.ndarray (a TypeError names one that is not, `fastdrop._gpu.route`),
    else the NumPy path's."""
    if _gpu.route(x=x, out=out, grad=grad, mask=mask):
        from fastdrop._gpu import _variants

        return _variants.Ops(x if grad is None else grad)
    return NUMPY

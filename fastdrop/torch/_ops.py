"""The custom operators ``fastdrop::dropout`` and ``fastdrop::dropout_backward``.

One forward operator serves every variant: plain dropout (optionally with a
noise shape: channel dropout, DropPath), unscaled dropout (DropPath without
``scale_by_keep``) and alpha dropout. It returns the output, the packed mask
bits (uint8, ``ceil(m / 8)`` bytes for m noise elements, or none with
``store="seed"``) and the seed it used, as an int64 tensor, so that a seed
drawn from the default stream inside a compiled graph still reaches
backward. Seeds and offsets are unsigned 64-bit; they cross the operator
schema (signed 64-bit ints) as their two's-complement images.

CPU tensors are seen as NumPy arrays and CUDA tensors as CuPy arrays, both
without a copy, and computed by fastdrop's public functions, so the bits
are those of ``fastdrop.dropout_forward(input.numpy(), ...)``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

import fastdrop
from fastdrop._mask import Mask
from fastdrop.torch import _arrays

# kind: what the forward computes (an int in the operator schema)
DROPOUT = 0  # kept elements scaled by 1 / (1 - p)
UNSCALED = 1  # kept elements unscaled (DropPath with scale_by_keep=False)
ALPHA = 2  # alpha dropout; with a noise shape, feature alpha dropout
BLOCK = 3  # DropBlock of (N, C, H, W) maps; its scale follows from the bits kept

_TWO64 = 1 << 64


def to_i64(v: int) -> int:
    """An unsigned 64-bit value as the signed one with the same bits."""
    return v - _TWO64 if v >= 1 << 63 else v


def to_u64(v: int) -> int:
    """The inverse of `to_i64` (2**64 itself, an offset of an empty call, maps to 0)."""
    return int(v) % _TWO64


def _mask_shape(shape, noise_shape) -> tuple:
    return tuple(noise_shape) if noise_shape else tuple(shape)


def _owned_bits(bits: np.ndarray) -> np.ndarray:
    """A writeable uint8 array holding bits: the array behind the Mask's read-only view when
    it is exactly that view (the Mask is dropped, so nothing else holds it), else a copy."""
    base = bits.base
    # A 1-D view with base's shape and unit strides is all of base's memory, in order.
    if (type(base) is np.ndarray and base.dtype == np.uint8 and base.shape == bits.shape
            and base.strides == bits.strides == (1,) and base.flags.writeable):
        return base
    return np.array(bits, dtype=np.uint8, order="C")


def _stream_tensor(seed: int, offset: int, device) -> torch.Tensor:
    """(seed, offset) as an int64 tensor of 2 elements (their two's-complement images)."""
    return torch.tensor([to_i64(seed), to_i64(offset)], dtype=torch.int64, device=device)


def _no_bits(device) -> torch.Tensor:
    return torch.empty(0, dtype=torch.uint8, device=device)


def _numpy_forward(x, y, p, seed, offset, store, noise_shape, kind, block_size=0):
    """fastdrop's function for kind on arrays x and y (out), NumPy arrays or CuPy
    arrays alike; returns y (store None) or (y, Mask)."""
    nshape = tuple(noise_shape) if noise_shape else None
    if kind == BLOCK:
        return fastdrop.drop_block(x, p, block_size=block_size, seed=seed, offset=offset, out=y,
                                   return_mask=store is not None)
    if kind == ALPHA:
        if nshape is None:
            return fastdrop.alpha_dropout(x, p, seed=seed, offset=offset, out=y,
                                          return_mask=store is not None)
        return fastdrop.feature_alpha_dropout(x, p, seed=seed, offset=offset, out=y,
                                              return_mask=store is not None)
    scaling = "classic" if kind == UNSCALED else "inverted"
    if store is None:
        return fastdrop.dropout(x, p, seed=seed, offset=offset, scaling=scaling, out=y,
                                noise_shape=nshape)
    return fastdrop.dropout_forward(x, p, seed=seed, offset=offset, scaling=scaling,
                                    store=store, out=y, noise_shape=nshape)


def eager(x: torch.Tensor, p: float, seed, offset: int, noise_shape, kind: int,
          inplace: bool, block_size: int = 0) -> torch.Tensor:
    """The forward without autograd or a custom-operator call (no mask kept): the fast path
    for eager calls whose result needs no gradient. Same bits as the operator."""
    if _arrays.device(x) == "cpu":
        y, yn = (x, _arrays.host(x)) if inplace else _arrays.new_host(x.shape, x.dtype)
        _numpy_forward(_arrays.host(x), yn, p, seed, offset, None, noise_shape, kind,
                       block_size)
        return y
    y = _cuda_forward(x, p, seed, offset, False, noise_shape, kind, block_size)[0]
    if inplace:
        x.copy_(y)
        return x
    return y


def _cuda_forward(x, p, seed, offset, store_bits, noise_shape, kind, block_size=0):
    """(output, bits, the seed used) of a CUDA tensor: the CuPy path of the same
    public function as on the CPU (every kind), on torch's current stream."""
    with _arrays.on_torch_stream(x):
        y = torch.empty(x.shape, dtype=x.dtype, device=x.device)
        mask = _numpy_forward(_arrays.gpu(x), _arrays.gpu(y), p, seed, offset,
                              "bits" if store_bits else "seed", noise_shape, kind, block_size)[1]
        bits = _arrays.from_gpu(mask.bits) if store_bits else _no_bits(x.device)
    return y, bits, mask.seed


def forward_impl(input, p, seed, offset, store_bits, noise_shape, kind, block_size=0):
    """(output, bits, the seed used) of a checked call; seed None draws from the default stream."""
    if _arrays.device(input) == "cuda":
        return _cuda_forward(input, p, seed, offset, store_bits, noise_shape, kind, block_size)
    y, yn = _arrays.new_host(input.shape, input.dtype)
    store = "bits" if store_bits else "seed"  # alpha dropout's callers always keep the bits
    mask = _numpy_forward(_arrays.host(input), yn, p, seed, offset, store, noise_shape, kind,
                          block_size)[1]
    bits = torch.from_numpy(_owned_bits(mask.bits)) if store_bits else _no_bits(input.device)
    return y, bits, mask.seed


@torch.library.custom_op("fastdrop::dropout", mutates_args=())
def dropout_op(input: torch.Tensor, p: float, seed: int, offset: int, draw: bool,
               store_bits: bool, noise_shape: list[int], kind: int, block_size: int = 0,
               position: torch.Tensor | None = None
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Forward: (output, packed mask bits or an empty uint8 tensor, the (seed, offset) used).

    draw: take the seed from fastdrop's default Generator (seed is ignored).
    noise_shape: the mask's shape, broadcast over input ([] for input's own).
    block_size: DropBlock's block side (kind BLOCK only).
    position: an int64 tensor whose first element is added to offset when
    the operator runs (a module's stream position, which a compiled graph
    reads as data). Arguments are checked by the callers
    (`fastdrop.torch.dropout` and friends); an offset that position moves
    out of range is a ValueError from the NumPy API.
    """
    if position is not None:
        offset = offset + int(position[0])
    offset_u = to_u64(offset)
    y, bits, used = forward_impl(input, p, None if draw else to_u64(seed), offset_u,
                                 store_bits, list(noise_shape), kind, block_size)
    return y, bits, _stream_tensor(used, offset_u, input.device)


@dropout_op.register_fake
def _dropout_fake(input, p, seed, offset, draw, store_bits, noise_shape, kind, block_size=0,
                  position=None):
    m = math.prod(_mask_shape(input.shape, noise_shape))
    y = torch.empty_like(input, memory_format=torch.contiguous_format)
    bits = input.new_empty(((m + 7) // 8 if store_bits else 0,), dtype=torch.uint8)
    return y, bits, input.new_empty((2,), dtype=torch.int64)


def backward_impl(grad, bits, seed_u, p, offset, store_bits, mask_shape, kind):
    """grad through the mask of a forward (seed and offset unsigned), with its rounding."""
    shape = tuple(int(d) for d in mask_shape)
    m = math.prod(shape)
    scaling = "classic" if kind == UNSCALED else "inverted"
    on_gpu = _arrays.device(grad, "grad") == "cuda"
    backward = fastdrop.alpha_dropout_backward if kind == ALPHA else fastdrop.dropout_backward
    if on_gpu:
        from fastdrop._gpu import _api as gpu_api

        with _arrays.on_torch_stream(grad):
            dx = torch.empty(grad.shape, dtype=grad.dtype, device=grad.device)
            gbits = _arrays.gpu(bits) if store_bits else None
            if kind == BLOCK and gbits is not None:  # DropBlock's p: the fraction dropped
                kept = gpu_api.kept_count(gbits, m)
                p = 1.0 - kept / m if m else 0.0
            mask = Mask._checked(shape, m, p, seed_u, offset, scaling, gbits)
            backward(_arrays.gpu(grad), mask, out=_arrays.gpu(dx))
        return dx
    dx, dxn = _arrays.new_host(grad.shape, grad.dtype)
    hbits = bits.detach().numpy() if store_bits else None
    if kind == BLOCK and hbits is not None:  # DropBlock's p: the fraction its bits dropped
        kept = int(np.unpackbits(hbits, count=m, bitorder="little").sum())
        p = 1.0 - kept / m if m else 0.0
    mask = Mask(shape, p, seed=seed_u, offset=offset, scaling=scaling, bits=hbits)
    backward(_arrays.host(grad), mask, out=dxn)
    return dx


@torch.library.custom_op("fastdrop::dropout_backward", mutates_args=())
def dropout_backward_op(grad: torch.Tensor, bits: torch.Tensor, stream: torch.Tensor, p: float,
                        store_bits: bool, mask_shape: list[int], kind: int) -> torch.Tensor:
    """Backward: grad through the mask of a `dropout_op` forward, with its rounding.

    bits and stream are what the forward returned: the packed bits (or an
    empty tensor: regenerate from the stream) and its (seed, offset).
    """
    if store_bits and stream.device.type != "cpu":
        seed_u = offset_u = 0  # reading a CUDA tensor synchronises; the bits make it needless
    else:
        seed_u, offset_u = (to_u64(int(v)) for v in stream.tolist())
    return backward_impl(grad, bits, seed_u, p, offset_u, store_bits, mask_shape, kind)


@dropout_backward_op.register_fake
def _dropout_backward_fake(grad, bits, stream, p, store_bits, mask_shape, kind):
    return torch.empty_like(grad, memory_format=torch.contiguous_format)


def _setup_forward(ctx, inputs, output):
    x, p, _seed, _offset, _draw, store_bits, noise_shape, kind, _block, _position = inputs
    _, bits, stream = output
    ctx.save_for_backward(bits, stream)
    ctx.args = (p, store_bits, list(_mask_shape(x.shape, noise_shape)), kind)


def _backward_forward(ctx, grad_y, _grad_bits, _grad_stream):
    bits, stream = ctx.saved_tensors
    grad_x = dropout_backward_op(grad_y, bits, stream, *ctx.args)
    return grad_x, None, None, None, None, None, None, None, None, None


dropout_op.register_autograd(_backward_forward, setup_context=_setup_forward)


def _setup_backward(ctx, inputs, output):
    _grad, bits, stream, p, store_bits, mask_shape, kind = inputs
    ctx.save_for_backward(bits, stream)
    ctx.args = (p, store_bits, list(mask_shape), kind)


def _backward_backward(ctx, grad_dx):
    """The backward is linear in grad: its own gradient is the same map."""
    bits, stream = ctx.saved_tensors
    grad_grad = dropout_backward_op(grad_dx, bits, stream, *ctx.args)
    return grad_grad, None, None, None, None, None, None


dropout_backward_op.register_autograd(_backward_backward, setup_context=_setup_backward)


class Eager(torch.autograd.Function):
    """The operator's forward and backward for eager autograd, without the operator's
    dispatch (a custom operator costs tens of microseconds a call from Python).

    The same functions compute it, so the bits are the operator's; a double
    backward (``create_graph=True``) goes through `dropout_backward_op`,
    whose autograd formula this class does not repeat.
    """

    @staticmethod
    def forward(ctx, input, args):
        p, seed, offset, store_bits, noise_shape, kind, block_size = args
        y, bits, used = forward_impl(input, p, seed, offset, store_bits, noise_shape, kind,
                                     block_size)
        ctx.save_for_backward(bits)
        ctx.args = (used, p, offset, store_bits, _mask_shape(input.shape, noise_shape), kind)
        return y

    @staticmethod
    def backward(ctx, grad_y):
        (bits,) = ctx.saved_tensors
        used, p, offset, store_bits, mask_shape, kind = ctx.args
        if torch.is_grad_enabled():
            grad_x = dropout_backward_op(grad_y, bits, _stream_tensor(used, offset, bits.device),
                                         p, store_bits, list(mask_shape), kind)
        else:
            grad_x = backward_impl(grad_y, bits, used, p, offset, store_bits, mask_shape, kind)
        return grad_x, None

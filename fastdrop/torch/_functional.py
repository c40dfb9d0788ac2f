"""The functions of `fastdrop.torch`: argument checks, shape rules, then the operator."""

from __future__ import annotations

import math
import numbers
import warnings

import torch

from fastdrop import _checks
from fastdrop._variants import structured as _structured
from fastdrop.torch import _arrays, _ops


class InputShapeError(ValueError, RuntimeError):
    """An input with a number of dimensions a channel dropout does not take.

    A ValueError, as fastdrop's errors for bad arguments are, and a
    RuntimeError, as torch.nn.functional raises for these inputs, so code
    written for either keeps catching it.
    """


def check_p(p) -> float:
    """p as a float in [0, 1]: TypeError for a non-real, ValueError outside (NaN too)."""
    if type(p) is not float:
        if isinstance(p, bool) or not isinstance(p, numbers.Real):
            raise TypeError(f"p must be a real number in [0, 1], got {type(p).__name__}")
        p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p, the dropout probability, must be between 0 and 1, got {p}")
    return p


def _store_bits(store) -> bool:
    return _checks.check_choice(store, "store", _checks.STORES) == "bits"


def apply(input, p, training, inplace, seed, offset, store_bits, noise_shape, kind,
          position=None, block_size=0):
    """The checked call of the operator (or of its eager fast path).

    input, training and inplace are checked here; p, store_bits and
    noise_shape by the caller. seed is None (the default Generator) or an
    int; offset is checked against the noise size. position (a module's
    stream position, added to offset by the operator) only while compiling.
    """
    training = _checks.check_flag(training, "training")
    inplace = _checks.check_flag(inplace, "inplace")
    m = math.prod(noise_shape) if noise_shape else input.numel()
    draw = seed is None
    seed = 0 if draw else _checks.check_seed(seed)
    offset = _checks.check_offset(offset, m)
    if not training:
        return input
    if not torch.compiler.is_compiling():
        if not (input.requires_grad and torch.is_grad_enabled()):
            return _ops.eager(input, p, None if draw else seed, offset, noise_shape, kind, inplace,
                              block_size)
        y = _ops.Eager.apply(input, (p, None if draw else seed, offset, store_bits,
                                     tuple(noise_shape), kind, block_size))
        return input.copy_(y) if inplace else y
    y = _ops.dropout_op(input, p, _ops.to_i64(seed), _ops.to_i64(offset), draw, store_bits,
                        list(noise_shape), kind, block_size, position)[0]
    if inplace:
        return input.copy_(y)
    return y


def dropout(input: torch.Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
            *, seed: int | None = None, offset: int = 0, store: str = "bits") -> torch.Tensor:
    """dropout(input, p=0.5, training=True, inplace=False, *, seed=None, offset=0, store="bits")

    `torch.nn.functional.dropout` on fastdrop's stream: a fraction p of the
    elements become 0, the rest are scaled by ``1 / (1 - p)``.

    Parameters
    ----------
    input : torch.Tensor
        float16, bfloat16, float32 or float64, any shape and strides, on the
        CPU (or on a CUDA device, through CuPy).
    p : float, default=0.5
        Drop probability in [0, 1].
    training : bool, default=True
        If False, input itself is returned, as torch does.
    inplace : bool, default=False
        Write the result into input and return it.
    seed : int or None, default=None
        Seed in [0, 2**64); None takes the next seed of fastdrop's default
        Generator when the operator runs (so inside a compiled graph too),
        which `fastdrop.manual_seed` makes reproducible.
    offset : int, default=0
        Stream index of the first element (C order).
    store : {"bits", "seed"}, default="bits"
        What autograd keeps for backward: the packed mask (1 bit per
        element, a uint8 tensor) or nothing but the seed (backward
        regenerates the mask).

    Returns
    -------
    torch.Tensor
        Contiguous, input's shape and dtype: the bits of
        ``fastdrop.dropout(input.numpy(), p, seed=seed, offset=offset)``.

    Raises
    ------
    TypeError
        If input is not a floating-point tensor of those dtypes (for
        bfloat16: if this fastdrop's core does not take it yet), p is not
        a real number, seed or offset not an int, training or inplace not
        a bool, store not a str.
    ValueError
        If p is outside [0, 1] or NaN, seed or offset are out of range,
        store is unknown.
    """
    input = _arrays.check_tensor(input)
    return apply(input, check_p(p), training, inplace, seed, offset, _store_bits(store), (),
                 _ops.DROPOUT)


def channel_shape(shape: torch.Size, which: int) -> tuple[int, ...]:
    """The noise shape of torch's dropout1d/2d/3d for an input of this shape.

    which is 1, 2 or 3. Inputs with a batch dimension share a mask bit over
    the spatial axes of each (sample, channel); unbatched inputs over those
    of each channel; the numbers of dimensions are torch's.
    """
    ndim = len(shape)
    name = f"dropout{which}d"
    if which == 1:
        if ndim not in (2, 3):
            raise InputShapeError(f"input to {name} must have 2 dimensions (C, L) or 3 "
                                  f"(N, C, L), got {ndim}")
        batched = ndim == 3
    elif which == 2:
        if ndim not in (3, 4):
            warnings.warn(f"{name} takes inputs of 3 or 4 dimensions; a {ndim}-dimensional "
                          f"input is read as (N, C, ...) as torch.nn.functional.{name} reads it",
                          stacklevel=4)
        if ndim == 3:
            warnings.warn(f"{name} reads a 3-dimensional input as (N, C, L), as "
                          f"torch.nn.functional.{name} does; use dropout1d for that",
                          stacklevel=4)
        batched = True
    else:
        if ndim not in (4, 5):
            warnings.warn(f"{name} takes inputs of 4 or 5 dimensions; a {ndim}-dimensional "
                          f"input is read as (C, ...) as torch.nn.functional.{name} reads it",
                          stacklevel=4)
        batched = ndim == 5
    lead = 2 if batched else 1
    if ndim < lead:
        raise InputShapeError(f"input to {name} must have at least {lead} dimensions, got {ndim}")
    return tuple(shape[:lead]) + (1,) * (ndim - lead)


def _channel(which, input, p, training, inplace, seed, offset, store):
    input = _arrays.check_tensor(input)
    p = check_p(p)
    nshape = channel_shape(input.shape, which)
    return apply(input, p, training, inplace, seed, offset, _store_bits(store), nshape,
                 _ops.DROPOUT)


_CHANNEL_DOC = """{name}(input, p=0.5, training=True, inplace=False, *, seed=None, offset=0, store="bits")

    `torch.nn.functional.{name}` on fastdrop's stream: whole channels are
    zeroed, the rest scaled by ``1 / (1 - p)``.

    {shapes} One mask bit per channel: the same bits as
    ``fastdrop.dropout(input.numpy(), p, seed=seed, offset=offset,
    noise_shape=...)`` with that noise shape. Arguments, result and errors
    as in `dropout`; an input with a number of dimensions torch refuses
    raises `InputShapeError` (a ValueError and a RuntimeError).
    """


def dropout1d(input: torch.Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              *, seed: int | None = None, offset: int = 0, store: str = "bits") -> torch.Tensor:
    return _channel(1, input, p, training, inplace, seed, offset, store)


def dropout2d(input: torch.Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              *, seed: int | None = None, offset: int = 0, store: str = "bits") -> torch.Tensor:
    return _channel(2, input, p, training, inplace, seed, offset, store)


def dropout3d(input: torch.Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              *, seed: int | None = None, offset: int = 0, store: str = "bits") -> torch.Tensor:
    return _channel(3, input, p, training, inplace, seed, offset, store)


dropout1d.__doc__ = _CHANNEL_DOC.format(
    name="dropout1d", shapes="input is (N, C, L) or (C, L).")
dropout2d.__doc__ = _CHANNEL_DOC.format(
    name="dropout2d", shapes="input is (N, C, H, W); a 3-dimensional input is read as "
    "(N, C, L), as torch reads it (with a warning).")
dropout3d.__doc__ = _CHANNEL_DOC.format(
    name="dropout3d", shapes="input is (N, C, D, H, W) or (C, D, H, W).")


def alpha_dropout(input: torch.Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False, *, seed: int | None = None, offset: int = 0
                  ) -> torch.Tensor:
    """alpha_dropout(input, p=0.5, training=False, inplace=False, *, seed=None, offset=0)

    `torch.nn.functional.alpha_dropout` on fastdrop's stream (SELU
    networks): the bits of ``fastdrop.alpha_dropout(input.numpy(), p,
    seed=seed, offset=offset)``. training defaults to False, as in torch.
    The mask is kept as bits for backward. Arguments and errors as in
    `dropout`.
    """
    input = _arrays.check_tensor(input)
    return apply(input, check_p(p), training, inplace, seed, offset, True, (), _ops.ALPHA)


def feature_alpha_dropout(input: torch.Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False, *, seed: int | None = None, offset: int = 0
                          ) -> torch.Tensor:
    """feature_alpha_dropout(input, p=0.5, training=False, inplace=False, *, seed=None, offset=0)

    `torch.nn.functional.feature_alpha_dropout` on fastdrop's stream: alpha
    dropout of whole channels of an (N, C, ...) input (at least 2
    dimensions), the bits of ``fastdrop.feature_alpha_dropout(input.numpy(),
    p, seed=seed, offset=offset)``. Arguments and errors as in `dropout`.
    """
    input = _arrays.check_tensor(input)
    p = check_p(p)
    if input.dim() < 2:
        raise InputShapeError(f"input to feature_alpha_dropout must have at least 2 dimensions "
                              f"(N, C, ...), got {input.dim()}")
    nshape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    return apply(input, p, training, inplace, seed, offset, True, nshape, _ops.ALPHA)


def drop_path(input: torch.Tensor, p: float = 0.5, training: bool = True, *,
              mode: str = "row", scale_by_keep: bool = True, seed: int | None = None,
              offset: int = 0, store: str = "bits") -> torch.Tensor:
    """drop_path(input, p=0.5, training=True, *, mode="row", scale_by_keep=True, seed=None, offset=0, store="bits")

    DropPath (stochastic depth) on fastdrop's stream: whole samples (mode
    "row", one bit per index of the first axis) or the whole batch (mode
    "batch") of a residual branch are zeroed; the bits of
    ``fastdrop.drop_path(input.numpy(), p, seed=seed, offset=offset,
    mode=mode, scale_by_keep=scale_by_keep)``. Arguments and errors as in
    `dropout`; a 0-dimensional input in mode "row" is a ValueError.
    """
    input = _arrays.check_tensor(input)
    p = check_p(p)
    mode = _checks.check_choice(mode, "mode", ("row", "batch"))
    scale = _checks.check_flag(scale_by_keep, "scale_by_keep")
    if mode == "row":
        if input.dim() == 0:
            raise ValueError("input must have at least 1 dimension (the samples) for mode='row'")
        nshape = (input.shape[0],) + (1,) * (input.dim() - 1)
    else:
        nshape = (1,) * input.dim()
    kind = _ops.DROPOUT if scale else _ops.UNSCALED
    return apply(input, p, training, False, seed, offset, _store_bits(store), nshape, kind)


def check_block(input: torch.Tensor, block_size) -> int:
    """block_size as an int >= 1, for a 4-dimensional input (N, C, H, W)."""
    if input.dim() != 4:
        raise ValueError(f"input to drop_block must have 4 dimensions (N, C, H, W), got "
                         f"{input.dim()}")
    return _structured._block_size(block_size)


def drop_block(input: torch.Tensor, p: float = 0.1, training: bool = True, *,
               block_size: int = 7, seed: int | None = None, offset: int = 0) -> torch.Tensor:
    """drop_block(input, p=0.1, training=True, *, block_size=7, seed=None, offset=0)

    DropBlock on fastdrop's stream: square blocks of each (N, C, H, W)
    feature map are zeroed and the rest rescaled by the fraction kept; the
    bits of ``fastdrop.drop_block(input.numpy(), p, block_size=block_size,
    seed=seed, offset=offset)``. The mask is kept as bits for backward.
    Arguments and errors as in `dropout`; an input without 4 dimensions or
    a block_size below 1 is a ValueError.
    """
    input = _arrays.check_tensor(input)
    p = check_p(p)
    k = check_block(input, block_size)
    return apply(input, p, training, False, seed, offset, True, (), _ops.BLOCK, block_size=k)

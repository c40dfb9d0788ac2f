"""torch.nn modules on fastdrop's stream: drop-in replacements for torch.nn's dropout layers."""

from __future__ import annotations

import math

import torch

from fastdrop import _checks
from fastdrop.torch import _arrays, _functional, _ops


class _Stream(torch.nn.Module):
    """Base of the modules: p, inplace, the stream and its place in state_dict.

    With a seed, the module has a stream position: each training call takes
    the next ``m`` stream elements (m = the number of mask elements), so
    calls get fresh masks and a run is reproduced by the seed. The position
    is an int64 buffer (``_position``, not in state_dict), which a graph
    compiled with ``torch.compile(fullgraph=True)`` reads and advances as
    data. Without a seed, each call takes a new seed from fastdrop's default
    Generator. ``state_dict()`` holds (seed, offset) as extra state, so a
    module restored with ``load_state_dict`` continues the same stream; a
    state dict without it (from the torch.nn module this one replaces)
    loads and leaves the stream as it is. Calls from several threads at once
    may share a position (unlike `fastdrop.Generator`, there is no lock).
    """

    p: float
    inplace: bool
    _position: torch.Tensor

    def __init__(self, p: float = 0.5, inplace: bool = False, *, seed: int | None = None,
                 store: str = "bits") -> None:
        super().__init__()
        self.p = _functional.check_p(p)
        self.inplace = _checks.check_flag(inplace, "inplace")
        self._store_bits = _checks.check_choice(store, "store", _checks.STORES) == "bits"
        self._seed = None if seed is None else _checks.check_seed(seed, sources=False)
        self.register_buffer("_position", torch.zeros(1, dtype=torch.int64), persistent=False)

    @property
    def seed(self) -> int | None:
        """The stream's seed, or None (each call draws from fastdrop's default Generator)."""
        return self._seed

    @property
    def offset(self) -> int:
        """The first stream element the next training call uses (0 without a seed)."""
        return 0 if self._seed is None else _ops.to_u64(int(self._position[0]))

    def _noise(self, input: torch.Tensor) -> tuple[tuple[int, ...], int]:
        """(noise shape, or () for input's own; kind of the operator)."""
        return (), _ops.DROPOUT

    def _block_size(self, input: torch.Tensor) -> int:
        return 0

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        input = _arrays.check_tensor(input)
        nshape, kind = self._noise(input)
        if not self.training:
            return input
        store_bits = self._store_bits or kind in (_ops.ALPHA, _ops.BLOCK)
        if self._seed is None:
            return _functional.apply(input, self.p, True, self.inplace, None, 0, store_bits,
                                     nshape, kind, None, self._block_size(input))
        m = math.prod(nshape) if nshape else input.numel()
        block = self._block_size(input)
        if torch.compiler.is_compiling():
            y = _functional.apply(input, self.p, True, self.inplace, self._seed, 0, store_bits,
                                  nshape, kind, self._position, block)
        else:
            y = _functional.apply(input, self.p, True, self.inplace, self._seed, self.offset,
                                  store_bits, nshape, kind, None, block)
        with torch.no_grad():
            self._position.add_(m)
        return y

    def get_extra_state(self) -> dict:
        return {"seed": self.seed, "offset": self.offset}

    def set_extra_state(self, state) -> None:
        if not isinstance(state, dict) or set(state) != {"seed", "offset"}:
            raise ValueError(f"state must be a dict with keys 'seed' and 'offset', got {state!r}")
        seed = state["seed"]
        seed = None if seed is None else _checks.check_seed(seed, sources=False)
        offset = _checks.check_offset(state["offset"], 0)
        self._seed = seed
        with torch.no_grad():
            self._position.fill_(_ops.to_i64(_ops.to_u64(offset)) if seed is not None else 0)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        key = prefix + torch.nn.modules.module._EXTRA_STATE_KEY_SUFFIX
        had = key in state_dict
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
        if not had and key in missing_keys:
            missing_keys.remove(key)

    def extra_repr(self) -> str:
        text = f"p={self.p}, inplace={self.inplace}"
        return text if self._seed is None else f"{text}, seed={self.seed}"


class Dropout(_Stream):
    """Dropout(p=0.5, inplace=False, *, seed=None, store="bits")

    `torch.nn.Dropout` on fastdrop's stream (`fastdrop.torch.dropout`).

    Parameters
    ----------
    p : float, default=0.5
        Drop probability in [0, 1] (ValueError outside, as torch.nn).
    inplace : bool, default=False
        Write the result into the input.
    seed : int or None, default=None
        The module's stream: each training call takes the next stream
        elements (reproducible, and carried by ``state_dict``). None: each
        call draws a seed from fastdrop's default Generator.
    store : {"bits", "seed"}, default="bits"
        What autograd keeps for backward (as in `fastdrop.torch.dropout`).

    In eval mode the input is returned unchanged.
    """


class _Channel(_Stream):
    _which = 0

    def _noise(self, input):
        return _functional.channel_shape(input.shape, self._which), _ops.DROPOUT


class Dropout1d(_Channel):
    """Dropout1d(p=0.5, inplace=False, *, seed=None, store="bits")

    `torch.nn.Dropout1d` on fastdrop's stream: whole channels of (N, C, L)
    or (C, L) inputs (`fastdrop.torch.dropout1d`). Arguments as `Dropout`.
    """

    _which = 1


class Dropout2d(_Channel):
    """Dropout2d(p=0.5, inplace=False, *, seed=None, store="bits")

    `torch.nn.Dropout2d` on fastdrop's stream: whole channels of
    (N, C, H, W) inputs (`fastdrop.torch.dropout2d`). Arguments as `Dropout`.
    """

    _which = 2


class Dropout3d(_Channel):
    """Dropout3d(p=0.5, inplace=False, *, seed=None, store="bits")

    `torch.nn.Dropout3d` on fastdrop's stream: whole channels of
    (N, C, D, H, W) or (C, D, H, W) inputs (`fastdrop.torch.dropout3d`).
    Arguments as `Dropout`.
    """

    _which = 3


class AlphaDropout(_Stream):
    """AlphaDropout(p=0.5, inplace=False, *, seed=None)

    `torch.nn.AlphaDropout` on fastdrop's stream (`fastdrop.torch.alpha_dropout`).
    Arguments as `Dropout`; the mask is always kept as bits.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, *,
                 seed: int | None = None) -> None:
        super().__init__(p, inplace, seed=seed)

    def _noise(self, input):
        return (), _ops.ALPHA


class FeatureAlphaDropout(AlphaDropout):
    """FeatureAlphaDropout(p=0.5, inplace=False, *, seed=None)

    `torch.nn.FeatureAlphaDropout` on fastdrop's stream: alpha dropout of
    whole channels of (N, C, ...) inputs (`fastdrop.torch.feature_alpha_dropout`).
    """

    def _noise(self, input):
        if input.dim() < 2:
            raise _functional.InputShapeError(
                f"input to FeatureAlphaDropout must have at least 2 dimensions (N, C, ...), "
                f"got {input.dim()}")
        return tuple(input.shape[:2]) + (1,) * (input.dim() - 2), _ops.ALPHA


class DropPath(_Stream):
    """DropPath(p=0.5, *, mode="row", scale_by_keep=True, seed=None, store="bits")

    DropPath (stochastic depth) on fastdrop's stream (`fastdrop.torch.drop_path`):
    put it on a residual branch, ``x + drop_path(branch(x))``.

    Parameters
    ----------
    p : float, default=0.5
        Probability of dropping a sample's branch.
    mode : {"row", "batch"}, default="row"
        One mask bit per sample (first axis), or one for the whole batch.
    scale_by_keep : bool, default=True
        Scale kept samples by ``1 / (1 - p)``.
    seed, store
        As in `Dropout`.
    """

    def __init__(self, p: float = 0.5, *, mode: str = "row", scale_by_keep: bool = True,
                 seed: int | None = None, store: str = "bits") -> None:
        super().__init__(p, False, seed=seed, store=store)
        self.mode = _checks.check_choice(mode, "mode", ("row", "batch"))
        self.scale_by_keep = _checks.check_flag(scale_by_keep, "scale_by_keep")

    def _noise(self, input):
        kind = _ops.DROPOUT if self.scale_by_keep else _ops.UNSCALED
        if self.mode == "batch":
            return (1,) * input.dim(), kind
        if input.dim() == 0:
            raise ValueError("input must have at least 1 dimension (the samples) for mode='row'")
        return (input.shape[0],) + (1,) * (input.dim() - 1), kind

    def extra_repr(self) -> str:
        text = f"p={self.p}, mode={self.mode!r}, scale_by_keep={self.scale_by_keep}"
        return text if self._seed is None else f"{text}, seed={self.seed}"


class DropBlock(_Stream):
    """DropBlock(p=0.1, *, block_size=7, seed=None)

    DropBlock on fastdrop's stream (`fastdrop.torch.drop_block`) for
    (N, C, H, W) feature maps: square blocks of side block_size dropped,
    the rest rescaled by the fraction kept.

    Parameters
    ----------
    p : float, default=0.1
        Target drop fraction.
    block_size : int, default=7
        Side of the dropped blocks (>= 1).
    seed
        As in `Dropout`; each call takes input.numel() stream elements.
    """

    def __init__(self, p: float = 0.1, *, block_size: int = 7,
                 seed: int | None = None) -> None:
        super().__init__(p, False, seed=seed)
        self.block_size = _functional._structured._block_size(block_size)

    def _noise(self, input):
        _functional.check_block(input, self.block_size)
        return (), _ops.BLOCK

    def _block_size(self, input):
        return self.block_size

    def extra_repr(self) -> str:
        text = f"p={self.p}, block_size={self.block_size}"
        return text if self._seed is None else f"{text}, seed={self.seed}"

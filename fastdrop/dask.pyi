from fractions import Fraction
from typing import Any, Literal, SupportsIndex

import dask.array as da
import numpy as np

__all__ = ["DaskMask", "dropout", "dropout_backward", "dropout_forward"]

_Real = float | np.floating[Any] | np.integer[Any] | Fraction
_Int = int | np.integer[Any]
_Seed = int | np.integer[Any] | np.random.SeedSequence | np.random.Generator
_Scaling = Literal["inverted", "classic"]
_NoiseShape = tuple[SupportsIndex | None, ...] | list[SupportsIndex | None]
_Axes = SupportsIndex | tuple[SupportsIndex, ...] | list[SupportsIndex]

class DaskMask:
    shape: tuple[int, ...]
    p: float
    seed: int
    offset: int
    scaling: _Scaling
    noise_shape: tuple[int, ...] | None
    def __init__(
        self,
        shape: tuple[int, ...],
        p: _Real,
        seed: _Int,
        offset: _Int,
        scaling: _Scaling,
        noise_shape: _NoiseShape | None = None,
    ) -> None: ...
    def to_bool(self, chunks: Any = "auto") -> da.Array: ...

def dropout(
    x: da.Array,
    p: _Real = 0.5,
    *,
    seed: _Seed,
    offset: _Int = 0,
    training: bool | np.bool_ = True,
    scaling: _Scaling = "inverted",
    noise_shape: _NoiseShape | None = None,
    broadcast_dims: _Axes | None = None,
) -> da.Array: ...
def dropout_forward(
    x: da.Array,
    p: _Real = 0.5,
    *,
    seed: _Seed,
    offset: _Int = 0,
    scaling: _Scaling = "inverted",
    noise_shape: _NoiseShape | None = None,
    broadcast_dims: _Axes | None = None,
) -> tuple[da.Array, DaskMask]: ...
def dropout_backward(grad: da.Array, mask: DaskMask) -> da.Array: ...

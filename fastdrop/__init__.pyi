"""Type stubs for the public fastdrop API.

Array results keep the input's float type: an ``NDArray[np.float32]`` in
gives an ``NDArray[np.float32]`` out (`_F`, a TypeVar bound to the three
float types); other array-likes (lists, Python floats) give
``NDArray[np.floating[Any]]``.
"""

from fractions import Fraction
from typing import Any, Literal, SupportsIndex, TypedDict, TypeVar, overload

import numpy as np
import numpy.typing as npt

_F = TypeVar("_F", bound=np.float16 | np.float32 | np.float64)
_G = TypeVar("_G", bound=np.float16 | np.float32 | np.float64)
_AnyFloat = npt.NDArray[np.floating[Any]]
_Real = float | np.floating[Any] | np.integer[Any] | Fraction
_Int = int | np.integer[Any]
_Flag = bool | np.bool_
_Seed = int | np.integer[Any] | np.random.SeedSequence | np.random.Generator | None
_Scaling = Literal["inverted", "classic"]
_Store = Literal["bits", "seed"]

__all__ = [
    "RNG_SPEC",
    "Dropout",
    "Generator",
    "Mask",
    "__version__",
    "default_generator",
    "dropout",
    "dropout_backward",
    "dropout_forward",
    "get_num_threads",
    "manual_seed",
    "set_num_threads",
    "simd_info",
]

# Gaussian and variational dropout
__all__ += [
    "NORMAL_SPEC",
    "GaussianDropout",
    "Noise",
    "gaussian_dropout",
    "gaussian_dropout_backward",
    "gaussian_dropout_forward",
    "kl_sparse_vd",
    "variational_dense",
    "variational_dense_backward",
    "variational_dropout",
    "variational_dropout_backward",
]

__version__: str
RNG_SPEC: str

class _SimdInfo(TypedDict):
    active: str
    available: list[str]
    known: list[str]

def simd_info() -> _SimdInfo: ...
def set_num_threads(n: _Int | None) -> None: ...
def get_num_threads() -> int: ...
def manual_seed(seed: int | np.integer[Any] | np.random.SeedSequence | np.random.Generator) -> Generator: ...
def default_generator() -> Generator: ...
@overload
def dropout(
    x: npt.NDArray[_F] | _F,
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    training: _Flag = True,
    scaling: _Scaling = "inverted",
    out: npt.NDArray[_F] | None = None,
) -> npt.NDArray[_F]: ...
@overload
def dropout(
    x: npt.ArrayLike,
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    training: _Flag = True,
    scaling: _Scaling = "inverted",
    out: _AnyFloat | None = None,
) -> _AnyFloat: ...
@overload
def dropout_forward(
    x: npt.NDArray[_F] | _F,
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    scaling: _Scaling = "inverted",
    store: _Store = "bits",
    out: npt.NDArray[_F] | None = None,
) -> tuple[npt.NDArray[_F], Mask]: ...
@overload
def dropout_forward(
    x: npt.ArrayLike,
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    scaling: _Scaling = "inverted",
    store: _Store = "bits",
    out: _AnyFloat | None = None,
) -> tuple[_AnyFloat, Mask]: ...
@overload
def dropout_backward(
    grad: npt.NDArray[_G] | _G,
    mask: Mask,
    *,
    out: npt.NDArray[_G] | None = None,
    accumulate: _Flag = False,
) -> npt.NDArray[_G]: ...
@overload
def dropout_backward(
    grad: npt.ArrayLike,
    mask: Mask,
    *,
    out: _AnyFloat | None = None,
    accumulate: _Flag = False,
) -> _AnyFloat: ...

class Mask:
    def __init__(
        self,
        shape: SupportsIndex | tuple[SupportsIndex, ...] | list[SupportsIndex],
        p: _Real,
        *,
        seed: _Int,
        offset: _Int = 0,
        scaling: _Scaling = "inverted",
        bits: npt.NDArray[np.uint8] | None = None,
    ) -> None: ...
    @property
    def shape(self) -> tuple[int, ...]: ...
    @property
    def size(self) -> int: ...
    @property
    def p(self) -> float: ...
    @property
    def seed(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def scaling(self) -> _Scaling: ...
    @property
    def bits(self) -> npt.NDArray[np.uint8] | None: ...
    @property
    def store(self) -> _Store: ...
    @property
    def nbytes(self) -> int: ...
    @property
    def scale(self) -> float: ...
    @property
    def threshold(self) -> int: ...
    def packed_bits(self) -> npt.NDArray[np.uint8]: ...
    def to_bool(self) -> npt.NDArray[np.bool_]: ...

class Generator:
    def __init__(self, seed: _Seed = None, *, offset: _Int = 0) -> None: ...
    @property
    def seed(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def n_children_spawned(self) -> int: ...
    def spawn(self, n: _Int) -> list[Generator]: ...
    @overload
    def dropout(
        self,
        x: npt.NDArray[_F] | _F,
        p: _Real = 0.5,
        *,
        training: _Flag = True,
        scaling: _Scaling = "inverted",
        out: npt.NDArray[_F] | None = None,
    ) -> npt.NDArray[_F]: ...
    @overload
    def dropout(
        self,
        x: npt.ArrayLike,
        p: _Real = 0.5,
        *,
        training: _Flag = True,
        scaling: _Scaling = "inverted",
        out: _AnyFloat | None = None,
    ) -> _AnyFloat: ...
    @overload
    def dropout_forward(
        self,
        x: npt.NDArray[_F] | _F,
        p: _Real = 0.5,
        *,
        scaling: _Scaling = "inverted",
        store: _Store = "bits",
        out: npt.NDArray[_F] | None = None,
    ) -> tuple[npt.NDArray[_F], Mask]: ...
    @overload
    def dropout_forward(
        self,
        x: npt.ArrayLike,
        p: _Real = 0.5,
        *,
        scaling: _Scaling = "inverted",
        store: _Store = "bits",
        out: _AnyFloat | None = None,
    ) -> tuple[_AnyFloat, Mask]: ...

class Dropout:
    p: float
    scaling: _Scaling
    store: _Store
    name: str | None
    training: bool
    generator: Generator
    mask: Mask | None
    def __init__(
        self,
        p: _Real = 0.5,
        *,
        seed: _Seed = None,
        scaling: _Scaling = "inverted",
        store: _Store = "bits",
        name: str | None = None,
    ) -> None: ...
    def train(self, mode: _Flag = True) -> Dropout: ...
    def eval(self) -> Dropout: ...
    @overload
    def forward(
        self,
        x: npt.NDArray[_F] | _F,
        *,
        training: _Flag | None = None,
        return_mask: Literal[False] = False,
        out: npt.NDArray[_F] | None = None,
    ) -> npt.NDArray[_F]: ...
    @overload
    def forward(
        self,
        x: npt.NDArray[_F] | _F,
        *,
        training: _Flag | None = None,
        return_mask: Literal[True],
        out: npt.NDArray[_F] | None = None,
    ) -> tuple[npt.NDArray[_F], Mask | None]: ...
    @overload
    def forward(
        self,
        x: npt.ArrayLike,
        *,
        training: _Flag | None = None,
        return_mask: Literal[False] = False,
        out: _AnyFloat | None = None,
    ) -> _AnyFloat: ...
    @overload
    def forward(
        self,
        x: npt.ArrayLike,
        *,
        training: _Flag | None = None,
        return_mask: Literal[True],
        out: _AnyFloat | None = None,
    ) -> tuple[_AnyFloat, Mask | None]: ...
    __call__ = forward
    @overload
    def backward(
        self,
        grad: npt.NDArray[_G] | _G,
        mask: Mask | None = None,
        *,
        out: npt.NDArray[_G] | None = None,
        accumulate: _Flag = False,
    ) -> npt.NDArray[_G]: ...
    @overload
    def backward(
        self,
        grad: npt.ArrayLike,
        mask: Mask | None = None,
        *,
        out: _AnyFloat | None = None,
        accumulate: _Flag = False,
    ) -> _AnyFloat: ...

# --- Gaussian and variational dropout (SPEC.md section 10) ---

NORMAL_SPEC: str
_H = TypeVar("_H", bound=np.float32 | np.float64)
_Kind = Literal["gaussian", "variational", "dense"]

class Noise:
    def __init__(
        self,
        kind: _Kind,
        shape: tuple[int, ...],
        seed: _Int,
        offset: _Int,
        p: _Real | None = None,
        training: _Flag = True,
    ) -> None: ...
    @property
    def kind(self) -> str: ...
    @property
    def shape(self) -> tuple[int, ...]: ...
    @property
    def seed(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def p(self) -> float | None: ...
    @property
    def training(self) -> bool: ...
    @property
    def size(self) -> int: ...
    def normals(self, dtype: npt.DTypeLike = ...) -> _AnyFloat: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: None  # type: ignore[assignment]

@overload
def gaussian_dropout(
    x: npt.NDArray[_F] | _F,
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    training: _Flag = True,
    out: npt.NDArray[_F] | None = None,
) -> npt.NDArray[_F]: ...
@overload
def gaussian_dropout(
    x: npt.ArrayLike,
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    training: _Flag = True,
    out: _AnyFloat | None = None,
) -> _AnyFloat: ...
@overload
def gaussian_dropout_forward(
    x: npt.NDArray[_F] | _F,
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    out: npt.NDArray[_F] | None = None,
) -> tuple[npt.NDArray[_F], Noise]: ...
@overload
def gaussian_dropout_forward(
    x: npt.ArrayLike,
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    out: _AnyFloat | None = None,
) -> tuple[_AnyFloat, Noise]: ...
@overload
def gaussian_dropout_backward(
    grad: npt.NDArray[_G] | _G, noise: Noise, *, out: npt.NDArray[_G] | None = None
) -> npt.NDArray[_G]: ...
@overload
def gaussian_dropout_backward(
    grad: npt.ArrayLike, noise: Noise, *, out: _AnyFloat | None = None
) -> _AnyFloat: ...
@overload
def variational_dropout(
    x: npt.NDArray[_H],
    log_alpha: npt.ArrayLike,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    training: _Flag = True,
) -> tuple[npt.NDArray[_H], Noise]: ...
@overload
def variational_dropout(
    x: npt.ArrayLike,
    log_alpha: npt.ArrayLike,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    training: _Flag = True,
) -> tuple[_AnyFloat, Noise]: ...
def variational_dropout_backward(
    grad: npt.ArrayLike, x: npt.ArrayLike, log_alpha: npt.ArrayLike, noise: Noise
) -> tuple[_AnyFloat, _AnyFloat]: ...
@overload
def variational_dense(
    x: npt.NDArray[_H],
    w: npt.NDArray[_H],
    log_alpha: npt.ArrayLike,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    training: _Flag = True,
) -> tuple[npt.NDArray[_H], Noise]: ...
@overload
def variational_dense(
    x: npt.ArrayLike,
    w: npt.ArrayLike,
    log_alpha: npt.ArrayLike,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    training: _Flag = True,
) -> tuple[_AnyFloat, Noise]: ...
def variational_dense_backward(
    grad: npt.ArrayLike, x: npt.ArrayLike, w: npt.ArrayLike, log_alpha: npt.ArrayLike,
    noise: Noise,
) -> tuple[_AnyFloat, _AnyFloat, _AnyFloat]: ...
def kl_sparse_vd(log_alpha: npt.ArrayLike) -> tuple[float, _AnyFloat]: ...

class GaussianDropout:
    p: float
    generator: Generator
    training: bool
    noise: Noise | None
    def __init__(self, p: _Real = 0.5, *, seed: _Seed = None) -> None: ...
    def train(self, mode: _Flag = True) -> GaussianDropout: ...
    def eval(self) -> GaussianDropout: ...
    @overload
    def forward(
        self,
        x: npt.ArrayLike,
        *,
        training: _Flag | None = None,
        return_noise: Literal[False] = False,
        out: _AnyFloat | None = None,
    ) -> _AnyFloat: ...
    @overload
    def forward(
        self,
        x: npt.ArrayLike,
        *,
        training: _Flag | None = None,
        return_noise: Literal[True],
        out: _AnyFloat | None = None,
    ) -> tuple[_AnyFloat, Noise]: ...
    __call__ = forward
    def backward(
        self, grad: npt.ArrayLike, noise: Noise | None = None, *, out: _AnyFloat | None = None
    ) -> _AnyFloat: ...

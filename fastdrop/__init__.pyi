"""Type stubs for the public fastdrop API."""

from typing import Literal, SupportsIndex, TypedDict

import numpy as np
import numpy.typing as npt

_Float = np.float16 | np.float32 | np.float64
_Array = npt.NDArray[_Float]
_Scaling = Literal["inverted", "classic"]
_Store = Literal["bits", "seed"]

__version__: str
RNG_SPEC: str

class _SimdInfo(TypedDict):
    active: str
    available: list[str]
    known: list[str]

def simd_info() -> _SimdInfo: ...
def set_num_threads(n: int | None) -> None: ...
def get_num_threads() -> int: ...
def dropout(
    x: npt.ArrayLike,
    p: float = 0.5,
    *,
    seed: int | None = None,
    offset: int = 0,
    training: bool = True,
    scaling: _Scaling = "inverted",
    out: _Array | None = None,
) -> _Array: ...
def dropout_forward(
    x: npt.ArrayLike,
    p: float = 0.5,
    *,
    seed: int | None = None,
    offset: int = 0,
    scaling: _Scaling = "inverted",
    store: _Store = "bits",
    out: _Array | None = None,
) -> tuple[_Array, Mask]: ...
def dropout_backward(
    grad: npt.ArrayLike,
    mask: Mask,
    *,
    out: _Array | None = None,
    accumulate: bool = False,
) -> _Array: ...

class Mask:
    def __init__(
        self,
        shape: SupportsIndex | tuple[SupportsIndex, ...],
        p: float,
        *,
        seed: int,
        offset: int = 0,
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
    def __init__(self, seed: int | None = None, *, offset: int = 0) -> None: ...
    @property
    def seed(self) -> int: ...
    @property
    def offset(self) -> int: ...
    def dropout(
        self,
        x: npt.ArrayLike,
        p: float = 0.5,
        *,
        training: bool = True,
        scaling: _Scaling = "inverted",
        out: _Array | None = None,
    ) -> _Array: ...
    def dropout_forward(
        self,
        x: npt.ArrayLike,
        p: float = 0.5,
        *,
        scaling: _Scaling = "inverted",
        store: _Store = "bits",
        out: _Array | None = None,
    ) -> tuple[_Array, Mask]: ...

class Dropout:
    p: float
    scaling: _Scaling
    store: _Store
    training: bool
    generator: Generator
    mask: Mask | None
    def __init__(
        self,
        p: float = 0.5,
        *,
        seed: int | None = None,
        scaling: _Scaling = "inverted",
        store: _Store = "bits",
    ) -> None: ...
    def train(self, mode: bool = True) -> Dropout: ...
    def eval(self) -> Dropout: ...
    def forward(self, x: npt.ArrayLike, *, out: _Array | None = None) -> _Array: ...
    def __call__(self, x: npt.ArrayLike, *, out: _Array | None = None) -> _Array: ...
    def backward(
        self, grad: npt.ArrayLike, *, out: _Array | None = None, accumulate: bool = False
    ) -> _Array: ...

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
# bfloat16 (ml_dtypes.bfloat16, a numpy.generic subclass that these stubs do not import):
# dropout, dropout_forward, dropout_backward, Generator, Dropout, spatial_dropout,
# drop_path, mc_dropout, alpha_dropout and feature_alpha_dropout keep an array's dtype.
_B = TypeVar("_B", bound=np.generic)
_AnyFloat = npt.NDArray[np.floating[Any]]
_Real = float | np.floating[Any] | np.integer[Any] | Fraction
_Int = int | np.integer[Any]
_Flag = bool | np.bool_
_Seed = int | np.integer[Any] | np.random.SeedSequence | np.random.Generator | None
_Scaling = Literal["inverted", "classic"]
_Store = Literal["bits", "seed"]
_NoiseShape = tuple[SupportsIndex | None, ...] | list[SupportsIndex | None]
_Axes = SupportsIndex | tuple[SupportsIndex, ...] | list[SupportsIndex]
_Dims = tuple[SupportsIndex, ...] | list[SupportsIndex]
_DataFormat = Literal["channels_first", "channels_last"]

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
    # dropout variants
    "AlphaDropout",
    "DropBlock",
    "DropPath",
    "SpatialDropout",
    "alpha_dropout",
    "alpha_dropout_backward",
    "drop_block",
    "drop_path",
    "dropout_add",
    "dropout_add_backward",
    "feature_alpha_dropout",
    "mc_dropout",
    "spatial_dropout",
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
    noise_shape: _NoiseShape | None = None,
    broadcast_dims: _Axes | None = None,
    global_shape: _Dims | None = None,
    global_origin: _Dims | None = None,
) -> npt.NDArray[_F]: ...
@overload
def dropout(
    x: npt.NDArray[_B],
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    training: _Flag = True,
    scaling: _Scaling = "inverted",
    out: npt.NDArray[_B] | None = None,
    noise_shape: _NoiseShape | None = None,
    broadcast_dims: _Axes | None = None,
) -> npt.NDArray[_B]: ...
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
    noise_shape: _NoiseShape | None = None,
    broadcast_dims: _Axes | None = None,
    global_shape: _Dims | None = None,
    global_origin: _Dims | None = None,
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
    noise_shape: _NoiseShape | None = None,
    broadcast_dims: _Axes | None = None,
    global_shape: _Dims | None = None,
    global_origin: _Dims | None = None,
) -> tuple[npt.NDArray[_F], Mask]: ...
@overload
def dropout_forward(
    x: npt.NDArray[_B],
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    scaling: _Scaling = "inverted",
    store: _Store = "bits",
    out: npt.NDArray[_B] | None = None,
    noise_shape: _NoiseShape | None = None,
    broadcast_dims: _Axes | None = None,
) -> tuple[npt.NDArray[_B], Mask]: ...
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
    noise_shape: _NoiseShape | None = None,
    broadcast_dims: _Axes | None = None,
    global_shape: _Dims | None = None,
    global_origin: _Dims | None = None,
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
    grad: npt.NDArray[_B],
    mask: Mask,
    *,
    out: npt.NDArray[_B] | None = None,
    accumulate: _Flag = False,
) -> npt.NDArray[_B]: ...
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
        global_shape: _Dims | None = None,
        global_origin: _Dims | None = None,
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
    def global_shape(self) -> tuple[int, ...] | None: ...
    @property
    def global_origin(self) -> tuple[int, ...] | None: ...
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
        noise_shape: _NoiseShape | None = None,
        broadcast_dims: _Axes | None = None,
    ) -> npt.NDArray[_F]: ...
    @overload
    def dropout(
        self,
        x: npt.NDArray[_B],
        p: _Real = 0.5,
        *,
        training: _Flag = True,
        scaling: _Scaling = "inverted",
        out: npt.NDArray[_B] | None = None,
        noise_shape: _NoiseShape | None = None,
        broadcast_dims: _Axes | None = None,
    ) -> npt.NDArray[_B]: ...
    @overload
    def dropout(
        self,
        x: npt.ArrayLike,
        p: _Real = 0.5,
        *,
        training: _Flag = True,
        scaling: _Scaling = "inverted",
        out: _AnyFloat | None = None,
        noise_shape: _NoiseShape | None = None,
        broadcast_dims: _Axes | None = None,
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
        noise_shape: _NoiseShape | None = None,
        broadcast_dims: _Axes | None = None,
    ) -> tuple[npt.NDArray[_F], Mask]: ...
    @overload
    def dropout_forward(
        self,
        x: npt.NDArray[_B],
        p: _Real = 0.5,
        *,
        scaling: _Scaling = "inverted",
        store: _Store = "bits",
        out: npt.NDArray[_B] | None = None,
        noise_shape: _NoiseShape | None = None,
        broadcast_dims: _Axes | None = None,
    ) -> tuple[npt.NDArray[_B], Mask]: ...
    @overload
    def dropout_forward(
        self,
        x: npt.ArrayLike,
        p: _Real = 0.5,
        *,
        scaling: _Scaling = "inverted",
        store: _Store = "bits",
        out: _AnyFloat | None = None,
        noise_shape: _NoiseShape | None = None,
        broadcast_dims: _Axes | None = None,
    ) -> tuple[_AnyFloat, Mask]: ...

class Dropout:
    p: float
    scaling: _Scaling
    store: _Store
    name: str | None
    training: bool
    generator: Generator
    mask: Mask | None
    noise_shape: _NoiseShape | None
    broadcast_dims: _Axes | None
    def __init__(
        self,
        p: _Real = 0.5,
        *,
        seed: _Seed = None,
        scaling: _Scaling = "inverted",
        store: _Store = "bits",
        name: str | None = None,
        noise_shape: _NoiseShape | None = None,
        broadcast_dims: _Axes | None = None,
    ) -> None: ...
    def mc_samples(self, x: npt.ArrayLike, samples: _Int = 8, *, seed: _Seed = None) -> _AnyFloat: ...
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
        x: npt.NDArray[_B],
        *,
        training: _Flag | None = None,
        return_mask: Literal[False] = False,
        out: npt.NDArray[_B] | None = None,
    ) -> npt.NDArray[_B]: ...
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
        x: npt.NDArray[_B],
        *,
        training: _Flag | None = None,
        return_mask: Literal[True],
        out: npt.NDArray[_B] | None = None,
    ) -> tuple[npt.NDArray[_B], Mask | None]: ...
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
        grad: npt.NDArray[_B],
        mask: Mask | None = None,
        *,
        out: npt.NDArray[_B] | None = None,
        accumulate: _Flag = False,
    ) -> npt.NDArray[_B]: ...
    @overload
    def backward(
        self,
        grad: npt.ArrayLike,
        mask: Mask | None = None,
        *,
        out: _AnyFloat | None = None,
        accumulate: _Flag = False,
    ) -> _AnyFloat: ...

# ---- dropout variants (fastdrop/_variants) ----

@overload
def spatial_dropout(
    x: npt.NDArray[_F],
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    data_format: _DataFormat = "channels_first",
    training: _Flag = True,
    out: npt.NDArray[_F] | None = None,
    return_mask: Literal[False] = False,
) -> npt.NDArray[_F]: ...
@overload
def spatial_dropout(
    x: npt.NDArray[_B],
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    data_format: _DataFormat = "channels_first",
    training: _Flag = True,
    out: npt.NDArray[_B] | None = None,
    return_mask: Literal[False] = False,
) -> npt.NDArray[_B]: ...
@overload
def spatial_dropout(
    x: npt.ArrayLike,
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    data_format: _DataFormat = "channels_first",
    training: _Flag = True,
    out: _AnyFloat | None = None,
    return_mask: _Flag = False,
) -> Any: ...
@overload
def alpha_dropout(
    x: npt.NDArray[_F] | _F,
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    training: _Flag = True,
    out: npt.NDArray[_F] | None = None,
    return_mask: Literal[False] = False,
) -> npt.NDArray[_F]: ...
@overload
def alpha_dropout(
    x: npt.NDArray[_B],
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    training: _Flag = True,
    out: npt.NDArray[_B] | None = None,
    return_mask: Literal[False] = False,
) -> npt.NDArray[_B]: ...
@overload
def alpha_dropout(
    x: npt.ArrayLike,
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    training: _Flag = True,
    out: _AnyFloat | None = None,
    return_mask: _Flag = False,
) -> Any: ...
@overload
def feature_alpha_dropout(
    x: npt.NDArray[_F],
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    data_format: _DataFormat = "channels_first",
    training: _Flag = True,
    out: npt.NDArray[_F] | None = None,
    return_mask: Literal[False] = False,
) -> npt.NDArray[_F]: ...
@overload
def feature_alpha_dropout(
    x: npt.NDArray[_B],
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    data_format: _DataFormat = "channels_first",
    training: _Flag = True,
    out: npt.NDArray[_B] | None = None,
    return_mask: Literal[False] = False,
) -> npt.NDArray[_B]: ...
@overload
def feature_alpha_dropout(
    x: npt.ArrayLike,
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    data_format: _DataFormat = "channels_first",
    training: _Flag = True,
    out: _AnyFloat | None = None,
    return_mask: _Flag = False,
) -> Any: ...
def alpha_dropout_backward(
    grad: npt.ArrayLike,
    mask: Mask,
    *,
    out: _AnyFloat | None = None,
    accumulate: _Flag = False,
) -> _AnyFloat: ...
@overload
def drop_path(
    x: npt.NDArray[_F] | _F,
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    mode: Literal["row", "batch"] = "row",
    scale_by_keep: _Flag = True,
    training: _Flag = True,
    out: npt.NDArray[_F] | None = None,
    return_mask: Literal[False] = False,
) -> npt.NDArray[_F]: ...
@overload
def drop_path(
    x: npt.NDArray[_B],
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    mode: Literal["row", "batch"] = "row",
    scale_by_keep: _Flag = True,
    training: _Flag = True,
    out: npt.NDArray[_B] | None = None,
    return_mask: Literal[False] = False,
) -> npt.NDArray[_B]: ...
@overload
def drop_path(
    x: npt.ArrayLike,
    p: _Real = 0.5,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    mode: Literal["row", "batch"] = "row",
    scale_by_keep: _Flag = True,
    training: _Flag = True,
    out: _AnyFloat | None = None,
    return_mask: _Flag = False,
) -> Any: ...
@overload
def drop_block(
    x: npt.NDArray[_F],
    p: _Real = 0.1,
    *,
    block_size: _Int = 7,
    seed: _Seed = None,
    offset: _Int = 0,
    data_format: _DataFormat = "channels_first",
    training: _Flag = True,
    out: npt.NDArray[_F] | None = None,
    return_mask: Literal[False] = False,
) -> npt.NDArray[_F]: ...
@overload
def drop_block(
    x: npt.ArrayLike,
    p: _Real = 0.1,
    *,
    block_size: _Int = 7,
    seed: _Seed = None,
    offset: _Int = 0,
    data_format: _DataFormat = "channels_first",
    training: _Flag = True,
    out: _AnyFloat | None = None,
    return_mask: _Flag = False,
) -> Any: ...
@overload
def mc_dropout(
    x: npt.NDArray[_F] | _F,
    p: _Real = 0.5,
    samples: _Int = 8,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    noise_shape: _NoiseShape | None = None,
    broadcast_dims: _Axes | None = None,
    out: npt.NDArray[_F] | None = None,
) -> npt.NDArray[_F]: ...
@overload
def mc_dropout(
    x: npt.NDArray[_B],
    p: _Real = 0.5,
    samples: _Int = 8,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    noise_shape: _NoiseShape | None = None,
    broadcast_dims: _Axes | None = None,
    out: npt.NDArray[_B] | None = None,
) -> npt.NDArray[_B]: ...
@overload
def mc_dropout(
    x: npt.ArrayLike,
    p: _Real = 0.5,
    samples: _Int = 8,
    *,
    seed: _Seed = None,
    offset: _Int = 0,
    noise_shape: _NoiseShape | None = None,
    broadcast_dims: _Axes | None = None,
    out: _AnyFloat | None = None,
) -> _AnyFloat: ...

@overload
def dropout_add(
    x: npt.NDArray[_F],
    residual: npt.NDArray[_F],
    p: _Real = 0.5,
    *,
    bias: npt.NDArray[_F] | _F | None = None,
    seed: _Seed = None,
    offset: _Int = 0,
    store: _Store = "bits",
    out: npt.NDArray[_F] | None = None,
) -> tuple[npt.NDArray[_F], Mask]: ...
@overload
def dropout_add(
    x: npt.ArrayLike,
    residual: npt.ArrayLike,
    p: _Real = 0.5,
    *,
    bias: npt.ArrayLike | None = None,
    seed: _Seed = None,
    offset: _Int = 0,
    store: _Store = "bits",
    out: _AnyFloat | None = None,
) -> tuple[_AnyFloat, Mask]: ...
def dropout_add_backward(
    grad: npt.ArrayLike,
    mask: Mask,
    *,
    bias_shape: tuple[SupportsIndex, ...] | None = None,
) -> tuple[_AnyFloat, _AnyFloat | None, _AnyFloat]: ...

class SpatialDropout(Dropout):
    data_format: _DataFormat
    def __init__(
        self,
        p: _Real = 0.5,
        *,
        seed: _Seed = None,
        data_format: _DataFormat = "channels_first",
        name: str | None = None,
    ) -> None: ...

class DropPath(Dropout):
    mode: Literal["row", "batch"]
    scale_by_keep: bool
    def __init__(
        self,
        p: _Real = 0.5,
        *,
        seed: _Seed = None,
        mode: Literal["row", "batch"] = "row",
        scale_by_keep: _Flag = True,
        name: str | None = None,
    ) -> None: ...

class AlphaDropout(Dropout):
    feature: bool
    data_format: _DataFormat
    def __init__(
        self,
        p: _Real = 0.5,
        *,
        seed: _Seed = None,
        feature: _Flag = False,
        data_format: _DataFormat = "channels_first",
        name: str | None = None,
    ) -> None: ...

class DropBlock(Dropout):
    block_size: int
    data_format: _DataFormat
    def __init__(
        self,
        p: _Real = 0.1,
        *,
        block_size: _Int = 7,
        seed: _Seed = None,
        data_format: _DataFormat = "channels_first",
        name: str | None = None,
    ) -> None: ...

# --- Gaussian and variational dropout (SPEC.md section 11) ---

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

# C API for other extensions
__all__ += ["get_include"]

def get_include() -> str: ...

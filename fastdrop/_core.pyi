"""Type stubs for the compiled module fastdrop._core."""

from types import NotImplementedType

import numpy as np
import numpy.typing as npt

__test__: dict[str, str]  # Cython's table of docstrings for doctest
RNG_SPEC: str
SCALE: int
ACCUMULATE: int

def key(seed: int) -> int: ...
def threshold(p: float) -> int: ...
def uniforms(key: int, index: int, out: npt.NDArray[np.uint32]) -> None: ...
def mask_bits(
    key: int, index: int, threshold: int, bits: npt.NDArray[np.uint8], n: int
) -> None: ...
def dropout(
    x: npt.NDArray[np.floating],
    y: npt.NDArray[np.floating],
    bits: npt.NDArray[np.uint8] | None,
    key: int,
    index: int,
    threshold: int,
    scale: float,
    flags: int,
) -> None: ...
def dropout_fast(
    x: object, p: object, seed: object, offset: object, scaling: object, out: object
) -> npt.NDArray[np.floating] | NotImplementedType: ...
def forward_fast(
    x: object, p: object, seed: object, offset: object, scaling: object, out: object
) -> tuple[npt.NDArray[np.floating], npt.NDArray[np.uint8]] | NotImplementedType: ...
def backward_fast(
    grad: object,
    shape: tuple[int, ...],
    p: float,
    scaling: str,
    seed: int,
    offset: int,
    bits: npt.NDArray[np.uint8] | None,
    out: object,
) -> npt.NDArray[np.floating] | NotImplementedType: ...
def apply_bits(
    bits: npt.NDArray[np.uint8],
    x: npt.NDArray[np.floating],
    y: npt.NDArray[np.floating],
    scale: float,
    flags: int,
) -> None: ...
def isa_names() -> list[str]: ...
def isa_supported(isa: int) -> bool: ...
def active_isa() -> int: ...
def best_isa() -> int: ...
def set_isa(isa: int) -> None: ...
def openmp() -> bool: ...
def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...

# noise shapes (src_c/api/fd_noise.c)
def noise_apply(
    bits: npt.NDArray[np.uint8],
    x: npt.NDArray[np.floating],
    y: npt.NDArray[np.floating],
    noise_shape: tuple[int, ...],
    scale: float,
    flags: int,
) -> None: ...
def noise_affine(
    bits: npt.NDArray[np.uint8],
    x: npt.NDArray[np.floating],
    y: npt.NDArray[np.floating],
    noise_shape: tuple[int, ...],
    a: float,
    b: float,
    alpha: float,
) -> None: ...

# normal stream and Gaussian noise (SPEC.md section 11)
NORMAL_SPEC: str

def normals(key: int, index: int, z: npt.NDArray[np.floating]) -> None: ...
def gaussian(
    x: npt.NDArray[np.floating], y: npt.NDArray[np.floating], key: int, index: int, sigma: float
) -> None: ...
def _normal_words(h: npt.NDArray[np.uint64], z: npt.NDArray[np.float64]) -> None: ...
def window_mask_bits(
    key: int,
    index: int,
    threshold: int,
    bits: npt.NDArray[np.uint8],
    shape: tuple[int, ...],
    global_shape: tuple[int, ...],
    global_origin: tuple[int, ...],
) -> None: ...
def window_dropout(
    x: npt.NDArray[np.floating],
    y: npt.NDArray[np.floating],
    bits: npt.NDArray[np.uint8] | None,
    key: int,
    index: int,
    threshold: int,
    scale: float,
    flags: int,
    global_shape: tuple[int, ...],
    global_origin: tuple[int, ...],
) -> None: ...
def block_keep_bits(
    drawn: npt.NDArray[np.uint8],
    keep: npt.NDArray[np.uint8],
    planes: int,
    h: int,
    w: int,
    e: int,
    k: int,
) -> int: ...
def block_keep_bits_stream(
    key: int,
    index: int,
    threshold: int,
    keep: npt.NDArray[np.uint8],
    planes: int,
    h: int,
    w: int,
    e: int,
    k: int,
) -> int: ...
def dropout_add(
    x: npt.NDArray[np.floating],
    residual: npt.NDArray[np.floating],
    bias: npt.NDArray[np.floating] | None,
    y: npt.NDArray[np.floating],
    bits: npt.NDArray[np.uint8] | None,
    key: int,
    index: int,
    threshold: int,
    scale: float,
) -> None: ...

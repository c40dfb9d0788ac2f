"""fastdrop: fast, exact and reproducible dropout for NumPy arrays.

A mask bit is a pure function of (seed, element index): the same seed gives
the same mask and output bits on every kernel, thread count, memory layout
and chunking. See SPEC.md for the stream, named by `RNG_SPEC`.

Contents
--------
- `dropout`, `dropout_forward`, `dropout_backward`: the functions.
- `Mask`: what backward needs; `Generator`: a seed and a running offset,
  with `Generator.spawn` for independent child streams.
- `manual_seed`, `default_generator`: the stream behind ``seed=None``.
- `Dropout`: a layer with train and eval modes.
- `simd_info`, `set_num_threads`, `get_num_threads`: kernels and threads.
- Variants (SPEC.md section 11): `spatial_dropout`, `alpha_dropout`,
  `feature_alpha_dropout`, `alpha_dropout_backward`, `drop_path`, `drop_block`,
  `mc_dropout`, `dropout_add`, `dropout_add_backward`, and the layers `SpatialDropout`, `AlphaDropout`, `DropPath`, `DropBlock`;
  ``noise_shape=`` / ``broadcast_dims=`` in `dropout` and friends.
- `gaussian_dropout` (and `_forward`, `_backward`), `GaussianDropout`,
  `variational_dropout`, `variational_dense` (and their `_backward`),
  `kl_sparse_vd`, `Noise`: Gaussian and variational dropout on the normal
  stream named by `NORMAL_SPEC`.
- ``global_shape=`` / ``global_origin=`` in `dropout`, `dropout_forward` and
  `Mask`: a block of a larger array (SPEC.md section 12); `fastdrop.dask`
  (optional, not imported here) runs dropout on Dask arrays with them.
- `get_include`: the C headers for extensions that call the kernels through
  the capsule ``fastdrop._core._C_API`` (``fastdrop/capi.h``, ``fastdrop/capi.pxd``).
"""

from fastdrop._api import dropout, dropout_backward, dropout_forward
from fastdrop._core import RNG_SPEC
from fastdrop._generator import Generator, default_generator, manual_seed
from fastdrop._info import get_num_threads, set_num_threads, simd_info
from fastdrop._layer import Dropout
from fastdrop._mask import Mask
from fastdrop._version import __version__

# ---- dropout variants (fastdrop/_variants) ----
from fastdrop._variants.alpha import alpha_dropout, alpha_dropout_backward, feature_alpha_dropout
from fastdrop._variants.fused import dropout_add, dropout_add_backward
from fastdrop._variants.layers import AlphaDropout, DropBlock, DropPath, SpatialDropout
from fastdrop._variants.mc import mc_dropout
from fastdrop._variants.spatial import spatial_dropout
from fastdrop._variants.structured import drop_block, drop_path
# ---- end of dropout variants ----

# --- Gaussian and variational dropout (SPEC.md section 11) ---
from fastdrop._gaussian import (
    NORMAL_SPEC,
    GaussianDropout,
    Noise,
    gaussian_dropout,
    gaussian_dropout_backward,
    gaussian_dropout_forward,
    kl_sparse_vd,
    variational_dense,
    variational_dense_backward,
    variational_dropout,
    variational_dropout_backward,
)
# --- end Gaussian and variational dropout ---

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

# C API for other extensions (src_c/include/fastdrop/capi.h)
from fastdrop._capi import get_include  # noqa: E402

__all__ += ["get_include"]

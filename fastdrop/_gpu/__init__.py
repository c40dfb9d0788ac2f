"""fastdrop on the GPU: the public functions on cupy.ndarray arguments.

``import fastdrop`` imports this package but never CuPy. An argument can only
be a CuPy array once CuPy has been imported, so `is_cupy` and `route` look
CuPy up in ``sys.modules`` and import nothing; the CuPy path itself
(`fastdrop._gpu._api`, `_launch`) is imported on the first GPU call.

Layers:

- `route` and `is_cupy`: the hook at the top of each public function;
- `dropout`, `dropout_forward`, `dropout_backward`, `packed_bits`,
  `to_bool`: the public functions' GPU versions (argument checks, layouts,
  noise shapes, the Mask), in `_api`;
- `_variants`: the operations the variants (fastdrop/_variants/) are
  written against, on the GPU (`fastdrop._variants.backend` picks them);
- `_launch`: the kernels, on resolved integers and contiguous CuPy arrays;
- `_geometry` and `_source`: pure Python (launch geometry, vector
  alignment, kernel arguments; the CUDA text and NVRTC options).
"""

from __future__ import annotations

import sys


_MODULES = sys.modules


def is_cupy(a) -> bool:
    """True if a is a cupy.ndarray (without importing CuPy)."""
    cp = _MODULES.get("cupy")
    return cp is not None and isinstance(a, cp.ndarray)


def _describe(a) -> str:
    t = type(a)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


def route(x=None, out=None, grad=None, mask=None) -> bool:
    """True if the call runs on the GPU: some array argument is a cupy.ndarray.

    The public functions pass their array arguments by name; None (an
    omitted out) is ignored, and ``mask`` is a Mask, whose stored bits (if
    any) count. When one argument is a CuPy array, every other one must be
    too: a TypeError names the first that is not (NumPy and CuPy arrays never
    meet in one call). Without CuPy imported this is one dictionary lookup.
    """
    cp = _MODULES.get("cupy")
    if cp is None:
        return False
    values = {"x": x, "grad": grad, "out": out,
              "mask": None if mask is None else getattr(mask, "bits", None)}
    on_gpu = [name for name, a in values.items() if isinstance(a, cp.ndarray)]
    if not on_gpu:
        return False
    for name, a in values.items():
        if a is not None and not isinstance(a, cp.ndarray):
            what = f"bits of type {_describe(a)}" if name == "mask" else _describe(a)
            raise TypeError(
                f"{name} must be a cupy.ndarray like {on_gpu[0]}, got {what}: "
                "NumPy and CuPy arrays cannot be mixed in one call"
            )
    return True


def dropout(*args, **kwargs):
    """`fastdrop.dropout` on CuPy arrays (see `fastdrop._gpu._api.dropout`)."""
    from fastdrop._gpu import _api
    return _api.dropout(*args, **kwargs)


def dropout_forward(*args, **kwargs):
    """`fastdrop.dropout_forward` on CuPy arrays."""
    from fastdrop._gpu import _api
    return _api.dropout_forward(*args, **kwargs)


def dropout_backward(*args, **kwargs):
    """`fastdrop.dropout_backward` on CuPy arrays."""
    from fastdrop._gpu import _api
    return _api.dropout_backward(*args, **kwargs)


def packed_bits(mask):
    """`Mask.packed_bits` of a Mask whose bits are on the GPU."""
    from fastdrop._gpu import _api
    return _api.packed_bits(mask)


def to_bool(mask):
    """`Mask.to_bool` of a Mask whose bits are on the GPU."""
    from fastdrop._gpu import _api
    return _api.to_bool(mask)

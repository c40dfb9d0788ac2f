"""Kernel launches on CuPy arrays with resolved arguments (imports CuPy).

Every function here takes checked values: C-contiguous cupy arrays of one
float dtype on the current device, ints in range (seed, offset, the keep
threshold), the scale and the flags (``_core.SCALE``, ``_core.ACCUMULATE``).
They launch on CuPy's current stream and return at once. The modules are
compiled by NVRTC once per device and kind (dtype, or the mask alone) and
kept; CuPy also keeps the binaries in its on-disk kernel cache.
"""

from __future__ import annotations

import threading

import cupy
import numpy as np

from fastdrop._gpu import _geometry, _source

KIND = {np.dtype(np.float16): "f16", np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}

_lock = threading.Lock()
_modules: dict = {}
_properties: dict = {}


def module(kind: str):
    """The RawModule of one kind for the current device, compiled on first use."""
    key = (cupy.cuda.Device().id, kind)
    mod = _modules.get(key)
    if mod is None:
        with _lock:
            mod = _modules.get(key)
            if mod is None:
                mod = cupy.RawModule(code=_source.cuda_source(),
                                     options=_source.nvrtc_options(kind))
                _modules[key] = mod
    return mod


def device_properties() -> tuple[int, int]:
    """(multiprocessors, max resident threads per multiprocessor) of the current device."""
    dev = cupy.cuda.Device()
    props = _properties.get(dev.id)
    if props is None:
        attrs = dev.attributes
        props = (int(attrs["MultiProcessorCount"]), int(attrs["MaxThreadsPerMultiProcessor"]))
        _properties[dev.id] = props
    return props


def dropout(x, y, bits, seed: int, offset: int, threshold: int, scale: float, flags: int) -> None:
    """y = dropout of x under the generated mask; bits (or None) gets the packed mask.

    y may be x (in place); with ``_core.ACCUMULATE`` kept results are added
    into y. bits: a uint8 array of ceil(n / 8) bytes.
    """
    n = x.size
    if n == 0:
        return
    stream = _source.stream_constants()
    geo = _geometry.stream_geometry(n, offset, *device_properties(), stream)
    flags |= _geometry.vector_flag((x.data.ptr, y.data.ptr), offset, x.itemsize, stream["PARTS"])
    kind = KIND[x.dtype]
    args = _geometry.dropout_args(x, y, bits, seed, offset, n, threshold,
                                  _geometry.scale_scalar(x.dtype, scale), flags, geo.segments)
    module(kind).get_function(f"fd_gpu_dropout_{kind}")((geo.grid,), (geo.block,), args)


def mask_bits(bits, seed: int, offset: int, threshold: int, n: int) -> None:
    """bits = the packed keep bits of n elements from offset."""
    if n == 0:
        return
    geo = _geometry.stream_geometry(n, offset, *device_properties(), _source.stream_constants())
    args = _geometry.mask_args(bits, seed, offset, n, threshold, geo.segments)
    module("mask").get_function("fd_gpu_mask_bits")((geo.grid,), (geo.block,), args)


def apply_bits(bits, x, y, scale: float, flags: int) -> None:
    """y = dropout of x with the keep bits read from the packed mask bits."""
    n = x.size
    if n == 0:
        return
    geo = _geometry.apply_geometry(n, *device_properties())
    flags |= _geometry.vector_flag((x.data.ptr, y.data.ptr), 0, x.itemsize, _geometry.APPLY_RUN)
    kind = KIND[x.dtype]
    args = _geometry.apply_args(bits, x, y, n, _geometry.scale_scalar(x.dtype, scale), flags)
    module(kind).get_function(f"fd_gpu_apply_bits_{kind}")((geo.grid,), (geo.block,), args)


def _axes(shape, nshape):
    """(device array of the collapsed axes, their count): `_geometry.noise_axes`."""
    pairs = _geometry.noise_axes(tuple(shape), tuple(nshape))
    nd = pairs.size // 2
    # a zero-axis shape (one element) reads no axis; the kernel still gets an array
    return cupy.asarray(pairs if nd else np.zeros(2, np.uint64)), nd


def _broadcast_launch(name: str, make_args, x, nshape) -> None:
    """Launches fd_gpu_<name>_<dtype> over x's elements with the arguments
    make_args(n, axes, nd) (nothing for an empty x)."""
    n = x.size
    if n == 0:
        return
    axes, nd = _axes(x.shape, nshape)
    geo = _geometry.element_geometry(n, *device_properties())
    kind = KIND[x.dtype]
    module(kind).get_function(f"fd_gpu_{name}_{kind}")((geo.grid,), (geo.block,),
                                                        make_args(n, axes, nd))


def noise_apply(bits, x, y, nshape, scale: float, flags: int) -> None:
    """y = dropout of x under the packed bits of the noise shape nshape, broadcast over x."""
    s = _geometry.scale_scalar(x.dtype, scale)

    def make_args(n, axes, nd):
        return _geometry.noise_args(bits, x, y, n, axes, nd, s, flags)

    _broadcast_launch("noise_apply", make_args, x, nshape)


def noise_affine(bits, x, y, nshape, a: float, b: float, alpha: float) -> None:
    """y = alpha dropout's affine rule of x under the noise bits (SPEC.md 10.3)."""
    av, bv, alv = (_geometry.scale_scalar(x.dtype, v) for v in (a, b, alpha))

    def make_args(n, axes, nd):
        return _geometry.affine_args(bits, x, y, n, axes, nd, av, bv, alv)

    _broadcast_launch("noise_affine", make_args, x, nshape)


def add(x, bias, t, period: int) -> None:
    """t = x + bias, element k taking bias[k % period], each sum rounded once."""
    n = x.size
    if n == 0:
        return
    geo = _geometry.element_geometry(n, *device_properties())
    kind = KIND[x.dtype]
    args = _geometry.add_args(x, bias, t, n, period)
    module(kind).get_function(f"fd_gpu_add_{kind}")((geo.grid,), (geo.block,), args)


def block_keep(drawn, keep, h: int, w: int, e: int, k: int, n: int) -> int:
    """DropBlock's keep bits of n elements from the drawn centres; returns the kept count."""
    if n == 0:
        return 0
    kept = cupy.zeros(1, dtype=cupy.uint64)
    geo = _geometry.element_geometry(-(-n // 8), *device_properties())
    args = _geometry.block_args(drawn, keep, kept, n, h, w, e, k)
    module("mask").get_function("fd_gpu_block_keep")((geo.grid,), (geo.block,), args)
    return int(kept.get()[0])

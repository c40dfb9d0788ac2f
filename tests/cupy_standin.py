"""A stand-in for CuPy that runs the GPU path's Python code on the host.

``cupy.ndarray`` is a NumPy subclass whose ``device`` is a stand-in device
and whose ``data.ptr`` is its address; the module functions the GPU path
calls are NumPy's (with CuPy's signatures where they differ). The kernel launches of `fastdrop._gpu._launch` are
replaced by the host build of src_c/cuda/kernels.cu (host_emulation.cpp),
with the launch geometry `fastdrop._gpu._geometry` computes for a stand-in
device. So `fastdrop._gpu._api` and `_variants` run unchanged, with their
real kernel arguments, and only CuPy itself and the GPU's arithmetic are
not exercised (tests/test_cupy.py does that on a GPU machine).
"""

from __future__ import annotations

import ctypes
import sys
import types

import numpy as np

from fastdrop._gpu import _geometry, _source

_u64, _uint, _dbl, _ptr, _int = (ctypes.c_uint64, ctypes.c_uint, ctypes.c_double,
                                 ctypes.c_void_p, ctypes.c_int)


class Device:
    """cupy.cuda.Device: a context manager, equal to itself."""

    def __init__(self, id_=0):
        self.id = id_

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


DEVICE = Device(0)


class _Memory:
    def __init__(self, ptr):
        self.ptr = ptr


class ndarray(np.ndarray):
    """cupy.ndarray, held in host memory."""

    @property
    def device(self):
        return DEVICE

    @property
    def data(self):
        return _Memory(self.__array_interface__["data"][0])

    def get(self):
        return np.array(self)


def _wrap(a):
    return np.asarray(a).view(ndarray)


def _may_share_memory(a, b, max_work=None):
    if max_work is not None:  # as CuPy: a bounds check only
        raise NotImplementedError("Only supported for `max_work` is `None`")
    return np.may_share_memory(a, b)


def _module():
    cp = types.ModuleType("cupy")
    cp.ndarray = ndarray
    for name in ("uint8", "uint64", "bool_", "float16", "float32", "float64"):
        setattr(cp, name, getattr(np, name))
    cp.empty = lambda shape, dtype=float: _wrap(np.empty(shape, dtype))
    cp.zeros = lambda shape, dtype=float: _wrap(np.zeros(shape, dtype))
    cp.empty_like = lambda a, dtype=None: _wrap(np.empty_like(np.asarray(a), dtype=dtype))
    cp.asarray = lambda a, dtype=None: _wrap(np.asarray(a, dtype=dtype))
    cp.ascontiguousarray = lambda a: _wrap(np.ascontiguousarray(a))
    cp.broadcast_to = lambda a, shape: _wrap(np.broadcast_to(a, shape))
    cp.arange = lambda *a, **k: _wrap(np.arange(*a, **k))
    cp.may_share_memory = _may_share_memory
    cp.asnumpy = np.asarray
    cp.cuda = types.SimpleNamespace(Device=lambda id_=0: Device(id_))
    return cp


def asdevice(a):
    """A NumPy array's copy as a stand-in CuPy array."""
    return _wrap(np.array(a, copy=True))


class Launcher:
    """`fastdrop._gpu._launch` on the host emulation, for a device of sm_count
    multiprocessors of max_threads resident threads each."""

    def __init__(self, lib, sm_count=2, max_threads=256):
        self.lib = lib
        self.props = (sm_count, max_threads)
        lib.fd_emu_noise_apply.argtypes = [_int, _ptr, _ptr, _ptr, _u64, _ptr, _uint, _dbl,
                                           _uint, _uint, _uint]
        lib.fd_emu_noise_affine.argtypes = [_int, _ptr, _ptr, _ptr, _u64, _ptr, _uint, _dbl,
                                            _dbl, _dbl, _uint, _uint]
        lib.fd_emu_add.argtypes = [_int, _ptr, _ptr, _ptr, _u64, _u64, _uint, _uint]
        lib.fd_emu_block_keep.argtypes = [_ptr, _ptr, _ptr, _u64, _u64, _u64, _u64, _u64,
                                          _uint, _uint]

    @staticmethod
    def _check(rc):
        assert rc == 0, f"emulated launch failed with {rc}"

    @staticmethod
    def _p(a):
        return None if a is None else a.ctypes.data

    def dropout(self, x, y, bits, seed, offset, threshold, scale, flags):
        n = x.size
        if n == 0:
            return
        stream = _source.stream_constants()
        geo = _geometry.stream_geometry(n, offset, *self.props, stream)
        flags |= _geometry.vector_flag((x.data.ptr, y.data.ptr), offset, x.itemsize,
                                       stream["PARTS"])
        self._check(self.lib.fd_emu_dropout(x.itemsize, self._p(x), self._p(y), self._p(bits),
                                            seed, offset, n, threshold, float(scale), flags,
                                            geo.segments, geo.grid, geo.block))

    def mask_bits(self, bits, seed, offset, threshold, n):
        if n == 0:
            return
        geo = _geometry.stream_geometry(n, offset, *self.props, _source.stream_constants())
        self._check(self.lib.fd_emu_mask_bits(self._p(bits), seed, offset, n, threshold,
                                              geo.segments, geo.grid, geo.block))

    def apply_bits(self, bits, x, y, scale, flags):
        n = x.size
        if n == 0:
            return
        geo = _geometry.apply_geometry(n, *self.props)
        flags |= _geometry.vector_flag((x.data.ptr, y.data.ptr), 0, x.itemsize,
                                       _geometry.APPLY_RUN)
        self._check(self.lib.fd_emu_apply_bits(x.itemsize, self._p(bits), self._p(x),
                                               self._p(y), n, float(scale), flags, geo.grid,
                                               geo.block))

    def _axes(self, shape, nshape):
        pairs = _geometry.noise_axes(tuple(shape), tuple(nshape))
        return (pairs if pairs.size else np.zeros(2, np.uint64)), pairs.size // 2

    def noise_apply(self, bits, x, y, nshape, scale, flags):
        n = x.size
        if n == 0:
            return
        axes, nd = self._axes(x.shape, nshape)
        geo = _geometry.element_geometry(n, *self.props)
        self._check(self.lib.fd_emu_noise_apply(x.itemsize, self._p(bits), self._p(x),
                                                self._p(y), n, axes.ctypes.data, nd,
                                                float(scale), flags, geo.grid, geo.block))

    def noise_affine(self, bits, x, y, nshape, a, b, alpha):
        n = x.size
        if n == 0:
            return
        axes, nd = self._axes(x.shape, nshape)
        geo = _geometry.element_geometry(n, *self.props)
        self._check(self.lib.fd_emu_noise_affine(x.itemsize, self._p(bits), self._p(x),
                                                 self._p(y), n, axes.ctypes.data, nd,
                                                 float(a), float(b), float(alpha), geo.grid,
                                                 geo.block))

    def add(self, x, bias, t, period):
        n = x.size
        if n == 0:
            return
        geo = _geometry.element_geometry(n, *self.props)
        self._check(self.lib.fd_emu_add(x.itemsize, self._p(x), self._p(bias), self._p(t), n,
                                        period, geo.grid, geo.block))

    def block_keep(self, drawn, keep, h, w, e, k, n):
        if n == 0:
            return 0
        kept = np.zeros(1, np.uint64)
        geo = _geometry.element_geometry(-(-n // 8), *self.props)
        self._check(self.lib.fd_emu_block_keep(self._p(drawn), self._p(keep), kept.ctypes.data,
                                               n, h, w, e, k, geo.grid, geo.block))
        return int(kept[0])


LAUNCHES = ("dropout", "mask_bits", "apply_bits", "noise_apply", "noise_affine", "add",
            "block_keep")


def install(monkeypatch, launcher):
    """Puts the stand-in CuPy in sys.modules and the GPU path's modules on it, with
    their launches on `launcher`; monkeypatch undoes it all. Returns the module."""
    import fastdrop._gpu as gpu

    cp = _module()
    monkeypatch.setitem(sys.modules, "cupy", cp)
    for name in ("_api", "_launch", "_variants"):
        # set first, so that undoing restores what was there or removes the
        # modules imported on the stand-in
        key = f"fastdrop._gpu.{name}"
        monkeypatch.setitem(sys.modules, key, sys.modules.get(key))
        monkeypatch.delitem(sys.modules, key)
        monkeypatch.setattr(gpu, name, getattr(gpu, name, None), raising=False)
        monkeypatch.delattr(gpu, name)
    from fastdrop._gpu import _api, _launch, _variants  # noqa: F401  (imported on the stand-in)

    for name in LAUNCHES:
        monkeypatch.setattr(_launch, name, getattr(launcher, name))
    return cp

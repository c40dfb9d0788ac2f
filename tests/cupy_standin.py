"""A stand-in for CuPy that runs the GPU path's Python code on the host.

``cupy.ndarray`` is a NumPy subclass whose ``device`` is a stand-in device
and whose ``data.ptr`` is its address; the module functions the GPU path
calls are NumPy's (with CuPy's signatures where they differ), and
``cupy.RawModule`` gives kernels that run in the host build of
src_c/cuda/kernels.cu (host_emulation.cpp). So `fastdrop._gpu._api`,
`_variants` and `_launch` run unchanged, with their real kernel arguments
and launch geometry; only CuPy itself and the GPU's arithmetic are not
exercised (the device run of tests/test_cuda_variants.py and
tests/test_cupy.py do that on a GPU machine).
"""

from __future__ import annotations

import ctypes
import sys
import types

import numpy as np

_u64, _uint, _dbl, _ptr, _int = (ctypes.c_uint64, ctypes.c_uint, ctypes.c_double,
                                 ctypes.c_void_p, ctypes.c_int)




_current = {"device": None}  # the stand-in device of the installed module


class _Memory:
    def __init__(self, ptr):
        self.ptr = ptr


class ndarray(np.ndarray):
    """cupy.ndarray, held in host memory."""

    @property
    def device(self):
        return _current["device"]

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


def _module(device, kernels):
    cp = types.ModuleType("cupy")
    cp.kernels = kernels
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
    cp.cuda = types.SimpleNamespace(Device=lambda id_=0: device)
    cp.RawModule = lambda code, options=(): kernels
    return cp


def asdevice(a):
    """A NumPy array's copy as a stand-in CuPy array."""
    return _wrap(np.array(a, copy=True))


_ITEMSIZE = {"f16": 2, "f32": 4, "f64": 8}


class Device:
    """cupy.cuda.Device: a context manager, equal to itself, with the attributes
    `fastdrop._gpu._launch` reads."""

    def __init__(self, id_=0, sm_count=2, max_threads=256):
        self.id = id_
        self.attributes = {"MultiProcessorCount": sm_count,
                           "MaxThreadsPerMultiProcessor": max_threads}

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


class Kernels:
    """cupy.RawModule over the host emulation: get_function(name) launches
    fd_emu_<kernel> of host_emulation.cpp with the kernel's own arguments, as
    `fastdrop._gpu._launch` passes them (arrays by address, NULL as 0), and
    the item size first for the per-dtype kernels."""

    def __init__(self, lib):
        self.lib = lib
        lib.fd_emu_noise_apply.argtypes = [_int, _ptr, _ptr, _ptr, _u64, _ptr, _uint, _dbl,
                                           _uint, _uint, _uint]
        lib.fd_emu_noise_affine.argtypes = [_int, _ptr, _ptr, _ptr, _u64, _ptr, _uint, _dbl,
                                            _dbl, _dbl, _uint, _uint]
        lib.fd_emu_add.argtypes = [_int, _ptr, _ptr, _ptr, _u64, _u64, _uint, _uint]
        lib.fd_emu_block_keep.argtypes = [_ptr, _ptr, _ptr, _u64, _u64, _u64, _u64, _u64,
                                          _uint, _uint]
        self.launches: list[str] = []

    def get_function(self, name):
        base, _, sfx = name.rpartition("_")
        if sfx in _ITEMSIZE:
            entry, lead = base.replace("fd_gpu_", "fd_emu_", 1), [_ITEMSIZE[sfx]]
        else:
            entry, lead = name.replace("fd_gpu_", "fd_emu_", 1), []
        fn = getattr(self.lib, entry)

        def launch(grid, block, args):
            values = [a.data.ptr if isinstance(a, ndarray) else a.item()
                      if isinstance(a, np.generic) else a for a in args]
            self.launches.append(name)
            rc = fn(*lead, *values, grid[0], block[0])
            assert rc == 0, f"emulated launch of {name} failed with {rc}"

        return launch


def install(monkeypatch, lib, sm_count=2, max_threads=256):
    """Puts the stand-in CuPy in sys.modules, its device of sm_count
    multiprocessors of max_threads resident threads, and the GPU path's
    modules imported afresh on it, their kernels run by the host emulation
    lib; monkeypatch undoes it all. Returns the stand-in module; its
    ``kernels.launches`` lists the kernels launched."""
    import fastdrop._gpu as gpu

    device = Device(0, sm_count, max_threads)
    kernels = Kernels(lib)
    cp = _module(device, kernels)
    monkeypatch.setitem(sys.modules, "cupy", cp)
    monkeypatch.setitem(_current, "device", device)
    for name in ("_api", "_launch", "_variants"):
        # set first, so that undoing restores what was there or removes the
        # modules imported on the stand-in
        key = f"fastdrop._gpu.{name}"
        monkeypatch.setitem(sys.modules, key, sys.modules.get(key))
        monkeypatch.delitem(sys.modules, key)
        monkeypatch.setattr(gpu, name, getattr(gpu, name, None), raising=False)
        monkeypatch.delattr(gpu, name)
    from fastdrop._gpu import _api, _variants  # noqa: F401  (imported on the stand-in)

    return cp

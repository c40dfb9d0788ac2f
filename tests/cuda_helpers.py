"""Shared pieces of the CUDA tests: the host build of kernels.cu and its launchers."""

import ctypes
import shutil
import subprocess

import numpy as np
import pytest

from conftest import ROOT
from fastdrop import _core
from fastdrop._gpu import _geometry, _source

CUDA_DIR = ROOT / "src_c" / "cuda"
INCLUDE_DIR = ROOT / "src_c" / "include"
EMULATION_FLAGS = ["-std=c++17", "-O2", "-ffp-contract=off", "-fPIC", "-shared", "-Wall",
                   "-Wextra", "-Werror", "-DFD_GPU_ALL", f"-I{INCLUDE_DIR}"]

_u64, _uint, _dbl, _ptr = ctypes.c_uint64, ctypes.c_uint, ctypes.c_double, ctypes.c_void_p


def tool_env():
    """The environment for compilers run by the tests: without LD_PRELOAD, which
    the sanitizer run (.ci/sanitize) sets and under which nvcc crashes."""
    import os

    return {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}


def build_emulation(out_dir):
    """Compiles src_c/cuda/host_emulation.cpp with g++; returns the loaded library."""
    gxx = shutil.which("g++")
    if gxx is None:
        pytest.skip("g++ is not on the PATH: the host build of the CUDA kernels needs it")
    lib_path = out_dir / "fd_cuda_emulation.so"
    proc = subprocess.run([gxx, *EMULATION_FLAGS, str(CUDA_DIR / "host_emulation.cpp"),
                           "-o", str(lib_path)], capture_output=True, text=True,
                          env=tool_env())
    assert proc.returncode == 0, proc.stderr
    lib = ctypes.CDLL(str(lib_path))
    lib.fd_emu_dropout.argtypes = [ctypes.c_int, _ptr, _ptr, _ptr, _u64, _u64, _u64, _u64,
                                   _dbl, _uint, _uint, _uint, _uint]
    lib.fd_emu_mask_bits.argtypes = [_ptr, _u64, _u64, _u64, _u64, _uint, _uint, _uint]
    lib.fd_emu_apply_bits.argtypes = [ctypes.c_int, _ptr, _ptr, _ptr, _u64, _dbl, _uint,
                                      _uint, _uint]
    return lib


def _ptr_of(a):
    return None if a is None else a.ctypes.data


class Emulator:
    """Runs the kernels as the GPU path launches them, under a chosen geometry.

    Arguments are the resolved ones fastdrop/_gpu/_launch.py passes; the
    vector flag comes from the same `_geometry.vector_flag`.
    """

    def __init__(self, lib):
        self.lib = lib
        self.parts = _source.stream_constants()["PARTS"]

    def dropout(self, x, y, bits, seed, offset, p, scale, flags, grid, block, segments):
        if x.size == 0:
            return
        flags |= _geometry.vector_flag((x.ctypes.data, y.ctypes.data), offset, x.itemsize,
                                       self.parts)
        rc = self.lib.fd_emu_dropout(x.itemsize, _ptr_of(x), _ptr_of(y), _ptr_of(bits), seed,
                                     offset, x.size, _core.threshold(p), scale, flags, segments,
                                     grid, block)
        assert rc == 0, f"emulated launch failed with {rc}"

    def mask_bits(self, bits, seed, offset, p, n, grid, block, segments):
        rc = self.lib.fd_emu_mask_bits(bits.ctypes.data, seed, offset, n, _core.threshold(p),
                                       segments, grid, block)
        assert rc == 0, f"emulated launch failed with {rc}"

    def apply_bits(self, bits, x, y, scale, flags, grid, block):
        if x.size == 0:
            return
        flags |= _geometry.vector_flag((x.ctypes.data, y.ctypes.data), 0, x.itemsize,
                                       _geometry.APPLY_RUN)
        rc = self.lib.fd_emu_apply_bits(x.itemsize, bits.ctypes.data, x.ctypes.data,
                                        y.ctypes.data, x.size, scale, flags, grid, block)
        assert rc == 0, f"emulated launch failed with {rc}"


def same_bits(a, b):
    """True if a and b hold the same bytes (NaN payloads, signed zeros included)."""
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def find_nvrtc():
    """Path of libnvrtc (FASTDROP_NVRTC, the library path, or NVIDIA's pip wheels), or None."""
    import ctypes.util
    import os
    import site
    from pathlib import Path

    if os.environ.get("FASTDROP_NVRTC"):
        return os.environ["FASTDROP_NVRTC"]
    found = ctypes.util.find_library("nvrtc")
    if found:
        return found
    for base in site.getsitepackages():
        for pattern in ("nvidia/cu13/lib/libnvrtc.so.*", "nvidia/cuda_nvrtc/lib/libnvrtc.so.*"):
            hits = sorted(p for p in Path(base).glob(pattern) if "alt" not in p.name)
            if hits:
                return str(hits[-1])
    return None


def nvrtc_compile(lib_path, source, options, name="fastdrop_gpu.cu"):
    """Compiles source with NVRTC as CuPy does; returns (ok, log, cubin bytes)."""
    from pathlib import Path

    # NVRTC opens its builtins library by name: load the one beside it first.
    for builtins in sorted(Path(lib_path).parent.glob("libnvrtc-builtins.so.*")):
        if "alt" not in builtins.name:
            ctypes.CDLL(str(builtins), mode=ctypes.RTLD_GLOBAL)
    lib = ctypes.CDLL(lib_path)
    prog = ctypes.c_void_p()
    rc = lib.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), name.encode(), 0, None, None)
    assert rc == 0, f"nvrtcCreateProgram returned {rc}"
    try:
        opts = (ctypes.c_char_p * len(options))(*[o.encode() for o in options])
        rc = lib.nvrtcCompileProgram(prog, len(options), opts)
        size = ctypes.c_size_t()
        lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
        log = ctypes.create_string_buffer(size.value)
        lib.nvrtcGetProgramLog(prog, log)
        cubin = b""
        if rc == 0:
            lib.nvrtcGetCUBINSize(prog, ctypes.byref(size))
            buf = ctypes.create_string_buffer(size.value)
            lib.nvrtcGetCUBIN(prog, buf)
            cubin = buf.raw
        return rc == 0, log.value.decode(errors="replace"), cubin
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(prog))

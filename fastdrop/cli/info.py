"""``fastdrop info``: what this install runs: version, stream, CPU, kernels, threads, GPU."""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import re

import numpy as np

import fastdrop
from fastdrop import _core

#: The CPU flags (as Linux's /proc/cpuinfo names them) that decide the kernels.
CPU_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512dq")


def cpu() -> dict:
    """The CPU's model name and the kernel-relevant flags it reports (Linux; else empty)."""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
    except OSError:
        return {"model": platform.processor() or platform.machine(), "flags": []}
    model = re.search(r"^model name\s*:\s*(.+)$", text, flags=re.M)
    flags = re.search(r"^flags\s*:\s*(.+)$", text, flags=re.M)
    have = set(flags.group(1).split()) if flags else set()
    return {"model": model.group(1).strip() if model else platform.machine(),
            "flags": [f for f in CPU_FLAGS if f in have]}


def openmp_runtime() -> str | None:
    """The OpenMP library loaded in this process (its file name), or None.

    threadpoolctl names it when installed; otherwise the process's memory
    map is read (Linux).
    """
    if importlib.util.find_spec("threadpoolctl") is not None:
        from threadpoolctl import threadpool_info  # type: ignore[import-untyped]

        for lib in threadpool_info():
            if lib.get("user_api") == "openmp":
                return os.path.basename(lib["filepath"])
    try:
        with open("/proc/self/maps") as f:
            maps = f.read()
    except OSError:
        return None
    found = re.search(r"/(lib(?:gomp|iomp5|omp)[^/\s]*\.so[^/\s]*)$", maps, flags=re.M)
    return found.group(1) if found else None


def gpu() -> dict:
    """Whether CuPy is installed and sees a CUDA device (CuPy is imported only if installed)."""
    if importlib.util.find_spec("cupy") is None:
        return {"cupy": None, "devices": 0, "usable": False,
                "why": "CuPy is not installed (pip install cupy-cuda12x or cupy-cuda13x)"}
    try:
        import cupy  # type: ignore[import-not-found]
    except Exception as err:  # installed but broken (a missing CUDA library, say)
        return {"cupy": None, "devices": 0, "usable": False, "why": f"import cupy failed: {err}"}
    try:
        count = cupy.cuda.runtime.getDeviceCount()
        names = [cupy.cuda.runtime.getDeviceProperties(i)["name"].decode() for i in range(count)]
    except Exception as err:  # no driver or no device: CuPy raises its own runtime errors
        return {"cupy": cupy.__version__, "devices": 0, "usable": False, "why": str(err)}
    return {"cupy": cupy.__version__, "devices": count, "names": names, "usable": count > 0,
            "why": "" if count else "no CUDA device"}


def collect() -> dict:
    """Everything ``fastdrop info`` prints, as a dict (``--json`` writes it)."""
    simd = fastdrop.simd_info()
    return {
        "fastdrop": fastdrop.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "rng_spec": fastdrop.RNG_SPEC,
        "cpu": cpu(),
        "kernel": simd["active"],
        "kernels_available": simd["available"],
        "kernels_known": simd["known"],
        "threads": fastdrop.get_num_threads(),
        "cpus": os.cpu_count(),
        "openmp": bool(_core.openmp()),
        "openmp_runtime": openmp_runtime() if _core.openmp() else None,
        "gpu": gpu(),
    }


def lines(info: dict) -> list[str]:
    """The human-readable form of `collect`'s dict."""
    if info["openmp"]:
        omp = f"OpenMP, runtime {info['openmp_runtime'] or 'not loaded yet'}"
    else:
        omp = "built without OpenMP: every call runs on one thread"
    g = info["gpu"]
    if g["usable"]:
        gpu_line = f"CuPy {g['cupy']}, {g['devices']} device(s): {', '.join(g['names'])}"
    else:
        gpu_line = f"not usable ({g['why']})"
    return [
        f"fastdrop {info['fastdrop']} (numpy {info['numpy']}, Python {info['python']})",
        f"RNG spec:  {info['rng_spec']}",
        f"CPU:       {info['cpu']['model']}; flags: {' '.join(info['cpu']['flags']) or 'none of note'}",
        f"kernel:    {info['kernel']} (available: {', '.join(info['kernels_available'])}; "
        f"known: {', '.join(info['kernels_known'])})",
        f"threads:   {info['threads']} of {info['cpus']} CPUs ({omp})",
        f"GPU:       {gpu_line}",
    ]


def run(args=None) -> int:
    """Print `lines` (or, with ``--json FILE``, also write the dict there)."""
    info = collect()
    for line in lines(info):
        print(line)
    path = getattr(args, "json", None)
    if path:
        with open(path, "w") as f:
            json.dump(info, f, indent=2)
    return 0

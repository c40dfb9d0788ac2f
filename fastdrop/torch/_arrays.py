"""Tensors seen as NumPy or CuPy arrays without copying, and the dtypes they may have."""

from __future__ import annotations


import numpy as np
import torch


FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
_NAMES = "float16, bfloat16, float32 or float64"


def check_tensor(t, name: str = "input") -> torch.Tensor:
    """t if it is a floating-point torch.Tensor fastdrop computes on, else TypeError naming name."""
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.dtype not in FLOATS:
        raise TypeError(f"{name} must have dtype {_NAMES}, got {t.dtype}")
    return t


_FOUND: dict[str, object] = {}  # what bfloat16_dtype found, once


def bfloat16_dtype() -> np.dtype | None:
    """ml_dtypes.bfloat16 as a NumPy dtype, or None when ml_dtypes is not installed."""
    if "bfloat16" not in _FOUND:
        try:
            import ml_dtypes
        except ImportError:
            _FOUND["bfloat16"] = None
        else:
            _FOUND["bfloat16"] = np.dtype(ml_dtypes.bfloat16)
    return _FOUND["bfloat16"]  # type: ignore[return-value]


def _refuse_bfloat16() -> None:
    if bfloat16_dtype() is None:
        raise TypeError("input has dtype torch.bfloat16, which needs ml_dtypes to be seen by "
                        "NumPy: pip install 'fastdropout[torch]'")


def host(t: torch.Tensor) -> np.ndarray:
    """A NumPy view of CPU tensor t's memory, strides included (no copy).

    bfloat16 is viewed through int16 as ``ml_dtypes.bfloat16``, which NumPy
    does not know natively; a TypeError says so if ml_dtypes is missing.
    """
    if t.requires_grad:
        t = t.detach()
    if t.dtype is torch.bfloat16:
        _refuse_bfloat16()
        dt = bfloat16_dtype()
        assert dt is not None  # _refuse_bfloat16 raised otherwise
        return t.view(torch.int16).numpy().view(dt)
    return t.numpy()


_NUMPY: dict[torch.dtype, np.dtype] = {torch.float16: np.dtype(np.float16), torch.float32: np.dtype(np.float32),
          torch.float64: np.dtype(np.float64)}


def new_host(shape, dtype: torch.dtype) -> tuple[torch.Tensor, np.ndarray]:
    """A new contiguous CPU tensor and the NumPy view of it (allocated by NumPy, which
    costs less per call than torch.empty)."""
    np_dtype = _NUMPY.get(dtype)
    if np_dtype is None:  # bfloat16
        t = torch.from_numpy(np.empty(shape, np.int16)).view(torch.bfloat16)
        return t, host(t)
    a = np.empty(shape, np_dtype)
    return torch.from_numpy(a), a


def cupy_module():
    """CuPy, imported, or a TypeError saying what a CUDA tensor needs."""
    try:
        import cupy
    except ImportError:
        raise TypeError("input is a CUDA tensor: fastdrop's GPU path needs CuPy "
                        "(pip install 'fastdropout[cuda12]' or '[cuda13]'), or pass input.cpu()"
                        ) from None
    return cupy


def device(t: torch.Tensor, name: str = "input") -> str:
    """"cpu" or "cuda", else a TypeError naming the argument and its device."""
    if t.is_cpu:
        return "cpu"
    if t.is_cuda:
        return "cuda"
    raise TypeError(f"{name} is on device {t.device}: fastdrop runs on CPU tensors, and on "
                        f"CUDA tensors through CuPy")


def gpu(t: torch.Tensor):
    """A CuPy view of CUDA tensor t (DLPack, no copy); CuPy has no bfloat16."""
    if t.dtype is torch.bfloat16:
        raise TypeError("input has dtype torch.bfloat16, which fastdrop's GPU path (CuPy) does "
                        "not support; pass input.float()")
    return cupy_module().from_dlpack(t.detach())


class on_torch_stream:
    """Context: CuPy works on t's device and on torch's current CUDA stream there,
    so fastdrop's kernels are ordered with torch's work on the same tensors."""

    def __init__(self, t: torch.Tensor):
        self._t = t
        self._contexts: list = []

    def __enter__(self):
        cupy = cupy_module()
        index = self._t.device.index if self._t.device.index is not None else 0
        stream = torch.cuda.current_stream(index)
        self._contexts = [cupy.cuda.Device(index),
                          cupy.cuda.ExternalStream(stream.cuda_stream, index)]
        for c in self._contexts:
            c.__enter__()
        return self

    def __exit__(self, *exc):
        for c in reversed(self._contexts):
            c.__exit__(*exc)
        return False


def from_gpu(a) -> torch.Tensor:
    """A torch view of CuPy array a (DLPack, no copy)."""
    return torch.from_dlpack(a)

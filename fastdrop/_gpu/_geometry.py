"""Launch geometry, vector alignment and kernel arguments (pure Python, no CuPy).

None of this changes a single output bit: the kernels give every element the
stream's random number whatever the geometry (src_c/cuda/kernels.cu); the
geometry only decides how much of the device a call keeps busy.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

LANES = 8            # threads per work item, one per generator lane (rng.h: FD_LANES)
THREADS = 256        # threads per CUDA block
WAVES = 2            # grid-stride loops are sized to this many waves of resident blocks
MAX_SEGMENTS = 16    # work items per stream block at most
VEC_FLAG = 0x200     # kernels.cu: FD_GPU_VEC
APPLY_RUN = 8        # elements per work item of the stored-mask kernels


class Geometry(NamedTuple):
    grid: int
    block: int
    segments: int  # work items per stream block (generated-mask kernels), else 1


def stream_blocks(n: int, offset: int, block: int) -> int:
    """How many stream blocks elements offset .. offset + n - 1 touch (n > 0)."""
    return (offset + n - 1) // block - offset // block + 1


def _grid(threads_needed: int, sm_count: int, max_threads_per_sm: int) -> int:
    resident = sm_count * max(1, max_threads_per_sm // THREADS)
    return max(1, min(-(-threads_needed // THREADS), resident * WAVES))


def stream_geometry(n: int, offset: int, sm_count: int, max_threads_per_sm: int,
                    stream: dict) -> Geometry:
    """Geometry of a generated-mask kernel over n > 0 elements from offset.

    A stream block is split into more segments (work items of fewer steps)
    only while the call has too few blocks to fill the device twice over:
    each segment costs its lanes' seeding and the steps before it.
    """
    blocks = stream_blocks(n, offset, stream["BLOCK"])
    full = 2 * sm_count * max_threads_per_sm
    segments = 1
    while segments < min(MAX_SEGMENTS, stream["STEPS"]) and blocks * segments * LANES < full:
        segments *= 2
    return Geometry(_grid(blocks * segments * LANES, sm_count, max_threads_per_sm),
                    THREADS, segments)


def apply_geometry(n: int, sm_count: int, max_threads_per_sm: int) -> Geometry:
    """Geometry of a stored-mask kernel over n > 0 elements (eight per work item)."""
    return Geometry(_grid(-(-n // APPLY_RUN), sm_count, max_threads_per_sm), THREADS, 1)


def element_geometry(n: int, sm_count: int, max_threads_per_sm: int) -> Geometry:
    """Geometry of an element-per-thread kernel (broadcast masks, the bias add,
    DropBlock's mask) over n > 0 work items."""
    return Geometry(_grid(n, sm_count, max_threads_per_sm), THREADS, 1)


def noise_axes(shape: tuple[int, ...], nshape: tuple[int, ...]) -> np.ndarray:
    """x's shape collapsed for the broadcast-mask kernels, as uint64 (length,
    noise stride) pairs, outermost first.

    nshape is a noise shape of shape (SPEC.md 10.1: same number of axes, each
    1 or x's length). Axes of length 1 in x are left out, and neighbouring
    axes that are both broadcast (noise length 1) or both not are merged, so
    the kernels divide by as few lengths as the pattern allows. The noise
    stride of an axis is 0 where the mask is broadcast, else the product of
    the noise lengths after it: element k of x in C order takes noise element
    sum((k div inner_d) mod length_d * stride_d).
    """
    if len(shape) != len(nshape):
        raise ValueError(f"noise shape {nshape} has not the {len(shape)} axes of {shape}")
    groups: list[list[int]] = []  # [length, noise stride, broadcast]
    inner = 1  # noise elements after the axis
    for n, m in zip(reversed(shape), reversed(nshape)):
        if m not in (1, n):
            raise ValueError(f"noise shape {nshape} does not broadcast to {shape}")
        if n == 1:
            continue
        broadcast = m == 1
        if groups and groups[-1][2] == broadcast:
            groups[-1][0] *= n
        else:
            groups.append([n, 0 if broadcast else inner, broadcast])
        inner *= m
    pairs = [(length, stride) for length, stride, _ in reversed(groups)]
    return np.array(pairs, dtype=np.uint64).reshape(-1)


def vector_flag(pointers, offset: int, itemsize: int, run: int) -> int:
    """VEC_FLAG if every array is aligned for the kernels' vector accesses, else 0.

    The kernels access runs of `run` elements that start at stream elements
    that are multiples of `run`; call element k is stream element offset + k.
    Each access is the smaller of 16 bytes and the run's bytes, so an array
    qualifies when its address of stream element 0 (``ptr - offset *
    itemsize``) is a multiple of that.
    """
    align = min(16, run * itemsize)
    ok = all((ptr - offset * itemsize) % align == 0 for ptr in pointers)
    return VEC_FLAG if ok else 0


def scale_scalar(dtype: np.dtype, scale: float):
    """The kernel's scale argument: float32 for float16 and float32 data, else float64."""
    return np.float64(scale) if np.dtype(dtype) == np.float64 else np.float32(scale)


def dropout_args(x, y, bits, seed: int, offset: int, n: int, threshold: int, scale, flags: int,
                 segments: int) -> tuple:
    """Arguments of fd_gpu_dropout_<dtype>, in order (bits None is the NULL pointer)."""
    return (x, y, _pointer(bits), np.uint64(seed), np.uint64(offset), np.uint64(n),
            np.uint64(threshold), scale, np.uint32(flags), np.uint32(segments))


def mask_args(bits, seed: int, offset: int, n: int, threshold: int, segments: int) -> tuple:
    """Arguments of fd_gpu_mask_bits, in order."""
    return (bits, np.uint64(seed), np.uint64(offset), np.uint64(n), np.uint64(threshold),
            np.uint32(segments))


def apply_args(bits, x, y, n: int, scale, flags: int) -> tuple:
    """Arguments of fd_gpu_apply_bits_<dtype>, in order."""
    return (bits, x, y, np.uint64(n), scale, np.uint32(flags))


def _pointer(a):
    """An array argument, or a 64-bit zero (the NULL pointer) for None."""
    return np.uint64(0) if a is None else a


def noise_args(bits, x, y, n: int, axes, nd: int, scale, flags: int) -> tuple:
    """Arguments of fd_gpu_noise_apply_<dtype>, in order."""
    return (bits, x, y, np.uint64(n), axes, np.uint32(nd), scale, np.uint32(flags))


def affine_args(bits, x, y, n: int, axes, nd: int, a, b, alpha) -> tuple:
    """Arguments of fd_gpu_noise_affine_<dtype>, in order (a, b, alpha as scale_scalar)."""
    return (bits, x, y, np.uint64(n), axes, np.uint32(nd), a, b, alpha)


def add_args(x, bias, t, n: int, period: int) -> tuple:
    """Arguments of fd_gpu_add_<dtype>, in order."""
    return (x, bias, t, np.uint64(n), np.uint64(period))


def block_args(drawn, keep, kept, n: int, h: int, w: int, e: int, k: int) -> tuple:
    """Arguments of fd_gpu_block_keep, in order."""
    return (drawn, keep, kept, np.uint64(n), np.uint64(h), np.uint64(w), np.uint64(e),
            np.uint64(k))

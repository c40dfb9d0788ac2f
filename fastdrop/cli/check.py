"""``fastdrop check``: every kernel this machine runs against the pure-NumPy reference."""

from __future__ import annotations

import numpy as np

import fastdrop
from fastdrop import _core, _reference, _reference_gaussian

DTYPES: tuple[type[np.floating], ...] = (np.float16, np.float32, np.float64)
PS = (0.0, 2.0**-32, 0.1, 0.5, 1.0 - 2.0**-32, 1.0)
#: (elements, offset): empty, a tail, a block edge, several blocks far into the stream.
SHAPES = ((0, 0), (17, 5), (2049, 2047), (10_000, 2**40 + 3))
SEED = 2026
#: The normal stream's dtypes (SPEC.md section 11) and Gaussian dropout's rate.
NORMAL_DTYPES: tuple[type[np.floating], ...] = (np.float32, np.float64)
GAUSSIAN_P = 0.5


def self_check() -> tuple[int, list[str]]:
    """self_check()

    Compare every kernel this machine runs with the pure-NumPy reference.

    For each kernel, dtype, p and size: the forward output, the packed mask
    bits and the gradient from those bits must equal the reference's bytes;
    and for each kernel, float32 and float64 and size: the normal variates
    of the stream and `fastdrop.gaussian_dropout`'s output.

    Returns
    -------
    cases : int
        The number of cases run.
    failures : list of str
        A description of each failing case (empty when all agree).
    """
    cases, failures = 0, []
    active = _core.active_isa()
    kernels = [i for i in range(len(_core.isa_names())) if _core.isa_supported(i)]
    try:
        for isa in kernels:
            _core.set_isa(isa)
            for dtype in DTYPES:
                for p in PS:
                    for n, offset in SHAPES:
                        cases += 1
                        if not _agrees(np.linspace(-4, 4, n).astype(dtype), p, offset):
                            failures.append(f"{_core.isa_names()[isa]} {np.dtype(dtype).name} "
                                            f"p={p!r} n={n} offset={offset}")
            for dtype in NORMAL_DTYPES:
                for n, offset in SHAPES:
                    cases += 1
                    if not _normals_agree(np.linspace(-4, 4, n).astype(dtype), offset):
                        failures.append(f"{_core.isa_names()[isa]} {np.dtype(dtype).name} "
                                        f"normals and gaussian_dropout n={n} offset={offset}")
    finally:
        _core.set_isa(active)
    return cases, failures


def _agrees(x: np.ndarray, p: float, offset: int) -> bool:
    y, mask = fastdrop.dropout_forward(x, p, seed=SEED, offset=offset)
    expected = _reference.dropout(x, p, seed=SEED, offset=offset)
    keep = _reference.keep_mask(SEED, offset, p, x.size)
    grad = fastdrop.dropout_backward(x, mask)
    return (y.tobytes() == expected.tobytes()
            and mask.packed_bits().tobytes() == _reference.packed_bits(keep).tobytes()
            and grad.tobytes() == expected.tobytes())


def _normals_agree(x: np.ndarray, offset: int) -> bool:
    z = np.empty(x.size, x.dtype)
    if x.size:
        _core.normals(_core.key(SEED), offset, z)
    y = fastdrop.gaussian_dropout(x, GAUSSIAN_P, seed=SEED, offset=offset)
    expected = _reference_gaussian.gaussian_dropout(x, GAUSSIAN_P, seed=SEED, offset=offset)
    return (z.tobytes() == _reference_gaussian.normals(SEED, offset, x.size, x.dtype).tobytes()
            and y.tobytes() == expected.tobytes())


def run(args=None) -> int:
    """Print the self-check's verdict; 0 if every case agrees, 1 otherwise."""
    cases, failures = self_check()
    available = fastdrop.simd_info()["available"]
    if failures:
        print(f"self-check: FAILED against the NumPy reference in {len(failures)} of {cases} cases:")
        for f in failures:
            print(f"  {f}")
        return 1
    print(f"self-check: ok ({cases} cases over the kernels {', '.join(available)}: "
          "output, mask, gradient, normal variates and Gaussian dropout bit-identical to the "
          "NumPy reference)")
    return 0

"""python -m fastdrop: what this install runs, a self-check, and a timing table."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import fastdrop
from fastdrop import _reference


def self_check() -> tuple[int, list[str]]:
    """Compare every kernel this machine runs with the pure-NumPy reference.

    Returns the number of cases run and a description of each failing one.
    """
    from fastdrop import _core

    cases, failures = 0, []
    active = _core.active_isa()
    kernels = [i for i in range(len(_core.isa_names())) if _core.isa_supported(i)]
    try:
        for isa in kernels:
            _core.set_isa(isa)
            for dtype in (np.float16, np.float32, np.float64):
                for p in (0.0, 2.0**-32, 0.1, 0.5, 1.0 - 2.0**-32, 1.0):
                    for n, offset in ((0, 0), (17, 5), (2049, 2047), (10_000, 2**40 + 3)):
                        x = np.linspace(-4, 4, n).astype(dtype)
                        y, mask = fastdrop.dropout_forward(x, p, seed=2026, offset=offset)
                        expected = _reference.dropout(x, p, seed=2026, offset=offset)
                        keep = _reference.keep_mask(2026, offset, p, n)
                        grad = fastdrop.dropout_backward(x, mask)
                        ok = (
                            y.tobytes() == expected.tobytes()
                            and mask.packed_bits().tobytes() == _reference.packed_bits(keep).tobytes()
                            and grad.tobytes() == expected.tobytes()
                        )
                        cases += 1
                        if not ok:
                            failures.append(
                                f"{_core.isa_names()[isa]} {np.dtype(dtype).name} p={p!r} "
                                f"n={n} offset={offset}"
                            )
    finally:
        _core.set_isa(active)
    return cases, failures


def _best_time(fn, budget: float = 0.3, repeats: int = 20) -> float:
    """Best time per call; short calls are timed in loops of at least 1 ms."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    number = max(1, int(1e-3 / max(first, 1e-7)))
    best, spent = float("inf"), 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        dt = time.perf_counter() - t0
        best, spent = min(best, dt / number), spent + dt
        if spent > budget:
            break
    return best


def timing_table(sizes) -> list[str]:
    """Forward dropout of float32 at p = 0.5: fastdrop, a NumPy one-liner, np.copyto.

    The last column, "vs numpy", is the one-liner's time over fastdrop's (2.0x: fastdrop
    takes half the time of the one-liner).
    """
    rows = [
        f"{'elements':>10} {'fastdrop':>16} {'numpy one-liner':>17} {'np.copyto':>16} {'vs numpy':>8}",
    ]
    rng = np.random.default_rng(0)
    for n in sizes:
        x = rng.standard_normal(n, dtype=np.float32)
        y = np.empty_like(x)
        t_fd = _best_time(lambda: fastdrop.dropout(x, 0.5, seed=1, out=y))
        t_np = _best_time(lambda: np.multiply(x, (rng.random(n, dtype=np.float32) >= 0.5) * np.float32(2.0), out=y))
        t_cp = _best_time(lambda: np.copyto(y, x))
        gb = 8 * n / 1e9  # bytes read and written per call

        def cell(t):
            return f"{t * 1e3:8.3f} ms {gb / t:4.1f}GB/s"

        rows.append(f"{n:>10} {cell(t_fd):>16} {cell(t_np):>17} {cell(t_cp):>16} {t_np / t_fd:7.1f}x")
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastdrop", description=__doc__)
    parser.add_argument("--no-timing", action="store_true", help="skip the timing table")
    args = parser.parse_args(argv)
    info = fastdrop.simd_info()
    print(f"fastdrop {fastdrop.__version__} (numpy {np.__version__})")
    print(f"RNG spec:  {fastdrop.RNG_SPEC}")
    print(f"kernel:    {info['active']} (available: {', '.join(info['available'])})")
    from fastdrop import _core

    openmp = "OpenMP" if _core.openmp() else "built without OpenMP"
    print(f"threads:   {fastdrop.get_num_threads()} ({openmp})")
    cases, failures = self_check()
    if failures:
        print(f"self-check: FAILED against the NumPy reference in {len(failures)} cases:")
        for f in failures:
            print(f"  {f}")
        return 1
    print(
        f"self-check: ok ({cases} cases over the kernels {', '.join(info['available'])}: "
        "output, mask and gradient bit-identical to the NumPy reference)"
    )
    if not args.no_timing:
        print("\nforward dropout, float32, p=0.5, best of repeated runs (GB/s counts 8 bytes/element;")
        print("vs numpy: the NumPy one-liner's time over fastdrop's):")
        for row in timing_table([1_000, 65_536, 1_048_576, 16_777_216]):
            print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())

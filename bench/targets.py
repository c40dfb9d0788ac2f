"""Every measurement behind the speed targets of the kernels, in one run.

    python bench/targets.py [--quick] [--markdown FILE]

Run from the repository root with the extension built in place. It runs
three sections, each in a fresh interpreter, and prints one table per
section; every row is the minimum over interleaved repeats (each case of a
size timed in turn, so the machine's noise hits all of them alike) and its
ratio to `np.copyto(y, x)` of the same size, measured in the same process:

- ``one thread``: under ``taskset -c 1`` with ``fastdrop.set_num_threads(1)``;
- ``default threads``: no pinning, OpenMP's default thread count;
- ``busy neighbour``: both again while a spinning process holds CPU 0, and
  whether any call at 1M-16M elements is slower on default threads than on
  one thread.

Cases (float32 unless noted; p = 0.5, seed 1, outputs preallocated):
``dropout`` is ``dropout(x, out=y)``, ``forward`` ``dropout_forward(x,
out=y)`` (packed bits stored), ``forward p=0.1`` the same where the
threshold needs the refinement hash, ``backward bits`` / ``backward seed``
``dropout_backward`` with a stored or a regenerated mask, ``mask bits``
``fd_mask_bits`` alone (through ``_core.mask_bits``, absolute ns/element
only). At 1K, forward and backward are compared with ``np.multiply(x, 2.0,
out=y)`` instead (call overhead). The ISA is the best the CPU has unless
FASTDROP_ISA says otherwise. PYTHONPATH=DIR measures another build (for
instance the previous release's) with the same script.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

if not os.environ.get("PYTHONPATH"):  # the build in this checkout, not an installed one
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SIZES = [1_024, 65_536, 1_048_576, 16_777_216, 67_108_864]
QUICK_SIZES = [1_024, 65_536, 1_048_576, 16_777_216]


def _cases(n):
    import numpy as np

    import fastdrop
    from fastdrop import _core

    x = np.random.default_rng(0).standard_normal(n, dtype=np.float32)
    y = np.empty_like(x)
    _, bits_mask = fastdrop.dropout_forward(x, 0.5, seed=1)
    _, seed_mask = fastdrop.dropout_forward(x, 0.5, seed=1, store="seed")
    key, threshold = _core.key(1), _core.threshold(0.5)
    bits = np.empty((n + 7) // 8, dtype=np.uint8)
    cases = {"np.copyto": lambda: np.copyto(y, x)}
    if n <= 4096:
        cases["np.multiply(x, 2.0)"] = lambda: np.multiply(x, 2.0, out=y)
    cases.update({
        "dropout": lambda: fastdrop.dropout(x, 0.5, seed=1, out=y),
        "forward": lambda: fastdrop.dropout_forward(x, 0.5, seed=1, out=y),
        "forward p=0.1": lambda: fastdrop.dropout_forward(x, 0.1, seed=1, out=y),
        "backward bits": lambda: fastdrop.dropout_backward(x, bits_mask, out=y),
        "backward seed": lambda: fastdrop.dropout_backward(x, seed_mask, out=y),
        "mask bits": lambda: _core.mask_bits(key, 0, threshold, bits, n),
    })
    return cases


def _measure(n, budget):
    """{case: minimum seconds per call} for size n, cases interleaved."""
    cases = _cases(n)
    for f in cases.values():
        f()  # warm up: pages, thread pool
    t0 = time.perf_counter()
    cases["np.copyto"]()
    once = max(time.perf_counter() - t0, 1e-7)
    number = max(1, int(2e-4 / once))  # calls per timing: >= ~0.2 ms
    repeats = int(max(7, min(200, budget / (once * number * len(cases)))))
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(repeats):
        for name, f in cases.items():
            t0 = time.perf_counter()
            for _ in range(number):
                f()
            best[name] = min(best[name], (time.perf_counter() - t0) / number)
    return best


def run_section(label, sizes, budget):
    import fastdrop

    one = label.startswith("one thread")
    if one:
        fastdrop.set_num_threads(1)
    info = fastdrop.cpu_info() if hasattr(fastdrop, "cpu_info") else {}
    print(f"## {label}: fastdrop {fastdrop.__version__}, {fastdrop.RNG_SPEC}, "
          f"threads {fastdrop.get_num_threads()}, affinity {sorted(os.sched_getaffinity(0))}"
          + (f", {info}" if info else ""))
    print("| n | case | ns/element | ratio |")
    print("|---:|---|---:|---:|")
    for n in sizes:
        best = _measure(n, budget)
        base_name = "np.multiply(x, 2.0)" if "np.multiply(x, 2.0)" in best else "np.copyto"
        for name, t in best.items():
            ratio = "" if name == "mask bits" else f"{t / best[base_name]:.2f}x {base_name}"
            print(f"| {n:,} | {name} | {1e9 * t / n:.3f} | {ratio} |", flush=True)


def _section(label, sizes, budget, pin=None):
    cmd = [sys.executable, __file__, "--section", label, "--budget", str(budget),
           "--sizes", ",".join(map(str, sizes))]
    if pin is not None:
        cmd = ["taskset", "-c", str(pin), *cmd]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def _parse(table):
    """{(n, case): ns/element} from a section's table."""
    out = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 4 and cells[0].replace(",", "").isdigit():
            out[int(cells[0].replace(",", "")), cells[1]] = float(cells[2])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="sizes up to 16M, shorter budget")
    ap.add_argument("--markdown", help="also write the tables to this file")
    ap.add_argument("--section", help=argparse.SUPPRESS)
    ap.add_argument("--budget", type=float, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--sizes", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.section:
        run_section(args.section, [int(s) for s in args.sizes.split(",")], args.budget)
        return
    sizes = QUICK_SIZES if args.quick else SIZES
    budget = 1.5 if args.quick else 4.0  # seconds of timing per size and section
    if len(os.sched_getaffinity(0)) < 2:
        sys.exit("needs two CPUs (the single-thread runs pin CPU 1, the neighbour CPU 0)")
    parts = [_section("one thread (taskset -c 1)", sizes, budget, pin=1),
             _section("default threads", sizes, budget)]
    spinner = subprocess.Popen(["taskset", "-c", "0", sys.executable, "-c", "while True: pass"])
    try:
        busy_one = _section("one thread (taskset -c 1), CPU 0 busy", sizes[1:-1] or sizes, budget,
                            pin=1)
        busy_all = _section("default threads, CPU 0 busy", sizes[1:-1] or sizes, budget)
    finally:
        spinner.kill()
        spinner.wait()
    parts += [busy_one, busy_all]
    one, all_ = _parse(busy_one), _parse(busy_all)
    verdict = ["## busy neighbour: default threads against one thread (1M-16M)"]
    for (n, case), t in sorted(all_.items()):
        if 1_000_000 <= n <= 17_000_000 and (n, case) in one and case != "np.copyto":
            mark = "slower" if t > one[n, case] else "ok"
            verdict.append(f"- n={n:,} {case}: {t:.3f} vs {one[n, case]:.3f} ns/element: {mark}")
    parts.append("\n".join(verdict) + "\n")
    text = "\n".join(parts)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()

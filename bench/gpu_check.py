"""One short run on a GPU machine: build, CuPy tests, CPU-vs-GPU bits, GB/s.

Run from the repository root on a machine with a CUDA device, CuPy 14 for
CUDA 13 (``cupy-cuda13x``), torch (CUDA build), Cython, numpy, setuptools and
gcc already installed, and no network::

    python bench/gpu_check.py --out gpu-check

It builds fastdrop in place (``python setup.py -q build_ext --inplace``, as
README says; ``--no-build`` skips that), then, each step timed and recorded:

1. runs the GPU tests (``pytest -q tests/test_cupy.py tests/test_cuda_compile.py
   tests/test_cuda_emulation.py tests/test_cuda_python.py
   tests/test_cuda_variants.py``; the last runs every variant on the device
   against the CPU);
2. checks that the GPU's outputs and packed masks equal the CPU's bit for
   bit over a grid of sizes, dtypes, p and offsets (forward with and without
   the mask, backward from the mask and from the seed, with accumulation);
3. times forward and backward on float32 from 2**20 to 2**30 elements with
   CUDA events (median of several calls, after warm-up), in GB/s counting the
   bytes each call reads and writes, beside a CuPy device-to-device copy of
   the same array (the roofline) and ``torch.nn.functional.dropout`` /
   ``torch.ops.aten.native_dropout_backward`` on CUDA, and checks the targets
   (>= 85 % of copy bandwidth at 2**28 elements, faster than torch at every
   size), and the variants beside them (reported, no targets). Each fastdrop row is timed through the public function and, as
   "kernel ...", through the launch alone (fastdrop/_gpu/_launch.py), so
   the Python cost of a call shows at the small sizes.

It writes ``gpu-check.json`` and ``gpu-check.md`` into --out and exits
non-zero when a test, a bit comparison or the build failed (a missed speed
target is reported, not an error). The whole run takes a few minutes; an
H200 holds the 2**30-element arrays (about 25 GB) easily, and
``--max-log2`` lowers the largest size on a smaller device.

``--dry-run`` needs no GPU, CuPy or torch: it checks the arguments, builds
the case grid and the CPU side of the comparison for a few small cases, and
writes the summary files with no timings, so the script's own parts can be
tested anywhere.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TESTS = ["tests/test_cupy.py", "tests/test_cuda_compile.py", "tests/test_cuda_emulation.py",
         "tests/test_cuda_python.py", "tests/test_cuda_variants.py"]
DTYPES = ["float16", "float32", "float64"]
P_VALUES = [0.0, 2.0**-32, 0.1, 0.5, 1.0 - 2.0**-32, 1.0]
SMALL_SIZES = [1, 7, 8, 9, 63, 2047, 2048, 2049, 65_537]
LARGE_SIZES = [(1 << 20) + 3, (1 << 24) + 5]
OFFSETS = [0, 5, 2047, 2**40 + 3, "end"]  # "end": the last n elements of the stream
COPY_TARGET = 0.85
TARGET_LOG2 = 28


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("gpu-check"),
                    help="folder for gpu-check.json and gpu-check.md (default: ./gpu-check)")
    ap.add_argument("--no-build", action="store_true", help="use the fastdrop already built")
    ap.add_argument("--no-tests", action="store_true", help="skip the pytest step")
    ap.add_argument("--min-log2", type=int, default=20, help="smallest benchmark size, log2")
    ap.add_argument("--max-log2", type=int, default=30, help="largest benchmark size, log2")
    ap.add_argument("--repeats", type=int, default=15, help="timed calls per measurement")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--dry-run", action="store_true",
                    help="no GPU: check arguments, the case grid and the CPU side; write the summary")
    args = ap.parse_args(argv)
    if not 10 <= args.min_log2 <= args.max_log2 <= 31:
        ap.error("need 10 <= --min-log2 <= --max-log2 <= 31")
    if args.repeats < 3:
        ap.error("--repeats must be at least 3")
    return args


def equality_cases():
    """(dtype, n, p, offset) of the bit comparison: every combination for small sizes,
    two p values and two offsets for the large ones."""
    cases = []
    for dtype in DTYPES:
        for n in SMALL_SIZES:
            for i, offset in enumerate(OFFSETS):
                for p in P_VALUES[i % 2::2] if n > 2048 else P_VALUES:
                    cases.append((dtype, n, p, 2**64 - n if offset == "end" else offset))
        for n in LARGE_SIZES:
            for p in (0.1, 0.5):
                for offset in (0, 5):
                    cases.append((dtype, n, p, offset))
    return cases


def test_values(n, dtype, seed):
    """Mixed values with infinities, NaNs and signed zeros at the start."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * 10.0 ** rng.integers(-3, 4, n)).astype(dtype)
    if n >= 8:
        x[:4] = [np.inf, -np.inf, np.nan, -0.0]
    return x


def cpu_expected(fastdrop, dtype, n, p, offset, seed):
    """The CPU results the GPU must reproduce for one case."""
    x = test_values(n, dtype, seed)
    g = test_values(n, dtype, seed + 1)
    base = test_values(n, dtype, seed + 2)
    y, mask = fastdrop.dropout_forward(x, p, seed=seed, offset=offset)
    seed_mask = fastdrop.Mask(x.shape, p, seed=seed, offset=offset)
    return {
        "x": x, "g": g, "base": base, "y": y, "bits": mask.bits,
        "dx_bits": fastdrop.dropout_backward(g, mask),
        "dx_seed_acc": fastdrop.dropout_backward(g, seed_mask, out=base.copy(), accumulate=True),
    }


def check_equality(fastdrop, cp, cases, seed):
    """Runs every case on the GPU; returns (cases run, list of failures)."""
    failures = []
    for dtype, n, p, offset in cases:
        want = cpu_expected(fastdrop, dtype, n, p, offset, seed)
        x, g = cp.asarray(want["x"]), cp.asarray(want["g"])
        y, mask = fastdrop.dropout_forward(x, p, seed=seed, offset=offset)
        got = {
            "y": y, "bits": mask.bits,
            "dx_bits": fastdrop.dropout_backward(g, mask),
            "dx_seed_acc": fastdrop.dropout_backward(
                g, fastdrop.Mask(x.shape, p, seed=seed, offset=offset),
                out=cp.asarray(want["base"]), accumulate=True),
        }
        y2 = fastdrop.dropout(x, p, seed=seed, offset=offset)
        got["y_nobits"], want["y_nobits"] = y2, want["y"]
        for key, value in got.items():
            if cp.asnumpy(value).tobytes() != np.asarray(want[key]).tobytes():
                failures.append({"dtype": dtype, "n": n, "p": p, "offset": offset, "what": key})
    return len(cases), failures


def time_gpu(cp, fn, repeats):
    """Median seconds of fn() on the current stream, timed with CUDA events."""
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        start, stop = cp.cuda.Event(), cp.cuda.Event()
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(cp.cuda.get_elapsed_time(start, stop) / 1e3)
    return float(np.median(times))


def bytes_moved(n):
    """Bytes read and written per call, float32, by operation."""
    data, bits, bool_mask = 4 * n, -(-n // 8), n
    return {
        "copy": 2 * data,
        "fastdrop forward (bits)": 2 * data + bits,
        "fastdrop forward (no mask)": 2 * data,
        "fastdrop backward (bits)": 2 * data + bits,
        "fastdrop backward (seed)": 2 * data,
        "kernel forward (bits)": 2 * data + bits,
        "kernel backward (bits)": 2 * data + bits,
        "torch dropout": 2 * data + bool_mask,
        "torch dropout backward": 2 * data + bool_mask,
        "spatial_dropout (N, 64, 16, 16)": 2 * data,
        "alpha_dropout": 2 * data + bits,
        "drop_block k=7 (N, 64, 16, 16)": 2 * data + 2 * bits,
        "dropout_add": 3 * data + bits,
    }


def benchmark(fastdrop, cp, torch, args):
    from fastdrop import _core
    from fastdrop._gpu import _launch

    rows = []
    for log2 in range(args.min_log2, args.max_log2 + 1):
        n = 1 << log2
        x = cp.random.standard_normal(n, dtype=cp.float32)
        y, g, dx = cp.empty_like(x), cp.random.standard_normal(n, dtype=cp.float32), cp.empty_like(x)
        _, mask = fastdrop.dropout_forward(x, 0.5, seed=1, out=y)
        seed_mask = fastdrop.Mask(n, 0.5, seed=1)
        bits, thr = cp.empty((n + 7) // 8, cp.uint8), _core.threshold(0.5)
        ops = {
            "copy": lambda: y.data.copy_from_device_async(x.data, x.nbytes),
            "fastdrop forward (bits)": lambda: fastdrop.dropout_forward(x, 0.5, seed=1, out=y),
            "fastdrop forward (no mask)": lambda: fastdrop.dropout(x, 0.5, seed=1, out=y),
            "fastdrop backward (bits)": lambda: fastdrop.dropout_backward(g, mask, out=dx),
            "fastdrop backward (seed)": lambda: fastdrop.dropout_backward(g, seed_mask, out=dx),
            # The kernels alone, without the public functions' checks and Mask:
            "kernel forward (bits)": lambda: _launch.dropout(x, y, bits, 1, 0, thr, 2.0,
                                                             _core.SCALE),
            "kernel backward (bits)": lambda: _launch.apply_bits(mask.bits, g, dx, 2.0,
                                                                 _core.SCALE),
        }
        if n % (64 * 16 * 16) == 0:  # the variants, on (N, C, H, W) maps where they fit
            x4, y4 = x.reshape(-1, 64, 16, 16), y.reshape(-1, 64, 16, 16)
            ops["spatial_dropout (N, 64, 16, 16)"] = lambda: fastdrop.spatial_dropout(
                x4, 0.5, seed=1, out=y4)
            ops["alpha_dropout"] = lambda: fastdrop.alpha_dropout(x, 0.5, seed=1, out=y)
            ops["drop_block k=7 (N, 64, 16, 16)"] = lambda: fastdrop.drop_block(
                x4, 0.1, seed=1, out=y4)
            ops["dropout_add"] = lambda: fastdrop.dropout_add(x, g, 0.5, seed=1, out=y)
        if torch is not None:
            xt, gt = torch.from_dlpack(x), torch.from_dlpack(g)
            _, tmask = torch.ops.aten.native_dropout(xt, 0.5, True)
            ops["torch dropout"] = lambda: torch.nn.functional.dropout(xt, 0.5, training=True)
            ops["torch dropout backward"] = lambda: torch.ops.aten.native_dropout_backward(
                gt, tmask, 2.0)
        moved = bytes_moved(n)
        for name, fn in ops.items():
            t = time_gpu(cp, fn, args.repeats)
            rows.append({"log2": log2, "n": n, "op": name, "seconds": t,
                         "bytes": moved[name], "GB/s": moved[name] / t / 1e9})
        x4 = y4 = None  # the views hold x and y
        del x, y, g, dx, mask, bits, ops, x4, y4
        if torch is not None:
            del xt, gt, tmask
            torch.cuda.empty_cache()
        cp.get_default_memory_pool().free_all_blocks()
    return rows


def judge(rows):
    """The issue's targets, from the benchmark rows."""
    by = {(r["log2"], r["op"]): r for r in rows}
    verdicts = []
    for op in ("fastdrop forward (bits)", "fastdrop forward (no mask)",
               "fastdrop backward (bits)", "fastdrop backward (seed)",
               "kernel forward (bits)", "kernel backward (bits)"):
        r, c = by.get((TARGET_LOG2, op)), by.get((TARGET_LOG2, "copy"))
        if r and c:
            ratio = r["GB/s"] / c["GB/s"]
            verdicts.append({"target": f"{op} >= {COPY_TARGET:.0%} of copy GB/s at 2**{TARGET_LOG2}",
                             "value": round(ratio, 3), "met": ratio >= COPY_TARGET})
    for ours, theirs in (("fastdrop forward (bits)", "torch dropout"),
                         ("fastdrop backward (bits)", "torch dropout backward")):
        sizes = sorted({r["log2"] for r in rows if r["op"] == theirs})
        slower = [s for s in sizes if by[(s, ours)]["seconds"] >= by[(s, theirs)]["seconds"]]
        if sizes:
            verdicts.append({"target": f"{ours} faster than {theirs} at every size",
                             "value": "slower at 2**" + ", 2**".join(map(str, slower)) if slower
                             else "faster at every size", "met": not slower})
    return verdicts


def render_markdown(summary):
    env = summary["environment"]
    lines = ["# fastdrop GPU check", "",
             f"- device: {env.get('device', 'none (dry run)')}",
             f"- CuPy {env.get('cupy', '-')}, CUDA runtime {env.get('cuda_runtime', '-')}, "
             f"torch {env.get('torch', '-')}, fastdrop {env.get('fastdrop', '-')}, "
             f"stream {env.get('rng_spec', '-')}",
             f"- command: `{summary['command']}`", ""]
    for step in summary["steps"]:
        lines.append(f"- {step['name']}: {step['status']} ({step['seconds']:.1f} s)"
                     + (f" -- {step['detail']}" if step.get("detail") else ""))
    eq = summary.get("equality")
    if eq:
        lines += ["", f"Bit equality: {eq['cases']} cases, {len(eq['failures'])} failures."]
    if summary.get("benchmark"):
        ops = list(dict.fromkeys(r["op"] for r in summary["benchmark"]))
        lines += ["", "GB/s (bytes read + written per call; float32; median of "
                  f"{summary['repeats']} calls):", "",
                  "| elements | " + " | ".join(ops) + " |",
                  "|---:|" + "---:|" * len(ops)]
        by = {(r["log2"], r["op"]): r for r in summary["benchmark"]}
        for log2 in sorted({r["log2"] for r in summary["benchmark"]}):
            cells = [f"{by[(log2, op)]['GB/s']:.0f}" if (log2, op) in by else "-" for op in ops]
            lines.append(f"| 2**{log2} | " + " | ".join(cells) + " |")
    if summary.get("targets"):
        lines += ["", "Targets:", ""]
        lines += [f"- {v['target']}: {v['value']} ({'met' if v['met'] else 'NOT met'})"
                  for v in summary["targets"]]
    return "\n".join(lines) + "\n"


def write_summary(summary, out: Path):
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu-check.json").write_text(json.dumps(summary, indent=2, default=str))
    (out / "gpu-check.md").write_text(render_markdown(summary))


def run_step(summary, name, fn):
    t0 = time.perf_counter()
    try:
        status, detail = fn()
    except Exception as exc:  # recorded in the summary; the run goes on
        status, detail = "error", f"{type(exc).__name__}: {exc}"
    summary["steps"].append({"name": name, "status": status, "detail": detail,
                             "seconds": time.perf_counter() - t0})
    return status


def main(argv=None):
    args = parse_args(argv)
    summary = {"command": " ".join([Path(sys.executable).name, *sys.argv]),
               "environment": {"python": platform.python_version()}, "steps": [],
               "repeats": args.repeats}
    if next((ROOT / "fastdrop").glob("_core.*.so"), None) is not None:
        sys.path.insert(0, str(ROOT))  # the checkout's own build; else the installed package

    if args.dry_run:
        import fastdrop

        cases = equality_cases()
        for dtype, n, p, offset in [c for c in cases if c[1] <= 9][:12]:
            cpu_expected(fastdrop, dtype, n, p, offset, args.seed)
        summary["environment"].update(fastdrop=fastdrop.__version__, rng_spec=fastdrop.RNG_SPEC)
        summary["steps"].append({"name": "dry run", "status": "ok", "seconds": 0.0,
                                 "detail": f"{len(cases)} equality cases, sizes 2**"
                                           f"{args.min_log2}..2**{args.max_log2}"})
        summary["equality"] = {"cases": 0, "failures": []}
        write_summary(summary, args.out)
        print(render_markdown(summary))
        return 0

    ok = True
    if not args.no_build:
        def build():
            proc = subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
                                  cwd=ROOT, capture_output=True, text=True)
            return ("ok" if proc.returncode == 0 else "failed"), proc.stderr[-2000:]
        ok &= run_step(summary, "build", build) == "ok"

    import cupy as cp

    import fastdrop

    dev = cp.cuda.Device()
    name = cp.cuda.runtime.getDeviceProperties(dev.id)["name"]
    summary["environment"].update(
        device=name.decode() if isinstance(name, bytes) else str(name),
        cupy=cp.__version__, cuda_runtime=cp.cuda.runtime.runtimeGetVersion(),
        fastdrop=fastdrop.__version__, rng_spec=fastdrop.RNG_SPEC)
    try:
        import torch

        summary["environment"]["torch"] = torch.__version__
        if not torch.cuda.is_available():
            torch = None
    except ImportError:
        torch = None

    if not args.no_tests:
        def tests():
            proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                   *TESTS], cwd=ROOT, capture_output=True, text=True)
            tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-500:]
            return ("ok" if proc.returncode == 0 else "failed"), tail
        ok &= run_step(summary, "GPU tests", tests) == "ok"

    def equality():
        cases, failures = check_equality(fastdrop, cp, equality_cases(), args.seed)
        summary["equality"] = {"cases": cases, "failures": failures[:50]}
        return ("ok" if not failures else "failed"), f"{cases} cases, {len(failures)} failures"
    ok &= run_step(summary, "CPU-vs-GPU bits", equality) == "ok"

    def bench():
        summary["benchmark"] = benchmark(fastdrop, cp, torch, args)
        summary["targets"] = judge(summary["benchmark"])
        return "ok", "torch missing or without CUDA" if torch is None else ""
    run_step(summary, "benchmark", bench)

    write_summary(summary, args.out)
    print(render_markdown(summary))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

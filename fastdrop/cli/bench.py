"""``fastdrop bench``: forward and backward against np.copyto, NumPy and torch, in GB/s.

The cases are those of the pytest-benchmark suite in bench/
(`fastdrop.cli.cases`). For each size, every case is timed in turn, round
after round (so the machine's noise hits them alike), and each row keeps its
minimum time per call. GB/s counts the bytes a call reads and writes;
"% of copy" is ``np.copyto``'s time on the same arrays over the row's
(100%: as fast as a copy, the roofline).
"""

from __future__ import annotations

import json
import time

import numpy as np

import fastdrop
from fastdrop.cli import cases as _cases
from fastdrop.cli._extras import require
from fastdrop.cli._progress import Progress


def parse_sizes(text: str) -> list[int]:
    """'1000,64K,1M' -> [1000, 65536, 1048576] (K = 2^10, M = 2^20, G = 2^30)."""
    sizes = []
    for item in text.split(","):
        item = item.strip().upper()
        unit = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(item[-1:], 1)
        digits = item[:-1] if unit > 1 else item
        if not digits.isdigit() or int(digits) * unit < 1:
            raise ValueError(f"--sizes: {item!r} is not a positive size like 1000, 64K or 16M")
        sizes.append(int(digits) * unit)
    return sizes


def parse_threads(text: str) -> list[int]:
    """'1,2' -> [1, 2]: the thread counts fastdrop's rows run at."""
    out = []
    for item in text.split(","):
        item = item.strip()
        if not item.isdigit() or not 1 <= int(item) <= 1 << 16:
            raise ValueError(f"--threads: {item!r} is not a thread count in [1, 65536]")
        out.append(int(item))
    return out


def _rows_for(case: _cases.Case, threads: list[int] | None):
    if case.fastdrop and threads:
        return [(case, t) for t in threads]
    return [(case, None)]


def _timed(fn, number: int) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def measure_size(n: int, rows, budget: float, min_rounds: int, progress: Progress) -> dict:
    """{(case name, threads): best seconds per call} at n elements, the rows interleaved.

    Each timing loops a call at least ~0.2 ms; the number of rounds fills
    about ``budget`` seconds, and is at least ``min_rounds`` (at most 200).
    """
    x = np.random.default_rng(0).standard_normal(n, dtype=np.float32)
    y = np.empty_like(x)
    calls, numbers, round_time = {}, {}, 0.0
    try:
        for case, threads in rows:
            fastdrop.set_num_threads(threads)
            fn = case.make(x, y)
            once = max(_timed(fn, 1), 1e-7)  # also the warm-up: pages, thread pool
            calls[case.name, threads] = fn
            numbers[case.name, threads] = max(1, int(2e-4 / once))
            round_time += once * numbers[case.name, threads]
        rounds = int(max(min_rounds, min(200, budget / round_time)))
        best = dict.fromkeys(calls, float("inf"))
        for _ in range(rounds):
            for key, fn in calls.items():
                fastdrop.set_num_threads(key[1])
                best[key] = min(best[key], _timed(fn, numbers[key]))
            progress.advance(1 / rounds)
    finally:
        fastdrop.set_num_threads(None)
    return best


def run_bench(sizes, threads=None, quick=False, progress=True) -> list[dict]:
    """Time every available case at each size; one dict per (size, case, threads).

    Parameters
    ----------
    sizes : list of int
        Element counts (float32).
    threads : list of int or None
        Thread counts for fastdrop's rows; None runs them at the default
        count. The baselines run once, at their own defaults.
    quick : bool
        A shorter time budget per size (about 0.4 s instead of 2 s).
    progress : bool
        Show a progress bar on stderr (rich or tqdm, when installed).

    Returns
    -------
    rows : list of dict
        Keys ``elements``, ``case``, ``groups``, ``threads``, ``seconds``
        (minimum per call), ``gb_per_s`` and ``copy_pct``.
    """
    rows = [r for c in _cases.CASES if c.available() for r in _rows_for(c, threads)]
    budget, min_rounds = (0.4, 3) if quick else (2.0, 5)
    default_threads = fastdrop.get_num_threads()
    out = []
    with Progress(len(sizes), "bench", enabled=progress) as bar:
        for n in sizes:
            bar.advance(0, f"bench n={n:,}")
            best = measure_size(n, rows, budget, min_rounds, bar)
            copy = best[_cases.COPY, None]
            for case, t in rows:
                seconds = best[case.name, t]
                out.append({
                    "elements": n, "case": case.name, "groups": list(case.groups),
                    "threads": t if t is not None else (default_threads if case.fastdrop else None),
                    "seconds": seconds,
                    "gb_per_s": n * case.bytes_per_element / seconds / 1e9,
                    "copy_pct": 100 * copy / seconds,
                })
    return out


def _duration(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    return f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s"


def table(results: list[dict]) -> list[str]:
    """The results as text: per size, the forward rows, then the backward rows."""
    head = f"{'elements':>11}  {'group':<8}  {'case':<20} {'threads':>7} {'time':>10} {'GB/s':>7} {'% of copy':>9}"
    lines = [head, "-" * len(head)]
    for n in dict.fromkeys(r["elements"] for r in results):
        for group in ("forward", "backward"):
            for r in results:
                if r["elements"] == n and group in r["groups"]:
                    t = "-" if r["threads"] is None else str(r["threads"])
                    lines.append(f"{n:>11,}  {group:<8}  {r['case']:<20} {t:>7} "
                                 f"{_duration(r['seconds']):>10} {r['gb_per_s']:>7.2f} "
                                 f"{r['copy_pct']:>8.0f}%")
    return lines


def plot(results: list[dict], path: str) -> None:
    """Throughput against size, forward and backward side by side, np.copyto as the roofline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, group in zip(axes, ("forward", "backward")):
        lines: dict[str, list[tuple[int, float]]] = {}
        for r in results:
            if group in r["groups"]:
                label = r["case"] + ("" if r["threads"] is None else f" ({r['threads']} thr)")
                lines.setdefault(label, []).append((r["elements"], r["gb_per_s"]))
        for label, points in lines.items():
            xs, ys = zip(*points)
            roof = label.startswith(_cases.COPY)
            ax.plot(xs, ys, "k--" if roof else "o-", label=label + (" (roofline)" if roof else ""),
                    linewidth=2 if roof else 1.2)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("elements (float32)")
        ax.set_title(f"{group}, p = {_cases.P}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("GB/s (bytes read + written)")
    fig.suptitle(f"fastdrop {fastdrop.__version__}, kernel {fastdrop.simd_info()['active']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(args) -> int:
    """``fastdrop bench`` with parsed arguments (see `fastdrop.cli.main`)."""
    if args.plot:
        require("matplotlib", "fastdrop bench --plot", "bench")
    sizes = args.sizes or list(_cases.QUICK_SIZES if args.quick else _cases.SIZES)
    missing = [c.name for c in _cases.CASES if not c.available()]
    print(f"float32, p = {_cases.P}, outputs preallocated, minimum time per call; "
          f"kernel {fastdrop.simd_info()['active']}, default threads {fastdrop.get_num_threads()}"
          + (f"; not installed: {', '.join(missing)}" if missing else ""))
    results = run_bench(sizes, args.threads, args.quick, progress=not args.no_progress)
    for line in table(results):
        print(line)
    if args.json:
        from fastdrop.cli import info

        with open(args.json, "w") as f:
            json.dump({"machine": info.collect(), "results": results}, f, indent=2)
        print(f"wrote {args.json}")
    if args.plot:
        plot(results, args.plot)
        print(f"wrote {args.plot}")
    return 0

"""The ``fastdrop`` command (also ``python -m fastdrop``): info, check, bench and demo.

Without a subcommand it runs ``info``, ``check`` and a quick ``bench``.
Only NumPy is needed; rich or tqdm (a progress bar), matplotlib (``--plot``)
and scikit-learn (``demo``) are used when installed: the extras
``[bench]`` and ``[demo]`` bring them. ``import fastdrop`` imports none of
this package.
"""

from __future__ import annotations

import argparse
import sys

from fastdrop.cli import bench, cases


def _sizes(text):
    try:
        return bench.parse_sizes(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _threads(text):
    try:
        return bench.parse_threads(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _positive(text):
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return int(text)


def _seed(text):
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a non-negative integer")
    return int(text)


def parser() -> argparse.ArgumentParser:
    """The argument parser of the ``fastdrop`` command and its subcommands."""
    top = argparse.ArgumentParser(
        prog="fastdrop",
        description="Fast, exact and reproducible dropout for NumPy arrays. Without a "
                    "subcommand: info, check and a quick bench (bench --quick).")
    top.add_argument("--no-timing", action="store_true",
                     help="without a subcommand: skip the quick bench (info and check only)")
    top.add_argument("--no-progress", action="store_true",
                     help="without a subcommand: no progress bar")
    sub = top.add_subparsers(dest="command", metavar="{info,check,bench,demo}")

    p = sub.add_parser("info", help="version, RNG spec, CPU, kernels, threads, OpenMP, GPU",
                       description="What this install runs: version, RNG spec, CPU features, "
                                   "the active and available kernels, threads and the OpenMP "
                                   "runtime, and whether CuPy sees a GPU.")
    p.add_argument("--json", metavar="FILE", help="also write it as JSON to FILE")

    sub.add_parser("check", help="every kernel against the pure-NumPy reference",
                   description="Run every kernel this CPU has over dtypes, p edge cases, sizes "
                               "and offsets; output, mask bits and gradient must equal the "
                               "NumPy reference bit for bit. Exit status 1 if any differs.")

    p = sub.add_parser("bench", help="forward and backward speed against np.copyto, NumPy, torch",
                       description=bench.__doc__.split("\n\n", 1)[1].replace("`", ""),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help=f"sizes up to 16M ({', '.join(f'{n:,}' for n in cases.QUICK_SIZES)}) "
                        "and a shorter time budget per size")
    p.add_argument("--sizes", type=_sizes, metavar="N,N,...",
                   help="element counts, e.g. 1000,64K,16M (K = 2^10, M = 2^20); default "
                        f"{', '.join(f'{n:,}' for n in cases.SIZES)}")
    p.add_argument("--threads", type=_threads, metavar="T,T,...",
                   help="thread counts for fastdrop's rows, e.g. 1,2 (default: the default count)")
    p.add_argument("--plot", metavar="FILE.png",
                   help="plot GB/s against size with the np.copyto roofline (needs matplotlib)")
    p.add_argument("--json", metavar="FILE", help="write the machine and every result as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("demo", help="a NumPy MLP on the digits data, with and without dropout",
                       description=__import__("fastdrop.cli.demo").cli.demo.__doc__.split("\n", 1)[1],
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--plot", metavar="FILE.png",
                   help="plot the learning curves and the entropy histogram (needs matplotlib)")
    p.add_argument("--epochs", type=_positive, default=60, help="training epochs (default 60)")
    p.add_argument("--seed", type=_seed, default=0, help="seed of everything random (default 0)")
    p.add_argument("--mc-samples", type=_positive, default=50,
                   help="Monte Carlo dropout passes per test image (default 50)")
    p.add_argument("--json", metavar="FILE", help="write every number and curve as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return top


def main(argv=None) -> int:
    """Run the ``fastdrop`` command with argv (default: sys.argv[1:]); returns the exit status."""
    args = parser().parse_args(argv)
    from fastdrop.cli import check, info

    if args.command == "info":
        return info.run(args)
    if args.command == "check":
        return check.run(args)
    if args.command == "bench":
        return bench.run(args)
    if args.command == "demo":
        from fastdrop.cli import demo

        return demo.run(args)
    info.run()
    status = check.run()
    if status or args.no_timing:
        return status
    print()
    return bench.run(argparse.Namespace(sizes=None, quick=True, threads=None, plot=None, json=None,
                                        no_progress=args.no_progress))


if __name__ == "__main__":
    sys.exit(main())

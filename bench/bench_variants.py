"""Speed of the dropout variants against np.copyto, measured side by side in one run.

Run from the repository root (after building in place)::

    PYTHONPATH=. python bench/bench_variants.py [--repeat R] [--threads T]

float32, 16M elements (2**24), p = 0.5, outputs preallocated, default threads
unless --threads is given. Each round times every case once, in turn, so
the cases see the same machine load; a case's time is its minimum over the
rounds, and its ratio is that minimum over the minimum of np.copyto (of
np.add(x, r, out=y) for dropout_add) in the same run. mc_dropout draws 8
samples of a 2M-element x (16M elements written) and is compared with 8
np.copyto calls of 2M elements. Prints one table row per case; asserts
nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

import fastdrop

N = 1 << 24


def cases():
    rng = np.random.default_rng(0)
    flat = rng.standard_normal(N, dtype=np.float32)
    y = np.empty_like(flat)
    nchw = flat.reshape(16, 64, 128, 128)
    nhwc = flat.reshape(16, 128, 128, 64)
    rows = flat.reshape(256, 65536)
    resid = rng.standard_normal(N, dtype=np.float32)
    wide = flat.reshape(-1, 4096)
    bias = rng.standard_normal(4096, dtype=np.float32)
    small = flat[: N // 8].copy()
    small_out = np.empty((8,) + small.shape, np.float32)
    y_small = np.empty_like(small)

    def eight_copies():
        for t in range(8):
            np.copyto(small_out[t], small)

    return {
        "np.copyto (baseline)": lambda: np.copyto(y, flat),
        "dropout, no noise shape": lambda: fastdrop.dropout(flat, 0.5, seed=1, out=y),
        "dropout noise (16,64,1,1)": lambda: fastdrop.dropout(
            nchw, 0.5, seed=1, noise_shape=(16, 64, 1, 1), out=y.reshape(nchw.shape)),
        "dropout noise (16,1,128,128)": lambda: fastdrop.dropout(
            nchw, 0.5, seed=1, noise_shape=(16, 1, 128, 128), out=y.reshape(nchw.shape)),
        "spatial_dropout channels_first": lambda: fastdrop.spatial_dropout(
            nchw, 0.5, seed=1, out=y.reshape(nchw.shape)),
        "spatial_dropout channels_last": lambda: fastdrop.spatial_dropout(
            nhwc, 0.5, seed=1, data_format="channels_last", out=y.reshape(nhwc.shape)),
        "alpha_dropout": lambda: fastdrop.alpha_dropout(flat, 0.5, seed=1, out=y),
        "feature_alpha_dropout": lambda: fastdrop.feature_alpha_dropout(
            nchw, 0.5, seed=1, out=y.reshape(nchw.shape)),
        "drop_path row (256 x 65536)": lambda: fastdrop.drop_path(
            rows, 0.5, seed=1, out=y.reshape(rows.shape)),
        "drop_block k=7 (16,64,128,128)": lambda: fastdrop.drop_block(
            nchw, 0.1, block_size=7, seed=1, out=y.reshape(nchw.shape)),
        "np.add(x, r, out=y) (baseline)": lambda: np.add(flat, resid, out=y),
        "dropout_add": lambda: fastdrop.dropout_add(flat, resid, 0.5, seed=1, out=y),
        "dropout_add with bias (C=4096)": lambda: fastdrop.dropout_add(
            wide, resid.reshape(wide.shape), 0.5, bias=bias, seed=1, out=y.reshape(wide.shape)),
        "8 x np.copyto 2M (baseline)": eight_copies,
        "mc_dropout 8 x 2M": lambda: fastdrop.mc_dropout(small, 0.5, 8, seed=1, out=small_out),
        "np.copyto 2M": lambda: np.copyto(y_small, small),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        fastdrop.set_num_threads(args.threads)
    table = cases()
    best = {name: float("inf") for name in table}
    for fn in table.values():
        fn()  # warm up: page in the outputs
    for _ in range(args.repeat):
        for name, fn in table.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    info = fastdrop.simd_info()
    print(f"# {platform.node()} {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, kernel {info['active']}, "
          f"{fastdrop.get_num_threads()} threads, numpy {np.__version__}, {args.repeat} rounds")
    print(f"{'case':34s} {'ms':>8s} {'x baseline':>11s}")
    for name, t in best.items():
        if name.startswith("mc_"):
            base = best["8 x np.copyto 2M (baseline)"]
        elif name.startswith("dropout_add") or name.startswith("np.add"):
            base = best["np.add(x, r, out=y) (baseline)"]
        elif name == "np.copyto 2M":
            base = best[name]
        else:
            base = best["np.copyto (baseline)"]
        print(f"{name:34s} {t * 1e3:8.2f} {t / base:11.2f}")


if __name__ == "__main__":
    main()

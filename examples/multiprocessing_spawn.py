"""Dropout in worker processes started with the "spawn" method, one stream per worker.

Each worker gets a child of ``Generator.spawn``: the workers' masks are
independent of each other, and the whole run is reproduced from the root
seed, whatever the number of processes or the order they finish in. (A
single Generator pickled to every worker would give them all the same
masks.)

    python examples/multiprocessing_spawn.py
"""

import multiprocessing as mp

import numpy as np

import fastdrop


def work(job):
    """One shard: dropout of its rows with the worker's own stream."""
    gen, rows = job
    x = np.ones((rows, 256), np.float32)
    y, mask = gen.dropout_forward(x, 0.25)
    return mask.seed, mask.packed_bits().tobytes(), float(y.sum())


def main():
    root = fastdrop.Generator(seed=2026)
    jobs = [(child, 64) for child in root.spawn(4)]
    with mp.get_context("spawn").Pool(2) as pool:
        results = pool.map(work, jobs)
    assert len({bits for _, bits, _ in results}) == 4          # four different masks
    again = [work((child, 64)) for child in fastdrop.Generator(seed=2026).spawn(4)]
    assert results == again                                    # the same run in one process
    for seed, _, total in results:
        print(f"worker stream seed {seed:#018x}: output sum {total:.0f} (expected about {64 * 256:.0f})")
    print("ok")


if __name__ == "__main__":
    main()

"""fastdrop.dask on a two-worker LocalCluster against fastdrop.dropout in one process.

64M float32 (256 MB). The cluster rows start from x persisted on the workers
(4 chunks of 16M) and time one `fastdrop.dask.dropout` of it: "persist" leaves
the result on the workers (`distributed.wait`), "compute" also gathers it into
the client process. The single-process rows run on every core of this
process: `fastdrop.dropout(x, out=y)` and `fastdrop.dropout(x)` (a new
result, as every chunk on the cluster gets). Each cluster row records in
extra_info its minimum time over each single-process row's (``x_single_out``,
``x_single_new``; the target is <= 2 for "persist"). Run alone:
``pytest bench/bench_dask.py --benchmark-only``.
"""

import numpy as np
import pytest

import fastdrop

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
import fastdrop.dask as fdd  # noqa: E402  (after the optional imports)

N = 64 << 20
CHUNK = 16 << 20  # 4 chunks: 2 per worker
TIMES = {}


@pytest.fixture(scope="module")
def cluster():
    cl = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None, silence_logs=50)
    client = distributed.Client(cl)  # the default client: distributed.wait uses it
    x = client.persist(da.random.default_rng(0).standard_normal(N, chunks=CHUNK,
                                                                dtype=np.float32))
    distributed.wait(x)
    yield client, x
    client.close()
    cl.close()


def _record(benchmark, name):
    TIMES[name] = benchmark.stats.stats.min
    benchmark.extra_info["min_s"] = TIMES[name]
    if name.startswith("cluster"):
        for base, key in (("out", "x_single_out"), ("new", "x_single_new")):
            if base in TIMES:
                benchmark.extra_info[key] = round(TIMES[name] / TIMES[base], 3)


@pytest.fixture(scope="module")
def host():
    x = np.random.default_rng(0).standard_normal(N, dtype=np.float32)
    return x, np.empty_like(x)


def test_single_process_out(benchmark, host):
    benchmark.group = "dask 64M float32"
    x, y = host
    benchmark.pedantic(lambda: fastdrop.dropout(x, 0.5, seed=1, out=y), rounds=10,
                       warmup_rounds=1)
    _record(benchmark, "out")


def test_single_process_new_result(benchmark, host):
    benchmark.group = "dask 64M float32"
    x, _ = host
    benchmark.pedantic(lambda: fastdrop.dropout(x, 0.5, seed=1), rounds=10, warmup_rounds=1)
    _record(benchmark, "new")


def test_cluster_persist(benchmark, cluster):
    benchmark.group = "dask 64M float32"
    client, x = cluster

    seeds = iter(range(1, 1000))

    def run():  # a new seed each round: new keys, so the cluster cannot reuse a result
        y = client.persist(fdd.dropout(x, 0.5, seed=next(seeds)))
        distributed.wait(y)
        del y

    benchmark.pedantic(run, rounds=10, warmup_rounds=1)
    _record(benchmark, "cluster persist")


def test_cluster_compute(benchmark, cluster):
    benchmark.group = "dask 64M float32"
    client, x = cluster
    seeds = iter(range(1000, 2000))
    benchmark.pedantic(lambda: client.compute(fdd.dropout(x, 0.5, seed=next(seeds)), sync=True),
                       rounds=5, warmup_rounds=1)
    _record(benchmark, "cluster compute")

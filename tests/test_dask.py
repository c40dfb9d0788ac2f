"""fastdrop.dask: every chunking gives the whole-array call's bits, on threads and on a cluster."""

import pickle

import numpy as np
import pytest
from conftest import DTYPES, unavailable

import fastdrop

try:
    import dask.array as da
    import distributed
except ImportError:  # pragma: no cover - depends on the environment
    da = None

REQUIRE = "FASTDROP_REQUIRE_INTEROP"


@pytest.fixture(scope="module")
def fdd():
    if da is None:
        unavailable("dask[array,distributed] is not installed", REQUIRE)
    import fastdrop.dask
    return fastdrop.dask


@pytest.fixture(scope="module")
def client(fdd):
    """One real cluster: two worker processes of one thread each, closed after the module."""
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       dashboard_address=None, silence_logs=50)
    c = distributed.Client(cluster, set_as_default=False)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def _u(a):
    a = np.asarray(a)
    return a.view(f"u{a.dtype.itemsize}")


SHAPE = (37, 23, 6)
CHUNKINGS = [
    (37, 23, 6),                             # one chunk: the plain call
    (8, 23, 6),                              # row bands: contiguous ranges
    ((5, 30, 2), (1, 11, 11), (4, 2)),       # irregular, N-d
    (3, 4, 5),                               # many small N-d chunks
]


def _x(dtype, shape=SHAPE, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * 4).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("chunks", CHUNKINGS, ids=["whole", "bands", "irregular", "small"])
def test_any_chunking_gives_the_whole_array_call(fdd, dtype, chunks):
    X = _x(dtype)
    x = da.from_array(X, chunks=chunks)
    want, wmask = fastdrop.dropout_forward(X, 0.3, seed=11, offset=5)
    y, mask = fdd.dropout_forward(x, 0.3, seed=11, offset=5)
    assert y.chunks == x.chunks and y.dtype == X.dtype
    assert np.array_equal(_u(y.compute(scheduler="threads")), _u(want))
    assert np.array_equal(_u(fdd.dropout(x, 0.3, seed=11, offset=5).compute(scheduler="sync")),
                          _u(want))
    grad = _x(dtype, seed=1)
    g = da.from_array(grad, chunks=(10, 10, 3))  # not the forward's chunks
    dx = fdd.dropout_backward(g, mask).compute(scheduler="threads")
    assert np.array_equal(_u(dx), _u(fastdrop.dropout_backward(grad, wmask)))
    assert np.array_equal(mask.to_bool(chunks=(9, 9, 2)).compute(scheduler="threads"),
                          wmask.to_bool())


@pytest.mark.parametrize("spec", [dict(noise_shape=(None, 1, None)), dict(broadcast_dims=(0, 2)),
                                  dict(noise_shape=(1, 1, 1))], ids=["noise", "bcast", "ones"])
def test_noise_shapes_over_chunks(fdd, spec):
    X = _x(np.float32)
    x = da.from_array(X, chunks=((5, 30, 2), (1, 11, 11), (4, 2)))
    want, wmask = fastdrop.dropout_forward(X, 0.3, seed=8, offset=3, **spec)
    y, mask = fdd.dropout_forward(x, 0.3, seed=8, offset=3, **spec)
    assert mask.noise_shape == wmask.shape
    assert np.array_equal(_u(y.compute(scheduler="threads")), _u(want))
    grad = _x(np.float32, seed=2)
    dx = fdd.dropout_backward(da.from_array(grad, chunks=(9, 7, 4)), mask)
    assert np.array_equal(_u(dx.compute(scheduler="threads")),
                          _u(fastdrop.dropout_backward(grad, wmask)))
    assert np.array_equal(mask.to_bool(chunks=2).compute(scheduler="threads"), wmask.to_bool())


def test_classic_scaling_inference_and_1d_0d(fdd):
    X = _x(np.float32, (5000,))
    x = da.from_array(X, chunks=(777,))
    for kw in (dict(scaling="classic"), dict(training=False), dict(training=False,
                                                                    scaling="classic")):
        got = fdd.dropout(x, 0.25, seed=3, **kw).compute(scheduler="threads")
        assert np.array_equal(_u(got), _u(fastdrop.dropout(X, 0.25, seed=3, **kw)))
    z = da.from_array(np.float64(2.0) * np.ones(()))
    assert fdd.dropout(z, 0.5, seed=1).compute() == fastdrop.dropout(np.full((), 2.0), 0.5, seed=1)


def test_building_the_graph_calls_nothing(fdd, monkeypatch):
    """meta and dtype are given, so dask never runs a chunk function on a meta array."""
    def boom(*args, **kwargs):
        raise AssertionError("called while building the graph")
    x = da.ones((10, 10), chunks=3, dtype=np.float32)
    monkeypatch.setattr(fastdrop, "dropout", boom)
    monkeypatch.setattr(fastdrop, "dropout_backward", boom)
    y, mask = fdd.dropout_forward(x, 0.5, seed=1)
    dx = fdd.dropout_backward(y, mask)
    assert dx.dtype == np.float32 and dx.shape == (10, 10)


def test_the_mask_pickles_and_holds_no_bits(fdd):
    _, mask = fdd.dropout_forward(da.ones((4, 4), chunks=2), 0.5, seed=np.uint64(9), offset=2)
    again = pickle.loads(pickle.dumps(mask))
    assert (again.shape, again.p, again.seed, again.offset, again.scaling) == \
        ((4, 4), 0.5, 9, 2, "inverted")
    assert "DaskMask(shape=(4, 4)" in repr(mask)


X16 = np.ones((4, 4))
BAD = [
    (lambda f: f.dropout(X16, 0.5, seed=1), TypeError, "x"),
    (lambda f: f.dropout(da.ones(4, dtype=np.int32), 0.5, seed=1), TypeError, "x"),
    (lambda f: f.dropout(da.ones(4), 1.5, seed=1), ValueError, "p"),
    (lambda f: f.dropout(da.ones(4), "a", seed=1), TypeError, "p"),
    (lambda f: f.dropout(da.ones(4), 0.5, seed=None), TypeError, "seed"),
    (lambda f: f.dropout(da.ones(4), 0.5, seed=-1), ValueError, "seed"),
    (lambda f: f.dropout(da.ones(4), 0.5, seed=1, offset=2**64 - 3), ValueError, "offset"),
    (lambda f: f.dropout(da.ones(4), 0.5, seed=1, scaling="x"), ValueError, "scaling"),
    (lambda f: f.dropout(da.ones(4), 0.5, seed=1, scaling=1), TypeError, "scaling"),
    (lambda f: f.dropout(da.ones(4), 0.5, seed=1, training=1), TypeError, "training"),
    (lambda f: f.dropout_forward(da.ones(4), 0.5, seed=1, scaling="x"), ValueError, "scaling"),
    (lambda f: f.dropout(da.ones((4, 3)), 0.5, seed=1, noise_shape=(2, 1)), ValueError,
     "noise_shape"),
    (lambda f: f.dropout(da.ones((4, 3)), 0.5, seed=1, broadcast_dims=5), ValueError,
     "broadcast_dims"),
    (lambda f: f.dropout_backward(da.ones(4), object()), TypeError, "mask"),
    (lambda f: f.dropout_backward(np.ones(4), f.DaskMask((4,), 0.5, 1, 0, "inverted")),
     TypeError, "grad"),
    (lambda f: f.dropout_backward(da.ones(5), f.DaskMask((4,), 0.5, 1, 0, "inverted")),
     ValueError, "grad"),
]


@pytest.mark.parametrize("call, exc, name", BAD, ids=range(len(BAD)))
def test_bad_input_raises_when_the_graph_is_built(fdd, call, exc, name):
    with pytest.raises(exc, match=rf"\b{name}\b"):
        call(fdd)


def test_unknown_chunk_sizes_are_refused(fdd):
    x = da.ones(10, chunks=3)
    x = x[x > 0]  # unknown chunk sizes
    with pytest.raises(ValueError, match="x must have known chunk sizes"):
        fdd.dropout(x, 0.5, seed=1)


def test_a_two_process_cluster_gives_the_same_bits(fdd, client):
    X = _x(np.float32, (301, 67, 5), seed=4)
    x = da.from_array(X, chunks=((100, 150, 51), (30, 37), (2, 3)))
    y, mask = fdd.dropout_forward(x, 0.4, seed=2026, offset=1000)
    dx = fdd.dropout_backward(da.ones_like(x).rechunk((77, 67, 5)), mask)
    y_got, dx_got = client.compute([y, dx], sync=True)
    want, wmask = fastdrop.dropout_forward(X, 0.4, seed=2026, offset=1000)
    assert np.array_equal(_u(y_got), _u(want))
    assert np.array_equal(_u(dx_got), _u(fastdrop.dropout_backward(np.ones_like(X), wmask)))
    workers = client.run(lambda: __import__("os").getpid())
    assert len(set(workers.values())) == 2

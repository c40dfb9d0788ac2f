"""Windows of the index space (SPEC.md section 12): a block gives its slice of the whole call.

Every block result is compared bit for bit with the slice of the pure-NumPy
reference on the whole array (and of fastdrop's own whole-array call), on
every kernel ISA, for dropout, dropout_forward (output and mask bits, both
stores) and dropout_backward from the block's Mask.
"""

import importlib.util
import pickle

import numpy as np
import pytest
from conftest import DTYPES, unavailable

import fastdrop
from fastdrop import _reference, _reference_variants


def _bits(a):
    return np.asarray(a).view(f"u{np.asarray(a).dtype.itemsize}")


def _cases(count, seed):
    """(global_shape, origin, block_shape, offset) for random N-d windows (1 to 4 axes)."""
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(count):
        nd = int(rng.integers(1, 5))
        top = {1: 3000, 2: 60, 3: 16, 4: 9}[nd]
        g = tuple(int(v) for v in rng.integers(1, top, nd))
        o = tuple(int(rng.integers(0, d)) for d in g)
        b = tuple(int(rng.integers(0, d - a + 1)) for d, a in zip(g, o))
        if rng.random() < 0.3:  # whole trailing axes, merged into longer rows
            k = int(rng.integers(0, nd))
            o = o[:k] + (0,) * (nd - k)
            b = b[:k] + g[k:]
        off = [0, 1, 2047, 5000, 2**64 - int(np.prod(g)) - 3][int(rng.integers(0, 5))]
        cases.append((g, o, b, off))
    return cases


def _slice(o, b):
    return tuple(slice(a, a + n) for a, n in zip(o, b))


CASES = _cases(40, 2026)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("store", ["bits", "seed"])
def test_blocks_equal_the_slice_of_the_whole_call(isa, dtype, store):
    _check_blocks(dtype, store)


@pytest.mark.parametrize("store", ["bits", "seed"])
def test_bfloat16_blocks_equal_the_slice_of_the_whole_call(isa, store):
    """bfloat16 (ml_dtypes) windows take the bfloat16 kernels, not float16's."""
    if importlib.util.find_spec("ml_dtypes") is None:
        unavailable("ml_dtypes is not installed (pip install ml_dtypes)", "FASTDROP_REQUIRE_INTEROP")
    import ml_dtypes

    _check_blocks(np.dtype(ml_dtypes.bfloat16), store)


def _check_blocks(dtype, store):
    rng = np.random.default_rng(7)
    for g, o, b, off in CASES:
        X = (rng.standard_normal(g) * 8).astype(dtype)
        seed, p = int(rng.integers(0, 2**63)), float(rng.choice([0.1, 0.5, 0.9]))
        sl = _slice(o, b)
        want = _reference.dropout(X, p, seed=seed, offset=off)[sl]
        keep = _reference.keep_mask(seed, off, p, X.size).reshape(g)[sl]
        block = X[sl]
        kw = dict(seed=seed, offset=off, global_shape=g, global_origin=o)
        y = fastdrop.dropout(block, p, **kw)
        assert np.array_equal(_bits(y), _bits(want)), (g, o, b, off)
        y2, mask = fastdrop.dropout_forward(block, p, store=store, **kw)
        assert np.array_equal(_bits(y2), _bits(want)), (g, o, b, off)
        assert mask.store == store and mask.shape == b
        assert np.array_equal(mask.to_bool(), keep), (g, o, b, off)
        assert np.array_equal(mask.packed_bits(), np.packbits(keep.ravel(), bitorder="little"))
        grad = rng.standard_normal(b).astype(dtype)
        dx = fastdrop.dropout_backward(grad, mask)
        ref_dx = _reference.dropout_backward(grad, keep.ravel(), p)
        assert np.array_equal(_bits(dx), _bits(ref_dx)), (g, o, b, off)
        acc = np.ones_like(grad)
        fastdrop.dropout_backward(grad, mask, out=acc, accumulate=True)
        ref_acc = _reference.dropout_backward(grad, keep.ravel(), p, out=np.ones_like(grad))
        assert np.array_equal(_bits(acc), _bits(ref_acc))


@pytest.mark.parametrize("store", ["bits", "seed"])
def test_noise_shapes_in_windows_equal_the_slice_of_the_whole_call(isa, store):
    """noise_shape and broadcast_dims describe the whole array; a block takes its part."""
    rng = np.random.default_rng(11)
    for g, o, b, off in CASES[:25]:
        nd = len(g)
        bcast = [d for d in range(nd) if rng.random() < 0.5]
        gnoise = tuple(1 if d in bcast else n for d, n in enumerate(g))
        X = rng.standard_normal(g).astype([np.float16, np.float32, np.float64][nd % 3])
        seed, p = int(rng.integers(0, 2**63)), 0.4
        off = min(off, 2**64 - int(np.prod(gnoise)))
        sl = _slice(o, b)
        want = _reference_variants.dropout(X, p, seed=seed, offset=off, nshape=gnoise)[sl]
        kw = dict(seed=seed, offset=off, global_shape=g, global_origin=o)
        spec = dict(noise_shape=tuple(None if rng.random() < 0.5 and n != 1 else n
                                      for n in gnoise))
        if rng.random() < 0.5:
            spec = dict(broadcast_dims=tuple(bcast))
        y, mask = fastdrop.dropout_forward(X[sl], p, store=store, **kw, **spec)
        assert np.array_equal(_bits(y), _bits(want)), (g, o, b, gnoise)
        assert np.array_equal(_bits(fastdrop.dropout(X[sl], p, **kw, **spec)), _bits(want))
        gkeep = _reference.keep_mask(seed, off, p, int(np.prod(gnoise))).reshape(gnoise)
        nsl = tuple(slice(0, 1) if n == 1 and gn != 1 else s_
                    for s_, n, gn in zip(sl, gnoise, g))
        assert np.array_equal(mask.to_bool(), gkeep[nsl]), (g, o, b, gnoise)
        grad = rng.standard_normal(b).astype(X.dtype)
        G = np.zeros_like(X)
        G[sl] = grad
        ref_dx = _reference_variants.backward(G, seed, off, p, gnoise)[sl]
        assert np.array_equal(_bits(fastdrop.dropout_backward(grad, mask)), _bits(ref_dx))


def test_tiles_cover_the_whole_call_in_place_and_strided(isa):
    """Tiles of a 3-d array, written through out= into one result, rebuild the whole call."""
    X = np.random.default_rng(3).standard_normal((37, 29, 11)).astype(np.float32)
    whole = fastdrop.dropout(X, 0.4, seed=9, offset=100)
    got = np.full_like(X, np.nan)
    for i in range(0, 37, 10):
        for j in range(0, 29, 8):
            for k in range(0, 11, 4):
                sl = (slice(i, i + 10), slice(j, j + 8), slice(k, k + 4))
                fastdrop.dropout(X[sl], 0.4, seed=9, offset=100, global_shape=X.shape,
                                 global_origin=(i, j, k), out=got[sl])  # strided out
    assert np.array_equal(_bits(got), _bits(whole))
    F = np.asfortranarray(X[5:30, 3:20, 2:9])  # a Fortran-order block, in place
    fastdrop.dropout(F, 0.4, seed=9, offset=100, global_shape=X.shape, global_origin=(5, 3, 2),
                     out=F)
    assert np.array_equal(_bits(F), _bits(whole[5:30, 3:20, 2:9]))


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("shape, block, origin", [
    ((30000, 16), (25000, 7), (1000, 5)),        # many short rows
    ((40, 50, 300), (38, 49, 250), (1, 1, 17)),  # rows of 250 under two outer axes
    ((6, 70000), (5, 69999), (1, 1)),            # long rows, bits shifted in
    ((3000, 300), (2999, 40), (1, 3)),           # short rows, gaps too long to share spans
    ((9000, 50), (8990, 45), (3, 2)),            # short rows sharing spans of many rows
    ((500, 40, 20), (499, 3, 11), (1, 2, 4)),    # runs of 3 rows, then a jump
])
def test_threads_give_the_same_bits(threads, shape, block, origin):
    X = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    whole, wmask = fastdrop.dropout_forward(X, 0.3, seed=77, offset=3)
    sl = _slice(origin, block)
    fastdrop.set_num_threads(threads)
    try:
        y, mask = fastdrop.dropout_forward(X[sl], 0.3, seed=77, offset=3, global_shape=shape,
                                           global_origin=origin)
        seeded = fastdrop.Mask(block, 0.3, seed=77, offset=3, global_shape=shape,
                               global_origin=origin)
        regen = seeded.packed_bits()
    finally:
        fastdrop.set_num_threads(None)
    assert np.array_equal(_bits(y), _bits(whole[sl]))
    want = np.packbits(wmask.to_bool()[sl].ravel(), bitorder="little")
    assert np.array_equal(mask.packed_bits(), want)
    assert np.array_equal(regen, want)


def test_a_window_equal_to_the_whole_array_is_the_plain_call():
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    y, mask = fastdrop.dropout_forward(x, 0.5, seed=1, offset=5, global_shape=(2, 3, 4),
                                       global_origin=(0, 0, 0), store="seed")
    assert mask.global_shape is None and mask.global_origin is None
    assert np.array_equal(y, fastdrop.dropout(x, 0.5, seed=1, offset=5))
    only_shape = fastdrop.dropout(x[:, :2], 0.5, seed=1, global_shape=(2, 3, 4))
    assert np.array_equal(only_shape, fastdrop.dropout(x, 0.5, seed=1)[:, :2])
    # 0-d and empty blocks
    z = np.float32(3.0) * np.ones((), np.float32)
    assert fastdrop.dropout(z, 0.5, seed=1, global_shape=(), global_origin=()).shape == ()
    e = fastdrop.dropout(np.ones((0, 3), np.float32), 0.5, seed=1, global_shape=(4, 3),
                         global_origin=(4, 0))
    assert e.shape == (0, 3)


def test_inference_validates_and_ignores_the_window():
    x = np.ones((3, 4), np.float32)
    y = fastdrop.dropout(x, 0.5, seed=1, training=False, global_shape=(9, 4),
                         global_origin=(6, 0))
    assert np.array_equal(y, x)
    with pytest.raises(ValueError, match="global_origin"):
        fastdrop.dropout(x, 0.5, seed=1, training=False, global_shape=(9, 4),
                         global_origin=(7, 0))


def test_the_mask_records_its_window_and_pickles():
    x = np.ones((4, 5), np.float32)
    _, mask = fastdrop.dropout_forward(x, 0.5, seed=4, offset=2, global_shape=(10, 6),
                                       global_origin=(3, 1), store="seed")
    assert (mask.global_shape, mask.global_origin) == ((10, 6), (3, 1))
    assert "global_origin=(3, 1)" in repr(mask)
    again = pickle.loads(pickle.dumps(mask))
    assert np.array_equal(again.to_bool(), mask.to_bool())
    assert np.array_equal(mask.to_bool(), _reference.keep_mask(4, 2, 0.5, 60).reshape(10, 6)[3:7, 1:6])
    built = fastdrop.Mask((4, 5), 0.5, seed=4, offset=2, global_shape=(10, 6),
                          global_origin=(3, 1))
    assert np.array_equal(built.to_bool(), mask.to_bool())
    # a stored-bits mask of a window backs up like the seed one
    _, bmask = fastdrop.dropout_forward(x, 0.5, seed=4, offset=2, global_shape=(10, 6),
                                        global_origin=(3, 1))
    g = np.full((4, 5), 3.0, np.float32)
    assert np.array_equal(fastdrop.dropout_backward(g, bmask), fastdrop.dropout_backward(g, mask))


def test_the_offset_limit_counts_the_global_noise_array():
    x = np.ones((3, 4), np.float32)
    kw = dict(global_shape=(2**64 - 1, 4), global_origin=(2**64 - 4, 0), noise_shape=(None, 1))
    y = fastdrop.dropout(x, 0.5, seed=1, offset=1, **kw)  # the noise array ends at 2**64
    keep = _reference.keep_mask(1, 2**64 - 3, 0.5, 3)
    assert np.array_equal(y, np.broadcast_to(np.where(keep[:, None], 2.0, 0.0), (3, 4)))
    with pytest.raises(ValueError, match="offset \\+ the global noise array's size"):
        fastdrop.dropout(x, 0.5, seed=1, offset=2, **kw)


X = np.ones((3, 4), np.float32)
BAD = [
    (dict(global_shape=(3,)), ValueError, "global_shape"),
    (dict(global_shape=(3, 4, 1)), ValueError, "global_shape"),
    (dict(global_shape=(3, 4), global_origin=(0,)), ValueError, "global_origin"),
    (dict(global_shape=(3, 4), global_origin=(1, 0)), ValueError, "global_origin"),
    (dict(global_shape=(2, 4)), ValueError, "global_origin"),
    (dict(global_shape=(3, -4)), ValueError, "global_shape"),
    (dict(global_shape=(5, 4), global_origin=(-1, 0)), ValueError, "global_origin"),
    (dict(global_shape=(3, 2**64)), ValueError, "global_shape"),
    (dict(global_shape=(3.0, 4)), TypeError, "global_shape"),
    (dict(global_shape=(True, 4)), TypeError, "global_shape"),
    (dict(global_shape=5), TypeError, "global_shape"),
    (dict(global_shape="34"), TypeError, "global_shape"),
    (dict(global_shape=(3, 4), global_origin=(0, 0.5)), TypeError, "global_origin"),
    (dict(global_origin=(0, 0)), ValueError, "global_origin"),
    (dict(global_shape=(2**32, 2**32)), ValueError, "global_shape"),  # offset 1 + 2**64
    (dict(global_shape=(6, 4), noise_shape=(3, 4)), ValueError, "noise_shape"),  # x's, not 6
    (dict(global_shape=(6, 4), noise_shape=(1,)), ValueError, "noise_shape"),
    (dict(global_shape=(6, 4), broadcast_dims=2), ValueError, "broadcast_dims"),
]


BAD_CASES = [pytest.param(fn, kw, exc, name, id=f"{fn}-{kw}") for kw, exc, name in BAD
             for fn in ("dropout", "dropout_forward", "Mask")
             if fn != "Mask" or not {"noise_shape", "broadcast_dims"} & set(kw)]


@pytest.mark.parametrize("fn, kw, exc, name", BAD_CASES)
def test_bad_windows_raise_naming_the_argument(fn, kw, exc, name):
    out = np.full_like(X, 7.0)
    x = X.copy()
    with pytest.raises(exc, match=name):
        if fn == "Mask":
            fastdrop.Mask(X.shape, 0.5, seed=1, offset=1, **kw)
        elif fn == "dropout":
            fastdrop.dropout(x, 0.5, seed=1, offset=1, out=out, **kw)
        else:
            fastdrop.dropout_forward(x, 0.5, seed=1, offset=1, out=out, **kw)
    assert np.array_equal(out, np.full_like(X, 7.0)) and np.array_equal(x, X)

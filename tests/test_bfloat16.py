"""bfloat16 (ml_dtypes.bfloat16) through the C kernels, bit for bit against the reference.

SPEC.md section 6: bfloat16 is computed in float32 (widened exactly) and
each result is rounded once to nearest even, a NaN keeping its sign and top
payload bits with the quiet bit set. The reference (``fastdrop._reference``)
does that rounding in NumPy integer arithmetic; the first tests check it
against ml_dtypes' own float32 -> bfloat16 cast, the rest check every
kernel (the `isa` fixture) against the reference.
"""

import importlib.util

import numpy as np
import pytest
from conftest import ROOT, unavailable

import fastdrop
from fastdrop import _reference as ref

SEED = 0x5EED_BF16


@pytest.fixture(scope="module")
def bf16():
    """ml_dtypes' bfloat16 dtype; skips without ml_dtypes (fails under FASTDROP_REQUIRE_INTEROP=1)."""
    if importlib.util.find_spec("ml_dtypes") is None:
        unavailable("ml_dtypes is not installed (pip install ml_dtypes)", "FASTDROP_REQUIRE_INTEROP")
    import ml_dtypes

    return np.dtype(ml_dtypes.bfloat16)


def bits(a):
    return np.ascontiguousarray(a).view(np.uint16)


def from_bits(b, dtype):
    return np.asarray(b, dtype=np.uint16).view(dtype)


def f32(u):
    return np.asarray(u, dtype=np.uint32).view(np.float32)


def special_f32():
    """float32 bit patterns where rounding to bfloat16 is delicate."""
    rng = np.random.default_rng(16)
    tops = rng.integers(0, 1 << 16, 4000, dtype=np.uint32) << np.uint32(16)
    parts = [
        rng.integers(0, 1 << 32, 100_000, dtype=np.uint64).astype(np.uint32),  # any bits
        tops | 0x8000, tops | 0x7FFF, tops | 0x8001,  # ties, and just below and above
        rng.integers(0, 1 << 23, 4000, dtype=np.uint32),  # float32 subnormals
        np.array([0, 0x80000000, 0x00008000, 0x00018000, 0x00007FFF, 0x007F8000, 0x007FFFFF,
                  0x7F7F7FFF, 0x7F7F8000, 0x7F7FFFFF, 0xFF7F8000, 0x3F808000, 0x3F818000,
                  0x7F800000, 0xFF800000,  # infinities
                  0x7F800001, 0x7FC00000, 0xFFC00001, 0x7FBFFFFF, 0xFF80FFFF, 0x7FFFFFFF],
                 dtype=np.uint32),
    ]
    return np.concatenate(parts)


def test_reference_rounding_agrees_with_ml_dtypes(bf16):
    u = special_f32()
    v = f32(u)
    ours = ref.f32_to_bf16(v)
    with np.errstate(all="ignore"):
        theirs = bits(v.astype(bf16))
    nan = np.isnan(v)
    assert nan.sum() >= 6 and np.isinf(v).sum() >= 2
    np.testing.assert_array_equal(ours[~nan], theirs[~nan])
    # NaN: ml_dtypes gives a canonical quiet NaN of the sign; SPEC.md keeps the payload's top
    # bits and sets the quiet bit: (f >> 16) | 0x0040
    np.testing.assert_array_equal(ours[nan] >> 15, theirs[nan] >> 15)
    assert ((theirs[nan] & 0x7FFF) > 0x7F80).all()
    np.testing.assert_array_equal(ours[nan], (u[nan] >> 16).astype(np.uint16) | 0x0040)
    # ties go to even, in both directions, and the largest values round up to infinity
    np.testing.assert_array_equal(ref.f32_to_bf16(f32([0x3F808000, 0x3F818000, 0x7F7F8000,
                                                       0x00008000, 0x00018000])),
                                  [0x3F80, 0x3F82, 0x7F80, 0x0000, 0x0002])


def test_reference_widening_is_exact(bf16):
    every = np.arange(1 << 16, dtype=np.uint16)
    wide = ref.bf16_to_f32(every)
    np.testing.assert_array_equal(wide.view(np.uint32), every.astype(np.uint32) << 16)
    finite = ~np.isnan(wide)
    np.testing.assert_array_equal(wide[finite], from_bits(every, bf16).astype(np.float32)[finite])
    np.testing.assert_array_equal(ref.f32_to_bf16(wide)[finite], every[finite])  # round trip


def sample(n, dtype, seed=0):
    """bfloat16 values of every magnitude, with NaN, inf, -0, subnormals and near-max values."""
    rng = np.random.default_rng(seed)
    b = rng.integers(0, 1 << 16, n, dtype=np.uint32).astype(np.uint16)
    fixed = np.array([0x7F80, 0xFF80, 0x7FC0, 0xFF81, 0x7F81, 0x8000, 0x0001, 0x807F,
                      0x7F7F, 0xFF7F, 0x3F80, 0x0080], dtype=np.uint16)
    b[: min(n, fixed.size)] = fixed[: min(n, fixed.size)]
    return from_bits(b, dtype)


def no_nan(n, dtype, seed):
    """As `sample`, NaNs replaced by 1 (where an accumulation adds into them, which NaN
    results is not specified)."""
    b = bits(sample(n, dtype, seed)).copy()
    b[(b & 0x7FFF) > 0x7F80] = 0x3F80
    return from_bits(b, dtype)


def assert_same(got, want, dtype):
    assert got.dtype == dtype and want.dtype == dtype and got.shape == want.shape
    np.testing.assert_array_equal(bits(got), bits(want))


SIZES = [0, 1, 15, 17, 63, 64, 65, 2047, 2049, 5003]
P_VALUES = [0.0, 0.1, 0.5, 1 / 3, 1.0]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("scaling", ["inverted", "classic"])
def test_forward_every_kernel(isa, bf16, n, scaling):
    x = sample(n, bf16, seed=n)
    for p in P_VALUES:
        offset = 7 * n + 3
        y, mask = fastdrop.dropout_forward(x, p, seed=SEED, offset=offset, scaling=scaling)
        want = ref.dropout(x, p, seed=SEED, offset=offset, scaling=scaling)
        assert_same(y, want, bf16)
        np.testing.assert_array_equal(mask.to_bool(), ref.keep_mask(SEED, offset, p, n))
        assert_same(fastdrop.dropout(x, p, seed=SEED, offset=offset, scaling=scaling), want, bf16)


def test_every_bit_pattern_every_kernel(isa, bf16):
    x = from_bits(np.arange(1 << 16, dtype=np.uint32).astype(np.uint16), bf16)
    for p in [0.0, 0.1, 1 / 3, 0.7, 0.999]:
        assert_same(fastdrop.dropout(x, p, seed=12, offset=5), ref.dropout(x, p, seed=12, offset=5),
                    bf16)


def test_special_values(isa, bf16):
    """Dropped: +0.0 whatever x holds; kept: a product, so a signalling NaN comes out quiet,
    subnormals stay, and the largest values overflow to infinity."""
    x = from_bits(np.tile(np.array([0x7F81, 0xFFA0, 0x0001, 0x807F, 0x7F7F, 0xFF7F, 0x8000,
                                    0x7F80], np.uint16), 500), bf16)
    y, mask = fastdrop.dropout_forward(x, 0.5, seed=4)  # scale 2
    keep = mask.to_bool()
    assert 0 < keep.sum() < x.size
    assert (bits(y)[~keep] == 0).all()
    want = np.tile(np.array([0x7FC1, 0xFFE0, 0x0002, 0x80FE, 0x7F80, 0xFF80, 0x8000, 0x7F80],
                            np.uint16), 500)
    np.testing.assert_array_equal(bits(y)[keep], want[keep])
    classic = fastdrop.dropout(x, 0.5, seed=4, scaling="classic")  # a copy: every bit kept
    np.testing.assert_array_equal(bits(classic)[keep], bits(x)[keep])


@pytest.mark.parametrize("store", ["bits", "seed"])
@pytest.mark.parametrize("scaling", ["inverted", "classic"])
def test_backward_and_accumulate_every_kernel(isa, bf16, store, scaling):
    for n in [1, 64, 2049, 5003]:
        _, mask = fastdrop.dropout_forward(np.zeros(n, bf16), 0.3, seed=9, offset=n,
                                           scaling=scaling, store=store)
        keep = mask.to_bool()
        grad = sample(n, bf16, seed=n + 1)
        assert_same(fastdrop.dropout_backward(grad, mask),
                    ref.dropout_backward(grad, keep, 0.3, scaling), bf16)
        grad, start = no_nan(n, bf16, n + 2), no_nan(n, bf16, n + 3)
        out = start.copy()
        got = fastdrop.dropout_backward(grad, mask, out=out, accumulate=True)
        assert got is out
        assert_same(out, ref.dropout_backward(grad, keep, 0.3, scaling, out=start), bf16)


def test_accumulate_overflow_and_dropped_bits(isa, bf16):
    """Kept: round(out + round_f32(grad * scale)); unlike float16's, a bfloat16 product can
    overflow float32 (the two share their exponent range), and then adds as infinity;
    dropped elements of out keep their bits (a signalling NaN too)."""
    n = 4096
    _, mask = fastdrop.dropout_forward(np.zeros(n, bf16), 0.5, seed=2)
    keep = mask.to_bool()
    grad = from_bits(np.tile(np.array([0x7F7F, 0x7F7F, 0x7F7F, 0x3F80], np.uint16), n // 4), bf16)
    start = from_bits(np.tile(np.array([0xFF7F, 0x7F81, 0x0001, 0x3B80], np.uint16), n // 4), bf16)
    out = start.copy()
    fastdrop.dropout_backward(grad, mask, out=out, accumulate=True)
    b = bits(out)
    # 2 * max is inf in float32: -max + inf = inf, a signalling NaN + inf its quiet NaN,
    # tiny + inf = inf; 2 + 2**-8 is below half a bfloat16 step above 2: 2
    want = np.tile(np.array([0x7F80, 0x7FC1, 0x7F80, 0x4000], np.uint16), n // 4)
    np.testing.assert_array_equal(b[keep], want[keep])
    np.testing.assert_array_equal(b[~keep], bits(start)[~keep])


def test_in_place_layouts_and_offsets(isa, bf16):
    x = sample(6001, bf16, seed=5)
    for a, b in [(0, 6001), (3, 3000), (2047, 2049), (5, 6001)]:
        want = ref.dropout(x[a:b], 0.4, seed=77, offset=a)
        y = x[a:b].copy()
        assert fastdrop.dropout(y, 0.4, seed=77, offset=a, out=y) is y
        assert_same(y, want, bf16)
    grid = x[:6000].reshape(60, 100)
    want = ref.dropout(grid, 0.25, seed=8, offset=2**40 + 1)
    buf = np.zeros(12001, bf16)
    for view in [np.asfortranarray(grid), grid[:, ::-1][:, ::-1], buf[1::2].reshape(60, 100)]:
        view[...] = grid
        before = bits(view).copy()
        assert_same(fastdrop.dropout(view, 0.25, seed=8, offset=2**40 + 1), want, bf16)
        np.testing.assert_array_equal(bits(view), before)


def test_inference(bf16):
    x = sample(3000, bf16, seed=6)
    for p in [0.0, 0.3, 1.0]:
        assert_same(fastdrop.dropout(x, p, training=False), x, bf16)
        got = fastdrop.dropout(x, p, training=False, scaling="classic")
        assert_same(got, ref.dropout(x, p, seed=0, training=False, scaling="classic"), bf16)


def test_generator_mask_layer_and_noise_shape(bf16):
    x = sample(4 * 300, bf16, seed=7).reshape(4, 300)
    g = fastdrop.Generator(21)
    y1, m1 = g.dropout_forward(x, 0.5)
    y2 = g.dropout(x, 0.5)
    assert_same(y1, ref.dropout(x, 0.5, seed=21, offset=0), bf16)
    assert_same(y2, ref.dropout(x, 0.5, seed=21, offset=x.size), bf16)
    regenerated = fastdrop.Mask(x.shape, 0.5, seed=21, offset=0)
    grad = no_nan(x.size, bf16, 8).reshape(x.shape)
    assert_same(fastdrop.dropout_backward(grad, regenerated), fastdrop.dropout_backward(grad, m1),
                bf16)
    layer = fastdrop.Dropout(0.2, seed=3)
    y = layer(x)
    assert y.dtype == bf16
    dx = layer.backward(grad)
    assert_same(dx, ref.dropout_backward(grad, ref.keep_mask(layer.generator.seed, 0, 0.2, x.size),
                                         0.2), bf16)
    layer.eval()
    assert_same(layer(x), x, bf16)
    # a noise shape: one bit per column, broadcast over the rows
    y, mask = fastdrop.dropout_forward(x, 0.5, seed=5, noise_shape=(1, 300))
    keep = np.broadcast_to(ref.keep_mask(5, 0, 0.5, 300), x.shape)
    assert_same(y, ref.apply(x, keep, 2.0), bf16)
    assert_same(fastdrop.dropout_backward(grad, mask), ref.apply(grad, keep, 2.0), bf16)


def test_errors_and_variants_that_refuse_bfloat16(bf16):
    x = sample(2 * 3 * 4 * 4, bf16, seed=9).reshape(2, 3, 4, 4)
    with pytest.raises(TypeError, match="out must have dtype bfloat16"):
        fastdrop.dropout(x, 0.5, seed=1, out=np.zeros(x.shape, np.float16))
    with pytest.raises(TypeError, match="out must have dtype bfloat16"):
        fastdrop.dropout(x, 0.5, seed=1, out=np.zeros(x.shape, "V2"))
    with pytest.raises(TypeError, match="out must have dtype float16"):
        fastdrop.dropout(np.zeros(x.shape, np.float16), 0.5, seed=1, out=np.zeros_like(x))
    _, mask = fastdrop.dropout_forward(x, 0.5, seed=1)
    with pytest.raises(TypeError, match="out must have dtype bfloat16"):
        fastdrop.dropout_backward(x, mask, out=np.zeros(x.shape, np.float32), accumulate=True)
    refused = [
        ("x", lambda: fastdrop.drop_block(x, 0.1, block_size=2, seed=1)),
        ("x", lambda: fastdrop.DropBlock(0.1, block_size=2, seed=1)(x)),
        ("x", lambda: fastdrop.gaussian_dropout(x, 0.5, seed=1)),
        ("x", lambda: fastdrop.gaussian_dropout_forward(x, 0.5, seed=1)),
        ("x", lambda: fastdrop.GaussianDropout(0.5, seed=1)(x)),
        ("x", lambda: fastdrop.variational_dropout(x, np.zeros(x.shape, np.float32), seed=1)),
    ]
    for name, call in refused:
        with pytest.raises(TypeError, match=f"{name} must .*got bfloat16"):
            call()


def read_known_answers():
    lines = [ln for ln in (ROOT / "tests" / "data" / "bfloat16-testset.csv").read_text().splitlines()
             if not ln.startswith("#")]
    seed, offset, p = (ln.split(", ")[1] for ln in lines[:3])
    columns = lines[3].split(", ")
    table = np.array([[int(v, 16) for v in ln.split(", ")[1:]] for ln in lines[4:]], np.uint16)
    return int(seed, 16), int(offset), float(p), dict(zip(columns[1:], table.T))


def test_known_answers_every_kernel(isa, bf16):
    """tests/data/bfloat16-testset.csv, written from the scalar kernels by
    src_c/tools/fd_gen_test_vectors.c: the reference and every kernel reproduce it."""
    seed, offset, p, col = read_known_answers()
    assert len(col["x"]) == 1000 and p == 0.3
    x, start = from_bits(col["x"], bf16), from_bits(col["out"], bf16)
    keep = ref.keep_mask(seed, offset, p, x.size)
    assert 0 < keep.sum() < x.size
    for scaling in ("inverted", "classic"):
        want, want_acc = col[scaling], col[f"{scaling}_accumulate"]
        np.testing.assert_array_equal(bits(ref.dropout(x, p, seed=seed, offset=offset,
                                                       scaling=scaling)), want)
        np.testing.assert_array_equal(bits(ref.dropout_backward(x, keep, p, scaling, out=start)),
                                      want_acc)
        y, mask = fastdrop.dropout_forward(x, p, seed=seed, offset=offset, scaling=scaling)
        np.testing.assert_array_equal(bits(y), want)
        out = start.copy()
        fastdrop.dropout_backward(x, mask, out=out, accumulate=True)
        np.testing.assert_array_equal(bits(out), want_acc)


def test_threads_split_gives_the_same_bits(isa, bf16):
    """A call large enough to split over threads (fd_parallel.h) equals the reference."""
    x = sample(300_001, bf16, seed=10)
    try:
        fastdrop.set_num_threads(2)
        y = fastdrop.dropout(x, 0.3, seed=31, offset=999)
    finally:
        fastdrop.set_num_threads(None)  # OpenMP's default again
    assert_same(y, ref.dropout(x, 0.3, seed=31, offset=999), bf16)


def test_variants_through_the_core_every_kernel(isa, bf16):
    """spatial_dropout, drop_path, mc_dropout, alpha_dropout and feature_alpha_dropout (and
    their layers) against the variants' reference (SPEC.md section 10)."""
    from fastdrop import _reference_variants as rv

    x = sample(3 * 4 * 5 * 6, bf16, seed=11).reshape(3, 4, 5, 6)
    grad = no_nan(x.size, bf16, 12).reshape(x.shape)
    y, mask = fastdrop.spatial_dropout(x, 0.4, seed=6, offset=3, return_mask=True)
    assert_same(y, rv.dropout(x, 0.4, seed=6, offset=3, nshape=(3, 4, 1, 1)), bf16)
    assert_same(fastdrop.dropout_backward(grad, mask),
                rv.backward(grad, 6, 3, 0.4, (3, 4, 1, 1)), bf16)
    y = fastdrop.spatial_dropout(x, 0.4, seed=6, data_format="channels_last")
    assert_same(y, rv.dropout(x, 0.4, seed=6, nshape=(3, 1, 1, 6)), bf16)
    for scale_by_keep, scaling in ((True, "inverted"), (False, "classic")):
        y = fastdrop.drop_path(x, 0.5, seed=2, scale_by_keep=scale_by_keep)
        assert_same(y, rv.dropout(x, 0.5, seed=2, nshape=(3, 1, 1, 1), scaling=scaling), bf16)
    samples = fastdrop.mc_dropout(x, 0.3, 3, seed=4, offset=1)
    assert samples.dtype == bf16 and samples.shape == (3,) + x.shape
    for t in range(3):
        assert_same(samples[t], ref.dropout(x, 0.3, seed=4, offset=1 + t * x.size), bf16)
    for p in (0.0, 0.2, 1.0):
        y, mask = fastdrop.alpha_dropout(x, p, seed=8, return_mask=True)
        assert_same(y, rv.alpha_dropout(x, p, seed=8), bf16)
        assert_same(fastdrop.alpha_dropout_backward(grad, mask),
                    rv.alpha_backward(grad, 8, 0, p, x.shape), bf16)
    y = fastdrop.feature_alpha_dropout(x, 0.3, seed=9)
    assert_same(y, rv.alpha_dropout(x, 0.3, seed=9, nshape=(3, 4, 1, 1)), bf16)
    for layer in (fastdrop.SpatialDropout(0.3, seed=1), fastdrop.DropPath(0.3, seed=1),
                  fastdrop.AlphaDropout(0.3, seed=1)):
        assert layer(x).dtype == bf16 and layer.backward(grad).dtype == bf16
        assert_same(layer.eval()(x), x, bf16)


def test_dropout_add_every_kernel(isa, bf16):
    """dropout_add with and without a bias (periodic and not), in place, and its
    backward, against the variants' reference (SPEC.md 10.4), across the C walk's chunks."""
    from fastdrop import _reference_variants as rv

    x = sample(9 * 2050, bf16, seed=21).reshape(9, 2050)
    r = sample(x.size, bf16, seed=22).reshape(x.shape)
    # a NaN bias over a NaN x may give either NaN (SPEC.md 6): the biases have none
    for bias in (None, no_nan(2050, bf16, 23), no_nan(9, bf16, 24).reshape(9, 1)):
        for p in (0.0, 0.3, 1.0):
            y, mask = fastdrop.dropout_add(x, r, p, bias=bias, seed=5, offset=2)
            assert_same(y, rv.dropout_add(x, r, p, seed=5, offset=2, bias=bias), bf16)
    r2 = r.copy()
    fastdrop.dropout_add(x, r2, 0.3, seed=5, out=r2)
    assert_same(r2, rv.dropout_add(x, r, 0.3, seed=5), bf16)
    grad = no_nan(x.size, bf16, 25).reshape(x.shape)
    _, mask = fastdrop.dropout_add(x, r, 0.3, seed=5)
    dx, db, dr = fastdrop.dropout_add_backward(grad, mask)
    assert_same(dx, rv.backward(grad, 5, 0, 0.3, x.shape), bf16)
    assert db is None
    assert_same(dr, grad, bf16)

"""SPEC.md sections 1, 6 and 7, statement by statement, on every kernel and the reference.

Each test states the rule it checks and, where another reading of the rule
would give other bits (one correctly rounded quotient instead of two
binary64 operations, a fused multiply-add, a float16 sum), picks inputs on
which the readings differ and asserts that they do, so the test can tell
them apart. The kernels run through the public functions (the `isa`
fixture selects each); the reference is ``fastdrop._reference``.
"""

import platform
from fractions import Fraction

import numpy as np
import pytest

import fastdrop
from fastdrop import _core
from fastdrop import _reference as ref

FLOATS = [np.float16, np.float32, np.float64]
UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}
X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")
# SPEC.md 6, Arithmetic: the default NaN of x86-64, per dtype.
DEFAULT_NAN = {np.float16: 0xFE00, np.float32: 0xFFC00000, np.float64: 0xFFF8000000000000}
QUIET = {np.float16: 0x0200, np.float32: 0x00400000, np.float64: 0x0008000000000000}
N, OFFSET = 100, 5  # a partial first step, whole steps and a tail in every kernel


def bits(a):
    a = np.asarray(a)
    return a.view(UINT[a.dtype.itemsize])


def from_bits(values, dtype):
    return np.array(values, dtype=UINT[np.dtype(dtype).itemsize]).view(dtype)


def compute(dtype):
    """The compute type C of SPEC.md 6."""
    return np.float32 if dtype == np.float16 else dtype


def assert_same_bits(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(bits(got), bits(want))


def round_exact(value: Fraction, dtype):
    """value rounded once, to nearest even, to float32 or float64 (normal range)."""
    if dtype == np.float64:
        return np.float64(float(value))  # int / int is correctly rounded
    c = np.float32(float(value))  # within one float32 step of the answer
    near = [np.nextafter(c, np.float32(-np.inf)), c, np.nextafter(c, np.float32(np.inf))]
    return min(near, key=lambda v: (abs(Fraction(float(v)) - value), int(bits(v)) & 1))


def forward(x, p, scaling="inverted", store="bits"):
    """(y, keep) from the kernels, and the reference's y beside it."""
    y, mask = fastdrop.dropout_forward(x, p, seed=3, offset=OFFSET, scaling=scaling,
                                       store=store)
    assert_same_bits(y, ref.dropout(x, p, seed=3, offset=OFFSET, scaling=scaling))
    return y, mask


def accumulate(grad, out, p, scaling, store):
    """out after a backward with accumulation (kernels); checked against the reference."""
    _, mask = fastdrop.dropout_forward(np.zeros(grad.shape, grad.dtype), p, seed=3,
                                       offset=OFFSET, scaling=scaling, store=store)
    got = out.copy()
    fastdrop.dropout_backward(grad, mask, out=got, accumulate=True)
    want = ref.dropout_backward(grad, mask.to_bool(), p, scaling, out=out)
    assert_same_bits(got, want)
    return got, mask.to_bool()


# ===   SPEC.md 1: inputs   ===

def test_offset_two_to_the_64_takes_an_empty_array_only(isa):
    x = np.ones(0, np.float32)
    y, mask = fastdrop.dropout_forward(x, 0.5, seed=1, offset=2**64)
    assert y.shape == (0,) and mask.offset == 2**64
    assert ref.dropout(x, 0.5, seed=1, offset=2**64).shape == (0,)
    last = fastdrop.dropout(np.ones(1, np.float32), 0.5, seed=1, offset=2**64 - 1)
    assert_same_bits(last, ref.dropout(np.ones(1, np.float32), 0.5, seed=1, offset=2**64 - 1))


@pytest.mark.parametrize("offset, n", [(2**64, 1), (2**64 - 1, 2), (2**64 - 2047, 4096)])
def test_offset_plus_n_beyond_two_to_the_64_is_an_error_and_writes_nothing(isa, offset, n):
    x = np.ones(n, np.float32)
    out = np.full(n, 7.0, np.float32)
    for call in (lambda: fastdrop.dropout(x, 0.5, seed=1, offset=offset, out=out),
                 lambda: fastdrop.dropout_forward(x, 0.5, seed=1, offset=offset, out=out),
                 lambda: ref.dropout(x, 0.5, seed=1, offset=offset)):
        with pytest.raises(ValueError, match="offset"):
            call()
    assert (out == 7.0).all()


def test_p_is_rounded_once_to_binary64():
    tie = Fraction(2**53 + 1, 2**54)  # halfway between 0.5 and the next binary64
    above = Fraction(2**53 + 3, 2**54)  # halfway between two; the even one is above
    assert float(tie) == 0.5 and float(above) == 0.5 + 2**-52
    x = np.ones(50, np.float32)
    for p in (tie, above):
        y, mask = fastdrop.dropout_forward(x, p, seed=1)
        assert mask.p == float(p)
        assert_same_bits(y, fastdrop.dropout(x, float(p), seed=1))


@pytest.mark.parametrize("store", ["bits", "seed"])
def test_noise_array_of_backward_is_grad_in_c_order(isa, store):
    """grad (another dtype, Fortran order) gets the forward's keep bit k at C-order index k."""
    x = np.ones((3, 50), np.float32)
    _, mask = fastdrop.dropout_forward(x, 0.4, seed=11, offset=7, store=store)
    keep = ref.keep_mask(11, 7, 0.4, x.size).reshape(x.shape)
    grad = np.asfortranarray(np.arange(150, dtype=np.float64).reshape(3, 50) - 70)
    dx = fastdrop.dropout_backward(grad, mask)
    assert_same_bits(dx, np.where(keep, grad * (1.0 / (1.0 - 0.4)), 0.0))
    assert_same_bits(dx, ref.dropout_backward(grad, keep, 0.4))


# ===   SPEC.md 4, as README states it: the clamp of T   ===

@pytest.mark.parametrize("p, t", [(1 - 2**-32, 1), (1 - 2**-33, 1), (1 - 2**-53, 1),
                                  (2**-33, 2**32 - 1), (2**-32, 2**32 - 1), (5e-324, 2**32 - 1)])
def test_threshold_is_clamped_for_p_strictly_between_0_and_1(p, t):
    assert _core.threshold(p) == ref.threshold(p) == t


# ===   SPEC.md 6: training   ===

# p where fl(fl64(1 / fl64(1 - p))) differs from 1 / (1 - p) rounded once to C.
P_SCALE = {np.float32: float.fromhex("0x1.03ffbdfc1ffd8p-18"), np.float64: 0.06718212205620061}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scale_is_two_binary64_operations_then_rounded_to_the_compute_type(isa, dtype):
    p = P_SCALE[dtype]
    scale = dtype(1.0 / (1.0 - p))  # Python floats are binary64
    assert scale != round_exact(1 / (1 - Fraction(p)), dtype)  # the readings differ here
    x = np.ones(N, dtype)
    y, mask = forward(x, p)
    keep = mask.to_bool()
    assert keep.any()
    assert_same_bits(y, np.where(keep, scale, dtype(0)))
    assert_same_bits(fastdrop.dropout_backward(x, mask), y)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.9, 1 - 2**-20])
def test_kept_elements_are_one_product_rounded_to_the_compute_type(isa, dtype, p):
    rng = np.random.default_rng(5)
    c = compute(dtype)
    with np.errstate(over="ignore"):  # float16 overflows to infinity, as specified
        x = (rng.standard_normal(N) * 2.0 ** rng.integers(-20, 20, N)).astype(dtype)
        want = (x.astype(c) * c(1.0 / (1.0 - p))).astype(dtype)  # one C product, one rounding
    y, mask = forward(x, p)
    keep = mask.to_bool()
    assert_same_bits(y, np.where(keep, want, dtype(0)))


@pytest.mark.parametrize("store", ["bits", "seed"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_accumulate_rounds_the_product_then_the_sum_without_fma(isa, dtype, store):
    """out = fl(out + fl(grad * scale)); float16: both in float32, then one rounding."""
    p, c = 0.1, compute(dtype)
    scale = c(1.0 / (1.0 - p))
    rng = np.random.default_rng(8)
    grad = (rng.uniform(1, 2, N) * 2.0 ** rng.integers(-4, 4, N)).astype(dtype)
    product = grad.astype(c) * scale  # rounded to C
    out = (-product).astype(dtype)  # cancels the rounded product (in C)
    got, keep = accumulate(grad, out, p, "inverted", store)
    want = (out.astype(c) + product).astype(dtype)
    assert_same_bits(got, np.where(keep, want, out))
    assert keep.sum() > N // 2
    if dtype == np.float16:
        # a float16 sum of the float16-rounded product would cancel exactly
        alternative = out + product.astype(np.float16)
    else:
        # a fused multiply-add rounds once: out + grad * scale, exactly
        alternative = np.array([round_exact(Fraction(float(o)) + Fraction(float(g))
                                            * Fraction(float(scale)), dtype)
                                for o, g in zip(out, grad)], dtype)
    assert (bits(alternative) != bits(want))[keep].any()


@pytest.mark.parametrize("dtype", FLOATS)
def test_classic_accumulate_is_one_rounded_sum_to_nearest_even(isa, dtype):
    """Ties go to the even neighbour, subnormals add as numbers."""
    eps = float(np.finfo(dtype).eps)
    tiny = float(np.finfo(dtype).smallest_subnormal)
    out = np.array([1.0, 1.0 + eps, 2 * tiny, 0.0] * (N // 4), dtype)
    grad = np.array([eps / 2, eps / 2, tiny, tiny] * (N // 4), dtype)
    got, keep = accumulate(grad, out, 0.0, "classic", "bits")
    assert keep.all()
    assert_same_bits(got, np.array([1.0, 1.0 + 2 * eps, 3 * tiny, tiny] * (N // 4), dtype))


@pytest.mark.parametrize("dtype", FLOATS)
def test_subnormals_are_neither_read_as_zero_nor_flushed(isa, dtype):
    tiny = float(np.finfo(dtype).smallest_subnormal)
    x = np.array([tiny, 3 * tiny, -5 * tiny, 100 * tiny] * (N // 4), dtype)
    y, mask = forward(x, 0.5)  # scale 2: exact
    keep = mask.to_bool()
    assert keep.any()
    assert_same_bits(y, np.where(keep, (2 * x.astype(np.float64)).astype(dtype), dtype(0)))


@pytest.mark.parametrize("dtype", FLOATS)
def test_dropped_elements_are_plus_zero_and_dropped_out_keeps_its_bits(isa, dtype):
    specials = from_bits([DEFAULT_NAN[dtype], QUIET[dtype] >> 1 | bits(dtype(np.inf)),
                          bits(dtype(-np.inf)), bits(dtype(-0.0))], dtype)
    x = np.tile(specials, N // 4)
    y, mask = forward(x, 0.5)
    keep = mask.to_bool()
    assert not keep.all() and keep.any()
    assert (bits(y)[~keep] == 0).all()
    snan_out = np.tile(from_bits([QUIET[dtype] >> 1 | bits(dtype(np.inf))], dtype), N)
    got, keep = accumulate(np.ones(N, dtype), snan_out, 0.5, "inverted", "bits")
    assert_same_bits(got[~keep], snan_out[~keep])  # a signalling NaN stays as it was


@pytest.mark.parametrize("dtype", FLOATS)
def test_kept_nans_keep_sign_and_payload_products_quiet_them_copies_do_not(isa, dtype):
    inf = int(bits(dtype(np.inf)))
    sign = inf ^ int(bits(dtype(-np.inf)))
    nans = [inf | 1, sign | inf | 0x35, inf | QUIET[dtype] | 3, sign | inf | QUIET[dtype]]
    x = np.tile(from_bits(nans, dtype), N // 4)
    quieted = np.tile(from_bits([v | QUIET[dtype] for v in nans], dtype), N // 4)
    for p in (0.0, 0.5):
        y, mask = forward(x, p)  # inverted: a product, even at p = 0
        keep = mask.to_bool()
        assert_same_bits(y, np.where(keep, quieted, dtype(0)))
        y, mask = forward(x, p, scaling="classic")  # a copy
        assert_same_bits(y, np.where(mask.to_bool(), x, dtype(0)))
    # accumulation: the one NaN operand comes out quieted, from out or from grad
    got, keep = accumulate(np.ones(N, dtype), x, 0.0, "inverted", "seed")
    assert_same_bits(got, quieted)
    got, keep = accumulate(x, np.ones(N, dtype), 0.0, "classic", "seed")
    assert_same_bits(got, quieted)


@pytest.mark.parametrize("scaling", ["inverted", "classic"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_accumulating_opposite_infinities_gives_the_default_nan(isa, dtype, scaling):
    big = np.finfo(dtype).max
    grad = np.array([-np.inf, np.inf, -big, 1.0] * (N // 4), dtype)
    out = np.array([np.inf, -np.inf, np.inf, 1.0] * (N // 4), dtype)
    got, keep = accumulate(grad, out, 0.5, scaling, "bits")
    created = np.isnan(got) & keep
    # -big * 2 overflows to -inf in the compute type: under inverted scaling,
    # and not for float16, whose product is a float32
    overflows = scaling == "inverted" and dtype != np.float16
    assert (created == (keep & np.tile([True, True, overflows, False], N // 4))).all()
    if X86:
        assert (bits(got)[created] == DEFAULT_NAN[dtype]).all()


# ===   SPEC.md 7: inference   ===

@pytest.mark.parametrize("dtype", FLOATS)
def test_inverted_inference_is_a_copy_of_every_bit(dtype):
    inf = int(bits(dtype(np.inf)))
    x = from_bits([inf | 1, inf | QUIET[dtype] | 5, bits(dtype(-0.0)), bits(dtype(1.5))], dtype)
    for got in (fastdrop.dropout(x, 0.3, seed=1, training=False),
                ref.dropout(x, 0.3, seed=1, training=False)):
        assert_same_bits(got, x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_classic_inference_rounds_1_minus_p_in_binary64_then_to_the_compute_type(dtype):
    c = compute(dtype)
    p = 2**-25 + 2**-60  # fl64(1 - p) = 1 - 2**-25, which float32 rounds (tie, even) to 1
    factor = c(1.0 - p)
    if c == np.float32:
        assert factor == 1.0 and round_exact(1 - Fraction(p), np.float32) == np.float32(1 - 2**-24)
    x = np.array([1.0, 3.0, -7.5, 1e-3] * 8, dtype)
    want = (x.astype(c) * factor).astype(dtype)
    for got in (fastdrop.dropout(x, p, seed=1, training=False, scaling="classic"),
                ref.dropout(x, p, seed=1, training=False, scaling="classic")):
        assert_same_bits(got, want)


@pytest.mark.parametrize("dtype", FLOATS)
def test_classic_inference_rounds_to_nearest_even_and_keeps_subnormals(dtype):
    eps = float(np.finfo(dtype).eps)
    normal, tiny = float(np.finfo(dtype).tiny), float(np.finfo(dtype).smallest_subnormal)
    # x * 0.75 for x = 1 + 3 eps is 0.75 + 4.5 ulps: the tie goes to 4 ulps (even)
    cases = [(0.25, 1 + 3 * eps, 0.75 + 2 * eps), (0.5, normal, normal / 2),
             (0.5, 3 * tiny, 2 * tiny), (0.5, 5 * tiny, 2 * tiny)]
    for p, x, y in cases:
        x = np.full(4, x, dtype)
        for got in (fastdrop.dropout(x, p, seed=1, training=False, scaling="classic"),
                    ref.dropout(x, p, seed=1, training=False, scaling="classic")):
            assert_same_bits(got, np.full(4, y, dtype))


@pytest.mark.parametrize("dtype", FLOATS)
def test_classic_inference_at_p_1_multiplies_by_zero(dtype):
    inf = int(bits(dtype(np.inf)))
    payload = inf | QUIET[dtype] | 9
    x = np.concatenate([np.array([np.inf, -np.inf, -3.0, 3.0, 0.0, -0.0], dtype),
                        from_bits([payload], dtype)])
    want_finite = np.array([-0.0, 0.0, 0.0, -0.0], dtype)  # the signs of x * +0
    for got in (fastdrop.dropout(x, 1.0, seed=1, training=False, scaling="classic"),
                ref.dropout(x, 1.0, seed=1, training=False, scaling="classic")):
        assert np.isnan(got[:2]).all()
        if X86:
            assert (bits(got[:2]) == DEFAULT_NAN[dtype]).all()
        assert_same_bits(got[2:6], want_finite)
        assert int(bits(got[6])) == payload  # a NaN operand: its own NaN, quiet

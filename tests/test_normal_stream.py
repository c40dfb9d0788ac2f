"""The normal stream fastdrop-normal-v1 (SPEC.md section 11): known answers,
bit-exact agreement of every kernel with the pure-NumPy reference, locked
digests, and its accuracy as a standard normal distribution."""

from pathlib import Path

import numpy as np
import pytest
from scipy import special, stats
from conftest import ISAS
from test_dispatch import run_python
from test_stability import data_digest, digest

import fastdrop
from fastdrop import _core, _reference
from fastdrop import _reference_gaussian as ref

DATA = Path(__file__).parent / "data" / "normal"
ROOT = Path(__file__).resolve().parent.parent

# NORMAL_SPEC -> SHA-256 of its known-answer files and of locked_call()'s outputs.
# A change to the stream's bits must come with a new NORMAL_SPEC and new digests;
# a released version's digests are never edited.
LOCKED = {
    "fastdrop-normal-v1": {
        "data": "c8ea1b0d817f95106acb87db5e34454d082150a9ce16c48d7c6d27d4f5d99abd",
        "float64": "020e1da58d7b6ae6ff15c233dd16e73eebcb92341440df56c7286946f953bcce",
        "float32": "cc6e15cd586f12d658afcc61290ea078c42cf503834908143930841e2cff7768",
    },
}
N_LOCK, SEED_LOCK, OFFSET_LOCK = 1_000_003, 2026, 2**40 + 7


def _rows(name):
    return [ln.split(", ") for ln in (DATA / name).read_text().splitlines()
            if not ln.startswith("#")]


def read_normals(name):
    rows = _rows(name)
    seed, offset = int(rows[0][1], 16), int(rows[1][1])
    bits = np.array([int(v, 16) for _, v in rows[2:]], dtype=np.uint64)
    return seed, offset, bits


def read_words():
    rows = _rows("words-testset.csv")
    h = np.array([int(a, 16) for a, _ in rows], dtype=np.uint64)
    z = np.array([int(b, 16) for _, b in rows], dtype=np.uint64)
    return h, z


def c_normals(seed, offset, n, dtype=np.float64):
    z = np.empty(n, dtype)
    _core.normals(_core.key(seed), offset, z)
    return z




def test_spec_name_is_the_same_everywhere():
    assert fastdrop.NORMAL_SPEC == "fastdrop-normal-v1"
    header = ROOT / "src_c" / "include" / "fastdrop" / "normal.h"
    if header.exists():
        assert f'#define FD_NORMAL_NAME "{fastdrop.NORMAL_SPEC}"' in header.read_text()
        assert f"`{fastdrop.NORMAL_SPEC}`" in (ROOT / "SPEC.md").read_text()


@pytest.mark.parametrize("name", ["normals-testset-1.csv", "normals-testset-2.csv"])
def test_known_answers_reference(name):
    seed, offset, bits = read_normals(name)
    assert len(bits) == 1000
    np.testing.assert_array_equal(ref.normals(seed, offset, 1000).view(np.uint64), bits)


@pytest.mark.parametrize("name", ["normals-testset-1.csv", "normals-testset-2.csv"])
def test_known_answers_every_kernel(isa, name):
    seed, offset, bits = read_normals(name)
    np.testing.assert_array_equal(c_normals(seed, offset, 1000).view(np.uint64), bits)
    np.testing.assert_array_equal(c_normals(seed, offset, 1000, np.float32),
                                  bits.view(np.float64).astype(np.float32))


@pytest.mark.parametrize("name", ISAS)
def test_known_answers_under_fastdrop_isa(name):
    """FASTDROP_ISA=name picks that kernel for the normal stream too, at import."""
    if not _core.isa_supported(ISAS.index(name)):
        pytest.skip(f"kernel '{name}' is not supported by this build or CPU")
    seed, offset, bits = read_normals("normals-testset-1.csv")
    code = ("import numpy as np, fastdrop; from fastdrop import _core\n"
            "print(fastdrop.simd_info()['active'])\n"
            f"z = np.empty(1000); _core.normals(_core.key({seed}), {offset}, z)\n"
            "print(z.view(np.uint64).tobytes().hex())")
    proc = run_python(code, FASTDROP_ISA=name)
    assert proc.returncode == 0, proc.stderr
    active, hexbits = proc.stdout.split()
    assert active == name
    assert np.frombuffer(bytes.fromhex(hexbits), np.uint64).tobytes() == bits.tobytes()


def test_known_answers_of_the_transform():
    """Chosen words: every region of SPEC.md 11.3 and its edges, both signs."""
    h, z = read_words()
    a = ref.magnitude(ref.tail_probability(h))
    np.testing.assert_array_equal(np.where(h >> np.uint64(63) != 0, -a, a).view(np.uint64), z)
    q = ref.tail_probability(h)
    r = np.sqrt(-ref.log_q(q))
    assert (q >= 0.075).any() and ((q < 0.075) & (r <= 5)).any() and (r > 5).any()


def _c_words(h):
    z = np.empty(h.size)
    _core._normal_words(np.ascontiguousarray(h, np.uint64), z)
    return z


def test_known_answers_of_the_transform_every_kernel(isa):
    h, z = read_words()
    np.testing.assert_array_equal(_c_words(h).view(np.uint64), z)


def test_transform_every_kernel_every_region(isa):
    """Words with q in every region, mixed in one vector (tail lanes beside
    central ones), against the reference."""
    rng = np.random.default_rng(17)
    m = np.concatenate([rng.integers(0, 2**52, 4000, dtype=np.uint64),
                        (2.0 ** rng.uniform(0, 52, 4000)).astype(np.uint64),
                        rng.integers(0, 125_091, 4000, dtype=np.uint64)])  # r > 5 below 125091
    rng.shuffle(m)
    h = m | (rng.integers(0, 2, m.size, dtype=np.uint64) << np.uint64(63))
    h |= rng.integers(0, 2**11, m.size, dtype=np.uint64) << np.uint64(52)  # unused bits
    a = ref.magnitude(ref.tail_probability(h))
    want = np.where(h >> np.uint64(63) != 0, -a, a)
    for n in (h.size, 7, 9, 15):
        np.testing.assert_array_equal(_c_words(h[:n]).view(np.uint64), want[:n].view(np.uint64))


def test_transform_every_kernel_at_vector_edges(isa):
    """Every count up to three steps of eight, from positions of every
    alignment: the vector steps (4 and 8 words on AVX2, 8 on AVX-512) and
    the scalar tail after them."""
    h, z = read_words()
    for start in (0, 1, 3, 5):
        for n in range(0, 25):
            got = _c_words(h[start:start + n])
            np.testing.assert_array_equal(got.view(np.uint64), z[start:start + n], (start, n))


def test_the_key_differs_from_the_mask_stream():
    """Normals and keep bits of one seed come from different keys (SPEC.md 11.1)."""
    for seed in (0, 1, 2**64 - 1):
        k = _reference.key(seed)
        assert ref.normal_key(seed) not in (k, _reference.refine_key(k))


SIZES = [0, 1, 7, 2047, 2048, 2049, 70001, 300_007]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_kernel_matches_the_reference(isa, dtype):
    for seed, offset in [(0, 0), (12345, 2047), (2**64 - 1, 2**64 - 300_007), (7, 2**40 - 5)]:
        for n in SIZES:
            if offset + n > 2**64:
                continue
            got = c_normals(seed, offset, n, dtype)
            want = ref.normals(seed, offset, n, dtype)
            assert got.tobytes() == want.tobytes(), (seed, offset, n)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_kernel_at_vector_edges(isa, dtype):
    """Counts 0..40 at offsets of every residue mod 8 (and near 2**64), each
    written one element into a larger buffer (so off the vector width's
    alignment), whose elements on either side must stay as they were."""
    for offset in (0, 1, 3, 4, 5, 7, 2049, 2**64 - 40):
        for n in range(0, 41):
            buf = np.full(n + 2, 7.0, dtype)
            _core.normals(_core.key(31), offset, buf[1:n + 1])
            want = ref.normals(31, offset, n, dtype)
            assert buf[1:n + 1].tobytes() == want.tobytes(), (offset, n)
            assert buf[0] == 7.0 and buf[-1] == 7.0, (offset, n)


def test_any_split_gives_the_same_bits():
    whole = c_normals(99, 10, 100_000)
    for a, b in [(0, 1), (1, 2049), (2049, 65536), (65536, 100_000)]:
        assert c_normals(99, 10 + a, b - a).tobytes() == whole[a:b].tobytes()


def test_thread_count_does_not_change_the_bits():
    before = fastdrop.get_num_threads()
    try:
        fastdrop.set_num_threads(1)
        one = c_normals(5, 3, 1_000_000)
        fastdrop.set_num_threads(2)
        two = c_normals(5, 3, 1_000_000)
    finally:
        fastdrop.set_num_threads(None if before is None else before)
    assert one.tobytes() == two.tobytes()


def test_range_errors():
    z = np.empty(10)
    with pytest.raises(ValueError, match="2\\*\\*64"):
        _core.normals(_core.key(0), 2**64 - 9, z)
    _core.normals(_core.key(0), 2**64 - 10, z)
    with pytest.raises(TypeError, match="z"):
        _core.normals(_core.key(0), 0, np.empty(10, np.float16))


def test_outputs_are_locked(isa):
    locked = LOCKED[fastdrop.NORMAL_SPEC]
    assert data_digest(DATA) == locked["data"]
    for dtype in (np.float64, np.float32):
        z = c_normals(SEED_LOCK, OFFSET_LOCK, N_LOCK, dtype)
        assert digest(z.tobytes()) == locked[np.dtype(dtype).name]


def test_transform_is_monotone_and_symmetric():
    """a(q) decreases along the q grid (across the region edges too), and the
    sign bit flips the variate exactly."""
    rng = np.random.default_rng(3)
    m = np.unique(np.concatenate([
        rng.integers(0, 2**52, 200_000, dtype=np.uint64),
        (2.0 ** rng.uniform(0, 52, 200_000)).astype(np.uint64),
        np.arange(0, 5000, dtype=np.uint64),
        np.arange(125_000, 125_200, dtype=np.uint64),  # r = 5
        np.arange(675_539_944_105_000, 675_539_944_106_000, dtype=np.uint64),  # q = 0.075
    ]))
    a = ref.magnitude(ref.tail_probability(m))
    assert (np.diff(a) <= 0).all()
    assert (a > 0).all()
    h = m | np.uint64(1 << 63)
    neg = ref.magnitude(ref.tail_probability(h))
    np.testing.assert_array_equal(neg, a)  # the sign bit does not enter q


def test_transform_accuracy_against_scipy():
    """Relative error of a(q) against scipy's ndtri on 10**6 grid points spread
    over every magnitude; SPEC.md 11.5 gives the mpmath figures (< 8e-16),
    ndtri itself is good to a few ulp, so 2e-15 bounds both."""
    rng = np.random.default_rng(11)
    m = np.concatenate([rng.integers(0, 2**52, 500_000, dtype=np.uint64),
                        (2.0 ** rng.uniform(0, 52, 500_000)).astype(np.uint64)])
    q = ref.tail_probability(m)
    a = ref.magnitude(q)
    exact = -special.ndtri(q)
    assert np.max(np.abs(a - exact) / exact) < 2e-15


@pytest.mark.parametrize("t", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
def test_tail_probabilities_exactly(t):
    """P(|Z| > t) of the stream's distribution, computed exactly from the grid:
    a(q) is monotone, so |Z| > t for the m below the first grid point with
    a(q) <= t; the count divided by 2**52 must equal 2 (1 - Phi(t)) to within
    one grid cell plus 1e-13 relative (the transform's error moves the edge)."""
    lo, hi = 0, 2**52 - 1  # a(q(lo)) > t >= a(q(hi))
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ref.magnitude(ref.tail_probability(np.array([mid], np.uint64)))[0] > t:
            lo = mid
        else:
            hi = mid
    prob = hi / 2.0**52
    exact = 2 * special.ndtr(-t)
    assert abs(prob - exact) <= 2.0**-52 + 1e-13 * exact


def test_no_variate_exceeds_the_largest_magnitude():
    top = ref.magnitude(ref.tail_probability(np.array([0], np.uint64)))[0]
    assert top.hex() == "0x1.095b059d67c4cp+3"  # 8.2924 sigma, SPEC.md 11.5


def _statistics(z):
    """KS p-value, the first four sample moments' z-scores, tail-count z-scores."""
    n = z.size
    ks = stats.kstest(z, special.ndtr)
    mean, var = z.mean(), z.var()
    skew, kurt = stats.skew(z), stats.kurtosis(z, fisher=False)
    # sampling standard deviations of the estimators under N(0, 1)
    scores = [mean / np.sqrt(1 / n), (var - 1) / np.sqrt(2 / n),
              skew / np.sqrt(6 / n), (kurt - 3) / np.sqrt(24 / n)]
    tails = []
    for t in range(1, 7):
        p = 2 * special.ndtr(-t)
        count = np.count_nonzero(np.abs(z) > t)
        tails.append((t, count, n * p, np.sqrt(n * p * (1 - p))))
    return ks.pvalue, scores, tails


def _check_statistics(z):
    pvalue, scores, tails = _statistics(z)
    assert pvalue > 1e-4, pvalue
    assert max(abs(s) for s in scores) < 5, scores
    for t, count, expect, sd in tails:
        if expect >= 10:
            assert abs(count - expect) < 5 * sd, (t, count, expect)
        else:  # 5 and 6 sigma in 10**7: Poisson with mean 5.7 and 0.02
            assert stats.poisson.sf(count - 1, expect) > 1e-4, (t, count, expect)


def test_statistics_quick(isa):
    """10**6 variates on every kernel: KS, moments, tails (the 10**7 run is slow)."""
    _check_statistics(c_normals(2024, 0, 1_000_000))


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_statistics_ten_million(isa, dtype):
    """KS over 10**7 variates, the first four moments and the tail counts
    beyond 1..6 sigma, per kernel, in both dtypes."""
    z = c_normals(2**63 + 17, 2**40, 10_000_000, dtype).astype(np.float64)
    _check_statistics(z)


def test_consecutive_variates_are_uncorrelated():
    z = c_normals(8, 0, 1_000_000)
    for lag in (1, 2, 8, 64, 2048):
        r = np.corrcoef(z[:-lag], z[lag:])[0, 1]
        assert abs(r) < 5 / np.sqrt(z.size), (lag, r)


def test_normals_are_independent_of_the_keep_bits():
    """Keep bits (p = 0.5) and normals of one seed: the mean of z over kept
    and dropped elements agrees within sampling error."""
    n = 1_000_000
    keep = _reference.keep_mask(77, 0, 0.5, n)
    z = c_normals(77, 0, n)
    diff = z[keep].mean() - z[~keep].mean()
    assert abs(diff) < 5 * np.sqrt(1 / keep.sum() + 1 / (~keep).sum())

"""The mask behaves like independent coins with keep probability 1 - p.

Seeds are fixed, so every test is deterministic; each threshold (alpha 1e-6
per test) is one that a correct generator passes almost surely. Tests that
take the `isa` fixture run once per kernel.
"""

import numpy as np
import pytest
from scipy import stats

import fastdrop

ALPHA = 1e-6
B = 2048  # elements per block


def keep_bits(n, p, seed, offset=0):
    """Keep mask (bool) of n elements through the active kernel."""
    return fastdrop.dropout_forward(np.zeros(n, np.float32), p, seed=seed, offset=offset)[1].to_bool()


def assert_independent(a, b, what):
    """2x2 chi-square test of independence between two boolean sequences."""
    table = np.array([[np.sum(~a & ~b), np.sum(~a & b)], [np.sum(a & ~b), np.sum(a & b)]])
    pvalue = stats.chi2_contingency(table, correction=False).pvalue
    assert pvalue > ALPHA, f"{what}: {table.tolist()}, p-value {pvalue:.3g}"


def assert_uniform_counts(counts, what):
    """Chi-square goodness of fit of counts to equal cells, both tails."""
    expected = counts.sum() / counts.size
    chi2 = ((counts - expected) ** 2 / expected).sum()
    df = counts.size - 1
    assert stats.chi2.sf(chi2, df) > ALPHA, f"{what}: chi2 {chi2:.1f}, df {df}"
    assert stats.chi2.cdf(chi2, df) > ALPHA, f"{what}: suspiciously even, chi2 {chi2:.1f}"


@pytest.mark.parametrize("p", [0.01, 0.1, 0.2, 0.5, 0.8, 0.99])
@pytest.mark.parametrize("seed", [0, 1, 2**63 + 5])
def test_keep_rate_binomial(isa, p, seed):
    n = 1_000_000
    kept = int(keep_bits(n, p, seed).sum())
    assert stats.binomtest(kept, n, 1 - p).pvalue > ALPHA


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.9])
def test_keep_rate_over_many_seeds(p):
    """Per-seed keep counts of 500 consecutive seeds: their z-scores are N(0, 1)."""
    n, q = 20_000, 1 - p
    z = [(keep_bits(n, p, seed).sum() - n * q) / np.sqrt(n * q * p) for seed in range(500)]
    chi2 = float(np.sum(np.square(z)))
    assert stats.chi2.sf(chi2, len(z)) > ALPHA and stats.chi2.cdf(chi2, len(z)) > ALPHA
    assert stats.kstest(z, "norm").pvalue > ALPHA


@pytest.mark.parametrize("p", [2.0**-32, 1 - 2.0**-32])
def test_extreme_p_is_not_degenerate(p):
    """0 < p < 1 never keeps or drops everything by construction (threshold clamp)."""
    t = fastdrop.Mask((1,), p, seed=0).threshold
    assert 1 <= t <= 2**32 - 1
    assert abs((t / 2**32) - (1 - p)) <= 2.0**-32


def test_keep_rate_per_position_in_block_is_uniform(isa):
    """Each of the 2048 positions (lane, step, half) keeps at rate 1 - p across blocks."""
    nblocks, q = 2000, 0.7
    per_pos = keep_bits(nblocks * B, 1 - q, seed=77).reshape(nblocks, B).sum(axis=0)
    chi2 = (((per_pos - nblocks * q) ** 2) / (nblocks * q * (1 - q))).sum()
    assert stats.chi2.sf(chi2, df=B) > ALPHA
    assert stats.chi2.cdf(chi2, df=B) > ALPHA  # not suspiciously uniform either


@pytest.mark.parametrize("lag", [1, 2, 3, 8, 15, 16, 17, 64, B - 1, B, B + 1])
def test_neighbours_are_independent(isa, lag):
    """Element e and e + lag, for lags inside a step, a block and across blocks."""
    keep = keep_bits(2_000_000, 0.3, seed=3)
    assert_independent(keep[:-lag], keep[lag:], f"lag {lag}")


def test_byte_patterns_are_uniform(isa):
    """Serial test: the 256 patterns of 8 consecutive keep bits at p = 0.5 are equally likely."""
    _, mask = fastdrop.dropout_forward(np.zeros(8 * 500_000, np.float32), 0.5, seed=11)
    assert_uniform_counts(np.bincount(mask.bits, minlength=256), "byte patterns")


def test_lanes_are_independent(isa):
    """Every pair of the eight lanes, and the two halves of a lane's output, at the same step."""
    nblocks = 1000
    keep = keep_bits(nblocks * B, 0.5, seed=21).reshape(nblocks, B // 16, 8, 2)  # block, step, lane, half
    for a in range(8):
        assert_independent(keep[:, :, a, 0].ravel(), keep[:, :, a, 1].ravel(), f"lane {a} halves")
        for b in range(a + 1, 8):
            assert_independent(keep[:, :, a, 0].ravel(), keep[:, :, b, 0].ravel(), f"lanes {a}, {b}")


def test_blocks_are_independent(isa):
    """Keep counts of consecutive blocks are uncorrelated, and so are block g and g + 2**k."""
    counts = keep_bits(4000 * B, 0.5, seed=5).reshape(4000, B).sum(axis=1).astype(float)
    for lag in (1, 2, 1024):
        r = stats.pearsonr(counts[:-lag], counts[lag:])
        assert r.pvalue > ALPHA, f"block lag {lag}: r = {r.statistic:.4f}"


@pytest.mark.parametrize("seeds", [(10, 11), (0, 1), (2**63, 2**63 + 1), (0, 2**63), (7, 7 ^ 2**32)])
def test_related_seeds_are_independent(isa, seeds):
    n = 500_000
    a, b = (keep_bits(n, 0.3, seed=s) for s in seeds)
    assert_independent(a, b, f"seeds {seeds}")


@pytest.mark.parametrize("gap", [1, B, 2**20])
def test_consecutive_offsets_are_independent(isa, gap):
    """A call at offset o and the call at o + gap (the next call of a Generator when gap = n)."""
    n = 300_000
    a = keep_bits(n, 0.3, seed=9, offset=2**40)
    b = keep_bits(n, 0.3, seed=9, offset=2**40 + gap)
    assert_independent(a, b, f"offset gap {gap}")

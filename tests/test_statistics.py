"""The mask behaves like independent coins with keep probability 1 - p."""

import numpy as np
import pytest
from scipy import stats

import fastdrop


@pytest.mark.parametrize("p", [0.01, 0.1, 0.2, 0.5, 0.8, 0.99])
@pytest.mark.parametrize("seed", [0, 1, 2**63 + 5])
def test_keep_rate_binomial(p, seed):
    n = 1_000_000
    _, mask = fastdrop.dropout_forward(np.zeros(n, np.float32), p, seed=seed)
    kept = int(np.unpackbits(mask.bits).sum())
    # fixed seeds: deterministic, and a correct generator passes at alpha 1e-6
    assert stats.binomtest(kept, n, 1 - p).pvalue > 1e-6


@pytest.mark.parametrize("p", [2.0**-32, 1 - 2.0**-32])
def test_extreme_p_is_not_degenerate(p):
    """0 < p < 1 never keeps or drops everything by construction (threshold clamp)."""
    t = fastdrop.Mask((1,), p, seed=0).threshold
    assert 1 <= t <= 2**32 - 1
    assert abs((t / 2**32) - (1 - p)) <= 2.0**-32


def test_keep_rate_per_position_in_block_is_uniform():
    """Each of the 2048 positions (lane, step, half) keeps at rate 1 - p across blocks."""
    nblocks, q = 2000, 0.7
    _, mask = fastdrop.dropout_forward(np.zeros(nblocks * 2048, np.float32), 1 - q, seed=77)
    per_pos = mask.to_bool().reshape(nblocks, 2048).sum(axis=0)
    chi2 = (((per_pos - nblocks * q) ** 2) / (nblocks * q * (1 - q))).sum()
    assert stats.chi2.sf(chi2, df=2048) > 1e-6
    assert stats.chi2.cdf(chi2, df=2048) > 1e-6  # not suspiciously uniform either


def test_neighbours_are_uncorrelated():
    keep = fastdrop.dropout_forward(np.zeros(2_000_000, np.float32), 0.5, seed=3)[1].to_bool()
    k = keep.astype(np.float64) - keep.mean()
    for lag in (1, 2, 16, 64, 2048):
        r = np.dot(k[:-lag], k[lag:]) / np.dot(k, k)
        assert abs(r) < 5 / np.sqrt(k.size), lag


def test_consecutive_seeds_are_uncorrelated():
    n = 500_000
    a = fastdrop.dropout_forward(np.zeros(n, np.float32), 0.5, seed=10)[1].to_bool()
    b = fastdrop.dropout_forward(np.zeros(n, np.float32), 0.5, seed=11)[1].to_bool()
    agree = int((a == b).sum())
    assert stats.binomtest(agree, n, 0.5).pvalue > 1e-6

"""Known-answer vectors of fastdrop-rng-v2, written by src_c/tools/fd_gen_test_vectors.c."""

from pathlib import Path

import numpy as np
import pytest

import fastdrop
from fastdrop import _core, _reference

DATA = Path(__file__).parent / "data"


def read_uniforms(name):
    lines = [ln for ln in (DATA / name).read_text().splitlines() if not ln.startswith("#")]
    seed = int(lines[0].split(",")[1], 16)
    offset = int(lines[1].split(",")[1])
    values = np.array([int(ln.split(",")[1], 16) for ln in lines[2:]], dtype=np.uint32)
    return seed, offset, values


def read_masks():
    lines = [ln for ln in (DATA / "mask-testset.csv").read_text().splitlines()]
    rows = [ln.split(", ") for ln in lines if not ln.startswith("#")][1:]
    for seed, offset, p, threshold, n, bits in rows:
        yield int(seed, 16), int(offset), float(p), int(threshold), int(n), bytes.fromhex(bits)


MASKS = list(read_masks())


def test_spec_name():
    assert fastdrop.RNG_SPEC == "fastdrop-rng-v2"


@pytest.mark.parametrize("name", ["uniforms-testset-1.csv", "uniforms-testset-2.csv"])
def test_uniforms_reference(name):
    seed, offset, expected = read_uniforms(name)
    assert len(expected) == 1000
    np.testing.assert_array_equal(_reference.uniforms(seed, offset, 1000), expected)


@pytest.mark.parametrize("name", ["uniforms-testset-1.csv", "uniforms-testset-2.csv"])
def test_uniforms_c(name):
    seed, offset, expected = read_uniforms(name)
    out = np.empty(1000, dtype=np.uint32)
    _core.uniforms(_core.key(seed), offset, out)
    np.testing.assert_array_equal(out, expected)


def test_mask_file_covers_the_grid():
    assert len(MASKS) == 4 * 6 * 7
    assert {m[2] for m in MASKS} == {0.0, 2.0**-32, 0.1, 0.5, 0.3, 1 - 2.0**-32, 1.0}


@pytest.mark.parametrize("case", MASKS, ids=lambda c: f"s{c[0]:x}-o{c[1]}-p{c[2]}-n{c[4]}")
def test_mask_reference(case):
    seed, offset, p, threshold, n, bits = case
    assert _reference.threshold(p) == threshold
    keep = _reference.keep_mask(seed, offset, p, n)
    assert _reference.packed_bits(keep).tobytes() == bits


@pytest.mark.parametrize("case", MASKS, ids=lambda c: f"s{c[0]:x}-o{c[1]}-p{c[2]}-n{c[4]}")
def test_mask_every_kernel(case, isa):
    seed, offset, p, threshold, n, bits = case
    assert _core.threshold(p) == threshold
    x = np.ones(n, dtype=np.float32)
    _, mask = fastdrop.dropout_forward(x, p, seed=seed, offset=offset)
    assert mask.bits.tobytes() == bits
    regenerated = fastdrop.Mask((n,), p, seed=seed, offset=offset).packed_bits()
    assert regenerated.tobytes() == bits

"""The block walk's paths that smaller tests do not reach, per kernel, against the reference.

Outputs of 32 MiB and more are written with non-temporal stores, where the
refinement fix-ups (thresholds with nonzero low bits, p = 0.1 here) happen
before the stores instead of after them; call starts that are not a
multiple of 8 in the stream write the packed bits through the bit writer.
"""

import numpy as np
import pytest

import fastdrop
from fastdrop import _reference

N_STREAMED = (32 << 20) // 4 + 4099  # float32 elements: just over the 32 MiB streaming size


@pytest.fixture(scope="module", params=[0.5, 0.1], ids=["p0.5", "p0.1-refined"])
def streamed_case(request):
    p = request.param
    offset = 2048 * 5 + 64  # a whole group, so non-temporal stores apply
    x = np.arange(N_STREAMED, dtype=np.float32) % 1000 - 500
    keep = _reference.keep_mask(9, offset, p, N_STREAMED)
    return p, offset, x, keep


def test_streamed_outputs_equal_reference(isa, streamed_case):
    p, offset, x, keep = streamed_case
    y, mask = fastdrop.dropout_forward(x, p, seed=9, offset=offset)
    np.testing.assert_array_equal(mask.to_bool(), keep)
    expected = _reference.apply(x, keep, _reference.scale(p))
    assert y.tobytes() == expected.tobytes()
    y2 = fastdrop.dropout(x, p, seed=9, offset=offset)
    assert y2.tobytes() == expected.tobytes()


@pytest.mark.parametrize("offset", [1, 3, 2047, 2048 * 3 + 61])
@pytest.mark.parametrize("p", [0.5, 0.3, 2.0**-32, 1 - 2.0**-32])
def test_unaligned_starts_and_refinement(isa, offset, p):
    n = 3 * 2048 + 77
    x = np.linspace(-3, 3, n, dtype=np.float32)
    keep = _reference.keep_mask(4, offset, p, n)
    y, mask = fastdrop.dropout_forward(x, p, seed=4, offset=offset)
    np.testing.assert_array_equal(mask.to_bool(), keep)
    assert y.tobytes() == _reference.apply(x, keep, _reference.scale(p)).tobytes()
    old = np.linspace(5, 6, n, dtype=np.float32)
    dx = fastdrop.dropout_backward(x, mask, out=old.copy(), accumulate=True)
    assert dx.tobytes() == _reference.apply(x, keep, _reference.scale(p), out=old).tobytes()

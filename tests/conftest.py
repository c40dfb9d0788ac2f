"""Shared fixtures: every kernel ISA, arrays in every layout, seeds."""

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

from fastdrop import _core

ROOT = Path(__file__).resolve().parent.parent


def _load_c_core():
    """The build's list of C sources and flags (ROOT/c_core.py), loaded by path.

    Not through sys.path: ROOT on it would shadow an installed fastdrop
    (.ci/sanitize tests one) with the unbuilt sources. None when the tests
    run without the source tree beside them.
    """
    path = ROOT / "c_core.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("c_core", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


C_BUILD = _load_c_core()
ISAS = _core.isa_names()
DTYPES = [np.float16, np.float32, np.float64]
P_VALUES = [0.0, 2.0**-32, 0.1, 0.5, 1.0 - 2.0**-32, 1.0]
SIZES = [0, 1, 15, 16, 17, 2047, 2048, 2049, 5000, 70001]


@pytest.fixture(params=ISAS)
def isa(request):
    """Runs the test once per kernel ISA; skips ISAs this build or CPU lacks."""
    index = ISAS.index(request.param)
    if not _core.isa_supported(index):
        pytest.skip(f"kernel '{request.param}' is not supported by this build or CPU")
    before = _core.active_isa()
    _core.set_isa(index)
    yield request.param
    _core.set_isa(before)


def unavailable(reason, require_env):
    """Skips for a missing prerequisite; fails instead where require_env is "1" (as in CI)."""
    if os.environ.get(require_env) == "1":
        pytest.fail(f"{require_env}=1 but {reason}")
    pytest.skip(reason)


def random_floats(n, dtype, seed=0):
    """Values of mixed sign and magnitude, some of them zero, inf or NaN."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * 10.0 ** rng.integers(-3, 4, n)).astype(dtype)
    if n >= 8:
        x[:4] = [np.inf, -np.inf, np.nan, -0.0]
    return x


def layouts(x):
    """(name, array) pairs holding x's values in C order, in different memory layouts."""
    yield "c", x.copy()
    yield "fortran", np.array(x, order="F")
    buf = np.empty(x.size * 2, dtype=x.dtype)
    buf[::2] = x.reshape(-1)
    yield "strided", buf[::2].reshape(x.shape)
    rev = np.ascontiguousarray(x.reshape(-1)[::-1])
    yield "negative", rev[::-1].reshape(x.shape)
    yield "byteswapped", x.astype(x.dtype.newbyteorder("S"))
    raw = np.zeros(x.nbytes + 1, dtype=np.uint8)
    unaligned = raw[1:].view(x.dtype).reshape(x.shape)
    unaligned[...] = x
    yield "unaligned", unaligned

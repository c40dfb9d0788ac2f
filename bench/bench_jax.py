"""fastdrop.jax (jax.pure_callback) against dropout written with jax.random.bernoulli.

Both run jitted on the CPU, at 1K and 16M float32 elements, forward only;
a third row, fastdrop.dropout on the NumPy array (no JAX), shows what the
callback adds, and a fourth the XLA FFI custom call of
examples/jax_ffi/fd_jax_ffi.cc (built here; skipped without a C++ compiler
or jaxlib's FFI headers), which passes buffers without copies;
each row records its time per call over the bernoulli version's
(``x_bernoulli``) in extra_info. Each call ends in block_until_ready.
Run alone on an idle machine, e.g.
``taskset -c 1 pytest bench/bench_jax.py --benchmark-only``.
Skips without JAX.
"""

import numpy as np
import pytest

import fastdrop

jax = pytest.importorskip("jax")
jnp = jax.numpy
fdjax = pytest.importorskip("fastdrop.jax")

SIZES = [1 << 10, 1 << 24]
P = 0.5


def _bernoulli_dropout(key, x):
    keep = jax.random.bernoulli(key, 1.0 - P, x.shape)
    return jnp.where(keep, x / (1.0 - P), 0.0).astype(x.dtype)


CALLS = {
    "jax.random.bernoulli": jax.jit(_bernoulli_dropout),
    "fastdrop.jax.dropout": jax.jit(lambda key, x: fdjax.dropout(key, x, P)),
    "fastdrop.dropout (NumPy)": None,
    "XLA FFI example": "ffi",
}
_BEST = {}
_FFI = []


def _ffi():
    """The FFI example's dropout, built once (tests/jax_cases.py builds it the same way)."""
    if not _FFI:
        import sys
        import tempfile
        from pathlib import Path

        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from jax_cases import build_ffi_example

        _FFI.append(build_ffi_example(tempfile.mkdtemp(prefix="fd-ffi-")))
    return _FFI[0]


@pytest.mark.parametrize("n", SIZES, ids=lambda n: f"{n}")
@pytest.mark.parametrize("name", list(CALLS))
def test_jax_dropout(benchmark, name, n):
    x = jnp.asarray(np.random.default_rng(0).standard_normal(n, dtype=np.float32))
    key = jax.random.key(1)
    f = CALLS[name]
    if f == "ffi":
        f = jax.jit(lambda key, x: _ffi()(key, x, P))
    if f is None:
        xn = np.asarray(x)

        def run():
            return fastdrop.dropout(xn, P, seed=1)
    else:
        f(key, x).block_until_ready()  # compile outside the timing

        def run():
            return f(key, x).block_until_ready()

    rounds = 200 if n <= 1 << 10 else 5
    benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=1)
    best = benchmark.stats.stats.min
    _BEST[(name, n)] = best
    base = _BEST.get(("jax.random.bernoulli", n))
    benchmark.extra_info["n"] = n
    if base:
        benchmark.extra_info["x_bernoulli"] = round(best / base, 3)

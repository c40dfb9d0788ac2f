"""fastdrop.jax against fastdrop's NumPy API, bit for bit (run by tests/test_jax.py).

This file imports JAX, so tests/test_jax.py runs it in a pytest process of
its own: JAX starts threads, and the main suite forks worker processes later.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import fastdrop
import fastdrop.jax as fdjax

DTYPES = [np.float16, np.float32, np.float64]


@pytest.fixture
def x64():
    """jax_enable_x64 on for the test (float64 arrays), restored after."""
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)


@pytest.fixture(params=DTYPES, ids=lambda d: np.dtype(d).name)
def dtype(request):
    if request.param is np.float64:
        request.getfixturevalue("x64")
    return request.param


def _values(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    if x.size >= 4:
        x.reshape(-1)[:4] = [np.inf, -np.inf, np.nan, -0.0]
    return x


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))


KEYS = {
    "int": lambda s: s,
    "typed key": lambda s: jax.random.key(s),
    "legacy key": lambda s: jax.random.PRNGKey(s),
}


@pytest.mark.parametrize("kind", KEYS)
@pytest.mark.parametrize("shape, p, offset", [((3, 700), 0.3, 0), ((4099,), 0.5, 2045),
                                              ((5, 1), 1.0, 7), ((0,), 0.5, 0), ((33,), 0.0, 1)])
def test_forward_under_jit_equals_numpy(dtype, kind, shape, p, offset):
    x = _values(shape, dtype)
    key = KEYS[kind](1234)
    f = jax.jit(lambda k, v: fdjax.dropout(k, v, p, offset=offset))
    y = f(key, jnp.asarray(x))
    _same_bits(y, fastdrop.dropout(x, p, seed=1234, offset=offset))
    _same_bits(fdjax.dropout(key, jnp.asarray(x), p, offset=offset), y)  # eager too


def test_training_false_is_the_identity():
    x = jnp.arange(6, dtype=jnp.float32)
    assert fdjax.dropout(1, x, 0.5, training=False) is x


def test_seed_rule():
    assert fdjax.seed_of(jax.random.key(5)) == 5 == fdjax.seed_of(jax.random.PRNGKey(5))
    assert fdjax.seed_of(2**64 - 1) == 2**64 - 1
    assert fdjax.seed_of(np.array(2**40 + 3)) == 2**40 + 3 == fdjax.seed_of(np.uint64(2**40 + 3))
    assert fdjax.seed_of(jnp.uint32(7)) == 7 and fdjax.seed_of(jnp.int32(-1)) == 2**64 - 1
    key = jax.random.wrap_key_data(jnp.array([0xDEADBEEF, 0x12345678], jnp.uint32))
    seed = 0xDEADBEEF << 32 | 0x12345678
    assert fdjax.seed_of(key) == seed
    x = _values((300,), np.float32)
    _same_bits(jax.jit(fdjax.dropout, static_argnums=2)(key, jnp.asarray(x), 0.4),
               fastdrop.dropout(x, 0.4, seed=seed))


def test_a_key_made_inside_jit():
    x = _values((2500,), np.float32)

    @jax.jit
    def f(key, v):
        return fdjax.dropout(jax.random.split(key)[1], v, 0.25)

    key = jax.random.key(0)
    want = fastdrop.dropout(x, 0.25, seed=fdjax.seed_of(jax.random.split(key)[1]))
    _same_bits(f(key, jnp.asarray(x)), want)


def test_gradient_equals_dropout_backward(dtype):
    x = _values((40, 51), dtype)
    g = _values((40, 51), dtype, seed=1)
    y, vjp = jax.vjp(lambda v: fdjax.dropout(77, v, 0.35, offset=10), jnp.asarray(x))
    (dx,) = vjp(jnp.asarray(g))
    _same_bits(y, fastdrop.dropout(x, 0.35, seed=77, offset=10))
    mask = fastdrop.Mask(x.shape, 0.35, seed=77, offset=10)
    _same_bits(dx, fastdrop.dropout_backward(g, mask))
    grad = jax.jit(jax.grad(lambda v: jnp.sum(fdjax.dropout(77, v, 0.35, offset=10) * g)))
    _same_bits(grad(jnp.asarray(x)), fastdrop.dropout_backward(g, mask))


def test_check_grads_float32():
    x = jnp.asarray(_values((64,), np.float32)[4:])  # finite values for finite differences
    check_grads(lambda v: fdjax.dropout(3, v, 0.4), (x,), order=2, modes=["rev"])


def test_check_grads_float64(x64):
    x = jnp.asarray(_values((300,), np.float64)[4:])
    check_grads(lambda v: fdjax.dropout(jax.random.key(8), v, 0.6, offset=5), (x,), order=2,
                modes=["rev"])
    check_grads(lambda v: jnp.sin(fdjax.dropout(8, v, 0.2)), (x,), order=1, modes=["rev"])


def test_vmap_with_one_key_shares_the_mask():
    """Slice i is dropout(key, x[i]): the same mask for every slice."""
    xs = _values((4, 3000), np.float32)
    ys = jax.jit(jax.vmap(lambda v: fdjax.dropout(jax.random.key(5), v, 0.5, offset=3)))(
        jnp.asarray(xs))
    for i in range(4):
        _same_bits(ys[i], fastdrop.dropout(xs[i], 0.5, seed=5, offset=3))
    keep = np.asarray(ys) != 0
    finite = np.isfinite(xs).all(axis=0) & (xs != 0).all(axis=0)
    assert (keep[:, finite] == keep[0, finite]).all() and 0 < keep[0, finite].mean() < 1


def test_vmap_over_keys_gives_each_slice_its_own_mask():
    xs = _values((4, 3000), np.float32)
    keys = jax.random.split(jax.random.key(1), 4)
    ys = jax.vmap(lambda k, v: fdjax.dropout(k, v, 0.5))(keys, jnp.asarray(xs))
    for i in range(4):
        _same_bits(ys[i], fastdrop.dropout(xs[i], 0.5, seed=fdjax.seed_of(keys[i])))
    kept = np.asarray(ys)[:, 4:] != 0
    assert (kept[0] != kept[1]).any() and (kept[2] != kept[3]).any()
    # Keys mapped, x not: one x, a mask per key.
    one = jax.vmap(lambda k: fdjax.dropout(k, jnp.asarray(xs[0]), 0.5))(keys)
    for i in range(4):
        _same_bits(one[i], fastdrop.dropout(xs[0], 0.5, seed=fdjax.seed_of(keys[i])))


def test_nested_vmap_and_vmap_of_grad():
    xs = _values((2, 3, 500), np.float32)
    keys = jax.random.split(jax.random.key(2), 3)
    f = jax.vmap(jax.vmap(lambda k, v: fdjax.dropout(k, v, 0.3), in_axes=(0, 0)), in_axes=(None, 0))
    ys = f(keys, jnp.asarray(xs))
    g = jax.vmap(jax.grad(lambda v, k: jnp.sum(fdjax.dropout(k, v, 0.3))))(jnp.asarray(xs[0]), keys)
    for i in range(2):
        for j in range(3):
            seed = fdjax.seed_of(keys[j])
            _same_bits(ys[i, j], fastdrop.dropout(xs[i, j], 0.3, seed=seed))
            if i == 0:
                mask = fastdrop.Mask((500,), 0.3, seed=seed)
                _same_bits(g[j], fastdrop.dropout_backward(np.ones(500, np.float32), mask))


def test_bad_arguments_are_refused_before_the_callback():
    x = jnp.ones(8, jnp.float32)
    cases = [
        (TypeError, "key_or_seed", lambda: fdjax.dropout("1", x, 0.5)),
        (TypeError, "key_or_seed", lambda: fdjax.dropout(None, x, 0.5)),
        (TypeError, "key_or_seed", lambda: fdjax.dropout(True, x, 0.5)),
        (ValueError, "key_or_seed", lambda: fdjax.dropout(-1, x, 0.5)),
        (ValueError, "key_or_seed", lambda: fdjax.dropout(2**64, x, 0.5)),
        (ValueError, "key_or_seed", lambda: fdjax.dropout(np.array(-1), x, 0.5)),
        (TypeError, "key_or_seed", lambda: fdjax.dropout(jnp.zeros(2, jnp.int32), x, 0.5)),
        (TypeError, "key_or_seed", lambda: fdjax.dropout(jnp.zeros(3, jnp.uint32), x, 0.5)),
        (ValueError, "key_or_seed",
         lambda: fdjax.dropout(jax.random.split(jax.random.key(0), 2), x, 0.5)),
        (ValueError, "p", lambda: fdjax.dropout(1, x, 1.5)),
        (ValueError, "p", lambda: fdjax.dropout(1, x, float("nan"))),
        (TypeError, "p", lambda: fdjax.dropout(1, x, "0.5")),
        (TypeError, "p", lambda: jax.jit(lambda q: fdjax.dropout(1, x, q))(0.5)),
        (TypeError, "x", lambda: fdjax.dropout(1, jnp.ones(8, jnp.int32), 0.5)),
        (TypeError, "x", lambda: fdjax.dropout(1, object(), 0.5)),
        (TypeError, "x", lambda: fdjax.dropout(1, None, 0.5)),
        (TypeError, "x", lambda: fdjax.dropout(1, jnp.ones(8, jnp.bfloat16), 0.5)),
        (TypeError, "training", lambda: fdjax.dropout(1, x, 0.5, training=1)),
        (ValueError, "offset", lambda: fdjax.dropout(1, x, 0.5, offset=-1)),
        (ValueError, "offset", lambda: fdjax.dropout(1, x, 0.5, offset=2**64 - 4)),
        (TypeError, "offset", lambda: fdjax.dropout(1, x, 0.5, offset=1.0)),
        (TypeError, "offset", lambda: jax.jit(lambda o: fdjax.dropout(1, x, 0.5, offset=o))(1)),
        (TypeError, "key_or_seed", lambda: fdjax.seed_of("x")),
    ]
    for exc, name, call in cases:
        with pytest.raises(exc, match=rf"^{name}\b") as info:
            call()
        assert type(info.value) is exc, (name, info.value)


def test_the_readme_example():
    """README's JAX block (a ```py block, which tests/test_readme.py leaves out: it needs JAX)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = text.split("\n## JAX\n")[1].split("\n## ")[0]
    (code,) = re.findall(r"^```py\n(.*?)^```$", section, flags=re.S | re.M)
    scope = {}
    exec(compile(code, "README.md (JAX)", "exec"), scope)
    np.testing.assert_array_equal(np.asarray(scope["g"]) != 0, np.asarray(scope["y"]) != 0)
    assert scope["ys"].shape == (4, 1000) and (np.asarray(scope["ys"][0] != scope["ys"][1])).any()


def test_docstring_examples():
    import doctest

    result = doctest.testmod(fdjax, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 2 and result.failed == 0


def build_ffi_example(folder):
    """Compiles examples/jax_ffi/fd_jax_ffi.cc into folder; returns the module (or skips)."""
    import importlib
    import shutil
    import subprocess
    import sys
    import sysconfig
    from pathlib import Path

    cxx = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    include = Path(jax.ffi.include_dir())
    if cxx is None or not (include / "xla" / "ffi" / "api" / "ffi.h").is_file():
        pytest.skip("needs a C++ compiler and jaxlib's XLA FFI headers")
    src = Path(__file__).resolve().parent.parent / "examples" / "jax_ffi" / "fd_jax_ffi.cc"
    out = Path(folder) / ("fd_jax_ffi" + sysconfig.get_config_var("EXT_SUFFIX"))
    cmd = [cxx, "-std=c++17", "-shared", "-fPIC", "-O2", f"-I{sysconfig.get_paths()['include']}",
           f"-I{fastdrop.get_include()}", f"-I{include}", str(src), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-5000:]
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module("fd_jax_ffi")
    finally:
        sys.path.remove(str(folder))
    jax.ffi.register_ffi_target("fd_dropout_f32", module.dropout_f32(), platform="cpu")

    def dropout_ffi(key_or_seed, x, p, offset=0):
        words = fdjax._seed_words(key_or_seed)
        call = jax.ffi.ffi_call("fd_dropout_f32", jax.ShapeDtypeStruct(x.shape, x.dtype),
                                vmap_method="sequential")
        return call(words, x, p=np.float64(p), offset=np.uint64(offset))

    return dropout_ffi


def test_the_xla_ffi_example(tmp_path):
    """examples/jax_ffi/fd_jax_ffi.cc: the C API table called from an XLA custom call."""
    dropout_ffi = build_ffi_example(tmp_path)
    for n, offset in [(1000, 0), (70001, 2**40)]:
        x = _values((n,), np.float32)
        y = jax.jit(lambda k, v: dropout_ffi(k, v, 0.3, offset))(jax.random.key(4), jnp.asarray(x))
        _same_bits(y, fastdrop.dropout(x, 0.3, seed=4, offset=offset))


def test_the_cases_test_the_suites_fastdrop():
    """tests/test_jax.py names the package the suite tests; these cases import that one."""
    import os
    from pathlib import Path

    package = os.environ.get("FASTDROP_JAX_CASES_PACKAGE")
    if package is None:
        pytest.skip("run directly rather than by tests/test_jax.py (which fails on any skip)")
    assert Path(fastdrop.__file__).resolve().parent.parent == Path(package).resolve()

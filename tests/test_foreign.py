"""Arrays of other libraries passed to the NumPy functions: a TypeError that says what to do."""

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from conftest import unavailable

import fastdrop
from fastdrop import _checks


@pytest.fixture
def needs_torch():
    """Skips without torch; fails instead under FASTDROP_REQUIRE_INTEROP=1 (as in CI)."""
    if importlib.util.find_spec("torch") is None:
        unavailable("torch is not installed (pip install torch==2.13.0)", "FASTDROP_REQUIRE_INTEROP")


@pytest.fixture
def needs_jax():
    if importlib.util.find_spec("jax") is None:
        unavailable("jax is not installed (pip install jax jaxlib)", "FASTDROP_REQUIRE_INTEROP")


def _calls(value, mask):
    """(argument name, call) for every NumPy entry point taking an array argument."""
    layer = fastdrop.Dropout(0.5, seed=1)
    return [
        ("x", lambda: fastdrop.dropout(value, 0.5, seed=1)),
        ("x", lambda: fastdrop.dropout_forward(value, 0.5, seed=1)),
        ("grad", lambda: fastdrop.dropout_backward(value, mask)),
        ("x", lambda: fastdrop.Generator(1).dropout(value, 0.5)),
        ("x", lambda: layer(value)),
    ]


def _assert_refused(value, shape, pattern):
    mask = fastdrop.dropout_forward(np.ones(shape, np.float32), 0.5, seed=1)[1]
    for name, call in _calls(value, mask):
        with pytest.raises(TypeError, match=rf"^{name} is a {pattern}") as info:
            call()
        assert type(info.value) is TypeError, info.value


def test_torch_tensor_that_requires_grad(needs_torch):
    """Gave torch's RuntimeError ("Can't call numpy() on Tensor that requires grad")."""
    import torch

    t = torch.ones(8, requires_grad=True)
    _assert_refused(t, (8,), r"torch\.Tensor that requires grad.*detach\(\)\.numpy\(\)")


def test_torch_tensor_without_grad_on_the_cpu_is_an_array_like(needs_torch):
    import torch

    t = torch.linspace(-1, 1, 8)
    np.testing.assert_array_equal(fastdrop.dropout(t, 0.5, seed=1),
                                  fastdrop.dropout(t.numpy(), 0.5, seed=1))


class _FakeDevice:
    type = "cuda"


def _fake(module, name, **attrs):
    """An object whose type has the given module and name, as the foreign library's would."""
    cls = type(name, (), dict(attrs, __module__=module))
    return cls()


def test_torch_tensor_on_another_device_by_name():
    t = _fake("torch", "Tensor", requires_grad=False, device=_FakeDevice())
    _assert_refused(t, (8,), r"torch\.Tensor on device 'cuda'.*\.cpu\(\)\.numpy\(\)")


def test_cupy_array_by_name():
    """Told by its type's module and name: CuPy is never imported."""
    x = _fake("cupy._core.core", "ndarray", shape=(8,))
    assert _checks.is_cupy_array(x)
    _assert_refused(x, (8,), r"CuPy array \(GPU memory\).*cupy\.asnumpy\(")


def test_jax_tracer_by_name():
    base = type("Tracer", (), {"__module__": "jax._src.core"})
    tracer = type("DynamicJaxprTracer", (base,), {"__module__": "jax._src.interpreters"})()
    _assert_refused(tracer, (8,), r"JAX tracer.*outside the transformation")


_JAX_SCRIPT = """
import numpy as np, jax, jax.numpy as jnp, fastdrop

def f(v):
    fastdrop.dropout(v, 0.5, seed=1)
    return v

for transform in (jax.jit(f), jax.grad(lambda v: f(v).sum()), jax.vmap(f)):
    try:
        transform(jnp.ones(8, jnp.float32))
    except TypeError as exc:
        assert type(exc) is TypeError and str(exc).startswith("x is a JAX tracer"), exc
    else:
        raise AssertionError("no TypeError")
v = jnp.linspace(-1, 1, 8, dtype=jnp.float32)  # a concrete jax.Array is an array-like
assert (fastdrop.dropout(v, 0.5, seed=1) == fastdrop.dropout(np.asarray(v), 0.5, seed=1)).all()
print("ok")
"""


def test_jax_tracers_inside_jit_grad_and_vmap(needs_jax):
    """Gave jax's TracerArrayConversionError, which does not name the argument.

    Run in a subprocess: JAX starts threads, and the suite forks worker processes later.
    """
    out = subprocess.run([sys.executable, "-c", _JAX_SCRIPT], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stdout + out.stderr


def test_checks_import_no_foreign_library():
    code = ("import sys, numpy as np, fastdrop\n"
            "fastdrop.dropout(np.ones(4, np.float32), 0.5, seed=1)\n"
            "fastdrop.dropout([1.0, 2.0], 0.5, seed=1)\n"
            "print(sorted(m for m in ('torch', 'cupy', 'jax', 'ml_dtypes', 'dask') "
            "if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

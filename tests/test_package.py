"""The package as a user meets it: python -m fastdrop, docstring examples, stubs."""

import doctest
import subprocess
import sys
from pathlib import Path

import pytest

import fastdrop
from fastdrop import _api, _capi, _core, _generator, _info, _layer, _mask


def test_main_runs_and_self_checks():
    proc = subprocess.run([sys.executable, "-m", "fastdrop", "--no-timing"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert fastdrop.RNG_SPEC in proc.stdout
    assert "self-check: ok" in proc.stdout
    assert f"fastdrop {fastdrop.__version__}" in proc.stdout


@pytest.mark.parametrize("module", [_api, _mask, _generator, _layer, _info, _capi])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_public_names_have_docstrings():
    for name in fastdrop.__all__:
        obj = getattr(fastdrop, name)
        if callable(obj):
            assert obj.__doc__ and "Examples" in obj.__doc__, name


def test_stub_lists_every_core_function():
    stub = (Path(_core.__file__).parent / "_core.pyi").read_text()
    public = [n for n in dir(_core) if not n.startswith("_") and n != "np"]
    for name in public:
        assert f"def {name}(" in stub or f"{name}:" in stub, name


def test_package_stub_lists_every_public_name():
    stub = (Path(fastdrop.__file__).parent / "__init__.pyi").read_text()
    for name in fastdrop.__all__:
        assert (f"def {name}(" in stub or f"class {name}" in stub or f"{name}: str" in stub), name
    for name in ("shape", "size", "p", "seed", "offset", "scaling", "bits", "store",
                 "nbytes", "scale", "threshold", "packed_bits", "to_bool"):
        assert hasattr(fastdrop.Mask, name) and f"def {name}(" in stub, name

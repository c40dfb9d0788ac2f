"""The variants' docstring examples run, and their subpackage is installed."""

import doctest
import tomllib
from pathlib import Path

import pytest

import fastdrop
from fastdrop._variants import alpha, fused, layers, mc, noise, spatial, structured

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("module", [alpha, fused, layers, mc, spatial, structured])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_every_subpackage_is_listed_for_the_wheel():
    pyproject = ROOT / "pyproject.toml"
    if not pyproject.exists():
        pytest.skip("no source tree beside the tests")
    listed = set(tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["packages"])
    pkg = Path(fastdrop.__file__).parent
    found = {"fastdrop"} | {"fastdrop." + p.parent.name for p in pkg.glob("*/__init__.py")}
    assert found <= listed


def test_variant_docstrings_have_notes_and_references():
    for name in ["spatial_dropout", "alpha_dropout", "feature_alpha_dropout", "drop_path",
                 "drop_block", "mc_dropout", "dropout_add"]:
        doc = getattr(fastdrop, name).__doc__
        for section in ("Parameters", "Returns", "Raises", "Notes", "References", "Examples"):
            assert f"\n    {section}\n    ---" in doc, (name, section)
    assert noise.__doc__ and "SPEC.md section 10" in noise.__doc__

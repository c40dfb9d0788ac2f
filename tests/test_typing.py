"""The stubs: a typed user script passes `mypy --strict` and runs; stubtest agrees with the runtime."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import fastdrop

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "typing" / "user_script.py"
# bfloat16 arrays (ml_dtypes), checked beside it where ml_dtypes is installed
BF16_SCRIPT = SCRIPT.with_name("bfloat16_script.py")
SCRIPTS = [SCRIPT] + ([BF16_SCRIPT] if importlib.util.find_spec("ml_dtypes") else [])
# Where the fastdrop pytest imports lives: the checkout, or site-packages (.ci/sanitize).
PACKAGE_DIR = Path(fastdrop.__file__).resolve().parent.parent
needs_mypy = pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                                reason="mypy is not installed (pip install '.[test]')")


def _run(*args, cwd):
    """python *args in cwd, finding the fastdrop that pytest imports.

    An installed fastdrop is found by Python and by mypy (PEP 561, py.typed) as
    it is; one imported from the checkout is put on PYTHONPATH and MYPYPATH.
    cwd is a scratch folder: mypy treats modules in its working folder as the
    user's own, so it must not be site-packages.
    """
    env = dict(os.environ)
    if PACKAGE_DIR == ROOT:
        for var in ("PYTHONPATH", "MYPYPATH"):
            env[var] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get(var)])])
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=600)


@needs_mypy
def test_typed_user_script_passes_mypy_strict(tmp_path):
    """Dtype-preserving stubs: float32 in, NDArray[float32] out (assert_type in the script)."""
    proc = _run("-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(tmp_path / "c"),
                *map(str, SCRIPTS), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_typed_user_script_runs(tmp_path):
    for script in SCRIPTS:
        proc = _run(str(script), cwd=tmp_path)
        assert proc.returncode == 0, proc.stdout + proc.stderr


@needs_mypy
def test_a_type_error_is_caught(tmp_path):
    """The check can fail: a float32 result claimed as float64 is an error."""
    bad = tmp_path / "bad.py"
    bad.write_text("from typing import assert_type\nimport numpy as np, numpy.typing as npt\n"
                   "import fastdrop\n"
                   "assert_type(fastdrop.dropout(np.ones(3, np.float32)), npt.NDArray[np.float64])\n"
                   "fastdrop.dropout(np.ones(3), seed=1.5)\n")
    proc = _run("-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), str(bad),
                cwd=tmp_path)
    assert proc.returncode == 1
    assert "bad.py:4: error" in proc.stdout and "[assert-type]" in proc.stdout, proc.stdout
    assert "bad.py:5: error" in proc.stdout and "[call-overload]" in proc.stdout, proc.stdout


@needs_mypy
def test_stubtest(tmp_path):
    # As pyproject.toml's [tool.mypy] says: the optional extras may be missing or unstubbed.
    optional = ("cupy", "rich", "tqdm", "matplotlib", "sklearn", "threadpoolctl", "torch", "dask",
                "distributed", "jax", "jaxlib", "ml_dtypes")
    sections = ",".join(f"{m},{m}.*" for m in optional)
    config = tmp_path / "mypy.ini"
    config.write_text(f"[mypy]\n[mypy-{sections}]\nignore_missing_imports = True\n")
    # The adapters import their framework when imported: without it stubtest cannot import
    # them to compare, so they are left out, and only then (an unused entry is an error).
    allowlist = tmp_path / "allowlist"
    allowlist.write_text((ROOT / ".ci" / "stubtest-allowlist").read_text() + "".join(
        f"{pattern}\n" for framework, pattern in [("torch", r"fastdrop\.torch(\..*)?"),
                                                  ("jax", r"fastdrop\.jax")]
        if importlib.util.find_spec(framework) is None))
    proc = _run("-m", "mypy.stubtest", "fastdrop", "--allowlist", str(allowlist),
                "--mypy-config-file", str(config), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr

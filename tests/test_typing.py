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
# Where the fastdrop pytest imports lives: the checkout, or site-packages (.ci/sanitize).
PACKAGE_DIR = Path(fastdrop.__file__).resolve().parent.parent
needs_mypy = pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                                reason="mypy is not installed (pip install '.[test]')")


def _run(*args, cwd=PACKAGE_DIR):
    """python *args beside the fastdrop that pytest imports, so that one is found first."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(PACKAGE_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=600)


@needs_mypy
def test_typed_user_script_passes_mypy_strict(tmp_path):
    """Dtype-preserving stubs: float32 in, NDArray[float32] out (assert_type in the script)."""
    proc = _run("-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(tmp_path),
                str(SCRIPT))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_typed_user_script_runs():
    proc = _run(str(SCRIPT))
    assert proc.returncode == 0, proc.stdout + proc.stderr


@needs_mypy
def test_a_type_error_is_caught(tmp_path):
    """The check can fail: a float32 result claimed as float64 is an error."""
    bad = tmp_path / "bad.py"
    bad.write_text("from typing import assert_type\nimport numpy as np, numpy.typing as npt\n"
                   "import fastdrop\n"
                   "assert_type(fastdrop.dropout(np.ones(3, np.float32)), npt.NDArray[np.float64])\n"
                   "fastdrop.dropout(np.ones(3), seed=1.5)\n")
    proc = _run("-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), str(bad))
    assert proc.returncode == 1
    assert "bad.py:4: error" in proc.stdout and "[assert-type]" in proc.stdout, proc.stdout
    assert "bad.py:5: error" in proc.stdout and "[call-overload]" in proc.stdout, proc.stdout


@needs_mypy
def test_stubtest(tmp_path):
    proc = _run("-m", "mypy.stubtest", "fastdrop", "--allowlist",
                str(ROOT / ".ci" / "stubtest-allowlist"),
                "--mypy-config-file", str(tmp_path / "none.ini"))
    assert proc.returncode == 0, proc.stdout + proc.stderr

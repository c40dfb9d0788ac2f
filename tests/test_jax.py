"""fastdrop.jax: the JAX adapter (the cases are in tests/jax_cases.py).

The cases import JAX, so they run in a pytest process of their own: JAX
starts threads, and this suite forks worker processes later
(tests/test_parallel.py). They skip without JAX, and fail instead under
FASTDROP_REQUIRE_INTEROP=1 (as in CI).
"""

import os
import subprocess
import sys
from pathlib import Path

from test_foreign import needs_jax  # noqa: F401 (a fixture)

import fastdrop

HERE = Path(__file__).resolve().parent
PACKAGE_DIR = Path(fastdrop.__file__).resolve().parent.parent  # the fastdrop this suite tests


def test_jax_cases(needs_jax, tmp_path):  # noqa: F811
    path = [str(PACKAGE_DIR), str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = dict(os.environ, FASTDROP_JAX_CASES_PACKAGE=str(PACKAGE_DIR),
               PYTHONPATH=os.pathsep.join(path))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(HERE / "jax_cases.py"), "-q", "-p", "no:cacheprovider",
         f"--rootdir={HERE.parent}", "-W", "error::DeprecationWarning:fastdrop"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-20000:] + proc.stderr[-5000:]
    assert " passed" in proc.stdout and "skipped" not in proc.stdout, proc.stdout[-2000:]


def test_import_fastdrop_imports_neither_jax_nor_the_adapter():
    code = ("import sys, numpy as np, fastdrop\n"
            "fastdrop.dropout(np.ones(4, np.float32), 0.5, seed=1)\n"
            "print(sorted(m for m in ('jax', 'jaxlib', 'fastdrop.jax') if m in sys.modules))\n")
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_DIR))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=HERE, env=env)
    assert out.stdout.strip() == "[]"

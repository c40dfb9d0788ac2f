"""Every script in examples/ runs to its end (each asserts what it shows, then prints "ok")."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import fastdrop

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.py"))
PACKAGE_DIR = Path(fastdrop.__file__).resolve().parent.parent


def test_there_are_examples():
    names = {p.name for p in EXAMPLES}
    assert {"numpy_pipeline.py", "training_loop.py", "multiprocessing_spawn.py"} <= names


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(PACKAGE_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.rstrip().endswith("ok"), proc.stdout

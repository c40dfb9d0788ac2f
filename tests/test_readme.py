"""README's Python examples run as written, each as a script of its own."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import fastdrop

README = Path(__file__).resolve().parent.parent / "README.md"
PACKAGE_DIR = Path(fastdrop.__file__).resolve().parent.parent
BLOCKS = re.findall(r"^```python\n(.*?)^```$", README.read_text(), flags=re.S | re.M)


def test_readme_has_the_examples():
    text = "\n".join(BLOCKS)
    assert len(BLOCKS) >= 4
    for needed in ("x1d", "spawn(4)", "ProcessPoolExecutor", "return_mask=True", "manual_seed"):
        assert needed in text, needed


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(code, tmp_path):
    """A script file, not -c: the multiprocessing example needs an importable __main__."""
    script = tmp_path / "example.py"
    script.write_text(code)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(PACKAGE_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=300)
    assert proc.returncode == 0, code + "\n" + proc.stdout + proc.stderr


def test_help_lists_the_flags_readme_lists():
    proc = subprocess.run([sys.executable, "-m", "fastdrop", "--help"], capture_output=True,
                          text=True, cwd=PACKAGE_DIR, timeout=60)
    assert proc.returncode == 0
    flags = set(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", proc.stdout.split("options:")[1]))
    table = README.read_text().split("python -m fastdrop --help")[1].split("\n\n", 2)[1]
    assert flags == set(re.findall(r"`(--?[a-z][\w-]*)`", table)), (flags, table)

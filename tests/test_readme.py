"""README's Python examples run as written, each as a script of its own."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import unavailable

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
    if "import dask" in code and importlib.util.find_spec("dask") is None:
        unavailable("the Dask example needs dask[array]", "FASTDROP_REQUIRE_INTEROP")
    if "import torch" in code and importlib.util.find_spec("torch") is None:
        unavailable("torch is not installed (pip install '.[torch]')", "FASTDROP_REQUIRE_INTEROP")
    script = tmp_path / "example.py"
    script.write_text(code)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(PACKAGE_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=300)
    assert proc.returncode == 0, code + "\n" + proc.stdout + proc.stderr


COMMANDS = [None, "info", "check", "bench", "demo"]


def _help_flags(command):
    args = [sys.executable, "-m", "fastdrop", *([command] if command else []), "--help"]
    proc = subprocess.run(args, capture_output=True, text=True, cwd=PACKAGE_DIR, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return set(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", proc.stdout.split("options:")[1]))


def _readme_flags():
    """{command: flags} from README's table of the command (first column: `fastdrop [SUB]`)."""
    table = README.read_text().split("<!-- command table -->")[1]
    flags = {c: set() for c in COMMANDS}
    for row in table.strip().splitlines()[2:]:
        if not row.startswith("|"):
            break
        cells = [c.strip() for c in row.strip("|").split("|")]
        words = cells[0].strip("`").split()
        command = words[1] if len(words) > 1 else None
        flags[command] |= set(re.findall(r"`(--?[a-z][\w-]*)[^`]*`", cells[1]))
    return flags


@pytest.mark.parametrize("command", COMMANDS, ids=[c or "fastdrop" for c in COMMANDS])
def test_command_table_lists_every_flag(command):
    assert _help_flags(command) == _readme_flags()[command]


def test_api_table_names_every_public_name():
    table = README.read_text().split("<!-- api table -->")[1].split("\n\n")[1]
    listed = set(re.findall(r"^\| `(?:fastdrop\.)?([\w.]+)", table, flags=re.M))
    assert listed == set(fastdrop.__all__), set(fastdrop.__all__) ^ listed


NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)(%| pt)?")


def _tolerance(number: str, unit: str | None) -> float:
    """How far a number of the demo's results may move under other BLAS kernels.

    The last-bit differences of two BLAS kernels' matrix products grow over
    60 epochs of training into a few test images: accuracies may move by
    1.5 points (13 of 899 test images), image counts by 15, losses,
    entropies and the probability by a quarter of their value plus 0.02.
    """
    if unit:
        return 1.5
    if "." not in number:
        return 15.0
    return 0.25 * abs(float(number)) + 0.02


def _demo_numbers_close(printed: list[str], quoted: list[str]) -> list[str]:
    """The result lines where printed and quoted differ by more than BLAS rounding explains.

    Words and layout must match, and each number must be within
    `_tolerance` of the quoted one.
    """
    bad = []
    for a, b in zip(printed, quoted, strict=True):
        pa, pb = NUMBER.findall(a), NUMBER.findall(b)
        if NUMBER.sub("#", a) != NUMBER.sub("#", b) or len(pa) != len(pb) or any(
                abs(float(x) - float(y)) > _tolerance(y, u) for (x, _), (y, u) in zip(pa, pb)):
            bad.append(f"printed {a!r}, README {b!r}")
    return bad


@pytest.mark.slow
def test_demo_numbers_in_readme_are_what_the_demo_prints():
    """README quotes `fastdrop demo`'s output; a change to the stream or the demo must update it.

    The quote names the BLAS it ran with. Where the demo runs with the same
    BLAS library, version and kernels, every digit must match; under other
    BLAS kernels (another CPU, or OPENBLAS_CORETYPE) the matrix products
    round differently and the numbers must match to within what that explains.
    """
    quoted = README.read_text().split("<!-- demo output -->")[1].split("```")[1].strip("\n")
    quoted = quoted.removeprefix("text\n").strip("\n")
    proc = subprocess.run([sys.executable, "-m", "fastdrop", "demo", "--no-progress"],
                          capture_output=True, text=True, cwd=PACKAGE_DIR, timeout=600)
    assert proc.returncode == 0, proc.stderr
    printed = proc.stdout.strip("\n").splitlines()
    quoted_lines = quoted.splitlines()
    i = next(k for k, line in enumerate(printed) if line.startswith("BLAS: "))
    assert printed[:i] == quoted_lines[:i] and quoted_lines[i].startswith("BLAS: ")
    if printed[i] == quoted_lines[i]:
        assert printed == quoted_lines
    else:
        assert _demo_numbers_close(printed[i + 1:], quoted_lines[i + 1:]) == []

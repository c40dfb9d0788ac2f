"""The stream headers (src_c/include/fastdrop/) stand alone, in C, C++ and CUDA.

GPU kernels include rng.h, rules.h and half.h, so these compile with no
other header of the project and no libc beyond <stdint.h>; a program built
from them alone reproduces the reference's uniforms and keep bits. The CUDA
check needs nvcc and skips without it.
"""

import os
import re
import shutil
import subprocess

import numpy as np
import pytest
from conftest import ROOT

from fastdrop import _core, _reference

INCLUDE = ROOT / "src_c" / "include"
HEADERS = ["hd.h", "rng.h", "rules.h", "half.h"]

PROGRAM = r"""
#include <inttypes.h>
#include <stdio.h>
#include "fastdrop/rules.h"
int main(void)
{
    uint64_t t;
    const uint64_t key = fd_stream_key(SEED);
    if (fd_threshold_of(0.3, &t))
        return 1;
    for (uint64_t e = OFFSET; e < OFFSET + 300; e++)
        printf("%" PRIu32 " %u\n", fd_uniform_at(key, e), fd_keep_at(key, e, t));
    return 0;
}
"""


# Compilers run without a preloaded sanitizer runtime (.ci/sanitize
# preloads ASan for the extension; nvcc crashes under it).
COMPILER_ENV = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}


def _compiler(*names):
    for name in names:
        if shutil.which(name):
            return name
    return None


def _skip_without_sources():
    if not (INCLUDE / "fastdrop" / "rng.h").exists():
        pytest.skip("the C sources are not beside the tests")


@pytest.mark.parametrize("header", HEADERS)
def test_headers_include_only_stdint_and_each_other(header):
    _skip_without_sources()
    text = (INCLUDE / "fastdrop" / header).read_text()
    included = re.findall(r'#include\s+[<"]([^>"]+)[>"]', text)
    assert set(included) <= {"stdint.h", *HEADERS}, included


@pytest.mark.parametrize("lang", ["c99", "c++", "cuda"])
@pytest.mark.parametrize("header", HEADERS)
def test_header_compiles_alone(tmp_path, header, lang):
    _skip_without_sources()
    src = tmp_path / ("t.cu" if lang == "cuda" else "t.c")
    src.write_text(f'#include "fastdrop/{header}"\nint fd_header_test_unit;\n')
    if lang == "cuda":
        cc = _compiler("nvcc")
        if cc is None:
            pytest.skip("no nvcc")
        cmd = [cc, f"-I{INCLUDE}", "-c", str(src), "-o", str(tmp_path / "t.o")]
    else:
        cc = _compiler("cc", "gcc") if lang == "c99" else _compiler("c++", "g++")
        if cc is None:
            pytest.skip("no compiler")
        flags = ["-std=c99", "-pedantic"] if lang == "c99" else ["-x", "c++"]
        cmd = [cc, *flags, "-Wall", "-Wextra", "-Werror", f"-I{INCLUDE}", "-c", str(src),
               "-o", str(tmp_path / "t.o")]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=COMPILER_ENV)
    assert run.returncode == 0, run.stderr[-3000:]


@pytest.mark.parametrize("seed, offset", [(5, 0), (2**64 - 1, 2**40 - 100)])
def test_headers_alone_give_the_reference_stream(tmp_path, seed, offset):
    _skip_without_sources()
    cc = _compiler("cc", "gcc")
    if cc is None:
        pytest.skip("no compiler")
    src = tmp_path / "p.c"
    src.write_text(PROGRAM.replace("SEED", f"UINT64_C({seed})").replace("OFFSET", f"UINT64_C({offset})"))
    build = subprocess.run([cc, "-std=c99", "-O1", f"-I{INCLUDE}", "-o", str(tmp_path / "p"),
                            str(src)], capture_output=True, text=True, timeout=300,
                           env=COMPILER_ENV)
    assert build.returncode == 0, build.stderr[-3000:]
    out = subprocess.run([str(tmp_path / "p")], capture_output=True, text=True, timeout=60)
    got = np.array([line.split() for line in out.stdout.splitlines()], dtype=np.uint64)
    assert _core.key(seed) == _reference.key(seed)
    np.testing.assert_array_equal(got[:, 0], _reference.uniforms(seed, offset, 300))
    np.testing.assert_array_equal(got[:, 1], _reference.keep_mask(seed, offset, 0.3, 300))

"""The AVX-512 kernels, run with intrinsics emulated by SIMDe, equal the scalar ones.

This is how machines without AVX-512 (CI's among them) test that code: the
harness src_c/tools/fd_check_emulated.c compares every function of the
AVX-512 row with the scalar row, bit for bit, over sizes, offsets,
thresholds, flags and unaligned pointers. It needs a C compiler, an AVX2 CPU
and the SIMDe headers (Debian: libsimde-dev); FASTDROP_REQUIRE_EMULATION=1
turns a missing prerequisite into a failure instead of a skip.
"""

import shutil
import subprocess

from conftest import C_BUILD, ROOT, unavailable

from fastdrop import _core

TOOL = "src_c/tools/fd_check_emulated.c"


def missing_prerequisite(cc):
    if C_BUILD is None or not (ROOT / TOOL).exists():
        return "the C sources are not beside the tests"
    if cc is None:
        return "no C compiler"
    if not _core.isa_supported(_core.isa_names().index("avx2")):
        return "the harness itself needs an AVX2 CPU"
    return None


def test_avx512_kernels_emulated_equal_scalar(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    reason = missing_prerequisite(cc)
    if reason is None:
        exe = tmp_path / "fd_check_emulated"
        # The AVX-512 kernels come in emulated, through the tool's include.
        args = ["-O2", "-mavx2", "-mf16c", "-Isrc_c/tools/simde", "-o", str(exe), TOOL]
        build = subprocess.run(
            C_BUILD.command(cc, args, without=("avx512",)),
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )
        if build.returncode != 0 and "simde/x86/avx512.h: No such file" in build.stderr:
            reason = "no SIMDe headers (Debian: libsimde-dev)"
        else:
            assert build.returncode == 0, build.stderr[-3000:]
    if reason is not None:
        unavailable(reason, "FASTDROP_REQUIRE_EMULATION")
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:]
    assert run.stdout.strip().endswith(" 0 mismatches")

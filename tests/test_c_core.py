"""c_core.py, the one list of C sources and flags: found by glob, so new files join every build."""

import pytest
from conftest import C_BUILD

if C_BUILD is None:
    pytest.skip("the C sources are not beside the tests", allow_module_level=True)


def test_every_core_c_file_in_any_subfolder_is_a_source_and_tools_are_not(tmp_path):
    files = ["src_c/fd_api.c", "src_c/runtime/fd_cpu.c", "src_c/kernels/fd_kernel_avx2.c",
             "src_c/kernels/avx512/walk.c", "src_c/kernels/fd_kernel_avx512.c",
             "src_c/kernels/scalar/deep/rows.c", "src_c/tools/fd_fuzz.c",
             "src_c/kernels/fd_kernel_common.h"]
    for f in files:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_text("")
    everything = sorted(f for f in files if f.endswith(".c") and "/tools/" not in f)
    assert C_BUILD.sources(root=tmp_path) == everything
    assert C_BUILD.sources(without=("avx512",), root=tmp_path) == [
        f for f in everything if "avx512" not in f]
    assert C_BUILD.sources(without=("avx2",), root=tmp_path) == [
        f for f in everything if "avx2" not in f]


def test_every_build_gets_c11_and_no_fma_contraction():
    """C11 for the runtime's atomics; SPEC.md 6 rounds a product before a sum."""
    assert C_BUILD.sources(), "no C sources found"
    for cc in ("cc", "clang"):
        command = C_BUILD.command(cc, ["-O2", "-o", "tool", "tool.c"])
        assert command[0] == cc and "-std=c11" in command and "-ffp-contract=off" in command
        assert command[-len(C_BUILD.sources()) - 1:-1] == C_BUILD.sources()

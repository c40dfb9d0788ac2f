"""nvcc compiles the CUDA source for sm_80 and sm_90 with warnings as errors.

Both the file in the tree (every kernel) and the text the GPU path hands NVRTC
(the headers inlined, one module per kind, with NVRTC's options) are
compiled; the PTX of each kind must define exactly that kind's kernels.
These tests need nvcc on the PATH and skip, saying so, without it. The last
one runs NVRTC itself, the compiler of the GPU path, where libnvrtc is found.
"""

import shutil
import subprocess

import pytest

from cuda_helpers import CUDA_DIR, INCLUDE_DIR, tool_env
from fastdrop._gpu import _source

NVCC = shutil.which("nvcc")
needs_nvcc = pytest.mark.skipif(NVCC is None, reason="nvcc is not on the PATH")
STRICT = ["--Werror", "all-warnings"]
PER_DTYPE = ("dropout", "apply_bits", "noise_apply", "noise_affine", "add")
ENTRIES = {
    **{kind: {f"fd_gpu_{name}_{kind}" for name in PER_DTYPE} for kind in ("f16", "f32", "f64")},
    "mask": {"fd_gpu_mask_bits", "fd_gpu_block_keep"},
}


def _nvcc(args, cwd):
    proc = subprocess.run([NVCC, *args], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env=tool_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@needs_nvcc
@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
def test_tree_source_compiles_to_cubin(arch, tmp_path):
    cubin = tmp_path / "kernels.cubin"
    _nvcc(["-std=c++17", f"-arch={arch}", "-cubin", "--fmad=false", "-DFD_GPU_ALL",
           f"-I{INCLUDE_DIR}", *STRICT, "-o", str(cubin), str(CUDA_DIR / "kernels.cu")], tmp_path)
    assert cubin.stat().st_size > 0


@needs_nvcc
@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
@pytest.mark.parametrize("kind", _source.KINDS)
def test_nvrtc_text_compiles_per_kind(kind, arch, tmp_path):
    src = tmp_path / "fastdrop_gpu.cu"
    src.write_text(_source.cuda_source())
    ptx = tmp_path / "fastdrop_gpu.ptx"
    # CuPy appends -ftz=true to the options of every kernel it compiles.
    _nvcc([*_source.nvrtc_options(kind), "-ftz=true", f"-arch={arch}", "-ptx", *STRICT,
           "-o", str(ptx), str(src)], tmp_path)
    entries = {line.split()[2].rstrip("(") for line in ptx.read_text().splitlines()
               if line.startswith(".visible .entry")}
    assert entries == ENTRIES[kind]
    # x * scale and out + v rounded separately (no FMA), float32 subnormals
    # kept although CuPy asks for flushing (no .ftz instruction).
    text = ptx.read_text()
    assert "fma." not in text and ".ftz" not in text


@pytest.mark.parametrize("kind", _source.KINDS)
def test_nvrtc_compiles_the_gpu_paths_text(kind):
    """NVRTC itself (no C library headers, __CUDACC_RTC__): the exact text and
    options of fastdrop/_gpu/_launch.py. Needs libnvrtc (FASTDROP_NVRTC, the
    library path, or NVIDIA's nvidia-cuda-nvrtc wheel); not nvcc."""
    from cuda_helpers import find_nvrtc, nvrtc_compile

    lib = find_nvrtc()
    if lib is None:
        pytest.skip("libnvrtc not found (set FASTDROP_NVRTC or pip install nvidia-cuda-nvrtc)")
    ok, log, cubin = nvrtc_compile(lib, _source.cuda_source(),
                                   [*_source.nvrtc_options(kind), "--gpu-architecture=sm_90",
                                    "-ftz=true"])  # as CuPy appends it
    assert ok, log
    assert len(cubin) > 0
    assert not log.strip(), log  # no warnings either

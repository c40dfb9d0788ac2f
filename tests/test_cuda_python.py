"""The GPU path's pure-Python parts, without CuPy or a GPU.

Routing (which calls go to the GPU, the TypeError for NumPy and CuPy
arguments mixed in one call) is tested with a stand-in ``cupy`` module whose
``ndarray`` is a plain class; no kernel runs. Geometry, vector alignment,
kernel arguments and the NVRTC text are plain functions.
"""

import subprocess
import sys
import types

import numpy as np
import pytest

import fastdrop
from fastdrop import _gpu, _reference
from fastdrop._gpu import _geometry, _source

STREAM = _source.stream_constants()


class FakeArray:
    """Stands in for cupy.ndarray: routing only asks isinstance."""


@pytest.fixture
def fake_cupy(monkeypatch):
    mod = types.ModuleType("cupy")
    mod.ndarray = FakeArray
    monkeypatch.setitem(sys.modules, "cupy", mod)
    return mod


def test_import_fastdrop_never_imports_cupy():
    code = ("import sys, numpy as np, fastdrop; "
            "fastdrop.dropout(np.ones(3, np.float32), 0.5, seed=1); "
            "fastdrop.Dropout(0.5, seed=1)(np.ones(3)); "
            "assert 'cupy' not in sys.modules, 'cupy imported'; "
            "assert 'fastdrop._gpu._api' not in sys.modules")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_route_without_cupy_imported(monkeypatch):
    monkeypatch.delitem(sys.modules, "cupy", raising=False)
    assert _gpu.route(x=np.ones(2), out=None) is False
    assert _gpu.is_cupy(np.ones(2)) is False


def test_route_sends_cupy_arrays_to_the_gpu(fake_cupy):
    assert _gpu.route(x=FakeArray(), out=None) is True
    assert _gpu.route(x=FakeArray(), out=FakeArray()) is True
    assert _gpu.route(x=np.ones(2), out=None) is False
    assert _gpu.route(grad=np.ones(2), out=None, mask=fastdrop.Mask(2, 0.5, seed=1)) is False
    assert _gpu.is_cupy(FakeArray()) and not _gpu.is_cupy(np.ones(2))


@pytest.mark.parametrize("call, name", [
    (lambda: fastdrop.dropout(np.ones(4, np.float32), 0.5, seed=1, out=FakeArray()), "x"),
    (lambda: fastdrop.dropout(FakeArray(), 0.5, seed=1, out=np.ones(4, np.float32)), "out"),
    (lambda: fastdrop.dropout([1.0, 2.0], 0.5, seed=1, out=FakeArray()), "x"),
    (lambda: fastdrop.dropout_forward(np.ones(4), 0.5, seed=1, out=FakeArray()), "x"),
    (lambda: fastdrop.dropout_forward(FakeArray(), 0.5, seed=1, out=np.ones(4)), "out"),
    (lambda: fastdrop.dropout_backward(FakeArray(), fastdrop.dropout_forward(
        np.ones(4), 0.5, seed=1)[1]), "mask"),
    (lambda: fastdrop.dropout_backward(np.ones(4), fastdrop.Mask(4, 0.5, seed=1),
                                       out=FakeArray()), "grad"),
    (lambda: fastdrop.Generator(1).dropout(np.ones(4), 0.5, out=FakeArray()), "x"),
    (lambda: fastdrop.Generator(1).dropout_forward(FakeArray(), 0.5, out=np.ones(4)), "out"),
])
def test_mixing_numpy_and_cupy_is_a_type_error_naming_the_argument(fake_cupy, call, name):
    with pytest.raises(TypeError, match=rf"^{name} must be a cupy\.ndarray like .*cannot be mixed"):
        call()


def test_a_refused_generator_call_reserves_no_offset(fake_cupy):
    gen = fastdrop.Generator(3)
    with pytest.raises(TypeError):
        gen.dropout(np.ones(4), 0.5, out=FakeArray())
    assert gen.offset == 0


def test_the_stream_shape_comes_from_rng_h():
    assert STREAM["BLOCK"] == _reference.BLOCK
    assert STREAM["LANES"] == _reference.LANES == _geometry.LANES
    assert STREAM["PARTS"] * STREAM["LANES"] * STREAM["STEPS"] == STREAM["BLOCK"]


@pytest.mark.parametrize("n", [1, 100, 2048, 10**6, 2**28, 2**30])
@pytest.mark.parametrize("offset", [0, 5, 2**64 - 2**31])
@pytest.mark.parametrize("sms, per_sm", [(132, 2048), (108, 2048), (1, 1024)])
def test_stream_geometry(n, offset, sms, per_sm):
    if offset + n > 2**64:
        pytest.skip("beyond the stream")
    geo = _geometry.stream_geometry(n, offset, sms, per_sm, STREAM)
    blocks = _geometry.stream_blocks(n, offset, STREAM["BLOCK"])
    assert geo.block % 32 == 0 and geo.block <= 1024
    assert STREAM["STEPS"] % geo.segments == 0 and geo.segments & (geo.segments - 1) == 0
    assert 1 <= geo.grid <= sms * (per_sm // geo.block) * _geometry.WAVES
    # Never more CUDA blocks than work items need, and no needless splitting.
    assert geo.grid * geo.block <= blocks * geo.segments * _geometry.LANES + geo.block
    if blocks * _geometry.LANES >= 2 * sms * per_sm:
        assert geo.segments == 1


def test_small_calls_are_split_to_fill_the_device():
    small = _geometry.stream_geometry(10**6, 0, 132, 2048, STREAM)
    large = _geometry.stream_geometry(2**28, 0, 132, 2048, STREAM)
    assert small.segments > 1 and large.segments == 1
    assert large.grid == 132 * (2048 // _geometry.THREADS) * _geometry.WAVES


def test_stream_blocks():
    B = STREAM["BLOCK"]
    assert _geometry.stream_blocks(1, 0, B) == 1
    assert _geometry.stream_blocks(B, 0, B) == 1
    assert _geometry.stream_blocks(B, 1, B) == 2
    assert _geometry.stream_blocks(2, B - 1, B) == 2
    assert _geometry.stream_blocks(5, 2**64 - 5, B) == 1


def test_apply_geometry():
    geo = _geometry.apply_geometry(1, 132, 2048)
    assert geo == (1, _geometry.THREADS, 1)
    geo = _geometry.apply_geometry(2**30, 132, 2048)
    assert geo.grid == 132 * 8 * _geometry.WAVES


@pytest.mark.parametrize("ptrs, offset, itemsize, run, ok", [
    ((4096, 8192), 0, 4, 2, True),
    ((4100, 8192), 0, 4, 2, False),     # x one float past an 8-byte boundary
    ((4100, 8196), 1, 4, 2, True),      # element 0 is stream element 1
    ((4096, 8192), 0, 4, 8, True),      # 32-byte runs go as 16-byte pieces
    ((4104, 8192), 0, 4, 8, False),
    ((4096, 8192), 3, 2, 8, False),
    ((4102, 8198), 3, 2, 8, True),
    ((4096, 4096), 1, 8, 2, False),
    ((4088, 4088), 1, 8, 2, True),
])
def test_vector_flag(ptrs, offset, itemsize, run, ok):
    assert _geometry.vector_flag(ptrs, offset, itemsize, run) == (_geometry.VEC_FLAG if ok else 0)


def test_kernel_arguments_have_the_kernels_c_types():
    x, y, bits = object(), object(), object()
    args = _geometry.dropout_args(x, y, None, 2**64 - 1, 5, 6, 2**32, np.float32(2.0), 3, 4)
    assert args[:2] == (x, y)
    assert type(args[2]) is np.uint64 and args[2] == 0  # NULL bits
    assert [type(a) for a in args[3:7]] == [np.uint64] * 4
    assert args[3] == 2**64 - 1 and args[6] == 2**32
    assert type(args[8]) is np.uint32 and type(args[9]) is np.uint32
    assert _geometry.dropout_args(x, y, bits, 1, 0, 1, 0, 1.0, 0, 1)[2] is bits
    m = _geometry.mask_args(bits, 1, 2, 3, 4, 8)
    assert m[0] is bits and [type(a) for a in m[1:]] == [np.uint64] * 4 + [np.uint32]
    a = _geometry.apply_args(bits, x, y, 9, np.float64(2.0), 2)
    assert a[:3] == (bits, x, y) and type(a[3]) is np.uint64 and type(a[5]) is np.uint32
    assert type(_geometry.scale_scalar(np.float16, 2.0)) is np.float32
    assert type(_geometry.scale_scalar(np.float32, 2.0)) is np.float32
    assert type(_geometry.scale_scalar(np.float64, 2.0)) is np.float64


def test_nvrtc_text_is_self_contained():
    text = _source.cuda_source()
    lines = text.splitlines()
    includes = [line for line in lines if line.lstrip().startswith("#include")]
    assert includes == ["#include <stdint.h>"]  # only in nvrtc_stdint.h's non-NVRTC branch
    for header in ("hd.h", "half.h", "rng.h", "rules.h"):
        assert sum(line == f'#line 1 "fastdrop/{header}"' for line in lines) == 1, header
    assert text.count('#line 1 "nvrtc_stdint.h"') == 1
    assert "FASTDROP_RNG_H" in text and "fd_gpu_stream_body" in text


def test_nvrtc_options():
    for kind in _source.KINDS:
        opts = _source.nvrtc_options(kind)
        assert "--fmad=false" in opts and f"-DFD_GPU_{kind.upper()}" in opts
        assert not any("fast_math" in o or "ftz=true" in o for o in opts)
    with pytest.raises(ValueError, match="kind"):
        _source.nvrtc_options("f8")


def test_gpu_functions_import_cupy_only_when_called(monkeypatch):
    """The lazy wrappers reach fastdrop._gpu._api, which needs CuPy."""
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy now fails
    monkeypatch.delitem(sys.modules, "fastdrop._gpu._api", raising=False)
    with pytest.raises(ImportError):
        _gpu.dropout(np.ones(2), 0.5, seed=1)


def _gpu_check():
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "bench" / "gpu_check.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_gpu_check_dry_run(tmp_path):
    from conftest import ROOT

    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "gpu_check.py"), "--dry-run",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    summary = (tmp_path / "gpu-check.json").read_text()
    assert '"dry run"' in summary and (tmp_path / "gpu-check.md").is_file()
    bad = subprocess.run([sys.executable, str(ROOT / "bench" / "gpu_check.py"), "--dry-run",
                          "--min-log2", "25", "--max-log2", "21"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--min-log2" in bad.stderr


def test_gpu_check_cases_and_judgement():
    mod = _gpu_check()
    cases = mod.equality_cases()
    assert {c[0] for c in cases} == set(mod.DTYPES)
    assert all(0 <= offset and offset + n <= 2**64 for _, n, _, offset in cases)
    assert any(offset + n == 2**64 for _, n, _, offset in cases)
    assert {p for _, n, p, _ in cases if n == 1} == set(mod.P_VALUES)
    moved = mod.bytes_moved(1 << 20)
    assert moved["copy"] == 8 << 20 and moved["fastdrop forward (bits)"] == (8 << 20) + (1 << 17)
    # Synthetic timings: fastdrop at 90 % of copy, torch slower at one size.
    rows = []
    for log2 in (20, mod.TARGET_LOG2):
        n = 1 << log2
        for op, bw in [("copy", 100.0), ("fastdrop forward (bits)", 90.0),
                       ("fastdrop forward (no mask)", 80.0), ("torch dropout", 50.0 if log2 == 20 else 120.0)]:
            b = mod.bytes_moved(n)[op]
            rows.append({"log2": log2, "n": n, "op": op, "bytes": b, "GB/s": bw, "seconds": b / bw / 1e9})
    verdicts = {v["target"]: v for v in mod.judge(rows)}
    assert verdicts[f"fastdrop forward (bits) >= 85% of copy GB/s at 2**{mod.TARGET_LOG2}"]["met"]
    assert not verdicts[f"fastdrop forward (no mask) >= 85% of copy GB/s at 2**{mod.TARGET_LOG2}"]["met"]
    speed = verdicts["fastdrop forward (bits) faster than torch dropout at every size"]
    assert not speed["met"] and str(mod.TARGET_LOG2) in speed["value"]
    text = mod.render_markdown({"command": "x", "environment": {}, "steps": [], "repeats": 3,
                                "benchmark": rows, "targets": list(verdicts.values())})
    assert "| 2**20 |" in text and "NOT met" in text


def test_gpu_check_equality_step_compares_bytes():
    """The comparison logic of bench/gpu_check.py, with NumPy standing in for CuPy
    (the calls then run on the CPU, so every case must match), and with a
    stand-in whose copies back to the host flip a bit (every case must fail)."""
    mod = _gpu_check()
    cases = [c for c in mod.equality_cases() if c[1] <= 65][:30]

    class Host:
        asarray = staticmethod(np.array)
        asnumpy = staticmethod(np.asarray)

    count, failures = mod.check_equality(fastdrop, Host, cases, seed=5)
    assert count == len(cases) and failures == []

    class Flipping(Host):
        @staticmethod
        def asnumpy(a):
            raw = np.array(a).view(np.uint8).copy()
            raw[0] ^= 1
            return raw.view(np.asarray(a).dtype)

    _, failures = mod.check_equality(fastdrop, Flipping, cases[:5], seed=5)
    assert len(failures) == 5 * 5  # y, bits, dx_bits, dx_seed_acc, y_nobits per case


def test_an_installed_fastdrop_ships_the_cuda_source():
    """setup.py copies kernels.cu and the stream headers into fastdrop/_gpu/cuda/
    (CI tests the installed package, so there this runs)."""
    from pathlib import Path

    from conftest import ROOT

    pkg = Path(fastdrop.__file__).resolve().parent
    if pkg == (ROOT / "fastdrop").resolve():
        pytest.skip("fastdrop is imported from the source tree, not from an installation")
    cuda = pkg / "_gpu" / "cuda"
    shipped = {"kernels.cu": ROOT / "src_c" / "cuda" / "kernels.cu",
               "nvrtc_stdint.h": ROOT / "src_c" / "cuda" / "nvrtc_stdint.h"}
    for header in sorted((ROOT / "src_c" / "include" / "fastdrop").glob("*.h")):
        shipped[f"include/fastdrop/{header.name}"] = header
    for rel, src in shipped.items():
        assert (cuda / rel).read_bytes() == src.read_bytes(), rel
    assert _source.source_dirs() == (cuda, cuda / "include")

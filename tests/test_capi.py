"""The C API (fastdrop/capi.h, fastdrop/capi.pxd): other extensions call the kernels
through the capsule fastdrop._core._C_API, with no link step.

A C extension (examples/capi/fdprobe.c) and a Cython one
(examples/capi/fdcython.pyx) are compiled once per session in a temporary
folder, against fastdrop.get_include() and nothing else of fastdrop, then
compared with the Python API and the NumPy reference bit for bit.
"""

import ctypes
import importlib
import math
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import fastdrop
from fastdrop import _core, _reference

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "capi"
PACKAGE_PARENT = str(Path(fastdrop.__file__).resolve().parent.parent)
DTYPES = [np.float16, np.float32, np.float64]
# Compilers run without a preloaded sanitizer runtime (.ci/sanitize preloads ASan).
COMPILER_ENV = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}


def _cc():
    """The C compiler Python was built with (as a command list), if it is here."""
    cmd = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    if not shutil.which(cmd[0]):
        pytest.skip(f"no C compiler ({cmd[0]}) to build an extension with")
    return cmd


def _build(sources, name, folder, extra=()):
    """Compiles the C files into the extension module `name` in folder; returns its path."""
    out = folder / (name + sysconfig.get_config_var("EXT_SUFFIX"))
    cmd = [*_cc(), "-shared", "-fPIC", "-O1", "-Wall",
           f"-I{sysconfig.get_paths()['include']}", f"-I{fastdrop.get_include()}",
           *extra, *map(str, sources), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=COMPILER_ENV)
    assert proc.returncode == 0, " ".join(cmd) + "\n" + proc.stderr
    return out


def _load(folder, name):
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    folder = tmp_path_factory.mktemp("capi_c")
    _build([EXAMPLES / "fdprobe.c"], "fdprobe", folder)
    return _load(folder, "fdprobe")


@pytest.fixture(scope="module")
def cython_probe(tmp_path_factory):
    pytest.importorskip("Cython", reason="Cython builds the .pyx example")
    from Cython.Build import cythonize

    folder = tmp_path_factory.mktemp("capi_cython")
    pyx = folder / "fdcython.pyx"
    shutil.copy(EXAMPLES / "fdcython.pyx", pyx)
    # include_path: where `cimport fastdrop.capi` finds fastdrop/capi.pxd.
    cythonize([str(pyx)], include_path=[PACKAGE_PARENT], quiet=True, language_level=3)
    _build([folder / "fdcython.c"], "fdcython", folder, [f"-I{np.get_include()}"])
    return _load(folder, "fdcython")


def _values(n, dtype, seed=3):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * 4).astype(dtype)
    if n >= 4:
        x[:4] = [np.inf, -np.inf, np.nan, -0.0]
    return x


def test_get_include_holds_the_public_headers():
    inc = Path(fastdrop.get_include())
    for rel in ["fastdrop.h", "fastdrop_normal.h", "fastdrop/capi.h", "fastdrop/rng.h"]:
        assert (inc / rel).is_file(), rel
    assert "get_include" in fastdrop.__all__


def test_the_capsule_has_the_table_name():
    is_valid = ctypes.pythonapi.PyCapsule_IsValid
    is_valid.restype = ctypes.c_int
    is_valid.argtypes = [ctypes.py_object, ctypes.c_char_p]
    assert is_valid(_core._C_API, b"fastdrop._core._C_API") == 1
    assert is_valid(_core._C_API, b"fastdrop._C_API") == 0


def test_table_version_size_and_stream_names(probe):
    major, minor, size, size_here, rng_spec, normal_spec = probe.info()
    assert (major, minor) == (1, 0)
    assert size == size_here
    # Two uint32 and a size_t, then 2 names and 29 function pointers (version 1.0).
    assert size == 8 + ctypes.sizeof(ctypes.c_size_t) + 31 * ctypes.sizeof(ctypes.c_void_p)
    assert (rng_spec, normal_spec) == (fastdrop.RNG_SPEC, fastdrop.NORMAL_SPEC)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("n, offset, p", [(1, 0, 0.5), (4099, 2041, 0.3), (300, 2**40, 0.0),
                                          (77, 5, 1.0)])
def test_c_dropout_and_apply_bits_equal_the_python_api(probe, isa, dtype, n, offset, p):
    x = _values(n, dtype)
    before = x.copy()
    y = np.empty_like(x)
    bits = probe.dropout(x, y, 12345, offset, p)
    want, mask = fastdrop.dropout_forward(x, p, seed=12345, offset=offset)
    np.testing.assert_array_equal(y.view(np.uint8), want.view(np.uint8))
    assert bits == mask.packed_bits().tobytes()
    np.testing.assert_array_equal(np.frombuffer(bits, np.uint8),
                                  _reference.packed_bits(_reference.keep_mask(12345, offset, p, n)))
    g = _values(n, dtype, seed=9)
    dx = np.empty_like(g)
    probe.apply_bits(bits, g, dx, mask.scale)
    np.testing.assert_array_equal(dx.view(np.uint8),
                                  fastdrop.dropout_backward(g, mask).view(np.uint8))
    np.testing.assert_array_equal(x.view(np.uint8), before.view(np.uint8))


def test_c_uniforms_equal_the_reference(probe):
    u = np.empty(3000, np.uint32)
    probe.uniforms(99, 2047, u)
    np.testing.assert_array_equal(u, _reference.uniforms(99, 2047, 3000))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_c_gaussian_equals_gaussian_dropout(probe, dtype):
    x = _values(2500, dtype)
    y = np.empty_like(x)
    probe.gaussian(x, y, 4, 17, math.sqrt(0.3 / 0.7))
    want = fastdrop.gaussian_dropout(x, 0.3, seed=4, offset=17)
    np.testing.assert_array_equal(y.view(np.uint8), want.view(np.uint8))


def test_c_status_codes_come_back(probe):
    x = np.ones(8, np.float32)
    with pytest.raises(ValueError, match="status -3"):  # FD_EARG: p out of [0, 1]
        probe.dropout(x, np.empty_like(x), 1, 0, 1.5)
    with pytest.raises(ValueError, match="status -2"):  # FD_ERANGE: past 2**64
        probe.dropout(x, np.empty_like(x), 1, 2**64 - 4, 0.5)


def test_kernel_and_threads_are_fastdrops_own(probe):
    """The table's setters change the state fastdrop's Python API reads."""
    before = _core.active_isa()
    try:
        probe.set_isa(0)
        assert fastdrop.simd_info()["active"] == "scalar" == probe.active_isa()
        _core.set_isa(_core.best_isa())
        assert probe.active_isa() == fastdrop.simd_info()["active"]
    finally:
        _core.set_isa(before)
    if _core.openmp():
        try:
            probe.set_num_threads(2)
            assert fastdrop.get_num_threads() == 2 == probe.get_num_threads()
        finally:
            fastdrop.set_num_threads(None)
    with pytest.raises(ValueError, match="status -3"):
        probe.set_num_threads(-1)


def test_version_check(probe):
    _, _, size, _, _, _ = probe.info()
    assert probe.import_version(1, 0, size) is True
    refused = [(2, 0, size, r"needs 2\.0"), (0, 0, size, r"needs 0\.0"),
               (1, 1, size, r"needs 1\.1"),
               (1, 0, size + 8, rf"needs 1\.0 \(table of {size + 8} bytes\), the installed "
                                rf"fastdrop has 1\.0 \({size} bytes\)")]
    for major, minor, need, what in refused:
        with pytest.raises(ImportError, match="^fastdrop C API version mismatch: this extension "
                                              + what):
            probe.import_version(major, minor, need)


def test_an_extension_built_for_another_major_fails_to_import(tmp_path):
    src = tmp_path / "fdwrong.c"
    src.write_text(
        '#include "fastdrop/capi.h"\n'
        "static struct PyModuleDef m = {PyModuleDef_HEAD_INIT, .m_name = \"fdwrong\", .m_size = -1};\n"
        "PyMODINIT_FUNC PyInit_fdwrong(void)\n"
        "{\n"
        "    if (fd_capi_import_version(FD_CAPI_MAJOR + 1, 0, sizeof(fd_capi)) == NULL)\n"
        "        return NULL;\n"
        "    return PyModule_Create(&m);\n"
        "}\n")
    _build([src], "fdwrong", tmp_path)
    with pytest.raises(ImportError, match=r"needs 2\.0 .* has 1\.0"):
        _load(tmp_path, "fdwrong")


def test_the_header_compiles_as_cpp(tmp_path):
    cxx = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if cxx is None:
        pytest.skip("no C++ compiler")
    src = tmp_path / "use.cpp"
    src.write_text('#include "fastdrop/capi.h"\n'
                   "const fd_capi *get() { return fd_capi_import(); }\n")
    proc = subprocess.run([cxx, "-fsyntax-only", "-Wall", "-Werror", "-std=c++17",
                           f"-I{sysconfig.get_paths()['include']}", f"-I{fastdrop.get_include()}",
                           str(src)], capture_output=True, text=True, env=COMPILER_ENV)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_cython_nogil_dropout_equals_the_python_api(cython_probe, dtype):
    x = _values(5000, dtype)
    y = np.empty_like(x)
    kernel = getattr(cython_probe, {2: "dropout_f16", 4: "dropout_f32", 8: "dropout_f64"}[x.itemsize])
    raw = np.uint16 if x.itemsize == 2 else None
    kernel(x.view(raw) if raw else x, y.view(raw) if raw else y, 7, 2050, 0.4)
    want = fastdrop.dropout(x, 0.4, seed=7, offset=2050)
    np.testing.assert_array_equal(y.view(np.uint8), want.view(np.uint8))


def test_cython_kernels_run_on_threads_at_once(cython_probe):
    """Calls without the GIL from four threads: each gets its own seed's bits."""
    x = _values(200_000, np.float32)

    def run(seed):
        y = np.empty_like(x)
        cython_probe.dropout_f32(x, y, seed, 0, 0.25)
        return y

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(run, range(4)))
    for seed, y in enumerate(results):
        np.testing.assert_array_equal(y.view(np.uint32),
                                      fastdrop.dropout(x, 0.25, seed=seed).view(np.uint32))
    bits = np.empty(100, np.uint8)
    cython_probe.mask_bits(5, 3, 0.5, bits)
    np.testing.assert_array_equal(bits, _reference.packed_bits(_reference.keep_mask(5, 3, 0.5, 800)))
    with pytest.raises(ValueError, match="p must be in"):
        cython_probe.dropout_f32(x, np.empty_like(x), 1, 0, -0.5)


def test_the_documented_small_example(tmp_path):
    """examples/capi/dropout_ext.c, the example of docs/c-api.rst."""
    _build([EXAMPLES / "dropout_ext.c"], "dropout_ext", tmp_path)
    ext = _load(tmp_path, "dropout_ext")
    x = _values(3001, np.float32)
    y = np.empty_like(x)
    ext.dropout_f32(x, y, 42, 5, 0.2)
    np.testing.assert_array_equal(y.view(np.uint32),
                                  fastdrop.dropout(x, 0.2, seed=42, offset=5).view(np.uint32))
    with pytest.raises(ValueError, match="status -3"):
        ext.dropout_f32(x, y, 42, 5, 2.0)

"""The C API (fastdrop/capi.h, fastdrop/capi.pxd): other extensions call the kernels
through the capsule fastdrop._core._C_API, with no link step.

A C extension (examples/capi/fdprobe.c) and a Cython one
(examples/capi/fdcython.pyx) are compiled once per session in a temporary
folder, against fastdrop.get_include() and nothing else of fastdrop, then
compared with the Python API and the NumPy reference bit for bit.
"""

import ctypes
import importlib.util
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

from conftest import unavailable

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
    if importlib.util.find_spec("Cython") is None:
        unavailable("Cython is not installed (pip install '.[test]'): it builds the .pyx example",
                    "FASTDROP_REQUIRE_INTEROP")
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
    assert (major, minor) == (1, 1)
    assert size == size_here
    # Two uint32 and a size_t, then 2 names and 29 function pointers (version 1.0), then 9
    # more (1.1).
    assert size == 8 + ctypes.sizeof(ctypes.c_size_t) + 40 * ctypes.sizeof(ctypes.c_void_p)
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
    assert probe.import_version(1, 0, size) is True  # an extension built for 1.0
    assert probe.import_version(1, 1, size) is True
    refused = [(2, 0, size, r"needs 2\.0"), (0, 0, size, r"needs 0\.0"),
               (1, 2, size, r"needs 1\.2"),
               (1, 1, size + 8, rf"needs 1\.1 \(table of {size + 8} bytes\), the installed "
                                rf"fastdrop has 1\.1 \({size} bytes\)")]
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
    with pytest.raises(ImportError, match=r"needs 2\.0 .* has 1\.1"):
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


# ---- every pointer of the table, called through ctypes ------------------------------------

_u8p, _u16p, _u32p, _u64p = (ctypes.POINTER(t) for t in (ctypes.c_uint8, ctypes.c_uint16,
                                                           ctypes.c_uint32, ctypes.c_uint64))
_f32p, _f64p = ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_double)
_int, _f, _d, _sz, _u = ctypes.c_int, ctypes.c_float, ctypes.c_double, ctypes.c_size_t, ctypes.c_uint


class _Stream(ctypes.Structure):
    _fields_ = [("key", ctypes.c_uint64), ("index", ctypes.c_uint64), ("threshold", ctypes.c_uint64)]


class _Noise(ctypes.Structure):
    _fields_ = [("bits", _u8p), ("size", _sz), ("ndim", _int), ("dims", ctypes.POINTER(_sz)),
                ("noise_axes", _u8p)]


class _Window(ctypes.Structure):
    _fields_ = [("ndim", _int), ("shape", ctypes.POINTER(_sz)),
                ("global_shape", ctypes.POINTER(ctypes.c_uint64)),
                ("origin", ctypes.POINTER(ctypes.c_uint64))]


_sp, _noisep, _windowp = ctypes.POINTER(_Stream), ctypes.POINTER(_Noise), ctypes.POINTER(_Window)
F = ctypes.CFUNCTYPE
# fastdrop/capi.h, version 1.1, field by field.
_TABLE = [
    ("abi_major", ctypes.c_uint32), ("abi_minor", ctypes.c_uint32), ("struct_size", _sz),
    ("rng_spec", ctypes.c_char_p), ("normal_spec", ctypes.c_char_p),
    ("key", F(ctypes.c_uint64, ctypes.c_uint64)),
    ("threshold", F(_int, _d, _u64p)),
    ("uniforms", F(_int, _sp, _u32p, _sz)),
    ("mask_bits", F(_int, _sp, _u8p, _sz)),
    ("dropout_f16", F(_int, _sp, _u16p, _u16p, _u8p, _sz, _f, _u)),
    ("dropout_f32", F(_int, _sp, _f32p, _f32p, _u8p, _sz, _f, _u)),
    ("dropout_f64", F(_int, _sp, _f64p, _f64p, _u8p, _sz, _d, _u)),
    ("apply_bits_f16", F(_int, _u8p, _u16p, _u16p, _sz, _f, _u)),
    ("apply_bits_f32", F(_int, _u8p, _f32p, _f32p, _sz, _f, _u)),
    ("apply_bits_f64", F(_int, _u8p, _f64p, _f64p, _sz, _d, _u)),
    ("noise_apply_f16", F(_int, _noisep, _u16p, _u16p, _f, _u)),
    ("noise_apply_f32", F(_int, _noisep, _f32p, _f32p, _f, _u)),
    ("noise_apply_f64", F(_int, _noisep, _f64p, _f64p, _d, _u)),
    ("noise_affine_f16", F(_int, _noisep, _u16p, _u16p, _f, _f, _f)),
    ("noise_affine_f32", F(_int, _noisep, _f32p, _f32p, _f, _f, _f)),
    ("noise_affine_f64", F(_int, _noisep, _f64p, _f64p, _d, _d, _d)),
    ("isa_name", F(ctypes.c_char_p, _int)), ("isa_supported", F(_int, _int)),
    ("best_isa", F(_int)), ("active_isa", F(_int)), ("set_isa", F(_int, _int)),
    ("openmp", F(_int)), ("set_num_threads", F(_int, _int)), ("get_num_threads", F(_int)),
    ("normals_f64", F(_int, ctypes.c_uint64, ctypes.c_uint64, _f64p, _sz)),
    ("normals_f32", F(_int, ctypes.c_uint64, ctypes.c_uint64, _f32p, _sz)),
    ("gaussian_f64", F(_int, ctypes.c_uint64, ctypes.c_uint64, _f64p, _f64p, _sz, _d)),
    ("gaussian_f32", F(_int, ctypes.c_uint64, ctypes.c_uint64, _f32p, _f32p, _sz, _f)),
    ("normal_words_f64", F(_int, _u64p, _f64p, _sz)),
    # version 1.1
    ("dropout_bf16", F(_int, _sp, _u16p, _u16p, _u8p, _sz, _f, _u)),
    ("apply_bits_bf16", F(_int, _u8p, _u16p, _u16p, _sz, _f, _u)),
    ("noise_apply_bf16", F(_int, _noisep, _u16p, _u16p, _f, _u)),
    ("noise_affine_bf16", F(_int, _noisep, _u16p, _u16p, _f, _f, _f)),
    ("window_mask_bits", F(_int, _sp, _windowp, _u8p)),
    ("window_dropout_f16", F(_int, _sp, _windowp, _u16p, _u16p, _u8p, _f, _u)),
    ("window_dropout_bf16", F(_int, _sp, _windowp, _u16p, _u16p, _u8p, _f, _u)),
    ("window_dropout_f32", F(_int, _sp, _windowp, _f32p, _f32p, _u8p, _f, _u)),
    ("window_dropout_f64", F(_int, _sp, _windowp, _f64p, _f64p, _u8p, _d, _u)),
]


class _Table(ctypes.Structure):
    _fields_ = _TABLE


def _table():
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype = ctypes.c_void_p
    get.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return _Table.from_address(get(_core._C_API, b"fastdrop._core._C_API"))


def _ptr(a, ptype):
    return a.ctypes.data_as(ptype)


def test_every_pointer_of_the_table_does_what_its_function_does():
    t = _table()
    assert t.struct_size == ctypes.sizeof(_Table)  # the same fields, in the header's order
    for name, _ in _TABLE[5:]:
        assert getattr(t, name), name  # no NULL pointer
    assert t.key(2**63 + 5) == _core.key(2**63 + 5)
    th = ctypes.c_uint64()
    assert t.threshold(0.3, ctypes.byref(th)) == 0 and th.value == _core.threshold(0.3)
    assert [t.isa_name(i).decode() for i in range(3)] == _core.isa_names()
    assert [bool(t.isa_supported(i)) for i in range(3)] == [_core.isa_supported(i) for i in range(3)]
    assert (t.best_isa(), t.active_isa(), bool(t.openmp())) == (
        _core.best_isa(), _core.active_isa(), _core.openmp())
    assert t.get_num_threads() == fastdrop.get_num_threads()
    s = _Stream(_core.key(6), 100, _core.threshold(0.4))
    bits = np.empty(13, np.uint8)
    assert t.mask_bits(ctypes.byref(s), _ptr(bits, _u8p), 100) == 0
    np.testing.assert_array_equal(bits, _reference.packed_bits(_reference.keep_mask(6, 100, 0.4, 100)))
    for dtype, name in [(np.float16, "f16"), (np.float32, "f32"), (np.float64, "f64")]:
        raw = {2: _u16p, 4: _f32p, 8: _f64p}[np.dtype(dtype).itemsize]
        x = _values(60, dtype).reshape(6, 10)
        y, want = np.empty_like(x), np.empty_like(x)
        nb = np.empty(1, np.uint8)  # a mask of 6 elements over axis 0
        _core.mask_bits(_core.key(1), 0, _core.threshold(0.5), nb, 6)
        dims, axes = (_sz * 2)(6, 10), (ctypes.c_uint8 * 2)(1, 0)
        nz = _Noise(_ptr(nb, _u8p), 6, 2, dims, axes)
        assert getattr(t, "noise_apply_" + name)(ctypes.byref(nz), _ptr(x, raw), _ptr(y, raw),
                                                 2.0, 1) == 0
        _core.noise_apply(nb, x, want, (6, 1), 2.0, 1)
        np.testing.assert_array_equal(y.view(np.uint8), want.view(np.uint8))
        assert getattr(t, "noise_affine_" + name)(ctypes.byref(nz), _ptr(x, raw), _ptr(y, raw),
                                                  1.5, -0.25, -1.75) == 0
        _core.noise_affine(nb, x, want, (6, 1), 1.5, -0.25, -1.75)
        np.testing.assert_array_equal(y.view(np.uint8), want.view(np.uint8))
    for dtype, name, raw in [(np.float32, "f32", _f32p), (np.float64, "f64", _f64p)]:
        z, want = np.empty(3000, dtype), np.empty(3000, dtype)
        assert getattr(t, "normals_" + name)(_core.key(3), 2**40, _ptr(z, raw), 3000) == 0
        _core.normals(_core.key(3), 2**40, want)
        np.testing.assert_array_equal(z.view(np.uint8), want.view(np.uint8))
    h = np.random.default_rng(0).integers(0, 2**64, 500, dtype=np.uint64)
    z, want = np.empty(500), np.empty(500)
    assert t.normal_words_f64(_ptr(h, _u64p), _ptr(z, _f64p), 500) == 0
    _core._normal_words(h, want)
    np.testing.assert_array_equal(z.view(np.uint64), want.view(np.uint64))


def _bfloat16():
    """ml_dtypes' bfloat16 dtype; skips without ml_dtypes (fails under FASTDROP_REQUIRE_INTEROP=1)."""
    if importlib.util.find_spec("ml_dtypes") is None:
        unavailable("ml_dtypes is not installed (pip install ml_dtypes)", "FASTDROP_REQUIRE_INTEROP")
    import ml_dtypes

    return np.dtype(ml_dtypes.bfloat16)


def test_the_bfloat16_pointers_of_version_1_1_are_the_bfloat16_kernels():
    t, bf16 = _table(), _bfloat16()
    x = _values(300, np.float32).astype(bf16)
    s = _Stream(_core.key(11), 2040, _core.threshold(0.3))
    y, bits = np.empty_like(x), np.empty(38, np.uint8)
    assert t.dropout_bf16(ctypes.byref(s), _ptr(x, _u16p), _ptr(y, _u16p), _ptr(bits, _u8p),
                          300, 1 / (1 - 0.3), 1) == 0
    want, mask = fastdrop.dropout_forward(x, 0.3, seed=11, offset=2040)
    np.testing.assert_array_equal(y.view(np.uint16), want.view(np.uint16))
    np.testing.assert_array_equal(bits, mask.packed_bits())
    g = _values(300, np.float32, seed=5).astype(bf16)
    assert t.apply_bits_bf16(_ptr(bits, _u8p), _ptr(g, _u16p), _ptr(y, _u16p), 300,
                             1 / (1 - 0.3), 1) == 0
    np.testing.assert_array_equal(y.view(np.uint16),
                                  fastdrop.dropout_backward(g, mask).view(np.uint16))
    x2 = _values(60, np.float32).astype(bf16).reshape(6, 10)
    y2, want2 = np.empty_like(x2), np.empty_like(x2)
    nb = np.empty(1, np.uint8)
    _core.mask_bits(_core.key(1), 0, _core.threshold(0.5), nb, 6)
    dims, axes = (_sz * 2)(6, 10), (ctypes.c_uint8 * 2)(1, 0)
    nz = _Noise(_ptr(nb, _u8p), 6, 2, dims, axes)
    assert t.noise_apply_bf16(ctypes.byref(nz), _ptr(x2, _u16p), _ptr(y2, _u16p), 2.0, 1) == 0
    _core.noise_apply(nb, x2, want2, (6, 1), 2.0, 1)
    np.testing.assert_array_equal(y2.view(np.uint16), want2.view(np.uint16))
    assert t.noise_affine_bf16(ctypes.byref(nz), _ptr(x2, _u16p), _ptr(y2, _u16p),
                               1.5, -0.25, -1.75) == 0
    _core.noise_affine(nb, x2, want2, (6, 1), 1.5, -0.25, -1.75)
    np.testing.assert_array_equal(y2.view(np.uint16), want2.view(np.uint16))


@pytest.mark.parametrize("dtype", [*DTYPES, "bfloat16"], ids=str)
def test_the_window_pointers_of_version_1_1_give_the_slice_of_the_whole_call(dtype):
    t = _table()
    dtype = _bfloat16() if dtype == "bfloat16" else np.dtype(dtype)
    g, o, b = (9, 40, 33), (2, 5, 7), (4, 30, 20)
    X = _values(int(np.prod(g)), np.float32).astype(dtype).reshape(g)
    block = np.ascontiguousarray(X[2:6, 5:35, 7:27])
    want, mask = fastdrop.dropout_forward(block, 0.4, seed=8, offset=77, global_shape=g,
                                          global_origin=o)
    np.testing.assert_array_equal(
        want.view(f"u{dtype.itemsize}"),
        fastdrop.dropout(X, 0.4, seed=8, offset=77)[2:6, 5:35, 7:27].view(f"u{dtype.itemsize}"))
    shape = (_sz * 3)(*b)
    gs, org = (ctypes.c_uint64 * 3)(*g), (ctypes.c_uint64 * 3)(*o)
    w = _Window(3, shape, gs, org)
    s = _Stream(_core.key(8), 77, _core.threshold(0.4))
    bits = np.empty((block.size + 7) // 8, np.uint8)
    assert t.window_mask_bits(ctypes.byref(s), ctypes.byref(w), _ptr(bits, _u8p)) == 0
    np.testing.assert_array_equal(bits, mask.packed_bits())
    name = "bf16" if dtype.name == "bfloat16" else {2: "f16", 4: "f32", 8: "f64"}[dtype.itemsize]
    raw = {2: _u16p, 4: _f32p, 8: _f64p}[dtype.itemsize]
    y, bits2 = np.empty_like(block), np.empty_like(bits)
    assert getattr(t, "window_dropout_" + name)(ctypes.byref(s), ctypes.byref(w),
                                                _ptr(block, raw), _ptr(y, raw),
                                                _ptr(bits2, _u8p), 1 / (1 - 0.4), 1) == 0
    np.testing.assert_array_equal(y.view(np.uint8), want.view(np.uint8))
    np.testing.assert_array_equal(bits2, bits)

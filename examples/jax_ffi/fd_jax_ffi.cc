// fd_jax_ffi: fastdrop's float32 dropout as an XLA FFI custom call for JAX
// on the CPU, the kernels reached through fastdrop's C API table
// (fastdrop/capi.h). XLA hands the handler its operand and result buffers
// directly, so nothing is copied, unlike jax.pure_callback.
//
// Build (C++17) with fastdrop.get_include(), jax.ffi.include_dir() and
// Python's include dir on the include path; then in Python:
//
//     import fd_jax_ffi, jax
//     jax.ffi.register_ffi_target("fd_dropout_f32", fd_jax_ffi.dropout_f32(), platform="cpu")
//     y = jax.ffi.ffi_call("fd_dropout_f32", jax.ShapeDtypeStruct(x.shape, x.dtype))(
//         words, x, p=numpy.float64(p), offset=numpy.uint64(offset))
//
// words: the seed as uint32[2] (high, low), as fastdrop.jax computes it.
// tests/jax_cases.py builds it and compares it with fastdrop.dropout.
#define PY_SSIZE_T_CLEAN
#include "fastdrop/capi.h"

#include <cstdint>
#include <string>

#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

static const fd_capi *fd;  // fastdrop's table, taken at module import

static ffi::Error DropoutF32(ffi::Buffer<ffi::U32> words, ffi::Buffer<ffi::F32> x,
                             ffi::ResultBuffer<ffi::F32> y, double p, uint64_t offset)
{
    if (words.element_count() != 2)
        return ffi::Error(ffi::ErrorCode::kInvalidArgument, "words must be uint32[2]");
    const uint32_t *w = words.typed_data();
    fd_stream s = {fd->key((uint64_t(w[0]) << 32) | w[1]), offset, 0};
    int rc = fd->threshold(p, &s.threshold);
    if (rc == FD_OK) {
        const float scale = p == 1.0 ? 0.0f : float(1.0 / (1.0 - p));
        rc = fd->dropout_f32(&s, x.typed_data(), y->typed_data(), nullptr, x.element_count(),
                             scale, FD_SCALE);
    }
    if (rc != FD_OK)
        return ffi::Error(ffi::ErrorCode::kInvalidArgument,
                          "fastdrop status " + std::to_string(rc));
    return ffi::Error::Success();
}

XLA_FFI_DEFINE_HANDLER_SYMBOL(fd_dropout_f32_handler, DropoutF32,
                              ffi::Ffi::Bind()
                                  .Arg<ffi::Buffer<ffi::U32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Ret<ffi::Buffer<ffi::F32>>()
                                  .Attr<double>("p")
                                  .Attr<uint64_t>("offset"));

static PyObject *dropout_f32(PyObject *, PyObject *)
{
    return PyCapsule_New(reinterpret_cast<void *>(fd_dropout_f32_handler), nullptr, nullptr);
}

static PyMethodDef methods[] = {
    {"dropout_f32", dropout_f32, METH_NOARGS, "the FFI handler, as a capsule"},
    {nullptr, nullptr, 0, nullptr},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "fd_jax_ffi", nullptr, -1, methods};

PyMODINIT_FUNC PyInit_fd_jax_ffi(void)
{
    fd = fd_capi_import();
    if (fd == nullptr)
        return nullptr;
    return PyModule_Create(&module);
}

# cython: language_level=3
"""fastdrop's C API for Cython: the fd_capi table of src_c/include/fastdrop/capi.h.

Other Cython modules reach fastdrop's kernels through function pointers in
the capsule ``fastdrop._core._C_API``, so they need no link step::

    from fastdrop.capi cimport fd_capi, fd_capi_import, fd_stream, FD_SCALE

    cdef const fd_capi *fd = fd_capi_import()   # once, with the GIL

    ...
    with nogil:
        rc = fd.dropout_f32(&s, &x[0], &y[0], NULL, n, scale, FD_SCALE)

Build with ``include_dirs=[fastdrop.get_include()]``. The fields and their
order are the header's (the C compiler reads the layout from there; this
file only names them). A field appended to the header (a new minor version)
is declared here too, at the end.
"""
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t

# The types and constants of fastdrop.h, for users of the table.
from fastdrop.c_fastdrop cimport (FD_ACCUMULATE, FD_BLOCK, FD_EARG, FD_EISA, FD_ENULL, FD_ERANGE,
                                  FD_ISA_AVX2, FD_ISA_AVX512, FD_ISA_COUNT, FD_ISA_SCALAR,
                                  FD_KEEP_ALL, FD_NOISE_MAX_DIMS, FD_OK, FD_SCALE,
                                  FD_WINDOW_MAX_DIMS, fd_noise, fd_stream, fd_window)


cdef extern from "fastdrop/capi.h" nogil:
    const char *FD_CAPI_NAME
    unsigned int FD_CAPI_MAJOR, FD_CAPI_MINOR

    ctypedef struct fd_capi:
        uint32_t abi_major
        uint32_t abi_minor
        size_t struct_size

        # minor version 0
        const char *rng_spec
        const char *normal_spec

        uint64_t (*key)(uint64_t seed) noexcept nogil
        int (*threshold)(double p, uint64_t *threshold) noexcept nogil
        int (*uniforms)(const fd_stream *s, uint32_t *u, size_t n) noexcept nogil
        int (*mask_bits)(const fd_stream *s, uint8_t *bits, size_t n) noexcept nogil

        int (*dropout_f16)(const fd_stream *s, const uint16_t *x, uint16_t *y, uint8_t *bits,
                           size_t n, float scale, unsigned flags) noexcept nogil
        int (*dropout_f32)(const fd_stream *s, const float *x, float *y, uint8_t *bits,
                           size_t n, float scale, unsigned flags) noexcept nogil
        int (*dropout_f64)(const fd_stream *s, const double *x, double *y, uint8_t *bits,
                           size_t n, double scale, unsigned flags) noexcept nogil
        int (*apply_bits_f16)(const uint8_t *bits, const uint16_t *x, uint16_t *y, size_t n,
                              float scale, unsigned flags) noexcept nogil
        int (*apply_bits_f32)(const uint8_t *bits, const float *x, float *y, size_t n,
                              float scale, unsigned flags) noexcept nogil
        int (*apply_bits_f64)(const uint8_t *bits, const double *x, double *y, size_t n,
                              double scale, unsigned flags) noexcept nogil

        int (*noise_apply_f16)(const fd_noise *nz, const uint16_t *x, uint16_t *y, float scale,
                               unsigned flags) noexcept nogil
        int (*noise_apply_f32)(const fd_noise *nz, const float *x, float *y, float scale,
                               unsigned flags) noexcept nogil
        int (*noise_apply_f64)(const fd_noise *nz, const double *x, double *y, double scale,
                               unsigned flags) noexcept nogil
        int (*noise_affine_f16)(const fd_noise *nz, const uint16_t *x, uint16_t *y, float a,
                                float b, float alpha) noexcept nogil
        int (*noise_affine_f32)(const fd_noise *nz, const float *x, float *y, float a, float b,
                                float alpha) noexcept nogil
        int (*noise_affine_f64)(const fd_noise *nz, const double *x, double *y, double a,
                                double b, double alpha) noexcept nogil

        const char *(*isa_name)(int isa) noexcept nogil
        int (*isa_supported)(int isa) noexcept nogil
        int (*best_isa)() noexcept nogil
        int (*active_isa)() noexcept nogil
        int (*set_isa)(int isa) noexcept nogil
        int (*openmp)() noexcept nogil
        int (*set_num_threads)(int n) noexcept nogil
        int (*get_num_threads)() noexcept nogil

        int (*normals_f64)(uint64_t key, uint64_t index, double *z, size_t n) noexcept nogil
        int (*normals_f32)(uint64_t key, uint64_t index, float *z, size_t n) noexcept nogil
        int (*gaussian_f64)(uint64_t key, uint64_t index, const double *x, double *y, size_t n,
                            double sigma) noexcept nogil
        int (*gaussian_f32)(uint64_t key, uint64_t index, const float *x, float *y, size_t n,
                            float sigma) noexcept nogil
        int (*normal_words_f64)(const uint64_t *h, double *z, size_t n) noexcept nogil

        # minor version 1: bfloat16 and windows
        int (*dropout_bf16)(const fd_stream *s, const uint16_t *x, uint16_t *y, uint8_t *bits,
                            size_t n, float scale, unsigned flags) noexcept nogil
        int (*apply_bits_bf16)(const uint8_t *bits, const uint16_t *x, uint16_t *y, size_t n,
                               float scale, unsigned flags) noexcept nogil
        int (*noise_apply_bf16)(const fd_noise *nz, const uint16_t *x, uint16_t *y, float scale,
                                unsigned flags) noexcept nogil
        int (*noise_affine_bf16)(const fd_noise *nz, const uint16_t *x, uint16_t *y, float a,
                                 float b, float alpha) noexcept nogil
        int (*window_mask_bits)(const fd_stream *s, const fd_window *w,
                                uint8_t *bits) noexcept nogil
        int (*window_dropout_f16)(const fd_stream *s, const fd_window *w, const uint16_t *x,
                                  uint16_t *y, uint8_t *bits, float scale,
                                  unsigned flags) noexcept nogil
        int (*window_dropout_bf16)(const fd_stream *s, const fd_window *w, const uint16_t *x,
                                   uint16_t *y, uint8_t *bits, float scale,
                                   unsigned flags) noexcept nogil
        int (*window_dropout_f32)(const fd_stream *s, const fd_window *w, const float *x,
                                  float *y, uint8_t *bits, float scale,
                                  unsigned flags) noexcept nogil
        int (*window_dropout_f64)(const fd_stream *s, const fd_window *w, const double *x,
                                  double *y, uint8_t *bits, double scale,
                                  unsigned flags) noexcept nogil

        # minor version 2 and later: append here, in the header's order


cdef extern from "fastdrop/capi.h":
    # With the GIL: NULL with a Python exception (ImportError on a version mismatch).
    const fd_capi *fd_capi_import() except NULL
    const fd_capi *fd_capi_import_version(unsigned major, unsigned minor,
                                          size_t size) except NULL

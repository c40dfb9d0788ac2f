# cython: language_level=3
"""Declarations of the public C API in src_c/include/fastdrop.h."""
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t


cdef extern from "fastdrop.h" nogil:
    const char *FD_RNG_SPEC
    unsigned int FD_BLOCK
    uint64_t FD_KEEP_ALL

    int FD_OK, FD_ENULL, FD_ERANGE, FD_EARG, FD_EISA
    unsigned int FD_SCALE, FD_ACCUMULATE

    ctypedef struct fd_stream:
        uint64_t key
        uint64_t index
        uint64_t threshold

    uint64_t fd_key(uint64_t seed) noexcept
    int fd_threshold(double p, uint64_t *threshold) noexcept
    int fd_uniforms(const fd_stream *s, uint32_t *u, size_t n) noexcept
    int fd_mask_bits(const fd_stream *s, uint8_t *bits, size_t n) noexcept

    int fd_dropout_f16(const fd_stream *s, const uint16_t *x, uint16_t *y,
                       uint8_t *bits, size_t n, float scale, unsigned flags) noexcept
    int fd_dropout_f32(const fd_stream *s, const float *x, float *y,
                       uint8_t *bits, size_t n, float scale, unsigned flags) noexcept
    int fd_dropout_f64(const fd_stream *s, const double *x, double *y,
                       uint8_t *bits, size_t n, double scale, unsigned flags) noexcept
    int fd_apply_bits_f16(const uint8_t *bits, const uint16_t *x, uint16_t *y,
                          size_t n, float scale, unsigned flags) noexcept
    int fd_dropout_bf16(const fd_stream *s, const uint16_t *x, uint16_t *y,
                        uint8_t *bits, size_t n, float scale, unsigned flags) noexcept
    int fd_apply_bits_bf16(const uint8_t *bits, const uint16_t *x, uint16_t *y,
                           size_t n, float scale, unsigned flags) noexcept
    int fd_apply_bits_f32(const uint8_t *bits, const float *x, float *y,
                          size_t n, float scale, unsigned flags) noexcept
    int fd_apply_bits_f64(const uint8_t *bits, const double *x, double *y,
                          size_t n, double scale, unsigned flags) noexcept

    int FD_ISA_SCALAR, FD_ISA_AVX2, FD_ISA_AVX512, FD_ISA_COUNT
    int fd_init() noexcept
    int fd_best_isa() noexcept
    const char *fd_isa_name(int isa) noexcept
    int fd_isa_supported(int isa) noexcept
    int fd_active_isa() noexcept
    int fd_set_isa(int isa) noexcept

    int fd_openmp() noexcept
    int fd_set_num_threads(int n) noexcept
    int fd_get_num_threads() noexcept

    # ===   Noise shapes (src_c/api/fd_noise.c)   ===
    int FD_NOISE_MAX_DIMS

    ctypedef struct fd_noise:
        const uint8_t *bits
        size_t size
        int ndim
        const size_t *dims
        const uint8_t *noise_axes

    int fd_noise_apply_f16(const fd_noise *nz, const uint16_t *x, uint16_t *y, float scale,
                           unsigned flags) noexcept
    int fd_noise_apply_f32(const fd_noise *nz, const float *x, float *y, float scale,
                           unsigned flags) noexcept
    int fd_noise_apply_f64(const fd_noise *nz, const double *x, double *y, double scale,
                           unsigned flags) noexcept
    int fd_noise_apply_bf16(const fd_noise *nz, const uint16_t *x, uint16_t *y, float scale,
                            unsigned flags) noexcept
    int fd_noise_affine_bf16(const fd_noise *nz, const uint16_t *x, uint16_t *y, float a,
                             float b, float alpha) noexcept
    int fd_noise_affine_f16(const fd_noise *nz, const uint16_t *x, uint16_t *y, float a,
                            float b, float alpha) noexcept
    int fd_noise_affine_f32(const fd_noise *nz, const float *x, float *y, float a, float b,
                            float alpha) noexcept
    int fd_noise_affine_f64(const fd_noise *nz, const double *x, double *y, double a, double b,
                            double alpha) noexcept

    # ===   Windows (src_c/api/fd_window.c)   ===
    int FD_WINDOW_MAX_DIMS

    ctypedef struct fd_window:
        int ndim
        const size_t *shape
        const uint64_t *global_shape
        const uint64_t *origin

    int fd_window_mask_bits(const fd_stream *s, const fd_window *w, uint8_t *bits) noexcept
    int fd_window_dropout_f16(const fd_stream *s, const fd_window *w, const uint16_t *x,
                              uint16_t *y, uint8_t *bits, float scale, unsigned flags) noexcept
    int fd_window_dropout_bf16(const fd_stream *s, const fd_window *w, const uint16_t *x,
                               uint16_t *y, uint8_t *bits, float scale, unsigned flags) noexcept
    int fd_window_dropout_f32(const fd_stream *s, const fd_window *w, const float *x, float *y,
                              uint8_t *bits, float scale, unsigned flags) noexcept
    int fd_window_dropout_f64(const fd_stream *s, const fd_window *w, const double *x,
                              double *y, uint8_t *bits, double scale, unsigned flags) noexcept

    # ===   DropBlock (src_c/api/fd_block.c)   ===
    int fd_block_keep_bits(const uint8_t *drawn, uint8_t *keep, size_t planes, size_t h,
                           size_t w, size_t e, size_t k, uint64_t *kept) noexcept
    int fd_block_keep_bits_stream(const fd_stream *s, uint8_t *keep, uint8_t *scratch,
                                  size_t planes, size_t h, size_t w, size_t e, size_t k,
                                  uint64_t *kept) noexcept

    # ===   Dropout-add (src_c/api/fd_fused.c)   ===
    int fd_dropout_add_f16(const fd_stream *s, const uint16_t *x, const uint16_t *residual,
                           const uint16_t *bias, size_t bias_len, uint16_t *y, uint8_t *bits,
                           size_t n, float scale) noexcept
    int fd_dropout_add_f32(const fd_stream *s, const float *x, const float *residual,
                           const float *bias, size_t bias_len, float *y, uint8_t *bits,
                           size_t n, float scale) noexcept
    int fd_dropout_add_f64(const fd_stream *s, const double *x, const double *residual,
                           const double *bias, size_t bias_len, double *y, uint8_t *bits,
                           size_t n, double scale) noexcept
    int fd_dropout_add_bf16(const fd_stream *s, const uint16_t *x, const uint16_t *residual,
                            const uint16_t *bias, size_t bias_len, uint16_t *y, uint8_t *bits,
                            size_t n, float scale) noexcept

# --- normal stream and Gaussian noise (fastdrop_normal.h) ---
cdef extern from "fastdrop_normal.h" nogil:
    const char *FD_NORMAL_SPEC
    int fd_normals_f64(uint64_t key, uint64_t index, double *z, size_t n) noexcept
    int fd_normals_f32(uint64_t key, uint64_t index, float *z, size_t n) noexcept
    int fd_gaussian_f64(uint64_t key, uint64_t index, const double *x, double *y,
                        size_t n, double sigma) noexcept
    int fd_gaussian_f32(uint64_t key, uint64_t index, const float *x, float *y,
                        size_t n, float sigma) noexcept
    int fd_normal_words_f64(const uint64_t *h, double *z, size_t n) noexcept

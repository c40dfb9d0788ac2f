/*
 * fd_normal_kernels.h -- vector kernels of the normal stream (SPEC.md
 * section 11). Each fills elements [0, n) of a range whose element 0 is
 * stream element index, under the normal key kn, and must give the bits of
 * the scalar loops in src_c/api/fd_normal.c (fastdrop/normal.h): AVX2 in
 * fd_normal_avx2.c, AVX-512 in fd_normal_avx512.c.
 */
#ifndef FD_NORMAL_KERNELS_H
#define FD_NORMAL_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include "../fd_config.h"

#define FD_NORMAL_HAVE_AVX2 FD_X86_GNUC
#define FD_NORMAL_HAVE_AVX512 FD_X86_GNUC

#if FD_NORMAL_HAVE_AVX2
void fd_normals_f64_avx2(uint64_t kn, uint64_t index, double *z, size_t n);
void fd_normals_f32_avx2(uint64_t kn, uint64_t index, float *z, size_t n);
void fd_gaussian_f64_avx2(uint64_t kn, uint64_t index, const double *x, double *y,
                          size_t n, double sigma);
void fd_gaussian_f32_avx2(uint64_t kn, uint64_t index, const float *x, float *y,
                          size_t n, float sigma);
/* z[i] = the variate of the word h[i] (a test of the transform alone). */
void fd_normal_words_avx2(const uint64_t *h, double *z, size_t n);
#endif

#if FD_NORMAL_HAVE_AVX512
void fd_normals_f64_avx512(uint64_t kn, uint64_t index, double *z, size_t n);
void fd_normals_f32_avx512(uint64_t kn, uint64_t index, float *z, size_t n);
void fd_gaussian_f64_avx512(uint64_t kn, uint64_t index, const double *x, double *y,
                            size_t n, double sigma);
void fd_gaussian_f32_avx512(uint64_t kn, uint64_t index, const float *x, float *y,
                            size_t n, float sigma);
/* z[i] = the variate of the word h[i] (a test of the transform alone). */
void fd_normal_words_avx512(const uint64_t *h, double *z, size_t n);
#endif

#endif /* FD_NORMAL_KERNELS_H */

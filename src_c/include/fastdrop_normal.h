/*
 * fastdrop_normal.h -- the C API of fastdrop's normal stream and Gaussian
 * noise (SPEC.md section 11, stream FD_NORMAL_SPEC).
 *
 * Conventions as in fastdrop.h: FD_OK or a negative FD_E* code, nothing
 * written on error, n == 0 valid, element alignment only, x and y may be
 * the same pointer; large calls run on several threads with results that do
 * not depend on the split. key is fd_key(seed); element i of a call is
 * stream element index + i, and index + n must not exceed 2**64.
 */
#ifndef FASTDROP_NORMAL_API_H
#define FASTDROP_NORMAL_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FD_NORMAL_SPEC "fastdrop-normal-v1"

/** z[i] = Z(index + i), the binary64 normal variate of SPEC.md 11.3
 *  (rounded once to float32 by the _f32 form). */
int fd_normals_f64(uint64_t key, uint64_t index, double *z, size_t n);
int fd_normals_f32(uint64_t key, uint64_t index, float *z, size_t n);

/** Multiplicative Gaussian noise (SPEC.md 11.4), in the array's type C:
 *  y[i] = x[i] * (1 + sigma * fl(Z(index + i))), each operation rounded to
 *  C. sigma must be finite and >= 0 (else FD_EARG). */
int fd_gaussian_f64(uint64_t key, uint64_t index, const double *x, double *y,
                    size_t n, double sigma);
int fd_gaussian_f32(uint64_t key, uint64_t index, const float *x, float *y,
                    size_t n, float sigma);

/** z[i] = the variate of the 64-bit word h[i] (SPEC.md 11.2-11.3), on the
 *  active kernel: the transform alone, for tests of chosen words. */
int fd_normal_words_f64(const uint64_t *h, double *z, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* FASTDROP_NORMAL_API_H */

/*
 * fd_kernels.h -- the kernel table: one row of function pointers per ISA.
 *
 * Kernels are pure functions of their pointers and counts: no globals, no
 * OpenMP, no argument checks (fd_api.c has checked them). Every kernel must
 * give the same bits as the scalar row, which is the reference.
 */
#ifndef FD_KERNELS_H
#define FD_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include "fastdrop.h"
#include "../fd_config.h"

/* The kernels' unit of work: a group of 64 elements, whose keep bits are
 * one 64-bit word (a whole number of generator steps). */
#define FD_GROUP 64u
#define FD_GROUPS (FD_BLOCK / FD_GROUP) /* groups per block */

/* Internal flag (beside FD_SCALE and FD_ACCUMULATE): the output is much
 * larger than the caches, so kernels may write it with non-temporal stores
 * where it is aligned for them (and fence before returning). Never set with
 * FD_ACCUMULATE; the scalar kernels ignore it. */
#define FD_STREAM 0x100u

/* Internal flag: the call's arrays are larger than the caches
 * (FD_PREFETCH_MIN_BYTES or more each), so the loops hint the lines they
 * will read next (fd_walk.h); set by the entry points on the whole call's
 * size, so the pieces a call is cut into (threads' ranges, chunks) all
 * prefetch or none does. Results do not depend on it. */
#define FD_PREFETCH 0x200u

#ifndef FD_PREFETCH_MIN_BYTES
#define FD_PREFETCH_MIN_BYTES ((size_t)1 << 19)
#endif

/* Read hints for the n bytes at p + ahead, one per 64-byte line. The
 * address is formed as an integer, since it may lie past the array's end
 * (a prefetch never faults). */
FD_INLINE void fd_prefetch_bytes(const void *p, size_t ahead, size_t n)
{
    const uintptr_t a = (uintptr_t)p + ahead;
    for (size_t k = 0; k < n; k += 64)
        FD_PREFETCH_LINE((const void *)(a + k));
}

/* Outputs of at least this many bytes get FD_STREAM (measured: README);
 * a build may override it, e.g. CFLAGS=-DFD_STREAM_BYTES=0 to always stream. */
#ifndef FD_STREAM_BYTES
#define FD_STREAM_BYTES ((size_t)32 << 20)
#endif

/* Non-temporal stores go out in 16-byte pieces: NumPy's large arrays are
 * 16-byte aligned. True if whole steps (block positions that are multiples
 * of 16) of an output y whose element 0 is stream element index land on
 * 16-byte boundaries. */
#define FD_STREAMABLE(y, index, size)                                         \
    ((((uintptr_t)(y) - (uintptr_t)((index) % FD_BLOCK) * (size)) & 15u) == 0)

typedef struct fd_kernel_row {
    void (*mask_bits)(const fd_stream *s, uint8_t *bits, size_t n);
    void (*dropout_f16)(const fd_stream *s, const uint16_t *x, uint16_t *y,
                        uint8_t *bits, size_t n, float scale, unsigned flags);
    void (*dropout_f32)(const fd_stream *s, const float *x, float *y,
                        uint8_t *bits, size_t n, float scale, unsigned flags);
    void (*dropout_f64)(const fd_stream *s, const double *x, double *y,
                        uint8_t *bits, size_t n, double scale, unsigned flags);
    void (*apply_bits_f16)(const uint8_t *bits, const uint16_t *x, uint16_t *y,
                           size_t n, float scale, unsigned flags);
    void (*apply_bits_f32)(const uint8_t *bits, const float *x, float *y,
                           size_t n, float scale, unsigned flags);
    void (*apply_bits_f64)(const uint8_t *bits, const double *x, double *y,
                           size_t n, double scale, unsigned flags);
    void (*dropout_bf16)(const fd_stream *s, const uint16_t *x, uint16_t *y,
                         uint8_t *bits, size_t n, float scale, unsigned flags);
    void (*apply_bits_bf16)(const uint8_t *bits, const uint16_t *x, uint16_t *y,
                            size_t n, float scale, unsigned flags);
    /* alpha dropout's affine rule (SPEC.md 10.3) under packed bits: z = x
     * where kept, alpha where dropped, y = fl(fl(a * z) + b); flags: any
     * of FD_STREAM and FD_PREFETCH */
    void (*affine_bits_f32)(const uint8_t *bits, const float *x, float *y, size_t n,
                            float a, float b, float alpha, unsigned flags);
    void (*affine_bits_f64)(const uint8_t *bits, const double *x, double *y, size_t n,
                            double a, double b, double alpha, unsigned flags);
} fd_kernel_row;

extern const fd_kernel_row fd_kernels_scalar;
extern const fd_kernel_row fd_kernels_avx2;   /* all NULL where not compiled */
extern const fd_kernel_row fd_kernels_avx512; /* all NULL where not compiled */

/* The stream's uniforms, scalar only (a reference tool, not a hot path). */
void fd_uniforms_scalar(const fd_stream *s, uint32_t *u, size_t n);

#endif /* FD_KERNELS_H */

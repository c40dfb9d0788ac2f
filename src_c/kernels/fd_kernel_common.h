/*
 * fd_kernel_common.h -- pieces every kernel shares: runs of the element-wise
 * rules of fastdrop/rules.h (the whole of the scalar kernels, heads and tails
 * of the vector ones).
 */
#ifndef FD_KERNEL_COMMON_H
#define FD_KERNEL_COMMON_H

#include <stdint.h>
#include <string.h>
#include "fastdrop.h"
#include "../fd_config.h"
#include "fastdrop/rules.h"

/* y[j] for j < nb from x[j] and keep bit j of k, by the rules of
 * fastdrop/rules.h (no branches on the keep bit, a coin flip). */
#define FD_DEFINE_RUN(sfx, T, CT)                                             \
    FD_INLINE void fd_run_##sfx(const T *x, T *y, uint64_t k, unsigned nb,    \
                                CT scale, unsigned flags)                     \
    {                                                                         \
        for (unsigned j = 0; j < nb; j++)                                     \
            y[j] = fd_rule_##sfx(x[j], y[j], (unsigned)(k >> j) & 1u, scale, flags); \
    }

FD_DEFINE_RUN(f16, uint16_t, float)
FD_DEFINE_RUN(bf16, uint16_t, float)
FD_DEFINE_RUN(f32, float, float)
FD_DEFINE_RUN(f64, double, double)

/* Elements [i, n) under the packed keep bits (i a multiple of 8): the whole
 * of the scalar apply-bits kernels, and the tails of the vector ones. */
#define FD_DEFINE_BITS_RUN(sfx, T, CT)                                        \
    FD_INLINE void fd_bits_run_##sfx(const uint8_t *bits, const T *x, T *y,   \
                                     size_t i, size_t n, CT scale,            \
                                     unsigned flags)                          \
    {                                                                         \
        for (; i < n; i += 32) {                                              \
            const unsigned nb = (unsigned)FD_MIN((size_t)32, n - i);          \
            uint64_t k = 0;                                                   \
            for (unsigned b = 0; 8 * b < nb; b++)                             \
                k |= (uint64_t)bits[i / 8 + b] << (8 * b);                    \
            fd_run_##sfx(x + i, y + i, k, nb, scale, flags);                  \
        }                                                                     \
    }

FD_DEFINE_BITS_RUN(f16, uint16_t, float)
FD_DEFINE_BITS_RUN(bf16, uint16_t, float)
FD_DEFINE_BITS_RUN(f32, float, float)
FD_DEFINE_BITS_RUN(f64, double, double)

#endif /* FD_KERNEL_COMMON_H */

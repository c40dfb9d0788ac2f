/*
 * fd_kernel_common.h -- pieces every kernel shares: runs of the element-wise
 * rules of fastdrop/rules.h (the whole of the scalar kernels, heads and tails
 * of the vector ones) and the packed-bit writer.
 */
#ifndef FD_KERNEL_COMMON_H
#define FD_KERNEL_COMMON_H

#include <stdint.h>
#include <string.h>
#include "fastdrop.h"
#include "../fd_config.h"
#include "fastdrop/rules.h"

/* Appends mask bits to a packed little-bit-order buffer, 32 at a time. */
typedef struct fd_bit_writer {
    uint8_t *out;
    uint64_t acc;
    unsigned nacc;
} fd_bit_writer;

FD_INLINE void fd_put_bits(fd_bit_writer *bw, uint64_t v, unsigned nb) /* nb <= 32 */
{
    bw->acc |= v << bw->nacc;
    bw->nacc += nb;
    if (bw->nacc >= 32) {
        for (unsigned k = 0; k < 4; k++)
            bw->out[k] = (uint8_t)(bw->acc >> (8 * k));
        bw->out += 4;
        bw->acc >>= 32;
        bw->nacc -= 32;
    }
}

FD_INLINE void fd_flush_bits(fd_bit_writer *bw) /* padding bits of the last byte are 0 */
{
    for (unsigned k = 0; 8 * k < bw->nacc; k++)
        bw->out[k] = (uint8_t)(bw->acc >> (8 * k));
}

/* The keep bits of one step of 16 elements (nb <= 16 of them) at a 16-bit
 * boundary of the packed mask: the fast path when the call's first element
 * is a multiple of 16 in the stream, so every step starts on a byte pair. */
FD_INLINE void fd_store_step_bits(uint8_t *p, uint64_t k, unsigned nb)
{
    p[0] = (uint8_t)k;
    if (nb > 8)
        p[1] = (uint8_t)(k >> 8);
}

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
FD_DEFINE_BITS_RUN(f32, float, float)
FD_DEFINE_BITS_RUN(f64, double, double)

/* The block walk of the vector kernels, over elements index .. index+n-1.
 * For each block the call touches, SEED(g) seeds the lanes of block g when
 * the mask is random; for each step of the block, STEP(random) advances the
 * lanes and sets the kernel's keep masks (constant ones when not random).
 * Steps before the call's first element only advance. Then WHOLE runs when
 * all 16 elements of the step lie in the call (at = index of the first in
 * the call), else PART for the nb covered ones with keep bits k; K16 gives
 * the step's 16 keep bits from the kernel's masks. The keep bits of covered
 * elements go to bits when it is not NULL: stored directly when the first
 * element is a multiple of 16 in the stream (every step starts on a byte
 * pair), else through a bit writer. */
#define FD_VECTOR_WALK(s, n, bits, SEED, STEP, K16, WHOLE, PART)              \
    do {                                                                      \
        const int random_ = (s)->threshold != 0 && (s)->threshold != FD_KEEP_ALL; \
        const int direct_ = (s)->index % 16 == 0;                             \
        fd_bit_writer bw_ = {(bits), 0, 0};                                   \
        size_t i_ = 0;                                                        \
        while (i_ < (n)) {                                                    \
            const uint64_t e_ = (s)->index + i_;                              \
            const unsigned lo_ = (unsigned)(e_ % FD_BLOCK);                   \
            const size_t cnt_ = FD_MIN((size_t)(FD_BLOCK - lo_), (n) - i_);   \
            const unsigned hi_ = lo_ + (unsigned)cnt_;                        \
            if (random_)                                                      \
                SEED(e_ / FD_BLOCK);                                          \
            for (unsigned j_ = 0; j_ < hi_; j_ += 16) {                       \
                STEP(random_);                                                \
                if (j_ + 16 <= lo_)                                           \
                    continue;                                                 \
                const unsigned j0_ = j_ < lo_ ? lo_ : j_;                     \
                const unsigned nb = FD_MIN(j_ + 16, hi_) - j0_;               \
                const size_t at = i_ + (j0_ - lo_);                           \
                if (nb == 16) {                                               \
                    WHOLE;                                                    \
                }                                                             \
                if (nb < 16 || bw_.out) {                                     \
                    const uint64_t k = ((uint64_t)(K16) >> (j0_ - j_))        \
                                       & ((1u << nb) - 1);                    \
                    if (nb < 16) {                                            \
                        PART;                                                 \
                    }                                                         \
                    if (bw_.out && direct_)                                   \
                        fd_store_step_bits(bw_.out + at / 8, k, nb);          \
                    else if (bw_.out)                                         \
                        fd_put_bits(&bw_, k, nb);                             \
                }                                                             \
            }                                                                 \
            i_ += cnt_;                                                       \
        }                                                                     \
        if (bw_.out && !direct_)                                              \
            fd_flush_bits(&bw_);                                              \
    } while (0)

#endif /* FD_KERNEL_COMMON_H */

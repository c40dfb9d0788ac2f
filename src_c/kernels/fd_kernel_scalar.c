/*
 * fd_kernel_scalar.c -- the reference kernels: plain C99, no intrinsics.
 *
 * A call covers elements index .. index + n - 1 of the stream. It walks the
 * blocks those elements touch; for each it computes the block's keep bits
 * (as many steps as the covered part needs) and applies them in runs of up
 * to 32 elements. Output mask bits start at bit 0 of bits[0] for element 0.
 */
#include <string.h>
#include "fd_kernels.h"
#include "fd_kernel_common.h"
#include "fastdrop/rng.h"

#define FD_WORDS (FD_BLOCK / 64u)

/* Keep bits of block g for steps [0, steps): bit i of w = keep(element i). */
static void block_keep_words(uint64_t key, uint64_t g, uint64_t threshold,
                             unsigned steps, uint64_t w[FD_WORDS])
{
    uint64_t s[FD_LANES][4];
    if (threshold == 0 || threshold == FD_KEEP_ALL) {
        memset(w, threshold ? 0xff : 0, FD_WORDS * sizeof w[0]);
        return;
    }
    memset(w, 0, FD_WORDS * sizeof w[0]);
    fd_block_seed(key, g, s);
    for (unsigned t = 0; t < steps; t++) {
        for (unsigned l = 0; l < FD_LANES; l++) {
            const uint64_t r = fd_xoshiro_next(s[l]);
            const unsigned i = 16 * t + 2 * l;
            const uint64_t k0 = (uint64_t)((uint32_t)r < threshold);
            const uint64_t k1 = (uint64_t)((r >> 32) < threshold);
            w[i / 64] |= (k0 | (k1 << 1)) << (i % 64);
        }
    }
}

/* Bits lo .. lo+nb-1 of the block words w (nb <= 32). */
FD_INLINE uint64_t take_bits(const uint64_t *w, unsigned lo, unsigned nb)
{
    uint64_t v = w[lo / 64] >> (lo % 64);
    if (lo % 64 + nb > 64)
        v |= w[lo / 64 + 1] << (64 - lo % 64);
    return v & ((UINT64_C(1) << nb) - 1);
}

/* Calls apply(x + i, y + i, keep_bits, cnt) for runs of at most 32 elements
 * of one block, and appends their keep bits to bits when it is not NULL. */
#define FD_FOR_EACH_RUN(s, n, bits, apply)                                    \
    do {                                                                      \
        uint64_t w_[FD_WORDS];                                                \
        fd_bit_writer bw_ = {(bits), 0, 0};                                   \
        size_t i_ = 0;                                                        \
        while (i_ < (n)) {                                                    \
            const uint64_t e_ = (s)->index + i_;                              \
            unsigned lo_ = (unsigned)(e_ % FD_BLOCK);                         \
            const size_t cnt_ = FD_MIN((size_t)(FD_BLOCK - lo_), (n) - i_);   \
            const unsigned hi_ = lo_ + (unsigned)cnt_;                        \
            block_keep_words((s)->key, e_ / FD_BLOCK, (s)->threshold,         \
                             (hi_ + 15) / 16, w_);                            \
            while (lo_ < hi_) {                                               \
                const unsigned nb_ = FD_MIN(32u, hi_ - lo_);                  \
                const uint64_t k_ = take_bits(w_, lo_, nb_);                  \
                apply(i_, k_, nb_);                                           \
                if (bw_.out)                                                  \
                    fd_put_bits(&bw_, k_, nb_);                               \
                i_ += nb_;                                                    \
                lo_ += nb_;                                                   \
            }                                                                 \
        }                                                                     \
        if (bw_.out)                                                          \
            fd_flush_bits(&bw_);                                              \
    } while (0)

#define FD_NO_APPLY(i, k, nb) ((void)0)

static void mask_bits_scalar(const fd_stream *s, uint8_t *bits, size_t n)
{
    FD_FOR_EACH_RUN(s, n, bits, FD_NO_APPLY);
}

void fd_uniforms_scalar(const fd_stream *s, uint32_t *u, size_t n)
{
    uint64_t st[FD_LANES][4];
    size_t i = 0;
    while (i < n) {
        const uint64_t e = s->index + i;
        const unsigned lo = (unsigned)(e % FD_BLOCK);
        const size_t cnt = FD_MIN((size_t)(FD_BLOCK - lo), n - i);
        fd_block_seed(s->key, e / FD_BLOCK, st);
        for (unsigned t = 0; 16 * t < lo + cnt; t++) {
            for (unsigned l = 0; l < FD_LANES; l++) {
                const uint64_t r = fd_xoshiro_next(st[l]);
                for (unsigned h = 0; h < 2; h++) {
                    const unsigned b = 16 * t + 2 * l + h;
                    if (b >= lo && b < lo + cnt)
                        u[i + (b - lo)] = (uint32_t)(r >> (32 * h));
                }
            }
        }
        i += cnt;
    }
}

/* Stamps the dropout and apply-bits kernels of one dtype. */
#define FD_DEFINE_SCALAR(sfx, T, CT)                                          \
    static void dropout_##sfx##_scalar(const fd_stream *s, const T *x, T *y,  \
                                       uint8_t *bits, size_t n, CT scale,     \
                                       unsigned flags)                        \
    {                                                                         \
        FD_FOR_EACH_RUN(s, n, bits, FD_RUN_##sfx);                            \
    }                                                                         \
    static void apply_bits_##sfx##_scalar(const uint8_t *bits, const T *x,    \
                                          T *y, size_t n, CT scale,           \
                                          unsigned flags)                     \
    {                                                                         \
        fd_bits_run_##sfx(bits, x, y, 0, n, scale, flags);                    \
    }

#define FD_RUN_f16(i, k, nb) fd_run_f16(x + (i), y + (i), (k), (nb), scale, flags)
#define FD_RUN_f32(i, k, nb) fd_run_f32(x + (i), y + (i), (k), (nb), scale, flags)
#define FD_RUN_f64(i, k, nb) fd_run_f64(x + (i), y + (i), (k), (nb), scale, flags)

FD_DEFINE_SCALAR(f16, uint16_t, float)
FD_DEFINE_SCALAR(f32, float, float)
FD_DEFINE_SCALAR(f64, double, double)

const fd_kernel_row fd_kernels_scalar = {
    mask_bits_scalar,
    dropout_f16_scalar, dropout_f32_scalar, dropout_f64_scalar,
    apply_bits_f16_scalar, apply_bits_f32_scalar, apply_bits_f64_scalar,
};

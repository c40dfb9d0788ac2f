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
#include "../fd_half.h"
#include "../fd_rng.h"

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
    fd_seed_block(key, g, s);
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

/* Appends mask bits to a packed little-bit-order buffer, 32 at a time. */
typedef struct bit_writer {
    uint8_t *out;
    uint64_t acc;
    unsigned nacc;
} bit_writer;

static void put_bits(bit_writer *bw, uint64_t v, unsigned nb) /* nb <= 32 */
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

static void flush_bits(bit_writer *bw) /* padding bits of the last byte are 0 */
{
    for (unsigned k = 0; 8 * k < bw->nacc; k++)
        bw->out[k] = (uint8_t)(bw->acc >> (8 * k));
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
        bit_writer bw_ = {(bits), 0, 0};                                      \
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
                    put_bits(&bw_, k_, nb_);                                  \
                i_ += nb_;                                                    \
                lo_ += nb_;                                                   \
            }                                                                 \
        }                                                                     \
        if (bw_.out)                                                          \
            flush_bits(&bw_);                                                 \
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
        fd_seed_block(s->key, e / FD_BLOCK, st);
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

/* Element-wise rules on the raw bits, without branches on the keep bit
 * (which is a coin flip and would defeat branch prediction). U is the
 * unsigned type of T's width; LOAD widens to the compute type CT and
 * STORE rounds back once. */
#define FD_DEFINE_DTYPE(sfx, T, U, CT, LOAD, STORE)                           \
    FD_INLINE U bits_##sfx(T v) { U u; memcpy(&u, &v, sizeof u); return u; }  \
    FD_INLINE T value_##sfx(U u) { T v; memcpy(&v, &u, sizeof v); return v; } \
    /* y[j] for j < nb from x[j], keep bit j of k, the flags' rule */         \
    static void run_##sfx(const T *x, T *y, uint64_t k, unsigned nb,          \
                          CT scale, unsigned flags)                           \
    {                                                                         \
        if (flags & FD_ACCUMULATE) {                                          \
            for (unsigned j = 0; j < nb; j++) {                               \
                CT v = LOAD(x[j]);                                            \
                if (flags & FD_SCALE)                                         \
                    v = v * scale;                                            \
                const U m = (U)0 - (U)((k >> j) & 1);                         \
                const U sum = bits_##sfx(STORE((CT)(LOAD(y[j]) + v)));        \
                y[j] = value_##sfx((U)((sum & m) | (bits_##sfx(y[j]) & ~m))); \
            }                                                                 \
        } else if (flags & FD_SCALE) {                                        \
            for (unsigned j = 0; j < nb; j++) {                               \
                const U m = (U)0 - (U)((k >> j) & 1);                         \
                y[j] = value_##sfx((U)(bits_##sfx(STORE((CT)(LOAD(x[j]) * scale))) & m)); \
            }                                                                 \
        } else {                                                              \
            for (unsigned j = 0; j < nb; j++) {                               \
                const U m = (U)0 - (U)((k >> j) & 1);                         \
                y[j] = value_##sfx((U)(bits_##sfx(x[j]) & m));                \
            }                                                                 \
        }                                                                     \
    }                                                                         \
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
        for (size_t i = 0; i < n; i += 32) {                                  \
            const unsigned nb = (unsigned)FD_MIN((size_t)32, n - i);          \
            uint64_t k = 0;                                                   \
            for (unsigned b = 0; 8 * b < nb; b++)                             \
                k |= (uint64_t)bits[i / 8 + b] << (8 * b);                    \
            run_##sfx(x + i, y + i, k, nb, scale, flags);                     \
        }                                                                     \
    }

#define FD_IDENTITY(v) (v)
#define FD_RUN_f16(i, k, nb) run_f16(x + (i), y + (i), (k), (nb), scale, flags)
#define FD_RUN_f32(i, k, nb) run_f32(x + (i), y + (i), (k), (nb), scale, flags)
#define FD_RUN_f64(i, k, nb) run_f64(x + (i), y + (i), (k), (nb), scale, flags)

FD_DEFINE_DTYPE(f16, uint16_t, uint16_t, float, fd_half_to_float, fd_float_to_half)
FD_DEFINE_DTYPE(f32, float, uint32_t, float, FD_IDENTITY, FD_IDENTITY)
FD_DEFINE_DTYPE(f64, double, uint64_t, double, FD_IDENTITY, FD_IDENTITY)

const fd_kernel_row fd_kernels_scalar = {
    mask_bits_scalar,
    dropout_f16_scalar, dropout_f32_scalar, dropout_f64_scalar,
    apply_bits_f16_scalar, apply_bits_f32_scalar, apply_bits_f64_scalar,
};

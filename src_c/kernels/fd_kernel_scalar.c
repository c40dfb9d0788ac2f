/*
 * fd_kernel_scalar.c -- the reference kernels: plain C99, no intrinsics.
 *
 * A call covers elements index .. index + n - 1 of the stream. It walks the
 * blocks those elements touch; for each it computes the block's keep bits
 * (as many steps as the covered part needs) and applies them element by
 * element. Output mask bits start at bit 0 of bits[0] for element 0.
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

/* Calls body(i, keep) for i in [0, n): the loop shared by every dropout kernel. */
#define FD_FOR_EACH_KEEP(s, n, body)                                          \
    do {                                                                      \
        uint64_t w_[FD_WORDS];                                                \
        size_t i0_ = 0;                                                       \
        while (i0_ < (n)) {                                                   \
            const uint64_t e_ = (s)->index + i0_;                             \
            const unsigned lo_ = (unsigned)(e_ % FD_BLOCK);                   \
            const size_t cnt_ = FD_MIN((size_t)(FD_BLOCK - lo_), (n) - i0_);  \
            const unsigned hi_ = lo_ + (unsigned)cnt_;                        \
            block_keep_words((s)->key, e_ / FD_BLOCK, (s)->threshold,         \
                             (hi_ + 15) / 16, w_);                            \
            for (size_t j_ = 0; j_ < cnt_; j_++) {                            \
                const unsigned b_ = lo_ + (unsigned)j_;                       \
                const size_t i = i0_ + j_;                                    \
                const int keep = (int)((w_[b_ / 64] >> (b_ % 64)) & 1);       \
                body;                                                         \
            }                                                                 \
            i0_ += cnt_;                                                      \
        }                                                                     \
    } while (0)

#define FD_PUT_BIT(bits, i, keep) \
    ((bits)[(i) / 8] |= (uint8_t)((unsigned)(keep) << ((i) % 8)))

static void mask_bits_scalar(const fd_stream *s, uint8_t *bits, size_t n)
{
    memset(bits, 0, (n + 7) / 8);
    FD_FOR_EACH_KEEP(s, n, FD_PUT_BIT(bits, i, keep));
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

/* One element: the dropout rule of SPEC.md for y[i] given x[i] and keep.
 * LOAD widens to the compute type CT, STORE rounds back once. */
#define FD_APPLY(T, CT, LOAD, STORE, x, y, i, keep, scale, flags)             \
    do {                                                                      \
        if (flags & FD_ACCUMULATE) {                                          \
            if (keep) {                                                       \
                CT v_ = LOAD(x[i]);                                           \
                if (flags & FD_SCALE)                                         \
                    v_ = v_ * scale;                                          \
                y[i] = STORE((CT)(LOAD(y[i]) + v_));                          \
            }                                                                 \
        } else if (!keep) {                                                   \
            y[i] = (T)0;                                                      \
        } else if (flags & FD_SCALE) {                                        \
            y[i] = STORE((CT)(LOAD(x[i]) * scale));                           \
        } else {                                                              \
            y[i] = x[i];                                                      \
        }                                                                     \
    } while (0)

#define FD_IDENTITY(v) (v)

/* Stamps the dropout and apply-bits kernels of one dtype. */
#define FD_DEFINE_DTYPE(sfx, T, CT, LOAD, STORE)                              \
    static void dropout_##sfx##_scalar(const fd_stream *s, const T *x, T *y,  \
                                       uint8_t *bits, size_t n, CT scale,     \
                                       unsigned flags)                        \
    {                                                                         \
        if (bits) {                                                           \
            memset(bits, 0, (n + 7) / 8);                                     \
            FD_FOR_EACH_KEEP(s, n, {                                          \
                FD_PUT_BIT(bits, i, keep);                                    \
                FD_APPLY(T, CT, LOAD, STORE, x, y, i, keep, scale, flags);    \
            });                                                               \
        } else {                                                              \
            FD_FOR_EACH_KEEP(s, n,                                            \
                FD_APPLY(T, CT, LOAD, STORE, x, y, i, keep, scale, flags));   \
        }                                                                     \
    }                                                                         \
    static void apply_bits_##sfx##_scalar(const uint8_t *bits, const T *x,    \
                                          T *y, size_t n, CT scale,           \
                                          unsigned flags)                     \
    {                                                                         \
        for (size_t i = 0; i < n; i++) {                                      \
            const int keep = (bits[i / 8] >> (i % 8)) & 1;                    \
            FD_APPLY(T, CT, LOAD, STORE, x, y, i, keep, scale, flags);        \
        }                                                                     \
    }

FD_DEFINE_DTYPE(f16, uint16_t, float, fd_half_to_float, fd_float_to_half)
FD_DEFINE_DTYPE(f32, float, float, FD_IDENTITY, FD_IDENTITY)
FD_DEFINE_DTYPE(f64, double, double, FD_IDENTITY, FD_IDENTITY)

const fd_kernel_row fd_kernels_scalar = {
    mask_bits_scalar,
    dropout_f16_scalar, dropout_f32_scalar, dropout_f64_scalar,
    apply_bits_f16_scalar, apply_bits_f32_scalar, apply_bits_f64_scalar,
};

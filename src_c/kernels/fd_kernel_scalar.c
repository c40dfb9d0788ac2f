/*
 * fd_kernel_scalar.c -- the reference kernels: plain C99, no intrinsics.
 *
 * The lanes of a block run one after the other through the functions of
 * fastdrop/rng.h; each group's keep word is assembled bit by bit, and the
 * walk of fd_walk.h applies it with the rules of fastdrop/rules.h. Every
 * other kernel row must give these bits.
 */
#include "fd_kernels.h"
#include "fd_kernel_common.h"
#include "fastdrop/rng.h"

typedef struct fd_gen {
    uint64_t s[FD_LANES][4];
} fd_gen;

typedef struct fd_cmp {
    uint32_t part; /* the threshold's part */
} fd_cmp;

FD_INLINE fd_cmp cmp_make(uint64_t threshold)
{
    fd_cmp c = {(uint32_t)(threshold >> (32 - FD_PART_BITS))};
    return c;
}

FD_INLINE void gen_seed(fd_gen *g, uint64_t key, uint64_t b)
{
    fd_block_seed(key, b, g->s);
}

/* The next FD_GROUP elements: FD_GROUP / FD_STEP_ELEMS steps of every lane. */
FD_INLINE uint64_t gen_group(fd_gen *g, const fd_cmp *c, uint64_t *eq, int refine)
{
    uint64_t lt = 0, same = 0;
    for (unsigned t = 0; t < FD_GROUP / FD_STEP_ELEMS; t++) {
        for (unsigned l = 0; l < FD_LANES; l++) {
            const uint64_t r = fd_xoshiro_next(g->s[l]);
            for (unsigned j = 0; j < FD_PARTS; j++) {
                const unsigned p = fd_position(t, l, j);
                const uint32_t part = fd_part(r, j);
                lt |= (uint64_t)(part < c->part) << p;
                same |= (uint64_t)(part == c->part) << p;
            }
        }
    }
    *eq = refine ? same : 0;
    return lt;
}

#define FD_DEFINE_SCALAR_APPLY(sfx, T, CT)                                    \
    typedef CT fd_vscale_##sfx;                                               \
    FD_INLINE CT vscale_##sfx(CT scale) { return scale; }                     \
    FD_INLINE void apply64_##sfx(const T *x, T *y, uint64_t w, CT scale,      \
                                 unsigned flags)                              \
    {                                                                         \
        fd_run_##sfx(x, y, w, FD_GROUP, scale, flags);                        \
    }

FD_DEFINE_SCALAR_APPLY(f16, uint16_t, float)
FD_DEFINE_SCALAR_APPLY(f32, float, float)
FD_DEFINE_SCALAR_APPLY(f64, double, double)
FD_DEFINE_SCALAR_APPLY(bf16, uint16_t, float)

#define FD_ROW_FENCE() ((void)0)
#include "fd_walk.h"

FD_APPLY64G_FROM_WORD(f16, uint16_t, float)
FD_APPLY64G_FROM_WORD(f32, float, float)
FD_APPLY64G_FROM_WORD(f64, double, double)
FD_APPLY64G_FROM_WORD(bf16, uint16_t, float)

#define FD_DEFINE_SCALAR_AFFINE(sfx, T)                                       \
    FD_INLINE void affine64_##sfx(const T *x, T *y, uint64_t w, T a, T b, T alpha, \
                                  unsigned flags)                             \
    {                                                                         \
        (void)flags;                                                          \
        for (unsigned j = 0; j < FD_GROUP; j++) {                             \
            y[j] = fd_affine_##sfx((w >> j) & 1u ? x[j] : alpha, a, b);       \
        }                                                                     \
    }

FD_DEFINE_SCALAR_AFFINE(f32, float)
FD_DEFINE_SCALAR_AFFINE(f64, double)

FD_DEFINE_ROW_FUNCTIONS(scalar)
FD_DEFINE_ROW(scalar);

void fd_uniforms_scalar(const fd_stream *s, uint32_t *u, size_t n)
{
    const uint64_t k2 = fd_refine_key(s->key);
    uint64_t st[FD_LANES][4];
    size_t i = 0;
    while (i < n) {
        const uint64_t e = s->index + i, b = e / FD_BLOCK;
        const unsigned lo = (unsigned)(e % FD_BLOCK);
        const unsigned hi = lo + (unsigned)FD_MIN((size_t)(FD_BLOCK - lo), n - i);
        fd_block_seed(s->key, b, st);
        for (unsigned t = 0; FD_STEP_ELEMS * t < hi; t++) {
            for (unsigned l = 0; l < FD_LANES; l++) {
                const uint64_t r = fd_xoshiro_next(st[l]);
                for (unsigned j = 0; j < FD_PARTS; j++) {
                    const unsigned p = fd_position(t, l, j);
                    if (p >= lo && p < hi)
                        u[i + (p - lo)] = fd_uniform_from(fd_part(r, j), k2, b * FD_BLOCK + p);
                }
            }
        }
        i += hi - lo;
    }
}

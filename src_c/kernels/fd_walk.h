/*
 * fd_walk.h -- the block walk, written once for every kernel row.
 *
 * A kernel file defines its generator and its whole-group apply functions,
 * then includes this file, which defines the row's functions from them:
 *
 *   fd_gen                the lanes of one block (state)
 *   fd_cmp                the threshold in the generator's terms
 *   cmp_make(t)           fd_cmp for threshold t
 *   gen_seed(&g, key, b)  seeds the lanes of block b
 *   gen_group(&g, &c, &eq, refine)
 *                         advances the lanes by one group of FD_GROUP
 *                         elements and returns its keep word: bit j is 1
 *                         iff the part of element j is below the
 *                         threshold's part (the exact keep bit where no
 *                         refinement is needed); with refine, eq gets the
 *                         bits of the elements whose part equals it
 *   apply64_<sfx>(x, y, w, sv, flags)
 *                         the rules of fastdrop/rules.h on 64 elements
 *                         under keep word w (sv: the broadcast scale)
 *   apply64g_<sfx>(x, y, w, &g, le, sv, flags)
 *                         the same right after gen_group made w, which may
 *                         use what the generator left in g instead of w;
 *                         le: elements whose part equals the threshold's
 *                         count as kept (w already includes them)
 *   vscale_<sfx>(scale)   sv; fd_vscale_<sfx> its type
 *   FD_ROW_FENCE()        orders non-temporal stores (may be empty)
 *
 * The walk visits each block the call touches: it seeds the lanes, skips
 * the groups before the call, peels a partial head group, runs the whole
 * groups in a tight loop without per-group branches, and peels a partial
 * tail group. Partial groups get their exact keep bits first and go through
 * the scalar rules. Whole groups are applied under candidate bits
 * (elements whose part equals the threshold's count as kept, or as
 * dropped when accumulating) and fixed up after the loop, element by
 * element with the refinement hash (SPEC.md section 4); behind
 * non-temporal stores they get their exact bits first instead. The flags and the
 * mode (constant mask, plain, refined) are resolved once per call: each
 * combination gets its own copy of the walk.
 */
#ifndef FD_WALK_H
#define FD_WALK_H

#include "fastdrop/rules.h"


enum { FD_MODE_CONST, FD_MODE_PLAIN, FD_MODE_REFINE };

FD_INLINE int fd_mode(uint64_t threshold)
{
    if (threshold == 0 || threshold == FD_KEEP_ALL)
        return FD_MODE_CONST;
    return fd_threshold_refines(threshold) ? FD_MODE_REFINE : FD_MODE_PLAIN;
}

FD_INLINE uint64_t fd_low_bits(unsigned nb) /* nb in 1..64 */
{
    return nb >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << nb) - 1;
}

/* A packed-bit writer, 64 bits at a time, little bit order. */
typedef struct fd_bitw {
    uint8_t *out;
    uint64_t acc;
    unsigned nacc;
} fd_bitw;

FD_INLINE void fd_store64(uint8_t *p, uint64_t v)
{
    for (unsigned k = 0; k < 8; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

/* The nb (1..64) low bits of v as ceil(nb/8) bytes at p. */
FD_INLINE void fd_store_bits(uint8_t *p, uint64_t v, unsigned nb)
{
    if (nb == 64) {
        fd_store64(p, v);
        return;
    }
    v &= fd_low_bits(nb);
    for (unsigned k = 0; 8 * k < nb; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

/* Appends the nb (1..64) low bits of v; the bits above them are 0. */
FD_INLINE void fd_bitw_put(fd_bitw *bw, uint64_t v, unsigned nb)
{
    const unsigned total = bw->nacc + nb;
    bw->acc |= bw->nacc < 64 ? v << bw->nacc : 0;
    if (total >= 64) {
        fd_store64(bw->out, bw->acc);
        bw->out += 8;
        bw->acc = bw->nacc ? v >> (64 - bw->nacc) : 0;
        bw->nacc = total - 64;
    } else {
        bw->nacc = total;
    }
}

FD_INLINE void fd_bitw_flush(fd_bitw *bw) /* padding bits of the last byte are 0 */
{
    for (unsigned k = 0; 8 * k < bw->nacc; k++)
        bw->out[k] = (uint8_t)(bw->acc >> (8 * k));
}

/* Writes block words w[t0 .. ] covering positions lo .. hi-1. */
FD_INLINE void fd_put_block(fd_bitw *bw, const uint64_t *w, unsigned lo, unsigned hi)
{
    unsigned p = lo;
    while (p < hi) {
        const unsigned t = p / FD_GROUP, end = FD_MIN(hi, FD_GROUP * t + FD_GROUP);
        fd_bitw_put(bw, (w[t] >> (p % FD_GROUP)) & fd_low_bits(end - p), end - p);
        p = end;
    }
}

/* The exact bits of the refined elements (eq) of group t of block b. */
FD_INLINE uint64_t fd_refined(uint64_t eq, uint64_t k2, uint64_t first, uint64_t threshold,
                              uint32_t part)
{
    uint64_t keep = 0;
    while (eq) {
        const unsigned j = FD_CTZ64(eq);
        eq &= eq - 1;
        keep |= (uint64_t)fd_keep_part(part, k2, first + j, threshold) << j;
    }
    return keep;
}

/* One partial group t of a block, positions a .. z-1 (call index of
 * position p: i + (p - lo)): exact keep bits, scalar rules. */
#define FD_WALK_PARTIAL(sfx, HAS_Y, t, a, z)                                  \
    do {                                                                      \
        uint64_t eq_ = 0, k_ = fixed;                                         \
        if (mode != FD_MODE_CONST)                                            \
            k_ = gen_group(&g, &c, &eq_, mode == FD_MODE_REFINE);             \
        if (mode == FD_MODE_REFINE)                                           \
            k_ |= fd_refined(eq_, k2, first + FD_GROUP * (t), s->threshold, tpart); \
        w[t] = k_;                                                            \
        if (direct)                                                           \
            fd_store_bits(bits + (i + ((a) - lo)) / 8, k_ >> ((a) - FD_GROUP * (t)), \
                          (z) - (a));                                         \
        if (HAS_Y)                                                            \
            fd_run_##sfx(x + i + ((a) - lo), y + i + ((a) - lo),              \
                         k_ >> ((a) - FD_GROUP * (t)), (z) - (a), scale, flags); \
    } while (0)

/* The apply64g of rows whose apply64 needs nothing but the word. */
#define FD_APPLY64G_FROM_WORD(sfx, T, VT)                                     \
    FD_INLINE void apply64g_##sfx(const T *x, T *y, uint64_t w, const fd_gen *g, int le, \
                                  VT sv, unsigned flags)                      \
    {                                                                         \
        (void)g, (void)le;                                                    \
        apply64_##sfx(x, y, w, sv, flags);                                    \
    }

/* Software prefetch of the arrays a loop reads, FD_PREFETCH_BYTES ahead of
 * where it reads now: the hardware prefetchers alone left a one-thread
 * dropout of 16M float32 (memory-bound, non-temporal stores) at 2.6x the
 * time of np.copyto on a 2-vCPU Zen 5 EPYC, against 0.74x with it (README,
 * "Speed"). One hint per cache line of the group at p (fd_kernels.h's
 * fd_prefetch_bytes). */
#ifndef FD_PREFETCH_BYTES
#define FD_PREFETCH_BYTES 4096u
#endif
/* Only calls with FD_PREFETCH (fd_kernels.h) prefetch: in the caches the
 * hints cost more than they bring. */
FD_INLINE void fd_prefetch_group(const void *p, size_t bytes)
{
    fd_prefetch_bytes(p, FD_PREFETCH_BYTES, bytes);
}

/* The mask-only walk keeps one bit per group of a block in a uint32_t. */
_Static_assert(FD_GROUPS <= 32, "a block's groups fit the refined-groups word of the walk");

/* Stamps the walk of one output type; HAS_Y is 0 for the mask-only walk
 * (sfx "mask", whose apply functions are never called). */
#define FD_DEFINE_WALK(sfx, T, CT, HAS_Y)                                     \
    FD_ALWAYS_INLINE void walk_##sfx(const fd_stream *s, const T *x, T *y,    \
                                     uint8_t *bits, size_t n, CT scale,       \
                                     const unsigned flags, const int mode,    \
                                     const int pf)                            \
    {                                                                         \
        const fd_vscale_##sfx sv = vscale_##sfx(scale);                       \
        const fd_cmp c = cmp_make(s->threshold);                              \
        const uint64_t k2 = fd_refine_key(s->key);                            \
        const uint32_t tpart = fd_threshold_part(s->threshold);              \
        const uint64_t fixed = s->threshold ? ~UINT64_C(0) : 0;               \
        /* every group's bits start on a byte of bits: stored as they come */ \
        const int direct = bits && s->index % 8 == 0;                         \
        /* candidates of refined elements: kept, unless accumulating */      \
        const int cand_kept = HAS_Y && !(flags & FD_ACCUMULATE);              \
        /* fix-ups after the loop, except behind non-temporal stores (which \
         * a late write would read back from memory): then per group */     \
        const int late = !(flags & FD_STREAM);                                \
        uint64_t w[FD_GROUPS], eqs[FD_GROUPS];                                \
        T sink;                                                               \
        fd_bitw bw = {bits, 0, 0};                                            \
        fd_gen g;                                                             \
        size_t i = 0;                                                         \
        (void)sv, (void)sink, (void)cand_kept, (void)eqs, (void)pf;           \
        while (i < n) {                                                       \
            const uint64_t e = s->index + i, b = e / FD_BLOCK;                \
            const unsigned lo = (unsigned)(e % FD_BLOCK);                     \
            const unsigned hi = lo + (unsigned)FD_MIN((size_t)(FD_BLOCK - lo), n - i); \
            const uint64_t first = b * FD_BLOCK;                              \
            const unsigned t0 = lo / FD_GROUP;                                \
            const int head = lo % FD_GROUP != 0 || hi < FD_GROUP * t0 + FD_GROUP; \
            const unsigned tw = t0 + (unsigned)head, te = hi / FD_GROUP;      \
            const unsigned tt = tw > te ? tw : te; /* the tail group */       \
            if (mode != FD_MODE_CONST) {                                      \
                gen_seed(&g, s->key, b);                                      \
                for (unsigned t = 0; t < t0; t++) {                           \
                    uint64_t eq_;                                             \
                    (void)gen_group(&g, &c, &eq_, 0);                         \
                }                                                             \
            }                                                                 \
            if (head)                                                         \
                FD_WALK_PARTIAL(sfx, HAS_Y, t0, lo, FD_MIN(hi, FD_GROUP * t0 + FD_GROUP)); \
            for (unsigned t = tw; t < te; t++) {                              \
                uint64_t eq = 0, k = fixed;                                   \
                if (mode != FD_MODE_CONST)                                    \
                    k = gen_group(&g, &c, &eq, mode == FD_MODE_REFINE);       \
                if (mode == FD_MODE_REFINE && late) {                         \
                    eqs[t] = eq;                                              \
                    if (cand_kept)                                            \
                        k |= eq;                                              \
                } else if (mode == FD_MODE_REFINE) {                          \
                    k |= fd_refined(eq, k2, first + FD_GROUP * t, s->threshold, tpart); \
                }                                                             \
                if (bits) /* the word is needed for the mask only */          \
                    w[t] = k;                                                 \
                if (direct && !(mode == FD_MODE_REFINE && late))              \
                    fd_store64(bits + (i + (FD_GROUP * t - lo)) / 8, k);      \
                if (HAS_Y) {                                                  \
                    const size_t at = i + (FD_GROUP * t - lo);                \
                    if (pf)                                                   \
                        fd_prefetch_group(x + at, FD_GROUP * sizeof(T));      \
                    if (pf && (flags & FD_ACCUMULATE))                        \
                        fd_prefetch_group(y + at, FD_GROUP * sizeof(T));      \
                    if (mode == FD_MODE_CONST || (mode == FD_MODE_REFINE && !late)) \
                        apply64_##sfx(x + at, y + at, k, sv, flags);          \
                    else                                                      \
                        apply64g_##sfx(x + at, y + at, k, &g, mode == FD_MODE_REFINE && cand_kept, \
                                       sv, flags);                            \
                }                                                             \
            }                                                                 \
            if (!HAS_Y && mode == FD_MODE_REFINE && late) {                  \
                /* the mask alone: the groups with refined elements from   \
                 * one bit per group, each group's first two refined       \
                 * elements without branches (more than two in a group is  \
                 * rare at 1 in 256) */                                    \
                uint32_t any = 0;                                             \
                for (unsigned t = tw; t < te; t++)                            \
                    any |= (uint32_t)(eqs[t] != 0) << t;                      \
                while (any) {                                                 \
                    const unsigned t = FD_CTZ64(any);                         \
                    const uint64_t at_ = first + FD_GROUP * t;                \
                    uint64_t eq = eqs[t];                                     \
                    any &= any - 1;                                           \
                    const unsigned j1 = FD_CTZ64(eq);                         \
                    eq &= eq - 1;                                             \
                    const unsigned j2 = FD_CTZ64(eq | UINT64_C(1) << 63);     \
                    const uint64_t two = eq != 0;                             \
                    eq &= eq - 1;                                             \
                    w[t] |= (uint64_t)fd_keep_part(tpart, k2, at_ + j1, s->threshold) << j1; \
                    w[t] |= ((uint64_t)fd_keep_part(tpart, k2, at_ + j2, s->threshold) & two) \
                            << j2;                                            \
                    w[t] |= fd_refined(eq, k2, at_, s->threshold, tpart);     \
                }                                                             \
                for (unsigned t = tw; direct && t < te; t++)                  \
                    fd_store64(bits + (i + (FD_GROUP * t - lo)) / 8, w[t]);   \
            }                                                                 \
            for (unsigned t = tw; HAS_Y && mode == FD_MODE_REFINE && late && t < te; t++) { \
                /* fix up the refined elements of the whole groups */         \
                uint64_t eq = eqs[t];                                         \
                while (eq) {                                                  \
                    const unsigned j = FD_CTZ64(eq);         \
                    const unsigned p = FD_GROUP * t + j;                      \
                    const size_t at = i + (p - lo);                           \
                    const unsigned keep = fd_keep_part(tpart, k2, first + p, s->threshold); \
                    eq &= eq - 1;                                             \
                    if (cand_kept) {                                          \
                        /* y holds the kept value: a drop zeroes it */        \
                        T *dst = keep ? &sink : y + at;                       \
                        *dst = (T)0;                                          \
                        if (bits)                                             \
                            w[t] &= ~((uint64_t)(keep ^ 1u) << j);            \
                    } else {                                                  \
                        if (HAS_Y)                                            \
                            y[at] = fd_rule_##sfx(x[at], y[at], keep, scale, flags); \
                        if (bits)                                             \
                            w[t] |= (uint64_t)keep << j;                      \
                    }                                                         \
                }                                                             \
                if (direct)                                                   \
                    fd_store64(bits + (i + (FD_GROUP * t - lo)) / 8, w[t]);   \
            }                                                                 \
            if (FD_GROUP * tt < hi)                                           \
                FD_WALK_PARTIAL(sfx, HAS_Y, tt, FD_GROUP * tt, hi);           \
            if (bits && !direct)                                              \
                fd_put_block(&bw, w, lo, hi);                                 \
            i += hi - lo;                                                     \
        }                                                                     \
        if (bits && !direct)                                                  \
            fd_bitw_flush(&bw);                                               \
    }

/* ===   The row's functions, one walk copy per (flags, mode)   === */

/* The flag sets a kernel sees (fd_api.c never streams when accumulating). */
#define FD_FLAGSET(fl) (((fl) & 3u) | (((fl) & FD_STREAM) ? 4u : 0u))
#define FD_CASE_MODES(CALL, fl)                                               \
    case FD_FLAGSET(fl) | FD_MODE_CONST << 3: CALL(fl, FD_MODE_CONST); break; \
    case FD_FLAGSET(fl) | FD_MODE_PLAIN << 3: CALL(fl, FD_MODE_PLAIN); break; \
    case FD_FLAGSET(fl) | FD_MODE_REFINE << 3: CALL(fl, FD_MODE_REFINE); break;
#define FD_CASE_FLAGS(CALL, fl) case FD_FLAGSET(fl): CALL(fl); break;
#define FD_FOR_FLAGSETS(M, CALL)                                              \
    M(CALL, 0u) M(CALL, FD_SCALE) M(CALL, FD_ACCUMULATE)                      \
    M(CALL, FD_SCALE | FD_ACCUMULATE) M(CALL, FD_STREAM) M(CALL, FD_STREAM | FD_SCALE)

FD_INLINE uint64_t fd_load64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < 8; k++)
        v |= (uint64_t)p[k] << (8 * k);
    return v;
}

/* The dropout and apply-bits kernels of one dtype for row ISA. */
#define FD_DEFINE_ROW_DTYPE(sfx, T, CT, ISA)                                  \
    FD_DEFINE_WALK(sfx, T, CT, 1)                                             \
    static void dropout_##sfx##_##ISA(const fd_stream *s, const T *x, T *y,   \
                                      uint8_t *bits, size_t n, CT scale,      \
                                      unsigned flags)                         \
    {                                                                         \
        const int pf_ = (flags & FD_PREFETCH) != 0;                           \
        if (!FD_STREAMABLE(y, s->index, sizeof(T)))                           \
            flags &= ~FD_STREAM;                                              \
        switch (FD_FLAGSET(flags) | (unsigned)fd_mode(s->threshold) << 3) {   \
            FD_FOR_FLAGSETS(FD_CASE_MODES, FD_CALL_WALK_##sfx)                \
        default: break; /* not reached: fd_api.c checks the flags */          \
        }                                                                     \
        if (flags & FD_STREAM)                                                \
            FD_ROW_FENCE();                                                   \
    }                                                                         \
    FD_ALWAYS_INLINE void apply_loop_##sfx(const uint8_t *bits, const T *x,   \
                                           T *y, size_t n, CT scale,          \
                                           const unsigned flags, const int pf) \
    {                                                                         \
        const fd_vscale_##sfx sv = vscale_##sfx(scale);                       \
        size_t i = 0;                                                         \
        for (; i + FD_GROUP <= n; i += FD_GROUP) {                            \
            if (pf)                                                           \
                fd_prefetch_group(x + i, FD_GROUP * sizeof(T));               \
            if (pf && (flags & FD_ACCUMULATE))                                \
                fd_prefetch_group(y + i, FD_GROUP * sizeof(T));               \
            apply64_##sfx(x + i, y + i, fd_load64(bits + i / 8), sv, flags);  \
        }                                                                     \
        fd_bits_run_##sfx(bits, x, y, i, n, scale, flags);                    \
    }                                                                         \
    static void apply_bits_##sfx##_##ISA(const uint8_t *bits, const T *x,     \
                                         T *y, size_t n, CT scale,            \
                                         unsigned flags)                      \
    {                                                                         \
        const int pf_ = (flags & FD_PREFETCH) != 0;                           \
        if (!FD_STREAMABLE(y, 0, sizeof(T)))                                  \
            flags &= ~FD_STREAM;                                              \
        switch (FD_FLAGSET(flags)) {                                          \
            FD_FOR_FLAGSETS(FD_CASE_FLAGS, FD_CALL_APPLY_##sfx)               \
        default: break;                                                       \
        }                                                                     \
        if (flags & FD_STREAM)                                                \
            FD_ROW_FENCE();                                                   \
    }

#define FD_CALL_WALK_f16(fl, md) walk_f16(s, x, y, bits, n, scale, fl, md, pf_)
#define FD_CALL_WALK_f32(fl, md) walk_f32(s, x, y, bits, n, scale, fl, md, pf_)
#define FD_CALL_WALK_f64(fl, md) walk_f64(s, x, y, bits, n, scale, fl, md, pf_)
#define FD_CALL_WALK_bf16(fl, md) walk_bf16(s, x, y, bits, n, scale, fl, md, pf_)
#define FD_CALL_APPLY_f16(fl) apply_loop_f16(bits, x, y, n, scale, fl, pf_)
#define FD_CALL_APPLY_f32(fl) apply_loop_f32(bits, x, y, n, scale, fl, pf_)
#define FD_CALL_APPLY_f64(fl) apply_loop_f64(bits, x, y, n, scale, fl, pf_)
#define FD_CALL_APPLY_bf16(fl) apply_loop_bf16(bits, x, y, n, scale, fl, pf_)

typedef int fd_vscale_mask;
FD_INLINE fd_vscale_mask vscale_mask(int scale) { return scale; }
FD_INLINE void fd_run_mask(const uint8_t *x, uint8_t *y, uint64_t k, unsigned nb, int scale,
                           unsigned flags)
{
    (void)x, (void)y, (void)k, (void)nb, (void)scale, (void)flags;
}
FD_INLINE void apply64_mask(const uint8_t *x, uint8_t *y, uint64_t k, int sv, unsigned flags)
{
    (void)x, (void)y, (void)k, (void)sv, (void)flags;
}
FD_INLINE void apply64g_mask(const uint8_t *x, uint8_t *y, uint64_t k, const fd_gen *g, int le,
                             int sv, unsigned flags)
{
    (void)x, (void)y, (void)k, (void)g, (void)le, (void)sv, (void)flags;
}
FD_INLINE uint8_t fd_rule_mask(uint8_t x, uint8_t y, unsigned keep, int scale, unsigned flags)
{
    (void)x, (void)keep, (void)scale, (void)flags;
    return y;
}

/* Alpha dropout's affine rule over packed bits (SPEC.md 10.3): whole groups
 * through the row's affine64_<sfx>(x, y, w, av, bv, alv, flags) (the
 * broadcast a, b and alpha; affine64's flags 0 or FD_STREAM), the rest element by
 * element: z = x where kept, alpha where dropped, y = fl(fl(a * z) + b). */
#define FD_DEFINE_AFFINE(sfx, T, ISA)                                         \
    FD_ALWAYS_INLINE void affine_loop_##sfx(const uint8_t *bits, const T *x, T *y, size_t n, \
                                            T a, T b, T alpha, const unsigned flags, \
                                            const int pf)                     \
    {                                                                         \
        const fd_vscale_##sfx av = vscale_##sfx(a), bv = vscale_##sfx(b);     \
        const fd_vscale_##sfx alv = vscale_##sfx(alpha);                      \
        size_t i = 0;                                                         \
        for (; i + FD_GROUP <= n; i += FD_GROUP) {                            \
            if (pf)                                                           \
                fd_prefetch_group(x + i, FD_GROUP * sizeof(T));               \
            affine64_##sfx(x + i, y + i, fd_load64(bits + i / 8), av, bv, alv, flags); \
        }                                                                     \
        for (; i < n; i++) {                                                  \
            const T z = (bits[i / 8] >> (i % 8)) & 1u ? x[i] : alpha;         \
            const T az = a * z;                                               \
            y[i] = az + b;                                                    \
        }                                                                     \
    }                                                                         \
    static void affine_bits_##sfx##_##ISA(const uint8_t *bits, const T *x, T *y, size_t n, \
                                          T a, T b, T alpha, unsigned flags)  \
    {                                                                         \
        const int pf_ = (flags & FD_PREFETCH) != 0;                           \
        if ((flags & FD_STREAM) && FD_STREAMABLE(y, 0, sizeof(T))) {          \
            affine_loop_##sfx(bits, x, y, n, a, b, alpha, FD_STREAM, pf_);    \
            FD_ROW_FENCE();                                                   \
        } else {                                                              \
            affine_loop_##sfx(bits, x, y, n, a, b, alpha, 0u, pf_);           \
        }                                                                     \
    }

/* Every function of row ISA, and the row itself (fd_kernels_<ISA>); the
 * kernel file defines affine64_f32 and affine64_f64 before this. */
#define FD_DEFINE_ROW_FUNCTIONS(ISA)                                          \
    FD_DEFINE_WALK(mask, uint8_t, int, 0)                                     \
    static void mask_bits_##ISA(const fd_stream *s, uint8_t *bits, size_t n)  \
    {                                                                         \
        switch (fd_mode(s->threshold)) {                                      \
        case FD_MODE_CONST: walk_mask(s, NULL, NULL, bits, n, 0, 0u, FD_MODE_CONST, 0); break; \
        case FD_MODE_PLAIN: walk_mask(s, NULL, NULL, bits, n, 0, 0u, FD_MODE_PLAIN, 0); break; \
        default: walk_mask(s, NULL, NULL, bits, n, 0, 0u, FD_MODE_REFINE, 0); break; \
        }                                                                     \
    }                                                                         \
    FD_DEFINE_ROW_DTYPE(f16, uint16_t, float, ISA)                            \
    FD_DEFINE_ROW_DTYPE(f32, float, float, ISA)                               \
    FD_DEFINE_ROW_DTYPE(f64, double, double, ISA)                            \
    FD_DEFINE_ROW_DTYPE(bf16, uint16_t, float, ISA)                           \
    FD_DEFINE_AFFINE(f32, float, ISA)                                         \
    FD_DEFINE_AFFINE(f64, double, ISA)

#define FD_DEFINE_ROW(ISA)                                                    \
    const fd_kernel_row fd_kernels_##ISA = {                                  \
        .mask_bits = mask_bits_##ISA,                                         \
        .dropout_f16 = dropout_f16_##ISA,                                     \
        .dropout_f32 = dropout_f32_##ISA,                                     \
        .dropout_f64 = dropout_f64_##ISA,                                     \
        .apply_bits_f16 = apply_bits_f16_##ISA,                               \
        .apply_bits_f32 = apply_bits_f32_##ISA,                               \
        .apply_bits_f64 = apply_bits_f64_##ISA,                               \
        .dropout_bf16 = dropout_bf16_##ISA,                                   \
        .apply_bits_bf16 = apply_bits_bf16_##ISA,                             \
        .affine_bits_f32 = affine_bits_f32_##ISA,                             \
        .affine_bits_f64 = affine_bits_f64_##ISA,                             \
    }

#endif /* FD_WALK_H */

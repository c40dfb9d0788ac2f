/*
 * fd_kernel_avx2.c -- AVX2 kernels (F16C for float16 conversion; bfloat16 is
 * converted with integer operations).
 *
 * Lanes 0-3 and 4-7 run as two sets of four ymm state registers. One step
 * of both sets gives the bytes of block positions 64t .. 64t+31 (set A) and
 * 64t+32 .. 64t+63 (set B) in element order; a byte compare and vpmovmskb
 * give 32 keep bits at once, one step a group's keep word (and, where the
 * threshold needs it, the bits of bytes equal to its top byte). The walk
 * (fd_walk.h) applies whole groups here, each eight elements under a mask
 * made from the word by one variable shift (the keep bit in the sign bit);
 * partial groups and tails go through the scalar rules. Must give the same
 * bits as fd_kernel_scalar.c.
 */
#include "fd_kernels.h"
#include "../fd_config.h"

#if FD_X86_GNUC

FD_TARGET_BEGIN("avx2,f16c")
#include <immintrin.h>
#include "fd_kernel_common.h"
#include "fastdrop/rng.h"

FD_INLINE __m256i rotl4(__m256i x, int k)
{
    return _mm256_or_si256(_mm256_slli_epi64(x, k), _mm256_srli_epi64(x, 64 - k));
}

#define FD_ROTL4(x, k) rotl4(x, k)
#include "fd_lanes4.h"

typedef struct fd_gen {
    fd_x4 a, b;         /* lanes 0-3 and 4-7 */
    __m256i lta, ltb;   /* the last group's bytes below the threshold's: 0xff */
    __m256i eqa, eqb;   /* and equal to it (where refined) */
} fd_gen;

typedef struct fd_cmp {
    __m256i bias, t, tpart; /* the threshold's byte, biased and plain */
} fd_cmp;

FD_INLINE fd_cmp cmp_make(uint64_t threshold)
{
    const int tp = (int)fd_threshold_part(threshold) & 0xff; /* 256 only for a constant mask */
    fd_cmp c;
    c.bias = _mm256_set1_epi8((char)0x80);
    c.t = _mm256_set1_epi8((char)(tp ^ 0x80));
    c.tpart = _mm256_set1_epi8((char)tp);
    return c;
}

FD_INLINE void gen_seed(fd_gen *g, uint64_t key, uint64_t b)
{
    seed_x4(&g->a, &g->b, key, b);
}

/* One step of both lane sets: the 64 bytes of positions 64t .. 64t+63 in
 * element order (lanes 0-3, then 4-7), compared with the threshold's byte
 * (unsigned, by a biased signed compare); the compare vectors stay in g
 * for apply64g. */
FD_INLINE uint64_t gen_group(fd_gen *g, const fd_cmp *c, uint64_t *eq, int refine)
{
    const __m256i ra = next4(&g->a), rb = next4(&g->b);
    g->lta = _mm256_cmpgt_epi8(c->t, _mm256_xor_si256(ra, c->bias));
    g->ltb = _mm256_cmpgt_epi8(c->t, _mm256_xor_si256(rb, c->bias));
    *eq = 0;
    if (refine) {
        g->eqa = _mm256_cmpeq_epi8(ra, c->tpart);
        g->eqb = _mm256_cmpeq_epi8(rb, c->tpart);
        *eq = (uint64_t)(uint32_t)_mm256_movemask_epi8(g->eqa)
            | (uint64_t)(uint32_t)_mm256_movemask_epi8(g->eqb) << 32;
    }
    return (uint64_t)(uint32_t)_mm256_movemask_epi8(g->lta)
         | (uint64_t)(uint32_t)_mm256_movemask_epi8(g->ltb) << 32;
}

/* Lane j of the result has bit 8q + j of w in its sign bit (q < 4). */
FD_INLINE __m256i sign8(uint32_t w, unsigned q)
{
    const __m256i sh = _mm256_sub_epi32(_mm256_set1_epi32(31 - 8 * (int)q),
                                        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_sllv_epi32(_mm256_set1_epi32((int)w), sh);
}

/* ===   Stores: regular, or non-temporal in 16-byte pieces (FD_STREAM)   === */

FD_INLINE void store8_f32(float *y, __m256 v, unsigned flags)
{
    if (flags & FD_STREAM) {
        _mm_stream_ps(y, _mm256_castps256_ps128(v));
        _mm_stream_ps(y + 4, _mm256_extractf128_ps(v, 1));
    } else {
        _mm256_storeu_ps(y, v);
    }
}

FD_INLINE void store4_f64(double *y, __m256d v, unsigned flags)
{
    if (flags & FD_STREAM) {
        _mm_stream_pd(y, _mm256_castpd256_pd128(v));
        _mm_stream_pd(y + 2, _mm256_extractf128_pd(v, 1));
    } else {
        _mm256_storeu_pd(y, v);
    }
}

FD_INLINE void store8_f16(uint16_t *y, __m128i v, unsigned flags)
{
    if (flags & FD_STREAM)
        _mm_stream_si128((__m128i *)y, v);
    else
        _mm_storeu_si128((__m128i *)y, v);
}

/* ===   Eight elements under a mask of eight 32-bit lanes, per dtype   === */

/* Hides an accumulated sum from the optimizer. Without it clang turns
 * blendv(old, old + v, m) into old + blendv(-0.0, v, m), which changes a
 * dropped element of y that holds a signalling NaN (into a quiet one);
 * dropped elements must keep their bits (SPEC.md section 6). */
#define FD_OPAQUE(v) __asm__("" : "+x"(v))

/* m: kept lanes have the sign bit set; full: m is all ones or all zeros
 * per lane (then an and does what a blend does). */
FD_INLINE void apply8_f32(const float *x, float *y, __m256i m, int full, __m256 sv, unsigned flags)
{
    const __m256 mf = _mm256_castsi256_ps(m);
    __m256 v = _mm256_loadu_ps(x);
    if (flags & FD_SCALE)
        v = _mm256_mul_ps(v, sv);
    if (flags & FD_ACCUMULATE) {
        const __m256 old = _mm256_loadu_ps(y);
        __m256 sum = _mm256_add_ps(old, v);
        FD_OPAQUE(sum);
        _mm256_storeu_ps(y, _mm256_blendv_ps(old, sum, mf));
    } else {
        store8_f32(y, full ? _mm256_and_ps(v, mf) : _mm256_blendv_ps(_mm256_setzero_ps(), v, mf),
                   flags);
    }
}

FD_INLINE void apply4_f64(const double *x, double *y, __m256i m, __m256d sv, unsigned flags)
{
    const __m256d mf = _mm256_castsi256_pd(m);
    __m256d v = _mm256_loadu_pd(x);
    if (flags & FD_SCALE)
        v = _mm256_mul_pd(v, sv);
    if (flags & FD_ACCUMULATE) {
        const __m256d old = _mm256_loadu_pd(y);
        __m256d sum = _mm256_add_pd(old, v);
        FD_OPAQUE(sum);
        _mm256_storeu_pd(y, _mm256_blendv_pd(old, sum, mf));
    } else {
        store4_f64(y, _mm256_blendv_pd(_mm256_setzero_pd(), v, mf), flags);
    }
}

#define FD_RNE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

/* float16 in eight 32-bit lanes: F16C widens exactly and rounds to nearest even. */
FD_INLINE __m256 widen8_f16(__m128i h)
{
    return _mm256_cvtph_ps(h);
}

FD_INLINE __m128i round8_f16(__m256 v)
{
    return _mm256_cvtps_ph(v, FD_RNE);
}

/* bfloat16 in eight 32-bit lanes: widened by a shift (exact), and rounded
 * back as fastdrop/half.h's fd_bits_to_bf16 does, in integer operations:
 * NaN lanes (magnitude above infinity's) become (f >> 16) | 0x0040, the
 * others (f + 0x7fff + bit 16 of f) >> 16. */
FD_INLINE __m256 widen8_bf16(__m128i h)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

FD_INLINE __m128i round8_bf16(__m256 v)
{
    const __m256i f = _mm256_castps_si256(v);
    const __m256i hi = _mm256_srli_epi32(f, 16);
    const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(f, _mm256_set1_epi32(0x7fffffff)),
                                           _mm256_set1_epi32(0x7f800000));
    const __m256i bias = _mm256_add_epi32(_mm256_set1_epi32(0x7fff),
                                          _mm256_and_si256(hi, _mm256_set1_epi32(1)));
    const __m256i rne = _mm256_srli_epi32(_mm256_add_epi32(f, bias), 16);
    const __m256i r = _mm256_blendv_epi8(rne, _mm256_or_si256(hi, _mm256_set1_epi32(0x40)), nan);
    /* every lane is below 2**16: the unsigned saturating pack is exact */
    return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
}

/* The 16-bit types, computed in float32 lanes (widen8_<sfx>, round8_<sfx>):
 * apply8_<sfx> under m16 (eight 16-bit lanes, all ones where kept), and
 * apply64_<sfx> under keep word w. */
#define FD_DEFINE_APPLY_HALF(sfx)                                             \
    FD_INLINE void apply8_##sfx(const uint16_t *x, uint16_t *y, __m128i m16, __m256 sv, \
                                unsigned flags)                               \
    {                                                                         \
        const __m128i h = _mm_loadu_si128((const __m128i *)x);                \
        if (!(flags & (FD_SCALE | FD_ACCUMULATE))) {                          \
            store8_f16(y, _mm_and_si128(h, m16), flags);                      \
            return;                                                           \
        }                                                                     \
        __m256 v = widen8_##sfx(h);                                           \
        if (flags & FD_SCALE)                                                 \
            v = _mm256_mul_ps(v, sv);                                         \
        if (flags & FD_ACCUMULATE) {                                          \
            const __m128i old = _mm_loadu_si128((const __m128i *)y);          \
            const __m128i sum = round8_##sfx(_mm256_add_ps(widen8_##sfx(old), v)); \
            _mm_storeu_si128((__m128i *)y, _mm_blendv_epi8(old, sum, m16));   \
        } else {                                                              \
            store8_f16(y, _mm_and_si128(round8_##sfx(v), m16), flags);        \
        }                                                                     \
    }                                                                         \
                                                                              \
    FD_INLINE void apply64_##sfx(const uint16_t *x, uint16_t *y, uint64_t w, __m256 sv, \
                                 unsigned flags)                              \
    {                                                                         \
        for (unsigned q = 0; q < 8; q++) {                                    \
            const __m256i m = _mm256_srai_epi32(sign8((uint32_t)(w >> (q & 4 ? 32 : 0)), q & 3), 31); \
            const __m128i m16 = _mm_packs_epi32(_mm256_castsi256_si128(m),    \
                                                _mm256_extracti128_si256(m, 1)); \
            apply8_##sfx(x + 8 * q, y + 8 * q, m16, sv, flags);              \
        }                                                                     \
    }

/* ===   A whole group of 64 elements under keep word w   === */

FD_INLINE void apply64_f32(const float *x, float *y, uint64_t w, __m256 sv, unsigned flags)
{
    for (unsigned q = 0; q < 8; q++)
        apply8_f32(x + 8 * q, y + 8 * q, sign8((uint32_t)(w >> (q & 4 ? 32 : 0)), q & 3), 0, sv,
                   flags);
}

FD_INLINE void apply64_f64(const double *x, double *y, uint64_t w, __m256d sv, unsigned flags)
{
    const __m256i bits = _mm256_set1_epi64x((long long)w);
    for (unsigned q = 0; q < 16; q++) {
        const __m256i sh = _mm256_sub_epi64(_mm256_set1_epi64x(63 - 4 * (long long)q),
                                            _mm256_setr_epi64x(0, 1, 2, 3));
        apply4_f64(x + 4 * q, y + 4 * q, _mm256_sllv_epi64(bits, sh), sv, flags);
    }
}

FD_DEFINE_APPLY_HALF(f16)
FD_DEFINE_APPLY_HALF(bf16)

/* The group the generator has just made, from its compare vectors (bytes
 * sign-extended into lane masks): the candidate masks are the bytes below
 * the threshold's, or below or equal where refined elements count as kept
 * (le). float64 takes the word. */
FD_INLINE void group_bytes(const fd_gen *g, int le, __m128i p[4])
{
    const __m256i a = le ? _mm256_or_si256(g->lta, g->eqa) : g->lta;
    const __m256i b = le ? _mm256_or_si256(g->ltb, g->eqb) : g->ltb;
    p[0] = _mm256_castsi256_si128(a);
    p[1] = _mm256_extracti128_si256(a, 1);
    p[2] = _mm256_castsi256_si128(b);
    p[3] = _mm256_extracti128_si256(b, 1);
}

FD_INLINE __m128i bytes8(const __m128i p[4], unsigned q) /* bytes 8q .. 8q+7, low half */
{
    return q & 1 ? _mm_unpackhi_epi64(p[q / 2], p[q / 2]) : p[q / 2];
}

FD_INLINE void apply64g_f32(const float *x, float *y, uint64_t w, const fd_gen *g, int le,
                            __m256 sv, unsigned flags)
{
    __m128i p[4];
    (void)w;
    group_bytes(g, le, p);
    for (unsigned q = 0; q < 8; q++)
        apply8_f32(x + 8 * q, y + 8 * q, _mm256_cvtepi8_epi32(bytes8(p, q)), 1, sv, flags);
}

#define FD_DEFINE_APPLY64G_HALF(sfx)                                          \
    FD_INLINE void apply64g_##sfx(const uint16_t *x, uint16_t *y, uint64_t w, const fd_gen *g, \
                                  int le, __m256 sv, unsigned flags)          \
    {                                                                         \
        __m128i p[4];                                                         \
        (void)w;                                                              \
        group_bytes(g, le, p);                                                \
        for (unsigned q = 0; q < 8; q++)                                      \
            apply8_##sfx(x + 8 * q, y + 8 * q, _mm_cvtepi8_epi16(bytes8(p, q)), sv, flags); \
    }

FD_DEFINE_APPLY64G_HALF(f16)
FD_DEFINE_APPLY64G_HALF(bf16)

FD_INLINE void apply64g_f64(const double *x, double *y, uint64_t w, const fd_gen *g, int le,
                            __m256d sv, unsigned flags)
{
    (void)g, (void)le;
    apply64_f64(x, y, w, sv, flags);
}

typedef __m256 fd_vscale_f16;
typedef __m256 fd_vscale_f32;
typedef __m256d fd_vscale_f64;
typedef __m256 fd_vscale_bf16;
FD_INLINE __m256 vscale_bf16(float scale) { return _mm256_set1_ps(scale); }
FD_INLINE __m256 vscale_f16(float scale) { return _mm256_set1_ps(scale); }
FD_INLINE __m256 vscale_f32(float scale) { return _mm256_set1_ps(scale); }
FD_INLINE __m256d vscale_f64(double scale) { return _mm256_set1_pd(scale); }

#define FD_ROW_FENCE() _mm_sfence()
#include "fd_walk.h"

/* The affine rule on 64 elements under keep word w: eight lanes per
 * vector, each kept lane (sign bit of its mask lane) taking x, the others
 * alpha, then one product and one sum, each rounded (no FMA here). */
FD_INLINE void affine64_f32(const float *x, float *y, uint64_t w, __m256 av, __m256 bv,
                            __m256 alv, unsigned flags)
{
    for (unsigned q = 0; q < 8; q++) {
        const __m256 m = _mm256_castsi256_ps(sign8((uint32_t)(w >> (32 * (q / 4))), q % 4));
        const __m256 z = _mm256_blendv_ps(alv, _mm256_loadu_ps(x + 8 * q), m);
        store8_f32(y + 8 * q, _mm256_add_ps(_mm256_mul_ps(av, z), bv), flags);
    }
}

FD_INLINE void affine64_f64(const double *x, double *y, uint64_t w, __m256d av, __m256d bv,
                            __m256d alv, unsigned flags)
{
    const __m256i wv = _mm256_set1_epi64x((long long)w);
    for (unsigned q = 0; q < 16; q++) {
        /* lane j: bit 4q + j of w moved to the sign bit */
        const __m256i sh = _mm256_sub_epi64(_mm256_set1_epi64x(63 - 4 * (long long)q),
                                            _mm256_setr_epi64x(0, 1, 2, 3));
        const __m256d m = _mm256_castsi256_pd(_mm256_sllv_epi64(wv, sh));
        const __m256d z = _mm256_blendv_pd(alv, _mm256_loadu_pd(x + 4 * q), m);
        store4_f64(y + 4 * q, _mm256_add_pd(_mm256_mul_pd(av, z), bv), flags);
    }
}

FD_DEFINE_ROW_FUNCTIONS(avx2)

FD_TARGET_END

FD_DEFINE_ROW(avx2);

#else /* not x86 with GCC or clang: no AVX2 kernels */

const fd_kernel_row fd_kernels_avx2 = {0};

#endif

/*
 * fd_kernel_avx2.c -- AVX2 kernels (F16C for float16 conversion).
 *
 * Lanes 0-3 and 4-7 of fastdrop-rng-v1 run as two sets of four ymm state
 * registers. One step of both sets gives the uniforms of block positions
 * 16t .. 16t+7 (set A) and 16t+8 .. 16t+15 (set B) in element order, so a
 * 32-bit compare gives the keep masks of 16 elements. Whole steps inside the
 * call's range are applied with vectors; partial ones (a range starting or
 * ending inside a step) and tails go through the scalar rules of
 * fd_kernel_common.h. Must give the same bits as fd_kernel_scalar.c.
 */
#include "fd_kernels.h"
#include "../fd_config.h"

#if FD_X86_GNUC

FD_TARGET_BEGIN("avx2,f16c")
#include <immintrin.h>
#include "fd_kernel_common.h"
#include "fastdrop/rng.h"

typedef struct fd_x4 {
    __m256i s0, s1, s2, s3;
} fd_x4;

FD_INLINE __m256i rotl4(__m256i x, int k)
{
    return _mm256_or_si256(_mm256_slli_epi64(x, k), _mm256_srli_epi64(x, 64 - k));
}

/* xoshiro256++ on four lanes at once. */
FD_INLINE __m256i next4(fd_x4 *g)
{
    const __m256i r = _mm256_add_epi64(rotl4(_mm256_add_epi64(g->s0, g->s3), 23), g->s0);
    const __m256i t = _mm256_slli_epi64(g->s1, 17);
    g->s2 = _mm256_xor_si256(g->s2, g->s0);
    g->s3 = _mm256_xor_si256(g->s3, g->s1);
    g->s1 = _mm256_xor_si256(g->s1, g->s2);
    g->s0 = _mm256_xor_si256(g->s0, g->s3);
    g->s2 = _mm256_xor_si256(g->s2, t);
    g->s3 = rotl4(g->s3, 45);
    return r;
}

FD_INLINE fd_x4 fd_x4_zero(void)
{
    fd_x4 z;
    z.s0 = z.s1 = z.s2 = z.s3 = _mm256_setzero_si256();
    return z;
}

FD_INLINE void seed_block(uint64_t key, uint64_t g, fd_x4 *a, fd_x4 *b)
{
    uint64_t s[FD_LANES][4], t[4][FD_LANES];
    fd_block_seed(key, g, s);
    for (unsigned w = 0; w < 4; w++)
        for (unsigned l = 0; l < FD_LANES; l++)
            t[w][l] = s[l][w];
    a->s0 = _mm256_loadu_si256((const __m256i *)&t[0][0]);
    a->s1 = _mm256_loadu_si256((const __m256i *)&t[1][0]);
    a->s2 = _mm256_loadu_si256((const __m256i *)&t[2][0]);
    a->s3 = _mm256_loadu_si256((const __m256i *)&t[3][0]);
    b->s0 = _mm256_loadu_si256((const __m256i *)&t[0][4]);
    b->s1 = _mm256_loadu_si256((const __m256i *)&t[1][4]);
    b->s2 = _mm256_loadu_si256((const __m256i *)&t[2][4]);
    b->s3 = _mm256_loadu_si256((const __m256i *)&t[3][4]);
}

FD_INLINE unsigned keep16(__m256i ma, __m256i mb)
{
    return (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(ma))
         | (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(mb)) << 8;
}

/* Lane j of the result is all ones iff bit j of byte b is set. */
FD_INLINE __m256i expand8(unsigned b)
{
    const __m256i sel = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)b), sel), sel);
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

FD_INLINE void apply8_f32(const float *x, float *y, __m256i m, __m256 sv, unsigned flags)
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
        store8_f32(y, _mm256_and_ps(v, mf), flags);
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
        store4_f64(y, _mm256_and_pd(v, mf), flags);
    }
}

FD_INLINE void apply8_f64(const double *x, double *y, __m256i m, __m256d sv, unsigned flags)
{
    apply4_f64(x, y, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(m)), sv, flags);
    apply4_f64(x + 4, y + 4, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(m, 1)), sv, flags);
}

#define FD_RNE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

FD_INLINE void apply8_f16(const uint16_t *x, uint16_t *y, __m256i m, __m256 sv, unsigned flags)
{
    const __m128i m16 = _mm_packs_epi32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    const __m128i h = _mm_loadu_si128((const __m128i *)x);
    if (!(flags & (FD_SCALE | FD_ACCUMULATE))) {
        store8_f16(y, _mm_and_si128(h, m16), flags);
        return;
    }
    __m256 v = _mm256_cvtph_ps(h);
    if (flags & FD_SCALE)
        v = _mm256_mul_ps(v, sv);
    if (flags & FD_ACCUMULATE) {
        const __m128i old = _mm_loadu_si128((const __m128i *)y);
        const __m128i sum = _mm256_cvtps_ph(_mm256_add_ps(_mm256_cvtph_ps(old), v), FD_RNE);
        _mm_storeu_si128((__m128i *)y, _mm_blendv_epi8(old, sum, m16));
    } else {
        store8_f16(y, _mm_and_si128(_mm256_cvtps_ph(v, FD_RNE), m16), flags);
    }
}

/* ===   The block walk (FD_VECTOR_WALK) with two ymm lane sets   === */

/* WHOLE may use ma and mb, the keep masks of elements at .. at+7 and
 * at+8 .. at+15. */
#define FD_AVX2_WALK(s, n, bits, WHOLE, PART)                                 \
    do {                                                                      \
        const __m256i bias_ = _mm256_set1_epi32(INT32_MIN);                   \
        const __m256i tb_ = _mm256_set1_epi32(                                \
            (int32_t)((uint32_t)(s)->threshold ^ UINT32_C(0x80000000)));      \
        const __m256i fixed_ = (s)->threshold ? _mm256_set1_epi32(-1)         \
                                              : _mm256_setzero_si256();       \
        fd_x4 ga_ = fd_x4_zero(), gb_ = fd_x4_zero();                         \
        __m256i ma = fixed_, mb = fixed_;                                     \
        FD_VECTOR_WALK(s, n, bits, FD_AVX2_SEED, FD_AVX2_STEP, keep16(ma, mb), \
                       WHOLE, PART);                                          \
    } while (0)

#define FD_AVX2_SEED(g) seed_block(s->key, (g), &ga_, &gb_)

#define FD_AVX2_STEP(random)                                                  \
    do {                                                                      \
        if (random) {                                                         \
            ma = _mm256_cmpgt_epi32(tb_, _mm256_xor_si256(next4(&ga_), bias_)); \
            mb = _mm256_cmpgt_epi32(tb_, _mm256_xor_si256(next4(&gb_), bias_)); \
        }                                                                     \
    } while (0)

static void mask_bits_avx2(const fd_stream *s, uint8_t *bits, size_t n)
{
    FD_AVX2_WALK(s, n, bits, (void)at, (void)at);
}

/* Stamps the dropout and apply-bits kernels of one dtype; APPLY8 handles
 * eight elements, SET1 broadcasts the scale. */
#define FD_DEFINE_AVX2(sfx, T, CT, VT, APPLY8, SET1)                          \
    static void dropout_##sfx##_avx2(const fd_stream *s, const T *x, T *y,    \
                                     uint8_t *bits, size_t n, CT scale,       \
                                     unsigned flags)                          \
    {                                                                         \
        const VT sv = SET1(scale);                                            \
        if (!FD_STREAMABLE(y, s->index, sizeof(T)))                           \
            flags &= ~FD_STREAM;                                              \
        FD_AVX2_WALK(s, n, bits,                                              \
                     (APPLY8(x + at, y + at, ma, sv, flags),                  \
                      APPLY8(x + at + 8, y + at + 8, mb, sv, flags)),         \
                     fd_run_##sfx(x + at, y + at, k, nb, scale, flags));      \
        if (flags & FD_STREAM)                                                \
            _mm_sfence();                                                     \
    }                                                                         \
    static void apply_bits_##sfx##_avx2(const uint8_t *bits, const T *x,      \
                                        T *y, size_t n, CT scale,             \
                                        unsigned flags)                       \
    {                                                                         \
        const VT sv = SET1(scale);                                            \
        if (!FD_STREAMABLE(y, 0, sizeof(T)))                                  \
            flags &= ~FD_STREAM;                                              \
        size_t i = 0;                                                         \
        for (; i + 16 <= n; i += 16) {                                        \
            APPLY8(x + i, y + i, expand8(bits[i / 8]), sv, flags);            \
            APPLY8(x + i + 8, y + i + 8, expand8(bits[i / 8 + 1]), sv, flags); \
        }                                                                     \
        fd_bits_run_##sfx(bits, x, y, i, n, scale, flags);                    \
        if (flags & FD_STREAM)                                                \
            _mm_sfence();                                                     \
    }

FD_DEFINE_AVX2(f16, uint16_t, float, __m256, apply8_f16, _mm256_set1_ps)
FD_DEFINE_AVX2(f32, float, float, __m256, apply8_f32, _mm256_set1_ps)
FD_DEFINE_AVX2(f64, double, double, __m256d, apply8_f64, _mm256_set1_pd)

FD_TARGET_END

const fd_kernel_row fd_kernels_avx2 = {
    mask_bits_avx2,
    dropout_f16_avx2, dropout_f32_avx2, dropout_f64_avx2,
    apply_bits_f16_avx2, apply_bits_f32_avx2, apply_bits_f64_avx2,
};

#else /* not x86 with GCC or clang: no AVX2 kernels */

const fd_kernel_row fd_kernels_avx2 = {0};

#endif

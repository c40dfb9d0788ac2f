/*
 * fd_kernel_avx512.c -- AVX-512 kernels (F, BW, VL; F16C for float16).
 *
 * The eight lanes of fastdrop-rng-v1 run in one set of four zmm state
 * registers; a step gives the uniforms of block positions 16t .. 16t+15 in
 * element order, and one unsigned compare gives their keep bits as a
 * 16-bit mask register, which is exactly the packed mask's two bytes.
 * Kept elements are written with masked moves (dropped ones become +0.0),
 * accumulation with masked adds. Partial steps and tails go through the
 * scalar rules of fd_kernel_common.h. Must give the same bits as
 * fd_kernel_scalar.c.
 */
#include "fd_kernels.h"
#include "../fd_config.h"

#if FD_X86_GNUC

FD_TARGET_BEGIN("avx512f,avx512bw,avx512vl,f16c,avx2")
#include <immintrin.h>
#include "fd_kernel_common.h"
#include "fastdrop/rng.h"

typedef struct fd_x8 {
    __m512i s0, s1, s2, s3;
} fd_x8;

/* xoshiro256++ on all eight lanes at once. */
FD_INLINE __m512i next8(fd_x8 *g)
{
    const __m512i r = _mm512_add_epi64(_mm512_rol_epi64(_mm512_add_epi64(g->s0, g->s3), 23), g->s0);
    const __m512i t = _mm512_slli_epi64(g->s1, 17);
    g->s2 = _mm512_xor_si512(g->s2, g->s0);
    g->s3 = _mm512_xor_si512(g->s3, g->s1);
    g->s1 = _mm512_xor_si512(g->s1, g->s2);
    g->s0 = _mm512_xor_si512(g->s0, g->s3);
    g->s2 = _mm512_xor_si512(g->s2, t);
    g->s3 = _mm512_rol_epi64(g->s3, 45);
    return r;
}

FD_INLINE fd_x8 fd_x8_zero(void)
{
    fd_x8 z;
    z.s0 = z.s1 = z.s2 = z.s3 = _mm512_setzero_si512();
    return z;
}

FD_INLINE fd_x8 seed_block(uint64_t key, uint64_t g)
{
    uint64_t s[FD_LANES][4], t[4][FD_LANES];
    fd_x8 st;
    fd_block_seed(key, g, s);
    for (unsigned w = 0; w < 4; w++)
        for (unsigned l = 0; l < FD_LANES; l++)
            t[w][l] = s[l][w];
    st.s0 = _mm512_loadu_si512(&t[0][0]);
    st.s1 = _mm512_loadu_si512(&t[1][0]);
    st.s2 = _mm512_loadu_si512(&t[2][0]);
    st.s3 = _mm512_loadu_si512(&t[3][0]);
    return st;
}

/* ===   Stores: regular, or non-temporal in 16-byte pieces (FD_STREAM)   === */

FD_INLINE void stream64(void *y, __m512i v)
{
    __m128i *p = (__m128i *)y;
    _mm_stream_si128(p, _mm512_castsi512_si128(v));
    _mm_stream_si128(p + 1, _mm512_extracti32x4_epi32(v, 1));
    _mm_stream_si128(p + 2, _mm512_extracti32x4_epi32(v, 2));
    _mm_stream_si128(p + 3, _mm512_extracti32x4_epi32(v, 3));
}

FD_INLINE void store16_f32(float *y, __m512 v, unsigned flags)
{
    if (flags & FD_STREAM)
        stream64(y, _mm512_castps_si512(v));
    else
        _mm512_storeu_ps(y, v);
}

FD_INLINE void store8_f64(double *y, __m512d v, unsigned flags)
{
    if (flags & FD_STREAM)
        stream64(y, _mm512_castpd_si512(v));
    else
        _mm512_storeu_pd(y, v);
}

FD_INLINE void store16_f16(uint16_t *y, __m256i v, unsigned flags)
{
    if (flags & FD_STREAM) {
        _mm_stream_si128((__m128i *)y, _mm256_castsi256_si128(v));
        _mm_stream_si128((__m128i *)y + 1, _mm256_extracti128_si256(v, 1));
    } else {
        _mm256_storeu_si256((__m256i *)y, v);
    }
}

/* ===   Sixteen elements under a 16-bit keep mask, per dtype   === */

FD_INLINE void apply16_f32(const float *x, float *y, __mmask16 k, __m512 sv, unsigned flags)
{
    __m512 v = _mm512_loadu_ps(x);
    if (flags & FD_SCALE)
        v = _mm512_mul_ps(v, sv);
    if (flags & FD_ACCUMULATE) {
        const __m512 old = _mm512_loadu_ps(y);
        _mm512_storeu_ps(y, _mm512_mask_add_ps(old, k, old, v));
    } else {
        store16_f32(y, _mm512_maskz_mov_ps(k, v), flags);
    }
}

FD_INLINE void apply8_f64(const double *x, double *y, __mmask8 k, __m512d sv, unsigned flags)
{
    __m512d v = _mm512_loadu_pd(x);
    if (flags & FD_SCALE)
        v = _mm512_mul_pd(v, sv);
    if (flags & FD_ACCUMULATE) {
        const __m512d old = _mm512_loadu_pd(y);
        _mm512_storeu_pd(y, _mm512_mask_add_pd(old, k, old, v));
    } else {
        store8_f64(y, _mm512_maskz_mov_pd(k, v), flags);
    }
}

FD_INLINE void apply16_f64(const double *x, double *y, __mmask16 k, __m512d sv, unsigned flags)
{
    apply8_f64(x, y, (__mmask8)k, sv, flags);
    apply8_f64(x + 8, y + 8, (__mmask8)(k >> 8), sv, flags);
}

#define FD_RNE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

FD_INLINE void apply16_f16(const uint16_t *x, uint16_t *y, __mmask16 k, __m512 sv, unsigned flags)
{
    const __m256i h = _mm256_loadu_si256((const __m256i *)x);
    if (!(flags & (FD_SCALE | FD_ACCUMULATE))) {
        store16_f16(y, _mm256_maskz_mov_epi16(k, h), flags);
        return;
    }
    __m512 v = _mm512_cvtph_ps(h);
    if (flags & FD_SCALE)
        v = _mm512_mul_ps(v, sv);
    if (flags & FD_ACCUMULATE) {
        const __m256i old = _mm256_loadu_si256((const __m256i *)y);
        const __m256i sum = _mm512_cvtps_ph(_mm512_add_ps(_mm512_cvtph_ps(old), v), FD_RNE);
        _mm256_storeu_si256((__m256i *)y, _mm256_mask_mov_epi16(old, k, sum));
    } else {
        store16_f16(y, _mm256_maskz_mov_epi16(k, _mm512_cvtps_ph(v, FD_RNE)), flags);
    }
}

/* ===   The block walk (FD_VECTOR_WALK) with one zmm lane set   === */

/* WHOLE may use km, the 16-bit keep mask of elements at .. at+15. */
#define FD_AVX512_WALK(s, n, bits, WHOLE, PART)                               \
    do {                                                                      \
        const __m512i tv_ = _mm512_set1_epi32((int32_t)(uint32_t)(s)->threshold); \
        const __mmask16 fixed_ = (__mmask16)((s)->threshold ? 0xffff : 0);    \
        fd_x8 g_ = fd_x8_zero();                                              \
        __mmask16 km = fixed_;                                                \
        FD_VECTOR_WALK(s, n, bits, FD_AVX512_SEED, FD_AVX512_STEP, km, WHOLE, PART); \
    } while (0)

#define FD_AVX512_SEED(g) (g_ = seed_block(s->key, (g)))

#define FD_AVX512_STEP(random)                                                \
    do {                                                                      \
        if (random)                                                           \
            km = _mm512_cmplt_epu32_mask(next8(&g_), tv_);                    \
    } while (0)

static void mask_bits_avx512(const fd_stream *s, uint8_t *bits, size_t n)
{
    FD_AVX512_WALK(s, n, bits, (void)at, (void)at);
}

/* Stamps the dropout and apply-bits kernels of one dtype. */
#define FD_DEFINE_AVX512(sfx, T, CT, VT, APPLY16, SET1)                       \
    static void dropout_##sfx##_avx512(const fd_stream *s, const T *x, T *y,  \
                                       uint8_t *bits, size_t n, CT scale,     \
                                       unsigned flags)                        \
    {                                                                         \
        const VT sv = SET1(scale);                                            \
        if (!FD_STREAMABLE(y, s->index, sizeof(T)))                           \
            flags &= ~FD_STREAM;                                              \
        FD_AVX512_WALK(s, n, bits, APPLY16(x + at, y + at, km, sv, flags),    \
                       fd_run_##sfx(x + at, y + at, k, nb, scale, flags));    \
        if (flags & FD_STREAM)                                                \
            _mm_sfence();                                                     \
    }                                                                         \
    static void apply_bits_##sfx##_avx512(const uint8_t *bits, const T *x,    \
                                          T *y, size_t n, CT scale,           \
                                          unsigned flags)                     \
    {                                                                         \
        const VT sv = SET1(scale);                                            \
        if (!FD_STREAMABLE(y, 0, sizeof(T)))                                  \
            flags &= ~FD_STREAM;                                              \
        size_t i = 0;                                                         \
        for (; i + 16 <= n; i += 16) {                                        \
            const __mmask16 k = (__mmask16)(bits[i / 8] | bits[i / 8 + 1] << 8); \
            APPLY16(x + i, y + i, k, sv, flags);                              \
        }                                                                     \
        fd_bits_run_##sfx(bits, x, y, i, n, scale, flags);                    \
        if (flags & FD_STREAM)                                                \
            _mm_sfence();                                                     \
    }

FD_DEFINE_AVX512(f16, uint16_t, float, __m512, apply16_f16, _mm512_set1_ps)
FD_DEFINE_AVX512(f32, float, float, __m512, apply16_f32, _mm512_set1_ps)
FD_DEFINE_AVX512(f64, double, double, __m512d, apply16_f64, _mm512_set1_pd)

FD_TARGET_END

const fd_kernel_row fd_kernels_avx512 = {
    mask_bits_avx512,
    dropout_f16_avx512, dropout_f32_avx512, dropout_f64_avx512,
    apply_bits_f16_avx512, apply_bits_f32_avx512, apply_bits_f64_avx512,
};

#else /* not x86 with GCC or clang: no AVX-512 kernels */

const fd_kernel_row fd_kernels_avx512 = {0};

#endif

/*
 * fd_kernel_avx512.c -- AVX-512 kernels (F, BW, VL; F16C for float16; bfloat16
 * with integer operations).
 *
 * The eight lanes run as two sets of four ymm state registers (AVX-512VL
 * rotates; two independent dependency chains run faster than one zmm set
 * on CPUs that split 512-bit operations); a step gives the bytes of block
 * positions 64t .. 64t+63 in element order, and unsigned byte compares
 * (vpcmpub) give their keep bits in mask registers, a group's keep word. The walk (fd_walk.h) applies whole groups
 * here: kept elements are written with masked moves (dropped ones become
 * +0.0), accumulation with masked adds. Partial groups and tails go
 * through the scalar rules. Must give the same bits as fd_kernel_scalar.c.
 */
#include "fd_kernels.h"
#include "../fd_config.h"

#if FD_X86_GNUC

FD_TARGET_BEGIN("avx512f,avx512bw,avx512vl,f16c,avx2")
#include <immintrin.h>
#include "fd_kernel_common.h"
#include "fastdrop/rng.h"

#define FD_ROTL4(x, k) _mm256_rol_epi64(x, k) /* VL: one instruction */
#include "fd_lanes4.h"

typedef struct fd_gen {
    fd_x4 a, b; /* lanes 0-3 and 4-7: two independent chains */
} fd_gen;

typedef struct fd_cmp {
    __m256i tpart; /* the threshold's byte */
} fd_cmp;

FD_INLINE fd_cmp cmp_make(uint64_t threshold)
{
    fd_cmp c;
    c.tpart = _mm256_set1_epi8((char)(fd_threshold_part(threshold) & 0xff));
    return c;
}

FD_INLINE void gen_seed(fd_gen *g, uint64_t key, uint64_t b)
{
    seed_x4(&g->a, &g->b, key, b);
}

/* One step of both lane sets: the 64 bytes of positions 64t .. 64t+63 in
 * element order, compared unsigned with the threshold's byte straight into
 * mask registers (vpcmpub), 32 keep bits from each set. */
FD_INLINE uint64_t gen_group(fd_gen *g, const fd_cmp *c, uint64_t *eq, int refine)
{
    const __m256i ra = next4(&g->a), rb = next4(&g->b);
    *eq = refine ? (uint64_t)_mm256_cmpeq_epi8_mask(ra, c->tpart)
                       | (uint64_t)_mm256_cmpeq_epi8_mask(rb, c->tpart) << 32
                 : 0;
    return (uint64_t)_mm256_cmplt_epu8_mask(ra, c->tpart)
         | (uint64_t)_mm256_cmplt_epu8_mask(rb, c->tpart) << 32;
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

#define FD_RNE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

/* float16 in sixteen 32-bit lanes: F16C widens exactly and rounds to nearest even. */
FD_INLINE __m512 widen16_f16(__m256i h)
{
    return _mm512_cvtph_ps(h);
}

FD_INLINE __m256i round16_f16(__m512 v)
{
    return _mm512_cvtps_ph(v, FD_RNE);
}

/* bfloat16 in sixteen 32-bit lanes: widened by a shift (exact), rounded
 * back as fastdrop/half.h's fd_bits_to_bf16 does, in integer operations
 * (no AVX512_BF16: its conversion flushes subnormals to zero). Only
 * instructions that SIMDe also emulates (tests/test_emulated.py): the
 * halves widen with AVX2, and the results (below 2**16) narrow by a signed
 * saturating move, exact after a bias of 0x8000 taken off again in 16 bits. */
FD_INLINE __m512 widen16_bf16(__m256i h)
{
    const __m256i lo = _mm256_cvtepu16_epi32(_mm256_castsi256_si128(h));
    const __m256i hi = _mm256_cvtepu16_epi32(_mm256_extracti128_si256(h, 1));
    const __m512i w = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    return _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
}

FD_INLINE __m256i round16_bf16(__m512 v)
{
    const __m512i f = _mm512_castps_si512(v);
    const __m512i hi = _mm512_srli_epi32(f, 16);
    /* both sides non-negative: a signed compare */
    const __mmask16 nan = _mm512_cmpgt_epi32_mask(_mm512_and_si512(f, _mm512_set1_epi32(0x7fffffff)),
                                                  _mm512_set1_epi32(0x7f800000));
    const __m512i bias = _mm512_add_epi32(_mm512_set1_epi32(0x7fff),
                                          _mm512_and_si512(hi, _mm512_set1_epi32(1)));
    const __m512i rne = _mm512_srli_epi32(_mm512_add_epi32(f, bias), 16);
    const __m512i r = _mm512_mask_or_epi32(rne, nan, hi, _mm512_set1_epi32(0x40));
    const __m256i n = _mm512_cvtsepi32_epi16(_mm512_sub_epi32(r, _mm512_set1_epi32(0x8000)));
    return _mm256_xor_si256(n, _mm256_set1_epi16((short)0x8000));
}

/* The 16-bit types, computed in float32 lanes (widen16_<sfx>, round16_<sfx>):
 * apply16_<sfx> under mask k, and apply64_<sfx> under keep word w. */
#define FD_DEFINE_APPLY_HALF(sfx)                                             \
    FD_INLINE void apply16_##sfx(const uint16_t *x, uint16_t *y, __mmask16 k, __m512 sv, \
                                 unsigned flags)                              \
    {                                                                         \
        const __m256i h = _mm256_loadu_si256((const __m256i *)x);             \
        if (!(flags & (FD_SCALE | FD_ACCUMULATE))) {                          \
            store16_f16(y, _mm256_maskz_mov_epi16(k, h), flags);              \
            return;                                                           \
        }                                                                     \
        __m512 v = widen16_##sfx(h);                                          \
        if (flags & FD_SCALE)                                                 \
            v = _mm512_mul_ps(v, sv);                                         \
        if (flags & FD_ACCUMULATE) {                                          \
            const __m256i old = _mm256_loadu_si256((const __m256i *)y);       \
            const __m256i sum = round16_##sfx(_mm512_add_ps(widen16_##sfx(old), v)); \
            _mm256_storeu_si256((__m256i *)y, _mm256_mask_mov_epi16(old, k, sum)); \
        } else {                                                              \
            store16_f16(y, _mm256_maskz_mov_epi16(k, round16_##sfx(v)), flags); \
        }                                                                     \
    }                                                                         \
                                                                              \
    FD_INLINE void apply64_##sfx(const uint16_t *x, uint16_t *y, uint64_t w, __m512 sv, \
                                 unsigned flags)                              \
    {                                                                         \
        for (unsigned q = 0; q < 4; q++)                                      \
            apply16_##sfx(x + 16 * q, y + 16 * q, (__mmask16)(w >> (16 * q)), sv, flags); \
    }

FD_DEFINE_APPLY_HALF(f16)
FD_DEFINE_APPLY_HALF(bf16)

/* ===   A whole group of 64 elements under keep word w   === */

FD_INLINE void apply64_f32(const float *x, float *y, uint64_t w, __m512 sv, unsigned flags)
{
    for (unsigned q = 0; q < 4; q++)
        apply16_f32(x + 16 * q, y + 16 * q, (__mmask16)(w >> (16 * q)), sv, flags);
}

FD_INLINE void apply64_f64(const double *x, double *y, uint64_t w, __m512d sv, unsigned flags)
{
    for (unsigned q = 0; q < 8; q++)
        apply8_f64(x + 8 * q, y + 8 * q, (__mmask8)(w >> (8 * q)), sv, flags);
}

typedef __m512 fd_vscale_bf16;
FD_INLINE __m512 vscale_bf16(float scale) { return _mm512_set1_ps(scale); }
typedef __m512 fd_vscale_f16;
typedef __m512 fd_vscale_f32;
typedef __m512d fd_vscale_f64;
FD_INLINE __m512 vscale_f16(float scale) { return _mm512_set1_ps(scale); }
FD_INLINE __m512 vscale_f32(float scale) { return _mm512_set1_ps(scale); }
FD_INLINE __m512d vscale_f64(double scale) { return _mm512_set1_pd(scale); }

#define FD_ROW_FENCE() _mm_sfence()
#include "fd_walk.h"

FD_APPLY64G_FROM_WORD(f16, uint16_t, __m512)
FD_APPLY64G_FROM_WORD(f32, float, __m512)
FD_APPLY64G_FROM_WORD(f64, double, __m512d)
FD_APPLY64G_FROM_WORD(bf16, uint16_t, __m512)

/* The affine rule on 64 elements under keep word w: kept lanes take x,
 * the others alpha (a mask blend), then one product and one sum. */
FD_INLINE void affine64_f32(const float *x, float *y, uint64_t w, __m512 av, __m512 bv,
                            __m512 alv, unsigned flags)
{
    for (unsigned q = 0; q < 4; q++) {
        const __m512 z = _mm512_mask_blend_ps((__mmask16)(w >> (16 * q)), alv,
                                              _mm512_loadu_ps(x + 16 * q));
        store16_f32(y + 16 * q, _mm512_add_ps(_mm512_mul_ps(av, z), bv), flags);
    }
}

FD_INLINE void affine64_f64(const double *x, double *y, uint64_t w, __m512d av, __m512d bv,
                            __m512d alv, unsigned flags)
{
    for (unsigned q = 0; q < 8; q++) {
        const __m512d z = _mm512_mask_blend_pd((__mmask8)(w >> (8 * q)), alv,
                                               _mm512_loadu_pd(x + 8 * q));
        store8_f64(y + 8 * q, _mm512_add_pd(_mm512_mul_pd(av, z), bv), flags);
    }
}

FD_DEFINE_ROW_FUNCTIONS(avx512)

FD_TARGET_END

FD_DEFINE_ROW(avx512);

#else /* not x86 with GCC or clang: no AVX-512 kernels */

const fd_kernel_row fd_kernels_avx512 = {0};

#endif

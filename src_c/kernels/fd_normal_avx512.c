/*
 * fd_normal_avx512.c -- the normal stream on AVX-512 (F and DQ, of the ISA
 * row's F, DQ, BW and VL: DQ's vpmullq for SplitMix64's 64-bit products,
 * 12% faster on a Zen 5 core than three 32-bit products; the 2**52 trick
 * for the integer-to-double conversions). Eight elements per
 * vector, every operation of fastdrop/normal.h in the same order: the
 * SplitMix64 word, q = (m + 1/2) 2**-53 (the same exact value as
 * (2m + 1) 2**-54), the series logarithm, each lane's AS 241 region, the
 * sign bit. Must give
 * the bits of the scalar loops (tests/test_normal_stream.py checks). The
 * normals and Gaussian loops take blocks of FD_NB512 elements through
 * normal_block, which runs the logarithm and the outer regions only for
 * the lanes that need them, packed eight at a time (as fd_normal_avx2.c
 * does four at a time); the words entry runs normal8 on each vector.
 */
#include "fd_normal_kernels.h"

#if FD_NORMAL_HAVE_AVX512

FD_TARGET_BEGIN("avx512f,avx512dq")
#include <immintrin.h>
#include "fastdrop/normal.h"

/* Eight doubles rounded to float: SIMDe 0.7 (the emulated build's
 * src_c/tools/simde/immintrin.h) has no _mm512_cvtpd_ps, so there it is two
 * AVX conversions of the halves (the same rounding). */
#ifdef FD_SIMDE_IMMINTRIN_H
FD_INLINE __m256 cvtpd_ps8(__m512d v)
{
    return _mm256_setr_m128(_mm256_cvtpd_ps(_mm512_extractf64x4_pd(v, 0)),
                            _mm256_cvtpd_ps(_mm512_extractf64x4_pd(v, 1)));
}
#else
#define cvtpd_ps8 _mm512_cvtpd_ps
#endif

/* Low 64 bits of a * b per lane. */
FD_INLINE __m512i mullo64(__m512i a, __m512i b)
{
    return _mm512_mullo_epi64(a, b);
}

FD_INLINE __m512i mix64x8(__m512i z)
{
    z = mullo64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)),
                _mm512_set1_epi64((long long)UINT64_C(0xBF58476D1CE4E5B9)));
    z = mullo64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)),
                _mm512_set1_epi64((long long)UINT64_C(0x94D049BB133111EB)));
    return _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
}

/* v < 2**52 as a double, exactly: the bits of 2**52 + v, minus 2**52. */
FD_INLINE __m512d small_to_pd(__m512i v)
{
    const __m512i two52 = _mm512_set1_epi64(0x4330000000000000LL);
    return _mm512_sub_pd(_mm512_castsi512_pd(_mm512_or_si512(v, two52)), _mm512_set1_pd(0x1p52));
}

FD_INLINE __m512d fmadd_rounded(__m512d v, __m512d r, double c)
{
    return _mm512_add_pd(_mm512_mul_pd(v, r), _mm512_set1_pd(c)); /* two roundings */
}

FD_INLINE __m512d horner8(__m512d r, double c0, double c1, double c2, double c3, double c4,
                          double c5, double c6, double c7)
{
    __m512d v = _mm512_set1_pd(c7);
    v = fmadd_rounded(v, r, c6);
    v = fmadd_rounded(v, r, c5);
    v = fmadd_rounded(v, r, c4);
    v = fmadd_rounded(v, r, c3);
    v = fmadd_rounded(v, r, c2);
    v = fmadd_rounded(v, r, c1);
    return fmadd_rounded(v, r, c0);
}

/* The coefficient lists of fastdrop/normal.h's FD_NORMAL_A .. F macros. */
#undef fd_normal_horner
#define fd_normal_horner horner8

FD_INLINE __m512d log8(__m512d q)
{
    const __m512i m52 = _mm512_set1_epi64((long long)((UINT64_C(1) << 52) - 1));
    const __m512i qb = _mm512_castpd_si512(q);
    __m512i e = _mm512_srli_epi64(qb, 52); /* biased exponent (q > 0) */
    __m512d f = _mm512_castsi512_pd(
        _mm512_or_si512(_mm512_and_si512(qb, m52), _mm512_set1_epi64(0x3ff0000000000000LL)));
    const __mmask8 big = _mm512_cmp_pd_mask(f, _mm512_set1_pd(0x1.6a09e667f3bcdp+0), _CMP_GT_OQ);
    f = _mm512_mask_mul_pd(f, big, f, _mm512_set1_pd(0.5));
    e = _mm512_mask_add_epi64(e, big, e, _mm512_set1_epi64(1));
    const __m512d k = _mm512_sub_pd(small_to_pd(e), _mm512_set1_pd(1023.0)); /* exact */
    const __m512d t = _mm512_sub_pd(f, _mm512_set1_pd(1.0));
    const __m512d s = _mm512_div_pd(t, _mm512_add_pd(t, _mm512_set1_pd(2.0)));
    const __m512d w = _mm512_mul_pd(s, s);
    __m512d p = _mm512_set1_pd(0x1.8618618618618p-5);
    p = fmadd_rounded(p, w, 0x1.af286bca1af28p-5);
    p = fmadd_rounded(p, w, 0x1.e1e1e1e1e1e1ep-5);
    p = fmadd_rounded(p, w, 0x1.1111111111111p-4);
    p = fmadd_rounded(p, w, 0x1.3b13b13b13b14p-4);
    p = fmadd_rounded(p, w, 0x1.745d1745d1746p-4);
    p = fmadd_rounded(p, w, 0x1.c71c71c71c71cp-4);
    p = fmadd_rounded(p, w, 0x1.2492492492492p-3);
    p = fmadd_rounded(p, w, 0x1.999999999999ap-3);
    p = fmadd_rounded(p, w, 0x1.5555555555555p-2);
    p = fmadd_rounded(p, w, 1.0);
    return _mm512_add_pd(_mm512_mul_pd(k, _mm512_set1_pd(0x1.62e42fefa39efp-1)),
                         _mm512_mul_pd(_mm512_add_pd(s, s), p));
}

FD_INLINE __m512d neg8(__m512d v)
{
    return _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(v),
                                                _mm512_set1_epi64((long long)(UINT64_C(1) << 63))));
}

/* q = (m + 1/2) 2**-53 of the words h, m their low 52 bits (exact). */
FD_INLINE __m512d q_of(__m512i h)
{
    const __m512i m = _mm512_and_si512(h, _mm512_set1_epi64((long long)((UINT64_C(1) << 52) - 1)));
    return _mm512_mul_pd(_mm512_add_pd(small_to_pd(m), _mm512_set1_pd(0.5)), _mm512_set1_pd(0x1p-53));
}

/* Z of the eight words h (fd_normal_from_word per lane). Each lane's
 * quotient is the one of its region: numerators and denominators are
 * selected first and divided once, which gives the same quotient; the
 * logarithm and the outer regions are skipped when no lane needs them. */
FD_INLINE __m512d normal8(__m512i h)
{
    const __m512d q = q_of(h), q0 = _mm512_sub_pd(q, _mm512_set1_pd(0.5));
    const __m512d rc = _mm512_sub_pd(_mm512_set1_pd(0.180625), _mm512_mul_pd(q0, q0));
    const __mmask8 is_central = _mm512_cmp_pd_mask(q0, _mm512_set1_pd(-0.425), _CMP_GE_OQ);
    __m512d num = _mm512_mul_pd(q0, FD_NORMAL_A(rc));
    __m512d den = FD_NORMAL_B(rc);
    if (is_central != 0xff) {
        const __m512d r = _mm512_sqrt_pd(neg8(log8(q)));
        const __mmask8 outer = (__mmask8)~is_central;
        const __mmask8 is_middle =
            outer & _mm512_cmp_pd_mask(r, _mm512_set1_pd(5.0), _CMP_LE_OQ);
        const __mmask8 is_tail = outer & (__mmask8)~is_middle;
        const __m512d t1 = _mm512_sub_pd(r, _mm512_set1_pd(1.6));
        num = _mm512_mask_blend_pd(is_middle, num, FD_NORMAL_C(t1));
        den = _mm512_mask_blend_pd(is_middle, den, FD_NORMAL_D(t1));
        if (is_tail) {
            const __m512d t2 = _mm512_sub_pd(r, _mm512_set1_pd(5.0));
            num = _mm512_mask_blend_pd(is_tail, num, FD_NORMAL_E(t2));
            den = _mm512_mask_blend_pd(is_tail, den, FD_NORMAL_F(t2));
        }
    }
    const __m512d quot = _mm512_div_pd(num, den);
    /* central lanes negate: -(q0 A / B); the sign bit of h then flips every lane */
    const __m512i flip = _mm512_xor_si512(
        _mm512_and_si512(h, _mm512_set1_epi64((long long)(UINT64_C(1) << 63))),
        _mm512_maskz_mov_epi64(is_central, _mm512_set1_epi64((long long)(UINT64_C(1) << 63))));
    return _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(quot), flip));
}

/* The Weyl words kn + GOLDEN (e + 1) of elements index .. index + 7, and the step 8 GOLDEN. */
FD_INLINE __m512i weyl_start(uint64_t kn, uint64_t index)
{
    uint64_t w[8];
    for (unsigned j = 0; j < 8; j++)
        w[j] = kn + FD_GOLDEN * (index + j + 1);
    return _mm512_loadu_si512((const void *)w);
}

#define FD_NB512 256u /* elements per block of normal_block: a multiple of 8 */

/* Z of the 8 nv elements (nv <= FD_NB512 / 8) whose Weyl words start at
 * *weyl (advanced past them), into z, the lanes of normal8 each through its
 * own region, in two passes: every lane through the central region (whose
 * quotient outer lanes leave unused), the words and q of the outer lanes
 * (15% of them) packed; then those eight at a time through the logarithm
 * and the middle or tail region, each put back in its place. normal8 on
 * every vector instead runs the logarithm for 8 lanes whenever one of them
 * is outer, which is 73% of the vectors. Every lane's operations are those
 * of normal8, so the bits are too. */
FD_INLINE void normal_block(__m512i *weyl, size_t nv, double *z)
{
    const __m512i step = _mm512_set1_epi64((long long)(FD_GOLDEN * 8));
    const __m512i sign = _mm512_set1_epi64((long long)(UINT64_C(1) << 63));
    double qo[FD_NB512 + 8];
    uint64_t ho[FD_NB512 + 8];
    uint16_t pos[FD_NB512];
    size_t cnt = 0;
    for (size_t v = 0; v < nv; v++) {
        const __m512i h = mix64x8(*weyl);
        *weyl = _mm512_add_epi64(*weyl, step);
        const __m512d q = q_of(h), q0 = _mm512_sub_pd(q, _mm512_set1_pd(0.5));
        const __m512d rc = _mm512_sub_pd(_mm512_set1_pd(0.180625), _mm512_mul_pd(q0, q0));
        const __mmask8 is_central = _mm512_cmp_pd_mask(q0, _mm512_set1_pd(-0.425), _CMP_GE_OQ);
        const __m512d quot = _mm512_div_pd(_mm512_mul_pd(q0, FD_NORMAL_A(rc)), FD_NORMAL_B(rc));
        /* central lanes negate: -(q0 A / B); the sign bit of h then flips every lane */
        const __m512i flip = _mm512_xor_si512(_mm512_and_si512(h, sign),
                                              _mm512_maskz_mov_epi64(is_central, sign));
        _mm512_storeu_pd(z + 8 * v, _mm512_castsi512_pd(
                                        _mm512_xor_si512(_mm512_castpd_si512(quot), flip)));
        const __mmask8 outer = (__mmask8)~is_central;
        if (outer) {
            _mm512_mask_compressstoreu_pd(qo + cnt, outer, q);
            _mm512_mask_compressstoreu_epi64(ho + cnt, outer, h);
            for (unsigned k = outer; k; k &= k - 1)
                pos[cnt++] = (uint16_t)(8 * v + (unsigned)FD_CTZ64(k));
        }
    }
    for (size_t j = cnt; j % 8; j++) { /* lanes after the last outer one: any q */
        qo[j] = 0.25;
        ho[j] = 0;
    }
    for (size_t j = 0; j < cnt; j += 8) {
        const __m512d q = _mm512_loadu_pd(qo + j);
        const __m512i h = _mm512_loadu_si512((const void *)(ho + j));
        const __m512d r = _mm512_sqrt_pd(neg8(log8(q)));
        const __mmask8 is_middle = _mm512_cmp_pd_mask(r, _mm512_set1_pd(5.0), _CMP_LE_OQ);
        const __mmask8 is_tail = (__mmask8)~is_middle;
        const __m512d t1 = _mm512_sub_pd(r, _mm512_set1_pd(1.6));
        __m512d num = FD_NORMAL_C(t1), den = FD_NORMAL_D(t1);
        if (is_tail) {
            const __m512d t2 = _mm512_sub_pd(r, _mm512_set1_pd(5.0));
            num = _mm512_mask_blend_pd(is_tail, num, FD_NORMAL_E(t2));
            den = _mm512_mask_blend_pd(is_tail, den, FD_NORMAL_F(t2));
        }
        const __m512d quot = _mm512_div_pd(num, den);
        double out[8];
        _mm512_storeu_pd(out, _mm512_castsi512_pd(_mm512_xor_si512(
                                  _mm512_castpd_si512(quot), _mm512_and_si512(h, sign))));
        for (size_t k = 0; k < 8 && j + k < cnt; k++)
            z[pos[j + k]] = out[k];
    }
}

/* BODY once per vector zv of eight variates, elements i .. i + 7. */
#define FD_NORMAL_LOOP(BODY)                                                        \
    size_t i = 0;                                                                   \
    __m512i weyl = weyl_start(kn, index);                                           \
    double zb[FD_NB512];                                                            \
    while (i + 8 <= n) {                                                            \
        const size_t nv = FD_MIN((n - i) / 8, (size_t)(FD_NB512 / 8));              \
        normal_block(&weyl, nv, zb);                                                \
        for (size_t v = 0; v < nv; v++, i += 8) {                                   \
            const __m512d zv = _mm512_loadu_pd(zb + 8 * v);                         \
            BODY                                                                    \
        }                                                                           \
    }

void fd_normals_f64_avx512(uint64_t kn, uint64_t index, double *z, size_t n)
{
    FD_NORMAL_LOOP(_mm512_storeu_pd(z + i, zv);)
    for (; i < n; i++)
        z[i] = fd_normal_at(kn, index + i);
}

void fd_normals_f32_avx512(uint64_t kn, uint64_t index, float *z, size_t n)
{
    FD_NORMAL_LOOP(_mm256_storeu_ps(z + i, cvtpd_ps8(zv));)
    for (; i < n; i++)
        z[i] = (float)fd_normal_at(kn, index + i);
}

void fd_gaussian_f64_avx512(uint64_t kn, uint64_t index, const double *x, double *y,
                            size_t n, double sigma)
{
    const __m512d sv = _mm512_set1_pd(sigma), one = _mm512_set1_pd(1.0);
    FD_NORMAL_LOOP(_mm512_storeu_pd(y + i, _mm512_mul_pd(_mm512_loadu_pd(x + i),
                   _mm512_add_pd(one, _mm512_mul_pd(sv, zv))));)
    for (; i < n; i++)
        y[i] = x[i] * (1.0 + sigma * fd_normal_at(kn, index + i));
}

void fd_gaussian_f32_avx512(uint64_t kn, uint64_t index, const float *x, float *y,
                            size_t n, float sigma)
{
    const __m256 sv = _mm256_set1_ps(sigma), one = _mm256_set1_ps(1.0f);
    FD_NORMAL_LOOP(_mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(x + i),
                   _mm256_add_ps(one, _mm256_mul_ps(sv, cvtpd_ps8(zv)))));)
    for (; i < n; i++)
        y[i] = x[i] * (1.0f + sigma * (float)fd_normal_at(kn, index + i));
}

void fd_normal_words_avx512(const uint64_t *h, double *z, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm512_storeu_pd(z + i, normal8(_mm512_loadu_si512((const void *)(h + i))));
    for (; i < n; i++)
        z[i] = fd_normal_from_word(h[i]);
}

FD_TARGET_END
#endif

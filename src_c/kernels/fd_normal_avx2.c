/*
 * fd_normal_avx2.c -- the normal stream on AVX2, four elements per __m256d,
 * every operation of fastdrop/normal.h in the same order, so it gives the
 * bits of the scalar loops (tests/test_normal_stream.py checks). No FMA:
 * the target region names avx2 alone and the build passes
 * -ffp-contract=off, so every product and sum is rounded on its own.
 *
 * - The SplitMix64 words are computed in general registers, four at a
 *   time, and moved into a vector (an empty asm keeps the compiler from
 *   vectorising them again): AVX2 has no 64-bit multiply, and building it
 *   from 32-bit products, as fd_normal_avx512.c does, loads the vector
 *   units that the transform needs while the integer units idle (a fifth
 *   slower on a Zen 1 core, one thread).
 * - q = (m + 1/2) 2**-53, the same exact value as (2m + 1) 2**-54, with m
 *   converted by the 2**52 trick (AVX2 has no 64-bit integer to double).
 * - A lane is outside the central region with probability 0.15, so a
 *   branch per vector on whether any lane is would go wrong about every
 *   other time. Instead each block of FD_NB elements runs every lane
 *   through the central region, packs the q and word of the other lanes,
 *   runs those four at a time through the logarithm and the middle or tail
 *   region, and unpacks them into place; per four outer lanes the
 *   numerators and denominators of their regions are selected first and
 *   divided once, which gives the same quotients.
 */
#include "fd_normal_kernels.h"

#if FD_NORMAL_HAVE_AVX2

FD_TARGET_BEGIN("avx2")
#include <immintrin.h>
#include "fastdrop/normal.h"

#define FD_SIGN64 ((long long)(UINT64_C(1) << 63))
#define FD_M52 ((long long)((UINT64_C(1) << 52) - 1))

/* v < 2**52 as a double, exactly: the bits of 2**52 + v, minus 2**52. */
FD_INLINE __m256d small_to_pd(__m256i v)
{
    const __m256i two52 = _mm256_set1_epi64x(0x4330000000000000LL);
    return _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(v, two52)), _mm256_set1_pd(0x1p52));
}

FD_INLINE __m256d fmadd_rounded(__m256d v, __m256d r, double c)
{
    return _mm256_add_pd(_mm256_mul_pd(v, r), _mm256_set1_pd(c)); /* two roundings */
}

FD_INLINE __m256d horner4(__m256d r, double c0, double c1, double c2, double c3, double c4,
                          double c5, double c6, double c7)
{
    __m256d v = _mm256_set1_pd(c7);
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
#define fd_normal_horner horner4

FD_INLINE __m256d log4(__m256d q)
{
    const __m256i qb = _mm256_castpd_si256(q);
    __m256i e = _mm256_srli_epi64(qb, 52); /* biased exponent (q > 0) */
    __m256d f = _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(qb, _mm256_set1_epi64x(FD_M52)),
                                                    _mm256_set1_epi64x(0x3ff0000000000000LL)));
    const __m256d big = _mm256_cmp_pd(f, _mm256_set1_pd(0x1.6a09e667f3bcdp+0), _CMP_GT_OQ);
    f = _mm256_blendv_pd(f, _mm256_mul_pd(f, _mm256_set1_pd(0.5)), big);
    e = _mm256_sub_epi64(e, _mm256_castpd_si256(big)); /* + 1 where big (all ones = -1) */
    const __m256d k = _mm256_sub_pd(small_to_pd(e), _mm256_set1_pd(1023.0)); /* exact */
    const __m256d t = _mm256_sub_pd(f, _mm256_set1_pd(1.0));
    const __m256d s = _mm256_div_pd(t, _mm256_add_pd(t, _mm256_set1_pd(2.0)));
    const __m256d w = _mm256_mul_pd(s, s);
    __m256d p = _mm256_set1_pd(0x1.8618618618618p-5);
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
    return _mm256_add_pd(_mm256_mul_pd(k, _mm256_set1_pd(0x1.62e42fefa39efp-1)),
                         _mm256_mul_pd(_mm256_add_pd(s, s), p));
}

FD_INLINE __m256d neg4(__m256d v)
{
    return _mm256_castsi256_pd(_mm256_xor_si256(_mm256_castpd_si256(v), _mm256_set1_epi64x(FD_SIGN64)));
}

/* The central region of four words h (SPEC.md 11.3, step 2), with its
 * sign: the variate of each central lane; the other lanes are wrong here
 * and redone by outer4. *q gets q, *central the central lanes (all ones). */
FD_ALWAYS_INLINE __m256d central4(__m256i h, __m256d *q, __m256d *central)
{
    const __m256i sign = _mm256_set1_epi64x(FD_SIGN64);
    const __m256i m = _mm256_and_si256(h, _mm256_set1_epi64x(FD_M52));
    *q = _mm256_mul_pd(_mm256_add_pd(small_to_pd(m), _mm256_set1_pd(0.5)), _mm256_set1_pd(0x1p-53));
    const __m256d q0 = _mm256_sub_pd(*q, _mm256_set1_pd(0.5));
    const __m256d r = _mm256_sub_pd(_mm256_set1_pd(0.180625), _mm256_mul_pd(q0, q0));
    *central = _mm256_cmp_pd(q0, _mm256_set1_pd(-0.425), _CMP_GE_OQ);
    const __m256d quot = _mm256_div_pd(_mm256_mul_pd(q0, FD_NORMAL_A(r)), FD_NORMAL_B(r));
    /* -(q0 A / B), then the sign bit of h: two flips of the sign bit */
    const __m256i flip = _mm256_xor_si256(_mm256_and_si256(h, sign), sign);
    return _mm256_castsi256_pd(_mm256_xor_si256(_mm256_castpd_si256(quot), flip));
}

/* The middle and tail regions (step 3) of four q outside the central one,
 * with the sign bits of h: each lane's quotient is the one of its region
 * (numerators and denominators selected first, divided once, which gives
 * the same quotient); the tail is skipped when no lane needs it. */
FD_ALWAYS_INLINE __m256d outer4(__m256d q, __m256i h)
{
    const __m256d r = _mm256_sqrt_pd(neg4(log4(q)));
    const __m256d t1 = _mm256_sub_pd(r, _mm256_set1_pd(1.6));
    __m256d num = FD_NORMAL_C(t1), den = FD_NORMAL_D(t1);
    const __m256d is_tail = _mm256_cmp_pd(r, _mm256_set1_pd(5.0), _CMP_NLE_UQ); /* not r <= 5 */
    if (_mm256_movemask_pd(is_tail)) {
        const __m256d t2 = _mm256_sub_pd(r, _mm256_set1_pd(5.0));
        num = _mm256_blendv_pd(num, FD_NORMAL_E(t2), is_tail);
        den = _mm256_blendv_pd(den, FD_NORMAL_F(t2), is_tail);
    }
    const __m256i flip = _mm256_and_si256(h, _mm256_set1_epi64x(FD_SIGN64));
    return _mm256_castsi256_pd(_mm256_xor_si256(_mm256_castpd_si256(_mm256_div_pd(num, den)), flip));
}

/* Packing and unpacking the lanes set in a 4-bit mask k, as pairs of
 * 32-bit lanes for vpermd: row k of FD_PACK4 moves them to the front, in
 * order; row k of FD_UNPACK4 moves the front ones back to their lanes;
 * FD_LANES4[k] sets their bits; FD_POP4[k] counts them. */
#define FD_L(a, b, c, d) {2 * (a), 2 * (a) + 1, 2 * (b), 2 * (b) + 1, 2 * (c), 2 * (c) + 1, 2 * (d), 2 * (d) + 1}
static const int32_t FD_PACK4[16][8] = {
    FD_L(0, 0, 0, 0), FD_L(0, 0, 0, 0), FD_L(1, 0, 0, 0), FD_L(0, 1, 0, 0),
    FD_L(2, 0, 0, 0), FD_L(0, 2, 0, 0), FD_L(1, 2, 0, 0), FD_L(0, 1, 2, 0),
    FD_L(3, 0, 0, 0), FD_L(0, 3, 0, 0), FD_L(1, 3, 0, 0), FD_L(0, 1, 3, 0),
    FD_L(2, 3, 0, 0), FD_L(0, 2, 3, 0), FD_L(1, 2, 3, 0), FD_L(0, 1, 2, 3)};
static const int32_t FD_UNPACK4[16][8] = {
    FD_L(0, 0, 0, 0), FD_L(0, 0, 0, 0), FD_L(0, 0, 0, 0), FD_L(0, 1, 0, 0),
    FD_L(0, 0, 0, 0), FD_L(0, 0, 1, 0), FD_L(0, 0, 1, 0), FD_L(0, 1, 2, 0),
    FD_L(0, 0, 0, 0), FD_L(0, 0, 0, 1), FD_L(0, 0, 0, 1), FD_L(0, 1, 0, 2),
    FD_L(0, 0, 0, 1), FD_L(0, 0, 1, 2), FD_L(0, 0, 1, 2), FD_L(0, 1, 2, 3)};
#undef FD_L
#define FD_M(a, b, c, d) {-(a), -(a), -(b), -(b), -(c), -(c), -(d), -(d)}
static const int32_t FD_LANES4[16][8] = {
    FD_M(0, 0, 0, 0), FD_M(1, 0, 0, 0), FD_M(0, 1, 0, 0), FD_M(1, 1, 0, 0),
    FD_M(0, 0, 1, 0), FD_M(1, 0, 1, 0), FD_M(0, 1, 1, 0), FD_M(1, 1, 1, 0),
    FD_M(0, 0, 0, 1), FD_M(1, 0, 0, 1), FD_M(0, 1, 0, 1), FD_M(1, 1, 0, 1),
    FD_M(0, 0, 1, 1), FD_M(1, 0, 1, 1), FD_M(0, 1, 1, 1), FD_M(1, 1, 1, 1)};
#undef FD_M
static const unsigned char FD_POP4[16] = {0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4};

FD_INLINE __m256i row4(const int32_t (*table)[8], unsigned k)
{
    return _mm256_loadu_si256((const __m256i *)table[k]);
}

/* Elements per block (a multiple of 4). A lane is outside the central
 * region with probability 0.15, so a branch per vector on whether any lane
 * is would be mispredicted about every other time; instead the outer lanes
 * of a block are gathered and run through outer4 four at a time. */
#define FD_NB 256

typedef struct fd_block {
    double z[FD_NB];         /* the central region's variates, every lane */
    double oq[FD_NB + 4];    /* q of the outer lanes, packed */
    uint64_t oh[FD_NB + 4];  /* and their words */
    double oz[FD_NB + 4];    /* and their variates */
    unsigned char outer[FD_NB / 4]; /* the outer lanes of each vector (4 bits) */
} fd_block;

/* The variates of nb words (a multiple of 4, at most FD_NB) into b: those
 * of h[0 .. nb), or, where h is NULL, of stream elements index .. index +
 * nb - 1 under kn. Every lane through the central region, the q and word
 * of each other lane packed; then those through the outer regions. */
FD_ALWAYS_INLINE void block_run(fd_block *b, uint64_t kn, uint64_t index, const uint64_t *h,
                                size_t nb)
{
    size_t no = 0;
    uint64_t weyl = kn + FD_GOLDEN * (index + 1); /* element index's Weyl word */
    for (size_t j = 0; j < nb; j += 4) {
        __m256i hv;
        if (h) {
            hv = _mm256_loadu_si256((const __m256i *)(h + j));
        } else {
            uint64_t w0 = fd_mix64(weyl), w1 = fd_mix64(weyl + FD_GOLDEN),
                     w2 = fd_mix64(weyl + 2 * FD_GOLDEN), w3 = fd_mix64(weyl + 3 * FD_GOLDEN);
            weyl += 4 * FD_GOLDEN;
            __asm__("" : "+r"(w0), "+r"(w1), "+r"(w2), "+r"(w3)); /* see the top */
            hv = _mm256_set_epi64x((long long)w3, (long long)w2, (long long)w1, (long long)w0);
        }
        __m256d q, central;
        _mm256_storeu_pd(b->z + j, central4(hv, &q, &central));
        const unsigned outer = ~(unsigned)_mm256_movemask_pd(central) & 0xf;
        const __m256i perm = row4(FD_PACK4, outer);
        _mm256_storeu_si256((__m256i *)(b->oq + no),
                            _mm256_permutevar8x32_epi32(_mm256_castpd_si256(q), perm));
        _mm256_storeu_si256((__m256i *)(b->oh + no), _mm256_permutevar8x32_epi32(hv, perm));
        b->outer[j / 4] = (unsigned char)outer;
        no += FD_POP4[outer];
    }
    for (size_t k = no; k < no + 4; k++) { /* lanes past the last: any q outside the center */
        b->oq[k] = 0.01;
        b->oh[k] = 0;
    }
    size_t k = 0;
    for (; k < no; k += 4)
        _mm256_storeu_pd(b->oz + k, outer4(_mm256_loadu_pd(b->oq + k),
                                           _mm256_loadu_si256((const __m256i *)(b->oh + k))));
    _mm256_storeu_pd(b->oz + k, _mm256_setzero_pd()); /* read, unused, after the last */
}

/* Blocks of FD_NB elements, then one of the multiple of 4 left; STORE(j,
 * zv) takes the variates zv of elements j .. j + 3, each vector's outer
 * lanes unpacked into the central results. The caller finishes i .. n - 1. */
#define FD_NORMAL_LOOP(H, STORE)                                                            \
    size_t i = 0;                                                                           \
    fd_block blk;                                                                           \
    for (size_t nb; (nb = FD_MIN(n - i, (size_t)FD_NB) & ~(size_t)3) != 0; i += nb) {       \
        block_run(&blk, kn, index + i, H, nb);                                              \
        const double *oz = blk.oz;                                                          \
        for (size_t j = 0; j < nb; j += 4) {                                                \
            const unsigned outer = blk.outer[j / 4];                                        \
            const __m256d zo = _mm256_castsi256_pd(_mm256_permutevar8x32_epi32(             \
                _mm256_castpd_si256(_mm256_loadu_pd(oz)), row4(FD_UNPACK4, outer)));        \
            const __m256d zv = _mm256_blendv_pd(_mm256_loadu_pd(blk.z + j), zo,            \
                                                _mm256_castsi256_pd(row4(FD_LANES4, outer))); \
            oz += FD_POP4[outer];                                                           \
            STORE(i + j, zv);                                                               \
        }                                                                                   \
    }

void fd_normals_f64_avx2(uint64_t kn, uint64_t index, double *z, size_t n)
{
#define STORE(j, zv) _mm256_storeu_pd(z + (j), zv)
    FD_NORMAL_LOOP(NULL, STORE)
#undef STORE
    for (; i < n; i++)
        z[i] = fd_normal_at(kn, index + i);
}

void fd_normals_f32_avx2(uint64_t kn, uint64_t index, float *z, size_t n)
{
#define STORE(j, zv) _mm_storeu_ps(z + (j), _mm256_cvtpd_ps(zv))
    FD_NORMAL_LOOP(NULL, STORE)
#undef STORE
    for (; i < n; i++)
        z[i] = (float)fd_normal_at(kn, index + i);
}

void fd_gaussian_f64_avx2(uint64_t kn, uint64_t index, const double *x, double *y,
                          size_t n, double sigma)
{
    const __m256d sv = _mm256_set1_pd(sigma), one = _mm256_set1_pd(1.0);
#define STORE(j, zv) _mm256_storeu_pd(y + (j), _mm256_mul_pd(_mm256_loadu_pd(x + (j)), \
                                      _mm256_add_pd(one, _mm256_mul_pd(sv, zv))))
    FD_NORMAL_LOOP(NULL, STORE)
#undef STORE
    for (; i < n; i++)
        y[i] = x[i] * (1.0 + sigma * fd_normal_at(kn, index + i));
}

void fd_gaussian_f32_avx2(uint64_t kn, uint64_t index, const float *x, float *y,
                          size_t n, float sigma)
{
    const __m128 sv = _mm_set1_ps(sigma), one = _mm_set1_ps(1.0f);
#define STORE(j, zv) _mm_storeu_ps(y + (j), _mm_mul_ps(_mm_loadu_ps(x + (j)), \
                                   _mm_add_ps(one, _mm_mul_ps(sv, _mm256_cvtpd_ps(zv)))))
    FD_NORMAL_LOOP(NULL, STORE)
#undef STORE
    for (; i < n; i++)
        y[i] = x[i] * (1.0f + sigma * (float)fd_normal_at(kn, index + i));
}

void fd_normal_words_avx2(const uint64_t *h, double *z, size_t n)
{
    const uint64_t kn = 0, index = 0;
#define STORE(j, zv) _mm256_storeu_pd(z + (j), zv)
    FD_NORMAL_LOOP(h + i, STORE)
#undef STORE
    for (; i < n; i++)
        z[i] = fd_normal_from_word(h[i]);
}

FD_TARGET_END
#endif

/*
 * immintrin.h -- for fd_check_emulated.c only: the real intrinsics, plus
 * AVX-512 ones from SIMDe (Debian libsimde-dev) so the AVX-512 kernels run
 * on a CPU without AVX-512. Five intrinsics SIMDe 0.7 lacks are built here
 * from AVX2 and F16C, and two it has are named.
 */
#ifndef FD_SIMDE_IMMINTRIN_H
#define FD_SIMDE_IMMINTRIN_H
#include_next <immintrin.h>
#include <stdint.h>
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>

static inline simde__mmask16 fd_emul_cmplt_epu32_mask(simde__m512i a, simde__m512i b)
{
    const simde__m512i bias = simde_mm512_set1_epi32(INT32_MIN);
    return simde_mm512_cmpgt_epi32_mask(simde_mm512_xor_si512(b, bias),
                                        simde_mm512_xor_si512(a, bias));
}

static inline simde__m512 fd_emul_cvtph_ps(__m256i h)
{
    float f[16];
    _mm256_storeu_ps(f, _mm256_cvtph_ps(_mm256_castsi256_si128(h)));
    _mm256_storeu_ps(f + 8, _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1)));
    return simde_mm512_loadu_ps(f);
}

static inline __m256i fd_emul_cvtps_ph(simde__m512 v)
{
    float f[16];
    simde_mm512_storeu_ps(f, v);
    const __m128i lo = _mm256_cvtps_ph(_mm256_loadu_ps(f), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m128i hi = _mm256_cvtps_ph(_mm256_loadu_ps(f + 8), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    return _mm256_set_m128i(hi, lo);
}

/* 256-bit byte compares into a 32-bit mask (AVX-512 BW and VL). */
static inline uint32_t fd_emul_mm256_cmpeq_epi8_mask(__m256i a, __m256i b)
{
    return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, b));
}

static inline uint32_t fd_emul_mm256_cmplt_epu8_mask(__m256i a, __m256i b)
{
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    return (uint32_t)_mm256_movemask_epi8(
        _mm256_cmpgt_epi8(_mm256_xor_si256(b, bias), _mm256_xor_si256(a, bias)));
}

#undef _mm256_cmpeq_epi8_mask
#undef _mm256_cmplt_epu8_mask
#define _mm256_cmpeq_epi8_mask(a, b) fd_emul_mm256_cmpeq_epi8_mask(a, b)
#define _mm256_cmplt_epu8_mask(a, b) fd_emul_mm256_cmplt_epu8_mask(a, b)
#define _mm512_cmplt_epu32_mask(a, b) fd_emul_cmplt_epu32_mask(a, b)
#define _mm512_cvtph_ps(h) fd_emul_cvtph_ps(h)
#define _mm512_cvtps_ph(v, rounding) fd_emul_cvtps_ph(v)
/* SIMDe 0.7.4 defines these two but not their native names (its alias
 * block is not reached here), so GCC's own, which need AVX-512, would be
 * called. */
#define _mm512_mask_compressstoreu_pd(p, k, a) simde_mm512_mask_compressstoreu_pd(p, k, a)
#define _mm512_mask_compressstoreu_epi64(p, k, a) simde_mm512_mask_compressstoreu_epi64(p, k, a)
#endif

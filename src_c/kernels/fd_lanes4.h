/*
 * fd_lanes4.h -- the eight lanes of a block as two sets of four ymm state
 * registers (lanes 0-3 and 4-7), for the AVX2 and AVX-512 kernels. Include
 * inside the kernel's target region after defining FD_ROTL4(x, k), a
 * 64-bit rotate left of each lane of x.
 */
#ifndef FD_LANES4_H
#define FD_LANES4_H

#include "fastdrop/rng.h"

typedef struct fd_x4 {
    __m256i s0, s1, s2, s3;
} fd_x4;

/* xoshiro256++ on four lanes at once: their outputs, then one step. */
FD_INLINE __m256i next4(fd_x4 *g)
{
    const __m256i r = _mm256_add_epi64(FD_ROTL4(_mm256_add_epi64(g->s0, g->s3), 23), g->s0);
    const __m256i t = _mm256_slli_epi64(g->s1, 17);
    g->s2 = _mm256_xor_si256(g->s2, g->s0);
    g->s3 = _mm256_xor_si256(g->s3, g->s1);
    g->s1 = _mm256_xor_si256(g->s1, g->s2);
    g->s0 = _mm256_xor_si256(g->s0, g->s3);
    g->s2 = _mm256_xor_si256(g->s2, t);
    g->s3 = FD_ROTL4(g->s3, 45);
    return r;
}

/* The lanes of block b under key: lanes 0-3 into a, 4-7 into b4. */
FD_INLINE void seed_x4(fd_x4 *a, fd_x4 *b4, uint64_t key, uint64_t b)
{
    uint64_t s[FD_LANES][4], t[4][FD_LANES];
    fd_block_seed(key, b, s);
    for (unsigned w = 0; w < 4; w++)
        for (unsigned l = 0; l < FD_LANES; l++)
            t[w][l] = s[l][w];
    a->s0 = _mm256_loadu_si256((const __m256i *)&t[0][0]);
    a->s1 = _mm256_loadu_si256((const __m256i *)&t[1][0]);
    a->s2 = _mm256_loadu_si256((const __m256i *)&t[2][0]);
    a->s3 = _mm256_loadu_si256((const __m256i *)&t[3][0]);
    b4->s0 = _mm256_loadu_si256((const __m256i *)&t[0][4]);
    b4->s1 = _mm256_loadu_si256((const __m256i *)&t[1][4]);
    b4->s2 = _mm256_loadu_si256((const __m256i *)&t[2][4]);
    b4->s3 = _mm256_loadu_si256((const __m256i *)&t[3][4]);
}

#endif /* FD_LANES4_H */

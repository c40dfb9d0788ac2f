/*
 * fastdrop/rng.h -- the fastdrop-rng-v2 mask stream (SPEC.md sections 2-3),
 * one definition for C and CUDA (see hd.h).
 *
 * Stream element e lives in block g = e / FD_BLOCK at position
 * i = e % FD_BLOCK. Block g runs FD_LANES xoshiro256++ generators seeded
 * from (key, g) with SplitMix64; step t of lane l yields a 64-bit word r,
 * cut into FD_PARTS bytes: byte j decides position fd_position(t, l, j)
 * = 64 t + 8 l + j. An element's 32-bit uniform is its byte followed by 24
 * bits of a per-element hash (fd_uniform_from), which only elements whose
 * byte equals the threshold's top byte need (fastdrop/rules.h). Vector
 * kernels run the lanes side by side; a GPU thread can run one lane of one
 * block (32 steps, 256 elements). Every path must reproduce these functions
 * bit for bit.
 */
#ifndef FASTDROP_RNG_H
#define FASTDROP_RNG_H

#include "hd.h"

#define FD_RNG_NAME "fastdrop-rng-v2"
#define FD_BLOCK 2048u /* elements per block (as in fastdrop.h) */
#define FD_LANES 8u    /* xoshiro256++ lanes per block */
#define FD_PARTS 8u    /* parts (bytes) of each output word */
#define FD_PART_BITS (64u / FD_PARTS)           /* 8 bits per part */
#define FD_STEP_ELEMS (FD_LANES * FD_PARTS)     /* 64 elements per step */
#define FD_STEPS (FD_BLOCK / FD_STEP_ELEMS)     /* 32 steps per block */
#define FD_GOLDEN UINT64_C(0x9E3779B97F4A7C15)
#define FD_KEY_SALT UINT64_C(0xBB67AE8584CAA73B)
#define FD_REFINE_SALT UINT64_C(0x3C6EF372FE94F82B)

/* SplitMix64's output function (Steele, Lea, Flood 2014). */
FD_HD uint64_t fd_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* x rotated left by k, 0 < k < 64. */
FD_HD uint64_t fd_rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* The stream key K of a seed (SPEC.md 3.1). */
FD_HD uint64_t fd_stream_key(uint64_t seed)
{
    return fd_mix64(seed ^ FD_KEY_SALT);
}

/* The state s[0..3] of lane l (< FD_LANES) of block g under key K:
 * s[w] = mix64(K + GOLDEN * (1 + 32 g + 4 l + w)); the all-zero state
 * (probability 2**-256) becomes s[0] = 1. */
FD_HD void fd_lane_seed(uint64_t key, uint64_t g, unsigned l, uint64_t s[4])
{
    for (unsigned w = 0; w < 4; w++)
        s[w] = fd_mix64(key + FD_GOLDEN * (1 + 32 * g + 4 * (uint64_t)l + w));
    if ((s[0] | s[1] | s[2] | s[3]) == 0)
        s[0] = 1;
}

/* The states of all FD_LANES lanes of block g: s[l] as fd_lane_seed. */
FD_HD void fd_block_seed(uint64_t key, uint64_t g, uint64_t s[FD_LANES][4])
{
    for (unsigned l = 0; l < FD_LANES; l++)
        fd_lane_seed(key, g, l, s[l]);
}

/* xoshiro256++ (Blackman and Vigna): returns the next output r of the
 * lane state s and advances s by one step. */
FD_HD uint64_t fd_xoshiro_next(uint64_t s[4])
{
    const uint64_t r = fd_rotl64(s[0] + s[3], 23) + s[0];
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = fd_rotl64(s[3], 45);
    return r;
}

/* The block position decided by part j (< FD_PARTS) of step t of lane l. */
FD_HD unsigned fd_position(unsigned t, unsigned l, unsigned j)
{
    return FD_STEP_ELEMS * t + FD_PARTS * l + j;
}

/* Part j of an output word r: its byte j (least significant first). */
FD_HD uint32_t fd_part(uint64_t r, unsigned j)
{
    return (uint32_t)(r >> (8 * j)) & 0xffu;
}

/* The key K2 of the refinement hash: mix64(K ^ REFINE_SALT). */
FD_HD uint64_t fd_refine_key(uint64_t key)
{
    return fd_mix64(key ^ FD_REFINE_SALT);
}

/* The 24 refinement bits of stream element e: the top 24 bits of
 * h(e) = mix64(K2 + GOLDEN * (e + 1)). */
FD_HD uint32_t fd_refine_bits(uint64_t k2, uint64_t e)
{
    return (uint32_t)(fd_mix64(k2 + FD_GOLDEN * (e + 1)) >> 40);
}

/* The 32-bit uniform U(e) of stream element e from its part (byte) b and
 * the refinement key k2: U = (b << 24) | refine_bits(e). */
FD_HD uint32_t fd_uniform_from(uint32_t part, uint64_t k2, uint64_t e)
{
    return (part << 24) | fd_refine_bits(k2, e);
}

/* The 32-bit uniform U(e) of stream element e under key K, computed from
 * scratch (seeds one lane and runs it up to the element's step): for tests
 * and for code that needs a single element, not for bulk generation. */
FD_HD uint32_t fd_uniform_at(uint64_t key, uint64_t e)
{
    const unsigned i = (unsigned)(e % FD_BLOCK);
    const unsigned t = i / FD_STEP_ELEMS;
    const unsigned l = (i % FD_STEP_ELEMS) / FD_PARTS;
    uint64_t s[4], r = 0;
    fd_lane_seed(key, e / FD_BLOCK, l, s);
    for (unsigned k = 0; k <= t; k++)
        r = fd_xoshiro_next(s);
    return fd_uniform_from(fd_part(r, i % FD_PARTS), fd_refine_key(key), e);
}

#endif /* FASTDROP_RNG_H */

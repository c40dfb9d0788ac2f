/*
 * fd_rng.h -- the scalar definition of the fastdrop-rng-v1 stream (SPEC.md).
 *
 * Every kernel (scalar, SIMD, GPU) must reproduce these functions bit for bit.
 * Element e of the stream lives in block g = e / FD_BLOCK at position
 * i = e % FD_BLOCK. Block g runs FD_LANES xoshiro256++ generators seeded from
 * (key, g) with SplitMix64; step t of lane l yields the 64-bit word r, whose
 * low half is the uniform of i = 16t + 2l and whose high half that of 2l + 1.
 */
#ifndef FD_RNG_H
#define FD_RNG_H

#include <stdint.h>
#include "fd_config.h"
#include "fastdrop.h"

#define FD_LANES 8u
#define FD_STEPS (FD_BLOCK / (2u * FD_LANES)) /* 128 steps of 16 uniforms */
#define FD_GOLDEN UINT64_C(0x9E3779B97F4A7C15)
#define FD_KEY_SALT UINT64_C(0x6A09E667F3BCC909)

/* SplitMix64 output function (Steele, Lea, Flood 2014). */
FD_INLINE uint64_t fd_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

FD_INLINE uint64_t fd_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* Lane states of block g: s[l][w] = mix64(key + GOLDEN * (1 + 32g + 4l + w)). */
FD_INLINE void fd_seed_block(uint64_t key, uint64_t g, uint64_t s[FD_LANES][4])
{
    for (unsigned l = 0; l < FD_LANES; l++) {
        for (unsigned w = 0; w < 4; w++) {
            uint64_t idx = 1 + 32 * g + 4 * (uint64_t)l + w;
            s[l][w] = fd_mix64(key + FD_GOLDEN * idx);
        }
        if ((s[l][0] | s[l][1] | s[l][2] | s[l][3]) == 0)
            s[l][0] = 1; /* xoshiro's one forbidden state; probability 2**-256 */
    }
}

/* xoshiro256++ (Blackman and Vigna 2019): one output, one state update. */
FD_INLINE uint64_t fd_xoshiro_next(uint64_t s[4])
{
    const uint64_t r = fd_rotl(s[0] + s[3], 23) + s[0];
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = fd_rotl(s[3], 45);
    return r;
}

#endif /* FD_RNG_H */

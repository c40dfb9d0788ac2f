/*
 * fd_half.h -- IEEE binary16 <-> binary32 conversion in portable C.
 *
 * half -> float is exact. float -> half rounds to nearest, ties to even,
 * with subnormals, overflow to infinity, and NaNs kept quiet (sign and top
 * payload bits kept), as x86 F16C and NumPy do for quiet NaNs.
 */
#ifndef FD_HALF_H
#define FD_HALF_H

#include <stdint.h>
#include <string.h>
#include "fd_config.h"

FD_INLINE float fd_half_to_float(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t man = h & 0x3ffu;
    uint32_t bits;
    float f;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else if (exp == 0) {
        f = (float)man * 5.9604644775390625e-08f; /* man * 2**-24, exact */
        memcpy(&bits, &f, 4);
        bits |= sign;
    } else {
        bits = sign | ((exp + 112u) << 23) | (man << 13);
    }
    memcpy(&f, &bits, 4);
    return f;
}

FD_INLINE uint16_t fd_float_to_half(float v)
{
    uint32_t f;
    memcpy(&f, &v, 4);
    const uint16_t sign = (uint16_t)((f >> 16) & 0x8000u);
    const uint32_t a = f & 0x7fffffffu;
    if (a > 0x7f800000u) /* NaN: quiet, keep the top payload bits */
        return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
    if (a >= 0x477ff000u) /* >= 65520 rounds to infinity */
        return (uint16_t)(sign | 0x7c00u);
    if (a < 0x38800000u) { /* below 2**-14: a subnormal half or zero */
        const uint32_t e = a >> 23;
        if (e < 102) /* below 2**-25: rounds to zero */
            return sign;
        const uint32_t man = (a & 0x7fffffu) | 0x800000u;
        const uint32_t shift = 126 - e; /* 14..24 */
        uint32_t q = man >> shift;
        const uint32_t rem = man & ((1u << shift) - 1);
        const uint32_t half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1)))
            q++;
        return (uint16_t)(sign | q);
    }
    uint32_t h = (a >> 13) - (112u << 10);
    const uint32_t rem = a & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1)))
        h++; /* a carry into the exponent is the right result */
    return (uint16_t)(sign | h);
}

#endif /* FD_HALF_H */

/*
 * fastdrop/half.h -- IEEE binary16 <-> binary32 and bfloat16 <-> binary32
 * conversion in portable code (C and CUDA, see hd.h), the float16 and
 * bfloat16 rounding of SPEC.md section 6.
 *
 * half -> float is exact. float -> half rounds to nearest, ties to even,
 * with subnormals, overflow to infinity, and NaNs kept quiet (sign and top
 * payload bits kept), as x86 F16C and NumPy do for quiet NaNs.
 *
 * bfloat16 is binary32's top 16 bits (sign, 8 exponent bits, 7 fraction
 * bits): bfloat16 -> float is a shift, exact; float -> bfloat16 rounds to
 * nearest, ties to even, in integer arithmetic (subnormals included,
 * overflow to infinity), and a NaN becomes its top 16 bits with the quiet
 * bit (0x0040) set: sign and the top 6 payload bits below the quiet bit
 * kept.
 */
#ifndef FASTDROP_HALF_H
#define FASTDROP_HALF_H

#include "hd.h"

/* The bits of a float and back (no memcpy: these headers use no libc). */
FD_HD uint32_t fd_f32_bits(float v)
{
#if defined(__CUDA_ARCH__)
    return __float_as_uint(v);
#else
    union { float f; uint32_t u; } c;
    c.f = v;
    return c.u;
#endif
}

FD_HD float fd_f32_value(uint32_t u)
{
#if defined(__CUDA_ARCH__)
    return __uint_as_float(u);
#else
    union { float f; uint32_t u; } c;
    c.u = u;
    return c.f;
#endif
}

/* The binary32 value of the binary16 bits h, exactly. */
FD_HD float fd_half_to_float(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t man = h & 0x3ffu;
    if (exp == 0x1f)
        return fd_f32_value(sign | 0x7f800000u | (man << 13));
    if (exp == 0) /* man * 2**-24, exact */
        return fd_f32_value(fd_f32_bits(FD_MUL_F32((float)man, 5.9604644775390625e-08f)) | sign);
    return fd_f32_value(sign | ((exp + 112u) << 23) | (man << 13));
}

/* The binary16 bits of v rounded to nearest, ties to even; overflow gives
 * infinity, a NaN gives a quiet NaN with v's sign and top payload bits. */
FD_HD uint16_t fd_float_to_half(float v)
{
    const uint32_t f = fd_f32_bits(v);
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

/* The binary32 value of the bfloat16 bits b, exactly. */
FD_HD float fd_bf16_to_float(uint16_t b)
{
    return fd_f32_value((uint32_t)b << 16);
}

/* The bfloat16 bits of the binary32 bits f: NaN -> (f >> 16) | 0x0040;
 * else f rounded to nearest, ties to even, by adding 0x7fff plus the bit
 * that becomes the result's last (a carry into the exponent is the right
 * result, up to infinity; nothing carries out of 32 bits, as |f| <= inf). */
FD_HD uint16_t fd_bits_to_bf16(uint32_t f)
{
    if ((f & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((f >> 16) | 0x0040u);
    return (uint16_t)((f + 0x7fffu + ((f >> 16) & 1u)) >> 16);
}

FD_HD uint16_t fd_float_to_bf16(float v)
{
    return fd_bits_to_bf16(fd_f32_bits(v));
}

#endif /* FASTDROP_HALF_H */

/*
 * fastdrop/rules.h -- the per-element rules of SPEC.md sections 4 and 6 for
 * C and CUDA (see hd.h): threshold, keep, scale and the select that writes
 * one output element. The vector kernels implement the same rules with
 * intrinsics and must agree with these bit for bit.
 */
#ifndef FASTDROP_RULES_H
#define FASTDROP_RULES_H

#include "hd.h"
#include "half.h"
#include "rng.h"

#define FD_THRESHOLD_ALL (UINT64_C(1) << 32) /* T for p == 0 (FD_KEEP_ALL) */
#define FD_RULE_SCALE 1u      /* kept elements times scale (FD_SCALE) */
#define FD_RULE_ACCUMULATE 2u /* kept results added into y (FD_ACCUMULATE) */

/* The keep threshold T of drop probability p (SPEC.md section 4): 2**32
 * for p == 0, 0 for p == 1, else 2**32 - ceil(p * 2**32) clamped to
 * [1, 2**32 - 1]. Returns 0, or -1 (T untouched) for p outside [0, 1] or
 * NaN. */
FD_HD int fd_threshold_of(double p, uint64_t *t)
{
    if (!(p >= 0.0 && p <= 1.0))
        return -1;
    if (p == 0.0) {
        *t = FD_THRESHOLD_ALL;
    } else if (p == 1.0) {
        *t = 0;
    } else {
        const double q = p * 4294967296.0; /* exact */
        uint64_t c = (uint64_t)q;          /* floor */
        if ((double)c < q)
            c++; /* ceil */
        uint64_t v = FD_THRESHOLD_ALL - c;
        if (v < 1)
            v = 1;
        if (v > FD_THRESHOLD_ALL - 1)
            v = FD_THRESHOLD_ALL - 1;
        *t = v;
    }
    return 0;
}

/* 1 iff the element with uniform u is kept under threshold t. */
FD_HD unsigned fd_keep(uint32_t u, uint64_t t)
{
    return (uint64_t)u < t;
}

/* The threshold's part: its top byte, t >> 24 (256 for t == 2**32). An
 * element whose byte is below it is kept, above it dropped, equal to it
 * decided by the refinement bits. */
FD_HD uint32_t fd_threshold_part(uint64_t t)
{
    return (uint32_t)(t >> (32 - FD_PART_BITS));
}

/* 1 iff some elements need the refinement under threshold t: iff the low
 * 24 bits of t are not all 0 (else a byte equal to the threshold's part
 * already means U >= t). */
FD_HD unsigned fd_threshold_refines(uint64_t t)
{
    return (t & ((UINT64_C(1) << (32 - FD_PART_BITS)) - 1)) != 0;
}

/* 1 iff element e with part (byte) b is kept under threshold t, which is
 * fd_keep(fd_uniform_from(b, k2, e), t); the hash is computed only when b
 * equals the threshold's part. */
FD_HD unsigned fd_keep_part(uint32_t part, uint64_t k2, uint64_t e, uint64_t t)
{
    const uint32_t tp = fd_threshold_part(t);
    if (part != tp)
        return part < tp;
    return (uint64_t)fd_refine_bits(k2, e) < (t & ((UINT64_C(1) << (32 - FD_PART_BITS)) - 1));
}

/* 1 iff stream element e of key K is kept under threshold t. */
FD_HD unsigned fd_keep_at(uint64_t key, uint64_t e, uint64_t t)
{
    return fd_keep(fd_uniform_at(key, e), t);
}

/* The inverted-dropout scale 1 / (1 - p) in binary64 (0 for p == 1);
 * fd_scale_f32 rounds it once to binary32 (the compute type of float16
 * and float32). */
FD_HD double fd_scale_f64(double p)
{
    return p == 1.0 ? 0.0 : 1.0 / (1.0 - p);
}

FD_HD float fd_scale_f32(double p)
{
    return (float)fd_scale_f64(p);
}

/* All ones if keep (0 or 1) is 1, else 0: the branch-free select of a
 * kept element's bits (a dropped one becomes +0.0, whatever x holds). */
FD_HD uint16_t fd_keep_mask16(unsigned keep) { return (uint16_t)(0u - (keep & 1u)); }
FD_HD uint32_t fd_keep_mask32(unsigned keep) { return 0u - (keep & 1u); }
FD_HD uint64_t fd_keep_mask64(unsigned keep) { return UINT64_C(0) - (keep & 1u); }

FD_HD uint64_t fd_f64_bits(double v)
{
#if defined(__CUDA_ARCH__)
    return (uint64_t)__double_as_longlong(v);
#else
    union { double d; uint64_t u; } c;
    c.d = v;
    return c.u;
#endif
}

FD_HD double fd_f64_value(uint64_t u)
{
#if defined(__CUDA_ARCH__)
    return __longlong_as_double((long long)u);
#else
    union { double d; uint64_t u; } c;
    c.u = u;
    return c.d;
#endif
}

/* One output element (SPEC.md section 6): x the input (or gradient), y the
 * old output (read only with FD_RULE_ACCUMULATE), keep its keep bit, scale
 * in the compute type, flags FD_RULE_SCALE / FD_RULE_ACCUMULATE. Without
 * accumulation: kept gives x * scale (or x's bits), dropped +0.0. With it:
 * kept gives y + x * scale (or y + x) rounded once, dropped y's bits.
 * float16 is binary16 bits computed in binary32 and rounded once;
 * bfloat16 likewise (fd_rule_bf16, below). */
FD_HD float fd_rule_f32(float x, float y, unsigned keep, float scale, unsigned flags)
{
    const float v = (flags & FD_RULE_SCALE) ? FD_MUL_F32(x, scale) : x;
    uint32_t m = fd_keep_mask32(keep);
    if (flags & FD_RULE_ACCUMULATE) {
        FD_OPAQUE_INT(m); /* hd.h: a dropped signalling NaN keeps its bits */
        return fd_f32_value((fd_f32_bits(FD_ADD_F32(y, v)) & m) | (fd_f32_bits(y) & ~m));
    }
    return fd_f32_value(fd_f32_bits(v) & m);
}

FD_HD double fd_rule_f64(double x, double y, unsigned keep, double scale, unsigned flags)
{
    const double v = (flags & FD_RULE_SCALE) ? FD_MUL_F64(x, scale) : x;
    uint64_t m = fd_keep_mask64(keep);
    if (flags & FD_RULE_ACCUMULATE) {
        FD_OPAQUE_INT(m); /* hd.h: a dropped signalling NaN keeps its bits */
        return fd_f64_value((fd_f64_bits(FD_ADD_F64(y, v)) & m) | (fd_f64_bits(y) & ~m));
    }
    return fd_f64_value(fd_f64_bits(v) & m);
}

FD_HD uint16_t fd_rule_f16(uint16_t x, uint16_t y, unsigned keep, float scale, unsigned flags)
{
    const uint16_t m = fd_keep_mask16(keep);
    if (!(flags & (FD_RULE_SCALE | FD_RULE_ACCUMULATE)))
        return (uint16_t)(x & m);
    float v = fd_half_to_float(x);
    if (flags & FD_RULE_SCALE)
        v = FD_MUL_F32(v, scale);
    if (flags & FD_RULE_ACCUMULATE)
        return (uint16_t)((fd_float_to_half(FD_ADD_F32(fd_half_to_float(y), v)) & m) | (y & ~m));
    return (uint16_t)(fd_float_to_half(v) & m);
}

/* bfloat16 as float16: the bits computed in binary32 (widened exactly by
 * a shift) and rounded once to nearest even (fd_float_to_bf16); a copy
 * and the selects work on the bits. */
FD_HD uint16_t fd_rule_bf16(uint16_t x, uint16_t y, unsigned keep, float scale, unsigned flags)
{
    const uint16_t m = fd_keep_mask16(keep);
    if (!(flags & (FD_RULE_SCALE | FD_RULE_ACCUMULATE)))
        return (uint16_t)(x & m);
    float v = fd_bf16_to_float(x);
    if (flags & FD_RULE_SCALE)
        v = FD_MUL_F32(v, scale);
    if (flags & FD_RULE_ACCUMULATE)
        return (uint16_t)((fd_float_to_bf16(FD_ADD_F32(fd_bf16_to_float(y), v)) & m) | (y & ~m));
    return (uint16_t)(fd_float_to_bf16(v) & m);
}

/* Alpha dropout's affine rule (SPEC.md 10.3) in the compute type: z is x
 * where kept and alpha' where dropped, and y = fl(fl(a * z) + b), the
 * product and the sum each rounded once (float16 and bfloat16 compute in
 * float32 and round the result once to their type). */
FD_HD float fd_affine_f32(float z, float a, float b)
{
    return FD_ADD_F32(FD_MUL_F32(a, z), b);
}

FD_HD double fd_affine_f64(double z, double a, double b)
{
    return FD_ADD_F64(FD_MUL_F64(a, z), b);
}

#endif /* FASTDROP_RULES_H */

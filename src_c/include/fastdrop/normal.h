/*
 * fastdrop/normal.h -- the fastdrop-normal-v1 stream of standard normal
 * variates (SPEC.md section 11), one definition for C and CUDA (see hd.h).
 *
 * Stream element e of seed s has the 64-bit word
 * h(e) = mix64(KN + GOLDEN * (e + 1)), KN = mix64(K ^ NORMAL_SALT) and
 * K = fd_stream_key(s): a key of its own, so the normals of a seed and its
 * keep bits (rng.h) come from different hashes. Bit 63 of h is the sign,
 * bits 0..51 give the tail probability q = (2m + 1) 2**-54 in (0, 1/2),
 * and the magnitude is Phi^-1(1 - q) by Wichura's AS 241 (PPND16) rational
 * approximations, with ln(q) computed here from q's exponent and a series
 * instead of libm. Only binary64 +, -, *, / and sqrt, in the order written
 * below, each rounded once: compile with -ffp-contract=off (no FMA), and a
 * vector kernel must evaluate the same operations in the same order.
 */
#ifndef FASTDROP_NORMAL_H
#define FASTDROP_NORMAL_H

#include "hd.h"
#include "rng.h"
#include "rules.h" /* fd_f64_bits, fd_f64_value */

/* A correctly rounded square root (IEEE 754 requires it of every one). */
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define FD_SQRT(x) sqrt(x)
#elif defined(__GNUC__) || defined(__clang__)
#define FD_SQRT(x) __builtin_sqrt(x)
#else
#include <math.h>
#define FD_SQRT(x) sqrt(x)
#endif

#define FD_NORMAL_NAME "fastdrop-normal-v1"
#define FD_NORMAL_SALT UINT64_C(0xA54FF53A5F1D36F1)
#define FD_NORMAL_MBITS 52 /* bits of q's numerator m */

/* The normal key KN of a stream key K (SPEC.md 11.1). */
FD_HD uint64_t fd_normal_key(uint64_t key)
{
    return fd_mix64(key ^ FD_NORMAL_SALT);
}

/* The 64-bit word h(e) of stream element e under the normal key kn. */
FD_HD uint64_t fd_normal_word(uint64_t kn, uint64_t e)
{
    return fd_mix64(kn + FD_GOLDEN * (e + 1));
}

/* q = (2 m + 1) * 2**-54 with m = the low 52 bits of h, exact: q is in
 * [2**-54, 1/2 - 2**-54]. */
FD_HD double fd_normal_q(uint64_t h)
{
    const uint64_t m = h & ((UINT64_C(1) << FD_NORMAL_MBITS) - 1);
    return (double)(2 * m + 1) * 0x1p-54;
}

/* ln(q) for q in [2**-54, 1/2] (normal numbers): q = 2**k * f with f in
 * [1, 2) read from the bits; f > sqrt(2) becomes f / 2 (k + 1); then
 * ln(q) = k * LN2 + 2 s (1 + s^2/3 + ... + s^20/21), s = (f - 1) / (f + 1),
 * the series summed by Horner from the s^20 term. */
FD_HD double fd_normal_log(double q)
{
    const uint64_t b = fd_f64_bits(q);
    int k = (int)(b >> 52) - 1023;
    double f = fd_f64_value((b & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1023) << 52));
    if (f > 0x1.6a09e667f3bcdp+0) { /* sqrt(2) rounded */
        f = f * 0.5;
        k = k + 1;
    }
    const double t = f - 1.0;
    const double s = t / (t + 2.0);
    const double w = s * s;
    double p = 0x1.8618618618618p-5; /* 1/21 */
    p = p * w + 0x1.af286bca1af28p-5;   /* 1/19 */
    p = p * w + 0x1.e1e1e1e1e1e1ep-5;   /* 1/17 */
    p = p * w + 0x1.1111111111111p-4;   /* 1/15 */
    p = p * w + 0x1.3b13b13b13b14p-4;   /* 1/13 */
    p = p * w + 0x1.745d1745d1746p-4;   /* 1/11 */
    p = p * w + 0x1.c71c71c71c71cp-4;   /* 1/9 */
    p = p * w + 0x1.2492492492492p-3;   /* 1/7 */
    p = p * w + 0x1.999999999999ap-3;   /* 1/5 */
    p = p * w + 0x1.5555555555555p-2;   /* 1/3 */
    p = p * w + 1.0;
    return (double)k * 0x1.62e42fefa39efp-1 + (s + s) * p; /* LN2 rounded */
}

/* c7 r^7 + ... + c0 by Horner from c7: v = c7; v = v * r + c6; ...; v * r + c0. */
FD_HD double fd_normal_horner(double r, double c0, double c1, double c2, double c3,
                              double c4, double c5, double c6, double c7)
{
    double v = c7;
    v = v * r + c6;
    v = v * r + c5;
    v = v * r + c4;
    v = v * r + c3;
    v = v * r + c2;
    v = v * r + c1;
    return v * r + c0;
}

/* The rational functions of AS 241 (PPND16), coefficients lowest degree
 * first (the binary64 numbers nearest these decimals). */
#define FD_NORMAL_A(r) fd_normal_horner(r, 3.387132872796366608, 133.14166789178437745, \
    1971.5909503065514427, 13731.693765509461125, 45921.953931549871457,              \
    67265.770927008700853, 33430.575583588128105, 2509.0809287301226727)
#define FD_NORMAL_B(r) fd_normal_horner(r, 1.0, 42.313330701600911252,                 \
    687.1870074920579083, 5394.1960214247511077, 21213.794301586595867,               \
    39307.89580009271061, 28729.085735721942674, 5226.495278852545925)
#define FD_NORMAL_C(r) fd_normal_horner(r, 1.42343711074968357734, 4.6303378461565452959, \
    5.7694972214606914055, 3.64784832476320460504, 1.27045825245236838258,            \
    .24178072517745061177, .0227238449892691845833, 7.7454501427834140764e-4)
#define FD_NORMAL_D(r) fd_normal_horner(r, 1.0, 2.05319162663775882187,                \
    1.6763848301838038494, .68976733498510000455, .14810397642748007459,              \
    .0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9)
#define FD_NORMAL_E(r) fd_normal_horner(r, 6.6579046435011037772, 5.4637849111641143699, \
    1.7848265399172913358, .29656057182850489123, .026532189526576123093,             \
    .0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7)
#define FD_NORMAL_F(r) fd_normal_horner(r, 1.0, .59983220655588793769,                 \
    .13692988092273580531, .0148753612908506148525, 7.868691311456132591e-4,          \
    1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15)

/* The magnitude Phi^-1(1 - q) for q in (0, 1/2) (SPEC.md 11.3). */
FD_HD double fd_normal_magnitude(double q)
{
    const double q0 = q - 0.5; /* exact */
    if (q0 >= -0.425) {
        const double r = 0.180625 - q0 * q0;
        return -(q0 * FD_NORMAL_A(r) / FD_NORMAL_B(r));
    }
    const double r = FD_SQRT(-fd_normal_log(q));
    if (r <= 5.0) {
        const double t = r - 1.6;
        return FD_NORMAL_C(t) / FD_NORMAL_D(t);
    }
    const double t = r - 5.0;
    return FD_NORMAL_E(t) / FD_NORMAL_F(t);
}

/* The standard normal variate of the word h: the magnitude of q(h), negated
 * (an exact sign flip) when bit 63 of h is set. */
FD_HD double fd_normal_from_word(uint64_t h)
{
    const double a = fd_normal_magnitude(fd_normal_q(h));
    return (h >> 63) ? -a : a;
}

/* The normal variate Z(e) of stream element e under the normal key kn. */
FD_HD double fd_normal_at(uint64_t kn, uint64_t e)
{
    return fd_normal_from_word(fd_normal_word(kn, e));
}

#endif /* FASTDROP_NORMAL_H */

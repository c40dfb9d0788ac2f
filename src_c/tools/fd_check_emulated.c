/*
 * fd_check_emulated.c -- runs the AVX-512 kernels on a CPU without AVX-512,
 * their intrinsics emulated by SIMDe, and compares every function of the
 * row with the scalar kernels, bit for bit. tests/test_emulated.py builds it:
 *   cc -O2 -std=gnu11 -mavx2 -mf16c -ffp-contract=off -Isrc_c/tools/simde \
 *      -Isrc_c/include -Isrc_c -o fd_check_emulated src_c/tools/fd_check_emulated.c \
 *      src_c/kernels/fd_kernel_scalar.c src_c/fd_api.c src_c/fd_dispatch.c \
 *      src_c/fd_cpu.c src_c/fd_parallel.c src_c/kernels/fd_kernel_avx2.c -lm
 * It also runs the normal stream's vector kernels (kernels/fd_normal_kernels.h:
 * the AVX-512 ones emulated, the AVX2 ones natively) against the stream's
 * scalar definition (fastdrop/normal.h), over the same sizes and offsets,
 * from unaligned starts, gaussian in place too.
 * Inputs include NaN and infinity (float16 and bfloat16: every bit pattern),
 * except that an accumulation never adds a NaN to a NaN (which NaN results is unspecified: SPEC.md). Exit status 0
 * when every case matches; prints the count of cases and of mismatches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tools/fd_emulated_avx512.h"

#define NMAX 70040

static uint64_t rng_state = 88172645463325252u;

static uint64_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static float x32[NMAX], a32[NMAX], b32[NMAX], init32[NMAX];
static double x64[NMAX], a64[NMAX], b64[NMAX], init64[NMAX];
static uint16_t x16[NMAX], a16[NMAX], b16[NMAX], init16[NMAX], initb16[NMAX];
static uint8_t bits_a[NMAX / 8 + 8], bits_b[NMAX / 8 + 8];
static long cases, mismatches;

static void check(int same, const char *what, size_t n, uint64_t off, uint64_t t, unsigned flags)
{
    cases++;
    if (!same && mismatches++ < 10)
        printf("mismatch: %s n=%zu offset=%llu threshold=%llu flags=%u\n", what, n,
               (unsigned long long)off, (unsigned long long)t, flags);
}

/* The normal stream's kernels of one ISA (fd_normal_kernels.h). */
typedef struct normal_kernels {
    const char *name;
    void (*normals_f64)(uint64_t kn, uint64_t index, double *z, size_t n);
    void (*normals_f32)(uint64_t kn, uint64_t index, float *z, size_t n);
    void (*gaussian_f64)(uint64_t kn, uint64_t index, const double *x, double *y, size_t n,
                         double sigma);
    void (*gaussian_f32)(uint64_t kn, uint64_t index, const float *x, float *y, size_t n,
                         float sigma);
    void (*words)(const uint64_t *h, double *z, size_t n);
} normal_kernels;

static uint64_t words[NMAX];

/* Each function of k against the scalar loops of src_c/api/fd_normal.c,
 * into buffers whose elements outside the call must stay. */
static void check_normals(const normal_kernels *k, size_t n, uint64_t off, size_t sh)
{
    char what[64];
    const uint64_t kn = fd_normal_key(next_random());
    memcpy(a64, init64, sizeof a64), memcpy(b64, init64, sizeof b64);
    for (size_t i = 0; i < n; i++)
        a64[sh + i] = fd_normal_at(kn, off + i);
    k->normals_f64(kn, off, b64 + sh, n);
    snprintf(what, sizeof what, "%s normals_f64", k->name);
    check(!memcmp(a64, b64, sizeof a64), what, n, off, 0, 0);
    memcpy(a32, init32, sizeof a32), memcpy(b32, init32, sizeof b32);
    for (size_t i = 0; i < n; i++)
        a32[sh + i] = (float)fd_normal_at(kn, off + i);
    k->normals_f32(kn, off, b32 + sh, n);
    snprintf(what, sizeof what, "%s normals_f32", k->name);
    check(!memcmp(a32, b32, sizeof a32), what, n, off, 0, 0);
    for (int in_place = 0; in_place < 2; in_place++) {
        const double *o64 = in_place ? x64 : init64; /* y before the call */
        const float *o32 = in_place ? x32 : init32;
        memcpy(a64, o64, sizeof a64), memcpy(b64, o64, sizeof b64);
        for (size_t i = 0; i < n; i++)
            a64[sh + i] = x64[sh + i] * (1.0 + 0.75 * fd_normal_at(kn, off + i));
        k->gaussian_f64(kn, off, (in_place ? b64 : x64) + sh, b64 + sh, n, 0.75);
        snprintf(what, sizeof what, "%s gaussian_f64%s", k->name, in_place ? " in place" : "");
        check(!memcmp(a64, b64, sizeof a64), what, n, off, 0, 0);
        memcpy(a32, o32, sizeof a32), memcpy(b32, o32, sizeof b32);
        for (size_t i = 0; i < n; i++)
            a32[sh + i] = x32[sh + i] * (1.0f + 0.75f * (float)fd_normal_at(kn, off + i));
        k->gaussian_f32(kn, off, (in_place ? b32 : x32) + sh, b32 + sh, n, 0.75f);
        snprintf(what, sizeof what, "%s gaussian_f32%s", k->name, in_place ? " in place" : "");
        check(!memcmp(a32, b32, sizeof a32), what, n, off, 0, 0);
    }
    memcpy(a64, init64, sizeof a64), memcpy(b64, init64, sizeof b64);
    for (size_t i = 0; i < n; i++)
        a64[sh + i] = fd_normal_from_word(words[sh + i]);
    k->words(words + sh, b64 + sh, n);
    snprintf(what, sizeof what, "%s normal_words", k->name);
    check(!memcmp(a64, b64, sizeof a64), what, n, off, 0, 0);
}

int main(void)
{
    const fd_kernel_row *v = &fd_kernels_avx512, *r = &fd_kernels_scalar;
    static const size_t ns[] = {0, 1, 15, 16, 17, 31, 33, 2047, 2048, 2049, 5000, 70000};
    static const uint64_t offs[] = {0, 1, 5, 8, 15, 16, 17, 2040, 2047, 2048, 4101,
                                    (UINT64_C(1) << 63) + 13};
    static const uint64_t ths[] = {0, 1, UINT64_C(1) << 31, 3000000000u, 4294967295u,
                                   UINT64_C(1) << 32};
    for (size_t i = 0; i < NMAX; i++) {
        x32[i] = (float)((int64_t)(next_random() % 2001) - 1000) / 7.0f;
        x64[i] = x32[i] * 1.25;
        x16[i] = (uint16_t)next_random(); /* every bit pattern: NaN, inf, subnormal */
        init32[i] = -x32[(i * 7) % NMAX];
        init64[i] = -x64[(i * 7) % NMAX];
        init16[i] = x16[(i * 7) % NMAX];
        initb16[i] = x16[(i * 7) % NMAX];
        if ((init16[i] & 0x7c00) == 0x7c00)
            init16[i] &= 0xbfff; /* no NaN where accumulation adds into */
        if ((initb16[i] & 0x7f80) == 0x7f80)
            initb16[i] &= 0xbfff; /* nor for bfloat16 */
    }
    x32[3] = x64[3] = 0.0f / 0.0f; /* NaN and infinity in the inputs */
    x32[4] = x64[4] = 1.0f / 0.0f;
    for (unsigned a = 0; a < sizeof ns / sizeof ns[0]; a++)
    for (unsigned o = 0; o < sizeof offs / sizeof offs[0]; o++)
    for (unsigned t = 0; t < sizeof ths / sizeof ths[0]; t++)
    for (unsigned flags = 0; flags < 4; flags++)
    for (unsigned sh = 0; sh < 3; sh += 2) { /* unaligned starts too */
        const size_t n = ns[a];
        const fd_stream s = {fd_key(next_random()), offs[o], ths[t]};
        memcpy(a32, init32, sizeof a32), memcpy(b32, init32, sizeof b32);
        memcpy(a64, init64, sizeof a64), memcpy(b64, init64, sizeof b64);
        memcpy(a16, init16, sizeof a16), memcpy(b16, init16, sizeof b16);
        memset(bits_a, 0xaa, sizeof bits_a), memset(bits_b, 0xaa, sizeof bits_b);
        r->dropout_f32(&s, x32 + sh, a32 + sh, bits_a, n, 1.75f, flags);
        v->dropout_f32(&s, x32 + sh, b32 + sh, bits_b, n, 1.75f, flags);
        check(!memcmp(a32, b32, sizeof a32) && !memcmp(bits_a, bits_b, sizeof bits_a),
              "dropout_f32 + bits", n, offs[o], ths[t], flags);
        r->dropout_f64(&s, x64 + sh, a64 + sh, NULL, n, 1.75, flags);
        v->dropout_f64(&s, x64 + sh, b64 + sh, NULL, n, 1.75, flags);
        check(!memcmp(a64, b64, sizeof a64), "dropout_f64", n, offs[o], ths[t], flags);
        r->dropout_f16(&s, x16 + sh, a16 + sh, NULL, n, 1.75f, flags);
        v->dropout_f16(&s, x16 + sh, b16 + sh, NULL, n, 1.75f, flags);
        check(!memcmp(a16, b16, sizeof a16), "dropout_f16", n, offs[o], ths[t], flags);
        memcpy(a16, initb16, sizeof a16), memcpy(b16, initb16, sizeof b16);
        r->dropout_bf16(&s, x16 + sh, a16 + sh, NULL, n, 1.75f, flags);
        v->dropout_bf16(&s, x16 + sh, b16 + sh, NULL, n, 1.75f, flags);
        check(!memcmp(a16, b16, sizeof a16), "dropout_bf16", n, offs[o], ths[t], flags);
        memcpy(a32, init32, sizeof a32), memcpy(b32, init32, sizeof b32);
        memcpy(a64, init64, sizeof a64), memcpy(b64, init64, sizeof b64);
        memcpy(a16, init16, sizeof a16), memcpy(b16, init16, sizeof b16);
        r->apply_bits_f32(bits_a, x32 + sh, a32 + sh, n, 1.75f, flags);
        v->apply_bits_f32(bits_a, x32 + sh, b32 + sh, n, 1.75f, flags);
        check(!memcmp(a32, b32, sizeof a32), "apply_bits_f32", n, offs[o], ths[t], flags);
        r->apply_bits_f64(bits_a, x64 + sh, a64 + sh, n, 1.75, flags);
        v->apply_bits_f64(bits_a, x64 + sh, b64 + sh, n, 1.75, flags);
        check(!memcmp(a64, b64, sizeof a64), "apply_bits_f64", n, offs[o], ths[t], flags);
        r->apply_bits_f16(bits_a, x16 + sh, a16 + sh, n, 1.75f, flags);
        v->apply_bits_f16(bits_a, x16 + sh, b16 + sh, n, 1.75f, flags);
        check(!memcmp(a16, b16, sizeof a16), "apply_bits_f16", n, offs[o], ths[t], flags);
        memcpy(a16, initb16, sizeof a16), memcpy(b16, initb16, sizeof b16);
        r->apply_bits_bf16(bits_a, x16 + sh, a16 + sh, n, 1.75f, flags);
        v->apply_bits_bf16(bits_a, x16 + sh, b16 + sh, n, 1.75f, flags);
        check(!memcmp(a16, b16, sizeof a16), "apply_bits_bf16", n, offs[o], ths[t], flags);
        r->affine_bits_f32(bits_a, x32 + sh, a32 + sh, n, 1.75f, -0.25f, -1.7580993f, 0);
        v->affine_bits_f32(bits_a, x32 + sh, b32 + sh, n, 1.75f, -0.25f, -1.7580993f, 0);
        check(!memcmp(a32, b32, sizeof a32), "affine_bits_f32", n, offs[o], ths[t], 0);
        r->affine_bits_f64(bits_a, x64 + sh, a64 + sh, n, 1.75, -0.25, -1.7580993408473766, 0);
        v->affine_bits_f64(bits_a, x64 + sh, b64 + sh, n, 1.75, -0.25, -1.7580993408473766, 0);
        check(!memcmp(a64, b64, sizeof a64), "affine_bits_f64", n, offs[o], ths[t], 0);
        memset(bits_a, 0, sizeof bits_a), memset(bits_b, 0, sizeof bits_b);
        r->mask_bits(&s, bits_a, n);
        v->mask_bits(&s, bits_b, n);
        check(!memcmp(bits_a, bits_b, sizeof bits_a), "mask_bits", n, offs[o], ths[t], 0);
    }
    for (unsigned o = 0; o < 8; o++) { /* the non-temporal store path, refined or not */
        const fd_stream s = {fd_key(7), offs[o % 4], o < 4 ? UINT64_C(1) << 31 : 3000000000u};
        r->dropout_f32(&s, x32, a32, NULL, 70000, 2.0f, FD_SCALE);
        v->dropout_f32(&s, x32, b32, NULL, 70000, 2.0f, FD_SCALE | FD_STREAM);
        r->apply_bits_f64(bits_a, x64, a64, 70000, 2.0, FD_SCALE);
        v->apply_bits_f64(bits_a, x64, b64, 70000, 2.0, FD_SCALE | FD_STREAM);
        r->dropout_bf16(&s, x16, a16, NULL, 70000, 2.0f, FD_SCALE);
        v->dropout_bf16(&s, x16, b16, NULL, 70000, 2.0f, FD_SCALE | FD_STREAM);
        check(!memcmp(a32, b32, sizeof a32) && !memcmp(a64, b64, sizeof a64)
              && !memcmp(a16, b16, sizeof a16), "streamed", 70000, offs[o % 4], s.threshold,
              FD_SCALE);
        r->affine_bits_f32(bits_a, x32 + 2 * (o % 2), a32, 70000, 1.5f, 0.25f, -1.75f, 0);
        v->affine_bits_f32(bits_a, x32 + 2 * (o % 2), b32, 70000, 1.5f, 0.25f, -1.75f, FD_STREAM);
        check(!memcmp(a32, b32, sizeof a32), "affine_bits_f32 streamed", 70000, offs[o % 4], 0,
              FD_STREAM);
    }
    static const normal_kernels nk[] = {
        {"avx512", fd_normals_f64_avx512, fd_normals_f32_avx512, fd_gaussian_f64_avx512,
         fd_gaussian_f32_avx512, fd_normal_words_avx512},
        {"avx2", fd_normals_f64_avx2, fd_normals_f32_avx2, fd_gaussian_f64_avx2,
         fd_gaussian_f32_avx2, fd_normal_words_avx2},
    };
    for (size_t i = 0; i < NMAX; i++) /* words of every region: m uniform, or small */
        words[i] = (i % 3) ? next_random() : next_random() >> (12 + next_random() % 52);
    for (unsigned k = 0; k < sizeof nk / sizeof nk[0]; k++)
    for (unsigned a = 0; a < sizeof ns / sizeof ns[0]; a++)
    for (unsigned o = 0; o < sizeof offs / sizeof offs[0]; o++)
    for (size_t sh = 0; sh < 2; sh++)
        check_normals(&nk[k], ns[a], offs[o], sh);
    printf("%ld cases, %ld mismatches\n", cases, mismatches);
    return mismatches != 0;
}

/*
 * fd_gen_test_vectors.c -- writes the known-answer files of the stream (FD_RNG_SPEC)
 * from the scalar kernels (the CSV files in tests/data).
 *
 * Build and run from the repository root:
 *   python3 c_core.py cc -O2 -o fd_gen_test_vectors \
 *      src_c/tools/fd_gen_test_vectors.c && ./fd_gen_test_vectors tests/data
 * It selects the scalar kernels before writing anything.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "fastdrop.h"

#define COMMAND "python3 c_core.py cc -O2 -o fd_gen_test_vectors " \
    "src_c/tools/fd_gen_test_vectors.c && ./fd_gen_test_vectors tests/data"

static FILE *open_out(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fprintf(f, "# %s known answers, written by: %s\n", FD_RNG_SPEC, COMMAND);
    return f;
}

static void uniforms_set(const char *dir, const char *name, uint64_t seed, uint64_t offset)
{
    enum { N = 1000 };
    uint32_t u[N];
    fd_stream s = {fd_key(seed), offset, 0};
    if (fd_uniforms(&s, u, N)) {
        fprintf(stderr, "fd_uniforms failed\n");
        exit(1);
    }
    FILE *f = open_out(dir, name);
    fprintf(f, "seed, 0x%016" PRIx64 "\noffset, %" PRIu64 "\n", seed, offset);
    for (int i = 0; i < N; i++)
        fprintf(f, "%d, 0x%08" PRIx32 "\n", i, u[i]);
    fclose(f);
}

static void mask_set(const char *dir)
{
    static const uint64_t seeds[] = {0, 1, UINT64_C(0xdeadbeef), UINT64_MAX};
    static const uint64_t offsets[] = {0, 5, 2047, 2048, (UINT64_C(1) << 40) + 3,
                                       UINT64_MAX - 3000};
    static const double ps[] = {0.0, 0x1p-32, 0.1, 0.5, 0.3, 1.0 - 0x1p-32, 1.0};
    static const size_t ns[] = {1, 17, 2049, 3001};
    uint8_t bits[(3001 + 7) / 8];
    FILE *f = open_out(dir, "mask-testset.csv");
    fprintf(f, "seed, offset, p, threshold, n, bits\n");
    int k = 0;
    for (size_t a = 0; a < sizeof seeds / sizeof seeds[0]; a++)
        for (size_t b = 0; b < sizeof offsets / sizeof offsets[0]; b++)
            for (size_t c = 0; c < sizeof ps / sizeof ps[0]; c++) {
                /* a spread of sizes without the full product */
                size_t n = ns[k++ % (sizeof ns / sizeof ns[0])];
                uint64_t t;
                fd_stream s = {fd_key(seeds[a]), offsets[b], 0};
                if (fd_threshold(ps[c], &t) || (s.threshold = t, fd_mask_bits(&s, bits, n))) {
                    fprintf(stderr, "mask generation failed\n");
                    exit(1);
                }
                fprintf(f, "0x%016" PRIx64 ", %" PRIu64 ", %.17g, %" PRIu64 ", %zu, ",
                        seeds[a], offsets[b], ps[c], t, n);
                for (size_t i = 0; i < (n + 7) / 8; i++)
                    fprintf(f, "%02x", bits[i]);
                fprintf(f, "\n");
            }
    fclose(f);
}

/* bfloat16 (SPEC.md section 6): for each element, the input x, the old out of
 * an accumulation, and the outputs of the forward with inverted and classic
 * scaling and of the inverted and classic accumulations, as bit patterns.
 * The inputs are special values (NaN, inf, -0, subnormals, ties, values
 * that round up to infinity), then a simple generator's bit patterns; no
 * old out is a NaN (where two NaNs meet, which one results is unspecified). */
static void bf16_set(const char *dir)
{
    enum { N = 1000 };
    static const uint16_t special[] = {0x0000, 0x8000, 0x0001, 0x8001, 0x007f, 0x0080, 0x3f80,
                                       0xbf80, 0x3f81, 0x7f7f, 0xff7f, 0x7f80, 0xff80, 0x7fc0,
                                       0xffc0, 0x7f81, 0xff81, 0x7fff, 0x4049, 0x3eaa};
    const uint64_t seed = UINT64_C(0xdeadbeaf), offset = 2000; /* crosses a block */
    const double p = 0.3;
    const float scale = (float)(1.0 / (1.0 - p));
    uint16_t x[N], out0[N], yi[N], yc[N], ai[N], ac[N];
    uint64_t r = UINT64_C(0x9E3779B97F4A7C15);
    for (int i = 0; i < N; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        x[i] = i < (int)(sizeof special / sizeof special[0]) ? special[i] : (uint16_t)r;
        out0[i] = (uint16_t)(r >> 16);
        if ((out0[i] & 0x7f80) == 0x7f80 && (out0[i] & 0x7f))
            out0[i] = (uint16_t)(out0[i] & 0xff80); /* an infinity, not a NaN */
        ai[i] = ac[i] = out0[i];
    }
    uint64_t t;
    fd_stream s = {fd_key(seed), offset, 0};
    if (fd_threshold(p, &t) || (s.threshold = t, 0)
        || fd_dropout_bf16(&s, x, yi, NULL, N, scale, FD_SCALE)
        || fd_dropout_bf16(&s, x, yc, NULL, N, 1.0f, 0)
        || fd_dropout_bf16(&s, x, ai, NULL, N, scale, FD_SCALE | FD_ACCUMULATE)
        || fd_dropout_bf16(&s, x, ac, NULL, N, 1.0f, FD_ACCUMULATE)) {
        fprintf(stderr, "bfloat16 generation failed\n");
        exit(1);
    }
    FILE *f = open_out(dir, "bfloat16-testset.csv");
    fprintf(f, "seed, 0x%016" PRIx64 "\noffset, %" PRIu64 "\np, %.17g\n", seed, offset, p);
    fprintf(f, "k, x, out, inverted, classic, inverted_accumulate, classic_accumulate\n");
    for (int i = 0; i < N; i++)
        fprintf(f, "%d, %04x, %04x, %04x, %04x, %04x, %04x\n", i, x[i], out0[i], yi[i], yc[i],
                ai[i], ac[i]);
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    if (fd_set_isa(FD_ISA_SCALAR)) {
        fprintf(stderr, "no scalar kernels\n");
        return 1;
    }
    uniforms_set(argv[1], "uniforms-testset-1.csv", UINT64_C(0xdeadbeaf), 0);
    uniforms_set(argv[1], "uniforms-testset-2.csv", UINT64_MAX, (UINT64_C(1) << 40) - 500);
    mask_set(argv[1]);
    bf16_set(argv[1]);
    return 0;
}

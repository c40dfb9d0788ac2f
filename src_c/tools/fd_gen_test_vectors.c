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
    return 0;
}

/*
 * fd_gen_normal_vectors.c -- writes the known-answer files of the normal
 * stream (FD_NORMAL_SPEC, SPEC.md section 11) into tests/data/normal/.
 *
 * Build and run from the repository root:
 *   python3 c_core.py cc -O2 -o fd_gen_normal_vectors \
 *       src_c/tools/fd_gen_normal_vectors.c && ./fd_gen_normal_vectors tests/data/normal
 *
 * normals-testset-{1,2}.csv: Z of 1000 consecutive stream elements through
 * the library's fd_normals_f64; words-testset.csv: the transform of chosen
 * 64-bit words h (every region of SPEC.md 11.3 and its edges), through the
 * header's fd_normal_from_word. Values are binary64 bit patterns in hex.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fastdrop.h"
#include "fastdrop_normal.h"
#include "fastdrop/normal.h"

#define COMMAND "python3 c_core.py cc -O2 -o fd_gen_normal_vectors " \
    "src_c/tools/fd_gen_normal_vectors.c && ./fd_gen_normal_vectors tests/data/normal"

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static FILE *open_out(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fprintf(f, "# %s known answers, written by: %s\n", FD_NORMAL_SPEC, COMMAND);
    return f;
}

static void normals_set(const char *dir, const char *name, uint64_t seed, uint64_t offset)
{
    enum { N = 1000 };
    double z[N];
    if (fd_normals_f64(fd_key(seed), offset, z, N)) {
        fprintf(stderr, "fd_normals_f64 failed\n");
        exit(1);
    }
    FILE *f = open_out(dir, name);
    fprintf(f, "seed, 0x%016" PRIx64 "\noffset, %" PRIu64 "\n", seed, offset);
    for (int k = 0; k < N; k++)
        fprintf(f, "%d, 0x%016" PRIx64 "\n", k, bits_of(z[k]));
    fclose(f);
}

/* Words whose q and sign exercise every region: the smallest and largest
 * m, both signs, the central edge q = 0.075, r = 5, and a sweep of
 * exponents. */
static void words_set(const char *dir)
{
    FILE *f = open_out(dir, "words-testset.csv");
    fprintf(f, "# h, Z bits\n");
    const uint64_t M = (UINT64_C(1) << 52) - 1, S = UINT64_C(1) << 63;
    uint64_t w[64];
    int n = 0;
    w[n++] = 0;
    w[n++] = S;
    w[n++] = M;
    w[n++] = M | S;
    w[n++] = 1;
    w[n++] = UINT64_C(0x7ff0000000000000); /* high bits unused */
    /* q just below and above 0.075: m = round(0.075 * 2**53 - 1/2) +- 1 */
    w[n++] = UINT64_C(675539944105574) - 1;
    w[n++] = UINT64_C(675539944105574);
    w[n++] = UINT64_C(675539944105574) + 1;
    /* the last m with r > 5 (the tail) and the first with r <= 5 */
    w[n++] = UINT64_C(125090);
    w[n++] = UINT64_C(125091);
    for (int k = 0; k < 50 && n < 64; k++)
        w[n++] = (UINT64_C(1) << k) + (UINT64_C(0x9E3779B97F4A7C15) >> (12 + k % 7)) % (UINT64_C(1) << k)
                 + ((uint64_t)(k & 1) << 63);
    for (int i = 0; i < n; i++)
        fprintf(f, "0x%016" PRIx64 ", 0x%016" PRIx64 "\n", w[i], bits_of(fd_normal_from_word(w[i])));
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    normals_set(argv[1], "normals-testset-1.csv", UINT64_C(0xdeadbeaf), 0);
    normals_set(argv[1], "normals-testset-2.csv", UINT64_MAX, UINT64_MAX - 999);
    words_set(argv[1]);
    return 0;
}

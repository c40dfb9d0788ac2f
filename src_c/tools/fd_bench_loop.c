/*
 * fd_bench_loop.c -- the AVX2 kernels against a plain loop of the same
 * intrinsics: what the block walk (range checks, partial groups, the
 * refinement fix-ups, the bit writer, the flag dispatch) costs.
 *
 * The plain loops run over whole blocks of a block-aligned call, calling
 * the kernel file's own generator and group functions (the file is
 * included, not linked) with no bookkeeping: seed, then per group the keep
 * word, apply it (float32, FD_SCALE) and store it; they skip the
 * refinement, so their results are checked against the kernel's only where
 * P needs none (P = 0.5 does not). Prints, per size, the minimum ns per element
 * of each loop over many repetitions, and memcpy's for scale.
 *
 * Build and run from the repository root (one thread; pin it to a core):
 *   python3 -c 'import c_core, subprocess; subprocess.run(c_core.command("cc", \
 *       ["-O3", "-o", "fd_bench_loop", "src_c/tools/fd_bench_loop.c"], \
 *       without=("avx2",)), check=True)'
 * (the core's sources but the AVX2 kernel file, which this file includes).
 *   taskset -c 1 ./fd_bench_loop [P]
 * P is the drop probability (default 0.5). Exit status 1 if a plain loop's
 * output differs from the kernel's, 3 without AVX2.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kernels/fd_kernel_avx2.c"

#if FD_X86_GNUC

FD_TARGET_BEGIN("avx2,f16c")

/* y and bits of a call at stream element 0 with n a multiple of FD_BLOCK. */
static void plain_dropout(const fd_stream *s, const float *x, float *y, uint8_t *bits, size_t n,
                          float scale)
{
    const fd_cmp c = cmp_make(s->threshold);
    const __m256 sv = _mm256_set1_ps(scale);
    fd_gen g;
    for (size_t b = 0; b < n / FD_BLOCK; b++) {
        gen_seed(&g, s->key, b);
        for (unsigned t = 0; t < FD_GROUPS; t++) {
            uint64_t eq;
            const uint64_t w = gen_group(&g, &c, &eq, 0);
            const size_t at = b * FD_BLOCK + FD_GROUP * t;
            apply64g_f32(x + at, y + at, w, &g, 0, sv, FD_SCALE);
            if (bits)
                memcpy(bits + at / 8, &w, 8);
        }
    }
}

static void plain_mask(const fd_stream *s, uint8_t *bits, size_t n)
{
    const fd_cmp c = cmp_make(s->threshold);
    fd_gen g;
    for (size_t b = 0; b < n / FD_BLOCK; b++) {
        gen_seed(&g, s->key, b);
        for (unsigned t = 0; t < FD_GROUPS; t++) {
            uint64_t eq;
            const uint64_t w = gen_group(&g, &c, &eq, 0);
            memcpy(bits + (b * FD_BLOCK + FD_GROUP * t) / 8, &w, 8);
        }
    }
}

FD_TARGET_END

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

enum { PLAIN_Y, KERNEL_Y, PLAIN_YB, KERNEL_YB, PLAIN_MASK, KERNEL_MASK, MEMCPY, NCASES };
static const char *const names[NCASES] = {"plain y", "kernel y", "plain y+bits",
    "kernel y+bits", "plain mask", "kernel mask", "memcpy"};

int main(int argc, char **argv)
{
    static const size_t sizes[] = {4096, 65536, 1 << 20};
    const double p = argc > 1 ? atof(argv[1]) : 0.5;
    if (!fd_isa_supported(FD_ISA_AVX2)) {
        fprintf(stderr, "fd_bench_loop: no AVX2\n");
        return 3;
    }
    uint64_t threshold;
    if (fd_threshold(p, &threshold) || fd_mode(threshold) == FD_MODE_CONST) {
        fprintf(stderr, "fd_bench_loop: P must be in (0, 1)\n");
        return 2;
    }
    const fd_stream s = {fd_key(42), 0, threshold};
    int bad = 0;
    printf("%s, p = %g: minimum ns per element (float32, FD_SCALE)\n", FD_RNG_SPEC, p);
    printf("%10s", "n");
    for (int k = 0; k < NCASES; k++)
        printf(" %14s", names[k]);
    printf("\n");
    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
        const size_t n = sizes[z];
        float *x = aligned_alloc(64, n * 4), *y = aligned_alloc(64, n * 4);
        float *y2 = aligned_alloc(64, n * 4);
        uint8_t *bits = aligned_alloc(64, n / 8), *bits2 = aligned_alloc(64, n / 8);
        for (size_t i = 0; i < n; i++)
            x[i] = (float)((int)(i * 2654435761u % 2001) - 1000) / 7.0f;
        fd_kernels_avx2.dropout_f32(&s, x, y2, bits2, n, 2.0f, FD_SCALE);
        plain_dropout(&s, x, y, bits, n, 2.0f);
        const int exact = fd_mode(threshold) == FD_MODE_PLAIN; /* no fix-ups to skip */
        bad |= exact && (memcmp(y, y2, n * 4) || memcmp(bits, bits2, n / 8));
        plain_mask(&s, bits, n);
        bad |= exact && memcmp(bits, bits2, n / 8);
        const int reps = (int)(200000000 / n) + 5;
        double best[NCASES];
        for (int k = 0; k < NCASES; k++)
            best[k] = 1e30;
        for (int r = 0; r < reps; r++) {
            for (int k = 0; k < NCASES; k++) { /* interleaved: the same noise for all */
                const double t0 = now();
                switch (k) {
                case PLAIN_Y: plain_dropout(&s, x, y, NULL, n, 2.0f); break;
                case KERNEL_Y: fd_kernels_avx2.dropout_f32(&s, x, y, NULL, n, 2.0f, FD_SCALE); break;
                case PLAIN_YB: plain_dropout(&s, x, y, bits, n, 2.0f); break;
                case KERNEL_YB: fd_kernels_avx2.dropout_f32(&s, x, y, bits, n, 2.0f, FD_SCALE); break;
                case PLAIN_MASK: plain_mask(&s, bits, n); break;
                case KERNEL_MASK: fd_kernels_avx2.mask_bits(&s, bits, n); break;
                default: memcpy(y, x, n * 4); break;
                }
                const double dt = now() - t0;
                if (dt < best[k])
                    best[k] = dt;
            }
        }
        printf("%10zu", n);
        for (int k = 0; k < NCASES; k++)
            printf(" %14.3f", 1e9 * best[k] / (double)n);
        printf("   kernel/plain: y %.2f, y+bits %.2f, mask %.2f\n", best[KERNEL_Y] / best[PLAIN_Y],
               best[KERNEL_YB] / best[PLAIN_YB], best[KERNEL_MASK] / best[PLAIN_MASK]);
        free(x), free(y), free(y2), free(bits), free(bits2);
    }
    if (bad)
        printf("MISMATCH: a plain loop differs from the kernel\n");
    return bad;
}

#else
int main(void)
{
    fprintf(stderr, "fd_bench_loop: needs x86 with GCC or clang\n");
    return 3;
}
#endif

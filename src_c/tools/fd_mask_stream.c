/*
 * fd_mask_stream.c -- writes a kernel's mask stream to stdout, for
 * statistical test batteries such as dieharder:
 *
 *   fd_mask_stream ISA SEED [P] | dieharder -g 200 -a
 *
 * The output is the packed keep bits (little bit order, as fd_mask_bits
 * writes them) of stream elements 0, 1, 2, ... of SEED at p = 0.5
 * (threshold 2**31), so every bit is a fair coin if the stream is good.
 * That threshold's low 24 bits are 0, so its keep bits are the top bits of
 * the bytes alone. With P (in (0, 1), not 0.5) the keep bits at drop
 * probability P, whose threshold has nonzero low bits, so that the
 * refinement hash decides 1 in 256 of them, are biased coins: they go out
 * through the von Neumann extractor (pairs of elements 2i, 2i+1 in order;
 * a pair 10 gives 1, 01 gives 0, equal pairs nothing), which makes
 * independent coins of any one bias fair, and leaves any dependence between
 * them for the tests to find.
 * ISA is "scalar", "avx2" or "avx512"; it runs until stdout is closed.
 * Build (tests/test_dieharder.py does):
 *   python3 c_core.py cc -O2 -o fd_mask_stream src_c/tools/fd_mask_stream.c
 * With -DFD_EMULATE_AVX512 -mavx2 -mf16c -Isrc_c/tools/simde, and
 * `cc --without avx512` (which leaves out src_c/kernels/fd_kernel_avx512.c),
 * the AVX-512 kernel is compiled with its intrinsics emulated by SIMDe, for
 * CPUs without AVX-512.
 * Exit status: 0 when stdout closes, 2 for bad arguments (or a P whose
 * threshold has low bits 0: use the default), 3 for an ISA this CPU
 * cannot run.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fd_config.h"
#include "kernels/fd_kernels.h"

#ifdef FD_EMULATE_AVX512
#include "tools/fd_emulated_avx512.h"
#endif

#define CHUNK_BYTES ((size_t)1 << 20)

static uint8_t chunk[CHUNK_BYTES], extracted[CHUNK_BYTES];

/* The von Neumann extractor over the packed bits in[0 .. n): appends its
 * output bits to out (little bit order) from bit *fill of out[0] on;
 * returns the number of whole bytes now in out. The bits of a partial last
 * byte (out[that number], *fill of them) are for the caller to move to
 * out[0] once it has written the whole ones. */
static size_t von_neumann(const uint8_t *in, size_t n, uint8_t *out, size_t *fill)
{
    size_t bit = *fill;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t w = 0;
        for (unsigned k = 0; k < 8; k++)
            w |= (uint64_t)in[i + k] << (8 * k);
        const uint64_t first = w & UINT64_C(0x5555555555555555);
        uint64_t differ = (first ^ ((w >> 1) & UINT64_C(0x5555555555555555)));
        while (differ) {
            const unsigned j = FD_CTZ64(differ);
            differ &= differ - 1;
            const unsigned v = (unsigned)(first >> j) & 1u;
            out[bit / 8] = (uint8_t)((out[bit / 8] & ((1u << (bit % 8)) - 1)) | v << (bit % 8));
            bit++;
        }
    }
    *fill = bit % 8;
    return bit / 8;
}

int main(int argc, char **argv)
{
    static const fd_kernel_row *const rows[FD_ISA_COUNT] = {
        &fd_kernels_scalar, &fd_kernels_avx2, &fd_kernels_avx512};
    int isa = -1;
    unsigned long long seed = 0;
    double p = 0.5;
    if (argc == 3 || argc == 4) {
        char *end = NULL;
        for (int i = 0; i < FD_ISA_COUNT; i++)
            if (strcmp(argv[1], fd_isa_name(i)) == 0)
                isa = i;
        errno = 0;
        seed = strtoull(argv[2], &end, 0);
        if (errno != 0 || end == argv[2] || *end != '\0' || argv[2][0] == '-')
            isa = -1;
        if (argc == 4) {
            p = strtod(argv[3], &end);
            if (end == argv[3] || *end != '\0' || !(p > 0.0 && p < 1.0))
                isa = -1;
        }
    }
    uint64_t threshold = 0;
    if (isa >= 0 && (fd_threshold(p, &threshold) != FD_OK
                     || (p != 0.5 && (threshold & 0xffffffu) == 0)))
        isa = -1;
    if (isa < 0) {
        fprintf(stderr, "usage: fd_mask_stream scalar|avx2|avx512 SEED [P]\n"
                        "  (P in (0, 1), its threshold's low 24 bits not all 0)\n");
        return 2;
    }
    int emulated = 0;
#ifdef FD_EMULATE_AVX512
    emulated = isa == FD_ISA_AVX512;
#endif
    if (!emulated && !fd_isa_supported(isa)) {
        fprintf(stderr, "fd_mask_stream: this CPU or build cannot run the %s kernel\n",
                argv[1]);
        return 3;
    }
    signal(SIGPIPE, SIG_IGN); /* a closed pipe ends the loop via fwrite */
    fd_stream s = {fd_key(seed), 0, threshold};
    size_t fill = 0;
    for (;;) {
        rows[isa]->mask_bits(&s, chunk, CHUNK_BYTES * 8);
        s.index += CHUNK_BYTES * 8;
        const uint8_t *out = chunk;
        size_t bytes = CHUNK_BYTES;
        if (p != 0.5) {
            bytes = von_neumann(chunk, CHUNK_BYTES, extracted, &fill);
            out = extracted;
        }
        if (fwrite(out, 1, bytes, stdout) != bytes)
            return 0; /* the reader has had enough */
        if (p != 0.5)
            extracted[0] = extracted[bytes]; /* the partial byte, if any */
    }
}

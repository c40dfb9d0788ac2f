/*
 * fd_mask_stream.c -- writes a kernel's mask stream to stdout, for
 * statistical test batteries such as dieharder:
 *
 *   fd_mask_stream ISA SEED | dieharder -g 200 -a
 *
 * The output is the packed keep bits (little bit order, as fd_mask_bits
 * writes them) of stream elements 0, 1, 2, ... of SEED at p = 0.5
 * (threshold 2**31), so every bit is a fair coin if the stream is good.
 * ISA is "scalar", "avx2" or "avx512"; it runs until stdout is closed.
 * Build (tests/test_dieharder.py does):
 *   cc -O2 -std=gnu11 -Isrc_c/include -Isrc_c -o fd_mask_stream \
 *      src_c/tools/fd_mask_stream.c src_c/fd_*.c src_c/kernels/fd_kernel_*.c -lm
 * With -DFD_EMULATE_AVX512 -mavx2 -mf16c -Isrc_c/tools/simde, and without
 * src_c/kernels/fd_kernel_avx512.c, the AVX-512 kernel is compiled with its
 * intrinsics emulated by SIMDe, for CPUs without AVX-512.
 * Exit status: 0 when stdout closes, 2 for bad arguments, 3 for an ISA this
 * CPU cannot run.
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

static uint8_t chunk[CHUNK_BYTES];

int main(int argc, char **argv)
{
    static const fd_kernel_row *const rows[FD_ISA_COUNT] = {
        &fd_kernels_scalar, &fd_kernels_avx2, &fd_kernels_avx512};
    int isa = -1;
    unsigned long long seed = 0;
    if (argc == 3) {
        char *end = NULL;
        for (int i = 0; i < FD_ISA_COUNT; i++)
            if (strcmp(argv[1], fd_isa_name(i)) == 0)
                isa = i;
        errno = 0;
        seed = strtoull(argv[2], &end, 0);
        if (errno != 0 || end == argv[2] || *end != '\0' || argv[2][0] == '-')
            isa = -1;
    }
    if (isa < 0) {
        fprintf(stderr, "usage: fd_mask_stream scalar|avx2|avx512 SEED\n");
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
    fd_stream s = {fd_key(seed), 0, UINT64_C(1) << 31};
    for (;;) {
        rows[isa]->mask_bits(&s, chunk, CHUNK_BYTES * 8);
        if (fwrite(chunk, 1, CHUNK_BYTES, stdout) != CHUNK_BYTES)
            return 0; /* the reader has had enough */
        s.index += CHUNK_BYTES * 8;
    }
}

/*
 * fd_emulated_avx512.h -- the AVX-512 kernels with their intrinsics emulated
 * by SIMDe, for tools that run them on CPUs without AVX-512. Include it
 * instead of linking src_c/kernels/fd_kernel_avx512.c, and compile with
 * -mavx2 -mf16c (or -march=native) -Isrc_c/tools/simde -Isrc_c/include
 * -Isrc_c: src_c/tools/simde/immintrin.h then stands in for the compiler's.
 * The target regions are dropped, so the whole tool is built for the flags
 * given.
 */
#ifndef FD_EMULATED_AVX512_H
#define FD_EMULATED_AVX512_H

#include "fd_config.h"
#undef FD_TARGET_BEGIN
#undef FD_TARGET_END
#define FD_TARGET_BEGIN(t)
#define FD_TARGET_END
#include "kernels/fd_kernel_avx512.c"
#include "kernels/fd_normal_avx512.c" /* the normal stream's AVX-512 kernel */

#endif /* FD_EMULATED_AVX512_H */

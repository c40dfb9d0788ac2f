/*
 * fd_kernel_avx512.c -- AVX-512 kernels: not written yet, so the row is
 * empty and the dispatcher never selects it.
 */
#include "fd_kernels.h"

const fd_kernel_row fd_kernels_avx512 = {0};

/*
 * fd_cpu.c -- CPU feature detection with cpuid and xgetbv.
 *
 * An instruction set counts only if the CPU has it (cpuid) and the OS saves
 * its registers across context switches (XCR0 read with xgetbv): a CPU with
 * AVX-512 under an OS that does not enable ZMM state must not run it.
 */
#include "fd_cpu.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <stdatomic.h>

#define FD_XCR0_YMM 0x6u            /* SSE and AVX state */
#define FD_XCR0_ZMM (0x6u | 0xe0u)  /* plus opmask, ZMM_Hi256, Hi16_ZMM */

static unsigned long long fd_xgetbv0(void)
{
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static unsigned fd_detect(void)
{
    unsigned a, b, c, d, features = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    const int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !avx || !f16c)
        return 0; /* the walk stops at the first missing rung */
    const unsigned long long xcr0 = fd_xgetbv0();
    if ((xcr0 & FD_XCR0_YMM) != FD_XCR0_YMM)
        return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return 0;
    if (!((b >> 5) & 1)) /* AVX2 */
        return 0;
    features |= FD_CPU_AVX2;
    /* F DQ BW VL: every CPU with BW and VL has DQ (Skylake-SP on, Zen 4
     * on); the normal stream's kernel takes DQ's 64-bit products */
    const unsigned avx512 = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
    if ((b & avx512) == avx512 && (xcr0 & FD_XCR0_ZMM) == FD_XCR0_ZMM)
        features |= FD_CPU_AVX512;
    return features;
}

/* -1 until detected. Racing first calls each detect and store the same
 * value; the value is all they share, so relaxed order is enough. */
static atomic_int fd_cached = -1;

unsigned fd_cpu_features(void)
{
    int v = atomic_load_explicit(&fd_cached, memory_order_relaxed);
    if (v < 0) {
        v = (int)fd_detect();
        atomic_store_explicit(&fd_cached, v, memory_order_relaxed);
    }
    return (unsigned)v;
}

#else

unsigned fd_cpu_features(void)
{
    return 0;
}

#endif

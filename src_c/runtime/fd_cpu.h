/* fd_cpu.h -- internal: which instruction sets this CPU and OS can run. */
#ifndef FD_CPU_H
#define FD_CPU_H

/* Bits of fd_cpu_features(). */
#define FD_CPU_AVX2 1u   /* AVX2 + F16C, YMM state enabled by the OS */
#define FD_CPU_AVX512 2u /* AVX-512 F, DQ, BW, VL + F16C, ZMM and opmask state enabled */

/* Detected once (cpuid and xgetbv); 0 on non-x86 builds. Thread-safe. */
unsigned fd_cpu_features(void);

#endif /* FD_CPU_H */
